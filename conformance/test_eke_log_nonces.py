"""sft-eke/1: no handshake secret in the server's log, on any path of a login (EKE-THR-3),
read from the file the target declares (`[eke] server_log`).

EKE-THR-3: the server "MUST NOT log passwords, `pw`, keys or handshake secrets"; ERR-5 names
the sft-eke/1 secrets: `pw`, the nonces Ns and Na, Z, PRK, every key and IV of EKE-KS-3,
"and any part or digest of them (a key id or fingerprint included)". test_eke_server_log_
secrets.py looks for pw and the session keys (hex, whole or their first 4 bytes) after a
failed login under a wrong key and a successful one. A server that logs a secret only on
another path, or in another form, passes it: the expected Ns beside the received one when a
C3 opens but carries another nonce (a debugging aid on that one failure path), a dump of
the handshake's state when a login is abandoned after EKE2 (the bytes written as a Python
literal), the client's Na as a "session id" of a verified login, a fingerprint that is a
digest of a key rather than a prefix of it.

The case, with an account's real password (so the suite knows every secret of each login),
makes three logins from one source: one abandoned after EKE2 (the suite has opened C2:
it knows Ns, Z and every key), one whose EKE3 seals Na ‖ Ns' under the right key, Ns' being
Ns with its last byte changed (answered `auth_failed`), and one that succeeds. Then it reads
what the log gained and looks for each secret of the three (Ns, Na where the server saw
it, Z, PRK, Kcs, Kcc, record keys and IVs): whole in raw bytes, hex (either case), base64,
as the escaped body of a Python bytes literal; any 4 aligned bytes of it in hex (either
case); the first 8 hex digits of its SHA-256, SHA-1, SHA-512, MD5 and BLAKE2b digests.
A needle of 8 hex digits matches a random log of a few KiB by chance with a probability of
about 2^-32 per position: far below one false FAIL in a million runs. SKIP when the target
declares no log file or no account.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest

from conformance import eke
from conformance.eke_channel import password_key_cached
from conformance.eke_support import PartialHandshake, SourceAddresses, start_handshake
from conformance.log_files import SETTLE_WAIT, added_since, settled, size
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ReceivedFrame,
    deadline_after,
    expect_on,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("eke")]

_KEYS = ("z", "prk", "kcs", "kcc", "key_c2s", "iv_c2s", "key_s2c", "iv_s2c")
_WINDOW = 4  # bytes: a part of a secret, as a "key id" shows it
_DIGESTS: tuple[tuple[str, Callable[[bytes], str]], ...] = (
    ("SHA-256", lambda v: hashlib.sha256(v).hexdigest()),
    ("SHA-1", lambda v: hashlib.sha1(v).hexdigest()),  # noqa: S324 - a fingerprint looked for
    ("SHA-512", lambda v: hashlib.sha512(v).hexdigest()),
    ("MD5", lambda v: hashlib.md5(v).hexdigest()),  # noqa: S324 - a fingerprint looked for
    ("BLAKE2b", lambda v: hashlib.blake2b(v).hexdigest()),
)


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _forms(label: str, value: bytes) -> dict[str, bytes]:
    """Every form of `value` the case looks for, keyed by a description of it."""
    text = value.hex()
    out = {
        f"{label} (raw)": value,
        f"{label} (hex)": text.encode(),
        f"{label} (HEX)": text.upper().encode(),
        f"{label} (base64)": base64.b64encode(value),
        f"{label} (base64url)": base64.urlsafe_b64encode(value).rstrip(b"="),
        f"{label} (a Python bytes literal)": repr(value)[2:-1].encode(),
    }
    for start in range(len(value) - _WINDOW + 1):
        part = value[start : start + _WINDOW].hex()
        out[f"bytes {start}..{start + _WINDOW - 1} of {label} (hex)"] = part.encode()
        out[f"bytes {start}..{start + _WINDOW - 1} of {label} (HEX)"] = part.upper().encode()
    for name, digest in _DIGESTS:
        head = digest(value)[:8]
        out[f"the first 4 bytes of {name}({label}) (hex)"] = head.encode()
        out[f"the first 4 bytes of {name}({label}) (HEX)"] = head.upper().encode()
    return out


def _secrets(label: str, client: eke.ClientHandshake, *, na_sent: bool) -> dict[str, bytes]:
    keys = client.keys
    if keys is None or len(client.ns) != eke.NONCE_LEN:
        raise ConformanceFailure(f"{label}: the suite holds no keys (C2 not opened)")
    out = {f"{label}'s Ns": client.ns}
    if na_sent:
        out[f"{label}'s Na"] = client.na
    for name in _KEYS:
        out[f"{label}'s {name}"] = getattr(keys, name)
    return out


@pytest.mark.req("EKE-THR-3")
def test_no_nonce_key_or_digest_of_one_in_the_log_on_any_login_path(
    eke_target: Target,
    eke_sources: SourceAddresses,
) -> None:
    log = eke_target.eke_server_log
    if log is None:
        pytest.skip("the target declares no server log ([eke] server_log)")
    if not eke_target.accounts:
        pytest.skip("needs an eke account (give --user and --password-file)")
    account = eke_target.accounts[-1]
    pw = password_key_cached(account.password, account.user)
    timeout = _timeout(eke_target)
    source = eke_sources.fresh() if eke_sources.loopback else None
    start = size(log)
    secrets: dict[str, bytes] = {}
    handshakes: list[PartialHandshake] = []

    def eke2(step: str) -> eke.ClientHandshake:
        hs = start_handshake(eke_target, account.user, pw, source=source, timeout=timeout)
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            hs.close()
            if isinstance(event, ReceivedFrame) and event.error_name in ("throttled", "busy"):
                inconclusive(f"{step}: the login was refused {event.error_name}")
            raise ConformanceFailure(
                f"EKE-HS-2: {step}: no EKE2 for {account.user!r}: {event.describe()}"
            )
        hs.client.on_eke2(hs.eke2)  # with the real password: C2 verifies, Ns is known
        handshakes.append(hs)
        return hs.client

    try:
        # 1. Abandoned after EKE2: the server holds Ns and the keys, never sees Na.
        client = eke2("the abandoned login")
        handshakes[-1].close()
        secrets.update(_secrets("the abandoned login", client, na_sent=False))
        # 2. C3 under the right key, with Ns' = Ns but its last byte: auth_failed.
        client = eke2("the login with a wrong nonce")
        hs = handshakes[-1]
        assert client.keys is not None
        wrong = client.ns[:-1] + bytes([client.ns[-1] ^ 0x01])
        c3 = eke.aead_seal(client.keys.kcc, eke.N3, client.na + wrong, b"EKE3" + client.keys.th)
        hs.send_eke3({"c": c3.hex()})
        expect_on(hs.raw, [ExpectError("auth_failed")], timeout).check(
            "an EKE3 sealing Na and another nonce than Ns (EKE-HS-6, EKE-HS-8)"
        )
        hs.close()
        secrets.update(_secrets("the login with a wrong nonce", client, na_sent=True))
        # 3. Success.
        client = eke2("the successful login")
        hs = handshakes[-1]
        assert client.keys is not None
        c3 = eke.aead_seal(
            client.keys.kcc, eke.N3, client.na + client.ns, b"EKE3" + client.keys.th
        )
        hs.send_eke3({"c": c3.hex()})
        event = hs.raw.recv_frame(deadline_after(timeout))
        if not (isinstance(event, ReceivedFrame) and event.type == b"EKE4"):
            raise ConformanceFailure(
                f"EKE-HS-6: a valid EKE3 of {account.user!r} not answered EKE4: "
                f"{event.describe()}"
            )
        eke4 = event.json()
        if eke4 is None:
            raise ConformanceFailure("EKE-HS-6: the EKE4 payload is not a JSON object")
        client.on_eke4(eke4)
        hs.settle(timeout)
        secrets.update(_secrets("the successful login", client, na_sent=True))
    finally:
        for hs in handshakes:
            hs.close()
    if not settled(log, start):
        inconclusive(
            f"{log} gained nothing within {SETTLE_WAIT:g} s of three logins: the file the "
            "target declares is not where this server logs them"
        )
    added = added_since(log, start)
    found: list[str] = []
    for label, value in secrets.items():
        for form, needle in _forms(label, value).items():
            if needle and needle in added:
                found.append(form)
                break  # one form per secret is enough evidence
    if found:
        raise ConformanceFailure.evidence(
            f"EKE-THR-3: three logins of {account.user!r} with its password (abandoned after "
            f"EKE2, an EKE3 with another nonce, a success); what the server's log ({log}) "
            f"gained meanwhile ({len(added)} bytes)",
            "no nonce, key or IV of a login, nor a part or digest of one, in the log",
            "the log holds " + ", ".join(found[:8]) + (" ..." if len(found) > 8 else ""),
        )

