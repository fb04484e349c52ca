"""sft-eke/1 handshake, from the attacker's seat (SPEC §5.1-5.4).

The suite plays the client. Every deliberately failing handshake runs as the victim
account from a fresh source address (see conformance/eke_support.py), so that the
server's throttling (EKE-THR-1) never hits the honest cases.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest

from conformance import eke
from conformance.eke_channel import (
    EkeChannel,
    connect_raw,
    honest_client_handshake,
    password_key_cached,
)
from conformance.eke_support import (
    PartialHandshake,
    SourceAddresses,
    Victim,
    ghost_user,
    start_handshake,
)
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import (
    FATAL_CLOSE_WITHIN,
    FATAL_CODES,
    Closed,
    ConformanceFailure,
    Expectation,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    RawConnection,
    ReceivedFrame,
    control,
    deadline_after,
    expect_on,
    frame_bytes,
)

pytestmark = pytest.mark.xdist_group("eke-victim")

_AUTH_FAILED = ExpectError("auth_failed", then_close=True)


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _eke2_ok(hs: PartialHandshake) -> dict[str, Any]:
    """EKE2 must come, with exactly the sizes of EKE-HS-2; returns it."""
    event = hs.eke2_event
    if hs.eke2 is None:
        raise ConformanceFailure(
            "Expected: EKE2 {b: 768 hex, c: 96 hex}\n"
            f"Actual:   {event.describe() if event is not None else 'nothing'}\n"
            f"Transcript (last entries):\n{hs.raw.transcript.tail()}"
        )
    b, c = hs.eke2.get("b"), hs.eke2.get("c")
    assert isinstance(b, str) and len(b) == 768 and b == b.lower(), "EKE-HS-2: b is 768 hex"
    assert isinstance(c, str) and len(c) == 96 and c == c.lower(), "EKE-HS-2: c is 96 hex"
    return hs.eke2


def _expect_auth_failed(hs: PartialHandshake, timeout: float, context: str) -> None:
    outcome = expect_on(hs.raw, [_AUTH_FAILED], timeout)
    outcome.check(context)


# ---------------------------------------------------------------- honest handshakes


@pytest.mark.req(
    "EKE-HS-1",
    "EKE-HS-2",
    "EKE-HS-5",
    "EKE-HS-6",
    "EKE-KS-1",
    "EKE-KS-2",
    "EKE-KS-3",
    "EKE-REC-1",
    "EKE-REC-2",
    "EKE-REC-3",
    "EKE-GRP-1",
    "EKE-PW-1",
)
def test_honest_handshake_and_get(eke_channel_factory: Any, eke_target: Target) -> None:
    """An honest handshake; the server's records open with the keys of §5.4."""
    channel: EkeChannel = eke_channel_factory()
    known = eke_target.file("hello.txt") or eke_target.file()
    name = known.name if known else "sft-conformance-no-such-file"
    channel.send_frame("RQFL", {"name": name})
    first = channel.expect([ExpectFrame("RSFL"), ExpectError("not_found")]).check(
        "answer to a get inside the records"
    )
    if known is not None:
        assert first.frame is not None and first.frame.type == b"RSFL"
        channel.expect(
            ExpectFrame("DONE", {"size": known.size, "sha256": known.sha256}), skip=["DATA"]
        ).check("the file arrives intact through the records")
    assert not channel.violations, channel.violations
    channel.send_frame("BYE_", {})


@pytest.mark.req("EKE-X-2", "EKE-X-3")
@pytest.mark.parametrize("sign_bit", [0, 1], ids=["X-residue", "p-minus-X-non-residue"])
def test_both_signs_of_x_are_recovered(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, sign_bit: int
) -> None:
    """X' = p − X (a non-residue) must be mapped back to X: the handshake completes.

    A server that uses X' = p − X as X gets (p − X)^y = (−1)^y·X^y: right for an even y,
    wrong for an odd one. One handshake catches it half the time, so s = 1 is tried
    `_SIGN_ROUNDS` times (a miss 1 in 2^8), each with the server's fresh y."""
    timeout = _timeout(eke_target)
    for round_index in range(_SIGN_ROUNDS if sign_bit else 1):
        hs = start_handshake(
            eke_target,
            eke_victim.user,
            eke_victim.pw,
            timeout=timeout,
            source=eke_sources.fresh(),
            sign_bit=sign_bit,
        )
        try:
            hs.receive_eke2(timeout)
            eke2 = _eke2_ok(hs)
            try:
                eke3 = hs.client.on_eke2(eke2)
            except eke.EkeError as exc:
                raise ConformanceFailure(
                    f"with s = {sign_bit} the server's C2 does not verify ({exc.detail}) in "
                    f"handshake {round_index + 1}: it did not recover X from X' as EKE-X-3 "
                    "says (a server that takes X' as X is right only for an even y)"
                ) from exc
            hs.send_eke3(eke3)
            outcome = expect_on(hs.raw, [ExpectFrame("EKE4")], timeout).check("EKE4 after EKE3")
            assert outcome.frame is not None
            obj = outcome.frame.json()
            assert obj is not None
            hs.client.on_eke4(obj)
        finally:
            hs.close()


# Handshakes with X' = p − X in test_both_signs_of_x_are_recovered: a server that does not
# fold the sign back fails each with probability 1/2 (its y odd).
_SIGN_ROUNDS = 8


@pytest.mark.req("EKE-X-2", "EKE-SEC-1")
def test_server_hides_y_with_a_random_sign(eke_target: Target) -> None:
    """Y' must be Y or p − Y at random: if D_pw(B) were always a residue, a passive
    eavesdropper could discard every guess under which D_guess(B) is not (half of them,
    per captured session): an offline dictionary attack."""
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    account = eke_target.accounts[0]
    pw = password_key_cached(account.password, account.user)
    timeout = _timeout(eke_target)
    symbols = []
    y_primes: list[int] = []
    for _ in range(16):  # all 16 alike by chance: probability 2^-15
        hs = start_handshake(eke_target, account.user, pw, timeout=timeout)
        try:
            hs.receive_eke2(timeout)
            eke2 = _eke2_ok(hs)
            hs.send_eke3(hs.client.on_eke2(eke2))
            expect_on(hs.raw, [ExpectFrame("EKE4")], timeout).check("honest handshake")
        finally:
            hs.close()
        y_prime = int.from_bytes(eke.feistel_decrypt(pw, bytes.fromhex(eke2["b"])), "big")
        y_primes.append(y_prime)
        symbols.append(eke.jacobi(y_prime, eke.P))
    assert len(set(symbols)) == 2, (
        f"EKE-X-2: in 16 sessions the Jacobi symbol of Y' was always {symbols[0]}: the sign "
        "is not random, so each captured session halves a password dictionary offline"
    )
    _assert_sign_is_independent_of_y(y_primes)


def _assert_sign_is_independent_of_y(y_primes: list[int]) -> None:
    """The sign s must be a fresh coin, not a function of Y (EKE-X-2): with s = parity of Y
    ("X' = Y if Y is even"), or s = (Y > p/2) ("the smaller of ±Y", a canonical form), the
    residue symbol is still random, but every Y' is even, or below p/2 — a fixed bit of
    every D_guess(B) that a wrong guess has only half the time: one more offline test per
    session. With a fresh s each of these is a fair coin (p is odd: p − Y flips parity and
    halves), so 16 sessions all alike happen by chance with probability 2^-15 per test."""
    tests = {
        "parity (Y' mod 2)": [y & 1 for y in y_primes],
        "half (Y' < p/2)": [int(y < eke.P // 2) for y in y_primes],
    }
    for what, bits in tests.items():
        if len(set(bits)) == 1:
            raise ConformanceFailure(
                f"EKE-X-2: in {len(bits)} sessions the {what} of Y' = D_pw(B) was always "
                f"{bits[0]}: the sign is derived from Y, not a fresh random bit, so each "
                "captured session halves a password dictionary offline (a wrong guess "
                "decrypts B to that value only half the time)",
                violates=("EKE-X-2",),
            )


# ---------------------------------------------------------------- wrong password / unknown user


def _failed_attempt(
    target: Target, user: str, pw: bytes, source: str | None, timeout: float
) -> tuple[PartialHandshake, ReceivedFrame | None, float]:
    """EKE1 → EKE2 → a best-effort EKE3 → the server's verdict (EROR expected)."""
    hs = start_handshake(target, user, pw, source=source, timeout=timeout)
    hs.receive_eke2(timeout)
    eke2 = _eke2_ok(hs)
    hs.send_eke3(hs.client.on_eke2(eke2, verify=False))
    outcome = expect_on(hs.raw, [_AUTH_FAILED], timeout)
    outcome.check(f"EKE3 of a handshake that must fail (user {user!r})")
    return hs, outcome.frame, hs.eke2_elapsed


@pytest.mark.req("EKE-HS-4", "EKE-HS-8", "ERR-6", "EKE-SEC-3")
def test_wrong_password_fails_at_eke3(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """Wrong password: EKE2 as usual (nothing revealed early), then EROR auth_failed, close."""
    timeout = _timeout(eke_target)
    wrong = eke.password_key(eke_victim.account.password + "-wrong", eke_victim.user)
    hs, _frame, _ = _failed_attempt(
        eke_target, eke_victim.user, wrong, eke_sources.fresh(), timeout
    )
    hs.close()


@pytest.mark.req("EKE-HS-3", "EKE-HS-8", "ERR-6")
def test_unknown_user_is_indistinguishable(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """Same messages, sizes and EROR bytes for an unknown user as for a wrong password."""
    timeout = _timeout(eke_target)
    wrong = eke.password_key(eke_victim.account.password + "-wrong", eke_victim.user)
    hs1, err_known, _ = _failed_attempt(
        eke_target, eke_victim.user, wrong, eke_sources.fresh(), timeout
    )
    ghost = ghost_user()
    hs2, err_ghost, _ = _failed_attempt(
        eke_target, ghost, eke.password_key("guess", ghost), eke_sources.fresh(), timeout
    )
    hs1.close()
    hs2.close()
    assert hs1.eke2 is not None and hs2.eke2 is not None
    assert sorted(hs1.eke2) == sorted(hs2.eke2), (
        f"EKE2 members differ: known user {sorted(hs1.eke2)} vs unknown {sorted(hs2.eke2)}"
    )
    assert err_known is not None and err_ghost is not None
    assert err_known.payload == err_ghost.payload, (
        "EKE-HS-8: the EROR differs between a wrong password and an unknown user\n"
        f"wrong password: {err_known.payload!r}\nunknown user:   {err_ghost.payload!r}"
    )


def _auth_failed_frame(hs: PartialHandshake, timeout: float, what: str) -> ReceivedFrame:
    outcome = expect_on(hs.raw, [_AUTH_FAILED], timeout)
    outcome.check(what)
    assert outcome.frame is not None
    return outcome.frame


def _right_keys(hs: PartialHandshake) -> eke.SessionKeys:
    """The session keys, from an EKE2 that must verify (the client knows the password)."""
    eke2 = _eke2_ok(hs)
    try:
        hs.client.on_eke2(eke2)
    except eke.EkeError as exc:
        raise ConformanceFailure(
            f"the server's C2 does not verify with the right password: {exc.detail}"
        ) from exc
    assert hs.client.keys is not None
    return hs.client.keys


def _c3_with_right_keys(hs: PartialHandshake, spoil: str) -> bytes:
    """C3 made with the right keys (the client knows the password), spoiled one way."""
    keys = _right_keys(hs)
    ad = b"EKE3" + keys.th
    if spoil == "wrong-ns":
        ns = hs.client.ns
        return eke.aead_seal(keys.kcc, eke.N3, hs.client.na + bytes([ns[0] ^ 1]) + ns[1:], ad)
    honest = eke.aead_seal(keys.kcc, eke.N3, hs.client.na + hs.client.ns, ad)
    return honest[:-1] + bytes([honest[-1] ^ 1])  # the tag's last byte


@pytest.mark.req("EKE-HS-8", "ERR-6")
def test_auth_failed_is_one_message_for_every_cause(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """EKE-HS-8: wrong password, unknown user, invalid X', a C3 whose tag fails and one that
    opens but ends with the wrong Ns all end in the same EROR auth_failed: one code, one
    fixed message. A server that says "nonce mismatch" where it would say "bad tag" tells
    the attacker which check failed (whether its guess was right up to the last step)."""
    timeout = _timeout(eke_target)

    def right_keys(spoil: str) -> ReceivedFrame:
        hs = start_handshake(
            eke_target, eke_victim.user, eke_victim.pw, timeout=timeout, source=eke_sources.fresh()
        )
        try:
            hs.receive_eke2(timeout)
            hs.send_eke3({"c": _c3_with_right_keys(hs, spoil).hex()})
            return _auth_failed_frame(hs, timeout, f"EKE3 with the right keys ({spoil})")
        finally:
            hs.close()

    def wrong_password() -> ReceivedFrame:
        wrong = eke.password_key(eke_victim.account.password + "-wrong", eke_victim.user)
        hs, frame, _ = _failed_attempt(
            eke_target, eke_victim.user, wrong, eke_sources.fresh(), timeout
        )
        hs.close()
        assert frame is not None
        return frame

    def invalid_x() -> ReceivedFrame:
        a = eke.feistel_encrypt(eke_victim.pw, eke.element_to_bytes(0))
        hs = start_handshake(
            eke_target,
            eke_victim.user,
            eke_victim.pw,
            timeout=timeout,
            source=eke_sources.fresh(),
            a_override=a,
        )
        try:
            hs.receive_eke2(timeout)
            th = eke.transcript_hash(eke_victim.user, a, bytes.fromhex(_eke2_ok(hs)["b"]))
            keys = eke.derive_keys(eke.element_to_bytes(1), th)
            hs.send_eke3({"c": eke.aead_seal(keys.kcc, eke.N3, bytes(64), b"EKE3" + th).hex()})
            return _auth_failed_frame(hs, timeout, "EKE3 after X' = 0")
        finally:
            hs.close()

    # The victim's failures in batches below the throttle threshold, an honest login
    # between them (EKE-THR-4), so that no EKE1 of this case is throttled.
    victim_causes = {
        "wrong Ns (C3 opens)": lambda: right_keys("wrong-ns"),
        "C3 tag fails": lambda: right_keys("bad-tag"),
        "wrong password": wrong_password,
        "invalid X' = 0": invalid_x,
    }
    batch = max(1, eke_target.limits.throttle_failures - 1)
    answers: dict[str, ReceivedFrame] = {}
    for index, (cause, run) in enumerate(victim_causes.items()):
        if index and index % batch == 0:
            eke_victim.reset(eke_sources)
        answers[cause] = run()
    ghost = ghost_user()
    hs, frame, _ = _failed_attempt(
        eke_target, ghost, eke.password_key("guess", ghost), eke_sources.fresh(), timeout
    )
    hs.close()
    assert frame is not None
    answers["unknown user"] = frame

    def said(frame: ReceivedFrame) -> tuple[object, ...]:
        obj = frame.json() or {}
        return obj.get("code"), obj.get("name"), obj.get("message")

    distinct = {said(f) for f in answers.values()}
    if len(distinct) > 1:
        lines = "\n".join(f"  {cause:<22} {said(f)!r}" for cause, f in answers.items())
        raise ConformanceFailure(
            "EKE-HS-8: the EROR auth_failed differs with the cause of the failure (one code, "
            f"one fixed message for all):\n{lines}"
        )


_FAKE_LABEL = b"sft-eke/1 fake"
# Keys anyone can compute for an unknown user: what a server gets with an unset
# server_secret (zeros, empty) or with a fake key that does not use it at all.
_PUBLIC_FAKE_KEYS: dict[str, Callable[[str], bytes]] = {
    "HMAC(32 zero bytes)": lambda user: eke.fake_password_key(bytes(32), user),
    "HMAC(empty secret)": lambda user: hmac.new(
        b"", _FAKE_LABEL + user.encode("utf-8"), hashlib.sha256
    ).digest(),
    "32 zero bytes": lambda user: bytes(32),
    "SHA-256(label || user)": lambda user: hashlib.sha256(
        _FAKE_LABEL + user.encode("utf-8")
    ).digest(),
    "SHA-256(user)": lambda user: hashlib.sha256(user.encode("utf-8")).digest(),
    "scrypt(empty password)": lambda user: eke.password_key("", user),
}


def _name_of_64_bytes(filler: str) -> str:
    """A fresh user name of exactly 64 UTF-8 bytes: a random part, then `filler` (a
    character of 1, 2, 3 or 4 bytes) up to the bound, ASCII `x` for what is left."""
    name = ghost_user()
    room = 64 - len(name.encode("utf-8"))
    width = len(filler.encode("utf-8"))
    name += filler * (room // width) + "x" * (room % width)
    assert len(name.encode("utf-8")) == 64, name
    return name


@pytest.mark.req("EKE-HS-3", "EKE-PW-1")
def test_unknown_user_names_of_64_bytes_are_unknown_users(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """A user name is 1 to 64 bytes of UTF-8 (EKE-PW-1): a name of exactly 64 bytes is
    valid, and one that names no account is an unknown user, answered EKE2 like any
    (EKE-HS-3). The bound is on bytes, whatever the characters (1, 2, 3 and 4 bytes
    each): a server that counts `< 64`, or counts characters with a byte budget, refuses
    an account name the store accepts. Each EKE1 is abandoned after EKE2 (a fresh name
    and address: nothing is throttled)."""
    timeout = _timeout(eke_target)
    for filler in ("x", "\u00e9", "\u20ac", "\U0001f600"):
        name = _name_of_64_bytes(filler)
        hs = start_handshake(
            eke_target, name, bytes(32), timeout=timeout, source=eke_sources.fresh()
        )
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                raise ConformanceFailure(
                    f"Expected: EKE2 for an EKE1 of the unknown user {name!r} (64 UTF-8 bytes "
                    f"of {len(name)} characters: a valid name, EKE-PW-1)\n"
                    f"Actual:   {event.describe()}\n"
                    "EKE-HS-3: an unknown user is answered exactly as a known one",
                    violates=("EKE-HS-3",),
                )
            _eke2_ok(hs)
        finally:
            hs.close()


@pytest.mark.req("EKE-HS-3")
def test_unknown_users_key_cannot_be_computed(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """EKE-HS-3: an unknown user's key is HMAC-SHA256(server_secret, ...) with 32 random
    bytes kept by the server. With a secret left unset (zeros) or a fake key that does not
    use it, anyone computes the key of every name that has no account: C2 verifies under
    it, and the handshake completes — a login without an account (the share is served to
    whoever completes a handshake). One handshake per publicly computable key, abandoned
    after EKE2 (a fresh name and address each: nothing is throttled)."""
    timeout = _timeout(eke_target)
    for what, derive in _PUBLIC_FAKE_KEYS.items():
        ghost = ghost_user()
        key = derive(ghost)
        hs = start_handshake(eke_target, ghost, key, timeout=timeout, source=eke_sources.fresh())
        try:
            hs.receive_eke2(timeout)
            eke2 = _eke2_ok(hs)
            try:
                eke3 = hs.client.on_eke2(eke2)
            except eke.EkeError:
                continue  # as it must be: C2 is noise under this key
            hs.send_eke3(eke3)
            answer = hs.raw.recv_frame(deadline_after(timeout))
            raise ConformanceFailure(
                f"EKE-HS-3: for the unknown user {ghost!r} the server's C2 verifies under "
                f"{what} = {key.hex()}: its fake key can be computed without its secret, "
                "so every name without an account can log in\n"
                f"Answer to the EKE3 made with it: {answer.describe()}"
            )
        finally:
            hs.close()


# ---------------------------------------------------------------- invalid X'


@pytest.mark.req("EKE-X-3", "EKE-KS-2", "EKE-HS-8")
@pytest.mark.parametrize(
    "value",
    [0, 1, eke.P - 1, eke.P, eke.P + 1, (1 << 3072) - 1],
    ids=["zero", "one", "p-1", "p", "p+1", "2^3072-1"],
)
def test_invalid_x_prime_is_rejected(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, value: int
) -> None:
    """A' = E_pw(X') with an invalid X' under the RIGHT key: the server must not use it.

    If it did, Z would be 0 or 1 and the suite could compute every key; it checks that
    C2 does not verify under such a Z, and that EKE3 computed with it is refused.
    """
    timeout = _timeout(eke_target)
    a = eke.feistel_encrypt(eke_victim.pw, eke.element_to_bytes(value))
    hs = start_handshake(
        eke_target,
        eke_victim.user,
        eke_victim.pw,
        timeout=timeout,
        source=eke_sources.fresh(),
        a_override=a,
    )
    try:
        event = hs.receive_eke2(timeout)
        if isinstance(event, ReceivedFrame) and event.type == b"EROR":
            raise ConformanceFailure(
                "EKE-X-3: an invalid X' must be reported only where EKE-HS-8 fails (at EKE3), "
                f"not at EKE1\nActual: {event.describe()}"
            )
        eke2 = _eke2_ok(hs)
        b = bytes.fromhex(eke2["b"])
        th = eke.transcript_hash(eke_victim.user, a, b)
        for z_int in (0, 1, eke.P - 1):
            keys = eke.derive_keys(eke.element_to_bytes(z_int), th)
            try:
                eke.aead_open(keys.kcs, eke.N2, bytes.fromhex(eke2["c"]), b"EKE2" + th)
            except eke.EkeError:
                continue
            raise ConformanceFailure(
                f"EKE-X-3/EKE-KS-2: after X' = {value:#x}, the server's C2 verifies under "
                f"Z = {z_int}: it used an invalid element; the attacker knows every key"
            )
        keys = eke.derive_keys(eke.element_to_bytes(1), th)
        eke3 = eke.aead_seal(keys.kcc, eke.N3, bytes(64), b"EKE3" + th)
        hs.send_eke3({"c": eke3.hex()})
        _expect_auth_failed(hs, timeout, f"EKE3 after an invalid X' = {value:#x}")
    finally:
        hs.close()


# ---------------------------------------------------------------- replays and reflections


@pytest.mark.req("EKE-HS-10", "EKE-X-1", "EKE-HS-8")
def test_replayed_eke1_and_eke3_fail(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """EKE1 and EKE3 of a completed session, replayed: fresh y and Ns make them fail."""
    timeout = _timeout(eke_target)
    first = start_handshake(
        eke_target, eke_victim.user, eke_victim.pw, timeout=timeout, source=eke_sources.fresh()
    )
    try:
        first.receive_eke2(timeout)
        eke2_first = _eke2_ok(first)
        eke3 = first.client.on_eke2(eke2_first)
        first.send_eke3(eke3)
        expect_on(first.raw, [ExpectFrame("EKE4")], timeout).check("the honest first session")
    finally:
        first.close()
    replay = start_handshake(
        eke_target,
        eke_victim.user,
        eke_victim.pw,
        timeout=timeout,
        source=eke_sources.fresh(),
        a_override=first.client.a,
    )
    try:
        replay.receive_eke2(timeout)
        eke2_again = _eke2_ok(replay)
        assert eke2_again["b"] != eke2_first["b"], (
            "EKE-HS-10/EKE-X-1: the server answered a replayed EKE1 with the same B: "
            "its exponent y is not fresh"
        )
        assert eke2_again["c"] != eke2_first["c"], "EKE-HS-10: C2 repeats (Ns not fresh)"
        replay.send_eke3(eke3)
        _expect_auth_failed(replay, timeout, "an EKE3 replayed from an earlier session")
    finally:
        replay.close()


@pytest.mark.req("EKE-HS-10", "EKE-HS-8", "EKE-KS-4")
def test_reflected_messages_fail(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """The server's own values sent back to it: B as A, and its C2 as our confirmation."""
    timeout = _timeout(eke_target)
    donor = start_handshake(
        eke_target, eke_victim.user, eke_victim.pw, timeout=timeout, source=eke_sources.fresh()
    )
    donor.receive_eke2(timeout)
    donor_eke2 = _eke2_ok(donor)
    donor.close()
    hs = start_handshake(
        eke_target,
        eke_victim.user,
        eke_victim.pw,
        timeout=timeout,
        source=eke_sources.fresh(),
        a_override=bytes.fromhex(donor_eke2["b"]),
    )
    try:
        hs.receive_eke2(timeout)
        eke2 = _eke2_ok(hs)
        c2 = bytes.fromhex(eke2["c"])
        # C2 (48 bytes) reflected as C3 (80 bytes): the server's own confirmation padded
        # with its own bytes; Kcc ≠ Kcs and the AD labels differ, so it must fail.
        hs.send_eke3({"c": (c2 + c2[:32]).hex()})
        _expect_auth_failed(hs, timeout, "EKE3 made of the server's own C2 (reflection)")
    finally:
        hs.close()


@pytest.mark.req("EKE-HS-9", "FRM-6")
def test_eke2_sent_to_the_server_is_unexpected(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """The server's EKE2 echoed back in place of EKE3 is out of order."""
    timeout = _timeout(eke_target)
    hs = start_handshake(
        eke_target, eke_victim.user, eke_victim.pw, timeout=timeout, source=eke_sources.fresh()
    )
    try:
        hs.receive_eke2(timeout)
        eke2 = _eke2_ok(hs)
        hs.raw.send_frame(b"EKE2", eke2)
        outcome = expect_on(
            hs.raw,
            [ExpectError("unexpected_frame", "auth_failed", "bad_frame"), ExpectClose()],
            timeout,
        )
        outcome.check("EKE2 reflected to the server")
    finally:
        hs.close()


# ---------------------------------------------------------------- order and format


@pytest.mark.req("EKE-HS-9", "FRM-6")
@pytest.mark.parametrize("frame_type", ["EKE3", "RQFL", "EKE4", "RECD"])
def test_wrong_first_frame_is_unexpected(
    eke_target: Target, eke_sources: SourceAddresses, frame_type: str
) -> None:
    timeout = _timeout(eke_target)
    payloads: dict[str, bytes] = {
        "EKE3": b'{"c":"' + b"00" * 80 + b'"}',
        "RQFL": b'{"name":"hello.txt"}',
        "EKE4": b'{"c":"' + b"00" * 48 + b'"}',
        "RECD": bytes(40),
    }
    raw = connect_raw(eke_target.host, eke_target.port, timeout=timeout, source=eke_sources.fresh())
    try:
        raw.send_frame(frame_type, payloads[frame_type])
        allowed: list[Expectation] = [ExpectError("unexpected_frame", then_close=True)]
        if frame_type == "RECD":
            allowed.append(ExpectClose())  # a record before keys exist: a close is fine
        expect_on(raw, allowed, timeout).check(f"{frame_type} as the first frame")
    finally:
        raw.close()


def _json_abuse(member: str, good: str, rest: str) -> dict[str, bytes]:
    """Payloads that FRM-9 refuses although a plain `json.loads` takes them; the last value
    of `member` (the one a lenient parser keeps) is always the good one, so a receiver that
    parses its clear handshake frames leniently goes on with the handshake."""
    value = f'"{member}":"{good}"'
    return {
        "duplicate-member": f'{{{rest}"{member}":"00",{value}}}'.encode(),
        "nan-member": f'{{{rest}{value},"x":NaN}}'.encode(),
        "infinity-member": f'{{{rest}{value},"x":-Infinity}}'.encode(),
        "nested-duplicate": f'{{{rest}{value},"x":{{"k":1,"k":2}}}}'.encode(),
        "not-utf8": f'{{{rest}{value},"x":"'.encode() + b'\xff"}',
        "top-level-array": f"[{{{rest}{value}}}]".encode(),
    }


# "odd-long"/"odd-short": one hex digit more or less, which a length check written
# len / 2 == 384 (integer division) lets through. White space inside or around the hex
# ("spaced", "space-padded", "newline-ended", "tab-ended"): a decoder that skips it
# (bytes.fromhex, a strip() before the check) gets the right 384 bytes from a member that
# is not 768 hex characters (FRM-12).
_EKE1_VARIANTS = [
    *["short", "odd-short", "odd-long", "upper", "not-hex", "number", "no-user"],
    *["spaced", "space-padded", "newline-ended", "tab-ended"],
    *_json_abuse("a", "", ""),
]


@pytest.mark.req("EKE-HS-1", "FRM-12", "FRM-9")
@pytest.mark.parametrize("variant", _EKE1_VARIANTS)
def test_malformed_eke1_is_refused(
    eke_target: Target, eke_sources: SourceAddresses, variant: str
) -> None:
    timeout = _timeout(eke_target)
    user = ghost_user()
    good = eke.ClientHandshake(user=user, pw=bytes(32)).eke1()["a"]
    bodies: dict[str, bytes] = {
        "short": control({"user": user, "a": good[:-2]}),
        "odd-short": control({"user": user, "a": good[:-1]}),
        "odd-long": control({"user": user, "a": good + "0"}),
        "upper": control({"user": user, "a": good.upper()}),
        "not-hex": control({"user": user, "a": "zz" * 384}),
        "number": control({"user": user, "a": 12}),
        "no-user": control({"a": good}),
        "spaced": control({"user": user, "a": good[:384] + " " + good[384:]}),
        "space-padded": control({"user": user, "a": f" {good} "}),
        "newline-ended": control({"user": user, "a": good + "\n"}),
        "tab-ended": control({"user": user, "a": good + "\t"}),
        **_json_abuse("a", good, f'"user":"{user}",'),
    }
    raw = connect_raw(eke_target.host, eke_target.port, timeout=timeout, source=eke_sources.fresh())
    try:
        raw.send_frame("EKE1", bodies[variant])
        # bad_frame is what FRM-9/12 say; auth_failed hides even the format (also sound).
        expect_on(raw, [ExpectError("bad_frame", "auth_failed", then_close=True)], timeout).check(
            f"EKE1 with a malformed member ({variant})"
        )
    finally:
        raw.close()


_EKE3_VARIANTS = [
    *["upper", "short", "long", "odd-long", "number", "spaced"],
    *["space-padded", "newline-ended"],
    *_json_abuse("c", "", ""),
]


@pytest.mark.req("FRM-12", "FRM-9", "EKE-HS-8")
@pytest.mark.parametrize("variant", _EKE3_VARIANTS)
def test_malformed_eke3_is_refused(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, variant: str
) -> None:
    """The victim's VALID C3, carried in an EKE3 that breaks FRM-12 or FRM-9 (upper-case
    hex, a space between bytes, a lenient parser's last-wins duplicate...): the server must
    refuse the frame (bad_frame, or auth_failed) and never answer EKE4."""
    timeout = _timeout(eke_target)
    hs = start_handshake(
        eke_target, eke_victim.user, eke_victim.pw, timeout=timeout, source=eke_sources.fresh()
    )
    try:
        hs.receive_eke2(timeout)
        good = str(hs.client.on_eke2(_eke2_ok(hs))["c"])
        bodies: dict[str, bytes] = {
            "upper": control({"c": good.upper()}),
            "short": control({"c": good[:-2]}),
            "long": control({"c": good + "00"}),
            "odd-long": control({"c": good + "0"}),  # len / 2 == 80 passes it
            "number": control({"c": 12}),
            "spaced": control({"c": good[:80] + " " + good[80:]}),
            "space-padded": control({"c": f" {good} "}),
            "newline-ended": control({"c": good + "\n"}),
            **_json_abuse("c", good, ""),
        }
        hs.raw.send_frame("EKE3", bodies[variant])
        outcome = expect_on(hs.raw, [ExpectError("bad_frame", "auth_failed")], timeout)
        if isinstance(outcome.actual, ReceivedFrame) and outcome.actual.type == b"EKE4":
            raise ConformanceFailure(
                f"FRM-12/FRM-9: an EKE3 whose payload is malformed ({variant}) was accepted: "
                f"the server answered EKE4\n{outcome.describe()}"
            )
        outcome.check(f"EKE3 carrying a valid C3 in a malformed payload ({variant})")
    finally:
        hs.close()


@pytest.mark.req("EKE-HS-11", "LIM-1")
@pytest.mark.parametrize("stall_after", ["nothing", "late-eke1"])
def test_handshake_timeout(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, stall_after: str
) -> None:
    """A client that stops mid-handshake gets EROR timeout (or a close) within the limit.

    `late-eke1`: EKE1 comes at 3/4 of the limit, EKE2 is read, then nothing. The deadline
    runs from accept (LIM-1, LIM-9): a server whose timer restarts with EKE1 or EKE2 ("each
    step its own timeout") would close only at 1.75 times the limit.

    Bytes trickling in: test_eke_handshake_stalls.py."""
    limit = eke_target.limits.handshake_timeout
    if limit > 15:
        pytest.skip(f"handshake timeout of {limit} s is too long for the default run")
    started = time.monotonic()
    raw = connect_raw(
        eke_target.host, eke_target.port, timeout=limit + 5, source=eke_sources.fresh()
    )
    try:
        if stall_after == "late-eke1":
            client = eke.ClientHandshake(user=eke_victim.user, pw=eke_victim.pw)
            eke1 = client.eke1()
            time.sleep(0.75 * limit)  # the scenario: a slow client, not a synchronisation
            raw.send_frame("EKE1", eke1)
            event = raw.recv_frame(deadline_after(limit + 5))
            if not (isinstance(event, ReceivedFrame) and event.type == b"EKE2"):
                raise ConformanceFailure.evidence(
                    f"an EKE1 sent {0.75 * limit:.2f} s after connecting (the declared "
                    f"handshake timeout is {limit} s)",
                    "EKE2: the handshake is still within its timeout",
                    event.describe(),
                )
        outcome = expect_on(
            raw, [ExpectError("timeout", then_close=True), ExpectClose()], limit + 5, skip=[]
        )
        outcome.check("a handshake that stalls")
        elapsed = time.monotonic() - started
        assert elapsed >= limit * 0.5, (
            f"closed after {elapsed:.2f} s, well before the handshake timeout of {limit} s"
        )
        if elapsed > 1.35 * limit + 0.2:
            # Counted from accept for a silent client too: a server that starts the timer
            # only once a thread picks the connection up, or after a first read in its
            # accept loop, closes late.
            what = (
                f"EKE1 sent {0.75 * limit:.2f} s after connecting, then nothing"
                if stall_after == "late-eke1"
                else "nothing sent after connecting"
            )
            raise ConformanceFailure(
                f"LIM-1: {what}: the server closed {elapsed:.2f} s after the connection was "
                f"made, the handshake timeout is {limit} s counted from accept (its timer "
                f"started late or restarted mid-handshake)\n{outcome.describe()}",
                violates=("LIM-1",),
            )
        if isinstance(outcome.actual, Closed):
            # The spec asks for EROR timeout (EKE-HS-11); a bare close meets LIM-1 only.
            raise ConformanceFailure(
                f"EKE-HS-11: closed after {elapsed:.2f} s without EROR timeout\n"
                f"{outcome.describe()}"
            )
    finally:
        raw.close()


# ---------------------------------------------------------------- EKE3: right key, wrong content


def _flip_byte(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def _c3_variants(keys: eke.SessionKeys, na: bytes, ns: bytes) -> dict[str, bytes]:
    """C3 values a client holding the RIGHT keys could send, each wrong in one way (§5.3)."""
    th = keys.th
    ad = b"EKE3" + th
    honest = eke.aead_seal(keys.kcc, eke.N3, na + ns, ad)
    other_th = eke.transcript_hash("sft-conformance-other", bytes(384), bytes(384))
    return {
        # the plaintext: Na ‖ Ns, with Ns wrong at each boundary of a partial compare
        "ns-byte-0": eke.aead_seal(keys.kcc, eke.N3, na + _flip_byte(ns, 0), ad),
        "ns-byte-15": eke.aead_seal(keys.kcc, eke.N3, na + _flip_byte(ns, 15), ad),
        "ns-byte-16": eke.aead_seal(keys.kcc, eke.N3, na + _flip_byte(ns, 16), ad),
        "ns-byte-31": eke.aead_seal(keys.kcc, eke.N3, na + _flip_byte(ns, 31), ad),
        "ns-zero": eke.aead_seal(keys.kcc, eke.N3, na + bytes(32), ad),
        "fields-swapped": eke.aead_seal(keys.kcc, eke.N3, ns + na, ad),
        "na-twice": eke.aead_seal(keys.kcc, eke.N3, na + na, ad),
        # the length: Ns alone, or Na ‖ Ns behind 32 more bytes (it still ends with Ns)
        "ns-only": eke.aead_seal(keys.kcc, eke.N3, ns, ad),
        "extended": eke.aead_seal(keys.kcc, eke.N3, bytes(32) + na + ns, ad),
        "tag-truncated": honest[:-1],
        # the AEAD: every part of GCM's input must be checked
        "tag-byte-0": _flip_byte(honest, 64),
        "tag-byte-15": _flip_byte(honest, 79),
        "ciphertext-byte-0": _flip_byte(honest, 0),
        "ciphertext-byte-63": _flip_byte(honest, 63),
        "key-kcs": eke.aead_seal(keys.kcs, eke.N3, na + ns, ad),
        "key-c2s": eke.aead_seal(keys.key_c2s, eke.N3, na + ns, ad),
        "nonce-n2": eke.aead_seal(keys.kcc, eke.N2, na + ns, ad),
        "nonce-n4": eke.aead_seal(keys.kcc, eke.N4, na + ns, ad),
        "label-eke2": eke.aead_seal(keys.kcc, eke.N3, na + ns, b"EKE2" + th),
        "no-transcript": eke.aead_seal(keys.kcc, eke.N3, na + ns, b"EKE3"),
        "other-transcript": eke.aead_seal(keys.kcc, eke.N3, na + ns, b"EKE3" + other_th),
    }


_C3_VARIANTS = list(_c3_variants(eke.derive_keys(bytes(384), bytes(32)), bytes(32), bytes(32)))
_C3_LENGTH_VARIANTS = frozenset({"ns-only", "extended", "tag-truncated"})


@pytest.mark.req("EKE-HS-6", "EKE-HS-8", "EKE-KS-4")
@pytest.mark.parametrize("variant", _C3_VARIANTS)
def test_eke3_with_the_right_key_but_wrong_content_fails(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, variant: str
) -> None:
    """The client knows the password (so all keys), but its C3 is wrong in one way: wrong
    or misplaced Ns, wrong length, a flipped tag or ciphertext byte, another key, nonce or
    associated data. The server must verify C3 fully and refuse it: auth_failed, no EKE4
    (a C3 of the wrong length may also be bad_frame, FRM-12)."""
    timeout = _timeout(eke_target)
    hs = start_handshake(
        eke_target, eke_victim.user, eke_victim.pw, timeout=timeout, source=eke_sources.fresh()
    )
    try:
        hs.receive_eke2(timeout)
        keys = _right_keys(hs)
        c3 = _c3_variants(keys, hs.client.na, hs.client.ns)[variant]
        hs.send_eke3({"c": c3.hex()})
        names = ("auth_failed", "bad_frame") if variant in _C3_LENGTH_VARIANTS else ("auth_failed",)
        outcome = expect_on(hs.raw, [ExpectError(*names, then_close=True)], timeout)
        if isinstance(outcome.actual, ReceivedFrame) and outcome.actual.type == b"EKE4":
            raise ConformanceFailure(
                f"EKE-HS-6: the server accepted a C3 made with the right keys but wrong "
                f"({variant}): C3 = {c3.hex()[:48]}… ({len(c3)} bytes), Ns = {hs.client.ns.hex()}"
                f", Na = {hs.client.na.hex()}\nIt answered EKE4: it does not verify C3 fully"
            )
        outcome.check(f"EKE3 with the right keys, wrong in one way ({variant})")
    finally:
        hs.close()


# ---------------------------------------------------------------- fresh values per handshake


@pytest.mark.req("EKE-HS-10", "EKE-X-1")
def test_server_draws_fresh_y_and_ns_per_handshake(eke_target: Target) -> None:
    """Y (B decrypted and mapped to the residue) and Ns (C2 opened) of several honest
    handshakes must all differ: a reused y or Ns repeats whatever the sign bit does."""
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    account = eke_target.accounts[0]
    pw = password_key_cached(account.password, account.user)
    timeout = _timeout(eke_target)
    ys: list[int] = []
    nss: list[bytes] = []
    for _ in range(4):
        hs = start_handshake(eke_target, account.user, pw, timeout=timeout)
        try:
            hs.receive_eke2(timeout)
            eke2 = _eke2_ok(hs)
            hs.send_eke3(hs.client.on_eke2(eke2))
            expect_on(hs.raw, [ExpectFrame("EKE4")], timeout).check("honest handshake")
        finally:
            hs.close()
        y_prime = int.from_bytes(eke.feistel_decrypt(pw, bytes.fromhex(eke2["b"])), "big")
        ys.append(eke.pm_decode(y_prime))
        nss.append(hs.client.ns)
    assert len(set(ys)) == len(ys), (
        "EKE-HS-10/EKE-X-1: the server's Y = g^y repeats across 4 honest handshakes "
        f"(Y mod 2^64 per handshake: {[y % 2**64 for y in ys]}): y is not fresh"
    )
    assert len(set(nss)) == len(nss), (
        f"EKE-HS-10: the server's Ns repeats across 4 handshakes: {[n.hex() for n in nss]}"
    )


def _encodings(value: bytes) -> dict[str, bytes]:
    """The ways a value could be written into a JSON payload by a careless sender."""
    forms = {
        "hex": value.hex().encode(),
        "HEX": value.hex().upper().encode(),
        "base64": base64.b64encode(value).rstrip(b"="),
        "base64url": base64.urlsafe_b64encode(value).rstrip(b"="),
    }
    if len(value) >= 32:  # a group element or a secret of that size: also as a number
        forms["decimal"] = str(int.from_bytes(value, "big")).encode()
    return forms


@pytest.mark.req("EKE-SEC-1")
def test_server_handshake_messages_reveal_no_secret(eke_target: Target) -> None:
    """EKE2 and EKE4 travel in clear: beyond B and C2 (C4) they must hold nothing that lets
    an eavesdropper test a password guess offline. The suite, holding the password, knows
    every value of the session — ±Y (B decrypted), ±X, Z, PRK, the six keys, Ns — and
    looks for each, in hex, base64 or decimal, anywhere in those two payloads: a "debug"
    member with the unhidden Y ("it is public anyway") lets anyone check E_guess(Y') = B;
    one with Z or a key opens the session outright. Values this long never appear by
    chance."""
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    account = eke_target.accounts[0]
    pw = password_key_cached(account.password, account.user)
    timeout = _timeout(eke_target)
    hs = start_handshake(eke_target, account.user, pw, timeout=timeout)
    try:
        hs.receive_eke2(timeout)
        eke2 = _eke2_ok(hs)
        hs.send_eke3(hs.client.on_eke2(eke2))
        outcome = expect_on(hs.raw, [ExpectFrame("EKE4")], timeout)
        outcome.check("honest handshake")
    finally:
        hs.close()
    keys = hs.client.keys
    assert keys is not None and outcome.frame is not None and hs.eke2_event is not None
    y_prime = int.from_bytes(eke.feistel_decrypt(pw, bytes.fromhex(eke2["b"])), "big")
    x_prime = int.from_bytes(eke.feistel_decrypt(pw, hs.client.a), "big")
    secrets_: dict[str, bytes] = {
        "Y' (B decrypted)": eke.element_to_bytes(y_prime),
        "p - Y'": eke.element_to_bytes(eke.P - y_prime),
        "X' (A decrypted)": eke.element_to_bytes(x_prime),
        "p - X'": eke.element_to_bytes(eke.P - x_prime),
        "pw": pw,
        "Ns": hs.client.ns,
    }
    for name in ("z", "prk", "kcs", "kcc", "key_c2s", "iv_c2s", "key_s2c", "iv_s2c"):
        secrets_[name.upper() if len(name) == 1 else name] = getattr(keys, name)
    assert isinstance(hs.eke2_event, ReceivedFrame)
    for frame in (hs.eke2_event, outcome.frame):
        payload = bytes(frame.payload)
        for name, value in secrets_.items():
            for form, encoded in _encodings(value).items():
                where = payload.find(encoded)
                if where >= 0:
                    raise ConformanceFailure.evidence(
                        f"EKE-SEC-1: the clear {frame.type.decode()} of an honest handshake",
                        "b and c only: nothing a passive eavesdropper could test a guess with",
                        f"{name} in {form} at byte {where} of its payload ({payload[:160]!r}...)",
                        "anyone who captures the session can then test password guesses "
                        "offline (or read it outright)",
                    )


# ---------------------------------------------------------------- X' at or above p


@pytest.mark.req("EKE-X-3", "EKE-HS-8")
def test_x_prime_above_p_is_not_reduced(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """X' = p + 2^k (k = 2000; below 2^3072) must be refused, not reduced mod p: reduced,
    it is X = 2^k = g^k, so Z = Y^k and the attacker knows every key of the session."""
    timeout = _timeout(eke_target)
    k = 2000
    a = eke.feistel_encrypt(eke_victim.pw, eke.element_to_bytes(eke.P + (1 << k)))
    hs = start_handshake(
        eke_target,
        eke_victim.user,
        eke_victim.pw,
        timeout=timeout,
        source=eke_sources.fresh(),
        a_override=a,
    )
    try:
        event = hs.receive_eke2(timeout)
        if isinstance(event, ReceivedFrame) and event.type == b"EROR":
            raise ConformanceFailure(
                "EKE-X-3: an invalid X' must be reported only where EKE-HS-8 fails (at EKE3), "
                f"not at EKE1\nActual: {event.describe()}"
            )
        eke2 = _eke2_ok(hs)
        b = bytes.fromhex(eke2["b"])
        y = eke.pm_decode(int.from_bytes(eke.feistel_decrypt(eke_victim.pw, b), "big"))
        z = eke.element_to_bytes(pow(y, k, eke.P))
        keys = eke.derive_keys(z, eke.transcript_hash(eke_victim.user, a, b))
        try:
            ns = eke.aead_open(keys.kcs, eke.N2, bytes.fromhex(eke2["c"]), b"EKE2" + keys.th)
        except eke.EkeError:
            ns = bytes(32)  # as it must be: C2 is noise to us
        else:
            raise ConformanceFailure(
                f"EKE-X-3: after X' = p + 2^{k} the server's C2 verifies under Z = Y^{k}: it "
                "reduced X' mod p instead of refusing it; the attacker knows every key"
            )
        na = bytes(32)
        c3 = eke.aead_seal(keys.kcc, eke.N3, na + ns, b"EKE3" + keys.th)
        hs.send_eke3({"c": c3.hex()})
        _expect_auth_failed(hs, timeout, f"EKE3 after X' = p + 2^{k}")
    finally:
        hs.close()


# ---------------------------------------------------------------- how handshake bytes arrive


_DELIVERIES = ["eke1-bytewise", "eke3-header-apart", "eke3-with-first-record"]


@pytest.mark.req("FRM-4")
@pytest.mark.parametrize("delivery", _DELIVERIES)
def test_handshake_frames_split_or_pipelined(
    eke_target: Target, eke_sources: SourceAddresses, delivery: str
) -> None:
    """FRM-4 in the handshake: EKE1 one byte per segment, EKE3's header apart from its
    payload, and EKE3 in one write with the first record (a client holds the record keys
    once C2 verifies, as a TLS 1.3 client sends data right after its Finished). The server
    must complete the handshake and answer that first request: a server that parses one
    recv() as one frame, or starts a fresh reader for the records and drops what it had
    buffered after EKE3, hangs or refuses."""
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    account = eke_target.accounts[0]
    pw = password_key_cached(account.password, account.user)
    timeout = _timeout(eke_target)
    known = eke_target.file("hello.txt") or eke_target.file()
    name = known.name if known is not None else "sft-conformance-no-such-file"
    client = eke.ClientHandshake(user=account.user, pw=pw)
    eke1 = frame_bytes("EKE1", control(client.eke1()))  # computed before the accept
    raw = connect_raw(
        eke_target.host,
        eke_target.port,
        timeout=timeout,
        name=f"eke {account.user} ({delivery})",
        source=eke_sources.fresh(),
    )
    try:
        if delivery == "eke1-bytewise":
            raw.send_split(eke1)
        else:
            raw.send_raw(eke1)
        got = expect_on(raw, [ExpectFrame("EKE2")], timeout).check(f"EKE2 ({delivery})")
        assert got.frame is not None
        eke3 = frame_bytes("EKE3", control(client.on_eke2(got.frame.json() or {})))
        sender, receiver = client.record_layer()
        request = sender.seal(frame_bytes("RQFL", control({"name": name})))
        if delivery == "eke3-with-first-record":
            raw.send_raw(eke3 + request)
        elif delivery == "eke3-header-apart":
            raw.send_split(eke3, [8])
        else:
            raw.send_raw(eke3)
        got = expect_on(raw, [ExpectFrame("EKE4")], timeout).check(f"EKE4 ({delivery})")
        assert got.frame is not None
        client.on_eke4(got.frame.json() or {})
        assert client.keys is not None
        channel = EkeChannel(raw, client.keys, sender, receiver, role="client")
        if delivery != "eke3-with-first-record":
            raw.send_raw(request)
        first = channel.expect([ExpectFrame("RSFL"), ExpectError("not_found")]).check(
            f"the answer to the first request ({delivery})"
        )
        if known is not None:
            assert first.frame is not None and first.frame.type == b"RSFL"
            channel.expect(
                ExpectFrame("DONE", {"size": known.size, "sha256": known.sha256}), skip=["DATA"]
            ).check(f"the file of the first request ({delivery})")
        channel.send_frame("BYE_", {})
    finally:
        raw.close()


# ---------------------------------------------------------------- user names and passwords


def _name_variants(user: str) -> dict[str, str]:
    out = {
        "upper": user.upper(),
        "capitalised": user[:1].upper() + user[1:],
        "leading-space": " " + user,
        "trailing-space": user + " ",
        "nfc": unicodedata.normalize("NFC", user),
        "nfd": unicodedata.normalize("NFD", user),
        # Compatibility forms (NFKC, PRECIS width mapping) fold these back to ASCII.
        "fullwidth": "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in user),
        # A prefix or an extension of the name: matched on the shorter length (C's
        # strncmp(account, user, strlen(user)), a `startswith`), it is the account.
        "truncated": user[:-1],
        "extended": user + user[-1:],
    }
    return {kind: name for kind, name in out.items() if name and name != user}


_NAME_VARIANTS = [
    "upper",
    "capitalised",
    "leading-space",
    "trailing-space",
    "nfc",
    "nfd",
    "fullwidth",
    "truncated",
    "extended",
]


@pytest.mark.req("EKE-PW-4", "EKE-HS-3")
@pytest.mark.parametrize("kind", _NAME_VARIANTS)
def test_user_name_is_matched_byte_for_byte(
    eke_target: Target, eke_sources: SourceAddresses, kind: str
) -> None:
    """EKE1 for a variant of an account's name (case, spaces, NFC/NFD), hidden under that
    ACCOUNT's key: the server must treat it as another (unknown) user, so its C2 must not
    verify under the account's key, and the handshake fails."""
    names = {account.user for account in eke_target.accounts}
    candidates = [
        (account, _name_variants(account.user)[kind])
        for account in eke_target.accounts
        if kind in _name_variants(account.user)
        and _name_variants(account.user)[kind] not in names  # another account's own name
    ]
    if not candidates:
        pytest.skip(f"no account name has a distinct {kind} variant")
    account, variant = candidates[0]
    pw = password_key_cached(account.password, account.user)
    timeout = _timeout(eke_target)
    hs = start_handshake(eke_target, variant, pw, timeout=timeout, source=eke_sources.fresh())
    try:
        hs.receive_eke2(timeout)
        eke2 = _eke2_ok(hs)
        b = bytes.fromhex(eke2["b"])
        c2 = bytes.fromhex(eke2["c"])
        try:
            y = eke.pm_decode(int.from_bytes(eke.feistel_decrypt(pw, b), "big"))
            z = eke.shared_secret(y, hs.client.exponent)
        except eke.EkeError:
            z = b""
        if z:
            for named in (variant, account.user):
                keys = eke.derive_keys(z, eke.transcript_hash(named, hs.client.a, b))
                try:
                    eke.aead_open(keys.kcs, eke.N2, c2, b"EKE2" + keys.th)
                except eke.EkeError:
                    continue
                raise ConformanceFailure(
                    f"EKE-PW-4: EKE1 for user {variant!r} ({kind} variant of {account.user!r}) "
                    f"was answered with {account.user!r}'s password key (C2 verifies under it, "
                    f"transcript with {named!r}): the server does not match names byte for byte"
                )
        hs.send_eke3(hs.client.on_eke2(eke2, verify=False))
        _expect_auth_failed(hs, timeout, f"EKE3 for the {kind} variant {variant!r}")
    finally:
        hs.close()


@pytest.mark.req("EKE-PW-1", "EKE-KS-1", "EKE-HS-6")
def test_every_account_completes_a_handshake(eke_target: Target, eke_channel_factory: Any) -> None:
    """Every declared account, with its password exactly as given (non-ASCII names and
    passwords, spaces at the edges): the handshake completes and a request is answered."""
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    for account in eke_target.accounts:
        try:
            channel: EkeChannel = eke_channel_factory(account)
        except ConformanceFailure as exc:
            raise ConformanceFailure(
                f"user {account.user!r} ({len(account.user)} characters, "
                f"{len(account.user.encode())} UTF-8 bytes) with its exact password: {exc}"
            ) from exc
        channel.send_frame("RQFL", {"name": "sft-conformance-no-such-file"})
        channel.expect([ExpectError("not_found", "forbidden")]).check(
            f"a request on {account.user!r}'s channel"
        )
        channel.send_frame("BYE_", {})
        channel.close()


def _password_variants(password: str) -> dict[str, str]:
    out = {
        "stripped": password.strip(),
        "nfc": unicodedata.normalize("NFC", password),
        "nfd": unicodedata.normalize("NFD", password),
        "casefolded": password.casefold(),
    }
    return {kind: value for kind, value in out.items() if value and value != password}


@pytest.mark.req("EKE-PW-1", "EKE-HS-8")
@pytest.mark.parametrize("kind", ["stripped", "nfc", "nfd", "casefolded"])
def test_password_variant_does_not_authenticate(
    eke_target: Target, eke_sources: SourceAddresses, kind: str
) -> None:
    """The password trimmed, NFC/NFD-normalised or case-folded is another password: the
    server's C2 must not verify under its key (passwords are used as given)."""
    candidates = [
        (account, _password_variants(account.password)[kind])
        for account in eke_target.accounts
        if kind in _password_variants(account.password)
    ]
    if not candidates:
        pytest.skip(f"no account password has a distinct {kind} variant")
    account, variant = candidates[-1]
    timeout = _timeout(eke_target)
    pw = password_key_cached(variant, account.user)
    victim = Victim(eke_target, account, timeout)
    hs = start_handshake(eke_target, account.user, pw, timeout=timeout, source=eke_sources.fresh())
    try:
        hs.receive_eke2(timeout)
        eke2 = _eke2_ok(hs)
        try:
            eke3 = hs.client.on_eke2(eke2)
        except eke.EkeError:
            eke3 = hs.client.on_eke2(eke2, verify=False)
        else:
            raise ConformanceFailure(
                f"EKE-PW-1: the {kind} variant of {account.user!r}'s password authenticates "
                "(the server's C2 verifies under its key): the server normalised or trimmed "
                "the password when it was stored"
            )
        hs.send_eke3(eke3)
        _expect_auth_failed(hs, timeout, f"EKE3 with the {kind} password variant")
    finally:
        hs.close()
        # The attempt counted against this account: an honest handshake forgives it.
        victim.reset(eke_sources)


# ---------------------------------------------------------------- frames in the wrong place
#
# [EKE-HS-9] After EKE2 the server reads one thing: EKE3 (or an EROR). Every other frame,
# well-formed by its own schema (so that FRM-16's "malformed too" reading does not
# apply), is unexpected_frame: a second EKE1 must not restart the handshake (a fresh
# EKE2 would hand out another guess on the same connection), and an undefined type is
# unexpected_frame, not bad_frame [FRM-5]. Unknown users (EKE-HS-3) from fresh addresses:
# no account's failure count is touched.

_HEX_ELEMENT = "ab" * 384


def _misplaced_payload(frame_type: str, user: str) -> bytes:
    if frame_type == "EKE1":
        return control(eke.ClientHandshake(user=user, pw=bytes(32)).eke1())
    if frame_type == "EKE2":
        return control({"b": _HEX_ELEMENT, "c": "cd" * 48})
    if frame_type == "EKE4":
        return control({"c": "cd" * 48})
    if frame_type == "RQFL":
        return control({"name": "hello.txt"})
    if frame_type == "RECD":
        return bytes(range(40))
    return control({})  # BYE_ and the undefined types: a small, valid JSON object


def _after_eke2(target: Target, sources: SourceAddresses, timeout: float) -> PartialHandshake:
    hs = start_handshake(target, ghost_user(), bytes(32), timeout=timeout, source=sources.fresh())
    hs.receive_eke2(timeout)
    _eke2_ok(hs)
    return hs


@pytest.mark.req("EKE-HS-9", "FRM-6")
@pytest.mark.parametrize("frame_type", ["EKE1", "EKE2", "EKE4", "RQFL", "BYE_", "RECD"])
def test_frame_out_of_order_after_eke2_is_unexpected(
    eke_target: Target, eke_sources: SourceAddresses, frame_type: str
) -> None:
    timeout = _timeout(eke_target)
    hs = _after_eke2(eke_target, eke_sources, timeout)
    try:
        hs.raw.send_frame(frame_type, _misplaced_payload(frame_type, str(hs.eke1["user"])))
        allowed: list[Expectation] = [ExpectError("unexpected_frame", then_close=True)]
        if frame_type == "RECD":
            allowed.append(ExpectClose())  # a record before the keys are confirmed
        outcome = expect_on(hs.raw, allowed, timeout)
        if isinstance(outcome.actual, ReceivedFrame) and outcome.actual.type in (b"EKE2", b"EKE4"):
            raise ConformanceFailure(
                f"EKE-HS-9: {frame_type} sent after EKE2 (instead of EKE3) was answered with "
                f"{outcome.actual.type.decode()}: the server went on with the handshake\n"
                f"{outcome.describe()}"
            )
        outcome.check(f"{frame_type} after EKE2")
    finally:
        hs.close()


@pytest.mark.req("FRM-5", "EKE-HS-9")
@pytest.mark.parametrize("stage", ["first", "after-eke2"])
@pytest.mark.parametrize("frame_type", ["ZZZZ", "EKE5", "EKE0"])
def test_undefined_type_in_the_handshake_is_unexpected(
    eke_target: Target, eke_sources: SourceAddresses, stage: str, frame_type: str
) -> None:
    timeout = _timeout(eke_target)
    if stage == "first":
        raw = connect_raw(
            eke_target.host, eke_target.port, timeout=timeout, source=eke_sources.fresh()
        )
    else:
        raw = _after_eke2(eke_target, eke_sources, timeout).raw
    try:
        raw.send_frame(frame_type, control({}))
        expect_on(raw, [ExpectError("unexpected_frame", then_close=True)], timeout).check(
            f"the undefined type {frame_type} ({stage})"
        )
    finally:
        raw.close()


# ---------------------------------------------------------------- the control limit in clear


def _padded(obj: dict[str, Any], length: int) -> bytes:
    """`obj` as a control payload of exactly `length` bytes, padded with an unknown member."""
    base = {**obj, "pad": ""}
    payload = control({**base, "pad": "x" * (length - len(control(base)))})
    assert len(payload) == length, (len(payload), length)
    return payload


def _eke1_of_length(user: str, a: bytes, length: int) -> bytes:
    """A valid EKE1 payload of exactly `length` bytes."""
    return _padded({"user": user, "a": a.hex()}, length)


@pytest.mark.req("FRM-8", "FRM-3", "FRM-10")
@pytest.mark.parametrize("stage", ["eke1-at-limit", "eke1-over", "eke3-over"])
def test_handshake_frames_obey_the_control_limit(
    eke_target: Target, eke_sources: SourceAddresses, stage: str
) -> None:
    """Handshake frames are control frames: at most 65 536 bytes of payload [FRM-8]. One at
    the limit is processed (its unknown padding member ignored, FRM-10); one byte more is
    refused with frame_too_large, whatever the frame limit of the records that follow."""
    timeout = _timeout(eke_target)
    limit = 65536
    if stage == "eke1-at-limit":
        client = eke.ClientHandshake(user=ghost_user(), pw=bytes(32))
        payload = _eke1_of_length(client.user, bytes.fromhex(client.eke1()["a"]), limit)
        raw = connect_raw(
            eke_target.host, eke_target.port, timeout=timeout, source=eke_sources.fresh()
        )
        try:
            raw.send_raw(frame_bytes("EKE1", payload))
            expect_on(raw, [ExpectFrame("EKE2")], timeout).check(
                f"an EKE1 of exactly {limit} bytes (a valid one, padded with an unknown member)"
            )
        finally:
            raw.close()
        return
    if stage == "eke1-over":
        raw = connect_raw(
            eke_target.host, eke_target.port, timeout=timeout, source=eke_sources.fresh()
        )
        frame_type = "EKE1"
    else:
        raw = _after_eke2(eke_target, eke_sources, timeout).raw
        frame_type = "EKE3"
    try:
        # The whole payload is sent: FRM-8 does not say when a control payload over its
        # limit is refused (FRM-3's "at the header" is for the frame limit), only how.
        if frame_type == "EKE1":
            client = eke.ClientHandshake(user=ghost_user(), pw=bytes(32))
            a = bytes.fromhex(client.eke1()["a"])
            payload = _eke1_of_length(client.user, a, limit + 1)
        else:
            payload = _padded({"c": "ab" * 80}, limit + 1)
        raw.send_raw(frame_bytes(frame_type, payload))
        expect_on(raw, [ExpectError("frame_too_large", then_close=True)], timeout).check(
            f"a {frame_type} of {limit + 1} bytes (a valid one, padded with an unknown member)"
        )
    finally:
        raw.close()


# ---------------------------------------------------------------- the client's EROR
#
# [ERR-3] An EROR with a fatal code ends the handshake at once: the server closes (within
# the 2 s the suite allows, and well before its handshake timer would: no EROR timeout) and
# processes nothing that came after it in the same write, here a frame that would
# otherwise be answered (a valid EKE1; the victim's valid EKE3).
# [ERR-4] An unknown code is `internal`: fatal too.


@pytest.mark.req("ERR-3", "ERR-4", "EKE-HS-9")
@pytest.mark.parametrize(
    "case", ["first-internal", "first-unknown-code", "eke2-auth_failed", "eke2-unknown-code"]
)
def test_client_eror_ends_the_handshake(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, case: str
) -> None:
    timeout = _timeout(eke_target)
    code = 99 if case.endswith("unknown-code") else (4 if "auth_failed" in case else 11)
    eror = frame_bytes("EROR", control({"code": code, "name": "x", "message": "conformance"}))
    if case.startswith("first"):
        raw = connect_raw(
            eke_target.host, eke_target.port, timeout=timeout, source=eke_sources.fresh()
        )
        client = eke.ClientHandshake(user=ghost_user(), pw=bytes(32))
        follow = frame_bytes("EKE1", control(client.eke1()))
    else:
        hs = start_handshake(
            eke_target, eke_victim.user, eke_victim.pw, timeout=timeout, source=eke_sources.fresh()
        )
        raw = hs.raw
        hs.receive_eke2(timeout)
        follow = frame_bytes("EKE3", control(hs.client.on_eke2(_eke2_ok(hs))))
    try:
        raw.send_raw(eror + follow)
        # An EROR back is tolerated, but not `timeout`: that one says the server waited
        # for its handshake timer instead of closing at once.
        # The window is also well inside the handshake timeout: a server that ignores the
        # EROR and is closed by its handshake timer must not pass for one that closed.
        window = min(FATAL_CLOSE_WITHIN, 0.5 * (eke_target.limits.handshake_timeout or 10.0))
        answers = ExpectError(*(c for c in FATAL_CODES if c != 10), then_close=True)
        outcome = expect_on(raw, [ExpectClose(), answers], window)
        if isinstance(outcome.actual, ReceivedFrame) and outcome.actual.type != b"EROR":
            raise ConformanceFailure(
                f"ERR-3: after the client's EROR (code {code}) the server processed the frame "
                f"that followed it\n{outcome.describe()}"
            )
        outcome.check(f"EROR code {code} from the client ({case}), then a frame to answer")
    finally:
        raw.close()


# ---------------------------------------------------------------- the server's fatal EROR
#
# [ERR-3] Every fatal answer of the server's handshake is followed by its close at once,
# the client keeping its side open: a server that waits for the client's FIN "so that the
# EROR is surely read" (a linger, a drain) holds the connection, and its slot, for as long
# as the client likes. One cause per way the handshake can end in a fatal EROR.

_FATAL_CAUSES = [
    "wrong-password",
    "unknown-user",
    "wrong-ns",
    "malformed-eke1",
    "malformed-eke3",
    "out-of-order",
    "undefined-type",
]


def _provoke_fatal(
    target: Target, victim: Victim, sources: SourceAddresses, cause: str, timeout: float
) -> RawConnection:
    """Opens a connection and sends what `cause` names; returns what to read the answer on."""
    if cause in ("malformed-eke1", "undefined-type"):
        raw = connect_raw(target.host, target.port, timeout=timeout, source=sources.fresh())
        if cause == "malformed-eke1":
            raw.send_frame("EKE1", control({"user": ghost_user(), "a": "zz" * 384}))
        else:
            raw.send_frame("ZZZZ", control({}))
        return raw
    # The victim only where its password matters; a wrong password key needs no scrypt.
    user, pw = ghost_user(), bytes(32)
    if cause in ("wrong-password", "wrong-ns"):
        user, pw = victim.user, (bytes(32) if cause == "wrong-password" else victim.pw)
    hs = start_handshake(target, user, pw, timeout=timeout, source=sources.fresh())
    hs.receive_eke2(timeout)
    try:
        eke2 = _eke2_ok(hs)
        if cause == "malformed-eke3":
            hs.raw.send_frame("EKE3", control({"c": "zz" * 80}))
        elif cause == "out-of-order":
            hs.raw.send_frame("RQFL", control({"name": "hello.txt"}))
        elif cause == "wrong-ns":
            hs.raw.send_frame("EKE3", control({"c": _c3_with_right_keys(hs, "wrong-ns").hex()}))
        else:
            hs.send_eke3(hs.client.on_eke2(eke2, verify=False))
    except ConformanceFailure as exc:  # no EKE2, or a C2 that does not verify: not ours
        hs.close()
        inconclusive(f"the handshake to fail ({cause}) did not reach EKE3: {exc}")
    return hs.raw


@pytest.mark.req("ERR-3")
@pytest.mark.parametrize("cause", _FATAL_CAUSES)
def test_fatal_handshake_answer_is_followed_by_the_close(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, cause: str
) -> None:
    """The server's fatal EROR in the handshake (auth_failed of every cause, bad_frame,
    unexpected_frame) is followed by its close within the suite's window, while the client
    keeps its side open and silent. Which code answers is other cases' business."""
    timeout = _timeout(eke_target)
    raw = _provoke_fatal(eke_target, eke_victim, eke_sources, cause, timeout)
    try:
        answer = raw.recv_frame(deadline_after(timeout))
        if not (isinstance(answer, ReceivedFrame) and answer.error_code in FATAL_CODES):
            # No fatal EROR at all (EKE4, a close, silence): the answer itself is judged by
            # the cases of the cause's own requirement, not here.
            inconclusive(f"no fatal EROR to judge the close after ({cause}): {answer.describe()}")
        assert isinstance(answer, ReceivedFrame)
        window = min(FATAL_CLOSE_WITHIN, 0.5 * (eke_target.limits.handshake_timeout or 10.0))
        after = raw.recv_frame(deadline_after(window))
        if not isinstance(after, Closed):
            raise ConformanceFailure(
                f"Expected: the connection closed at once after EROR {answer.error_name} "
                f"({cause})\n"
                f"Actual:   {after.describe()} (waited {window:g} s), the client keeping its "
                "side open\n"
                "ERR-3: after a fatal EROR the endpoint MUST close at once, not wait for the "
                "peer to close first"
            )
    finally:
        raw.close()


# Members no schema defines, of every JSON type (FRM-10: a receiver ignores them).
_UNKNOWN_MEMBERS: dict[str, Any] = {
    "ext": "sft-conformance",
    "version": 2,
    "flags": [1, "two", None, {"deep": True}],
    "meta": {"nested": {"list": [], "null": None}},
    "nothing": None,
}


@pytest.mark.req("FRM-10", "EKE-HS-2", "EKE-HS-6")
@pytest.mark.parametrize("placement", ["after", "before"])
def test_unknown_members_of_eke1_and_eke3_are_ignored(
    eke_target: Target, eke_sources: SourceAddresses, placement: str
) -> None:
    """An honest handshake whose EKE1 and EKE3 both carry members the schema does not
    define — strings, numbers, arrays, nested objects, null; after the defined members or
    before them — MUST complete: EKE2, then EKE4 that verifies (FRM-10: a receiver MUST
    ignore members of a control object its schema does not define; a sender MAY add
    them). A server that checks "exactly these members" (a strict schema, `len(obj) ==
    1`, `additionalProperties: false`) refuses an extensible client's handshake."""
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    account = eke_target.accounts[0]
    pw = password_key_cached(account.password, account.user)
    timeout = _timeout(eke_target)
    client = eke.ClientHandshake(user=account.user, pw=pw)
    first = client.eke1()  # before connecting: the handshake clock starts at accept
    raw = connect_raw(eke_target.host, eke_target.port, timeout=timeout, source=eke_sources.fresh())
    sent: list[str] = []

    def send(frame_type: bytes, obj: Any) -> bool:
        extended = (
            {**obj, **_UNKNOWN_MEMBERS} if placement == "after" else {**_UNKNOWN_MEMBERS, **obj}
        )
        sent.append(frame_type.decode())
        return raw.send_frame(frame_type, extended)

    try:
        result = honest_client_handshake(
            send, raw.recv_frame, client, deadline_after(timeout), eke1=first
        )
    finally:
        raw.close()
    if not result.ok:
        raise ConformanceFailure(
            f"Expected: an honest handshake whose {' and '.join(sent)} carry unknown members "
            f"({', '.join(_UNKNOWN_MEMBERS)}; {placement} the defined ones) completes\n"
            f"Actual:   {result.describe()}\n"
            "FRM-10: a receiver MUST ignore the members its schema does not define.\n"
            f"Transcript (last entries):\n{raw.transcript.tail()}",
            violates=("FRM-10",),
        )


# Wire values of `a` that look like invalid group elements but are only ciphertexts: E_pw
# is a permutation of ALL 384-byte strings, so D_pw of any of them is a candidate X'.
_A_LOOKALIKES = {
    "zero": 0,
    "one": 1,
    "p-1": eke.P - 1,
    "p": eke.P,
    "2^3072-1": (1 << 3072) - 1,
}


@pytest.mark.req("EKE-HS-2", "EKE-X-3")
@pytest.mark.parametrize("value", sorted(_A_LOOKALIKES))
def test_a_is_a_ciphertext_not_a_group_element(
    eke_target: Target, eke_sources: SourceAddresses, value: str
) -> None:
    """EKE1 whose `a` is I2OSP(v, 384) for v = 0, 1, p − 1, p, 2^3072 − 1, for an unknown
    user name: `a` is E_pw(X'), a ciphertext, and every 384-byte string is one. The server
    MUST decrypt it and answer EKE2 (EKE-HS-2); whether D_pw(a) is a valid X' is checked
    on the decrypted value, and a failure shows only at EKE3 (EKE-X-3, EKE-HS-8). A server
    that applies EKE-X-3's range check to the wire value itself refuses these at EKE1 —
    and an honest client whose A happens to be at least p (about 2^-64 of them) too."""
    timeout = _timeout(eke_target)
    a = _A_LOOKALIKES[value].to_bytes(384, "big")
    hs = start_handshake(
        eke_target,
        ghost_user(),
        bytes(32),
        timeout=timeout,
        source=eke_sources.fresh(),
        a_override=a,
    )
    try:
        event = hs.receive_eke2(timeout)
        if isinstance(event, ReceivedFrame) and event.error_name in ("throttled", "busy"):
            inconclusive(f"EKE1 from a fresh address with a fresh name: {event.describe()}")
        if hs.eke2 is None:
            raise ConformanceFailure(
                f"Expected: EKE2 for an EKE1 whose a is I2OSP({value}, 384) (a ciphertext: "
                "D_pw decides whether it hides a valid X', and only EKE3 may tell)\n"
                f"Actual:   {event.describe()}\n"
                f"Transcript (last entries):\n{hs.raw.transcript.tail()}"
            )
        _eke2_ok(hs)
    finally:
        hs.close()
