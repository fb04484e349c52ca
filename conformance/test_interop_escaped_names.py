"""Names are judged after JSON decoding: a forbidden character written as a `\\u` escape
is that character (docs/SPEC.md §3.5 APP-NAME-2, APP-NAME-8, APP-NAME-9; §1 FRM-9).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. A name is "a non-empty JSON
string" [APP-NAME-1]: the string the payload denotes, not the bytes that spell it. RFC
8259 lets a sender write any character as `\\u` and four hex digits, in either case,
and `/` and `\\` as `\\/` and `\\\\`; a control character can only be written so.

The class of bug: a name check that runs on the raw payload (or on a form the receiver
re-derives differently) while the request uses the decoded string — a byte scan for the
UTF-8 of U+202E or U+0085, a `contains("..")`, a `startsWith("/")` or a prefix test for
`.sft-partial-` on the JSON text, a pattern that knows `\\u202e` but not `\\u202E`.
Every other case of the suite writes its names as raw UTF-8 (its JSON encoder escapes
nothing it need not), so such a receiver passes them all (found by planting the mistake
blind in eke4, a Go responder: C1 and bidi characters searched as UTF-8 byte sequences
of the payload).

Each family is sent in several spellings (escaped lower case, escaped upper case, and the
raw form where JSON allows one), on one connection, since `forbidden` is non-fatal
(a target that closes after it is reconnected, and fails the case). The converse is
checked too: escaped characters §3.5 allows (`é`, `€`, U+00A0, U+202F) are looked up
(`not_found` for a name no share holds), never refused. Both profiles.
"""

from __future__ import annotations

import uuid

import pytest

from conformance._wire_fixtures import AppChannel, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError


def _tag() -> str:
    return "sft-conformance-esc-" + uuid.uuid4().hex[:10]


# requirement -> label -> JSON string body (between the quotes), ASCII or raw UTF-8.
# `{t}` is replaced by a fresh tag, so no name can denote a file a share holds.
_FORBIDDEN: dict[str, dict[str, str]] = {
    "APP-NAME-2": {
        "nul-escaped": "{t}\\u0000x",
        "soh-escaped": "{t}\\u0001x",
        "unit-separator-escaped": "{t}\\u001Fx",
        "del-escaped": "{t}\\u007fx",
        "del-raw": "{t}\x7fx",
        "backslash-short-escape": "{t}\\\\x",
        "backslash-u-escape": "{t}\\u005cx",
        "dotdot-escaped": "\\u002e\\u002e/{t}",
        "dot-component-escaped": "{t}/\\u002E/x",
        "absolute-solidus-escape": "\\/{t}",
        "absolute-u-escape": "\\u002f{t}",
        "empty-component-escaped": "{t}\\/\\/x",
        "drive-letter-escaped": "C\\u003a/{t}",
    },
    "APP-NAME-8": {
        "c1-0080-escaped": "{t}\\u0080x",
        "c1-0085-escaped": "{t}\\u0085x",
        "c1-009f-upper": "{t}\\u009Fx",
        "c1-0085-raw": "{t}\u0085x",
        "bidi-202a-escaped": "{t}\\u202ax",
        "bidi-202e-escaped": "{t}\\u202ex",
        "bidi-202e-upper": "{t}\\u202Ex",
        "bidi-202e-raw": "{t}\u202ex",
        "isolate-2066-escaped": "{t}\\u2066x",
        "isolate-2069-escaped": "{t}\\u2069x",
        "isolate-2068-raw": "{t}\u2068x",
    },
    "APP-NAME-9": {
        "reserved-prefix-escaped-dot": "\\u002esft-partial-{t}",
        "reserved-prefix-escaped-letters": "\\u002e\\u0073ft-partial-{t}",
        "reserved-prefix-deep-escaped": "{t}\\/\\u002Esft-partial-x",
    },
}

# Characters §3.5 allows, escaped: looked up, not refused [APP-NAME-8].
_ALLOWED: dict[str, str] = {
    "e-acute-escaped": "{t}-\\u00e9.txt",
    "e-acute-upper": "{t}-\\u00E9.txt",
    "euro-escaped": "{t}-\\u20ac.txt",
    "no-break-space-escaped": "{t}-\\u00a0.txt",
    "narrow-no-break-space-escaped": "{t}-\\u202f.txt",
}


def _payload(members: str) -> bytes:
    return ("{" + members + "}").encode("utf-8")


def _name(body: str) -> str:
    return body.replace("{t}", _tag())


def _forbidden_params(operation: str) -> list[object]:
    return [
        pytest.param(rid, marks=pytest.mark.req(rid), id=rid)
        for rid in sorted(_FORBIDDEN)
        # a get of a reserved name MAY be forbidden or not_found (APP-NAME-9)
        if not (operation == "get" and rid == "APP-NAME-9")
    ]


def _ask_each(
    app_channel: AppChannel, requests: list[tuple[str, bytes, bytes]], expected: str
) -> list[str]:
    """Sends each (label, type, payload) and reads one answer; returns the labels whose
    answer was not `EROR expected` (with what came instead). A connection whose answer
    was wrong is closed and a fresh one used for the next request."""
    wrong: list[str] = []
    channel: Channel | None = None
    for label, frame_type, payload in requests:
        if channel is None:
            channel = app_channel()
        channel.send_frame(frame_type, payload)
        outcome = channel.expect([ExpectError(expected, then_close=False)])
        if not outcome.ok:
            wrong.append(f"{label}: {frame_type.decode()} {payload[:90]!r} -> {outcome.describe()}")
            channel.close()
            channel = None
    if channel is not None:
        channel.close()
    return wrong


@pytest.mark.parametrize("rid", _forbidden_params("get"))
def test_escaped_forbidden_names_in_a_get_are_forbidden(
    target: Target, app_channel: AppChannel, rid: str
) -> None:
    """`RQFL` of a name whose forbidden character is written as a JSON escape (and, where
    JSON allows, raw): `EROR forbidden` (non-fatal), whatever the spelling."""
    require(target, "get")
    requests = [
        (label, b"RQFL", _payload('"name":"' + _name(body) + '"'))
        for label, body in sorted(_FORBIDDEN[rid].items())
    ]
    wrong = _ask_each(app_channel, requests, "forbidden")
    if wrong:
        raise ConformanceFailure.evidence(
            f"gets of names that {rid} refuses, spelt with JSON escapes",
            "EROR forbidden (non-fatal) for every spelling: a name is the decoded JSON string",
            f"{len(wrong)} of {len(requests)} not refused:\n  " + "\n  ".join(wrong),
        )


@pytest.mark.parametrize("rid", _forbidden_params("put"))
def test_escaped_forbidden_names_in_a_put_are_forbidden(
    target: Target, app_channel: AppChannel, rid: str
) -> None:
    """`PUTF` of a name whose forbidden character is written as a JSON escape: `EROR
    forbidden` before any data (a put that is accepted is abandoned by closing)."""
    require(target, "put")
    requests = [
        (label, b"PUTF", _payload('"name":"' + _name(body) + '","size":1'))
        for label, body in sorted(_FORBIDDEN[rid].items())
    ]
    wrong = _ask_each(app_channel, requests, "forbidden")
    if wrong:
        raise ConformanceFailure.evidence(
            f"puts of names that {rid} refuses, spelt with JSON escapes",
            "EROR forbidden (non-fatal) before any data, for every spelling",
            f"{len(wrong)} of {len(requests)} not refused:\n  " + "\n  ".join(wrong),
        )


@pytest.mark.req("APP-NAME-8")
def test_escaped_allowed_characters_are_looked_up(target: Target, app_channel: AppChannel) -> None:
    """The converse: escaped characters §3.5 allows name a file like their raw form: a
    get of such a name no share holds is `not_found`, never `forbidden`."""
    require(target, "get")
    requests = [
        (label, b"RQFL", _payload('"name":"' + _name(body) + '"'))
        for label, body in sorted(_ALLOWED.items())
    ]
    wrong = _ask_each(app_channel, requests, "not_found")
    if wrong:
        raise ConformanceFailure.evidence(
            "gets of absent names holding escaped characters that §3.5 allows",
            "EROR not_found: U+00E9, U+20AC, U+00A0, U+202F are not refused (APP-NAME-8)",
            f"{len(wrong)} of {len(requests)} answered otherwise:\n  " + "\n  ".join(wrong),
        )


def _escaped_component(size: int, lead: str = "") -> str:
    """A JSON string body (ASCII only) for a component of exactly `size` UTF-8 bytes:
    `lead`, then U+00E9 written as `\\u00e9` (2 bytes each), padded with `x`."""
    pairs, odd = divmod(size - len(lead), 2)
    return lead + "\\u00e9" * pairs + "x" * odd


def _escaped_name(sizes: list[int]) -> str:
    parts = [_escaped_component(n, _tag() if k == 0 else "") for k, n in enumerate(sizes)]
    return "/".join(parts)


# label -> (component sizes in UTF-8 bytes, expected answer): whole names of 4096 and
# 4097 bytes (17 components: 16 slashes), components of 255 and 256 bytes.
_LIMITS = {
    "APP-NAME-7": {
        "name-4096-bytes": ([255] * 15 + [254, 1], "not_found"),
        "component-255-bytes": ([255, 3], "not_found"),
    },
    "APP-NAME-1": {
        "name-4097-bytes": ([255] * 16 + [1], "forbidden"),
        "component-256-bytes": ([256, 3], "forbidden"),
    },
}


@pytest.mark.parametrize(
    "rid", [pytest.param(rid, marks=pytest.mark.req(rid), id=rid) for rid in sorted(_LIMITS)]
)
def test_escaped_names_are_measured_decoded(
    target: Target, app_channel: AppChannel, rid: str
) -> None:
    """The limits of APP-NAME-1 count the decoded name's UTF-8 bytes, not the escaped
    JSON text (six bytes per `\\u00e9`, two in UTF-8): at the limits a get of an absent
    name is `not_found` [APP-NAME-7], one byte over it `forbidden` [APP-NAME-1]."""
    require(target, "get")
    wrong: list[str] = []
    for label, (sizes, expected) in sorted(_LIMITS[rid].items()):
        body = _escaped_name(sizes)
        requests = [(label, b"RQFL", _payload('"name":"' + body + '"'))]
        wrong += [f"{w} (expected {expected})" for w in _ask_each(app_channel, requests, expected)]
    if wrong:
        raise ConformanceFailure.evidence(
            f"gets of names at the limits of APP-NAME-1 written with JSON escapes ({rid})",
            "the limits measured on the decoded name in UTF-8 bytes",
            "\n  ".join(wrong),
        )
