"""An sft-eke/1 CLIENT's key schedule and records, checked by an independent server (§5.3–§5.5).

An implementation's own client and server agree on their shared mistakes (a transcript
without its length, HKDF's arguments swapped, one record key for both directions, a
nonce without the sequence number); only an independent peer notices them. The suite
plays an honest server and checks every byte the client sealed — C3 and its first
record. When something does not verify, the failure is diagnosed
(conformance/eke_diagnosis.py) and the FAIL names the requirement the client broke:

* its C3 or its first record does not open: the suite holds every key of the session,
  and tries the known deviations on the client's bytes (one client run);
* it refuses the suite's honest C2 (and so never sends C3): the suite runs the client
  again, once per known deviation, with C2 sealed the way that deviation expects; the
  one the client accepts (it answers EKE3) is what it computes;
* its records open but it does not complete the honest get (its opener differs from its
  sealer): the get is served again, once per known deviation of a record opener, and
  the one under which it completes names the bug.

Only the last two cost more runs, and only for a client that already failed.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_diagnosis import (
    ClientVariant,
    Diagnosis,
    RecordVariant,
    client_record_variants,
    client_swapped_permutation,
    client_variants,
    diagnose_c3,
    diagnose_record,
)
from conformance.eke_hostile import (
    Behaviour,
    ClientCase,
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    read_frame,
    run_case,
    serve_records,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
)

pytestmark = pytest.mark.side("initiator")

NAME = "offered.txt"
CONTENT = b"the file the key-schedule server offers\n"
_TIMEOUT = 5.0
_MAX_VARIANT_RUNS = 24  # one client run per known deviation, at most


@dataclass
class _Seen:
    """What the honest server found in one run."""

    refused_c2: bool = False  # the client answered our honest EKE2 with no EKE3
    diagnosis: Diagnosis | None = None
    problem: str = ""  # what did not verify, when no deviation explains it
    record_opened: bool = False
    # With `record_variant`: the server's records were sealed for that deviation.
    record_variant: int | None = None
    offered: RecordVariant | None = None
    exhausted: bool = False
    refused_eke4: bool = False  # a right C3, then no record after our honest EKE4


def _honest(pw: bytes, seen: _Seen) -> Behaviour:
    """An honest server (its records sealed for deviation #seen.record_variant, if set)."""

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            seen.problem = f"no EKE1 ({event.describe()})"
            return
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            seen.refused_c2 = True
            seen.problem = f"after the honest EKE2 the client sent {event.describe()}"
            return
        obj = event.json() or {}
        try:
            eke4 = server.on_eke3(obj)
        except eke.EkeError as exc:
            c3 = bytes.fromhex(str(obj.get("c", ""))) if isinstance(obj.get("c"), str) else b""
            if server.keys is not None and c3:
                seen.diagnosis = diagnose_c3(server.keys, c3, server.ns)
            seen.problem = f"the client's C3 does not verify ({exc.detail})"
            return
        raw.send_frame(b"EKE4", eke4)
        assert server.keys is not None
        _sender, receiver = server.record_layer()
        seal = _sealer(server.keys, seen)
        if seal is None:
            return
        sent = 0

        def send(frame_type: str, body: bytes) -> None:
            nonlocal sent
            raw.send_raw(seal(frame_bytes(frame_type.encode(), body), sent))
            sent += 1

        # Every record the client seals until it leaves (a get: RQFL, then BYE_ or a close):
        # record #0's nonce is the IV whatever the sequence does, so the get is served to
        # see #1 as well.
        for _ in range(8):  # bounded: a get is a handful of records
            event = raw.recv_frame(deadline_after(_TIMEOUT))
            if not isinstance(event, ReceivedFrame) or event.type != b"RECD":
                if receiver.seq == 0:
                    seen.problem = f"after EKE4 the client sent {event.describe()}, not a record"
                    seen.refused_eke4 = True
                return
            seq = receiver.seq
            try:
                inner = receiver.open(event.raw)
            except eke.EkeError as exc:
                seen.record_opened = False
                seen.diagnosis = diagnose_record(server.keys, event.raw, seq, from_server=False)
                seen.problem = f"the client's record #{seq} does not open ({exc.detail})"
                return
            seen.record_opened = True
            frame_type, payload = eke.decode_frame_payload(inner)
            view.inner.append(ReceivedFrame(frame_type, payload).describe(80))
            if frame_type == b"RQFL":
                digest = hashlib.sha256(CONTENT).hexdigest()
                size = len(CONTENT)
                send("RSFL", control({"name": NAME, "size": size, "sha256": digest}))
                send("DATA", CONTENT)
                send("DONE", control({"size": size, "sha256": digest}))
            elif frame_type == b"BYE_":
                send("BYE_", control({}))
                return

    return behaviour


def _sealer(keys: eke.SessionKeys, seen: _Seen) -> Callable[[bytes, int], bytes] | None:
    """How the server seals record #seq: per §5.4–§5.5, or for the deviation offered."""
    if seen.record_variant is None:
        return lambda inner, seq: eke.seal_record(keys.key_s2c, keys.iv_s2c, seq, inner)
    variants = client_record_variants(keys)
    if seen.record_variant >= len(variants):
        seen.exhausted = True
        return None
    seen.offered = variants[seen.record_variant]
    return seen.offered.seal


@dataclass
class _Offer:
    """One run offering deviation #index: whether the client accepted it."""

    index: int
    accepted: ClientVariant | None = None
    exhausted: bool = False  # fewer deviations than index: the search is over


def _offering(pw: bytes, offer: _Offer) -> Behaviour:
    """A server that seals C2 the way deviation #index expects; notes it if accepted."""

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        obj = event.json() or {}
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(obj)
        a = bytes.fromhex(str(obj.get("a", "")))
        user = str(obj.get("user", ""))
        # The same deviation at the same index in every run, whatever this run's A: the
        # list's length does not depend on the session.
        z_int = int.from_bytes(server.keys.z, "big") if server.keys is not None else 2
        variants = list(client_variants(user, a, server.b, z_int))
        if offer.index > len(variants):
            offer.exhausted = True
            return
        if offer.index == len(variants):
            swapped = client_swapped_permutation(pw, user, a, server.exponent, server.b)
            if swapped is None:  # this run's A does not decode with E_pw: nothing to offer
                return
            variant = swapped
        else:
            variant = variants[offer.index]
        b = variant.b.hex() if variant.b else eke2["b"]
        raw.send_frame(b"EKE2", {"b": b, "c": variant.seal_c2(server.ns).hex()})
        event = read_frame(raw, view, _TIMEOUT)
        if isinstance(event, ReceivedFrame) and event.type == b"EKE3":
            offer.accepted = variant

    return behaviour


def _got_file(case: ClientCase) -> bool:
    result = case.result
    return result.succeeded and result.kept_file and result.out.read_bytes() == CONTENT


def _diagnose_opener(
    target: Target,
    workdir: Path,
    transcripts: TranscriptBook,
    pw: bytes,
    password: str,
    honest: ClientCase,
) -> None:
    """The client sealed its records right but did not complete an honest get: serve the
    get again, its records sealed for each known deviation of a record opener; the one
    under which the client completes the get is what its opener does."""
    for index in range(_MAX_VARIANT_RUNS):
        trial = _Seen(record_variant=index)
        case = run_case(
            target, workdir, transcripts, _honest(pw, trial),
            name=NAME, password=password, timeout=_TIMEOUT,
        )  # fmt: skip
        if trial.exhausted:
            break
        if trial.offered is not None and _got_file(case):
            raise ConformanceFailure(
                "the client under test did not complete a get from an honest server (its "
                "own records were right), and completed it once the server sealed its "
                f"records for a deviation: {trial.offered.finding}\n"
                f"{trial.offered.requirement} violated (AES-GCM opens only under the key, "
                "nonce and associated data it was sealed with)\nthe honest run: "
                + honest.describe(),
                violates=(trial.offered.requirement,),
            )
    pytest.skip(
        "the client did not complete the honest get, and no known deviation of its record "
        "opener explains it (the get is judged by test_eke_client_transfer.py): "
        + honest.describe()
    )


@pytest.mark.req(
    "EKE-HS-4", "EKE-HS-5", "EKE-KS-1", "EKE-KS-2", "EKE-KS-3", "EKE-KS-4", "EKE-FEI-2",
    "EKE-REC-1", "EKE-REC-2", "EKE-REC-3",
)  # fmt: skip
def test_client_key_schedule_and_records_follow_the_spec(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """An honest handshake and get: the client's C3 and records must verify under
    §5.3–§5.5, it must open the server's, and any deviation is named by the requirement
    it breaks."""
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    seen = _Seen()
    case = run_case(
        eke_target, tmp_path, transcripts, _honest(pw, seen),
        name=NAME, password=password, timeout=_TIMEOUT,
    )  # fmt: skip
    if seen.diagnosis is not None:
        raise ConformanceFailure(
            f"the client under test, against an honest server: {seen.problem}\n"
            f"{seen.diagnosis.describe()} (the bytes open under that deviation and no other)\n"
            + case.describe(),
            violates=(seen.diagnosis.requirement,),
        )
    if seen.record_opened:
        if not _got_file(case):
            _diagnose_opener(eke_target, tmp_path, transcripts, pw, password, case)
        return
    if not seen.refused_c2:
        if "does not" in seen.problem:
            raise ConformanceFailure(
                f"the client under test, against an honest server: {seen.problem}; no known "
                "deviation of §5.3–§5.5 explains it\n" + case.describe(),
                violates=("EKE-HS-5",) if "C3" in seen.problem else ("EKE-REC-1",),
            )
        if seen.refused_eke4:
            _diagnose_eke4(eke_target, tmp_path, transcripts, pw, password, case)
        pytest.skip(f"the client never reached its first record: {seen.problem}")
    # The client refused an honest C2: offer C2 the way each known deviation expects.
    for index in range(_MAX_VARIANT_RUNS):
        offer = _Offer(index)
        run_case(
            eke_target, tmp_path, transcripts, _offering(pw, offer),
            name=NAME, password=password, timeout=_TIMEOUT,
        )  # fmt: skip
        if offer.exhausted:
            break
        if offer.accepted is not None:
            variant = offer.accepted
            raise ConformanceFailure(
                "the client under test refused the honest server's C2 (sealed under "
                f"§5.3–§5.4) and accepted one sealed for a deviation: {variant.finding}\n"
                f"{variant.requirement} violated (C2 opens only under the key, nonce and "
                "associated data it was sealed with)\nthe honest run: " + case.describe(),
                violates=(variant.requirement,),
            )
    raise ConformanceFailure(
        f"the client under test refused an honest server's C2 ({seen.problem}) and every "
        "known deviation's C2 too: its key schedule or C2 check breaks §5.3–§5.4 in a way "
        "the diagnosis does not know\n" + case.describe(),
        violates=("EKE-HS-4",),
    )


# ---------------------------------------------------------------- a client that refuses EKE4
#
# A client whose C3 verifies but that sends no record after an honest EKE4 opens C4 some
# other way. Offered C4 sealed the way each known deviation expects, the one after which it
# sends its request is what it does: the key of the other confirmation or a record key
# [EKE-KS-4], another step's nonce [EKE-HS-7].
_EKE4_DEVIATIONS: tuple[tuple[str, str, str, bytes], ...] = (
    ("EKE-KS-4", "C4 opened under Kcc (the key C3 is sealed with), not Kcs", "kcc", eke.N4),
    ("EKE-KS-4", "C4 opened under the s2c record key, not Kcs", "key_s2c", eke.N4),
    ("EKE-KS-4", "C4 opened under the c2s record key, not Kcs", "key_c2s", eke.N4),
    ("EKE-HS-7", "C4 opened with nonce N2 (C2's), not N4", "kcs", eke.N2),
    ("EKE-HS-7", "C4 opened with nonce N3 (C3's), not N4", "kcs", eke.N3),
)


def _eke4_offer(pw: bytes, key_name: str, nonce: bytes, accepted: list[bool]) -> Behaviour:
    """An honest server up to EKE3; C4 sealed under `key_name` and `nonce` (AD and
    plaintext as §5.3); notes whether the client then sends a record."""

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        try:
            server.on_eke3(event.json() or {})
        except eke.EkeError:
            return
        assert server.keys is not None
        key = getattr(server.keys, key_name)
        c4 = eke.aead_seal(key, nonce, server.na, b"EKE4" + server.keys.th)
        raw.send_frame(b"EKE4", {"c": c4.hex()})
        event = raw.recv_frame(deadline_after(_TIMEOUT))
        accepted.append(isinstance(event, ReceivedFrame) and event.type == b"RECD")

    return behaviour


def _diagnose_eke4(
    target: Target,
    workdir: Path,
    transcripts: TranscriptBook,
    pw: bytes,
    password: str,
    honest: ClientCase,
) -> None:
    """FAIL with the deviation whose C4 the client takes (it refused the honest one)."""
    for requirement, finding, key_name, nonce in _EKE4_DEVIATIONS:
        accepted: list[bool] = []
        run_case(
            target, workdir, transcripts, _eke4_offer(pw, key_name, nonce, accepted),
            name=NAME, password=password, timeout=_TIMEOUT,
        )  # fmt: skip
        if accepted and accepted[0]:
            raise ConformanceFailure(
                "the client under test sent no request after an honest server's EKE4 (its "
                f"C3 verified), and sent one after a C4 sealed for a deviation: {finding}\n"
                f'{requirement} violated (C4 opens only under Kcs, N4 and "EKE4" ‖ th)\n'
                "the honest run: " + honest.describe(),
                violates=(requirement,),
            )


# ---------------------------------------------------------------- a user name beyond ASCII

# Its length differs in every unit a program may count: 12 UTF-8 bytes (what th and the
# scrypt salt carry, EKE-PW-1, EKE-KS-1), 7 characters (Python's len, Go's
# utf8.RuneCountInString), 8 UTF-16 code units (JavaScript's `.length`, Java's
# String.length()). A client tested only with ASCII names cannot show the difference.
_WIDE_USER = "zo\u00eb-\u00fc-\U0001f511"
_LENGTH_UNITS = {
    "characters": len(_WIDE_USER),
    "UTF-16 code units": len(_WIDE_USER.encode("utf-16-le")) // 2,
}


def _th_counted(user: str, a: bytes, b: bytes, counted: int) -> bytes:
    """th with u16be(`counted`) in place of the UTF-8 length of the user name."""
    raw = user.encode("utf-8")
    return hashlib.sha256(
        b"sft-eke/1 transcript" + struct.pack(">H", counted) + raw + a + b
    ).digest()


def _pw_counted(user: str, password: str, counted: int) -> bytes:
    """pw with u16be(`counted`) in place of the UTF-8 length in the scrypt salt."""
    salt = b"sft-eke/1" + struct.pack(">H", counted) + user.encode("utf-8")
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=2**15, r=8, p=1, maxmem=2**26, dklen=32
    )


def _wide_get(pw: bytes) -> Behaviour:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is not None:
            serve_records(channel, view, {NAME: CONTENT}, _TIMEOUT)

    return behaviour


def _th_offer(pw: bytes, counted: int, accepted: list[bool]) -> Behaviour:
    """EKE2 whose C2 is sealed under keys derived from the miscounted th."""

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        obj = event.json() or {}
        server = eke.ServerHandshake(pw=pw)
        server.on_eke1(obj)
        if server.keys is None:
            return
        th = _th_counted(str(obj.get("user", "")), bytes.fromhex(str(obj["a"])), server.b, counted)
        keys = eke.derive_keys(server.keys.z, th)
        c2 = eke.aead_seal(keys.kcs, eke.N2, server.ns, b"EKE2" + th)
        raw.send_frame(b"EKE2", {"b": server.b.hex(), "c": c2.hex()})
        event = read_frame(raw, view, _TIMEOUT)
        accepted.append(isinstance(event, ReceivedFrame) and event.type == b"EKE3")

    return behaviour


@pytest.mark.req("EKE-KS-1", "EKE-PW-1")
def test_client_counts_a_user_name_in_utf8_bytes(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[EKE-KS-1], [EKE-PW-1] The client logs in as a user name of 12 UTF-8 bytes, 7
    characters and 8 UTF-16 units, against an honest server: th and the scrypt salt carry
    u16be(12). When the login fails, the suite offers the login each miscount would
    expect (C2 sealed under th with the other length; pw derived with it) and names the
    one the client accepts. The name is a valid user name (EKE-PW-1: UTF-8, no controls)."""
    template = eke_target.client_cmd or ""
    if eke_target.client_cmd and "{user}" not in template + (eke_target.client_stdin or ""):
        pytest.skip("the client command takes no {user}: its user name is not the suite's")
    password = fresh_password()
    pw = eke_pw(_WIDE_USER, password)

    def run(behaviour: Behaviour) -> ClientCase:
        return run_case(
            eke_target, tmp_path, transcripts, behaviour,
            name=NAME, password=password, timeout=_TIMEOUT, user=_WIDE_USER,
        )  # fmt: skip

    honest = run(_wide_get(pw))
    if _got_file(honest):
        return
    if honest.view.saw("EKE3") and honest.view.inner:
        pytest.skip(
            "the client logged in with the wide user name but did not complete the get "
            "(judged by test_eke_client_transfer.py): " + honest.describe()
        )
    for unit, counted in _LENGTH_UNITS.items():
        accepted: list[bool] = []
        run(_th_offer(pw, counted, accepted))
        if any(accepted):
            raise ConformanceFailure(
                f"the client under test, logging in as {_WIDE_USER!r} (12 UTF-8 bytes), "
                f"refused the honest C2 and accepted one sealed under th = SHA-256(... ‖ "
                f"u16be({counted}) ‖ U ‖ A ‖ B): it counts the user name in {unit}\n"
                "EKE-KS-1 violated (th carries u16be(len(U)) with U in UTF-8 bytes)\n"
                "the honest run: " + honest.describe(),
                violates=("EKE-KS-1",),
            )
        trial = run(_wide_get(_pw_counted(_WIDE_USER, password, counted)))
        if trial.view.saw("EKE3") and trial.view.inner:
            raise ConformanceFailure(
                f"the client under test, logging in as {_WIDE_USER!r} (12 UTF-8 bytes), "
                f"failed against the honest pw and logged in once the server derived pw "
                f"with u16be({counted}) in the scrypt salt: it counts the user name in "
                f'{unit}\nEKE-PW-1 violated (the salt is "sft-eke/1" ‖ u16be(len(user)) '
                "‖ user, the length in UTF-8 bytes)\nthe honest run: " + honest.describe(),
                violates=("EKE-PW-1",),
            )
    raise ConformanceFailure(
        f"the client under test could not log in as {_WIDE_USER!r} (a valid user name, "
        "EKE-PW-1) against an honest server, and no miscount of its length explains it\n"
        + honest.describe(),
        violates=("EKE-PW-1",),
    )
