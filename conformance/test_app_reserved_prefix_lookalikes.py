"""Names that hold the reserved prefix without starting with it are ordinary (SPEC §3.5
APP-NAME-9, §3.3 APP-GET-2, §3.4 APP-PUT-2).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. APP-NAME-9 reserves the names
whose LAST component STARTS with `.sft-partial-` (the temporaries of APP-STORE-1): a put of
one is `forbidden`, a get of one MAY be `forbidden` or `not_found`. Nothing else is
reserved: `notes.sft-partial-x` (the prefix inside the component), `sft-partial-x` (no
dot), `.sft-partial` (no dash) and `.sft-partial-d/x` (the prefix on a directory component,
not the last) are ordinary names. A file of such a name in the share MUST be served
[APP-GET-2], and a put of one MUST be stored under its basename [APP-PUT-2].

The class of bug (lens 5 of round 17, content that looks like structure): the reserved
prefix looked for in the wrong place — `PARTIAL in name`, `strings.Contains`, a regular
expression without its anchor, a check of every component instead of the last, or of the
prefix without its dash — so that a legitimate name is refused or answered `not_found`.
The get cases need a share on this host the suite can write to (the target's `share`),
the put cases the `put` feature.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import (
    AppChannel,
    get_file,
    judge_put_stored_under_basename,
    require,
)
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError

PREFIX = ".sft-partial-"

# id -> a legitimate name for a fresh tag; none has a last component starting with PREFIX.
_NAMES: dict[str, Callable[[str], str]] = {
    "prefix-inside": lambda t: f"sft-b17-{t}{PREFIX}x.bin",
    "prefix-without-dot": lambda t: f"{PREFIX[1:]}{t}.bin",
    "prefix-without-dash": lambda t: f"{PREFIX[:-1]}{t}.bin",
    "prefix-on-a-directory": lambda t: f"{PREFIX}d{t}/sft-b17-{t}.bin",
}


def _legitimate(name: str) -> bool:
    return not name.rsplit("/", 1)[-1].startswith(PREFIX)


@pytest.mark.req("APP-GET-2")
@pytest.mark.parametrize("kind", list(_NAMES))
def test_get_of_a_name_holding_the_prefix_is_served(
    target: Target, app_channel: AppChannel, kind: str
) -> None:
    """A file of the name written into the declared share; RQFL of it: RSFL and its bytes."""
    require(target, "get")
    share = target.share
    if share is None or not share.is_dir():
        pytest.skip("the target declares no share on this host the suite can write to (`share`)")
    name = _NAMES[kind](secrets.token_hex(5))
    assert _legitimate(name)
    content = f"the file {name!r}\n".encode()
    path = share / name
    made = [path.parent] if path.parent != share else []
    try:
        try:
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(content)
        except OSError as exc:
            pytest.skip(f"cannot write into the declared share: {exc}")
        result = get_file(
            app_channel(), name, also=[ExpectError("not_found"), ExpectError("forbidden")]
        )
        if result.refused is not None or result.data != content:
            raise ConformanceFailure.evidence(
                f"APP-GET-2: RQFL {name!r} ({kind}), a regular file of {len(content)} bytes "
                "in the share",
                f"RSFL and its bytes: only a last component that starts with {PREFIX!r} is "
                "reserved (APP-NAME-9)",
                result.refused.describe()
                if result.refused is not None
                else f"{len(result.data)} other bytes",
            )
    finally:
        path.unlink(missing_ok=True)
        for directory in made:
            directory.rmdir()


@pytest.mark.req("APP-PUT-2")
@pytest.mark.parametrize("kind", list(_NAMES))
def test_put_of_a_name_holding_the_prefix_is_stored(
    target: Target, app_channel: AppChannel, kind: str
) -> None:
    """PUTF of the name: accepted, stored under its basename (DONE, then a new PUTF of the
    basename is `exists`), and in a declared inbox holding the bytes sent."""
    require(target, "put")
    name = _NAMES[kind](secrets.token_hex(5))
    assert _legitimate(name)
    judge_put_stored_under_basename(
        target,
        app_channel(),
        name,
        f"{kind}: its last component does not start with {PREFIX!r} (APP-NAME-9)",
    )
