"""Blind red-team round 28 (helper B221): BOTH SERVERS (the sft-eke/1 server and the
sft-pki/1 responder, with the application layer they share), through the six lenses of
/work/briefs/s28/common.md.

Phase 1 (blind): written from docs/SPEC.md (§1-§3, §4.1-§4.3 responder side, §5 server
side, §6) and the reference's server code (reference/eke/{server,handshake,throttle,
records,transport,crypto}.py, reference/pki/{peer,tls}.py, reference/{app,frames,transfer,
share}.py) before any case file was opened, then checked against the names and
descriptions of the registered server mutants. Replaced as repeats (r): the reserved
prefix looked for on the whole name (a dozen), a put name reservation leaked by an
abandoned put (b13ops-*, b15ops-*), the pending-login slot leaked at EOF
(b4eke-pending-leak-on-timeout), Z minimally encoded (b6eke-ks2-short-z), IPv4 per /24
(b10eke-ipv4-per-24), the allow list judged by a server-wide "current peer"
(b6pki-alias-server-global, b21pki-authz-latest-connection), a get's file read whole
(lead18-*-get-read-whole).

Lens 1 — the thin MUSTs (EKE-GRP-1: 1, PKI-CERT-2: 4, LIM-6: 4 eke / 2 pki):
- b28srv-eke-xprime-left-aligned: the server's X' = ±Y written minimally (Java's
  BigInteger.toByteArray, Go's big.Int.Bytes) and copied to the START of the 384-byte
  block it encrypts: one honest login in 256 (X' below 2^3064) fails (EKE-GRP-1's I2OSP).
- b28srv-pki-alias-all-digits: the responder refuses an all-digit alias (systemd's
  user-name rule: "a name must not be entirely numeric"): `1234` is a valid alias
  (PKI-CERT-2).
Lens 2 — lost errors:
- b28srv-pki-recursion-traceback: the JSON parser's RecursionError is not caught as
  malformed JSON; the responder's catch-all answers `internal` carrying the traceback's
  tail "for debugging" (ERR-6).
Lens 4 — retries:
- b28srv-eke-bad-eke3-retried: a failed EKE3 is skipped silently (the client may send its
  confirmation again, e.g. after a lost segment): up to two more EKE3s of the same
  handshake are tested (EKE-SEC-3).
Lens 5 — two implementations of one rule:
- b28srv-eke-thr10-mapped-per-64: one dual-stack IPv6 socket (IPv4 hosts bound as ::ffff:h,
  as Node.js and Java listen) and every IPv6 address per /64, the
  dual-stack form ::ffff:a.b.c.d included: every IPv4 client in one bucket (EKE-THR-10).
Lens 6 — concurrency in the idiom / beyond toy sizes:
- b28srv-eke-records-never-compacted: the eke server reads with recv() into a pending
  buffer consumed by an offset (no `del` of the consumed prefix, to avoid O(n) copies):
  the buffer grows by every byte of the connection (LIM-6).
- b28srv-pki-hash-deferred: the pki responder's digest queues a copy of every DATA chunk
  for a hashing worker that is started lazily at the first hexdigest(): a put holds its
  whole file in memory until DONE (LIM-6).
Post-blind siblings (phase 3, the class each new case aims at):
- b28srv-eke-xprime-stale-buffer: X' written minimally into one reused 384-byte buffer
  from offset 0: a shorter X' keeps the previous handshake's bytes after it (EKE-GRP-1).
- b28srv-eke-recursion-repr: the eke server's record loop answers a RecursionError with
  EROR internal carrying the exception's repr (ERR-6).

Blind run (phase 2): 5 of 7 detected by their named file (alias-all-digits: the one-digit
alias; bad-eke3-retried; thr10-mapped-per-64 once its listener is dual-stack; both LIM-6).
Missed by every case file citing their requirement: xprime-left-aligned (EKE-GRP-1) and
pki-recursion-traceback (ERR-6; test_framing.py FAILs it under FRM-9 only).

Phase 3, cases for their CLASS:
  xprime-left-aligned, xprime-stale-buffer
                            test_eke_server_element_leading_zero.py: honest handshakes
      until the server's X' has a zero first byte; its C2 must verify
  pki-recursion-traceback, eke-recursion-repr
                            test_app_error_messages_no_dump.py: parser-hostile inputs on
      both profiles; no EROR message holds a stack trace or debug dump
"""

from __future__ import annotations

import hashlib
import secrets
import traceback
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind28-srv"


def _xprime_left_aligned() -> None:
    handshake = _module("reference.eke.handshake")
    crypto = _module("reference.eke.crypto")

    def hide(pw: bytes, element: int) -> bytes:
        value = element if secrets.randbits(1) == 0 else crypto.P - element
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        block = bytearray(crypto.ELEMENT_LEN)
        block[: len(raw)] = raw  # copied to offset 0, not right-aligned
        return bytes(crypto.feistel_encrypt(pw, bytes(block)))

    handshake._b28_hide = hide
    _patch_method(
        handshake.ServerHandshake,
        "accept",
        (
            "            b = crypto.hide_element(pw, ephemeral.element)\n",
            "            b = _b28_hide(pw, ephemeral.element)\n",
        ),
    )


def _post_xprime_stale_buffer() -> None:
    handshake = _module("reference.eke.handshake")
    crypto = _module("reference.eke.crypto")
    stale = bytearray(secrets.token_bytes(crypto.ELEMENT_LEN))  # one buffer, reused

    def hide(pw: bytes, element: int) -> bytes:
        value = element if secrets.randbits(1) == 0 else crypto.P - element
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        stale[: len(raw)] = raw  # the rest keeps what the buffer held
        return bytes(crypto.feistel_encrypt(pw, bytes(stale)))

    handshake._b28_hide = hide
    _patch_method(
        handshake.ServerHandshake,
        "accept",
        (
            "            b = crypto.hide_element(pw, ephemeral.element)\n",
            "            b = _b28_hide(pw, ephemeral.element)\n",
        ),
    )


def _alias_all_digits() -> None:
    tls = _module("reference.pki.tls")
    _patch_source(
        tls,
        "check_peer_certificate",
        (
            "    if not ALIAS_RE.fullmatch(alias):\n",
            "    if not ALIAS_RE.fullmatch(alias) or alias.isdigit():\n",
        ),
    )


def _recursion_traceback() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "loads_control",
        ("    except (ValueError, RecursionError) as exc:\n", "    except ValueError as exc:\n"),
    )
    _module("reference.messages").loads_control = frames.loads_control
    _module("reference.eke.handshake").loads_control = frames.loads_control
    transfer = _module("reference.transfer")
    transfer._b28_tb = traceback
    _patch_method(
        transfer.Responder,
        "run",
        (
            '            channel.fail(RemoteProtocolError(ErrorCode.INTERNAL, "internal error"))\n',
            "            detail = _b28_tb.format_exc()[-400:]\n"
            "            channel.fail(RemoteProtocolError(ErrorCode.INTERNAL, detail))\n",
        ),
    )


def _post_eke_recursion_repr() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "loads_control",
        ("    except (ValueError, RecursionError) as exc:\n", "    except ValueError as exc:\n"),
    )
    _module("reference.messages").loads_control = frames.loads_control
    _patch_method(
        _module("reference.eke.server").EkeServer,
        "_serve_records",
        (
            "        except (TimeoutError, ConnectionError):\n            return\n",
            "        except (TimeoutError, ConnectionError):\n            return\n"
            "        except (RecursionError, OverflowError, MemoryError) as exc:\n"
            "            self._send_fatal(\n"
            '                stream, ErrorCode.INTERNAL, f"internal error: {exc!r}"\n'
            "            )\n",
        ),
    )


def _bad_eke3_retried() -> None:
    handshake = _module("reference.eke.handshake")
    tries: dict[int, int] = {}
    handshake._b28_tries = tries
    _patch_method(
        handshake.ServerHandshake,
        "_read_frame",
        (
            "        event: HandshakeEvent | None = getattr(self, handler)(obj)\n",
            "        try:\n"
            "            event = getattr(self, handler)(obj)\n"
            "        except AuthenticationFailed:\n"
            "            if frame_type == b'EKE3' and _b28_tries.get(id(self), 0) < 2:\n"
            "                _b28_tries[id(self)] = _b28_tries.get(id(self), 0) + 1\n"
            "                return self.next_event()  # the client may send it again\n"
            "            raise\n",
        ),
    )


def _thr10_mapped_per_64() -> None:
    server = _module("reference.eke.server")
    _patch_method(
        server.EkeServer,
        "listen",
        (
            '            family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET\n'
            "            listener = socket.socket(family, socket.SOCK_STREAM)\n"
            "            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "            listener.bind((self.config.host, self.config.port))\n",
            "            listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)\n"
            "            listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)\n"
            "            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "            host = self.config.host\n"
            "            host = host if ':' in host else '::ffff:' + host  # dual-stack\n"
            "            listener.bind((host, self.config.port))\n",
        ),
        (
            "        host, port = listener.getsockname()[:2]\n",
            "        host, port = listener.getsockname()[:2]\n"
            "        host = host.removeprefix('::ffff:')  # shown as the host it was given\n",
        ),
    )
    throttle = _module("reference.eke.throttle")
    _patch_source(
        throttle,
        "address_key",
        ("        if ip.ipv4_mapped is not None:\n            return str(ip.ipv4_mapped)\n", ""),
    )


def _records_never_compacted() -> None:
    records = _module("reference.eke.records")
    offsets: dict[int, int] = {}

    def place_pending(self: Any) -> None:
        pending = self._pending
        off = offsets.get(id(self), 0)
        while off < len(pending):
            room = self.get_buffer()
            if not room:
                break
            n = min(len(room), len(pending) - off)
            room[:n] = pending[off : off + n]
            off += n  # consumed by offset: the prefix is never deleted
            self.buffer_updated(n)
        offsets[id(self)] = off

    records.RecordReader._place_pending = place_pending
    records.RecordReader.in_record = property(
        lambda self: self._have > 0 or offsets.get(id(self), 0) < len(self._pending)
    )
    _patch_method(
        _module("reference.eke.transport").SecureStream,
        "_next_record",
        (
            "            n = self.sock.recv_into(reader.get_buffer())\n"
            "            if n == 0:\n"
            "                reader.eof_received()\n"
            "            else:\n"
            "                reader.buffer_updated(n)\n",
            "            data = self.sock.recv(1 << 16)\n"
            "            if not data:\n"
            "                reader.eof_received()\n"
            "            else:\n"
            "                reader.receive_data(data)\n",
        ),
    )


class _DeferredSha256:
    """Chunks queued (copied) for a hashing worker that starts at the first result."""

    def __init__(self) -> None:
        self._queue: list[bytes] = []

    def update(self, data: Any, /) -> None:
        self._queue.append(bytes(data))

    def hexdigest(self) -> str:
        sha = hashlib.sha256()
        for chunk in self._queue:
            sha.update(chunk)
        self._queue.clear()
        return sha.hexdigest()


def _hash_deferred() -> None:
    _module("reference.transfer").PipelinedSha256 = _DeferredSha256


def _m(
    name: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
    **kw: Any,
) -> Mutant:
    return Mutant(name, _GROUP, profile, requirement, test_file, description, apply, **kw)


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b28srv-eke-xprime-left-aligned",
        "eke",
        "EKE-GRP-1",
        "test_eke_server_element_leading_zero.py",
        "L1: the server's X' (±Y) written minimally and copied to the start of the 384-byte"
        " block it encrypts: an honest login fails whenever X' is below 2^3064 (1 in 256)",
        _xprime_left_aligned,
    ),
    _m(
        "b28srv-eke-xprime-stale-buffer",
        "eke",
        "EKE-GRP-1",
        "test_eke_server_element_leading_zero.py",
        "(post-blind) L1/L6: the server's X' written minimally into one reused 384-byte"
        " buffer from offset 0: a shorter X' keeps the previous bytes after it (1 in 256)",
        _post_xprime_stale_buffer,
    ),
    _m(
        "b28srv-pki-alias-all-digits",
        "pki",
        "PKI-CERT-2",
        "test_pki_alias_lengths.py",
        "L1: the responder refuses an all-digit alias (systemd's 'not entirely numeric'"
        " user-name rule): a client certificate for alias 1234 is refused at the handshake",
        _alias_all_digits,
    ),
    _m(
        "b28srv-pki-recursion-traceback",
        "pki",
        "ERR-6",
        "test_app_error_messages_no_dump.py",
        "L2: a deeply nested control payload's RecursionError is not taken for malformed"
        " JSON; the catch-all answers internal with the traceback's tail as its message",
        _recursion_traceback,
    ),
    _m(
        "b28srv-eke-bad-eke3-retried",
        "eke",
        "EKE-SEC-3",
        "test_eke_eke3_second_guess.py",
        "L4: a failed EKE3 is skipped silently (the client may send it again): two more"
        " EKE3s of the same handshake are tested, the first that verifies logs in",
        _bad_eke3_retried,
    ),
    _m(
        "b28srv-eke-thr10-mapped-per-64",
        "eke",
        "EKE-THR-10",
        "test_eke_address_units.py",
        "L5: one dual-stack listener (IPv4 hosts bound as ::ffff:HOST) and every IPv6"
        " address counted per /64, ::ffff:a.b.c.d included: all IPv4 clients share a bucket",
        _thr10_mapped_per_64,
    ),
    _m(
        "b28srv-eke-records-never-compacted",
        "eke",
        "LIM-6",
        "test_app_memory_bound.py",
        "L6: received bytes go to a pending buffer consumed by an offset, its prefix never"
        " deleted: the eke server's memory grows by every byte a connection sends",
        _records_never_compacted,
        max_file_size=256 * 1024 * 1024,
    ),
    _m(
        "b28srv-pki-hash-deferred",
        "pki",
        "LIM-6",
        "test_app_memory_bound.py",
        "L6: the responder's SHA-256 queues a copy of every DATA chunk for a worker started"
        " at the first hexdigest(): a put holds its whole file in memory until DONE",
        _hash_deferred,
        max_file_size=256 * 1024 * 1024,
    ),
    _m(
        "b28srv-eke-recursion-repr",
        "eke",
        "ERR-6",
        "test_app_error_messages_no_dump.py",
        "(post-blind) L2: the eke server's record loop answers a RecursionError (deep JSON not"
        " taken for malformed) with EROR internal carrying the exception's repr",
        _post_eke_recursion_repr,
    ),
)
