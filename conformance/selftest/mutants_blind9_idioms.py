"""Blind red-team round 9 (helper B29): other languages' idioms planted in the reference.

Each mutant makes the Python reference behave as idiomatic code of another ecosystem
would, where that idiom breaks one observable MUST of docs/SPEC.md. Source idioms:

JSON libraries
- b9idm-json-dup-last-wins: Go encoding/json, JS JSON.parse, Jackson: duplicate keys,
  last wins (FRM-9).
- b9idm-json-float-int: JS Number / Go float64 decoding: `5.0`, `5e0` taken as 5 (FRM-11).
- b9idm-json-key-casefold: Go encoding/json matches member names case-insensitively:
  `{"Name": ...}` fills `name` (FRM-9: the required member is missing).
- b9idm-json-null-optional: Go `*string` / Jackson: `"sha256": null` read as absent
  (FRM-12: a string member must be a string).
- b9idm-client-json-null-optional: the same in the initiator (added in phase 2, after
  the blind run).
- b9idm-json-surrogate-replace: Java/C#/JS strings hold lone surrogates; the UTF-8
  encoder turns them into `?` and the name is used (FRM-15).
Integers
- b9idm-int-uint32-size: C `uint32_t size = json_integer_value(...)`: the size wraps
  modulo 2^32 before the limit check (APP-PUT-7).
Names and paths
- b9idm-name-cstring-nul: C string: the name ends at its first NUL (APP-NAME-2).
- b9idm-name-backslash-sep: a Windows port turns `\\` into the separator (APP-NAME-2).
- b9idm-name-drive-upper: drive-letter check `^[A-Z]:` only (APP-NAME-2).
- b9idm-name-path-clean: Go path.Clean / Java Path.normalize() before checking:
  `a/../b`, `a//b`, `./b` become clean names (APP-NAME-2).
- b9idm-name-nfc: macOS / Java Normalizer: names NFC-normalised (APP-NAME-3).
- b9idm-name-casefold-fs: a case-insensitive file system (NTFS, APFS default): a get of
  `README` serves `readme` (APP-NAME-3).
- b9idm-name-url-decode: Java URLDecoder.decode on the name (`%2e` -> `.`, `+` -> space)
  (APP-NAME-3).
- b9idm-name-string-prefix: realpath + String.startsWith(share) confinement, symlinks
  followed: `share-evil` passes (APP-NAME-4).
- b9idm-name-c1-bytes: C1 check on UTF-8 bytes (0x80-0x9F) instead of code points:
  `€` refused (APP-NAME-8).
I/O
- b9idm-io-short-read-header: `read(fd, hdr, 8)` without a loop: a header split across
  reads is taken as the end of the stream (FRM-4). sft-pki/1.
- b9idm-io-unflushed-fatal: a buffered writer closed without flush: the fatal EROR
  never leaves (FRM-5). sft-pki/1.
- b9idm-io-no-close-notify: `finally: sock.close()` without SSL_shutdown (PKI-TLS-7).
- b9idm-io-record-short-read: EAGAIN / a short read inside a record taken as EOF (FRM-4).
  sft-eke/1.
Time
- b9idm-time-retry-after-ms: `retry_after` in milliseconds (Java/JS epoch ms) (EKE-THR-6).
- b9idm-ca-retry-after-ms: `Retry-After` in milliseconds (CA-ENR-7).
- b9idm-ca-crl-validity-ms: CRL lifetime 7 days computed in ms, used as seconds
  (CA-ENR-16).
HTTP (CA)
- b9idm-ca-content-length-parseint: Java Integer.parseInt / Python int(): `+5`, ` 5`,
  `5_0`, Unicode digits accepted as a Content-Length (CA-ENR-9).
- b9idm-ca-query-ignored: routing on the parsed path (Go r.URL.Path): `?x=y` ignored
  (CA-ENR-15).
Certificates (PKI)
- b9idm-pki-cn-lowercase: Go strings.EqualFold / ToLower on the CN (PKI-ID-4).
- b9idm-pki-cn-last: Go pkix.Name.CommonName keeps the last CN (PKI-ID-4).
- b9idm-pki-eku-absent-any: OpenSSL's default: no EKU means any purpose (PKI-CERT-5).
- b9idm-client-pki-cn-lowercase: the initiator's alias check on a lower-cased CN (PKI-ID-4).
EKE
- b9idm-eke-user-nocase: an SQL collation that ignores case (MySQL, SQL Server) in the
  account lookup (EKE-PW-4).
- b9idm-eke-user-nfc: JS `name.normalize()` before the account lookup (EKE-PW-4).
- b9idm-eke-th-utf16-len: Java String.length(): the transcript's u16be(len(U)) in UTF-16
  units (EKE-KS-1; only a non-ASCII user name shows it).
- b9idm-eke-nonce-le: the sequence number written little-endian (C#
  BinaryPrimitives/x86 memcpy) into the nonce (EKE-REC-2; seq 0 is the same either way).
- b9idm-eke-z-minimal: Go big.Int.Bytes() / Java BigInteger minimal encoding of Z
  instead of I2OSP(Z, 384): 1 handshake in 256 fails (EKE-KS-2).
Password files (initiator)
- b9idm-client-pw-trimspace: Go strings.TrimSpace on the password (PWF-1).
- b9idm-client-pw-bom: .NET StreamReader / Java readers drop a leading BOM (PWF-1).
- b9idm-client-pw-nfc: the password NFC-normalised (EKE-PW-1).

Added after the blind run (phase 2 probes, not in the blind count): b9idm-ca-header-case
(a case-sensitive header parser, CA-ENR-2), b9idm-ca-retry-after-http-date (ASP.NET's
HTTP-date Retry-After, CA-ENR-7), b9idm-eke-retry-after-float (JS seconds as a fraction,
ERR-7), b9idm-eke-retry-after-floor (integer division, EKE-THR-6), b9idm-eke-user-trim
(Go strings.TrimSpace, EKE-PW-4), b9idm-client-busy-sleep-ms (Thread.sleep of seconds,
EKE-THR-7), b9idm-client-user-nfc (EKE-HS-1), b9idm-client-pki-no-close-notify
(PKI-TLS-7), b9idm-ca-alias-lowercase and b9idm-ca-password-trim (CA-ENR-6),
b9idm-eke-hex-any-case (FRM-12).

Dropped: host names compared without dropping the FQDN's trailing dot (CA-ENR-17):
the self-test runs the CA's administration command (`user add`) unmutated, which refuses
`localhost.` before enrolment, so the harness cannot show it (test_pki_hardening.py
does try `localhost.`). A certificate validity computed in Java int milliseconds (30 days overflows
to -19.7 days): the reference's X.509 library refuses notAfter < notBefore, so it would
show only as a 500 (CA-ENR-2), not as the idiom's expired certificate. HKDF with an empty
salt, a 12-byte GCM tag, a scrypt salt length in UTF-16 units on the server: every
handshake fails, so the sanity conversation fails and no requirement can be judged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import json
import os
import posixpath
import re
import socket
import stat
import unicodedata
import urllib.parse
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


# --- JSON ------------------------------------------------------------------------------


def _json_dup_last_wins() -> None:
    frames = _module("reference.frames")
    frames._no_duplicates = dict


def _json_float_int() -> None:
    frames = _module("reference.frames")
    messages = _module("reference.messages")
    original = frames.loads_control

    def parse_float(text: str) -> Any:
        value = float(text)
        return int(value) if value.is_integer() else value

    def loads_control(payload: Any) -> dict[str, Any]:
        original(payload)  # the same refusals (size, UTF-8, duplicates, constants)
        value: dict[str, Any] = json.loads(bytes(payload).decode("utf-8"), parse_float=parse_float)
        return value

    frames.loads_control = loads_control
    messages.loads_control = loads_control


def _json_key_casefold() -> None:
    frames = _module("reference.frames")
    messages = _module("reference.messages")
    original = frames.loads_control

    def loads_control(payload: Any) -> dict[str, Any]:
        obj: dict[str, Any] = original(payload)
        folded = dict(obj)
        for key, value in obj.items():
            folded.setdefault(key.lower(), value)
        return folded

    messages.loads_control = loads_control


def _json_null_optional() -> None:
    messages = _module("reference.messages")
    original = messages.check_schema

    def check_schema(frame_type: bytes, obj: Any, schema: Any) -> None:
        for name, (_kind, required) in schema.items():
            if not required and name in obj and obj[name] is None:
                del obj[name]
        original(frame_type, obj, schema)

    messages.check_schema = check_schema


def _json_surrogate_replace() -> None:
    frames = _module("reference.frames")
    share = _module("reference.share")
    frames._is_encodable = lambda value: True
    original = share.check_name

    def check_name(name: str) -> list[str]:
        replaced: list[str] = original(name.encode("utf-8", "replace").decode("utf-8"))
        return replaced

    share.check_name = check_name


# --- integers ----------------------------------------------------------------------------


def _int_uint32_size() -> None:
    app = _module("reference.app")
    messages = _module("reference.messages")
    original = app.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        message = original(frame, rsfl_for_put=rsfl_for_put)
        if isinstance(message, messages.PutRequest):
            message = dataclasses.replace(message, size=message.size & 0xFFFFFFFF)
        return message

    app.decode_message = decode_message


# --- names -------------------------------------------------------------------------------


def _wrap_check_name(transform: Callable[[str], str]) -> None:
    share = _module("reference.share")
    original = share.check_name

    def check_name(name: str) -> list[str]:
        parts: list[str] = original(transform(name))
        return parts

    share.check_name = check_name


def _name_cstring_nul() -> None:
    _wrap_check_name(lambda name: name.split("\x00", 1)[0])


def _name_backslash_sep() -> None:
    _wrap_check_name(lambda name: name.replace("\\", "/"))


def _name_drive_upper() -> None:
    share = _module("reference.share")
    original = share.check_name
    lower_drive = re.compile(r"[a-z]:")

    def check_name(name: str) -> list[str]:
        if lower_drive.match(name):
            # The port's regex `^[A-Z]:` misses it: checked as if it were a plain name.
            parts: list[str] = original(name[0] + "_" + name[2:])
            parts[0] = name[:2] + parts[0][2:]
            return parts
        checked: list[str] = original(name)
        return checked

    share.check_name = check_name


def _name_path_clean() -> None:
    def clean(name: str) -> str:
        if not name or name.startswith("/"):
            return name
        return posixpath.normpath(name)

    _wrap_check_name(clean)


def _name_nfc() -> None:
    _wrap_check_name(lambda name: unicodedata.normalize("NFC", name))


def _name_url_decode() -> None:
    _wrap_check_name(urllib.parse.unquote_plus)


def _name_c1_bytes() -> None:
    share = _module("reference.share")
    original = share.check_name

    def check_name(name: str) -> list[str]:
        raw = name.encode("utf-8", "surrogatepass")
        if any(0x80 <= b <= 0x9F for b in raw):
            raise share.NameRefused("control characters are not allowed in names")
        parts: list[str] = original(name)
        return parts

    share.check_name = check_name


def _name_casefold_fs() -> None:
    share = _module("reference.share")
    errors = _module("reference.errors")
    original = share.ShareDirectory._open_component

    def open_component(dir_fd: int, part: str, flags: int, name: str) -> int:
        try:
            fd: int = original(dir_fd, part, flags, name)
            return fd
        except errors.RemoteProtocolError as exc:
            if exc.code is not errors.ErrorCode.NOT_FOUND:
                raise
            try:
                entries = os.listdir(dir_fd)
            except OSError:
                raise exc from None
            for entry in entries:
                if entry != part and entry.lower() == part.lower():
                    found: int = original(dir_fd, entry, flags, name)
                    return found
            raise

    share.ShareDirectory._open_component = staticmethod(open_component)


def _name_string_prefix() -> None:
    share = _module("reference.share")

    def open_shared(self: Any, name: str) -> Any:
        share.check_name(name)
        root = os.path.realpath(self.path)
        real = os.path.realpath(os.path.join(root, name))
        if not real.startswith(root):  # a string prefix, not a path component
            raise share.NameRefused("the name leaves the share")
        try:
            fd = os.open(real, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno == errno.EACCES:
                raise share.NameRefused("permission denied") from None
            raise share._not_found(name) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise share._not_found(name)
            return share.SharedFile(open(fd, "rb", buffering=0, closefd=True), st.st_size)
        except BaseException:
            os.close(fd)
            raise

    share.ShareDirectory.open = open_shared


# --- I/O ---------------------------------------------------------------------------------


def _io_short_read_header() -> None:
    transfer = _module("reference.transfer")
    frames = _module("reference.frames")
    need_data = frames.NEED_DATA

    def next_event(self: Any) -> Any:
        conn = self.conn
        while True:
            event = conn.next_event()
            if event is not need_data:
                return event
            wanted = conn.payload_wanted()
            if wanted:
                view = self._data_view()
                got = self._read_payload(view, min(wanted, transfer.BUFFER_SIZE))
                if got:
                    return conn.receive_payload(view[:got])
                conn.receive_data(b"")
                continue
            n = self.stream.recv_into(self._small)
            conn.receive_data(self._small[:n] if n else b"")
            if (
                n
                and conn._header is None
                and not conn._payload_left
                and 0 < len(conn._buffer) < frames.HEADER_SIZE
            ):
                conn.receive_data(b"")  # `read(fd, hdr, 8) < 8`: taken as the end

    transfer._Channel.next_event = next_event


def _io_unflushed_fatal() -> None:
    transfer = _module("reference.transfer")
    transfer._Channel.fail = lambda self, exc: None


def _io_no_close_notify() -> None:
    peer = _module("reference.pki.peer")

    def close_tls(sock: Any, timeout: float = 1.0) -> None:
        socket.socket.close(sock)

    peer.close_tls = close_tls


def _io_record_short_read() -> None:
    transport = _module("reference.eke.transport")
    frames = _module("reference.frames")
    need_data = frames.NEED_DATA

    def next_record(self: Any) -> Any:
        reader = self.reader
        while True:
            frame = reader.next_frame()
            if frame is not need_data:
                return frame
            n = self.sock.recv_into(reader.get_buffer())
            if n == 0:
                reader.eof_received()
            else:
                reader.buffer_updated(n)
                if reader.in_record and reader.next_frame() is need_data:
                    reader.eof_received()  # EAGAIN inside a record taken as EOF

    transport.SecureStream._next_record = next_record


# --- time --------------------------------------------------------------------------------


def _time_retry_after_ms() -> None:
    handshake = _module("reference.eke.handshake")
    original = handshake.ServerHandshake.refuse_throttled

    def refuse_throttled(self: Any, retry_after: float) -> None:
        original(self, retry_after * 1000)

    handshake.ServerHandshake.refuse_throttled = refuse_throttled


def _ca_retry_after_ms() -> None:
    ca_server = _module("reference.pki.ca_server")
    original = ca_server.LoginThrottle.admit

    def admit(self: Any, *keys: str) -> int:
        wait: int = original(self, *keys)
        return wait * 1000 if wait > 0 else wait

    ca_server.LoginThrottle.admit = admit


def _ca_crl_validity_ms() -> None:
    ca = _module("reference.pki.ca")
    original = ca.make_crl

    def make_crl(*args: Any, **kwargs: Any) -> Any:
        kwargs["validity"] = dt.timedelta(seconds=ca.CRL_VALIDITY.total_seconds() * 1000)
        return original(*args, **kwargs)

    ca.make_crl = make_crl


# --- HTTP (CA) ---------------------------------------------------------------------------


def _ca_content_length_parseint() -> None:
    ca_server = _module("reference.pki.ca_server")
    original = ca_server._Handler._read_json

    def read_json(self: Any) -> Any:
        values = self.headers.get_all("Content-Length") or []
        if len(values) == 1:
            try:
                number = int(values[0])
            except ValueError:
                number = -1
            if number >= 0:
                del self.headers["Content-Length"]
                self.headers["Content-Length"] = str(number)
        return original(self)

    ca_server._Handler._read_json = read_json


def _ca_query_ignored() -> None:
    ca_server = _module("reference.pki.ca_server")
    original = ca_server._Handler._dispatch

    def dispatch(self: Any) -> None:
        self.path = urllib.parse.urlsplit(self.path).path
        original(self)

    ca_server._Handler._dispatch = dispatch
    for method in ("do_GET", "do_POST", "do_PUT", "do_DELETE", "do_PATCH"):
        setattr(ca_server._Handler, method, dispatch)


def _ca_host_trailing_dot() -> None:
    ca = _module("reference.pki.ca")
    ca._host_key = lambda name: name.lower()


# --- certificates (PKI) ------------------------------------------------------------------


def _pki_cn_lowercase() -> None:
    tls = _module("reference.pki.tls")
    original = tls._common_name

    def common_name(cert: Any) -> str:
        value: str = original(cert)
        return value.lower()

    tls._common_name = common_name


def _pki_cn_last() -> None:
    tls = _module("reference.pki.tls")
    name_oid = _module("cryptography.x509.oid").NameOID

    def common_name(cert: Any) -> str:
        names = cert.subject.get_attributes_for_oid(name_oid.COMMON_NAME)
        if not names or not isinstance(names[-1].value, str):
            raise tls.CertificateRefused("the certificate has no common name")
        value: str = names[-1].value
        return value

    tls._common_name = common_name


def _pki_eku_absent_any() -> None:
    tls = _module("reference.pki.tls")
    x509 = _module("cryptography.x509")
    original = tls.check_peer_certificate

    def check_peer_certificate(der: bytes | None, *, as_server: bool) -> str:
        try:
            alias: str = original(der, as_server=as_server)
            return alias
        except tls.CertificateRefused:
            if der is None:
                raise
            cert = x509.load_der_x509_certificate(der)
            try:
                cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
            except x509.ExtensionNotFound:
                return str(tls._common_name(cert))  # "any purpose"
            raise

    tls.check_peer_certificate = check_peer_certificate


# --- EKE ---------------------------------------------------------------------------------


def _eke_user_nocase() -> None:
    store = _module("reference.eke.store")
    crypto = _module("reference.eke.crypto")

    def key_for(self: Any, name: str) -> bytes:
        fake: bytes = crypto.fake_password_key(self._server_secret, name)
        with self._lock:
            row = self._db.execute(
                "SELECT pw FROM users WHERE name = ? COLLATE NOCASE", (name,)
            ).fetchone()
        return bytes(row[0]) if row is not None else fake

    store.PasswordStore.key_for = key_for


def _eke_user_nfc() -> None:
    store = _module("reference.eke.store")
    crypto = _module("reference.eke.crypto")

    def key_for(self: Any, name: str) -> bytes:
        fake: bytes = crypto.fake_password_key(self._server_secret, name)
        with self._lock:
            row = self._db.execute(
                "SELECT pw FROM users WHERE name = ?", (unicodedata.normalize("NFC", name),)
            ).fetchone()
        return bytes(row[0]) if row is not None else fake

    store.PasswordStore.key_for = key_for


def _eke_th_utf16_len() -> None:
    crypto = _module("reference.eke.crypto")
    hashlib = _module("hashlib")
    struct = _module("struct")

    def transcript_hash(user: str, a: bytes, b: bytes) -> bytes:
        raw = user.encode("utf-8")
        units = len(user.encode("utf-16-le")) // 2  # Java String.length()
        digest: bytes = hashlib.sha256(
            crypto._TRANSCRIPT_LABEL + struct.pack("!H", units) + raw + bytes(a) + bytes(b)
        ).digest()
        return digest

    crypto.transcript_hash = transcript_hash


def _le_nonce(iv: int, seq: int) -> bytes:
    counter = int.from_bytes(seq.to_bytes(8, "little"), "big")
    return (iv ^ counter).to_bytes(12, "big")


def _eke_nonce_le() -> None:
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")
    invalid_tag = _module("cryptography.exceptions").InvalidTag

    def next_nonce(self: Any) -> bytes:
        seq = self.sequence
        if seq > crypto.MAX_SEQUENCE:
            raise errors.LocalProtocolError(errors.ErrorCode.INTERNAL, "sequence exhausted")
        self.sequence = seq + 1
        return _le_nonce(self._iv, seq)

    def open_record(self: Any, header: Any, sealed: memoryview) -> memoryview:
        plain_len = len(sealed) - crypto.TAG_LEN
        if plain_len < 0 or plain_len > len(self._plains[0]):
            raise crypto.AuthenticationFailed()
        seq = self.sequence
        out = memoryview(self._plains[self._turn ^ 1])[:plain_len]
        try:
            self._aead.decrypt_into(_le_nonce(self._iv, seq), sealed, bytes(header), out)
        except invalid_tag:
            raise crypto.AuthenticationFailed() from None
        self._turn ^= 1
        self.sequence = seq + 1
        self.blocks += -(-plain_len // 16) + 1
        return out

    crypto._RecordCipher._next_nonce = next_nonce
    crypto.RecordOpener.open = open_record


def _eke_z_minimal() -> None:
    crypto = _module("reference.eke.crypto")
    original = crypto.shared_secret

    def shared_secret(ours: Any, peer_element: int) -> bytes:
        z = int.from_bytes(original(ours, peer_element), "big")
        return z.to_bytes((z.bit_length() + 7) // 8, "big")  # Go big.Int.Bytes()

    crypto.shared_secret = shared_secret


# --- password files (initiator) ----------------------------------------------------------


def _wrap_password_reader(transform: Callable[[str], str]) -> None:
    cli_eke = _module("reference.cli.eke")
    original = cli_eke._read_password_file

    def read(path: Any) -> str:
        return transform(original(path))

    cli_eke._read_password_file = read


def _client_pw_trimspace() -> None:
    _wrap_password_reader(str.strip)


def _client_pw_bom() -> None:
    _wrap_password_reader(lambda password: password.removeprefix("\ufeff"))


def _client_pw_nfc() -> None:
    _wrap_password_reader(lambda password: unicodedata.normalize("NFC", password))


# --- added after the blind run (phase 2 probes) -------------------------------------------


def _ca_header_case() -> None:
    ca_server = _module("reference.pki.ca_server")
    original = ca_server._Handler._read_json

    def read_json(self: Any) -> Any:
        if "Content-Length" not in self.headers.keys():  # a hand-rolled, case-sensitive parser
            raise ca_server._HttpError(
                ca_server.HTTPStatus.LENGTH_REQUIRED,
                "length_required",
                "Content-Length is required",
                close=True,
            )
        return original(self)

    ca_server._Handler._read_json = read_json


def _ca_retry_after_http_date() -> None:
    ca_server = _module("reference.pki.ca_server")
    email_utils = _module("email.utils")
    time = _module("time")
    original = ca_server._Handler._send_json

    def send_json(self: Any, status: Any, body: Any, **kwargs: Any) -> None:
        headers = kwargs.get("headers")
        if headers and "Retry-After" in headers and int(status) == 429:
            seconds = int(headers["Retry-After"])
            when = email_utils.formatdate(time.time() + seconds, usegmt=True)
            kwargs["headers"] = {**headers, "Retry-After": when}  # ASP.NET's HTTP-date form
        original(self, status, body, **kwargs)

    ca_server._Handler._send_json = send_json


def _eke_retry_after_float() -> None:
    handshake = _module("reference.eke.handshake")
    errors = _module("reference.errors")

    def refuse_throttled(self: Any, retry_after: float) -> None:
        if self.state is not handshake.HandshakeState.SERVER_AWAIT_KEY:
            raise errors.LocalProtocolError(errors.ErrorCode.INTERNAL, "out of turn")
        seconds = round(max(0.001, retry_after), 3)  # JS: (until - Date.now()) / 1000
        self._outbox += handshake.encode_error(
            errors.ErrorCode.THROTTLED, "too many failed logins; try again later", seconds
        )
        self._failure = errors.RemoteProtocolError(errors.ErrorCode.THROTTLED, "throttled")
        self.state = handshake.HandshakeState.CLOSED

    handshake.ServerHandshake.refuse_throttled = refuse_throttled


def _eke_retry_after_floor() -> None:
    handshake = _module("reference.eke.handshake")
    errors = _module("reference.errors")
    math = _module("math")

    def refuse_throttled(self: Any, retry_after: float) -> None:
        if self.state is not handshake.HandshakeState.SERVER_AWAIT_KEY:
            raise errors.LocalProtocolError(errors.ErrorCode.INTERNAL, "out of turn")
        seconds = math.floor(retry_after)  # integer division of the time left
        self._outbox += handshake.encode_error(
            errors.ErrorCode.THROTTLED, "too many failed logins; try again later", seconds
        )
        self._failure = errors.RemoteProtocolError(errors.ErrorCode.THROTTLED, "throttled")
        self.state = handshake.HandshakeState.CLOSED

    handshake.ServerHandshake.refuse_throttled = refuse_throttled


def _eke_user_trim() -> None:
    store = _module("reference.eke.store")
    original = store.PasswordStore.key_for

    def key_for(self: Any, name: str) -> bytes:
        row_name = name.strip()  # Go strings.TrimSpace on the user name
        if row_name != name:
            with self._lock:
                row = self._db.execute(
                    "SELECT pw FROM users WHERE name = ?", (row_name,)
                ).fetchone()
            if row is not None:
                return bytes(row[0])
        key: bytes = original(self, name)
        return key

    store.PasswordStore.key_for = key_for


def _client_busy_sleep_ms() -> None:
    client = _module("reference.eke.client")
    real_time = _module("time")

    class _MillisecondSleep:
        """Java's Thread.sleep(retryAfter): the seconds taken for milliseconds."""

        def __getattr__(self, name: str) -> Any:
            return getattr(real_time, name)

        @staticmethod
        def sleep(seconds: float) -> None:
            real_time.sleep(seconds / 1000)

    client.time = _MillisecondSleep()


def _client_user_nfc() -> None:
    handshake = _module("reference.eke.handshake")
    original = handshake.ClientHandshake.__init__

    def init(self: Any, user: str, pw: bytes) -> None:
        original(self, unicodedata.normalize("NFC", user), pw)

    handshake.ClientHandshake.__init__ = init


def _client_pki_no_close_notify() -> None:
    client = _module("reference.pki.client")

    def close_tls(sock: Any, timeout: float = 1.0) -> None:
        socket.socket.close(sock)

    client.close_tls = close_tls


def _ca_alias_lowercase() -> None:
    ca_server = _module("reference.pki.ca_server")
    original = ca_server._Handler._read_json

    def read_json(self: Any) -> Any:
        body = original(self)
        if isinstance(body.get("alias"), str):
            body["alias"] = body["alias"].lower()  # alias.toLowerCase() "to normalise"
        return body

    ca_server._Handler._read_json = read_json


def _ca_password_trim() -> None:
    ca = _module("reference.pki.ca")
    original = ca.CertificateAuthority.authenticate

    def authenticate(self: Any, alias: str, password: str) -> bool:
        ok: bool = original(self, alias, password.strip())  # strings.TrimSpace
        return ok

    ca.CertificateAuthority.authenticate = authenticate


def _eke_hex_any_case() -> None:
    frames = _module("reference.frames")
    frames._HEX_RE = re.compile(r"[0-9a-fA-F]*")  # Go hex.DecodeString, Java HexFormat


def _m(
    name: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Callable[[], None],
    **flags: Any,
) -> Mutant:
    return Mutant(
        name=f"b9idm-{name}",
        group="blind9-idioms",
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        **flags,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "json-dup-last-wins",
        "eke",
        "FRM-9",
        "test_framing.py",
        "duplicate JSON keys accepted, last wins (Go/JS/Jackson)",
        _json_dup_last_wins,
    ),
    _m(
        "json-float-int",
        "pki",
        "FRM-11",
        "test_framing.py",
        "integers decoded as float64: 5.0 and 5e0 taken as 5 (JS/Go)",
        _json_float_int,
    ),
    _m(
        "json-key-casefold",
        "eke",
        "FRM-9",
        "test_framing.py",
        "member names matched case-insensitively (Go encoding/json)",
        _json_key_casefold,
    ),
    _m(
        "json-null-optional",
        "pki",
        "FRM-12",
        "test_app_json_nulls.py",
        "an optional member that is null read as absent (Go pointers, Jackson)",
        _json_null_optional,
    ),
    _m(
        "json-surrogate-replace",
        "eke",
        "FRM-15",
        "test_framing.py",
        "lone surrogates in a name replaced by '?' and the name used (Java getBytes)",
        _json_surrogate_replace,
    ),
    # Added after the blind run (phase 2): the initiator's side of the survivor above.
    _m(
        "client-json-null-optional",
        "eke",
        "FRM-12",
        "test_client_json_nulls.py",
        "the initiator reads an optional member that is null as absent (Go, Jackson)",
        _json_null_optional,
        client=True,
    ),
    _m(
        "int-uint32-size",
        "pki",
        "APP-PUT-7",
        "test_app_put.py",
        "PUTF size stored in a uint32: wraps modulo 2^32 before the limit check (C)",
        _int_uint32_size,
    ),
    _m(
        "name-cstring-nul",
        "eke",
        "APP-NAME-2",
        "test_app_names.py",
        "a name ends at its first NUL (C string)",
        _name_cstring_nul,
    ),
    _m(
        "name-backslash-sep",
        "pki",
        "APP-NAME-2",
        "test_app_names.py",
        "backslash taken as a separator (Windows port)",
        _name_backslash_sep,
    ),
    _m(
        "name-drive-upper",
        "eke",
        "APP-NAME-2",
        "test_app_names.py",
        "drive letters refused only in upper case (`^[A-Z]:`)",
        _name_drive_upper,
    ),
    _m(
        "name-path-clean",
        "pki",
        "APP-NAME-2",
        "test_app_names.py",
        "names cleaned (Go path.Clean, Path.normalize) before the checks",
        _name_path_clean,
    ),
    _m(
        "name-nfc",
        "eke",
        "APP-NAME-3",
        "test_app_names.py",
        "names NFC-normalised before use (macOS, Java Normalizer)",
        _name_nfc,
    ),
    _m(
        "name-casefold-fs",
        "pki",
        "APP-NAME-3",
        "test_app_names.py",
        "a case-insensitive file system: README serves readme",
        _name_casefold_fs,
    ),
    _m(
        "name-url-decode",
        "eke",
        "APP-NAME-3",
        "test_app_names.py",
        "names URL-decoded (Java URLDecoder: %xx and '+')",
        _name_url_decode,
    ),
    _m(
        "name-string-prefix",
        "pki",
        "APP-NAME-4",
        "test_app_names.py",
        "confinement by realpath + string prefix, symlinks followed (Java/Go)",
        _name_string_prefix,
    ),
    _m(
        "name-c1-bytes",
        "eke",
        "APP-NAME-8",
        "test_app_names_controls.py",
        "C1 controls checked on UTF-8 bytes: the euro sign is refused (C)",
        _name_c1_bytes,
    ),
    _m(
        "io-short-read-header",
        "pki",
        "FRM-4",
        "test_framing.py",
        "a header split across reads taken as the end of the stream (read without a loop)",
        _io_short_read_header,
    ),
    _m(
        "io-unflushed-fatal",
        "pki",
        "FRM-5",
        "test_framing.py",
        "fatal EROR written to a buffered writer closed without flush",
        _io_unflushed_fatal,
    ),
    _m(
        "io-no-close-notify",
        "pki",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "the responder closes the socket without TLS close_notify",
        _io_no_close_notify,
    ),
    _m(
        "io-record-short-read",
        "eke",
        "FRM-4",
        "test_framing.py",
        "a record split across reads taken as the end of the stream (EAGAIN as EOF)",
        _io_record_short_read,
    ),
    _m(
        "time-retry-after-ms",
        "eke",
        "EKE-THR-6",
        "test_eke_throttling.py",
        "retry_after in milliseconds (Java/JS)",
        _time_retry_after_ms,
    ),
    _m(
        "ca-retry-after-ms",
        "pki",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "Retry-After in milliseconds",
        _ca_retry_after_ms,
        ca=True,
    ),
    _m(
        "ca-crl-validity-ms",
        "pki",
        "CA-ENR-16",
        "test_pki_hardening.py",
        "CRL lifetime computed in ms and used as seconds",
        _ca_crl_validity_ms,
        ca=True,
    ),
    _m(
        "ca-content-length-parseint",
        "pki",
        "CA-ENR-9",
        "test_ca.py",
        "Content-Length parsed leniently (Integer.parseInt, int())",
        _ca_content_length_parseint,
        ca=True,
    ),
    _m(
        "ca-query-ignored",
        "pki",
        "CA-ENR-15",
        "test_ca.py",
        "routing on the parsed path: the query string ignored (Go r.URL.Path)",
        _ca_query_ignored,
        ca=True,
    ),
    _m(
        "pki-cn-lowercase",
        "pki",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the client certificate's CN lower-cased (strings.EqualFold)",
        _pki_cn_lowercase,
    ),
    _m(
        "pki-cn-last",
        "pki",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the last of several CNs taken (Go pkix.Name.CommonName)",
        _pki_cn_last,
    ),
    _m(
        "pki-eku-absent-any",
        "pki",
        "PKI-CERT-5",
        "test_pki_certs.py",
        "a certificate without EKU accepted for any purpose (OpenSSL default)",
        _pki_eku_absent_any,
    ),
    _m(
        "client-pki-cn-lowercase",
        "pki",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the initiator compares a lower-cased CN with the alias",
        _pki_cn_lowercase,
        client=True,
    ),
    _m(
        "eke-user-nocase",
        "eke",
        "EKE-PW-4",
        "test_eke_handshake.py",
        "account lookup under a case-insensitive SQL collation",
        _eke_user_nocase,
    ),
    _m(
        "eke-user-nfc",
        "eke",
        "EKE-PW-4",
        "test_eke_handshake.py",
        "account lookup on the NFC form of the user name",
        _eke_user_nfc,
    ),
    _m(
        "eke-th-utf16-len",
        "eke",
        "EKE-KS-1",
        "test_eke_handshake.py",
        "transcript u16be(len(U)) in UTF-16 units (Java String.length())",
        _eke_th_utf16_len,
    ),
    _m(
        "eke-nonce-le",
        "eke",
        "EKE-REC-2",
        "test_eke_records.py",
        "record sequence number little-endian in the nonce",
        _eke_nonce_le,
    ),
    _m(
        "eke-z-minimal",
        "eke",
        "EKE-KS-2",
        "test_eke_shared_secret.py",
        "Z minimally encoded (big.Int.Bytes) instead of 384 bytes",
        _eke_z_minimal,
    ),
    _m(
        "client-pw-trimspace",
        "eke",
        "PWF-1",
        "test_eke_client_password_file.py",
        "password file trimmed (Go strings.TrimSpace)",
        _client_pw_trimspace,
        client=True,
    ),
    _m(
        "client-pw-bom",
        "eke",
        "PWF-1",
        "test_eke_client_password_file.py",
        "leading BOM of the password file dropped (.NET StreamReader)",
        _client_pw_bom,
        client=True,
    ),
    _m(
        "client-pw-nfc",
        "eke",
        "EKE-PW-1",
        "test_eke_client.py",
        "password NFC-normalised before scrypt",
        _client_pw_nfc,
        client=True,
    ),
    _m(
        "ca-header-case",
        "pki",
        "CA-ENR-2",
        "test_ca.py",
        "header names matched case-sensitively: content-length is no Content-Length",
        _ca_header_case,
        ca=True,
    ),
    _m(
        "ca-retry-after-http-date",
        "pki",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "429 Retry-After as an HTTP-date (ASP.NET RetryConditionHeaderValue)",
        _ca_retry_after_http_date,
        ca=True,
    ),
    _m(
        "eke-retry-after-float",
        "eke",
        "ERR-7",
        "test_eke_throttling.py",
        "retry_after a fraction of seconds (JS (until - Date.now()) / 1000)",
        _eke_retry_after_float,
    ),
    _m(
        "eke-retry-after-floor",
        "eke",
        "EKE-THR-6",
        "test_eke_throttling.py",
        "retry_after rounded down (integer division of the time left)",
        _eke_retry_after_floor,
    ),
    _m(
        "eke-user-trim",
        "eke",
        "EKE-PW-4",
        "test_eke_handshake.py",
        "user name trimmed before the account lookup (Go strings.TrimSpace)",
        _eke_user_trim,
    ),
    _m(
        "client-busy-sleep-ms",
        "eke",
        "EKE-THR-7",
        "test_eke_client_busy_retries.py",
        "the client sleeps retry_after milliseconds before retrying (Thread.sleep)",
        _client_busy_sleep_ms,
        client=True,
    ),
    _m(
        "client-user-nfc",
        "eke",
        "EKE-HS-1",
        "test_eke_client.py",
        "the client sends its user name NFC-normalised",
        _client_user_nfc,
        client=True,
    ),
    _m(
        "client-pki-no-close-notify",
        "pki",
        "PKI-TLS-7",
        "test_pki_initiator_transfer.py",
        "the initiator closes without TLS close_notify",
        _client_pki_no_close_notify,
        client=True,
    ),
    _m(
        "ca-alias-lowercase",
        "pki",
        "CA-ENR-6",
        "test_ca.py",
        "the CA lower-cases the alias it is sent",
        _ca_alias_lowercase,
        ca=True,
    ),
    _m(
        "ca-password-trim",
        "pki",
        "CA-ENR-6",
        "test_ca.py",
        "the CA trims the password before verifying it (strings.TrimSpace)",
        _ca_password_trim,
        ca=True,
    ),
    _m(
        "eke-hex-any-case",
        "eke",
        "FRM-12",
        "test_eke_handshake.py",
        "handshake hex accepted in upper case (Go hex.DecodeString)",
        _eke_hex_any_case,
    ),
)
