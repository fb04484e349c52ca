"""Names that only fold to a stored name are free names (docs/SPEC.md §3.4 APP-PUT-1,
APP-PUT-3, §3.5 APP-NAME-3).

`exists` means the inbox holds THAT name (APP-PUT-1), and names are used literally: never
case-folded or Unicode-normalised (APP-NAME-3). A responder whose existence check folds
names — written on a case-insensitive file system (macOS, Windows), or "helpfully"
comparing `lower()`, `casefold()`, NFC or NFKC forms — answers `exists` to a put whose
name merely folds to one the inbox holds, and refuses a legitimate file.

The class (lens 4 of round 18, "the deployment is not the developer's machine"): a name
is stored first, then a put of each of its look-alikes — the ASCII case swapped, a
character whose case folding is two letters (ß / ss), the Kelvin sign (its lower case is
ASCII k), the decomposed form of é (NFD vs NFC), full-width letters and a ligature (NFKC
forms) — MUST be accepted and stored under its own name, and the first file keeps its
bytes. One connection per look-alike; each pair's names are fresh. Both profiles.
"""

from __future__ import annotations

import uuid

import pytest

from conformance._wire_fixtures import AppChannel, put_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure

# id -> (stored first, offered next): the two are different strings (code points) that a
# case-blind or normalising comparison takes for the same name.
_PAIRS: dict[str, tuple[str, str]] = {
    "ascii-case": ("notes-{t}.txt", "NOTES-{t}.TXT"),
    "sharp-s-casefold": ("stra\u00dfe-{t}.txt", "strasse-{t}.txt"),
    "kelvin-sign": ("k-{t}.txt", "\u212a-{t}.txt"),
    "nfc-nfd": ("caf\u00e9-{t}.txt", "cafe\u0301-{t}.txt"),
    "fullwidth-nfkc": ("txt-{t}.txt", "\uff54\uff58\uff54-{t}.txt"),
    "ligature-nfkc": ("fi-{t}.txt", "\ufb01-{t}.txt"),
}


@pytest.mark.req("APP-PUT-1", "APP-NAME-3")
@pytest.mark.parametrize("pair", list(_PAIRS))
def test_put_of_a_look_alike_of_a_stored_name_is_stored(
    target: Target, app_channel: AppChannel, pair: str
) -> None:
    """PUTF A (stored), then PUTF B where B folds to A but is another string: B is accepted
    and acknowledged (not `exists`), and in a declared inbox both files hold their bytes."""
    require(target, "put")
    tag = uuid.uuid4().hex[:10]
    first, second = (name.format(t=tag) for name in _PAIRS[pair])
    assert first != second
    channel = app_channel()
    data_first = f"first: {first}\n".encode()
    answer, final = put_file(channel, first, data_first)
    answer.check(f"PUTF {first!r} (a fresh name)")
    if final is None or final.frame is None or final.frame.type != b"DONE":
        raise ConformanceFailure(f"APP-PUT-5: the put of {first!r}: {final}")
    data_second = f"second: {second}\n".encode()
    answer, final = put_file(channel, second, data_second)
    if answer.frame is None or answer.frame.type != b"RSFL":
        failure = ConformanceFailure.evidence(
            f"{pair}: {first!r} stored, then PUTF {second!r} — another name "
            f"({second.encode()!r} vs {first.encode()!r}); names are never case-folded or "
            "normalised [APP-NAME-3], so nothing holds it",
            "RSFL {accept: true}: `exists` only for a name the inbox holds [APP-PUT-1]",
            answer.describe(),
        )
        failure.violates = ("APP-PUT-1",)
        raise failure
    if final is None or final.frame is None or final.frame.type != b"DONE":
        raise ConformanceFailure(
            f"APP-PUT-1: {pair}: the put of {second!r}, accepted, then its bytes and DONE: "
            f"{final.describe() if final is not None else 'nothing'}"
        )
    if target.inbox is not None:
        for name, data in ((first, data_first), (second, data_second)):
            stored = target.inbox / name
            if not stored.is_file() or stored.read_bytes() != data:
                raise ConformanceFailure(
                    f"APP-PUT-1: {pair}: after the puts of {first!r} and {second!r}, the "
                    f"inbox's {name!r} is "
                    + ("missing" if not stored.is_file() else "not the bytes sent under it")
                )
