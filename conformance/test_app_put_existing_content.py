"""A put of a name the inbox holds is `exists`, whatever the put offers — the same bytes
included (docs/SPEC.md §3.4 APP-PUT-3, APP-PUT-1); both profiles.

APP-PUT-3: "a name that already exists in the inbox MUST be answered `exists` before any
data is sent". A responder that looks at the stored file before answering can be
tempted to judge the OFFER instead of the name:

- an idempotent retry: a PUTF whose `sha256` (or size and `sha256`) equals the stored
  file's is taken for the retry of a put whose receipt was lost, and answered
  `RSFL {accept}` and then `DONE` without storing (or re-stored) — the initiator is told
  its put was stored although the name was taken;
- a resume: a stored file shorter than the offer, or of the same size, is taken for an
  interrupted upload to be continued or re-sent;
- a content-addressed inbox: equal content is "already there".

Every one of these answers the second PUTF with something other than `exists`, and the
ones that accept it send `DONE` for a put whose name was taken.

For each shape a fresh name is first put (and acknowledged with `DONE`); then, on the
same connection, the same name is offered again: with the same size and the same
`sha256` in PUTF, with the same size and no `sha256`, with a longer size whose first
bytes are the stored ones, and under a directory part (`sub/<name>`, stored under its
basename, APP-PUT-2). Each must be answered `EROR exists` before any data; an empty file
the same way (an empty put offered again with the empty digest). When the target declares
its inbox on this host, the stored file must still hold the first put's bytes.

Fixtures (conformance/plugin.py): `target`, `app_channel()`. Needs the `put` feature.
"""

from __future__ import annotations

import hashlib

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

_FIRST = b"the first put of this name\n" * 3


def _offers(name: str, data: bytes) -> dict[str, tuple[str, bytes, str | None]]:
    """case -> (offered name, bytes, PUTF.sha256) for a second put of a stored `name`."""
    digest = hashlib.sha256(data).hexdigest()
    longer = data + b"and more\n"
    return {
        "same bytes, PUTF sha256": (name, data, digest),
        "same bytes, no sha256": (name, data, None),
        "stored bytes then more (a resume)": (name, longer, hashlib.sha256(longer).hexdigest()),
        "same bytes under sub/, PUTF sha256": (f"sub/{name}", data, digest),
    }


def _store(channel: Channel, name: str, data: bytes) -> str | None:
    """Puts `data` as `name`; None when stored (DONE), else what happened."""
    answer, final = put_file(channel, name, data, putf_sha=hashlib.sha256(data).hexdigest())
    if final is None or final.frame is None or final.frame.type != b"DONE":
        return (final or answer).describe()
    return None


@pytest.mark.req("APP-PUT-3", "APP-PUT-1")
@pytest.mark.parametrize("size", ["non-empty", "empty"])
def test_second_put_of_a_stored_name_is_exists_whatever_it_offers(
    target: Target, app_channel: AppChannel, size: str
) -> None:
    require(target, "put")
    first = _FIRST if size == "non-empty" else b""
    offers = _offers("-", first)
    if size == "empty":  # an empty file: the same empty put again, and a longer one
        offers = {k: v for k, v in offers.items() if "resume" in k or "PUTF sha256" in k}
    channel = app_channel()
    wrong: list[str] = []
    stored: dict[str, bytes] = {}
    for case in offers:
        name = fresh_name("sft-existing") + ".txt"
        problem = _store(channel, name, first)
        if problem is not None:
            pytest.skip(f"the first put of {name!r} was not stored, nothing to judge: {problem}")
        stored[name] = first
        offered, data, sha = _offers(name, first)[case]
        answer, final = put_file(channel, offered, data, putf_sha=sha)
        frame = answer.frame
        if frame is not None and frame.error_name == "exists":
            continue
        if frame is not None and frame.type == b"RSFL":
            then = final.describe().splitlines()[1].strip() if final is not None else "nothing"
            wrong.append(
                f"{case}: PUTF {offered!r} ({len(data)} bytes) accepted with RSFL, and after "
                f"its data {then}"
            )
        else:
            wrong.append(f"{case}: PUTF {offered!r}: {answer.describe().splitlines()[1].strip()}")
        channel.close()  # whatever state the answer left it in
        channel = app_channel()
    channel.close()
    changed = []
    if target.inbox is not None:
        for name, data in stored.items():
            path = target.inbox / name
            if not path.is_file() or path.read_bytes() != data:
                changed.append(
                    f"{name!r} in {target.inbox}: "
                    + ("missing" if not path.is_file() else f"{path.stat().st_size} other bytes")
                )
    if wrong or changed:
        raise ConformanceFailure.evidence(
            f"APP-PUT-3: a stored {size} file's name offered again ({len(wrong)} of "
            f"{len(offers)} offers not refused)",
            "EROR exists before any data for each offer (the name is taken, whatever the "
            "offer's size or digest), and the stored file unchanged",
            "\n".join(wrong + changed),
        )
