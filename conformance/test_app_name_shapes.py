"""Name limits judged on the name as sent, whatever its shape (docs/SPEC.md §3.5
APP-NAME-1, APP-NAME-7, APP-PUT-2).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. Beside
conformance/test_app_names.py's byte-count cases, which use few long components and
names already in NFC. The class of bug: a limit measured on something other than the
received name's UTF-8 bytes and components — a copy normalised for the checks (NFC,
NFKC, NFD), or an extra limit the SPEC does not have (a depth limit: at most 64 or 256
components). The received name is what must be judged and used (APP-NAME-3): a name
beyond the limits in its own bytes is `forbidden` even when its normalised copy would
fit, and a name within them is never refused for its length or its number of components
even when its normalised copy would not fit.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

# Components of one byte: the deepest names within 4096 bytes.
_DEPTHS = (64, 65, 256, 257, 1024, 2048)


def _deep_name(depth: int, last: str = "x") -> str:
    """`depth` components: depth - 1 one-byte directories, then `last`."""
    return "a/" * (depth - 1) + last


def _answer(channel: Channel, name: str) -> str:
    """`not_found`, `forbidden`, another code, or a description of anything else."""
    channel.send_frame("RQFL", {"name": name})
    outcome = channel.expect([ExpectError("not_found", "forbidden"), ExpectFrame("RSFL")])
    frame = outcome.frame
    if frame is not None and frame.type == b"EROR" and frame.error_name is not None:
        return frame.error_name
    return outcome.describe()


def _size(name: str) -> str:
    raw = len(name.encode("utf-8"))
    longest = max(len(part.encode("utf-8")) for part in name.split("/"))
    return f"{raw} bytes, {name.count('/') + 1} components, longest {longest} bytes"


@pytest.mark.req("APP-NAME-7", "APP-NAME-1")
def test_deep_names_within_the_limits_are_not_refused(
    target: Target, app_channel: AppChannel
) -> None:
    """Gets of names of 64 to 2048 one-byte components (at most 4095 bytes) that name no
    file: `not_found`, never `forbidden` — APP-NAME-1 limits bytes, not components."""
    require(target, "get")
    channel = app_channel()
    wrong = []
    for depth in _DEPTHS:
        name = _deep_name(depth, fresh_name("sft-deep"))
        if len(name.encode("utf-8")) > 4096:
            continue
        got = _answer(channel, name)
        if got != "not_found":
            wrong.append(f"{depth} components ({_size(name)}): {got}")
    if wrong:
        raise ConformanceFailure.evidence(
            "APP-NAME-7: gets of names within 4096 bytes and 255 bytes per component, with "
            "many components, naming no file",
            "EROR not_found for each (a name within the limits is not refused for its length)",
            "\n".join(wrong),
        )


@pytest.mark.req("APP-PUT-2", "APP-NAME-7")
def test_deep_put_is_stored_under_its_basename(target: Target, app_channel: AppChannel) -> None:
    """A put offered under some 2000 one-byte directories (4096 bytes in all): accepted
    and stored under its basename (APP-PUT-2: directory components are no reason to
    refuse a name)."""
    require(target, "put")
    base = fresh_name("sft-deep-put")
    name = _deep_name((4096 - len(base)) // 2 + 1, base)
    data = os.urandom(32)
    answer, final = put_file(app_channel(), name, data)
    want = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    done = final.frame.json() if final is not None and final.frame is not None else None
    got = {k: done.get(k) for k in want} if isinstance(done, dict) else done
    if answer.frame is None or answer.frame.type != b"RSFL" or got != want:
        raise ConformanceFailure.evidence(
            f"APP-PUT-2: PUTF of {base!r} under {name.count('/')} directories "
            f"({_size(name)}), then its DATA and DONE",
            f"RSFL {{accept}} and DONE {want}: stored under the basename",
            final.describe() if final is not None else answer.describe(),
        )
    if target.inbox is not None and (target.inbox / base).read_bytes() != data:
        raise ConformanceFailure(f"APP-PUT-2: {base!r} in the inbox does not hold the put")


def _repeat(unit: str, size: int) -> str:
    """`unit` repeated to just above `size` UTF-8 bytes."""
    width = len(unit.encode("utf-8"))
    return unit * (size // width + 1)


# (case, name, expected answer). NFD "e" + U+0301 is 3 bytes, NFC "é" 2; U+FB01 "ﬁ" is 3
# bytes, NFKC "fi" 2; NFC "é" (U+00E9) is 2 bytes, NFD 3.
def _normalisation_cases() -> list[tuple[str, str, str]]:
    nfd_e = "e\u0301"
    cases = [
        ("component over 255 bytes in NFD, within in NFC", _repeat(nfd_e, 255), "forbidden"),
        ("component over 255 bytes, within in NFKC", _repeat("\ufb01", 255), "forbidden"),
        (
            "name over 4096 bytes in NFD, within in NFC",
            "/".join([nfd_e * 85] * 17),
            "forbidden",
        ),
        ("component of 254 bytes in NFC, 381 in NFD", "\u00e9" * 127, "not_found"),
        ("component of 255 bytes of U+FB01, 170 in NFKC", "\ufb01" * 85, "not_found"),
    ]
    for _case, name, _want in cases:
        forms = {unicodedata.normalize(form, name) for form in ("NFC", "NFD", "NFKC")}
        assert len(forms) > 1, "each case must change under normalisation"
    return cases


@pytest.mark.req("APP-NAME-1", "APP-NAME-7", "APP-NAME-3")
def test_limits_are_measured_on_the_name_as_sent(target: Target, app_channel: AppChannel) -> None:
    """Names beyond the limits in their own UTF-8 bytes but within them once normalised:
    `forbidden`; names within the limits whose NFD form would not be: `not_found`."""
    require(target, "get")
    channel = app_channel()
    wrong = []
    for case, name, want in _normalisation_cases():
        got = _answer(channel, name)
        if got != want:
            wrong.append(f"{case} ({_size(name)}): {got}, expected {want}")
    if wrong:
        raise ConformanceFailure.evidence(
            "APP-NAME-1/7: gets of names whose length differs once normalised",
            "forbidden beyond 4096 / 255 bytes of the name as sent, not_found within them",
            "\n".join(wrong),
        )
