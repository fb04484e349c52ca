"""An sft-eke/1 CLIENT verifies each key confirmation exactly as §5.3 defines it — AES-256-GCM
under the whole confirmation key, a 16-byte tag — and takes the server's nonce Ns as the
32 bytes it is, whatever they hold (SPEC EKE-HS-4, EKE-HS-7, FRM-12, EKE-HS-5).

A client "relaxed to interoperate" opens what a real key holder could also have made under
a weaker rule; the suite, which holds every key, makes exactly those:

* [FRM-12], [EKE-HS-4] C2 with its GCM tag TRUNCATED (12 or 4 bytes: a correct GCM tag of
  that length, so a client taking the tag length from `c`'s length verifies it): `c` is
  exactly 96 hex digits, so no EKE3, non-zero exit.
* [EKE-HS-4] C2 sealed under ANOTHER suite with the right key material: AES-128-GCM under
  the first (or last) 16 bytes of Kcs, ChaCha20-Poly1305 under Kcs, same nonce N2 and
  associated data. C2 does not verify: EROR auth_failed, no EKE3.
* [EKE-HS-7] C4 likewise truncated or sealed under AES-128-GCM: the server has not proven
  it knows the password; the client sends no request and does not succeed.
* [EKE-HS-5] an honest server whose Ns starts with a zero byte (or two, or holds one in
  its middle, or ends with one): C3's plaintext is Na ‖ Ns, all 32 bytes of Ns, so the
  login completes and the get succeeds. A client that keeps Ns as a number (leading zeros
  lost) or as a C string (cut at the first NUL) sends a C3 the server cannot verify.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from Crypto.Cipher import AES, ChaCha20_Poly1305

from conformance import eke
from conformance import test_eke_client_transfer as lies
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    ClientCase,
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    read_inner,
    run_case,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    deadline_after,
)

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_AFTER_EKE4 = 2.5  # how long the suite watches for a request after a bad EKE4
_PASSWORD = fresh_password()


def _pw(target: Target) -> bytes:
    return eke_pw(client_user(target), _PASSWORD)


def _run(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, behaviour: object
) -> ClientCase:
    return run_case(
        target,
        tmp_path,
        transcripts,
        behaviour,  # type: ignore[arg-type]
        name=lies.NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT,
    )


# -- how a confirmation is sealed under a weaker rule --------------------------------------

Sealer = Callable[[bytes, bytes, bytes, bytes, bytes], bytes]  # (key, nonce, plain, ad, honest)


def _truncated(tag_len: int) -> Sealer:
    def seal(key: bytes, nonce: bytes, plain: bytes, ad: bytes, honest: bytes) -> bytes:
        # A GCM tag of t bytes is the first t bytes of the full tag (NIST SP 800-38D).
        return honest[: len(plain) + tag_len]

    return seal


def _aes128(half: slice) -> Sealer:
    def seal(key: bytes, nonce: bytes, plain: bytes, ad: bytes, honest: bytes) -> bytes:
        cipher = AES.new(key[half], AES.MODE_GCM, nonce=nonce, mac_len=16)
        cipher.update(ad)
        sealed, tag = cipher.encrypt_and_digest(plain)
        return bytes(sealed + tag)

    return seal


def _chacha(key: bytes, nonce: bytes, plain: bytes, ad: bytes, honest: bytes) -> bytes:
    cipher = ChaCha20_Poly1305.new(key=key, nonce=nonce)
    cipher.update(ad)
    sealed, tag = cipher.encrypt_and_digest(plain)
    return bytes(sealed + tag)


_C2_TAGS: dict[str, Sealer] = {"tag-12-bytes": _truncated(12), "tag-4-bytes": _truncated(4)}
_SUITES: dict[str, Sealer] = {
    "aes128-gcm-first-half": _aes128(slice(0, 16)),
    "chacha20-poly1305": _chacha,
    "aes128-gcm-last-half": _aes128(slice(16, 32)),
}
_C4_FORMS: dict[str, Sealer] = {
    "tag-12-bytes": _truncated(12),
    "aes128-gcm-first-half": _aes128(slice(0, 16)),
}
_SLOW = frozenset({"aes128-gcm-last-half", "chacha20-poly1305", "tag-4-bytes"})


class _Seen:
    eror: ReceivedFrame | None = None
    after_eke4: str = ""


def _c2_behaviour(pw: bytes, sealer: Sealer, seen: _Seen) -> object:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(event.json() or {})
        assert server.keys is not None
        keys = server.keys
        c2 = sealer(keys.kcs, eke.N2, server.ns, b"EKE2" + keys.th, bytes.fromhex(eke2["c"]))
        raw.send_frame(b"EKE2", {"b": eke2["b"], "c": c2.hex()})
        answer = read_frame(raw, view, _TIMEOUT)
        if isinstance(answer, ReceivedFrame) and answer.type == b"EROR":
            seen.eror = answer
            read_frame(raw, view, _TIMEOUT)

    return behaviour


def _judge_c2(case: ClientCase, what: str, *, auth_failed: bool, own: str) -> None:
    problems = []
    if case.view.saw("EKE3"):
        problems.append("it sent EKE3 (took C2 as verified)")
    if auth_failed and not case.view.saw("EROR auth_failed"):
        sent = [f for f in case.view.frames if f.startswith("EROR")] or "none"
        problems.append(f"no EROR auth_failed (it sent {sent})")
    if case.result.succeeded or case.result.kept_file:
        problems.append("it reported success")
    if problems:
        failure = ConformanceFailure.evidence(
            what,
            "no EKE3" + (", EROR auth_failed" if auth_failed else "") + ", non-zero exit",
            "; ".join(problems),
            note=case.describe(),
        )
        failure.violates = (own,)
        raise failure


@pytest.mark.req("FRM-12", "EKE-HS-4")
@pytest.mark.parametrize(
    "form",
    [pytest.param(f, marks=[pytest.mark.slow] if f in _SLOW else []) for f in _C2_TAGS],
)
def test_client_refuses_a_c2_with_a_truncated_tag(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    form: str,
    request: pytest.FixtureRequest,
) -> None:
    """EKE2's `c` is Ns sealed under Kcs with a correct GCM tag of 12 or 4 bytes (module
    docstring): `c` is not the 96 hex digits §5.3 gives, so the client sends no EKE3 and
    fails (its EROR code is not judged: bad_frame or auth_failed)."""
    skip_slow_variant(request)
    seen = _Seen()
    behaviour = _c2_behaviour(_pw(eke_target), _C2_TAGS[form], seen)
    case = _run(eke_target, tmp_path, transcripts, behaviour)
    what = f"FRM-12: C2 with a correct GCM tag truncated ({form})"
    _judge_c2(case, what, auth_failed=False, own="FRM-12")


@pytest.mark.req("EKE-HS-4")
@pytest.mark.parametrize(
    "suite",
    [pytest.param(s, marks=[pytest.mark.slow] if s in _SLOW else []) for s in _SUITES],
)
def test_client_refuses_a_c2_sealed_under_another_suite(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    suite: str,
    request: pytest.FixtureRequest,
) -> None:
    """C2 is Ns sealed with the right key material, nonce N2 and associated data, but not
    under AES-256-GCM with the whole Kcs (module docstring): C2 does not verify, so the
    client answers EROR auth_failed and sends no EKE3."""
    skip_slow_variant(request)
    seen = _Seen()
    behaviour = _c2_behaviour(_pw(eke_target), _SUITES[suite], seen)
    case = _run(eke_target, tmp_path, transcripts, behaviour)
    _judge_c2(case, f"EKE-HS-4: C2 sealed under {suite}", auth_failed=True, own="EKE-HS-4")


@pytest.mark.req("EKE-HS-7")
@pytest.mark.parametrize("form", list(_C4_FORMS))
def test_client_refuses_a_c4_under_a_weaker_rule(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, form: str
) -> None:
    """An honest handshake whose C4 (Na under Kcs) has a correct but truncated tag, or is
    sealed under AES-128-GCM with half of Kcs: the server has not proven it knows the
    password. The client sends no request (no record) and does not succeed."""
    pw = _pw(eke_target)
    seen = _Seen()
    sealer = _C4_FORMS[form]

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        eke4 = server.on_eke3(event.json() or {})
        assert server.keys is not None
        keys = server.keys
        c4 = sealer(keys.kcs, eke.N4, server.na, b"EKE4" + keys.th, bytes.fromhex(eke4["c"]))
        raw.send_frame(b"EKE4", {"c": c4.hex()})
        deadline = deadline_after(_AFTER_EKE4)
        for _ in range(4):  # an EROR first is allowed; a record is a request
            got = raw.recv_frame(deadline)
            if isinstance(got, ReceivedFrame):
                view.frames.append(got.describe(80))
                if got.type == b"EROR":
                    continue
                seen.after_eke4 = f"it sent {got.describe(80)} after the EKE4"
            return

    case = _run(eke_target, tmp_path, transcripts, behaviour)
    problems = [seen.after_eke4] if seen.after_eke4 else []
    if case.result.succeeded or case.result.kept_file:
        problems.append("it reported success")
    if problems:
        raise ConformanceFailure.evidence(
            f"EKE-HS-7: C4 ({form}) from a server that did not prove it knows the password",
            "no request after EKE4, non-zero exit",
            "; ".join(problems),
            note=case.describe(),
        )


# -- Ns holding zero bytes: an honest login -------------------------------------------------


def _ns(form: str) -> bytes:
    body = bytearray(secrets.token_bytes(eke.NONCE_LEN))
    for i in range(eke.NONCE_LEN):  # no accidental zero byte besides the planted ones
        body[i] = body[i] or 0x5A
    if form == "first-byte-zero":
        body[0] = 0
    elif form == "two-leading-zeros":
        body[0] = body[1] = 0
    elif form == "zero-in-the-middle":
        body[16] = 0
    elif form == "last-byte-zero":
        body[-1] = 0
    return bytes(body)


_NS_FORMS = ("first-byte-zero", "zero-in-the-middle", "two-leading-zeros", "last-byte-zero")
_NS_DEFAULT = frozenset({"first-byte-zero", "zero-in-the-middle"})


@pytest.mark.req("EKE-HS-5")
@pytest.mark.parametrize(
    "form",
    [pytest.param(f, marks=[] if f in _NS_DEFAULT else [pytest.mark.slow]) for f in _NS_FORMS],
)
def test_client_confirms_an_ns_holding_zero_bytes(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    form: str,
    request: pytest.FixtureRequest,
) -> None:
    """An honest server whose Ns holds a zero byte (`form`): the client's C3 seals Na ‖ Ns
    with all 32 bytes of Ns, the server verifies it, and the get of an honest file
    succeeds."""
    skip_slow_variant(request)
    pw = _pw(eke_target)
    ns = _ns(form)
    verdict: dict[str, str] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            verdict["login"] = "no EKE1"
            return
        server = eke.ServerHandshake(pw=pw, ns=ns)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            verdict["login"] = f"no EKE3 ({event.describe()})"
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError as exc:
            verdict["login"] = f"its C3 does not verify with Ns = {ns.hex()} ({exc})"
            return
        raw.send_frame(b"EKE4", eke4)
        assert server.keys is not None
        sender, receiver = server.record_layer()
        channel = EkeChannel(raw, server.keys, sender, receiver, role="server")
        request_frame = read_inner(channel, view, _TIMEOUT)
        if not isinstance(request_frame, ReceivedFrame) or request_frame.type != b"RQFL":
            verdict["login"] = f"no RQFL after EKE4 ({request_frame.describe()})"
            return
        server_side = lies.LyingServer(channel, view, tmp_path)
        server_side.honest()
        server_side.await_reaction()

    started = time.monotonic()
    case = _run(eke_target, tmp_path, transcripts, behaviour)
    problems = []
    if "login" in verdict:
        problems.append(verdict["login"])
    if not case.result.succeeded:
        problems.append(f"the get failed (after {time.monotonic() - started:.1f} s)")
    elif case.result.kept_file and case.result.out.read_bytes() != lies.CONTENT:
        problems.append("it kept other bytes than the honest file's")
    if problems:
        raise ConformanceFailure.evidence(
            f"EKE-HS-5: an honest server whose Ns has a zero byte ({form}: {ns.hex()})",
            "C3 = AEAD(Kcc, N3, Na ‖ Ns) over all 32 bytes of Ns: the login completes and "
            "the get succeeds",
            "; ".join(problems),
            note=case.describe(),
        )
