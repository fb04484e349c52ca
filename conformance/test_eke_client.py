"""An sft-eke/1 CLIENT's handshake under test, against the suite's hostile server (SPEC §5.1-5.4).

The client is launched from `--client-cmd 'TEMPLATE'` (placeholders `{host} {port}
{name} {out} {user} {password_file}`); for the embedded run, the reference's
`sft eke get`. The suite gives the client a password of its own making (beyond ASCII)
and plays the server: honest once (the baseline, with a password that has spaces and a
combining accent, used as given), then an impostor that does not know the password, a
server whose EKE4 is wrong in every way a lazy check would miss, one that hides an
invalid element Y' (0, 1, p−1, p, p+2) with the right key and derives C2 from the Z a
careless client would compute, and one that talks in clear after EKE4. Across runs
the client's x and Na must be fresh (EKE-HS-10), and nothing the client sends may
contain its password in any encoding (EKE-PW-3). The get itself is judged in
test_eke_client_transfer.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import unicodedata
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    NA_ECHOES,
    NA_SAMPLES,
    X_SAMPLES,
    ClientCase,
    ServerView,
    client_bytes,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    read_frame,
    run_case,
    serve_records,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    error_payload,
    frame_bytes,
    header_bytes,
)

# Every case judges the client under test (the initiator), not the embedded server.
# One worker runs the eke client files (xdist group): every run notes its EKE1 sign,
# so the sign case (test_eke_client_transfer.py) finds its dozen samples there instead
# of launching the client a dozen more times on a worker that ran none.
pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

CONTENT = b"the file the hostile server offers\n"
NAME = "offered.txt"
_TIMEOUT = 5.0
# One password per worker (scrypt once): beyond ASCII, so that every encoding differs.
_PASSWORD = fresh_password()


def _pw(target: Target, password: str = _PASSWORD) -> bytes:
    return eke_pw(client_user(target), password)


def _run(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    behaviour: Callable[[RawConnection, ServerView], None],
    *,
    password: str = _PASSWORD,
) -> ClientCase:
    return run_case(
        target, tmp_path, transcripts, behaviour, name=NAME, password=password, timeout=_TIMEOUT
    )


def _until_eke3(
    raw: RawConnection, view: ServerView, pw: bytes
) -> tuple[eke.ServerHandshake, dict[str, Any], dict[str, Any]] | None:
    """An honest EKE2, then the client's EKE3: (server, EKE1, EKE3), or None if the
    client stopped before it."""
    event = read_frame(raw, view, _TIMEOUT)
    if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
        return None
    eke1 = event.json() or {}
    server = eke.ServerHandshake(pw=pw)
    raw.send_frame(b"EKE2", server.on_eke1(eke1))
    event = read_frame(raw, view, _TIMEOUT)
    if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
        return None
    return server, eke1, event.json() or {}


def _establish(
    raw: RawConnection,
    view: ServerView,
    pw: bytes,
    timeout: float,
    **extra: dict[str, object] | None,
) -> EkeChannel | None:
    """`establish`, where a malformed EKE1 from the client (its hex in upper case, a
    missing member) ends the session like any refusal: the case then judges a client that
    did not complete (FAIL with the transcript), not a fault of the suite's server."""
    try:
        return establish(raw, view, pw, timeout, **extra)
    except eke.EkeError as exc:
        view.ended = f"the suite stopped: the client's EKE1 is malformed ({exc})"
        return None


def _records(raw: RawConnection, server: eke.ServerHandshake) -> EkeChannel:
    assert server.keys is not None
    sender, receiver = server.record_layer()
    return EkeChannel(raw, server.keys, sender, receiver, role="server")


def _refused(case: ClientCase, what: str) -> None:
    """The client gave up: non-zero exit, no file, no application frame sent."""
    problems = []
    if case.result.returncode is None:
        problems.append("the client did not end")
    elif case.result.succeeded:
        problems.append("the client reported success")
    if case.result.kept_file:
        problems.append("the client kept the file")
    if case.view.inner or case.view.saw("RECD"):
        problems.append(f"the client sent application records: {case.view.inner or 'RECD'}")
    if problems:
        raise ConformanceFailure.evidence(
            what,
            "the client stops: non-zero exit, no file, no request sent",
            "; ".join(problems),
            note=case.describe(),
        )


def _password_forms(user: str, password: str, pw: bytes) -> dict[str, bytes]:
    """The password and pw in every encoding a careless client might put on the wire."""
    forms: dict[str, bytes] = {}
    texts = {"as given": password}
    for form in ("NFC", "NFD", "NFKC"):
        texts[form] = unicodedata.normalize(form, password)
    for label, text in texts.items():
        for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
            forms[f"password ({label}) in {codec}"] = text.encode(codec)
    raw = password.encode("utf-8")
    forms["password as JSON escapes"] = control({"p": password}).split(b'"')[3]
    forms["password as ASCII JSON escapes"] = password.encode("ascii", "backslashreplace").replace(
        b"\\x", b"\\u00"
    )
    for label, value in (
        ("password", raw),
        ("pw", pw),
        ("SHA-256(password)", hashlib.sha256(raw).digest()),
        ("SHA-256(user ‖ password)", hashlib.sha256(user.encode() + raw).digest()),
    ):
        forms[f"{label} raw"] = value
        forms[f"{label} in hex"] = value.hex().encode()
        forms[f"{label} in HEX"] = value.hex().upper().encode()
        forms[f"{label} in base64"] = base64.b64encode(value).rstrip(b"=")
        forms[f"{label} in base64url"] = base64.urlsafe_b64encode(value).rstrip(b"=")
        forms[f"{label} URL-encoded"] = urllib.parse.quote(value).encode()
        forms[f"{label} URL-encoded (+)"] = urllib.parse.quote_plus(value).encode()
    # Any 8 consecutive bytes of the password or pw: a truncated or split leak.
    for label, value in (("password", raw), ("pw", pw)):
        for start in range(0, max(1, len(value) - 7)):
            forms.setdefault(f"bytes {start}…{start + 7} of {label}", value[start : start + 8])
    # Truncated in hex: a "key id" (6 bytes of pw or more, anywhere, as 12+ hex digits) or
    # a key check value (the first 4 bytes of a digest, as 8 hex digits) in a message or
    # an extra member. Each lets an eavesdropper test password guesses offline. 12 hex
    # digits anywhere and 8 at the start keep a chance match below 1e-8 per run.
    digests = (
        ("password", raw),
        ("pw", pw),
        ("SHA-256(password)", hashlib.sha256(raw).digest()),
        ("SHA-256(pw)", hashlib.sha256(pw).digest()),
    )
    for label, value in digests:
        digits = value.hex()
        forms.setdefault(f"first 4 bytes of {label} in hex", digits[:8].encode())
        forms.setdefault(f"first 4 bytes of {label} in HEX", digits[:8].upper().encode())
        for start in range(0, len(digits) - 11, 2):
            window = digits[start : start + 12]
            forms.setdefault(f"hex digits {start}…{start + 11} of {label}", window.encode())
            forms.setdefault(f"HEX digits {start}…{start + 11} of {label}", window.upper().encode())
    return forms


def _check_password_never_sent(case: ClientCase, pw: bytes) -> None:
    """EKE-PW-3 (and ERR-5): nothing the client sent, on the wire or inside a record,
    holds its password or pw in any form."""
    sent = client_bytes(case.view)
    found = [
        label
        for label, needle in _password_forms(case.user, case.password, pw).items()
        if len(needle) >= 8 and needle in sent
    ]
    if found:
        raise ConformanceFailure.evidence(
            "EKE-PW-3: the password on the wire",
            "neither the password nor pw, in any encoding, in anything the client sends",
            f"found {', '.join(found[:6])}" + (" …" if len(found) > 6 else ""),
            note=f"{len(sent)} bytes sent by the client (wire and record plaintext)",
        )


@pytest.mark.req(
    "EKE-HS-1",
    "EKE-HS-5",
    "EKE-HS-7",
    "EKE-REC-1",
    "EKE-REC-2",
    "APP-GET-3",
    "EKE-PW-1",
    "EKE-PW-3",
    "FRM-10",
)
def test_client_completes_a_get_from_an_honest_server(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A password with leading and trailing spaces and a combining accent (used as given:
    no trimming, no normalisation), and members the schemas do not define in EKE2, EKE4,
    RSFL and DONE (to be ignored)."""
    password = f" o\u0308-\u03a9 {secrets.token_urlsafe(6)} "
    pw = _pw(eke_target, password)
    extra = {"x-suite": "ignore me", "x-n": 1}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = _establish(raw, view, pw, _TIMEOUT, eke2_extra=extra, eke4_extra=extra)
        if channel is not None:
            serve_records(channel, view, {NAME: CONTENT}, _TIMEOUT, extra=extra)

    case = _run(eke_target, tmp_path, transcripts, behaviour, password=password)
    result = case.result
    if not result.succeeded or not result.kept_file or result.out.read_bytes() != CONTENT:
        raise ConformanceFailure.evidence(
            "the client's get from an honest server (password with spaces and a combining "
            "accent; unknown members in EKE2, EKE4, RSFL, DONE)",
            "exit 0 and the file kept, byte for byte",
            result.describe(),
            note=case.describe(),
        )
    _check_password_never_sent(case, pw)


@pytest.mark.req("EKE-HS-4", "EKE-SEC-3", "EKE-PW-3", "ERR-5")
def test_client_refuses_a_server_that_does_not_know_the_password(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """An impostor answers EKE2 with a key of its own: the client must stop at C2, say
    auth_failed, and its EROR (like everything else it sent) must not hold the password."""

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if isinstance(event, ReceivedFrame) and event.type == b"EKE1":
            impostor = eke.ServerHandshake(pw=secrets.token_bytes(32))
            raw.send_frame(b"EKE2", impostor.on_eke1(event.json() or {}))
            read_frame(raw, view, _TIMEOUT)

    case = _run(eke_target, tmp_path, transcripts, behaviour)
    _refused(case, "EKE-HS-4: EKE2 from a server without the password")
    if case.view.saw("EKE3"):
        raise ConformanceFailure(
            "EKE-HS-4: the client sent EKE3 although C2 did not verify (it gives the "
            f"impostor material for an offline guess)\n{case.describe()}"
        )
    if not case.view.saw("EROR auth_failed"):
        raise ConformanceFailure(
            f"EKE-HS-4: the client must send EROR auth_failed before closing\n{case.describe()}"
        )
    _check_password_never_sent(case, _pw(eke_target))


def _wrong_eke4(kind: str) -> Callable[[eke.ServerHandshake, dict[str, Any]], bytes]:
    """The bytes a lying server sends instead of the right EKE4 (it knows every key)."""

    def make(server: eke.ServerHandshake, eke3: dict[str, Any]) -> bytes:
        server.on_eke3(eke3)  # learns Na
        keys = server.keys
        assert keys is not None
        na, th = server.na, keys.th
        sealed: dict[str, Callable[[], bytes]] = {
            "na-random": lambda: eke.aead_seal(
                keys.kcs, eke.N4, secrets.token_bytes(32), b"EKE4" + th
            ),
            "na-last-byte-flipped": lambda: eke.aead_seal(
                keys.kcs, eke.N4, na[:-1] + bytes([na[-1] ^ 1]), b"EKE4" + th
            ),
            "ns-echoed": lambda: eke.aead_seal(keys.kcs, eke.N4, server.ns, b"EKE4" + th),
            "other-transcript": lambda: eke.aead_seal(
                keys.kcs, eke.N4, na, b"EKE4" + secrets.token_bytes(32)
            ),
            "client-key": lambda: eke.aead_seal(keys.kcc, eke.N4, na, b"EKE4" + th),
        }
        if kind in sealed:
            return frame_bytes("EKE4", control({"c": sealed[kind]().hex()}))
        if kind == "eror-instead":
            return frame_bytes("EROR", error_payload("internal", "suite: no EKE4 today"))
        # A record in place of EKE4: the server skips its proof and starts the session.
        sender, _receiver = server.record_layer()
        return sender.seal(frame_bytes("BYE_", b"{}"))

    return make


@pytest.mark.req("EKE-HS-7", "EKE-HS-9")
@pytest.mark.parametrize(
    "kind",
    [
        "na-random",
        "na-last-byte-flipped",
        "record-instead",
        *(
            pytest.param(kind, marks=pytest.mark.slow)
            for kind in ("ns-echoed", "other-transcript", "client-key", "eror-instead")
        ),
    ],
)
def test_client_refuses_a_wrong_eke4(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    skip_slow_variant(request)
    """The server verifies EKE3, then its EKE4 does not prove it: no request may follow."""
    pw = _pw(eke_target)
    make = _wrong_eke4(kind)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        got = _until_eke3(raw, view, pw)
        if got is None:
            return
        server, _eke1, eke3 = got
        raw.send_raw(make(server, eke3))
        if server.keys is not None:
            channel = _records(raw, server)
            serve_records(channel, view, {NAME: CONTENT}, _TIMEOUT)

    case = _run(eke_target, tmp_path, transcripts, behaviour)
    _refused(case, f"EKE-HS-7: EKE4 {kind}")


def _told(case: ClientCase) -> tuple[int | None, str, str]:
    """What the client told its user: exit status and output, white space normalised."""
    result = case.result
    return (
        result.returncode,
        " ".join(result.stdout.split()),
        " ".join(result.stderr.split()),
    )


@pytest.mark.req("EKE-HS-7", "EKE-HS-4")
def test_client_tells_an_impostor_from_a_wrong_password(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """EKE-HS-4 and EKE-HS-7 ask for two different things told to the user: a C2 that fails
    is "wrong password or unknown user"; a C4 that fails, after the client proved its
    password, is a server that failed to prove it knows it (possible impostor). The
    wording is the client's; the suite only checks the two are not told the same way
    (exit status, stdout and stderr all identical), which would report an impostor as a
    typing mistake."""
    pw = _pw(eke_target)

    def bad_c2(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if isinstance(event, ReceivedFrame) and event.type == b"EKE1":
            impostor = eke.ServerHandshake(pw=secrets.token_bytes(32))
            raw.send_frame(b"EKE2", impostor.on_eke1(event.json() or {}))
            read_frame(raw, view, _TIMEOUT)

    make = _wrong_eke4("na-random")

    def bad_c4(raw: RawConnection, view: ServerView) -> None:
        got = _until_eke3(raw, view, pw)
        if got is not None:
            server, _eke1, eke3 = got
            raw.send_raw(make(server, eke3))
            read_frame(raw, view, _TIMEOUT)

    wrong_password = _run(eke_target, tmp_path, transcripts, bad_c2)
    impostor = _run(eke_target, tmp_path, transcripts, bad_c4)
    _refused(wrong_password, "EKE-HS-4: EKE2 from a server without the password")
    _refused(impostor, "EKE-HS-7: EKE4 that does not hold the client's Na")
    if _told(wrong_password) == _told(impostor):
        raise ConformanceFailure.evidence(
            "EKE-HS-7: a C2 that fails (wrong password) and a C4 that fails (the server did "
            "not prove the password)",
            "the user is told two different things: wrong password or unknown user; the "
            "server failed to prove it knows the password (possible impostor)",
            f"the same exit status and output both times: {_told(impostor)!r}",
            note=f"{wrong_password.describe()}\n---\n{impostor.describe()}",
        )


def _element_z(value: int, x_element: int) -> int:
    """Z as a client that does not check Y' would compute it (the server knows X only)."""
    reduced = value % eke.P
    if reduced == 0:
        return 0
    if reduced in (1, eke.P - 1):
        return 1  # the residue of ±1 is 1
    if reduced == 2:
        return x_element  # Y = g: Z = g^x = X
    raise ValueError(f"no predictable Z for Y' = {value:#x}")


_ELEMENTS = {"zero": 0, "one": 1, "p-1": eke.P - 1, "p": eke.P, "p+2": eke.P + 2}


@pytest.mark.req("EKE-X-3", "EKE-KS-2", "EKE-HS-4")
@pytest.mark.parametrize(
    "element",
    [
        pytest.param(name, marks=[pytest.mark.slow] if name in ("zero", "p-1") else [])
        for name in _ELEMENTS
    ],
)
def test_client_rejects_an_invalid_server_element(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    element: str,
    request: pytest.FixtureRequest,
) -> None:
    """B hides an invalid Y' under the RIGHT key, and C2 is made with the Z a client that
    skips the checks computes (0, 1, or X itself for p + 2 ≡ g): such a client would send
    EKE3 — the conforming one stops at B."""
    skip_slow_variant(request)
    value = _ELEMENTS[element]
    pw = _pw(eke_target)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        obj = event.json() or {}
        a = bytes.fromhex(str(obj.get("a", "")))
        x_element = eke.pm_decode(int.from_bytes(eke.feistel_decrypt(pw, a), "big"))
        b = eke.feistel_encrypt(pw, eke.element_to_bytes(value))
        th = eke.transcript_hash(str(obj["user"]), a, b)
        keys = eke.derive_keys(eke.element_to_bytes(_element_z(value, x_element)), th)
        c2 = eke.aead_seal(keys.kcs, eke.N2, secrets.token_bytes(32), b"EKE2" + th)
        raw.send_frame(b"EKE2", {"b": b.hex(), "c": c2.hex()})
        read_frame(raw, view, _TIMEOUT)

    case = _run(eke_target, tmp_path, transcripts, behaviour)
    _refused(case, f"EKE-X-3: Y' = {element}")
    if case.view.saw("EKE3"):
        raise ConformanceFailure(
            f"EKE-X-3/EKE-KS-2: the client accepted Y' = {element} (a Z the server chose) "
            f"and sent EKE3\n{case.describe()}"
        )
    # An invalid element is an authentication failure like any other (EKE-X-3): the
    # client says auth_failed, not bad_frame or internal, which would tell an attacker
    # which of its guesses decrypted B to an invalid value.
    if not case.view.saw("EROR auth_failed"):
        failure = ConformanceFailure.evidence(
            f"EKE-HS-4: B hides Y' = {element} under the right key",
            "EROR auth_failed, then the close (EKE-HS-4, EKE-X-3: one code for every failure)",
            f"the client sent {case.view.frames + case.view.inner}",
            note=case.describe(),
        )
        failure.violates = ("EKE-HS-4", "EKE-X-3")
        raise failure


# Clients started at the same instant by the freshness case (a clock-seeded generator).
_AT_ONCE = 3


@pytest.mark.req("EKE-HS-10", "EKE-X-1")
def test_client_draws_fresh_values_for_every_handshake(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The suite (holding pw and the keys) recovers X = g^x from every EKE1 and Na from
    every EKE3 the client sent in this run — topping up with honest gets until it has
    two of each. A value seen twice means a fixed or reseeded generator: the runs are
    linkable and a recorded EKE3 replays.

    Runs one after another rarely start in the same second; so the suite also starts
    three clients at once, which a generator seeded from the clock (seconds, or even
    milliseconds: the three processes start together) gives the same x, sign and Na."""
    pw = _pw(eke_target)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = _establish(raw, view, pw, _TIMEOUT)
        if channel is not None:
            serve_records(channel, view, {NAME: CONTENT}, _TIMEOUT)

    cases: list[ClientCase] = []
    with ThreadPoolExecutor(max_workers=_AT_ONCE) as pool:
        # (run_case gives every run directories of its own under tmp_path)
        started = [
            pool.submit(_run, eke_target, tmp_path, transcripts, behaviour) for _ in range(_AT_ONCE)
        ]
        cases.extend(future.result() for future in started)
    for _ in range(3):  # bounded: at most three runs of its own
        if len(X_SAMPLES) >= 2 and len(NA_SAMPLES) >= 2:
            break
        cases.append(_run(eke_target, tmp_path, transcripts, behaviour))
    if len(X_SAMPLES) < 2 or len(NA_SAMPLES) < 2:
        raise RuntimeError(
            "the client under test did not complete two handshakes: "
            + " | ".join(c.describe() for c in cases)
        )
    repeated = [
        f"{name} ({len(values) - len(set(values))} repeat(s) in {len(values)} handshakes)"
        for name, values in (("X = g^x", X_SAMPLES), ("Na", NA_SAMPLES))
        if len(set(values)) < len(values)
    ]
    if NA_ECHOES:
        # Fresh-looking (Ns changes every session) but not the client's: Na must be drawn
        # by the client, or EKE4 proves nothing the client did not just hear.
        repeated.append(
            f"Na equal to the server's own Ns in {len(NA_ECHOES)} of {len(NA_SAMPLES)} "
            "handshakes (echoed, not drawn)"
        )
    if repeated:
        raise ConformanceFailure.evidence(
            f"EKE-HS-10/EKE-X-1: {len(X_SAMPLES)} EKE1 and {len(NA_SAMPLES)} EKE3 of the client",
            "fresh x and Na in every handshake",
            "repeated " + " and ".join(repeated),
        )


def _hidden_element(pw: bytes, eke1: dict[str, Any]) -> int | None:
    """X = g^x from an EKE1 (the suite holds pw), or None if `a` is not readable."""
    try:
        x_prime = int.from_bytes(eke.feistel_decrypt(pw, bytes.fromhex(str(eke1["a"]))), "big")
    except (KeyError, ValueError):
        return None
    return x_prime if eke.jacobi(x_prime, eke.P) == 1 else eke.P - x_prime


@pytest.mark.req("EKE-HS-10")
def test_client_draws_fresh_values_when_it_retries_after_busy(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The first EKE1 is answered `EROR busy` (retry_after 1 s, EKE-THR-7); a client that
    retries (it MAY) runs a new handshake, so its next EKE1 carries a fresh x: a client
    that built its login once and resends it on retry is caught here (the same A, or the
    same X under the other sign). A client that does not retry is not judged."""
    pw = _pw(eke_target)
    eke1s: list[dict[str, Any]] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        eke1s.append(event.json() or {})
        if len(eke1s) == 1:
            busy = json.loads(error_payload("busy", "suite: busy, retry"))
            raw.send_frame(b"EROR", control({**busy, "retry_after": 1}))
            read_frame(raw, view, _TIMEOUT)  # the client's close
        # The retry's EKE1 is all the case needs: the suite closes.

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT,
        connections=2,
    )
    if len(eke1s) < 2:
        pytest.skip(f"the client did not retry after busy (it MAY): {case.describe()}")
    first, retry = eke1s[0], eke1s[1]
    same_a = first.get("a") == retry.get("a")
    x_first, x_retry = _hidden_element(pw, first), _hidden_element(pw, retry)
    if same_a or (x_first is not None and x_first == x_retry):
        raise ConformanceFailure.evidence(
            "EKE-HS-10: the client's EKE1 before and after `EROR busy` (retry_after 1 s)",
            "a new handshake: a fresh x (a different A and a different X = g^x)",
            "the same A was resent" if same_a else "the same X = g^x under the other sign",
            note=case.describe(),
        )


_BUSY_RETRY_AFTER = 2  # seconds announced with `EROR busy`
# EKE-THR-7: no retry before retry_after. The suite's clock starts when it has sent the
# busy answer and stops when the retry's EKE1 has arrived, so it measures at least the
# client's own wait; the margin is for the granularity of a client's sleep.
_BUSY_EARLIEST = 0.9


@pytest.mark.req("EKE-THR-7")
def test_client_waits_retry_after_before_retrying_busy(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The first EKE1 is answered `EROR busy` with retry_after 2 s. A client MAY retry, but
    only after retry_after (EKE-THR-7): one that reconnects at once (ignoring the
    announcement, or treating busy like a dropped connection) hammers a server that
    said it is full. A client that does not retry is not judged; a retry that comes
    before 0.9 x retry_after (1.8 s) FAILs."""
    busy_sent: list[float] = []
    retries: list[float] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        if not busy_sent:
            busy = json.loads(error_payload("busy", "suite: busy, retry"))
            raw.send_frame(b"EROR", control({**busy, "retry_after": _BUSY_RETRY_AFTER}))
            busy_sent.append(time.monotonic())
            read_frame(raw, view, _TIMEOUT)  # the client's close
        else:
            retries.append(time.monotonic())
        # The retry's arrival is all the case needs: the suite closes.

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT + _BUSY_RETRY_AFTER * 2,
        connections=2,
    )
    if not busy_sent:
        raise RuntimeError(
            f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
        )
    if not retries:
        pytest.skip(f"the client did not retry after busy (it MAY): {case.describe()}")
    waited = retries[0] - busy_sent[0]
    if waited < _BUSY_EARLIEST * _BUSY_RETRY_AFTER:
        raise ConformanceFailure.evidence(
            f"EKE-THR-7: the client's retry after `EROR busy` with retry_after "
            f"{_BUSY_RETRY_AFTER} s",
            f"no new EKE1 before retry_after ({_BUSY_RETRY_AFTER} s; "
            f"{_BUSY_EARLIEST * _BUSY_RETRY_AFTER:g} s allowed for timer granularity)",
            f"its next EKE1 came {waited:.3f} s after the busy answer",
            note=case.describe(),
        )


_BAD_EKE2: dict[str, tuple[str, Callable[[dict[str, Any]], bytes]]] = {
    # case: (requirement, the EKE2 bytes made from the honest EKE2 object)
    "without-c": ("FRM-9", lambda ok: frame_bytes("EKE2", control({"b": ok["b"]}))),
    "b-one-byte-short": (
        "FRM-12",
        lambda ok: frame_bytes("EKE2", control({"b": ok["b"][:-2], "c": ok["c"]})),
    ),
    "c-not-a-string": ("FRM-9", lambda ok: frame_bytes("EKE2", control({"b": ok["b"], "c": 7}))),
    # The honest values in upper case: `bytes.fromhex` and most hex decoders take them,
    # so a client that checks only the length goes on with EKE3 [FRM-12: lowercase].
    "upper-case-hex": (
        "FRM-12",
        lambda ok: frame_bytes("EKE2", control({"b": ok["b"].upper(), "c": ok["c"].upper()})),
    ),
}
# The variants of the default run: one per kind of schema check (the others are `slow`).
_DEFAULT_BAD_EKE2 = frozenset({"without-c", "upper-case-hex"})


@pytest.mark.req("FRM-9", "FRM-12", "EKE-HS-4")
@pytest.mark.parametrize(
    "case_name",
    [
        pytest.param(name, marks=[] if name in _DEFAULT_BAD_EKE2 else [pytest.mark.slow])
        for name in _BAD_EKE2
    ],
)
def test_client_answers_a_malformed_eke2_with_bad_frame(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    case_name: str,
    request: pytest.FixtureRequest,
) -> None:
    """An EKE2 that breaks its schema (a member missing, of the wrong type or length) is
    answered `EROR bad_frame` in clear, and the client stops: no EKE3."""
    skip_slow_variant(request)
    requirement, make = _BAD_EKE2[case_name]
    pw = _pw(eke_target)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if isinstance(event, ReceivedFrame) and event.type == b"EKE1":
            honest = eke.ServerHandshake(pw=pw).on_eke1(event.json() or {})
            raw.send_raw(make(honest))
            read_frame(raw, view, _TIMEOUT)

    case = _run(eke_target, tmp_path, transcripts, behaviour)
    _refused(case, f"{requirement}: EKE2 {case_name}")
    if case.view.saw("EKE3") or not case.view.saw("EROR bad_frame"):
        raise ConformanceFailure.evidence(
            f"{requirement}: EKE2 {case_name}",
            "EROR bad_frame, then close (no EKE3)",
            f"the client sent {case.view.frames}",
            note=case.describe(),
        )


@pytest.mark.req("EKE-REC-5", "EKE-SEC-2")
def test_client_rejects_plaintext_after_the_handshake(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    pw = _pw(eke_target)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = _establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        read_frame(raw, view, _TIMEOUT)  # the client's first record (its request)
        digest = hashlib.sha256(CONTENT).hexdigest()
        raw.send_raw(
            frame_bytes("RSFL", control({"name": NAME, "size": len(CONTENT), "sha256": digest}))
            + frame_bytes("DATA", CONTENT)
            + frame_bytes("DONE", control({"size": len(CONTENT), "sha256": digest}))
        )
        read_frame(raw, view, _TIMEOUT)

    case = _run(eke_target, tmp_path, transcripts, behaviour)
    if case.result.succeeded or case.result.kept_file:
        raise ConformanceFailure(
            f"EKE-REC-5: the client accepted a file sent in clear after EKE4: {case.describe()}"
        )


@pytest.mark.req("EKE-REC-5")
def test_client_closes_on_plaintext_even_when_records_follow(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Right after EKE4 a plaintext frame, then the honest, sealed answer to the get. A
    client that skips what is not a record (as noise, or to show a plaintext EROR) and
    goes on reading completes the get: the conforming one closed at the plaintext."""
    pw = _pw(eke_target)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = _establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        raw.send_raw(frame_bytes("EROR", error_payload("internal", "suite: in clear")))
        serve_records(channel, view, {NAME: CONTENT}, _TIMEOUT)

    case = _run(eke_target, tmp_path, transcripts, behaviour)
    if case.result.succeeded or case.result.kept_file:
        raise ConformanceFailure.evidence(
            "EKE-REC-5: a plaintext EROR right after EKE4, then the sealed answer to the get",
            "the client closes at the plaintext frame: the get fails, nothing is kept",
            case.result.describe(),
            note=case.describe(),
        )


# A valid user name (EKE-PW-1: 1-64 bytes of UTF-8, no control character) that every
# common "cleaning" changes: NFC composes its e + U+0308, case folding lowers Z and T, a
# client that keeps only [a-z0-9] drops the spaces and the accent, strip() the spaces at
# either end.
_UNCLEAN_USER = " Zoe\u0308 Tester "


@pytest.mark.req("EKE-HS-1", "EKE-PW-1")
def test_client_logs_in_with_its_user_name_as_given(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The client is given a user name that NFC, case folding and stripping would all
    change. Its EKE1 must carry that name byte for byte, and its A must hide X under
    pw = scrypt(password, "sft-eke/1" ‖ len ‖ that name): the suite's server derives pw
    from the name as given, so the handshake and the get complete only for a client that
    used it unchanged (a server matches names byte for byte, EKE-PW-4)."""
    template = eke_target.client_cmd or ""
    if eke_target.client_cmd and "{user}" not in template + (eke_target.client_stdin or ""):
        pytest.skip("the client command takes no {user}: its user name is not the suite's")
    password = fresh_password()
    pw = eke_pw(_UNCLEAN_USER, password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = _establish(raw, view, pw, _TIMEOUT)
        if channel is not None:
            serve_records(channel, view, {NAME: CONTENT}, _TIMEOUT)

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=password,
        timeout=_TIMEOUT,
        user=_UNCLEAN_USER,
    )
    entries = case.view.transcript.entries if case.view.transcript is not None else []
    eke1 = next((e.data for e in entries if e.direction == "recv" and e.data[:4] == b"EKE1"), None)
    sent = (ReceivedFrame(b"EKE1", eke1[8:]).json() or {}).get("user") if eke1 else None
    result = case.result
    problems = []
    if sent != _UNCLEAN_USER:
        problems.append(f"EKE1 user {sent!r}")
    if not result.succeeded or not result.kept_file or result.out.read_bytes() != CONTENT:
        problems.append(f"the get did not complete: {result.describe()}")
    if problems:
        raise ConformanceFailure.evidence(
            f"a get as user {_UNCLEAN_USER!r} (not NFC, mixed case, an inner space)",
            "EKE1 names that user byte for byte, pw is derived from it, the get completes",
            "; ".join(problems),
            note=case.describe(),
        )


@pytest.mark.req("EKE-HS-9")
def test_client_refuses_a_second_eke2(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[EKE-HS-9] After the client's EKE3 comes a second, valid EKE2 (a new server value,
    the same password) in place of EKE4: out of order, `unexpected_frame`. A client that
    "restarts" and answers it with another EKE3 is given the rest of a session (EKE4 and
    the file) by the suite: it must never get that far."""
    pw = _pw(eke_target)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        got = _until_eke3(raw, view, pw)
        if got is None:
            return
        _first, eke1, _eke3 = got
        second = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", second.on_eke1(eke1))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        raw.send_frame(b"EKE4", second.on_eke3(event.json() or {}))
        serve_records(_records(raw, second), view, {NAME: CONTENT}, _TIMEOUT)

    case = _run(eke_target, tmp_path, transcripts, behaviour)
    eke3s = sum(1 for f in case.view.frames if f.startswith("EKE3"))
    if eke3s > 1:
        raise ConformanceFailure.evidence(
            "EKE-HS-9: a second EKE2 after the client's EKE3",
            "unexpected_frame: the client stops (no second EKE3, no request, no file)",
            f"the client answered it with a second EKE3; {case.result.describe()}",
            note=case.describe(),
        )
    _refused(case, "EKE-HS-9: a second EKE2 in place of EKE4")


def _hex_problem(obj: dict[str, Any], member: str, chars: int) -> str | None:
    value = obj.get(member)
    if not isinstance(value, str):
        return f"{member!r} is {value!r}, not a string"
    if len(value) != chars or any(c not in "0123456789abcdef" for c in value):
        shown = value[:24] + ("…" if len(value) > 24 else "")
        return f"{member!r} = {shown!r} ({len(value)} characters), not {chars} lowercase hex"
    return None


def _sent_frame_problems(event: object, kind: str, member: str, chars: int) -> list[str]:
    """What breaks the client's `kind` frame as a sender's frame [FRM-14, FRM-12]."""
    if not isinstance(event, ReceivedFrame) or event.type != kind.encode("ascii"):
        shown = event.describe() if isinstance(event, ReceivedFrame) else repr(event)
        return [f"expected {kind}, got {shown[:120]}"]
    problems = list(event.violations())
    obj = event.json()
    if obj is None:
        return problems or [f"{kind} payload is not a JSON object"]
    hex_problem = _hex_problem(obj, member, chars)
    if hex_problem is not None:
        problems.append(f"FRM-12: {hex_problem}")
    return problems


@pytest.mark.req("EKE-HS-1", "EKE-HS-5", "FRM-12", "FRM-14")
def test_client_handshake_frames_are_well_formed(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The client's EKE1 and EKE3, judged as a sender's frames: a JSON object with `a`
    exactly 768 (EKE1) and `c` exactly 160 (EKE3) LOWERCASE hex characters [EKE-HS-1,
    EKE-HS-5, FRM-12]. A client whose hex is upper case (a `%X` format, `hexlify().upper()`)
    is refused by every conforming server; the suite says why instead of failing the
    handshake. Each frame is judged before the suite goes on; an honest session follows."""
    pw = _pw(eke_target)
    found: dict[str, list[str]] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        found["EKE1"] = _sent_frame_problems(event, "EKE1", "a", 768)
        if found["EKE1"] or not isinstance(event, ReceivedFrame):
            return
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _TIMEOUT)
        found["EKE3"] = _sent_frame_problems(event, "EKE3", "c", 160)
        if found["EKE3"] or not isinstance(event, ReceivedFrame):
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError as exc:
            found["EKE3"] = [f"EKE-HS-5: C3 does not open under the honest keys ({exc})"]
            return
        raw.send_frame(b"EKE4", eke4)
        serve_records(_records(raw, server), view, {NAME: CONTENT}, _TIMEOUT)

    case = _run(eke_target, tmp_path, transcripts, behaviour)
    if "EKE1" not in found:
        raise RuntimeError(f"the client under test sent nothing to judge\n{case.describe()}")
    problems = [(kind, p) for kind, items in found.items() for p in items]
    if problems:
        failure = ConformanceFailure.evidence(
            "EKE-HS-1/EKE-HS-5: the client's EKE1 and EKE3 as a sender's frames",
            "EKE1 {user, a: 768 lowercase hex}, EKE3 {c: 160 lowercase hex}, each a "
            "well-formed control frame",
            "; ".join(f"{kind}: {p}" for kind, p in problems),
            note=case.describe(),
        )
        failure.violates = tuple(
            sorted({"EKE-HS-1" if kind == "EKE1" else "EKE-HS-5" for kind, _ in problems})
        )
        raise failure


# A control payload over the control limit (FRM-8: 65 536 bytes) but within the frame
# limit (1 MiB + 256): a reader that applies only the frame limit to handshake frames
# takes it.
_OVER_CONTROL_LIMIT = 100_000
# How long the suite waits for a refusal from the header alone before it sends the
# payload: far below any handshake timeout the client may keep.
_HEADER_ANSWER_WITHIN = 3.0


@pytest.mark.req("FRM-8")
def test_client_refuses_an_oversize_eke2(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[FRM-8] In place of EKE2 the server announces a 100 000-byte EKE2 (over the
    64 KiB control limit, within the frame limit): the honest EKE2 padded with a member
    the schema does not define (ignored by FRM-10), so the size alone is wrong. The
    client owes `EROR frame_too_large`. It may judge from the header (the suite then
    sends nothing more) or once the payload is in (FRM-3 fixes "at once" for the frame
    limit only): if nothing comes within a few seconds of the header, the payload
    follows. Taking the EKE2 (an EKE3 follows) or any other answer is the bug."""
    seen: dict[str, Any] = {}
    pw = _pw(eke_target)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        eke2 = eke.ServerHandshake(pw=pw).on_eke1(event.json() or {})
        body = json.dumps({**eke2, "pad": ""}, separators=(",", ":")).encode()
        eke2["pad"] = "x" * (_OVER_CONTROL_LIMIT - len(body))
        payload = json.dumps(eke2, separators=(",", ":")).encode()
        assert len(payload) == _OVER_CONTROL_LIMIT
        raw.send_raw(header_bytes("EKE2", len(payload)))
        answer = raw.recv_frame(deadline_after(_HEADER_ANSWER_WITHIN))
        seen["when"] = "from the header alone"
        if isinstance(answer, TimedOut):
            raw.send_raw(payload)
            seen["when"] = "after the payload"
            answer = raw.recv_frame(deadline_after(_TIMEOUT))
        seen["answer"] = answer
        if isinstance(answer, ReceivedFrame):
            view.frames.append(answer.describe(80))
        else:
            view.ended = answer.describe()

    case = _run(eke_target, tmp_path, transcripts, behaviour)
    if "answer" not in seen:
        raise RuntimeError(f"the client under test sent no EKE1\n{case.describe()}")
    answer = seen["answer"]
    if isinstance(answer, ReceivedFrame) and answer.error_name == "frame_too_large":
        _refused(case, f"FRM-8: an EKE2 of {_OVER_CONTROL_LIMIT} bytes, refused {seen['when']}")
        return
    raise ConformanceFailure.evidence(
        f"FRM-8: in place of EKE2, a header announcing {_OVER_CONTROL_LIMIT} bytes (over the "
        "64 KiB control limit), the payload (an honest EKE2 padded with an unknown member) "
        "sent only if nothing came within "
        f"{_HEADER_ANSWER_WITHIN:g} s",
        "EROR frame_too_large (from the header or once the payload is in), then the close",
        f"{answer.describe()} {seen['when']}",
        note=case.describe(),
    )
