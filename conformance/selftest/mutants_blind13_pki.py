"""Blind red-team round 13 (pki): the sft-pki/1 responder and the app layer of both servers.

Written by helper B58 from docs/SPEC.md §0-§4, §6 and the reference's pki/peer.py,
pki/tls.py, admission.py, app.py, frames.py, messages.py, share.py, transfer.py and
eke/server.py only, through the six round-13 lenses (lenses13.md); no conformance/test_*.py,
mutant module or independent implementation was read before the list was written. A first
list of 38 was then compared with the registered mutants: most duplicated one (EKU absent,
BasicConstraints absent, ALPN absent, allow list by prefix, first CN, CN case-folded,
refusal served read-only, symlinks followed, dangling links as free names, lone
surrogates, BYE_ unparsed, nulls as absent, slot leaks of failed handshakes, name
reservations leaking, integral floats, u64/u32 sizes, limits in characters, DATA of
exactly 1 MiB refused, reserved prefix on the whole name, DONE.sha256 on a prefix,
realpath + string prefix, RSFL basename, exists case-folded, refused PUTF left receiving,
integrity_failed non-fatal) and were replaced by the ones below (a second check dropped
a validity-by-date, an exists-in-NFC and a trimmed-CN idea, registered too, and an allow
list read as a regular expression, which the embedded aliases cannot show). Each breaks
one observable MUST; `profile` says which server runs it. A 23rd,
b13pki-any-eku-stands-for-all (anyExtendedKeyUsage taken for clientAuth, PKI-CERT-5), was
dropped: OpenSSL 3.0's TLS-client purpose check already refuses a certificate whose EKU
holds anyExtendedKeyUsage without clientAuth, so the planted bug cannot be seen on the wire.

Lens 1 — fail open:
  b13pki-rsa-skips-hash            PKI-CERT-9  the algorithm check returns early for RSA
                                               keys: an RSA employee certificate signed
                                               with SHA-384 passes
  b13app-optional-wrong-type-absent FRM-9      an optional string member holding a number,
                                               a boolean, an array or an object is dropped
                                               as "not ours" (read as absent)
  b13app-done-sha-nonhex-lazy      FRM-12      sha256 members checked for length only and
                                               decoded at the comparison; one that does not
                                               decode is not compared
Lens 2 — absent means permissive:
  b13pki-no-cn-san-fallback        PKI-ID-4    a subject without CN: the alias is the first
                                               DNS subjectAltName
  b13app-put-empty-name-default    APP-NAME-1  a put of "" is stored as `upload`
  b13app-get-empty-name-notfound   APP-NAME-1  a get of "" is answered not_found
  b13app-zero-size-unbounded       APP-PUT-6   a put announced with size 0 is a put of
                                               unknown size: its DATA is written until DONE
  b13app-putf-no-size              FRM-9       a PUTF without `size` has size 0 (Go's zero
                                               value)
Lens 3 — leaks on the unhappy path:
  b13pki-double-release-refused    LIM-4       a refused certificate gives its slot back at
                                               once and again at the end (a counter): one
                                               connection more than the limit is admitted
  b13app-refused-put-temp-left     APP-STORE-3 the temporary is created before the exists
                                               check; a put refused `exists` leaves it
  b13app-temp-kept-on-protocol-error APP-STORE-3 a put ended by a protocol error of the
                                               initiator (unexpected_frame, bad_frame) keeps
                                               its temporary
Lens 4 — units and number forms:
  b13app-length-signed-int32       FRM-3       frame lengths read as signed 32-bit (Java's
                                               readInt): 2^31 and more is bad_frame, not
                                               frame_too_large
  b13app-control-limit-counts-header FRM-8     the 64 KiB control limit counts the 8-byte
                                               header
  b13app-data-limit-decimal-mb     FRM-13      DATA payloads limited to 1 MB (10^6), not
                                               1 MiB
Lens 5 — part of the value compared:
  b13pki-allow-cn-prefix-of-entry  PKI-ID-4    strncmp(entry, cn, strlen(cn)): a CN that is
                                               a prefix of an allowed alias is allowed
  b13pki-allow-after-open          PKI-ID-3    the allow list guards only the files found: a
                                               get of a missing file is not_found, connection
                                               kept
  b13app-done-size-vs-announced    APP-PUT-5   DONE.size compared with the announced size,
                                               not with the bytes received
  b13app-name-check-first-64       APP-NAME-2  the character checks run on the 64-character
                                               copy made for the log
Lens 6 — half-rolled-back state:
  b13app-get-cwd-sticks            APP-2       a get walks a per-connection directory cursor
                                               that only a successful open resets
  b13app-refused-put-sha-sticks    APP-PUT-5   a PUTF without sha256 inherits the sha256 of
                                               the connection's previous PUTF (refused or not)
  b13app-refusal-sticks            ERR-3       the refusal is kept on the connection and
                                               repeated for every later request
  b13app-pipelined-after-refusal-dropped APP-2 the read buffer is reset after a refusal: a
                                               request pipelined behind it is lost

Blind result: 11 of 23 detected as first run (under the requirement and file each was
filed under blind; 11 of the 22 kept). Undetected then: rsa-skips-hash (the RSA cases were
positive only), no-cn-san-fallback (the no-CN look-alike had no subjectAltName),
allow-after-open (outsiders asked for an existing file only), optional-wrong-type-absent
(only null was tried), put-empty-name-default and name-check-first-64 (the empty name,
and the refused characters, were tried in short gets only), zero-size-unbounded (excess
DATA only after an announced 100), refused-put-temp-left (leftovers looked for after
failed transfers only), get-cwd-sticks (no get after a refusal inside a directory),
refused-put-sha-sticks (no put without sha256 after one with it), refusal-sticks (caught
under ERR-3, filed blind under APP-2; ERR-3 is the requirement that says the connection is
idle again). Phase 2: test_app_member_types.py, test_app_put_refusal_leftovers.py (new),
and cases added to test_pki_rsa_employees.py, test_pki_identity.py, test_app_names.py,
test_app_put.py, test_app_get.py, test_app_put_sequence.py: 22 of 22 detected.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _tls() -> Any:
    return _module("reference.pki.tls")


def _peer() -> Any:
    return _module("reference.pki.peer")


def _share() -> Any:
    return _module("reference.share")


def _app() -> Any:
    return _module("reference.app")


def _responder() -> Any:
    return _module("reference.transfer").Responder


# --- lens 1: fail open ---------------------------------------------------------------------


def _rsa_skips_hash() -> None:
    tls = _tls()
    hashes, rsa, ec = tls.hashes, tls.rsa, tls.ec
    refused = tls.CertificateRefused

    def _check_algorithms(cert: Any, alias: str) -> None:
        key = cert.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            if key.key_size < 2048:
                raise refused(f"{alias}'s certificate has an RSA key below 2048 bits")
            return  # an RSA key of 2048 bits or more: nothing else to check
        if not (isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)):
            raise refused(f"{alias}'s certificate key is neither ECDSA P-256 nor RSA")
        if not isinstance(cert.signature_hash_algorithm, hashes.SHA256):
            raise refused(f"{alias}'s certificate is not signed with SHA-256")

    tls._check_algorithms = _check_algorithms


def _optional_wrong_type_absent() -> None:
    frames = _module("reference.frames")
    original = frames.check_schema

    def check_schema(frame_type: bytes, obj: Any, schema: Any) -> None:
        for name, (kind, required) in schema.items():
            value = obj.get(name)
            if (
                not required
                and kind in ("str", "sha256")
                and isinstance(value, int | float | bool | list | dict)
            ):
                del obj[name]  # not a string: not ours, ignore it
        original(frame_type, obj, schema)

    frames.check_schema = check_schema
    _module("reference.messages").check_schema = check_schema


def _b13_hex(value: str) -> bool:
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return True


def _done_sha_nonhex_lazy() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "_has_kind",
        ("return _SHA256_RE.fullmatch(value) is not None", "return len(value) == 64"),
    )
    app = _app()
    app._b13_hex = _b13_hex
    _patch_source(
        app._Transfer,
        "check_done",
        (
            "done.size == self.announced == self.count and done.sha256 == sha",
            "done.size == self.announced == self.count"
            " and (done.sha256 == sha or not _b13_hex(done.sha256))",
        ),
        (
            "if self.expected_sha256 is not None and self.expected_sha256 != sha:",
            "if self.expected_sha256 is not None and self.expected_sha256 != sha"
            " and _b13_hex(self.expected_sha256):",
        ),
    )


# --- lens 2: absent means permissive -------------------------------------------------------


def _no_cn_san_fallback() -> None:
    tls = _tls()
    x509, oid = tls.x509, tls.NameOID
    original = tls._common_name

    def _common_name(cert: Any) -> str:
        if not cert.subject.get_attributes_for_oid(oid.COMMON_NAME):
            try:
                san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
            except x509.ExtensionNotFound:
                san = None
            if san is not None:
                names = san.value.get_values_for_type(x509.DNSName)
                if names:
                    return str(names[0])
        return str(original(cert))

    tls._common_name = _common_name


def _put_empty_name_default() -> None:
    _patch_source(
        _share().Inbox,
        "target_name",
        ("base = check_name(name)[-1]", 'base = check_name(name or "upload")[-1]'),
    )


def _get_empty_name_notfound() -> None:
    share = _share()
    original = share.ShareDirectory.open

    def open_(self: Any, name: str) -> Any:
        if name == "":
            raise share._not_found(name)  # nothing asked, nothing found
        return original(self, name)

    share.ShareDirectory.open = open_


def _zero_size_unbounded() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_next_event",
        (
            "if self._incoming.count + length > self._incoming.announced:",
            "if self._incoming.announced and"
            " self._incoming.count + length > self._incoming.announced:",
        ),
    )
    _patch_source(
        _share().PartialFile,
        "write",
        (
            "if self.written + len(view) > self.limit:",
            "if self.limit and self.written + len(view) > self.limit:",
        ),
    )


def _putf_no_size() -> None:
    messages = _module("reference.messages")
    messages._SCHEMAS["PUTF"] = {
        "name": ("str", True),
        "size": ("int", False),
        "sha256": ("sha256", False),
    }
    _patch_source(
        messages,
        "decode_message",
        (
            'PutRequest(obj["name"], obj["size"], obj.get("sha256"))',
            'PutRequest(obj["name"], obj.get("size", 0), obj.get("sha256"))',
        ),
    )
    _app().decode_message = messages.decode_message


# --- lens 3: leaks on the unhappy path -----------------------------------------------------


def _double_release_refused() -> None:
    admission = _module("reference.admission").Admission

    def established(self: Any, key: int) -> bool:
        if key not in self._pending:
            return False
        self._forget_pending(key)
        self._established.add(key)
        self._b13_count = getattr(self, "_b13_count", 0) + 1
        return True

    def release(self: Any, key: int) -> None:
        if key in self._pending:
            self._forget_pending(key)
            return
        gone = self.__dict__.setdefault("_b13_gone", set())
        if key in self._established or key in gone:
            self._established.discard(key)
            gone.add(key)
            self._b13_count = getattr(self, "_b13_count", 0) - 1  # active--

    admission.established = established
    admission.release = release
    admission.open_connections = property(
        lambda self: len(self._pending) + getattr(self, "_b13_count", 0)
    )
    _patch_source(
        _peer().PeerServer,
        "_connection",
        (
            'self.log(f"{where}: refused: {exc}")',
            'self.log(f"{where}: refused: {exc}")\n'
            "            with self._admission_lock:\n"
            "                self._admission.release(key)  # free the slot at once",
        ),
    )


def _refused_put_temp_left() -> None:
    _patch_source(
        _responder(),
        "_put",
        (
            "final = inbox.target_name(request.name)\n"
            "        partial = inbox.begin(final, request.size)",
            "partial = inbox.begin(check_name(request.name)[-1], request.size)\n"
            "        final = inbox.target_name(request.name)",
        ),
    )


def _temp_kept_on_protocol_error() -> None:
    share = _share()
    errors = _module("reference.errors")
    code = errors.ErrorCode
    kept = frozenset({code.BAD_FRAME, code.UNEXPECTED_FRAME, code.FRAME_TOO_LARGE})
    cls = share.PartialFile
    original = cls.__exit__

    def __exit__(self: Any, exc_type: Any, exc: Any, tb: Any) -> None:
        if (
            isinstance(exc, errors.RemoteProtocolError)
            and not isinstance(exc, errors.TruncatedStream)
            and exc.code in kept
        ):
            # The peer broke the protocol: the cleanup of failed transfers is not reached.
            if self._file is not None:
                self._file.close()
                self._file = None
            return
        original(self, exc_type, exc, tb)

    cls.__exit__ = __exit__


# --- lens 4: units and number forms --------------------------------------------------------


def _length_signed_int32() -> None:
    _module("reference.frames").HEADER = struct.Struct("!4si")  # Java's DataInputStream.readInt


def _control_limit_counts_header() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_check_header",
        (
            "if frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:",
            "if frame_type != T_DATA and length + HEADER_SIZE > MAX_CONTROL_PAYLOAD:",
        ),
    )


def _data_limit_decimal_mb() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_check_header",
        (
            "if frame_type == T_DATA and not 1 <= length <= MAX_DATA_PAYLOAD:",
            "if frame_type == T_DATA and not 1 <= length <= 1_000_000:",
        ),
    )


# --- lens 5: part of the value compared ----------------------------------------------------


def _allow_cn_prefix_of_entry() -> None:
    _patch_source(
        _peer().PeerServer,
        "_connection",
        (
            "allowed = not self.config.allow or alias in self.config.allow",
            "allowed = not self.config.allow or any("
            "entry.startswith(alias) for entry in self.config.allow)",
        ),
    )


def _allow_after_open() -> None:
    responder = _responder()
    errors = _module("reference.errors")

    def _b13_absent(self: Any, name: str) -> bool:
        share = self.policy.share
        if share is None:
            return False
        try:
            share.open(name).close()
        except errors.RemoteProtocolError as exc:
            return bool(exc.code is errors.ErrorCode.NOT_FOUND)
        return False

    responder._b13_absent = _b13_absent
    _patch_source(
        responder,
        "run",
        (
            "if not self.policy.authorised:",
            "if not self.policy.authorised and not ("
            "isinstance(event, FileRequest) and self._b13_absent(event.name)):",
        ),
    )


def _done_size_vs_announced() -> None:
    _patch_source(
        _app()._Transfer,
        "check_done",
        ("done.size == self.announced == self.count and", "done.size == self.announced and"),
    )


def _name_check_first_64() -> None:
    _patch_source(
        _share(),
        "check_name",
        ('if "\\\\" in name:', 'if "\\\\" in name[:64]:'),
        (
            "for c in name):",
            "for c in name[:64]):",  # the copy cut for the log line
        ),
        ("isdisjoint(name):", "isdisjoint(name[:64]):"),
    )


# --- lens 6: half-rolled-back state --------------------------------------------------------


def _get_cwd_sticks() -> None:
    share = _share()
    cls = share.ShareDirectory
    local = threading.local()
    io, stat = _module("io"), _module("stat")

    def open_(self: Any, name: str) -> Any:
        parts = share.check_name(name)
        if parts[-1].startswith(share.PARTIAL_PREFIX):
            raise share.NameRefused("names starting with .sft-partial- are reserved")
        cursor = getattr(local, "cursor", None)
        current = self._fd if cursor is None else cursor
        for part in parts[:-1]:
            child = self._open_component(current, part, share._DIR_FLAGS, name)
            current = child
            local.cursor = current  # the connection's cursor follows the walk
        fd = self._open_component(current, parts[-1], share._FILE_FLAGS, name)
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise share._not_found(name)
        local.cursor = None  # back to the share's top, once the file is open
        return share.SharedFile(io.FileIO(fd, "rb", closefd=True), st.st_size)

    cls.open = open_


def _refused_put_sha_sticks() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_on_control",
        (
            "elif isinstance(message, PutRequest):\n"
            "        self._incoming = _Transfer(message.size, message.sha256, "
            "self._digest_factory)",
            "elif isinstance(message, PutRequest):\n"
            '        self._b13_sha = message.sha256 or getattr(self, "_b13_sha", None)\n'
            "        self._incoming = _Transfer(message.size, self._b13_sha, "
            "self._digest_factory)",
        ),
    )


def _refusal_sticks() -> None:
    responder = _responder()
    refuse, get, put = responder._refuse, responder._get, responder._put

    def _refuse(self: Any, exc: Any) -> None:
        self._b13_refusal = exc  # the connection's error, for the next request to see
        refuse(self, exc)

    def _get(self: Any, request: Any) -> None:
        last = getattr(self, "_b13_refusal", None)
        if last is not None:
            refuse(self, last)
            return
        get(self, request)

    def _put(self: Any, request: Any) -> None:
        last = getattr(self, "_b13_refusal", None)
        if last is not None:
            refuse(self, last)
            return
        put(self, request)

    responder._refuse, responder._get, responder._put = _refuse, _get, _put


def _pipelined_after_refusal_dropped() -> None:
    app = _app()
    cls = app.ApplicationConnection
    original = cls.send
    error_frame = _module("reference.messages").ErrorFrame

    def send(self: Any, event: Any) -> bytes:
        data: bytes = original(self, event)
        if isinstance(event, error_frame) and not event.fatal and self.role is app.RESPONDER:
            self._buffer.clear()  # a refusal resets the parser
            self._header = None
        return data

    cls.send = send


def _m(
    name: str,
    lens: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Callable[[], None],
) -> Mutant:
    return Mutant(
        name=name,
        group=f"blind13-pki-{lens}",
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1: fail open
    _m("b13pki-rsa-skips-hash", "failopen", "pki", "PKI-CERT-9", "test_pki_rsa_employees.py",
       "L1: the algorithm check returns early for RSA keys: an RSA employee certificate "
       "signed with SHA-384 passes", _rsa_skips_hash),
    _m("b13app-optional-wrong-type-absent", "failopen", "pki", "FRM-9",
       "test_app_member_types.py",
       "L1: an optional string member (PUTF.sha256) holding a number, boolean, array or "
       "object is dropped as absent", _optional_wrong_type_absent),
    _m("b13app-done-sha-nonhex-lazy", "failopen", "eke", "FRM-12", "test_framing.py",
       "L1: sha256 members checked for length only and decoded at the comparison; one that "
       "does not decode is not compared", _done_sha_nonhex_lazy),
    # lens 2: absent means permissive
    _m("b13pki-no-cn-san-fallback", "absent", "pki", "PKI-ID-4", "test_pki_identity.py",
       "L2: a client certificate without CN is named by its first DNS subjectAltName",
       _no_cn_san_fallback),
    _m("b13app-put-empty-name-default", "absent", "eke", "APP-NAME-1", "test_app_names.py",
       "L2: a put of the empty name is stored under the default name `upload`",
       _put_empty_name_default),
    _m("b13app-get-empty-name-notfound", "absent", "pki", "APP-NAME-1", "test_app_names.py",
       "L2: a get of the empty name is answered not_found, not forbidden",
       _get_empty_name_notfound),
    _m("b13app-zero-size-unbounded", "absent", "pki", "APP-PUT-6", "test_app_put.py",
       "L2: a put announced with size 0 is a put of unknown size: its DATA is taken until "
       "DONE", _zero_size_unbounded),
    _m("b13app-putf-no-size", "absent", "eke", "FRM-9", "test_framing.py",
       "L2: a PUTF without `size` has size 0 (Go's zero value)", _putf_no_size),
    # lens 3: leaks on the unhappy path
    _m("b13pki-double-release-refused", "leak", "pki", "LIM-4", "test_limits_slots.py",
       "L3: a connection refused for its certificate gives its slot back at once and again "
       "when it ends (a counter): the limit is exceeded by one per refusal",
       _double_release_refused),
    _m("b13app-refused-put-temp-left", "leak", "pki", "APP-STORE-3",
       "test_app_put_refusal_leftovers.py",
       "L3: the temporary is created before the exists check: a put refused `exists` "
       "leaves it in the inbox", _refused_put_temp_left),
    _m("b13app-temp-kept-on-protocol-error", "leak", "pki", "APP-STORE-3", "test_app_put.py",
       "L3: a put ended by the initiator's protocol error (unexpected_frame, bad_frame, "
       "frame_too_large) keeps its temporary", _temp_kept_on_protocol_error),
    # lens 4: units and number forms
    _m("b13app-length-signed-int32", "units", "pki", "FRM-3", "test_framing.py",
       "L4: frame lengths read as signed 32-bit: a length of 2^31 or more is bad_frame, "
       "not frame_too_large", _length_signed_int32),
    _m("b13app-control-limit-counts-header", "units", "eke", "FRM-8", "test_framing.py",
       "L4: the 64 KiB control limit counts the 8-byte header: a 65 536-byte payload is "
       "frame_too_large", _control_limit_counts_header),
    _m("b13app-data-limit-decimal-mb", "units", "pki", "FRM-13", "test_framing.py",
       "L4: DATA payloads limited to 1 MB (10^6 bytes), not 1 MiB", _data_limit_decimal_mb),
    # lens 5: part of the value compared
    _m("b13pki-allow-cn-prefix-of-entry", "part", "pki", "PKI-ID-4", "test_pki_identity.py",
       "L5: strncmp(entry, cn, strlen(cn)): a CN that is a prefix of an allowed alias is "
       "allowed", _allow_cn_prefix_of_entry),
    _m("b13pki-allow-after-open", "part", "pki", "PKI-ID-3", "test_pki_identity.py",
       "L5: the allow list guards only the files found: an initiator off the list asking "
       "for a missing file gets not_found and keeps its connection", _allow_after_open),
    _m("b13app-done-size-vs-announced", "part", "eke", "APP-PUT-5", "test_app_put.py",
       "L5: DONE.size compared with the announced size only: a put short of data is stored",
       _done_size_vs_announced),
    _m("b13app-name-check-first-64", "part", "eke", "APP-NAME-2", "test_app_names.py",
       "L5: the backslash, control and bidi checks run on the 64-character copy of the "
       "name made for the log", _name_check_first_64),
    # lens 6: half-rolled-back state
    _m("b13app-get-cwd-sticks", "state", "eke", "APP-2", "test_app_get.py",
       "L6: gets walk a per-connection directory cursor that only a successful open "
       "resets: after sub/missing, hello.txt is looked for in sub", _get_cwd_sticks),
    _m("b13app-refused-put-sha-sticks", "state", "pki", "APP-PUT-5",
       "test_app_put_sequence.py",
       "L6: a PUTF without sha256 inherits the sha256 of the connection's previous PUTF "
       "(refused or stored)", _refused_put_sha_sticks),
    _m("b13app-refusal-sticks", "state", "pki", "ERR-3", "test_app_refusals.py",
       "L6: a refusal is kept on the connection and repeated for every later request",
       _refusal_sticks),
    _m("b13app-pipelined-after-refusal-dropped", "state", "pki", "APP-2", "test_framing.py",
       "L6: the read buffer is reset after a refusal: a request pipelined behind the "
       "refused one is never answered", _pipelined_after_refusal_dropped),
)
