"""A put whose SHA-256 begins with zero digits gets its own digest back, all 64 digits
(docs/SPEC.md §1 FRM-12, FRM-14; §3.4 APP-PUT-5); both profiles.

The responder's `DONE` after a put carries "`{size, sha256}`" (APP-PUT-5) and `sha256`
members are "exactly 64 lowercase hexadecimal characters" (FRM-12), which a sender MUST
NOT break (FRM-14). A digest turned into text through a number loses its leading zero
digits: Java's `new BigInteger(1, d).toString(16)`, Python's `format(int.from_bytes(d),
"x")`, JavaScript's `BigInt(...).toString(16)`, Go's `big.Int.Text(16)`; a byte loop with
`%x` instead of `%02x` loses the zero digit of every byte below 0x10. The first kind
shows in one digest in 16, so random test data may or may not meet it in a run; here the
contents are chosen so that their digests begin with one, two and three zero digits, and
hold a zero byte inside. The same encoder on the responder's side of the comparison
(its digest text against the `DONE` the initiator sent) refuses the honest put with
`integrity_failed` instead: both are failures of this round trip.

Each content is put on one connection (a refusal opens a new one). Needs the `put`
feature; runs against either profile's responder.

The get's side: the same contents written into the target's share (when it declares
a `share` on this host the suite can write to, as test_app_share_files.py does) and got
on one connection: RSFL.size bytes, then a DONE whose sha256 is their digest, all 64
digits [APP-GET-2] (the share's usual files may all have digests that begin with a
non-zero digit, so the get path's encoder is otherwise never tested on one).

The initiator's side of the same round trip (its `PUTF.sha256` and `DONE` for a file
whose digest begins with three zero digits, and its reading of the honest receipt): one
put through the target's `client_put_cmd` to the suite's responder (test_client_put.py's),
[FRM-14] and [APP-PUT-4]; skipped for a target without a put initiator.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, get_file, put_file, require
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_put import Answer, Problems, _fail, _judge_common, _judge_sent_file
from conformance.test_client_put import _run_put as run_client_put
from conformance.wire import ConformanceFailure

_SHA = re.compile(r"[0-9a-f]{64}")
_TRIES = 200_000  # a digest beginning with three zero digits comes once in 4096


def _contents() -> dict[str, bytes]:
    """Contents whose SHA-256 hex begins with exactly 1, 2 and 3 zero digits, and one
    whose digest holds a zero byte (`00` on a byte boundary) after a non-zero first digit,
    found by counting (deterministic, bounded)."""
    wanted = {"one leading zero digit": 1, "two (a zero byte)": 2, "three": 3}
    found: dict[str, bytes] = {}
    inner: bytes | None = None
    for i in range(_TRIES):
        data = b"sft digest digits %d\n" % i
        digest = hashlib.sha256(data).hexdigest()
        zeros = len(digest) - len(digest.lstrip("0"))
        for label, count in wanted.items():
            if zeros == count and label not in found:
                found[label] = data
        if inner is None and zeros == 0 and "00" in (digest[k : k + 2] for k in range(2, 64, 2)):
            inner = data
        if len(found) == len(wanted) and inner is not None:
            break
    assert len(found) == len(wanted) and inner is not None, "no such contents found"
    found["a zero byte inside"] = inner
    return found


@pytest.mark.req("FRM-14", "APP-PUT-5")
def test_put_receipt_keeps_every_digit_of_the_digest(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    channel = app_channel()
    problems: list[str] = []
    for label, data in _contents().items():
        digest = hashlib.sha256(data).hexdigest()
        name = fresh_name("sft-digest-digits")
        offer, final = put_file(channel, name, data)
        if final is None:
            problems.append(
                f"{label} ({digest[:8]}…): the put was not accepted: {offer.describe()}"
            )
            channel = app_channel()
            continue
        if final.frame is None or final.frame.type != b"DONE":
            problems.append(
                f"{label} ({digest[:8]}…): the honest put's DONE answered {final.describe()}"
            )
            channel = app_channel()
            continue
        receipt = final.frame.json() or {}
        got = receipt.get("sha256")
        if not (isinstance(got, str) and _SHA.fullmatch(got)) or got != digest:
            problems.append(
                f"{label}: DONE sha256 {got!r} ({len(got) if isinstance(got, str) else '-'} "
                f"characters), not the put's digest {digest!r}"
            )
        if receipt.get("size") != len(data):
            problems.append(f"{label}: DONE size {receipt.get('size')!r}, not {len(data)}")
    if problems:
        raise ConformanceFailure.evidence(
            "FRM-14/APP-PUT-5: puts whose SHA-256 begins with 1, 2, 3 zero digits or holds a "
            "zero byte, one connection, each with the right DONE",
            "each acknowledged with DONE {size, sha256}: the put's own digest, exactly 64 "
            "lowercase hex digits, leading zeros kept",
            "\n".join(problems),
        )


@pytest.mark.req("FRM-14", "APP-PUT-4")
def test_initiator_put_sends_every_digit_of_its_digest(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The target's put initiator sends a file whose SHA-256 begins with `000` to an
    honest responder: PUTF.sha256 (when sent) and DONE.sha256 are the 64-digit digest, and
    the honest receipt, which carries it, is reported as success."""
    data = _contents()["three"]
    put = run_client_put(target, tmp_path, transcripts, Answer(), data)
    problems: Problems = []
    _judge_common(put, problems)
    _judge_sent_file(put, problems)
    if not problems and not put.run.succeeded:
        problems.append(
            (
                "APP-PUT-4",
                "the responder stored the put and answered DONE with its digest "
                f"{hashlib.sha256(data).hexdigest()}, yet the client reported failure "
                f"({put.run.describe()}: {put.run.stderr.strip()[-200:]})",
            )
        )
    _fail(put, problems, "a put of a file whose SHA-256 begins with 000 to an honest responder")


@pytest.mark.req("APP-GET-2", "FRM-14")
def test_get_done_keeps_every_digit_of_the_digest(target: Target, app_channel: AppChannel) -> None:
    require(target, "get")
    share = target.share
    if share is None or not share.is_dir():
        pytest.skip("the target declares no share on this host the suite can write to (`share`)")
    problems: list[str] = []
    with contextlib.ExitStack() as stack:
        names: dict[str, tuple[str, bytes]] = {}
        for label, data in _contents().items():
            path = share / f"sft-digest-digits-{secrets.token_hex(6)}.bin"
            try:
                path.write_bytes(data)
            except OSError as exc:
                pytest.skip(f"cannot write into the declared share: {exc}")
            stack.callback(path.unlink, missing_ok=True)
            names[label] = (path.name, data)
        channel = app_channel()
        for label, (name, data) in names.items():
            digest = hashlib.sha256(data).hexdigest()
            try:
                got = get_file(channel, name)
            except ConformanceFailure as failure:
                problems.append(f"{label} ({digest[:8]}…): {failure}")
                channel = app_channel()
                continue
            done = got.done.json() if got.done is not None else None
            sha = (done or {}).get("sha256")
            if got.data != data or not (isinstance(sha, str) and _SHA.fullmatch(sha)):
                problems.append(f"{label}: got {len(got.data)} bytes, DONE sha256 {sha!r}")
    if problems:
        raise ConformanceFailure.evidence(
            "APP-GET-2/FRM-14: gets of share files whose SHA-256 begins with 1, 2, 3 zero "
            "digits or holds a zero byte, one connection",
            "each served as RSFL, exactly its bytes, DONE {size, sha256}: their digest, "
            "exactly 64 lowercase hex digits, leading zeros kept",
            "\n".join(problems),
        )
