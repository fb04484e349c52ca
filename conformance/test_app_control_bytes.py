"""Control payloads byte by byte (docs/SPEC.md §1 FRM-8/FRM-9/FRM-12, §3.4 APP-PUT-5).

What a parser does to the bytes before JSON sees them is where the leniency hides: a C
reader strips the string terminator it expects (`{...}\\0` taken for `{...}`); a Java
reader decodes "modified UTF-8" (CESU-8: a character above U+FFFF written as two
three-byte surrogates, or a NUL as C0 80), which is not UTF-8 (RFC 3629 forbids
surrogate code points and overlong forms); and a DONE whose digest is no digest at all
(empty, short, prefixed) is read as "no digest given" and the size alone decides. Each
is a payload FRM-9/FRM-12 make malformed: `bad_frame`, fatal (for the DONE of a put,
FRM-16 also allows `integrity_failed`), and nothing stored under the put's name.
Both profiles.
"""

from __future__ import annotations

import hashlib

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, known_file, require
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame, frame_bytes

# Payloads around the name of a file the share holds (so that a lenient reader serves it,
# RSFL, where a strict one answers bad_frame). `{name}` is replaced by that name, JSON-
# escaped; the bytes after it are what a strict UTF-8 JSON reader must refuse.
_RQFL_BYTES = {
    "trailing-nul": b'{"name":%s}\x00',
    "trailing-nuls": b'{"name":%s}\x00\x00\x00\x00',
    "nul-then-garbage": b'{"name":%s}\x00{"x":1}',
}
# Names whose bytes are not UTF-8 (RFC 3629): the reader must refuse the payload, not
# look the name up (a lookup answers not_found, a store forbidden or RSFL).
_NOT_UTF8_NAMES = {
    # U+1F600 as two CESU-8 surrogates (ED A0 BD, ED B8 80)
    "cesu8-pair": b"sft-conformance-\xed\xa0\xbd\xed\xb8\x80.txt",
    "cesu8-lone-high": b"sft-conformance-\xed\xa0\x80.txt",
    "modified-utf8-nul": b"sft-conformance-\xc0\x80.txt",  # Java's encoding of U+0000
    "overlong-slash": b"sft-conformance-\xc0\xaf.txt",  # '/' in two bytes
    "overlong-dot-3": b"sft-conformance-\xe0\x80\xae.txt",  # '.' in three bytes
    "above-u10ffff": b"sft-conformance-\xf4\x90\x80\x80.txt",
}


def _json_string(name: str) -> bytes:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"').encode("utf-8")
    return b'"' + escaped + b'"'


@pytest.mark.req("FRM-9", "ERR-3")
@pytest.mark.parametrize("case", sorted(_RQFL_BYTES))
def test_bytes_after_the_json_object_are_bad_frame(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    file = known_file(target)
    payload = _RQFL_BYTES[case] % _json_string(file.name)
    channel = app_channel()
    channel.send_raw(frame_bytes("RQFL", payload))
    expect_fatal(
        channel,
        "bad_frame",
        context=f"FRM-9: RQFL {payload!r} (a NUL after the JSON object: not a JSON text)",
        violates=("FRM-9",),
    )


@pytest.mark.req("FRM-9", "ERR-3")
@pytest.mark.parametrize("case", sorted(_NOT_UTF8_NAMES))
def test_a_get_name_that_is_not_utf8_is_bad_frame(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    require(target, "get")
    payload = b'{"name":"' + _NOT_UTF8_NAMES[case] + b'"}'
    channel = app_channel()
    channel.send_raw(frame_bytes("RQFL", payload))
    expect_fatal(
        channel,
        "bad_frame",
        context=f"FRM-9: RQFL whose name bytes are not UTF-8 ({case}: {payload!r})",
        violates=("FRM-9",),
    )


@pytest.mark.req("FRM-9", "ERR-3")
@pytest.mark.parametrize("case", ["cesu8-pair", "trailing-nul"])
def test_a_put_payload_that_is_not_utf8_json_is_bad_frame(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    require(target, "put")
    if case == "trailing-nul":
        payload = b'{"name":"%s","size":1}\x00' % fresh_name().encode()
    else:
        payload = b'{"name":"' + _NOT_UTF8_NAMES[case] + b'","size":1}'
    channel = app_channel()
    channel.send_raw(frame_bytes("PUTF", payload))
    expect_fatal(
        channel,
        "bad_frame",
        context=f"FRM-9: PUTF {payload!r} ({case})",
        violates=("FRM-9",),
    )


_DATA = b"sft-conformance: a put whose DONE digest is malformed\n"
_SHA = hashlib.sha256(_DATA).hexdigest()
_BAD_DONE_SHA = {
    "empty": "",
    "63-digits": _SHA[:63],
    "prefixed": "sha256:" + _SHA,
    "newline": _SHA + "\n",
    "nul-terminated": _SHA + "\x00",
    "128-digits": _SHA + _SHA,
}


@pytest.mark.req("FRM-12", "APP-PUT-5", "ERR-3")
@pytest.mark.parametrize("case", sorted(_BAD_DONE_SHA))
def test_a_put_done_with_a_malformed_digest_is_refused_and_not_stored(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    """The digest is malformed, not absent: `bad_frame` (or `integrity_failed`, FRM-16),
    fatal, and the put is not stored — a fresh put of its name is then accepted."""
    require(target, "put")
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(_DATA)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r}")
    channel.send_frame("DATA", _DATA)
    channel.send_frame("DONE", {"size": len(_DATA), "sha256": _BAD_DONE_SHA[case]})
    context = f"FRM-12: DONE sha256={_BAD_DONE_SHA[case]!r} ({case}) after the right bytes"
    expect_fatal(channel, "bad_frame", "integrity_failed", context=context)
    fresh = app_channel()
    fresh.send_frame("PUTF", {"name": name, "size": 1})
    outcome = fresh.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError("exists")])
    outcome.check(f"APP-PUT-5: PUTF {name!r} again after the refused DONE")
    if outcome.frame is not None and outcome.frame.error_name == "exists":
        raise ConformanceFailure.evidence(
            f"APP-PUT-5: {context}",
            "nothing stored under the final name after a DONE that is not verified",
            f"a fresh PUTF of {name!r} is answered {outcome.frame.describe(80)}: the put "
            "was stored",
        )
