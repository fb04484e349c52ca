"""Blind red-team round 11 (pki): the sft-pki/1 RESPONDER and the shared application layer.

Written from docs/SPEC.md and the reference's responder code only (no case file read
first), through the six lenses of round 11; then checked against the registered mutants
and every duplicate replaced (a first list had 17 of them: CN-keyed check cache, date-only
validity, no idle timeout in a put, sha prefix, raw_decode, nested duplicates, ...). Each
mutant is one plausible implementer mistake breaking one MUST. Dropped after the blind
run as not observable: b11pki-eku-serverauth (the responder wanting serverAuth instead of
clientAuth in the client's EKU): OpenSSL's own purpose check already refuses every client
certificate without clientAuth, and refusing one without serverAuth is allowed (PKI-CERT-9).

Lens 1 — performance shortcuts and caches
  b11pki-rsfl-sha-cache           RSFL.sha256 cached by (name, size), never invalidated
                                  (APP-GET-2)
  b11pki-empty-put-unverified     0-byte put: DONE's SHA-256 not checked (APP-PUT-5)
  b11pki-empty-put-truncates      0-byte put fast path: no `exists` check, O_TRUNC on the
                                  final name (APP-PUT-3)
  b11pki-put-hash-trusts-putf     with PUTF.sha256 given, DONE is compared with it, not with
                                  the data (APP-PUT-5)
  b11pki-certcheck-cache-by-serial post-handshake certificate checks memoised by serial
                                  number (PKI-CERT-5)
Lens 2 — time and clocks
  b11pki-handshake-from-first-byte handshake deadline counted from the first byte, not from
                                  accept (LIM-1)
  b11pki-validity-skew-hour       one hour of clock-skew allowance on both validity ends
                                  (PKI-CERT-3)
  b11pki-validity-clock-at-start  validity judged against the time the responder started
                                  (PKI-CERT-3)
  b11pki-busy-handshake-no-deadline the `busy` path's TLS handshake has no deadline (LIM-1)
Lens 3 — I/O granularity
  b11pki-pipelined-read-first     in IDLE the responder reads the stream before the requests
                                  it has buffered (APP-2)
  b11pki-data-one-read            a DATA payload is taken as complete after one read (FRM-4)
  b11pki-payload-overread         the DATA fast path reads past the payload and drops the
                                  surplus (a DONE in the same record is lost) (FRM-4)
  b11pki-zero-length-waits        a 0-byte control payload waits for "its" bytes (FRM-9)
Lens 4 — lenient parsing and canonicalisation
  b11pki-int-leading-zeros        numbers with leading zeros (007) accepted (FRM-11)
  b11pki-json-trailing-comma      a trailing comma in an object or array accepted (FRM-9)
  b11pki-sent-sha-upper           the responder's DONE carries an upper-case SHA-256 (FRM-14)
  b11pki-exists-nfc               `exists` compares NFC forms: an NFD name blocks its NFC
                                  twin (APP-NAME-3)
Lens 5 — role, direction and profile asymmetry
  b11pki-put-drive-letter         the put's copy of the name rules lacks the drive-letter rule
                                  (APP-NAME-2)
  b11pki-exists-on-full-name      `exists` looked up under the offered name, as a get would,
                                  not under the basename stored (APP-PUT-3)
  b11pki-put-name-limits-missing  the put's copy of the name rules lacks the 4096/255-byte
                                  limits (APP-NAME-1)
Lens 6 — fallbacks and downgrades
  b11pki-plaintext-sniffed        a connection whose first byte is not a TLS record is
                                  served in plaintext, read-only (PKI-TLS-1)
  b11pki-nfc-fallback             a get not found retries the name's other normal form
                                  (APP-NAME-3)
  b11pki-unknown-type-skipped     frames of an undefined type skipped "for forward
                                  compatibility" (FRM-5)
  b11pki-put-name-sanitised       a put name the rules refuse is sanitised and stored
                                  (APP-NAME-2)
Post-blind siblings (written after the blind run, to check that the new cases catch the
class and not only the example; not counted in the blind measure):
  b11pki-certcheck-cache-by-key   certificate checks memoised by public key (PKI-CERT-9)
  b11pki-validity-once-per-alias  validity checked at an alias's first connection only
                                  (PKI-CERT-3)
  b11pki-json-comments-quotes     /* comments */ dropped, 'single-quoted' strings accepted
                                  (FRM-9)
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import types
import unicodedata
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "b11pki"
_NO_CHECK_TIME = 0x200000  # OpenSSL X509_V_FLAG_NO_CHECK_TIME


def _tls() -> Any:
    return _module("reference.pki.tls")


def _peer() -> Any:
    return _module("reference.pki.peer")


def _app() -> Any:
    return _module("reference.app")


def _transfer() -> Any:
    return _module("reference.transfer")


def _share() -> Any:
    return _module("reference.share")


def _frames() -> Any:
    return _module("reference.frames")


def _messages() -> Any:
    return _module("reference.messages")


def _errors() -> Any:
    return _module("reference.errors")


# --- lens 1: caches and fast paths -------------------------------------------------------


def _rsfl_sha_cache() -> None:
    transfer = _transfer()
    messages = _messages()
    errors = _errors()
    hashlib = _module("hashlib")
    cache: dict[tuple[str, int], str] = {}

    def _get(self: Any, request: Any) -> None:
        share = self.policy.share
        if share is None:
            self._refuse(
                errors.RemoteProtocolError(
                    errors.ErrorCode.UNSUPPORTED, "this peer shares no files"
                )
            )
            return
        try:
            shared = share.open(request.name)
        except errors.RemoteProtocolError as exc:
            self._refuse(exc)
            return
        with shared:
            if shared.size > self.policy.max_file_size:
                self._refuse(
                    errors.RemoteProtocolError(
                        errors.ErrorCode.TOO_LARGE, "the file exceeds the limit"
                    )
                )
                return
            key = (request.name, shared.size)
            sha = cache.get(key)
            if sha is None:  # hashing a big file twice is what the cache saves
                digest = hashlib.sha256()
                for block in iter(lambda: shared.file.read(1 << 20), b""):
                    digest.update(block)
                sha = cache[key] = digest.hexdigest()
                shared.file.seek(0)
            self.channel.send(messages.FileResponse(request.name, shared.size, sha))
            self.channel.send_file(shared.file.readinto, shared.size, None)

    transfer.Responder._get = _get


def _empty_put_unverified() -> None:
    _patch_source(
        _app()._Transfer,
        "check_done",
        (
            "sha = self.digest.hexdigest()\n",
            "sha = self.digest.hexdigest()\n"
            "    if self.announced == 0 and done.size == 0 and self.count == 0:\n"
            "        return  # nothing was sent: nothing to verify\n",
        ),
    )


def _empty_put_truncates() -> None:
    transfer = _transfer()
    share = _share()
    messages = _messages()
    real = transfer.Responder._put

    class _NoSink:
        limit = 0
        written = 0

        def write(self, data: object) -> None:
            raise AssertionError("no data expected")

    def _put(self: Any, request: Any) -> None:
        inbox = self.policy.inbox
        if inbox is None or request.size != 0:
            real(self, request)
            return
        # Fast path: an empty file needs no temporary and no rename.
        try:
            base = share.check_name(request.name)[-1]
            if base.startswith(share.PARTIAL_PREFIX):
                raise share.NameRefused("names starting with .sft-partial- are reserved")
        except share.NameRefused as exc:
            self._refuse(exc)
            return
        self.channel.send(messages.PutAccepted(base))
        self.channel.receive_file(_NoSink(), 0, None)
        fd = os.open(
            base,
            os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
            dir_fd=inbox._fd,
        )
        os.close(fd)
        self.channel.send(self.channel.conn.stored_done())

    transfer.Responder._put = _put


def _put_hash_trusts_putf() -> None:
    _patch_source(
        _app()._Transfer,
        "check_done",
        (
            "sha = self.digest.hexdigest()\n",
            "sha = self.digest.hexdigest()\n"
            "    if self.expected_sha256 is not None:\n"
            "        sha = self.expected_sha256  # announced up front: already known\n",
        ),
    )


def _certcheck_cache_by_serial() -> None:
    tls = _tls()
    x509 = _module("cryptography.x509")
    real = tls.check_peer_certificate
    seen: dict[tuple[bytes, int, bool], str] = {}

    def check(der: bytes | None, *, as_server: bool) -> str:
        key = None
        if der is not None:
            cert = x509.load_der_x509_certificate(der)
            key = (cert.issuer.public_bytes(), cert.serial_number, as_server)
            if key in seen:
                return seen[key]  # "a serial is unique per CA: this one was checked"
        alias = str(real(der, as_server=as_server))
        if key is not None:
            seen[key] = alias
        return alias

    tls.check_peer_certificate = check


# --- lens 2: time ------------------------------------------------------------------------


def _own_validity(grace: dt.timedelta, clock: Callable[[], dt.datetime]) -> None:
    """Turns OpenSSL's time check off and checks the dates in Python instead."""
    tls = _tls()
    peer = _peer()
    x509 = _module("cryptography.x509")
    real_context = peer.server_context
    real_check = tls.check_peer_certificate

    def server_context(identity: Any, crl_der: bytes) -> Any:
        ctx = real_context(identity, crl_der)
        ctx.verify_flags |= _NO_CHECK_TIME  # "we check the dates ourselves"
        return ctx

    def check(der: bytes | None, *, as_server: bool) -> str:
        alias = str(real_check(der, as_server=as_server))
        assert der is not None
        cert = x509.load_der_x509_certificate(der)
        now = clock()
        if cert.not_valid_after_utc + grace < now or cert.not_valid_before_utc - grace > now:
            raise tls.CertificateRefused(f"{alias}'s certificate is not valid now")
        return alias

    peer.server_context = server_context
    tls.check_peer_certificate = check


def _validity_skew_hour() -> None:
    _own_validity(dt.timedelta(hours=1), lambda: dt.datetime.now(dt.UTC))


def _validity_clock_at_start() -> None:
    started = dt.datetime.now(dt.UTC)
    _own_validity(dt.timedelta(0), lambda: started)


def _handshake_from_first_byte() -> None:
    peer = _peer()
    real = peer.server_handshake

    def server_handshake(context: Any, raw: socket.socket, timeout: float) -> Any:
        raw.settimeout(timeout)
        raw.recv(1, socket.MSG_PEEK)  # the handshake starts with the ClientHello
        return real(context, raw, timeout)

    peer.server_handshake = server_handshake


def _busy_handshake_no_deadline() -> None:
    _patch_source(
        _peer().PeerServer,
        "_busy",
        (
            "tls = self._handshake(raw)",
            "tls = self._contexts.context.wrap_socket(raw, server_side=True)",
        ),
    )


# --- lens 3: I/O granularity -------------------------------------------------------------


def _pipelined_read_first() -> None:
    transfer = _transfer()
    app = _app()
    real = transfer._Channel.next_event

    def next_event(self: Any) -> Any:
        conn = self.conn
        if conn.state is app.ResponderState.IDLE and not conn._eof:
            n = self.stream.recv_into(self._small)  # wait for the next request
            conn.receive_data(self._small[:n] if n else b"")
        return real(self)

    transfer._Channel.next_event = next_event


def _data_one_read() -> None:
    transfer = _transfer()

    def _read_payload(self: Any, view: Any, size: int) -> int:
        n = int(self.stream.recv_into(view[:size]))
        if 0 < n < size:
            # "one read is one DATA frame": the rest of the frame is never expected
            self.conn._payload_left = n
        return n

    transfer._Channel._read_payload = _read_payload


def _payload_overread() -> None:
    transfer = _transfer()

    def _read_payload(self: Any, view: Any, size: int) -> int:
        got = 0
        while got < size:
            n = self.stream.recv_into(view[got:])  # the whole buffer: fewer calls
            if n == 0:
                break
            got += n
        return min(got, size)

    transfer._Channel._read_payload = _read_payload


def _zero_length_waits() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_next_event",
        (
            "if len(buf) < length:\n        return self._starved()",
            "if len(buf) < length or (length == 0 and not buf and not self._eof):\n"
            "        return self._starved()",
        ),
    )


# --- lens 4: lenient parsing -------------------------------------------------------------

_STRING = r'"(?:[^"\\]|\\.)*"'


def _preprocess_control(fix: Callable[[str], str]) -> None:
    frames = _frames()
    real = frames.loads_control

    def loads_control(payload: Any) -> Any:
        data = bytes(payload)
        try:
            data = fix(data.decode("utf-8")).encode("utf-8")
        except UnicodeError:
            pass
        return real(data)

    frames.loads_control = loads_control
    _messages().loads_control = loads_control


def _int_leading_zeros() -> None:
    token = re.compile(rf"({_STRING})|(?<![\d.eE+\-])(-?)0+(?=\d)")
    _preprocess_control(lambda text: token.sub(lambda m: m.group(1) or m.group(2), text))


def _json_trailing_comma() -> None:
    token = re.compile(rf"({_STRING})|,(?=\s*[}}\]])")
    _preprocess_control(lambda text: token.sub(lambda m: m.group(1) or "", text))


def _sent_sha_upper() -> None:
    app = _app()
    messages = _messages()
    real = app.encode_message

    def encode_message(message: Any) -> bytes:
        if isinstance(message, messages.Done):
            message = messages.Done(message.size, message.sha256.upper())  # "%X"
        return bytes(real(message))

    app.encode_message = encode_message


def _exists_nfc() -> None:
    share = _share()
    errors = _errors()
    real = share.Inbox.target_name

    def target_name(self: Any, name: str) -> str:
        base = str(real(self, name))
        folded = unicodedata.normalize("NFC", base)
        for entry in os.listdir(self.path):
            if unicodedata.normalize("NFC", entry) == folded:  # as macOS would see it
                raise errors.RemoteProtocolError(
                    errors.ErrorCode.EXISTS, f"{base!r} already exists in the inbox"
                )
        return base

    share.Inbox.target_name = target_name


# --- lens 5: role asymmetry --------------------------------------------------------------


def _put_copy_of_check_name(*edits: tuple[str, str]) -> None:
    """The put path gets its own copy of check_name, with `edits` (a rule left out)."""
    share = _share()
    holder = types.SimpleNamespace(check_name=share.check_name)
    _patch_source(holder, "check_name", *edits)
    share._put_check_name = holder.check_name
    _patch_source(
        share.Inbox,
        "target_name",
        ("base = check_name(name)[-1]", "base = _put_check_name(name)[-1]"),
    )


def _put_drive_letter() -> None:
    _put_copy_of_check_name(
        ('if len(name) >= 2 and name[1] == ":"', 'if False and name[1:2] == ":"')
    )


def _exists_on_full_name() -> None:
    _patch_source(
        _share().Inbox,
        "target_name",
        (
            "os.stat(base, dir_fd=self._fd, follow_symlinks=False)",
            "os.stat(name, dir_fd=self._fd, follow_symlinks=False)",
        ),
    )


def _put_name_limits_missing() -> None:
    _put_copy_of_check_name(
        ("if not 1 <= size <= MAX_NAME_BYTES:", "if not 1 <= size:"),
        ('if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:', "if False:"),
    )


# --- lens 6: fallbacks and downgrades ----------------------------------------------------


def _plaintext_sniffed() -> None:
    peer = _peer()
    transfer = _transfer()
    real = peer.PeerServer._connection

    def _connection(self: Any, raw: socket.socket, addr: tuple[str, int], key: int) -> None:
        raw.settimeout(self.config.handshake_timeout)
        try:
            first = raw.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if first and first != b"\x16":  # not a TLS handshake record: a local debugging client
            raw.settimeout(self.config.idle_timeout)
            policy = transfer.ResponderPolicy(
                share=self.share, inbox=None, max_file_size=self.config.max_file_size
            )
            transfer.Responder(raw, policy, self._app).run()
            return
        real(self, raw, addr, key)

    peer.PeerServer._connection = _connection


def _nfc_fallback() -> None:
    share = _share()
    errors = _errors()
    real = share.ShareDirectory.open

    def open_(self: Any, name: str) -> Any:
        try:
            return real(self, name)
        except errors.RemoteProtocolError as exc:
            if exc.code is not errors.ErrorCode.NOT_FOUND:
                raise
            for form in ("NFC", "NFD"):
                other = unicodedata.normalize(form, name)
                if other != name:
                    try:
                        return real(self, other)  # "the file was copied from a Mac"
                    except errors.RemoteProtocolError:
                        pass
            raise

    share.ShareDirectory.open = open_


def _unknown_type_skipped() -> None:
    app = _app()
    frames = _frames()
    errors = _errors()
    real = app.ApplicationConnection._next_event

    def _next_event(self: Any) -> Any:
        buf = self._buffer
        while (
            self._header is None
            and not self._payload_left
            and len(buf) >= frames.HEADER_SIZE
            and self.state not in (app.ResponderState.CLOSED, app.InitiatorState.CLOSED)
        ):
            frame_type, length = frames.HEADER.unpack(bytes(buf[: frames.HEADER_SIZE]))
            if (
                frame_type in app._KNOWN_TYPES
                or not frames._TYPE_RE.fullmatch(frame_type)
                or length > frames.MAX_CONTROL_PAYLOAD
            ):
                break
            if len(buf) < frames.HEADER_SIZE + length:  # a newer peer's frame: skip it
                if self._eof:
                    raise errors.TruncatedStream()
                return app.NEED_DATA
            del buf[: frames.HEADER_SIZE + length]
        return real(self)

    app.ApplicationConnection._next_event = _next_event


def _put_name_sanitised() -> None:
    share = _share()
    real = share.Inbox.target_name
    bad = re.compile(r"[\x00-\x1f\x7f\\:]")

    def target_name(self: Any, name: str) -> str:
        try:
            return str(real(self, name))
        except share.NameRefused:
            parts = [bad.sub("_", p) for p in name.split("/") if p not in ("", ".", "..")]
            if not parts:
                raise
            return str(real(self, "/".join(parts)))  # "be liberal in what you accept"

    share.Inbox.target_name = target_name


# --- post-blind siblings ------------------------------------------------------------------


def _certcheck_cache_by_key() -> None:
    tls = _tls()
    x509 = _module("cryptography.x509")
    serialization = _module("cryptography.hazmat.primitives.serialization")
    real = tls.check_peer_certificate
    seen: dict[tuple[bytes, bool], str] = {}

    def check(der: bytes | None, *, as_server: bool) -> str:
        key = None
        if der is not None:
            public = x509.load_der_x509_certificate(der).public_key()
            spki = public.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            key = (spki, as_server)
            if key in seen:
                return seen[key]  # "this key was vetted already"
        alias = str(real(der, as_server=as_server))
        if key is not None:
            seen[key] = alias
        return alias

    tls.check_peer_certificate = check


def _validity_once_per_alias() -> None:
    tls = _tls()
    peer = _peer()
    x509 = _module("cryptography.x509")
    real_context = peer.server_context
    real_check = tls.check_peer_certificate
    checked: set[str] = set()

    def server_context(identity: Any, crl_der: bytes) -> Any:
        ctx = real_context(identity, crl_der)
        ctx.verify_flags |= _NO_CHECK_TIME
        return ctx

    def check(der: bytes | None, *, as_server: bool) -> str:
        alias = str(real_check(der, as_server=as_server))
        if alias in checked:
            return alias  # "this employee's certificate was checked at login"
        assert der is not None
        cert = x509.load_der_x509_certificate(der)
        now = dt.datetime.now(dt.UTC)
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise tls.CertificateRefused(f"{alias}'s certificate is not valid now")
        checked.add(alias)
        return alias

    peer.server_context = server_context
    tls.check_peer_certificate = check


def _json_comments_quotes() -> None:
    token = re.compile(rf"({_STRING})|'((?:[^'\\]|\\.)*)'|/\*.*?\*/", re.DOTALL)

    def fix(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1)
        if match.group(2) is not None:
            return '"' + match.group(2).replace('"', '\\"') + '"'
        return ""

    _preprocess_control(lambda text: token.sub(fix, text))


def _m(
    name: str, requirement: str, test_file: str, description: str, apply: Any, **kw: Any
) -> Mutant:
    return Mutant(
        name=f"b11pki-{name}",
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        **kw,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1: caches and fast paths
    _m(
        "rsfl-sha-cache",
        "APP-GET-2",
        "test_app_share_files.py",
        "RSFL.sha256 cached by (name, size), never invalidated: a file replaced by another"
        " of the same size is announced with the old digest",
        _rsfl_sha_cache,
    ),
    _m(
        "empty-put-unverified",
        "APP-PUT-5",
        "test_app_put.py",
        "0-byte put: DONE's SHA-256 not checked (nothing was sent)",
        _empty_put_unverified,
    ),
    _m(
        "empty-put-truncates",
        "APP-PUT-3",
        "test_app_put.py",
        "0-byte put fast path: no exists check, the final name opened with O_TRUNC",
        _empty_put_truncates,
    ),
    _m(
        "put-hash-trusts-putf",
        "APP-PUT-5",
        "test_app_put.py",
        "with PUTF.sha256 given, DONE's SHA-256 is compared with it, not with the data",
        _put_hash_trusts_putf,
    ),
    _m(
        "certcheck-cache-by-serial",
        "PKI-CERT-5",
        "test_pki_certs.py",
        "post-handshake certificate checks memoised by (issuer, serial): a second certificate"
        " with a known serial skips them",
        _certcheck_cache_by_serial,
    ),
    # lens 2: time
    _m(
        "handshake-from-first-byte",
        "LIM-1",
        "test_pki_handshake_deadline.py",
        "the handshake deadline starts at the first byte of the ClientHello, not at accept",
        _handshake_from_first_byte,
    ),
    _m(
        "validity-skew-hour",
        "PKI-CERT-3",
        "test_pki_certs.py",
        "one hour of clock-skew allowance at both ends of a client certificate's validity",
        _validity_skew_hour,
    ),
    _m(
        "validity-clock-at-start",
        "PKI-CERT-3",
        "test_pki_certs.py",
        "validity judged against the time the responder started, not the time of the handshake",
        _validity_clock_at_start,
    ),
    _m(
        "busy-handshake-no-deadline",
        "LIM-1",
        "test_pki_handshake_deadline.py",
        "the busy path's TLS handshake (connections over the limit) has no deadline",
        _busy_handshake_no_deadline,
    ),
    # lens 3: I/O granularity
    _m(
        "pipelined-read-first",
        "APP-2",
        "test_framing.py",
        "in IDLE the responder reads the stream before handling the requests it has"
        " buffered: requests pipelined in one record stall",
        _pipelined_read_first,
    ),
    _m(
        "data-one-read",
        "FRM-4",
        "test_framing.py",
        "a DATA payload is taken as complete after one read of the stream",
        _data_one_read,
    ),
    _m(
        "payload-overread",
        "FRM-4",
        "test_framing.py",
        "the DATA fast path reads into the whole buffer and drops what goes past the payload"
        " (a DONE in the same TLS record is lost)",
        _payload_overread,
    ),
    _m(
        "zero-length-waits",
        "FRM-9",
        "test_framing.py",
        "a control frame of length 0 waits for payload bytes instead of bad_frame",
        _zero_length_waits,
    ),
    # lens 4: lenient parsing
    _m(
        "int-leading-zeros",
        "FRM-11",
        "test_framing.py",
        "numbers with leading zeros (007) accepted as integers (strtoll)",
        _int_leading_zeros,
    ),
    _m(
        "json-trailing-comma",
        "FRM-9",
        "test_framing.py",
        "a trailing comma before } or ] accepted",
        _json_trailing_comma,
    ),
    _m(
        "sent-sha-upper",
        "FRM-14",
        "test_framing.py",
        "the responder's DONE carries its SHA-256 in upper-case hex",
        _sent_sha_upper,
    ),
    _m(
        "exists-nfc",
        "APP-NAME-3",
        "test_app_put.py",
        "exists compares NFC forms: a put of an NFC name is refused when its NFD twin exists",
        _exists_nfc,
    ),
    # lens 5: role asymmetry
    _m(
        "put-drive-letter",
        "APP-NAME-2",
        "test_app_names.py",
        "the put's copy of the name rules lacks the drive-letter rule: C:x stored",
        _put_drive_letter,
    ),
    _m(
        "exists-on-full-name",
        "APP-PUT-3",
        "test_app_put.py",
        "exists looked up under the offered name (dir/x), not the basename stored (x):"
        " refused only at the commit",
        _exists_on_full_name,
    ),
    _m(
        "put-name-limits-missing",
        "APP-NAME-1",
        "test_app_names.py",
        "the put's copy of the name rules lacks the 4096/255-byte limits",
        _put_name_limits_missing,
    ),
    # lens 6: fallbacks
    _m(
        "plaintext-sniffed",
        "PKI-TLS-1",
        "test_pki_tls.py",
        "a connection whose first byte is not a TLS handshake record is served in plaintext",
        _plaintext_sniffed,
    ),
    _m(
        "nfc-fallback",
        "APP-NAME-3",
        "test_app_names.py",
        "a get answered not_found retries the other Unicode normal form of the name",
        _nfc_fallback,
    ),
    _m(
        "unknown-type-skipped",
        "FRM-5",
        "test_framing.py",
        "frames of an undefined type skipped for forward compatibility",
        _unknown_type_skipped,
    ),
    _m(
        "put-name-sanitised",
        "APP-NAME-2",
        "test_app_names.py",
        "a put name the rules refuse is sanitised (controls, \\ and : to _, ./.. dropped)"
        " and stored",
        _put_name_sanitised,
    ),
    # post-blind siblings
    _m(
        "certcheck-cache-by-key",
        "PKI-CERT-9",
        "test_pki_certs.py",
        "post-handshake certificate checks memoised by public key",
        _certcheck_cache_by_key,
    ),
    _m(
        "validity-once-per-alias",
        "PKI-CERT-3",
        "test_pki_certs.py",
        "validity dates checked at an alias's first connection only",
        _validity_once_per_alias,
    ),
    _m(
        "json-comments-quotes",
        "FRM-9",
        "test_framing.py",
        "control payloads: /* comments */ dropped and 'single-quoted' strings accepted",
        _json_comments_quotes,
    ),
)
