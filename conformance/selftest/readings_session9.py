"""Conforming variants aimed at the cases written in the ninth session (helper FP3).

Each `Reading` plants an allowed choice the reference does not make; the suite must PASS
it (conformance/selftest/test_ambig_readings.py). Every description quotes the SPEC
sentence that allows the choice. Planted like the mutants: a monkeypatch of the
reference inside the subprocess that runs it; reference modules are reached only through
`_module`, at apply time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import socket
import stat
import threading
import time
from typing import Any

from conformance.selftest import readings_clients as fp2
from conformance.selftest import readings_servers as fp1
from conformance.selftest.mutant import _module
from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]

_SHARE_FILES = "test_app_share_files.py"
_SLOT_RELEASE = "test_limits_slot_release.py"
_BUSY_RETRIES = "test_eke_client_busy_retries.py"
_RESTART_STATE = "test_eke_restart_state.py"
_TEMPORARIES = "test_client_temporaries.py"
_NULLS = "test_app_json_nulls.py"

# How long a responder below takes between its `EROR timeout` and its close: inside the
# 2 s that ERR-3 allows ("the conformance suite allows 2 s").
_SLOW_CLOSE = 0.6


# ---------------------------------------------------------------- APP-GET-2: special files


def _special_files_forbidden() -> None:
    # The type is checked before opening (as APP-GET-2 advises); a FIFO, socket or device
    # is refused `forbidden`, a directory stays `not_found`.
    share = _module("reference.share")
    errors = _module("reference.errors")
    original = share.ShareDirectory.open

    def open_(self: Any, name: str) -> Any:
        share.check_name(name)
        try:
            st = os.stat(name, dir_fd=self._fd, follow_symlinks=False)
        except (OSError, ValueError):
            st = None
        if st is not None and (
            stat.S_ISFIFO(st.st_mode)
            or stat.S_ISSOCK(st.st_mode)
            or stat.S_ISCHR(st.st_mode)
            or stat.S_ISBLK(st.st_mode)
        ):
            raise errors.RemoteProtocolError(
                errors.ErrorCode.FORBIDDEN, "not a regular file: not served"
            )
        return original(self, name)

    share.ShareDirectory.open = open_


# ---------------------------------------------------------------- APP-GET-2: a file shrinks


def _eke_shrunk_file_fatal_internal() -> None:
    # A file that shrinks while served ends the transfer with a fatal `EROR internal`
    # (then the close), instead of the reference's bare close.
    server = _module("reference.eke.server")
    errors = _module("reference.errors")
    messages = _module("reference.messages")
    original = server.EkeServer._serve_get

    def serve_get(self: Any, stream: Any, name: str) -> str:
        try:
            result: str = original(self, stream, name)
        except OSError as exc:
            if "shrank" not in str(exc):
                raise
            stream.send(
                messages.ErrorFrame(
                    errors.ErrorCode.INTERNAL, "the file changed while it was served"
                )
            )
            raise
        return result

    server.EkeServer._serve_get = serve_get


# ---------------------------------------------------------------- LIM-4: a slower close


def _eke_slow_close_after_idle_eror() -> None:
    # After its `EROR timeout` the server flushes and closes 0.6 s later (a writer queue
    # drained, a linger): the slot comes back when the connection ends, 0.6 s on.
    server = _module("reference.eke.server")
    errors = _module("reference.errors")
    original = server.EkeServer._send_fatal

    def send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        original(self, stream, code, message)
        if code is errors.ErrorCode.TIMEOUT:
            time.sleep(_SLOW_CLOSE)

    server.EkeServer._send_fatal = send_fatal


def _eke_lingering_close_after_idle_eror() -> None:
    # After its `EROR timeout` the server half-closes (FIN at once) and reads until the
    # peer's FIN (at most 2 s), so that no reset destroys the EROR; the slot comes back
    # when the connection has ended on both sides.
    server = _module("reference.eke.server")
    errors = _module("reference.errors")
    original = server.EkeServer._send_fatal

    def send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        original(self, stream, code, message)
        if code is not errors.ErrorCode.TIMEOUT:
            return
        sock = stream.sock
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(0.2)
            ends = time.monotonic() + 2.0
            while time.monotonic() < ends:
                try:
                    if not sock.recv(4096):
                        break
                except TimeoutError:
                    continue
        except OSError:
            pass

    server.EkeServer._send_fatal = send_fatal


def _pki_slow_close_after_idle_eror() -> None:
    _pki_close_after_idle_eror(_SLOW_CLOSE)


def _pki_slow_close_after_every_fatal_eror() -> None:
    # Every connection the responder ends after its own fatal EROR closes (close_notify,
    # then the TCP close) 0.6 s after that EROR.
    _pki_close_after_idle_eror(_SLOW_CLOSE, every=True)


def _pki_close_after_idle_eror(delay: float, *, every: bool = False) -> None:
    transfer = _module("reference.transfer")
    errors = _module("reference.errors")
    original = transfer._Channel.fail

    def fail(self: Any, exc: Any) -> None:
        original(self, exc)
        if getattr(exc, "code", None) is errors.ErrorCode.TIMEOUT or (
            every and not isinstance(exc, transfer.TruncatedStream)
        ):
            time.sleep(delay)

    transfer._Channel.fail = fail


def _eke_slow_close_after_every_fatal_eror() -> None:
    # Every connection the server ends after its own fatal EROR (in the handshake, in
    # clear, or over records) closes 0.6 s after that EROR, never waiting for the peer.
    server = _module("reference.eke.server")
    handshake = _module("reference.eke.handshake")
    sent = threading.local()
    encode_error = handshake.encode_error
    original_handshake = server.EkeServer._handshake
    original_send_fatal = server.EkeServer._send_fatal

    def encode_error_(code: Any, message: str, *args: Any, **kwargs: Any) -> bytes:
        sent.fatal = bool(code.fatal)
        data: bytes = encode_error(code, message, *args, **kwargs)
        return data

    def handshake_(self: Any, sock: Any, address: str) -> Any:
        sent.fatal = False
        result = original_handshake(self, sock, address)
        if result is None and getattr(sent, "fatal", False):
            time.sleep(_SLOW_CLOSE)
        return result

    def send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        original_send_fatal(self, stream, code, message)
        time.sleep(_SLOW_CLOSE)  # _send_fatal sends only fatal codes

    handshake.encode_error = encode_error_
    server.EkeServer._handshake = handshake_
    server.EkeServer._send_fatal = send_fatal


# ---------------------------------------------------------------- CA-ENR-9: 413 at once


def _ca_413_from_the_header() -> None:
    # A body announced over the limit is refused from Content-Length alone: 413 and the
    # close, without reading the body.
    server = _module("reference.pki.ca_server")
    original = server._Handler._read_json

    def read_json(self: Any) -> Any:
        lengths = self.headers.get_all("Content-Length") or []
        if len(lengths) == 1 and re.fullmatch(r"[0-9]+", lengths[0].strip()):
            if int(lengths[0]) > server.MAX_BODY:
                raise server._HttpError(
                    server.HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    "too_large",
                    f"request bodies are limited to {server.MAX_BODY} bytes",
                    close=True,
                )
        return original(self)

    server._Handler._read_json = read_json


# ---------------------------------------------------------------- EKE-THR-7: longer waits


def _busy_wait(wait_for: Any) -> None:
    client = _module("reference.eke.client")

    def connect(self: Any) -> Any:
        tries = 0
        while True:
            tries += 1
            try:
                return self._connect_once()
            except client.ServerBusy as exc:
                after = exc.retry_after if exc.retry_after is not None else 1
                if tries > self.config.busy_retries or after > 30:
                    raise client.ServerBusy(exc.retry_after, tries) from None
                time.sleep(wait_for(max(1, after), tries))

    client.EkeClient.connect = connect


def _busy_doubling_from_retry_after() -> None:
    # Exponential backoff that starts AT retry_after: 1, 2, 4, 8 ... x retry_after.
    _busy_wait(lambda after, tries: min(30.0, after * 2 ** (tries - 1)))


def _busy_exactly_retry_after() -> None:
    # No jitter at all: exactly retry_after, every time.
    _busy_wait(lambda after, tries: float(after))


def _busy_few_retries() -> None:
    # Retries twice, then gives up ("MAY retry").
    client = _module("reference.eke.client")
    original = client.EkeClient.connect

    def connect(self: Any) -> Any:
        self.config = dataclasses.replace(
            self.config, busy_retries=min(2, self.config.busy_retries)
        )
        return original(self)

    client.EkeClient.connect = connect


# ---------------------------------------------------------------- APP-STORE-3: the sweep


def _sweep_later_by_age(module_name: str, cls_name: str) -> None:
    # The start-up sweep runs in a background thread 1 s after the server is built, and
    # removes the temporaries that were there at the start, whatever their age. (Until
    # round 19 it took only those older than the idle timeout; APP-STORE-3 says every
    # leftover of an earlier run: test_eke_restart_fresh_temporaries.py. The name stays.)
    mod = _module(module_name)
    prefix = _module("reference.transfer").PARTIAL_PREFIX
    sweep = mod.remove_stale_partials
    cls = getattr(mod, cls_name)
    original_init = cls.__init__

    def remove(paths: list[str]) -> None:
        for path in paths:
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(path).st_mode):
                    os.unlink(path)

    def later(directory: Any, older_than: float | None = None) -> int:
        with os.scandir(directory) as entries:
            found = [e.path for e in entries if e.name.startswith(prefix)]
        threading.Timer(1.0, remove, (found,)).start()
        return 0

    def init(self: Any, config: Any, *args: Any, **kwargs: Any) -> None:
        mod.remove_stale_partials = later
        try:
            original_init(self, config, *args, **kwargs)
        finally:
            mod.remove_stale_partials = sweep

    cls.__init__ = init


def _eke_sweep_later_by_age() -> None:
    _sweep_later_by_age("reference.eke.server", "EkeServer")


# ---------------------------------------------------------------- LIM-4: refused by a close


def _pki_full_refused_by_close() -> None:
    # A full responder refuses by closing the TCP connection at once, never a TLS
    # handshake for a polite `busy`.
    peer = _module("reference.pki.peer")
    original_init = peer.PeerServer.__init__

    class _Never:
        def acquire(self, blocking: bool = True) -> bool:
            return False

        def release(self) -> None:
            return None

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._busy_slots = _Never()

    peer.PeerServer.__init__ = init


def _eke_full_refused_by_close() -> None:
    # A full server (or an address at its LIM-8 cap) is refused by a bare close.
    server = _module("reference.eke.server")
    errors = _module("reference.errors")
    encode_error = server.encode_error
    admitting = threading.local()
    original_admit = server.EkeServer._admit

    def encode_error_(code: Any, message: str, *args: Any, **kwargs: Any) -> bytes:
        if getattr(admitting, "on", False) and code is errors.ErrorCode.BUSY:
            return b""
        data: bytes = encode_error(code, message, *args, **kwargs)
        return data

    def admit(self: Any, sock: Any, addr: Any) -> None:
        admitting.on = True
        try:
            original_admit(self, sock, addr)
        finally:
            admitting.on = False

    server.encode_error = encode_error_
    server.EkeServer._admit = admit


READINGS: tuple[Reading, ...] = (
    Reading(
        name="s9-eke-special-file-forbidden",
        profile="eke",
        requirements=("APP-GET-2",),
        test_files=(_SHARE_FILES,),
        description="APP-GET-2: 'one that denotes another non-regular file (a FIFO, a "
        "socket, a device) `not_found` or `forbidden`' - forbidden, type checked first",
        apply=_special_files_forbidden,
    ),
    Reading(
        name="s9-pki-special-file-forbidden",
        profile="pki",
        requirements=("APP-GET-2",),
        test_files=(_SHARE_FILES,),
        description="APP-GET-2: 'one that denotes another non-regular file (a FIFO, a "
        "socket, a device) `not_found` or `forbidden`' - forbidden over sft-pki/1",
        apply=_special_files_forbidden,
    ),
    Reading(
        name="s9-eke-shrunk-file-fatal-internal",
        profile="eke",
        requirements=("APP-GET-2", "ERR-6"),
        test_files=(_SHARE_FILES,),
        description="APP-GET-2 asks exactly RSFL.size bytes then DONE; a file that shrinks "
        "cannot give them: the transfer ends with a fatal EROR internal (ERR-3) without a "
        "trace (ERR-6)",
        apply=_eke_shrunk_file_fatal_internal,
    ),
    Reading(
        name="s9-eke-slow-close-after-idle-eror",
        profile="eke",
        requirements=("LIM-4", "LIM-2"),
        test_files=(_SLOT_RELEASE,),
        description="ERR-3: 'The close follows the EROR at once ... (the conformance suite "
        "allows 2 s ...)': the close 0.6 s after EROR timeout; LIM-4 'MUST accept again "
        "once connections end' - the slot is back when the connection has ended",
        apply=_eke_slow_close_after_idle_eror,
    ),
    Reading(
        name="s9-pki-slow-close-after-idle-eror",
        profile="pki",
        requirements=("LIM-4", "LIM-2"),
        test_files=(_SLOT_RELEASE,),
        description="ERR-3: 'the conformance suite allows 2 s': the pki responder's close "
        "(close_notify + FIN) 0.6 s after its EROR timeout; LIM-4 'accept again once "
        "connections end'",
        apply=_pki_slow_close_after_idle_eror,
    ),
    Reading(
        name="s9-client-busy-doubling-from-retry-after",
        profile="eke",
        requirements=("EKE-THR-7",),
        test_files=(_BUSY_RETRIES,),
        description="EKE-THR-7: 'A client that receives busy MAY retry, but MUST NOT retry "
        "before retry_after seconds have passed': waits retry_after x 2^(k-1), never less",
        apply=_busy_doubling_from_retry_after,
        client=True,
    ),
    Reading(
        name="s9-client-busy-exactly-retry-after",
        profile="eke",
        requirements=("EKE-THR-7",),
        test_files=(_BUSY_RETRIES,),
        description="EKE-THR-7: 'MUST NOT retry before retry_after seconds have passed': "
        "exactly retry_after, no jitter (the reference's jitter is its own choice)",
        apply=_busy_exactly_retry_after,
        client=True,
    ),
    Reading(
        name="s9-client-busy-two-retries",
        profile="eke",
        requirements=("EKE-THR-7",),
        test_files=(_BUSY_RETRIES,),
        description="EKE-THR-7: 'A client that receives busy MAY retry': two retries, "
        "then it gives up",
        apply=_busy_few_retries,
        client=True,
    ),
    Reading(
        name="s9-eke-sweep-later-by-age",
        profile="eke",
        requirements=("APP-STORE-3",),
        test_files=(
            _RESTART_STATE,
            "test_eke_restart_fresh_temporaries.py",
            "test_ops_eke_restart_sweep_scope.py",
        ),
        description="APP-STORE-3: 'A responder MUST also remove, when it starts, the "
        ".sft-partial-* files that an earlier run left': 1 s after start, in the background, "
        "those that were there at the start (any age)",
        apply=_eke_sweep_later_by_age,
    ),
    Reading(
        name="s9-pki-full-refused-by-close",
        profile="pki",
        requirements=("LIM-4",),
        test_files=("test_limits_slots.py", _SLOT_RELEASE),
        description="LIM-4: 'above it the responder MUST refuse new connections (close, or "
        "EROR busy where possible)': a close, no TLS handshake",
        apply=_pki_full_refused_by_close,
    ),
    Reading(
        name="s9-eke-full-refused-by-close",
        profile="eke",
        requirements=("LIM-4",),
        test_files=("test_limits_slots.py", _SLOT_RELEASE),
        description="LIM-4: 'above it the responder MUST refuse new connections (close, or "
        "EROR busy where possible)': a bare close",
        apply=_eke_full_refused_by_close,
    ),
    Reading(
        name="s9-eke-slow-close-after-every-fatal-eror",
        profile="eke",
        requirements=("ERR-3", "LIM-1", "LIM-4", "EKE-REC-1", "FRM-3"),
        test_files=(
            "test_eke_throttling.py",
            "test_eke_handshake_stalls.py",
            _SLOT_RELEASE,
            "test_eke_records.py",
        ),
        description="ERR-3: 'The close follows the EROR at once ... (the conformance suite "
        "allows 2 s, or less when the endpoint's own idle or handshake timeout would end "
        "the connection sooner)': every close 0.6 s after the server's fatal EROR",
        apply=_eke_slow_close_after_every_fatal_eror,
    ),
    Reading(
        name="s9-ca-413-from-the-header",
        profile="pki",
        requirements=("CA-ENR-9",),
        test_files=("test_ca.py",),
        description="CA-ENR-9 413 for a body over 64 KiB, judged from Content-Length alone "
        "and the connection closed unread (test_ca.py: 'CA-ENR-9 allows it')",
        apply=_ca_413_from_the_header,
        ca=True,
    ),
    Reading(
        name="s9-pki-slow-close-after-every-fatal-eror",
        profile="pki",
        requirements=("PKI-TLS-7", "ERR-3"),
        test_files=("test_pki_tls.py",),
        description="ERR-3: 'The close follows the EROR at once ... (the conformance suite "
        "allows 2 s, or less when the endpoint's own idle ... timeout would end the "
        "connection sooner)': close_notify and the close 0.6 s after every fatal EROR",
        apply=_pki_slow_close_after_every_fatal_eror,
    ),
    # -- the other sessions' conforming variants, against this session's new case files
    Reading(
        name="s9-eke-json-every-style-new-cases",
        profile="eke",
        requirements=("APP-GET-2", "APP-STORE-2", "LIM-4", "FRM-9", "FRM-11", "FRM-12"),
        test_files=(_SHARE_FILES, "test_app_inbox_files.py", _SLOT_RELEASE, _NULLS),
        description="RFC 8259 / FRM-10 ('A sender MAY add such members'): every control "
        "payload with members reversed, undefined members, escapes and white space",
        apply=fp1._json_every_style,
    ),
    Reading(
        name="s9-pki-json-every-style-new-cases",
        profile="pki",
        requirements=("APP-GET-2", "APP-STORE-2", "LIM-4", "FRM-9", "PKI-TLS-7"),
        test_files=(
            _SHARE_FILES,
            "test_app_inbox_files.py",
            _SLOT_RELEASE,
            _NULLS,
            "test_pki_tls.py",
        ),
        description="RFC 8259 / FRM-10 ('A sender MAY add such members'): every control "
        "payload with members reversed, undefined members, escapes and white space",
        apply=fp1._json_every_style,
    ),
    Reading(
        name="s9-pki-key-update-new-cases",
        profile="pki",
        requirements=("APP-GET-2", "APP-STORE-2", "PKI-TLS-7", "LIM-4"),
        test_files=(_SHARE_FILES, "test_app_inbox_files.py", "test_pki_tls.py", _SLOT_RELEASE),
        description="RFC 8446 §4.6.3 (PKI-TLS-1 'MUST be TLS 1.3'): a KeyUpdate before every "
        "small write",
        apply=fp1._pki_key_update,
    ),
    Reading(
        name="s9-eke-small-data-frames-share-files",
        profile="eke",
        requirements=("APP-GET-2", "APP-GET-4"),
        test_files=(_SHARE_FILES,),
        description="FRM-13: 'A DATA frame's payload MUST be 1 to 1 048 576 bytes': "
        "one-byte frames first, then odd sizes",
        apply=fp1._eke_small_data_frames,
    ),
    Reading(
        name="s9-pki-small-data-frames-share-files",
        profile="pki",
        requirements=("APP-GET-2", "APP-GET-4"),
        test_files=(_SHARE_FILES,),
        description="FRM-13: 'A DATA frame's payload MUST be 1 to 1 048 576 bytes': "
        "one-byte frames first, then odd sizes",
        apply=fp1._pki_small_data_frames,
    ),
    Reading(
        name="s9-eke-rsfl-sha256-share-files",
        profile="eke",
        requirements=("APP-GET-2", "APP-GET-4"),
        test_files=(_SHARE_FILES,),
        description="APP-GET-2: 'RSFL {name, size} (and MAY include sha256)': the digest "
        "read from the file when it is opened",
        apply=fp1._rsfl_with_sha256,
    ),
    Reading(
        name="s9-eke-client-uuid-partial-temporaries",
        profile="eke",
        requirements=("APP-STORE-1",),
        test_files=(_TEMPORARIES,),
        description="APP-STORE-1: '.sft-partial- followed by a random part': a uuid4",
        apply=fp2._uuid_partial_names,
        client=True,
    ),
    Reading(
        name="s9-eke-client-write-at-end-temporaries",
        profile="eke",
        requirements=("APP-STORE-1",),
        test_files=(_TEMPORARIES,),
        description="APP-GET-6: 'write a get into a temporary file and rename it ... only "
        "after APP-GET-3 succeeded': in memory until DONE, then temporary + rename",
        apply=fp2._eke_write_at_end,
        client=True,
    ),
    Reading(
        name="s9-pki-client-write-at-end-temporaries",
        profile="pki",
        requirements=("APP-STORE-1",),
        test_files=(_TEMPORARIES,),
        description="APP-GET-6: in memory until DONE, then temporary + rename",
        apply=fp2._pki_write_at_end,
        client=True,
    ),
    Reading(
        name="s9-eke-client-slow-busy-and-nulls",
        profile="eke",
        requirements=("EKE-THR-7", "FRM-12"),
        test_files=(_BUSY_RETRIES, "test_client_json_nulls.py"),
        description="a client 0.5 s slower before EKE1 and EKE3 (within every timeout)",
        apply=fp2._slow_eke_client,
        client=True,
    ),
    Reading(
        name="s9-eke-client-split-writes-nulls",
        profile="eke",
        requirements=("FRM-12", "FRM-9"),
        test_files=("test_client_json_nulls.py",),
        description="FRM-4: frames split into writes of any size",
        apply=fp2._eke_split_writes,
        client=True,
    ),
    Reading(
        name="s9-pki-client-split-writes-nulls",
        profile="pki",
        requirements=("FRM-12", "FRM-9"),
        test_files=("test_client_json_nulls.py",),
        description="FRM-4: frames split into writes of any size",
        apply=fp2._pki_split_writes,
        client=True,
    ),
    Reading(
        name="s9-ca-close-every-answer-new-cases",
        profile="pki",
        requirements=("CA-ENR-7", "CA-ENR-11", "CA-ENR-17"),
        test_files=("test_ca_throttle.py", "test_ca.py", "test_ca_own_certificate.py"),
        description="RFC 9112 §9.6: the CA MAY close after every answer (Connection: close)",
        apply=fp2._ca_close_every_answer,
        ca=True,
    ),
    Reading(
        name="s9-ca-chunked-answers-new-cases",
        profile="pki",
        requirements=("CA-ENR-7", "CA-ENR-11", "CA-ENR-9"),
        test_files=("test_ca_throttle.py", "test_ca.py"),
        description="RFC 9112 §7.1: answers sent with Transfer-Encoding: chunked",
        apply=fp2._ca_chunked_answers,
        ca=True,
    ),
    Reading(
        name="s9-ca-slow-logins-throttle",
        profile="pki",
        requirements=("CA-ENR-7", "CA-ENR-11"),
        test_files=("test_ca_throttle.py", "test_ca.py"),
        description="CA-ENR-5: scrypt/Argon2id parameters are the CA's: every login 0.3 s "
        "slower",
        apply=fp2._ca_slow_logins,
        ca=True,
    ),
    Reading(
        name="s9-ca-json-pretty-reordered-new-cases",
        profile="pki",
        requirements=("CA-ENR-7", "CA-ENR-11"),
        test_files=("test_ca_throttle.py", "test_ca.py"),
        description="RFC 8259: the CA's JSON answers pretty-printed, members reordered",
        apply=fp2._ca_json_pretty_reordered,
        ca=True,
    ),
    Reading(
        name="s9-eke-lingering-close-after-idle-eror",
        profile="eke",
        requirements=("LIM-4", "LIM-2"),
        test_files=(_SLOT_RELEASE, "test_limits_slots.py"),
        description="ERR-3 'The close follows the EROR at once': FIN at once after EROR "
        "timeout, then reading until the peer's FIN (at most 2 s) before the socket is "
        "released; LIM-4 'MUST accept again once connections end'",
        apply=_eke_lingering_close_after_idle_eror,
    ),
    Reading(
        name="s9-eke-timeouts-late-new-cases",
        profile="eke",
        requirements=("LIM-1", "LIM-2", "LIM-4", "EKE-REC-1"),
        test_files=("test_eke_handshake_stalls.py", _SLOT_RELEASE, "test_eke_records.py"),
        description="LIM-1/LIM-2 say what is closed, not to the millisecond when: timers "
        "checked by a periodic sweep close up to 0.5 s after they expired",
        apply=fp1._timeouts_late,
    ),
    Reading(
        name="s9-pki-timeouts-late-new-cases",
        profile="pki",
        requirements=("LIM-2", "LIM-4", "PKI-TLS-7"),
        test_files=(_SLOT_RELEASE, "test_pki_tls.py"),
        description="LIM-2: timers checked by a periodic sweep close up to 0.5 s after "
        "they expired",
        apply=fp1._timeouts_late,
    ),
    Reading(
        name="s9-eke-slow-put-done-inbox",
        profile="eke",
        requirements=("APP-STORE-2", "FRM-9", "FRM-11", "FRM-12"),
        test_files=("test_app_inbox_files.py", _NULLS),
        description="APP-PUT-5: DONE 'only once the file is durably stored': a slow disk "
        "answers 0.8 s later",
        apply=fp1._eke_slow_put_done,
    ),
)
