"""Blind red-team round 13 (helper B59): the sft-eke/1 CLIENT (`sft eke get/put`), through
the six lenses of /work/briefs/s13/lenses13.md.

Phase 1 (blind): written from docs/SPEC.md (§0-§3, §5, §6) and the reference's eke client,
handshake, transport, records, app, messages, frames, share and CLI only, before opening
any case file, mutant module or independent implementation (conformance/selftest/mutant.py,
`_patch_source` of mutants_app.py and, once the list was written, the layout of
mutants_blind12_client.py were read for the mechanics). A first list of 33 was checked
against the registered client mutants (their names and descriptions) after it was written:
13 repeated registered ones (C2 failure swallowed, digests compared on a prefix, Na on a
prefix, a 12-byte record tag, `accept` absent or truthy, size 5.0, retry_after in ms, the
temporary kept on a fatal EROR, a probe temporary before RQFL, the output created before
the request, DONE without sha256 accepted for a get) and were dropped; two more were dropped
as unobservable by round 12's finding (a fatal EROR acted on by its `name`, a BYE_ after
the client's own fatal EROR: the FIN still comes at once); four replacements were added.
24 remain.

Blind result (before any case change, each in the existing file it then named): 1 of 24
detected (eke2-c-absent, by test_eke_client.py). retry-stale-a crashed the client in that
run (`super()` in a recompiled `_setup`; fixed since): its named file has no EKE-KS-1 case,
so it was undetectable there anyway. Several were caught only by `slow` variants of
existing cases (not-UTF-8 RSFL, a record shorter than its frame, `unsupported`).
Phase 2 (new files test_eke_client_undecodable.py, test_eke_client_confirm_tags.py,
test_eke_client_busy_wraps.py, test_eke_client_put_receipts.py): 24 of 24, and the three
added after the blind run (done-size-absent, busy-closed-late, integrity-eror-key-id) too.

Lens 1, fail open (a value that fails to decode is taken as passing):
- b13cl-done-digest-undecodable -> APP-GET-3: a DONE.sha256 that is not 64 hex digits is
  "no digest to check" (Go's hex.DecodeString error leaves nil): corrupted bytes are kept.
- b13cl-rsfl-digest-undecodable -> APP-GET-3: an RSFL.sha256 that is not hex is read as
  absent.
- b13cl-control-utf8-replaced -> FRM-9: control payloads decoded with errors='replace'.
- b13cl-put-receipt-undecodable -> APP-PUT-10: a put whose receipt DONE fails to decode
  (bad_frame) is reported stored ("the data went out").
Lens 2, absent means permissive:
- b13cl-rsfl-size-absent -> FRM-9: an RSFL without `size` means "unknown size": DONE's
  size is taken.
- b13cl-eke2-c-absent -> FRM-9: an EKE2 without `c` skips the confirmation (EKE3 is sent
  with Ns = zeros).
- b13cl-put-receipt-sha-absent -> FRM-9: the put's receipt DONE without `sha256` is
  checked on its size only.
- b13cl-rsfl-name-absent -> FRM-9: an RSFL (get) without `name` is accepted (the client
  never reads it).
Lens 3, leaks on the unhappy path:
- b13cl-busy-socket-kept -> ERR-3: the connection answered `busy` is kept open (not
  closed) while the client waits and retries on a new one.
- b13cl-auth-eror-kcs -> ERR-5: the client's EROR auth_failed after a bad C2 quotes 8
  bytes of Kcs ("key check").
- b13cl-badframe-eror-key-id -> EKE-PW-3: the client's EROR bad_frame answering a
  malformed EKE2 quotes 8 bytes of pw as a key id.
- b13cl-impostor-waits-close -> EKE-HS-7: after a bad EKE4 the client waits (up to its
  handshake timeout) for the server to close first.
- b13cl-temp-kept-bad-record -> APP-STORE-3: a get ended by a record that fails to
  authenticate keeps its temporary file ("for a resume").
Lens 4, units and number forms:
- b13cl-size-u32 -> APP-GET-3: sizes stored in 32 bits: RSFL{size: 2^32+n} with n bytes
  and a matching DONE is kept.
- b13cl-retry-after-int32 -> EKE-THR-7: retry_after read into an int32: 2^31+k wraps
  negative, 2^32+k to k: the client retries at once instead of giving up or waiting.
- b13cl-eke2-b-bigint -> FRM-12: EKE2's `b` parsed as a big integer (int(b, 16)): leading
  zeros, `0x`, `_` and upper case pass.
- b13cl-record-short-skipped -> EKE-REC-4: a record shorter than a tag is skipped as
  padding instead of closing.
- b13cl-inner-length-short -> EKE-REC-1: a record whose inner frame announces more payload
  than the record holds is taken with what is there.
Lens 5, part of the value compared:
- b13cl-c2-tag-96 -> EKE-HS-4: C2's GCM tag checked on 12 of its 16 bytes.
- b13cl-c4-tag-64 -> EKE-HS-7: C4's GCM tag checked on 8 of its 16 bytes.
- b13cl-rsfl-name-basename -> APP-GET-7: RSFL.name is compared with the request by its
  last component; when those agree the file is stored under RSFL.name (the server's path).
Lens 6, half-rolled-back state / what follows a refusal:
- b13cl-retry-stale-a -> EKE-KS-1: after `busy`, the retry's th is computed with the A of
  the first attempt (cached per user).
- b13cl-put-unsupported-ok -> APP-PUT-10: a put refused `unsupported` ends with exit 0
  ("nothing to do on a read-only server").
- b13cl-notfound-basename-retry -> APP-NAME-3: a get of a/b refused not_found is asked
  again as b on the same connection.
Added after the blind run (second examples of two classes, not in the blind count):
- b13cl-done-size-absent -> FRM-9: a DONE without `size` is checked against RSFL's only.
- b13cl-busy-closed-late -> ERR-3: the connection refused `busy` is closed only once the
  wait before the retry is over.
- b13cl-integrity-eror-key-id -> EKE-PW-3: the client's EROR on the record-phase failure
  path (integrity_failed, bad_frame) quotes 8 bytes of pw as a key id.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _messages_alias() -> None:
    """The modules that imported messages' functions by name see the patched ones."""
    messages = _module("reference.messages")
    for name in ("reference.app", "reference.eke.transport"):
        mod = _module(name)
        for attr in ("encode_message", "decode_message"):
            if hasattr(mod, attr):
                setattr(mod, attr, getattr(messages, attr))


def _frames_alias(*attrs: str) -> None:
    frames = _module("reference.frames")
    for name in ("reference.messages", "reference.eke.handshake", "reference.app"):
        mod = _module(name)
        for attr in attrs:
            if hasattr(mod, attr):
                setattr(mod, attr, getattr(frames, attr))


_HEX_OK = "len({v}) == 64 and all(c in '0123456789abcdef' for c in {v})"


# -- lens 1 -------------------------------------------------------------------------------


def _done_digest_undecodable() -> None:
    _module("reference.messages")._SCHEMAS["DONE"]["sha256"] = ("str", True)
    _patch_source(
        _module("reference.app")._Transfer,
        "check_done",
        (
            "done.sha256 == sha)",
            "(done.sha256 == sha or not (" + _HEX_OK.format(v="done.sha256") + ")))",
        ),
    )


def _rsfl_digest_undecodable() -> None:
    messages = _module("reference.messages")
    messages._SCHEMAS["RSFL-get"]["sha256"] = ("str", False)
    _patch_source(
        messages,
        "decode_message",
        (
            'return FileResponse(obj["name"], obj["size"], obj.get("sha256"))',
            'sha = obj.get("sha256")\n'
            "        if sha is not None and not (" + _HEX_OK.format(v="sha") + "):\n"
            "            sha = None\n"
            '        return FileResponse(obj["name"], obj["size"], sha)',
        ),
    )
    _messages_alias()


def _control_utf8_replaced() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "loads_control",
        (
            'text = bytes(payload).decode("utf-8")',
            'text = bytes(payload).decode("utf-8", "replace")',
        ),
    )
    _frames_alias("loads_control")


def _put_receipt_undecodable() -> None:
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "put",
        (
            "done = self._next(stream)\n",
            "try:\n"
            "            done = self._next(stream)\n"
            "        except TransferFailed as exc:\n"
            "            if exc.code is not ErrorCode.BAD_FRAME:\n"
            "                raise\n"
            "            return answer.name  # the data went out: stored\n",
        ),
    )


# -- lens 2 -------------------------------------------------------------------------------

_UNKNOWN_SIZE = 2**63 - 1


def _rsfl_size_absent() -> None:
    messages = _module("reference.messages")
    messages._SCHEMAS["RSFL-get"]["size"] = ("int", False)
    _patch_source(
        messages,
        "decode_message",
        (
            'return FileResponse(obj["name"], obj["size"], obj.get("sha256"))',
            'return FileResponse(obj["name"], obj.get("size", 2**63 - 1), obj.get("sha256"))',
        ),
    )
    _messages_alias()
    _patch_source(
        _module("reference.app")._Transfer,
        "check_done",
        (
            "done.size == self.announced == self.count",
            "done.size == (done.size if self.announced == 2**63 - 1 else self.announced)"
            " == self.count",
        ),
    )


def _eke2_c_absent() -> None:
    handshake = _module("reference.eke.handshake")
    handshake._SCHEMAS[handshake.T_EKE2]["c"] = ("hex:96", False)
    _patch_source(
        handshake.ClientHandshake,
        "_on_eke2",
        (
            'ns = crypto.open_confirm(keys.kcs, 2, _hex(obj, "c"), self._th)',
            'ns = (crypto.open_confirm(keys.kcs, 2, _hex(obj, "c"), self._th) if "c" in obj'
            " else bytes(crypto.NONCE_LEN))",
        ),
    )


def _put_receipt_sha_absent() -> None:
    messages = _module("reference.messages")
    messages._SCHEMAS["DONE"]["sha256"] = ("sha256", False)
    _patch_source(
        messages,
        "decode_message",
        ('return Done(obj["size"], obj["sha256"])', 'return Done(obj["size"], obj.get("sha256"))'),
    )
    _messages_alias()
    _patch_source(
        _module("reference.app").ApplicationConnection,
        "_on_control",
        (
            "self._outgoing.check_done(message)",
            "if message.sha256 is None:\n"
            "                if message.size != self._outgoing.count:\n"
            "                    self._outgoing.check_done(message)\n"
            "            else:\n"
            "                self._outgoing.check_done(message)",
        ),
    )


def _rsfl_name_absent() -> None:
    messages = _module("reference.messages")
    messages._SCHEMAS["RSFL-get"]["name"] = ("str", False)
    _patch_source(
        messages,
        "decode_message",
        (
            'return FileResponse(obj["name"], obj["size"], obj.get("sha256"))',
            'return FileResponse(obj.get("name", ""), obj["size"], obj.get("sha256"))',
        ),
    )
    _messages_alias()


# -- lens 3 -------------------------------------------------------------------------------


def _busy_socket_kept() -> None:
    client = _module("reference.eke.client")
    client._KEPT_SOCKETS = []
    _patch_source(
        client.EkeClient,
        "_connect_once",
        (
            "except ClientError:\n        self.close()\n        raise",
            "except ClientError as exc:\n"
            "        if isinstance(exc, ServerBusy) and self._sock is not None:\n"
            "            _KEPT_SOCKETS.append(self._sock)  # closed at exit\n"
            "            self._sock = None\n"
            "        else:\n"
            "            self.close()\n"
            "        raise",
        ),
    )


def _auth_eror_kcs() -> None:
    handshake = _module("reference.eke.handshake")
    cls = handshake.ClientHandshake
    _patch_source(
        cls,
        "_on_eke2",
        (
            "keys = crypto.derive_keys(z, self._th)\n",
            "keys = crypto.derive_keys(z, self._th)\n    self._check_kcs = keys.kcs\n",
        ),
    )
    original = handshake._Handshake._fail

    def _fail(self: Any, exc: Any) -> None:
        kcs = getattr(self, "_check_kcs", None)
        if (
            kcs is not None
            and self._failure is None
            and self.state is not handshake.HandshakeState.CLOSED
            and exc.code is handshake.ErrorCode.AUTH_FAILED
            and self._should_answer(exc)
        ):
            self._outbox += handshake.encode_error(
                exc.code, f"key confirmation failed (kcs check {kcs[:8].hex()})"
            )
            self._failure = exc.detached()
            self.state = handshake.HandshakeState.CLOSED
            return
        original(self, exc)

    cls._fail = _fail


def _badframe_eror_key_id() -> None:
    handshake = _module("reference.eke.handshake")
    cls = handshake.ClientHandshake
    original = handshake._Handshake._fail

    def _fail(self: Any, exc: Any) -> None:
        pw = getattr(self, "_pw", None)
        if (
            pw is not None
            and self._failure is None
            and self.state is not handshake.HandshakeState.CLOSED
            and exc.code is handshake.ErrorCode.BAD_FRAME
        ):
            self._outbox += handshake.encode_error(
                exc.code, f"{exc.message} (user {self.user}, key id {pw[:8].hex()})"
            )
            self._failure = exc.detached()
            self.state = handshake.HandshakeState.CLOSED
            return
        original(self, exc)

    cls._fail = _fail


def _wait_peer_close(sock: socket.socket, timeout: float) -> None:
    """Lets the server hang up first: reads until its FIN or the timeout."""
    deadline = time.monotonic() + timeout
    try:
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            if not sock.recv(4096):
                return
    except OSError:
        return


def _impostor_waits_close() -> None:
    client = _module("reference.eke.client")
    client._wait_peer_close = _wait_peer_close
    _patch_source(
        client.EkeClient,
        "_connect_once",
        (
            "except ServerNotAuthenticated:\n        self.close()",
            "except ServerNotAuthenticated:\n"
            "        _wait_peer_close(sock, cfg.handshake_timeout)\n"
            "        self.close()",
        ),
    )


def _temp_kept_bad_record() -> None:
    client = _module("reference.eke.client")

    # A broken connection: the temporary stays for a resume.
    client._KeepPartial = type("KeepPartial", (client.TransferFailed,), {})
    _patch_source(
        client.EkeClient,
        "_next",
        (
            "except (AuthenticationFailed, TruncatedStream):",
            "except AuthenticationFailed:\n"
            "        self._abandon()\n"
            "        raise _KeepPartial('connection broken: kept for a resume') from None\n"
            "    except TruncatedStream:",
        ),
    )
    _patch_source(
        client.EkeClient,
        "_receive",
        (
            "event = self._next(stream)\n",
            "try:\n"
            "                event = self._next(stream)\n"
            "            except _KeepPartial:\n"
            "                partial._done = True\n"
            "                partial._untrack()\n"
            "                raise\n",
        ),
    )


# -- lens 4 -------------------------------------------------------------------------------


def _size_u32() -> None:
    messages = _module("reference.messages")
    _patch_source(
        messages,
        "decode_message",
        (
            'return FileResponse(obj["name"], obj["size"], obj.get("sha256"))',
            'return FileResponse(obj["name"], obj["size"] & 0xFFFFFFFF, obj.get("sha256"))',
        ),
        (
            'return Done(obj["size"], obj["sha256"])',
            'return Done(obj["size"] & 0xFFFFFFFF, obj["sha256"])',
        ),
    )
    _messages_alias()


def _retry_after_int32() -> None:
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "connect",
        (
            "wait = exc.retry_after if exc.retry_after is not None else 1",
            "wait = exc.retry_after if exc.retry_after is not None else 1\n"
            "            wait = (wait + 2**31) % 2**32 - 2**31  # an int32 field",
        ),
    )


def _eke2_b_bigint() -> None:
    handshake = _module("reference.eke.handshake")
    handshake._SCHEMAS[handshake.T_EKE2]["b"] = ("str", True)
    _patch_source(
        handshake.ClientHandshake,
        "_on_eke2",
        (
            'b = _hex(obj, "b")',
            "try:\n"
            '        b = int(obj["b"], 16).to_bytes(crypto.ELEMENT_LEN, "big")\n'
            "    except (ValueError, OverflowError):\n"
            "        raise AuthenticationFailed() from None",
        ),
    )


def _record_short_skipped() -> None:
    _patch_source(
        _module("reference.eke.records").RecordReader,
        "_next_frame",
        (
            "inner = self._opener.open(header, sealed)\n",
            "if len(sealed) < 16:  # no room for a tag: padding\n"
            "        self._have, self._length = 0, None\n"
            "        return self._next_frame()\n"
            "    inner = self._opener.open(header, sealed)\n",
        ),
    )


def _inner_length_short() -> None:
    _patch_source(
        _module("reference.eke.records"),
        "_split_inner",
        ("if length != len(inner) - HEADER_SIZE:", "if length < len(inner) - HEADER_SIZE:"),
    )
    records = _module("reference.eke.records")
    records.RecordReader._next_frame.__globals__["_split_inner"] = records._split_inner


# -- lens 5 -------------------------------------------------------------------------------


def _short_tag_open(step_wanted: int, tag_bytes: int) -> Callable[[], None]:
    def apply() -> None:
        crypto = _module("reference.eke.crypto")
        original = crypto.open_confirm
        ciphers = _module("cryptography.hazmat.primitives.ciphers")
        invalid_tag = _module("cryptography.exceptions").InvalidTag

        def open_confirm(key: bytes, step: int, sealed: bytes, th: bytes) -> bytes:
            if step != step_wanted or len(sealed) < 16:
                result: bytes = original(key, step, sealed, th)
                return result
            nonce, ad = crypto._confirm_nonce_and_ad(step, th)
            body, tag = sealed[:-16], sealed[-16:]
            decryptor = ciphers.Cipher(
                ciphers.algorithms.AES(key),
                ciphers.modes.GCM(nonce, tag[:tag_bytes], min_tag_length=tag_bytes),
            ).decryptor()
            decryptor.authenticate_additional_data(ad)
            try:
                return bytes(decryptor.update(body) + decryptor.finalize())
            except invalid_tag:
                raise crypto.AuthenticationFailed() from None

        crypto.open_confirm = open_confirm

    return apply


def _rsfl_name_basename() -> None:
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "get",
        (
            "return self._receive(stream, answer, destination, overwrite, progress)",
            "if answer.name != name and (\n"
            "            answer.name.rsplit('/', 1)[-1] == name.rsplit('/', 1)[-1]\n"
            "        ):\n"
            "            destination = destination.parent / answer.name  # the server's path\n"
            "        return self._receive(stream, answer, destination, overwrite, progress)",
        ),
    )


# -- lens 6 -------------------------------------------------------------------------------


def _retry_stale_a() -> None:
    handshake = _module("reference.eke.handshake")
    cache: dict[str, bytes] = {}
    handshake._A_BY_USER = cache
    original = handshake.ClientHandshake._setup

    def _setup(self: Any, user: str, pw: bytes, **kwargs: Any) -> None:
        original(self, user, pw, **kwargs)
        cache.setdefault(user, self._a)  # the first attempt's A, kept for "the session"

    handshake.ClientHandshake._setup = _setup
    _patch_source(
        handshake.ClientHandshake,
        "_on_eke2",
        (
            "self._th = crypto.transcript_hash(self.user, self._a, b)",
            "self._th = crypto.transcript_hash(self.user, _A_BY_USER[self.user], b)",
        ),
    )


def _put_unsupported_ok() -> None:
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "put",
        (
            "answer = self._next(stream)\n",
            "try:\n"
            "            answer = self._next(stream)\n"
            "        except TransferRefused as exc:\n"
            "            if exc.code is not ErrorCode.UNSUPPORTED:\n"
            "                raise\n"
            "            return name or path.name  # a read-only server: nothing to do\n",
        ),
    )


def _notfound_basename_retry() -> None:
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "get",
        (
            "answer = self._next(stream)\n",
            "try:\n"
            "        answer = self._next(stream)\n"
            "    except TransferRefused as exc:\n"
            "        if exc.code is not ErrorCode.NOT_FOUND or '/' not in name:\n"
            "            raise\n"
            "        name = name.rsplit('/', 1)[-1]  # a flat share?\n"
            "        stream.send(FileRequest(name))\n"
            "        answer = self._next(stream)\n",
        ),
    )


# -- added after the blind run: second examples of two classes (not in the blind count) ---


def _done_size_absent() -> None:
    messages = _module("reference.messages")
    messages._SCHEMAS["DONE"]["size"] = ("int", False)
    _patch_source(
        messages,
        "decode_message",
        ('return Done(obj["size"], obj["sha256"])', 'return Done(obj.get("size"), obj["sha256"])'),
    )
    _messages_alias()
    _patch_source(
        _module("reference.app")._Transfer,
        "check_done",
        (
            "done.size == self.announced == self.count",
            "(self.count if done.size is None else done.size) == self.announced == self.count",
        ),
    )


def _busy_closed_late() -> None:
    _busy_socket_kept()
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "connect",
        (
            "time.sleep(max(1, wait) * (1.0 + secrets.randbelow(501) / 1000))",
            "time.sleep(max(1, wait) * (1.0 + secrets.randbelow(501) / 1000))\n"
            "            for kept in _KEPT_SOCKETS:  # the old connection, once the wait is over\n"
            "                kept.close()\n"
            "            _KEPT_SOCKETS.clear()",
        ),
    )


def _integrity_eror_key_id() -> None:
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "_next",
        (
            "ErrorFrame(exc.code if exc.code.fatal else ErrorCode.INTERNAL, exc.message)",
            "ErrorFrame(\n"
            "                    exc.code if exc.code.fatal else ErrorCode.INTERNAL,\n"
            "                    f'{exc.message} (key id {self._pw[:8].hex()})',\n"
            "                )",
        ),
    )


def _m(
    name: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Callable[[], None],
) -> Mutant:
    return Mutant(
        name=f"b13cl-{name}",
        group="blind13-client",
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=True,
    )


# Where each mutant is caught: the blind run named existing files (test_eke_client.py,
# test_eke_client_transfer.py, test_client_put.py, test_eke_client_busy_retries.py,
# test_client_lenient_frames.py, test_eke_client_answers.py, test_client_error_content.py,
# test_client_temporaries.py, test_client_store_server_names.py,
# test_eke_client_request_names.py); phase 2 added these four.
_HANDSHAKE = "test_eke_client.py"
_UNDECODABLE = "test_eke_client_undecodable.py"
_CONFIRM = "test_eke_client_confirm_tags.py"
_RECEIPTS = "test_eke_client_put_receipts.py"
_WRAPS = "test_eke_client_busy_wraps.py"

MUTANTS: tuple[Mutant, ...] = (
    _m(
        "done-digest-undecodable",
        "APP-GET-3",
        _UNDECODABLE,
        "a DONE.sha256 that is not 64 hex digits is no digest to check: corrupted bytes kept",
        _done_digest_undecodable,
    ),
    _m(
        "rsfl-digest-undecodable",
        "APP-GET-3",
        _UNDECODABLE,
        "an RSFL.sha256 that is not hex is read as absent",
        _rsfl_digest_undecodable,
    ),
    _m(
        "control-utf8-replaced",
        "FRM-9",
        _UNDECODABLE,
        "control payloads decoded with errors='replace': invalid UTF-8 passes",
        _control_utf8_replaced,
    ),
    _m(
        "put-receipt-undecodable",
        "APP-PUT-10",
        _RECEIPTS,
        "a put whose receipt DONE fails to decode (bad_frame) is reported stored",
        _put_receipt_undecodable,
    ),
    _m(
        "rsfl-size-absent",
        "FRM-9",
        _UNDECODABLE,
        "an RSFL without size is a file of unknown size: DONE's size is taken",
        _rsfl_size_absent,
    ),
    _m(
        "eke2-c-absent",
        "FRM-9",
        _HANDSHAKE,
        "an EKE2 without c skips the confirmation: EKE3 is sent (Ns = zeros)",
        _eke2_c_absent,
    ),
    _m(
        "put-receipt-sha-absent",
        "FRM-9",
        _RECEIPTS,
        "the put's receipt DONE without sha256 is checked on its size only",
        _put_receipt_sha_absent,
    ),
    _m(
        "rsfl-name-absent",
        "FRM-9",
        _UNDECODABLE,
        "an RSFL answering a get without name is accepted (the name is never read)",
        _rsfl_name_absent,
    ),
    _m(
        "busy-socket-kept",
        "ERR-3",
        _WRAPS,
        "the connection answered busy stays open while the client waits and retries",
        _busy_socket_kept,
    ),
    _m(
        "auth-eror-kcs",
        "ERR-5",
        _CONFIRM,
        "the client's EROR auth_failed after a bad C2 quotes 8 bytes of Kcs as a key check",
        _auth_eror_kcs,
    ),
    _m(
        "badframe-eror-key-id",
        "EKE-PW-3",
        _CONFIRM,
        "the client's EROR bad_frame for a malformed EKE2 quotes 8 bytes of pw as a key id",
        _badframe_eror_key_id,
    ),
    _m(
        "impostor-waits-close",
        "EKE-HS-7",
        _CONFIRM,
        "after a bad EKE4 the client waits for the server to close first (handshake timeout)",
        _impostor_waits_close,
    ),
    _m(
        "temp-kept-bad-record",
        "APP-STORE-3",
        _UNDECODABLE,
        "a get ended by a record that fails to authenticate keeps its temporary (resume)",
        _temp_kept_bad_record,
    ),
    _m(
        "size-u32",
        "APP-GET-3",
        _UNDECODABLE,
        "sizes kept in 32 bits: RSFL size 2^32+n with n bytes and a matching DONE is kept",
        _size_u32,
    ),
    _m(
        "retry-after-int32",
        "EKE-THR-7",
        _WRAPS,
        "retry_after read into an int32: 2^31+k and 2^32+k wrap, the client retries at once",
        _retry_after_int32,
    ),
    _m(
        "eke2-b-bigint",
        "FRM-12",
        _CONFIRM,
        "EKE2's b parsed with int(b, 16): leading zeros, 0x, _ and upper case pass",
        _eke2_b_bigint,
    ),
    _m(
        "record-short-skipped",
        "EKE-REC-4",
        _UNDECODABLE,
        "a record shorter than a GCM tag is skipped as padding, the connection goes on",
        _record_short_skipped,
    ),
    _m(
        "inner-length-short",
        "EKE-REC-1",
        _UNDECODABLE,
        "a record whose inner frame announces more payload than it holds is taken as is",
        _inner_length_short,
    ),
    _m(
        "c2-tag-96",
        "EKE-HS-4",
        _CONFIRM,
        "C2's GCM tag checked on its first 12 of 16 bytes",
        _short_tag_open(2, 12),
    ),
    _m(
        "c4-tag-64",
        "EKE-HS-7",
        _CONFIRM,
        "C4's GCM tag checked on its first 8 of 16 bytes",
        _short_tag_open(4, 8),
    ),
    _m(
        "rsfl-name-basename",
        "APP-GET-7",
        _UNDECODABLE,
        "RSFL.name compared by its last component; when that agrees it is stored under RSFL.name",
        _rsfl_name_basename,
    ),
    _m(
        "retry-stale-a",
        "EKE-KS-1",
        _WRAPS,
        "after busy, the retry's th uses the A of the first attempt (cached per user)",
        _retry_stale_a,
    ),
    _m(
        "put-unsupported-ok",
        "APP-PUT-10",
        _RECEIPTS,
        "a put refused unsupported ends with exit 0 (a read-only server: nothing to do)",
        _put_unsupported_ok,
    ),
    _m(
        "notfound-basename-retry",
        "APP-NAME-3",
        _UNDECODABLE,
        "a get of a/b refused not_found is asked again as b on the same connection",
        _notfound_basename_retry,
    ),
    _m(
        "done-size-absent",
        "FRM-9",
        _UNDECODABLE,
        "(after the blind run) a DONE without size is checked against RSFL's size only",
        _done_size_absent,
    ),
    _m(
        "busy-closed-late",
        "ERR-3",
        _WRAPS,
        "(after the blind run) the connection refused busy is closed only after the wait",
        _busy_closed_late,
    ),
    _m(
        "integrity-eror-key-id",
        "EKE-PW-3",
        _UNDECODABLE,
        "(after the blind run) the client's EROR after a bad record or DONE quotes 8 bytes of pw",
        _integrity_eror_key_id,
    ),
)
