"""Names made of JSON's own structural characters are names, in bulk too (docs/SPEC.md §3.5
APP-NAME-7, §3.4 APP-PUT-2); both profiles.

`[`, `]`, `{`, `}`, `"`, `:` and `,` are ordinary name characters: APP-NAME-2 refuses none
of them, so a get of a name made of them that names no file is `not_found` (APP-NAME-7)
and a put of one is stored under its basename (APP-PUT-2: "MUST NOT be refused … for
any character §3.5 allows"). Inside a control payload they sit in a JSON string, where
they are text, not structure. The class of bug: a receiver that judges the payload's
structure from its raw characters instead of parsing it — a cheap depth guard in front
of the JSON parser that counts every `[` and `{` (FRM-9 lets a receiver limit nesting
depth, not count brackets inside strings), a pre-scan that counts quotes or
backslashes to find the string ends, a "key: value" splitter on `:` and `,`. Each is
invisible to a name of a few such characters and refuses (often fatally, `bad_frame`) a
name of hundreds: so the probes are names of up to 4096 bytes of them, the most a name
may hold (APP-NAME-1), in components of 255 bytes.

Fixtures (conformance/plugin.py): `target`, `app_channel`.
"""

from __future__ import annotations

import secrets

import pytest

from conformance._wire_fixtures import (
    AppChannel,
    judge_put_stored_under_basename,
    require,
)
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError


def _long(parts: str) -> str:
    """16 components of 255 characters cycling through `parts`: 4095 bytes of them."""
    return "/".join(parts[i % len(parts)] * 255 for i in range(16))


# Names that are valid (APP-NAME-1/2) and name no file of any share (a fresh suffix).
_GETS: dict[str, str] = {
    "4095 bytes of brackets and braces": _long("[{]}"),
    "a component of nested-looking [{": "[{" * 120 + "-{}",
    "a component of double quotes (escaped in the JSON text)": '"' * 240 + "-{}",
    "a component of colons and commas": ":," * 120 + "-{}",
}


@pytest.mark.req("APP-NAME-7")
def test_get_of_a_name_of_structural_characters_is_not_found(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "get")
    channel = app_channel()
    problems: list[str] = []
    for label, template in _GETS.items():
        name = template.replace("{}", secrets.token_hex(4))
        channel.send_frame("RQFL", {"name": name})
        outcome = channel.expect([ExpectError("not_found")])
        if not outcome.ok:
            problems.append(f"{label} ({len(name.encode())} bytes): {outcome.describe()}")
            channel = app_channel()
    if problems:
        raise ConformanceFailure.evidence(
            'APP-NAME-7: gets of valid names made of [ ] { } " : , (up to 4095 bytes), '
            "naming no file of the share, one connection",
            "EROR not_found for each (non-fatal): the characters are text inside a JSON "
            "string, not structure, and no rule of §3.5 refuses them",
            "\n".join(problems),
        )


@pytest.mark.req("APP-PUT-2")
def test_put_of_a_name_of_structural_characters_is_stored(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    tag = secrets.token_hex(6)
    offered = "{" * 200 + "/" + "[" * 230 + "-" + tag
    judge_put_stored_under_basename(
        target,
        app_channel(),
        offered,
        "a directory part of 200 '{' and a basename of 230 '[': characters §3.5 allows",
    )
