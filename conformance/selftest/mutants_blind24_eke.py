"""Blind red-team round 24 (helper B153): the sft-eke/1 SERVER through the six lenses of
/work/briefs/s24/common.md. Phase 1 (blind): written from docs/SPEC.md (§1-3 as the eke
server runs them, §5, §6, §7.3 for the legacy forms) and reference/eke/{server,handshake,
records,throttle,transport,crypto,store}.py before any case file or independent
implementation was opened. The first list was checked against the names and descriptions
of the 3,972 registered mutants; the ideas found there (throttle keys case-folded or
stripped, the store's SQL LIKE, Z without leading zeros, the AD without the length, a
failure counted twice, the address keyed with its port, the replay windows, inner handshake
frames dropped, the sequence number little-endian ...) were dropped, and two repeats found
only when phase 2 opened their files (the record header's type unchecked: b16eke; th over
A's minimal bytes: b19ceke) were replaced by the two marked (r).

Lens 1 — what the authenticator does not cover:
- b24eke-record-plaintext-before-tag (r): a record that fails its tag is still decrypted
  (GCM's CTR keystream) and handed on; the failure closes only at the next record [EKE-REC-4].
Lens 2 — legacy and downgrade bleed:
- b24eke-legacy-uack: a connection whose first byte is a lower-case letter (an sft-eke/0
  user name) is served by the legacy login: `u_ack` in clear, the password read in clear
  and answered `Authenticated`/`Not Authenticated`, unthrottled [FRM-2].
- b24eke-eke1-legacy-group: an EKE1 carrying the legacy members `p` and `g` (the seed's
  client-chosen group) gets its EKE2 computed in that group [EKE-GRP-1].
- b24eke-eke1-password-member: an EKE1 carrying a `password` member (the seed's clear
  login) is checked against the account first: a wrong one is answered `auth_failed` at
  once, without an EKE2 and without counting (a free password oracle) [FRM-10].
Lens 3 — the scanner's checklist:
- b24eke-http-health: a connection opening with `GET ` or `HEAD` (a scanner's or a load
  balancer's probe) is answered by an HTTP health page naming the server and its user
  count [FRM-2].
Lens 4 — the second-order fix:
- b24eke-proxy-protocol: a HAProxy `PROXY TCP4 …` line before EKE1 is taken from any peer
  ("the server runs behind a load balancer"): its source address replaces the socket's for
  the throttle, and the EKE1 behind it is answered EKE2 instead of a refusal [FRM-5].
- b24eke-record-ad-fallback-empty: a record that fails under the header AD is tried again
  with empty AD ("an early peer sealed without AD") [EKE-REC-3].
Lens 5 — debug and test leftovers:
- b24eke-debug-ping: an inner `PING` frame in the record phase is answered with an inner
  `PONG` (a keep-alive left from debugging) instead of unexpected_frame [FRM-5].
Lens 6 — fitted to the examples:
- b24eke-seq-u8: the record nonce XORs only the low byte of the sequence number into the
  IV (a one-byte counter): the 257th record of a direction reuses record 0's nonce; every
  example and every transfer of a few MiB stays below 256 records [EKE-REC-2].
- b24eke-fake-secret-from-vectors (r): server_secret is the one of the published vectors
  (eke_password_key.json): every unknown name's fake key is computable, a login without an
  account completes [EKE-HS-3].
Post-blind siblings (after the cases, to show they take the class):
- b24eke-seq-u8-send-only, b24eke-record-ad-fallback-inner-length,
  b24eke-fake-secret-changeme, b24eke-proxy-v2.

Blind result (10): 2 detected by the file first named (debug-ping: test_eke_undefined_types
.py; record-plaintext-before-tag: test_eke_records.py), none more by the whole suite (every
file citing the requirement). New cases: test_eke_foreign_openings.py (FRM-2/FRM-5: an
sft-eke/0 user name, HTTP GET/HEAD/OPTIONS, PROXY v1/v2 + EKE1, a TLS ClientHello, an SSH
banner as a connection's first bytes: one clear refusal EROR and the close, or the close),
test_eke_eke1_legacy_members.py (FRM-10/EKE-GRP-1: an honest login with p, g, group,
password, pw members added completes), test_eke_record_ad_forms.py (EKE-REC-3: seven
wrong ADs), test_eke_record_count.py (EKE-REC-2: 300 records each way; 65 586 with -m
slow), test_eke_fake_key_known_secrets.py (EKE-HS-3: the vectors' secret and defaults).
Final: 14 of 14 detected (-k b24eke).
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method

__all__ = ["MUTANTS"]

_GROUP = "blind24-eke"


def _peek(self: Any, sock: socket.socket, n: int) -> bytes | None:
    """The first n bytes without consuming them; None (after EROR timeout) if none came."""
    handshake = _module("reference.eke.handshake")
    errors = _module("reference.errors")
    sock.settimeout(self.config.handshake_timeout)
    try:
        return sock.recv(n, socket.MSG_PEEK | socket.MSG_WAITALL)
    except TimeoutError:
        with contextlib.suppress(OSError):
            sock.sendall(handshake.encode_error(errors.ErrorCode.TIMEOUT, "handshake timeout"))
            sock.close()
        return None
    except OSError:
        return b""


# -- lens 1 ------------------------------------------------------------------------------


def _record_plaintext_before_tag() -> None:
    """A record that fails its tag is still decrypted (GCM's CTR keystream) and handed on;
    the failure ends the connection at the next record ("streaming AEAD")."""
    crypto = _module("reference.eke.crypto")
    _patch_method(
        crypto._RecordCipher,
        "__init__",
        (
            "        self._aead = AESGCM(key)\n",
            "        self._aead = AESGCM(key)\n        self._b24_key = bytes(key)\n",
        ),
    )
    _patch_method(
        crypto.RecordOpener,
        "open",
        (
            "        try:\n"
            "            self._aead.decrypt_into(nonce, sealed, bytes(header), out)\n"
            "        except InvalidTag:\n"
            "            raise AuthenticationFailed() from None\n",
            '        if getattr(self, "_b24_late", False):\n'
            "            raise AuthenticationFailed()\n"
            "        try:\n"
            "            self._aead.decrypt_into(nonce, sealed, bytes(header), out)\n"
            "        except InvalidTag:  # streaming: deliver now, fail at the next record\n"
            "            from cryptography.hazmat.primitives.ciphers import (\n"
            "                Cipher, algorithms, modes,\n"
            "            )\n"
            "\n"
            "            counter = nonce + bytes((0, 0, 0, 2))\n"
            "            aes = algorithms.AES(self._b24_key)\n"
            "            ctr = Cipher(aes, modes.CTR(counter)).decryptor()\n"
            "            out[:] = ctr.update(bytes(sealed[:plain_len])) + ctr.finalize()\n"
            "            self._b24_late = True\n",
        ),
    )


_VECTOR_SERVER_SECRET = "a253a0af0a1356315beebcac7412ac9a03ef3d82781bd275b1ad6d44ba7a28f2"  # noqa: S105


def _fake_secret(secret_hex: str) -> Any:
    def apply() -> None:
        _fake_secret_apply(secret_hex)

    return apply


def _fake_secret_apply(secret_hex: str) -> None:
    """server_secret is a value anyone has (the vectors', a default)."""
    _patch_method(
        _module("reference.eke.store").PasswordStore,
        "_load_secret",
        (
            "        if row is not None:\n            return bytes(row[0])\n",
            "        if row is not None:\n"
            f'            return bytes.fromhex("{secret_hex}")  # as in the vectors\n',
        ),
        (
            "        return bytes(row[0])\n",
            f'        return bytes.fromhex("{secret_hex}")\n',
        ),
    )


# -- lens 2 ------------------------------------------------------------------------------


def _legacy_uack() -> None:
    server = _module("reference.eke.server")
    crypto = _module("reference.eke.crypto")
    hmac = _module("hmac")
    original = server.EkeServer._handshake

    def _handshake(self: Any, sock: socket.socket, address: str) -> Any:
        head = _peek(self, sock, 1)
        if head is None:
            return None
        if not (head and 0x61 <= head[0] <= 0x7A):
            return original(self, sock, address)
        # sft-eke/0 on the same port, for the clients not migrated yet.
        with contextlib.suppress(OSError, ValueError, UnicodeDecodeError):
            user = sock.recv(1024).decode("utf-8")
            sock.sendall(b"u_ack")
            password = sock.recv(1024).decode("utf-8")
            ok = hmac.compare_digest(
                crypto.password_key(user, password), self.store.key_for(user)
            )
            sock.sendall(b"Authenticated" if ok else b"Not Authenticated")
        with contextlib.suppress(OSError):
            sock.close()
        return None

    server.EkeServer._handshake = _handshake


def _eke1_legacy_group() -> None:
    handshake = _module("reference.eke.handshake")
    _patch_method(
        handshake.ServerHandshake,
        "_on_eke1",
        (
            '        self._a = _hex(obj, "a")\n',
            '        self._a = _hex(obj, "a")\n'
            "        # the sft-eke/0 client names its group: honour it\n"
            '        self._legacy_group = (obj.get("p"), obj.get("g"))\n',
        ),
    )
    _patch_method(
        handshake.ServerHandshake,
        "accept",
        (
            "        self._doomed = False\n",
            "        self._doomed = False\n"
            '        lp, lg = getattr(self, "_legacy_group", (None, None))\n'
            "        if lp is not None or lg is not None:\n"
            "            p = int(str(lp)) if lp is not None else crypto.P\n"
            "            g = int(str(lg)) if lg is not None else crypto.G\n"
            "            ephemeral = crypto.Ephemeral(\n"
            "                ephemeral.exponent, pow(g, ephemeral.exponent, p) % crypto.P\n"
            "            )\n",
        ),
    )


def _eke1_password_member() -> None:
    handshake = _module("reference.eke.handshake")
    _patch_method(
        handshake.ServerHandshake,
        "_on_eke1",
        (
            '        self._a = _hex(obj, "a")\n',
            '        self._a = _hex(obj, "a")\n'
            '        self._legacy_password = obj.get("password")\n',
        ),
    )
    _patch_method(
        handshake.ServerHandshake,
        "accept",
        (
            "        self._doomed = False\n",
            "        self._doomed = False\n"
            '        legacy = getattr(self, "_legacy_password", None)\n'
            "        if isinstance(legacy, str) and not hmac.compare_digest(\n"
            "            crypto.password_key(self.user, legacy), pw\n"
            "        ):  # the old client's login, checked first\n"
            "            self._outbox += encode_error(\n"
            "                ErrorCode.AUTH_FAILED, AuthenticationFailed.MESSAGE\n"
            "            )\n"
            "            self._failure = AuthenticationFailed()\n"
            "            self.state = HandshakeState.CLOSED\n"
            "            return\n",
        ),
    )
    # Refused in accept(): not counted, the throttle saw no EKE2.
    server = _module("reference.eke.server")
    _patch_method(
        server.EkeServer,
        "_handshake",
        (
            "                attempted.append(event.user)\n"
            "                hs.accept(self.store.key_for(event.user))\n",
            "                hs.accept(self.store.key_for(event.user))\n"
            "                if hs._failure is not None:  # refused before any EKE2\n"
            "                    self.throttle.end(event.user, address)\n"
            "                    return\n"
            "                attempted.append(event.user)\n",
        ),
    )


# -- lens 3 ------------------------------------------------------------------------------


def _http_health() -> None:
    server = _module("reference.eke.server")
    original = server.EkeServer._handshake

    def _handshake(self: Any, sock: socket.socket, address: str) -> Any:
        head = _peek(self, sock, 4)
        if head is None:
            return None
        if head not in (b"GET ", b"HEAD"):
            return original(self, sock, address)
        with contextlib.suppress(OSError):
            sock.recv(4096)
            users = len(self.store.users())
            body = f"sft-eke/1 reference: ok, {users} users\n".encode()
            sock.sendall(
                b"HTTP/1.0 200 OK\r\nServer: sft-eke/1 (reference)\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
        with contextlib.suppress(OSError):
            sock.close()
        return None

    server.EkeServer._handshake = _handshake


# -- lens 4 ------------------------------------------------------------------------------


def _proxy_protocol() -> None:
    server = _module("reference.eke.server")
    original = server.EkeServer._handshake

    def _handshake(self: Any, sock: socket.socket, address: str) -> Any:
        head = _peek(self, sock, 6)
        if head is None:
            return None
        if head == b"PROXY ":
            line = b""
            with contextlib.suppress(OSError):
                while not line.endswith(b"\r\n") and len(line) < 108:
                    byte = sock.recv(1)
                    if not byte:
                        break
                    line += byte
            parts = line.decode("ascii", "replace").split()
            if len(parts) >= 3:
                address = parts[2]  # the balancer's word for the client's address
        return original(self, sock, address)

    server.EkeServer._handshake = _handshake


def _proxy_v2() -> None:
    server = _module("reference.eke.server")
    original = server.EkeServer._handshake
    signature = b"\r\n\r\n\x00\r\nQUIT\n"

    def _handshake(self: Any, sock: socket.socket, address: str) -> Any:
        head = _peek(self, sock, 16)
        if head is None:
            return None
        if head[:12] == signature and len(head) == 16:
            with contextlib.suppress(OSError):
                sock.recv(16, socket.MSG_WAITALL)
                rest = sock.recv(int.from_bytes(head[14:16], "big"), socket.MSG_WAITALL)
                if head[13] >> 4 == 1 and len(rest) >= 4:  # AF_INET
                    address = socket.inet_ntoa(rest[:4])
        return original(self, sock, address)

    server.EkeServer._handshake = _handshake


def _record_ad_fallback(ad: str) -> Any:
    def apply() -> None:
        _patch_method(
            _module("reference.eke.crypto").RecordOpener,
            "open",
            (
                "        except InvalidTag:\n"
                "            raise AuthenticationFailed() from None\n",
                "        except InvalidTag:\n"
                "            try:  # an early peer sealed with another AD\n"
                f"                self._aead.decrypt_into(nonce, sealed, {ad}, out)\n"
                "            except InvalidTag:\n"
                "                raise AuthenticationFailed() from None\n",
            ),
        )

    return apply


# -- lens 5 ------------------------------------------------------------------------------


def _debug_verb(verb: bytes, answer: str) -> Any:
    def apply() -> None:
        _patch_method(
            _module("reference.eke.transport").SecureStream,
            "next_event",
            (
                "            assert isinstance(frame, InnerFrame)\n",
                "            assert isinstance(frame, InnerFrame)\n"
                f"            if frame.type == {verb!r}:  # debugging aid\n"
                f"                self.sock.sendall(self.channel.seal({answer}))\n"
                "                continue\n",
            ),
        )

    return apply


# -- lens 6 ------------------------------------------------------------------------------


def _seq_u8(*, send: bool = True, receive: bool = True) -> Any:
    def apply() -> None:
        crypto = _module("reference.eke.crypto")
        if send:
            _patch_method(
                crypto._RecordCipher,
                "_next_nonce",
                (
                    "        return (self._iv ^ seq).to_bytes(IV_LEN, \"big\")\n",
                    "        return (self._iv ^ (seq & 0xFF)).to_bytes(IV_LEN, \"big\")\n",
                ),
            )
        if receive:
            _patch_method(
                crypto.RecordOpener,
                "open",
                (
                    "        nonce = (self._iv ^ seq).to_bytes(IV_LEN, \"big\")\n",
                    "        nonce = (self._iv ^ (seq & 0xFF)).to_bytes(IV_LEN, \"big\")\n",
                ),
            )

    return apply


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b24eke-record-plaintext-before-tag",
        "EKE-REC-4",
        "test_eke_records.py",
        "L1 (r): a record that fails its tag is still decrypted (GCM's CTR keystream) and its"
        " frame handed to the application, which answers it; the failure closes the"
        " connection only at the next record",
        _record_plaintext_before_tag,
    ),
    _m(
        "b24eke-legacy-uack",
        "FRM-2",
        "test_eke_foreign_openings.py",
        "L2: a connection whose first byte is a lower-case letter (an sft-eke/0 user name) is"
        " served by the legacy login: u_ack in clear, the password read in clear and answered"
        " Authenticated / Not Authenticated, unthrottled",
        _legacy_uack,
    ),
    _m(
        "b24eke-eke1-legacy-group",
        "EKE-GRP-1",
        "test_eke_eke1_legacy_members.py",
        "L2: an EKE1 carrying the legacy members p and g (the seed's client-chosen group) gets"
        " its EKE2 computed as g^y mod p of that group",
        _eke1_legacy_group,
    ),
    _m(
        "b24eke-eke1-password-member",
        "FRM-10",
        "test_eke_eke1_legacy_members.py",
        "L2: an EKE1 carrying a password member (the seed's clear login) is checked against the"
        " account first: a wrong one is answered auth_failed at once, no EKE2, not counted (a"
        " free password oracle)",
        _eke1_password_member,
    ),
    _m(
        "b24eke-http-health",
        "FRM-2",
        "test_eke_foreign_openings.py",
        "L3: a connection opening with 'GET ' or 'HEAD' (a scanner's or a balancer's probe) is"
        " answered by an HTTP health page naming the server and its number of users",
        _http_health,
    ),
    _m(
        "b24eke-proxy-protocol",
        "FRM-5",
        "test_eke_foreign_openings.py",
        "L4: a HAProxy 'PROXY TCP4 ...' line before EKE1 is accepted from any peer: its source"
        " address replaces the socket's for the throttle, and the EKE1 behind it is answered"
        " EKE2 instead of unexpected_frame / frame_too_large",
        _proxy_protocol,
    ),
    _m(
        "b24eke-record-ad-fallback-empty",
        "EKE-REC-3",
        "test_eke_record_ad_forms.py",
        "L4: a record that fails under the header AD is tried again with empty AD ('an early"
        " peer sealed without AD'): the header is not authenticated",
        _record_ad_fallback('b""'),
    ),
    _m(
        "b24eke-debug-ping",
        "FRM-5",
        "test_eke_undefined_types.py",
        "L5: an inner PING frame in the record phase is answered with an inner PONG {} (a"
        " keep-alive left from debugging) instead of unexpected_frame",
        _debug_verb(b"PING", 'b"PONG" + (2).to_bytes(4, "big") + b"{}"'),
    ),
    _m(
        "b24eke-seq-u8",
        "EKE-REC-2",
        "test_eke_record_count.py",
        "L6: the record nonce XORs only the low byte of the sequence number into the IV (a"
        " one-byte counter): the 257th record of a direction reuses record 0's nonce",
        _seq_u8(),
    ),
    _m(
        "b24eke-fake-secret-from-vectors",
        "EKE-HS-3",
        "test_eke_fake_key_known_secrets.py",
        "L6 (r): server_secret is the one of the published vectors (eke_password_key.json):"
        " every unknown name's fake key can be computed, and a login without an account"
        " completes",
        _fake_secret(_VECTOR_SERVER_SECRET),
    ),
)

# Post-blind siblings are appended below once phase 2 has named the files.
_POST_BLIND: tuple[Mutant, ...] = (
    _m(
        "b24eke-seq-u8-send-only",
        "EKE-REC-2",
        "test_eke_record_count.py",
        "(post-blind) only the server's sealer takes the low byte of the sequence number: its"
        " 257th record reuses record 0's nonce (its opener counts right)",
        _seq_u8(receive=False),
    ),
    _m(
        "b24eke-record-ad-fallback-inner-length",
        "EKE-REC-3",
        "test_eke_record_ad_forms.py",
        "(post-blind) a record that fails under the header AD is tried again under RECD ||"
        " u32be(len(inner)), the length before the tag ('a peer that counted without the tag')",
        _record_ad_fallback('b"RECD" + (plain_len).to_bytes(4, "big")'),
    ),
    _m(
        "b24eke-fake-secret-changeme",
        "EKE-HS-3",
        "test_eke_fake_key_known_secrets.py",
        "(post-blind) server_secret is the configuration's default text 'changeme'",
        _fake_secret(b"changeme".hex()),
    ),
    _m(
        "b24eke-proxy-v2",
        "FRM-2",
        "test_eke_foreign_openings.py",
        "(post-blind) a HAProxy PROXY v2 binary header before EKE1 is taken from any peer"
        " (its source address for the throttle), the EKE1 behind it answered EKE2",
        _proxy_v2,
    ),
)
MUTANTS += _POST_BLIND
