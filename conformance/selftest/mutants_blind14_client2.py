"""Blind red-team round 14 (client2): the sft-pki/1 initiator (`sft get/put`), planted
through the six lenses of round 14 (lenses14.md).

The list was written blind, from docs/SPEC.md and the reference's client, TLS, transfer,
share and CLI code only, before any case file or mutant module was opened; each idea was
then checked against the registry's names and descriptions. Copies found there were
replaced before the run: the CN read up to a NUL (p2-cn-up-to-nul), the get's name
percent-decoded (b14cl-request-name-unquoted), and, on the enrolment client, every idea
tried (2xx kept, key written first, bundle, retry unverified, host name relaxed by a
shared context): that client's registry covers them, so this module plants none there.

lens 1 (checks that never run):
    ext-loop-break (the extension checks loop `break`s at the first extension they do
    not judge: a certificate whose SubjectKeyIdentifier comes first is never judged),
    rsa-skips-ext-checks (the extension checks run for EC keys only),
    done-count-truthy (`size == announced == count` typed as `... and self.count`),
    algo-result-tuple (the algorithm check returns (ok, why), tested for truth)
lens 2 (per item, not in aggregate):
    disk-excess-per-write (DATA bounded per frame and per write, never the running total),
    put-tail-merged (a tail of at most 256 bytes rides in the last DATA frame: the frame
    limit taken for the DATA limit), data-limit-frame-limit (the same, receiving),
    cn-counted-per-rdn (one RDN holding a CN, however many CNs it holds)
lens 3 (shared mutable state): version-fallback-on-reset, alpn-dropped-on-retry,
    groups-unpinned-on-retry (the retry after a close before the handshake changes, or
    rebuilds, the context every later attempt shares)
lens 4 (checked form is not the used form): alias-as-pattern (the alias, checked as an
    alias, used as a regular expression), cn-ascii-ignore (the CN checked and compared
    after non-ASCII characters are dropped), out-realpath (the output resolved through
    a symbolic link before its existence is checked)
lens 5 (effects before authority): put-exists-renamed (a put refused `exists` is sent
    again as `NAME (1).EXT` and reported a success), final-hardlink-early (the final name
    is linked to the temporary as soon as RSFL arrives), bye-before-done (BYE_ goes once
    the announced bytes are in, before DONE is verified: no EROR is left to send)
lens 6 (trust carried over): crl-dropped-on-busy-retry (the retry's context has no CRL),
    cert-checks-skipped-on-retry (a retry reads the alias only), and after the blind
    run expiry-unchecked-on-retry (the retry turns the time check off); put-done-hash-reread
    (the put's DONE hashes the file as it is on disk at the end, not the bytes sent) was
    dropped after the run: it breaks no MUST — a file changed during the put gets a DONE
    its DATA do not match, the responder refuses it (APP-PUT-5) and the put is reported
    failed, which is as safe as the reference's digest of the bytes sent (that one lets
    the responder store a mixture of the old and the new file).

Blind measure (20 written, against the case files as they stood): 6 caught
(algo-result-tuple, bye-before-done, done-count-truthy, final-hardlink-early,
put-exists-renamed, put-tail-merged). After the round's case files
(test_client_pki_retry_checks.py, test_client_pki_cert_layouts.py,
test_client_pki_alias_forms.py, test_client_pki_data_bounds.py) all 19 kept are caught
(and expiry-unchecked-on-retry, added after);
out-realpath by test_client_lies.py once aimed there (blind it named another file).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _tls() -> Any:
    return _module("reference.pki.tls")


def _client() -> Any:
    return _module("reference.pki.client")


def _app() -> Any:
    return _module("reference.app")


def _transfer() -> Any:
    return _module("reference.transfer")


def _share() -> Any:
    return _module("reference.share")


def _x509() -> Any:
    return _module("cryptography.x509")


def _name_checks(cert: Any) -> str:
    """The alias checks of `check_peer_certificate` before the extensions."""
    tls = _tls()
    alias: str = tls._common_name(cert)
    if not tls.ALIAS_RE.fullmatch(alias):
        raise tls.CertificateRefused("the certificate's common name is not a valid alias")
    return alias


# --- lens 1 ---------------------------------------------------------------------------


def _ext_loop_break() -> None:
    tls = _tls()
    x509 = _x509()
    oid = _module("cryptography.x509.oid")

    def check_peer_certificate(der: bytes | None, *, as_server: bool) -> str:
        if der is None:
            raise tls.CertificateRefused("no certificate was presented")
        cert = tls._decoded(der)
        alias = _name_checks(cert)
        for cls in (x509.BasicConstraints, x509.ExtendedKeyUsage, x509.KeyUsage):
            try:
                cert.extensions.get_extension_for_class(cls)
            except x509.ExtensionNotFound:
                raise tls.CertificateRefused(
                    f"{alias}'s certificate lacks {cls.__name__}"
                ) from None
        wanted = (
            oid.ExtendedKeyUsageOID.CLIENT_AUTH
            if as_server
            else oid.ExtendedKeyUsageOID.SERVER_AUTH
        )
        for ext in cert.extensions:
            value = ext.value
            if isinstance(value, x509.BasicConstraints):
                if value.ca or not ext.critical:
                    raise tls.CertificateRefused(f"{alias}'s certificate is a CA certificate")
            elif isinstance(value, x509.ExtendedKeyUsage):
                if wanted not in value:
                    raise tls.CertificateRefused(f"{alias}'s certificate has the wrong purpose")
            elif isinstance(value, x509.KeyUsage):
                if not value.digital_signature:
                    raise tls.CertificateRefused(f"{alias}'s certificate cannot sign")
            else:
                break  # meant `continue`: an extension this check does not judge
        tls._check_algorithms(cert, alias)
        return alias

    tls.check_peer_certificate = check_peer_certificate


def _rsa_skips_ext_checks() -> None:
    tls = _tls()
    rsa = _module("cryptography.hazmat.primitives.asymmetric.rsa")
    original = tls.check_peer_certificate

    def check_peer_certificate(der: bytes | None, *, as_server: bool) -> str:
        if der is not None:
            cert = tls._decoded(der)
            if isinstance(cert.public_key(), rsa.RSAPublicKey):
                # The RSA path (added for older employees' keys) copies the name and
                # algorithm checks only; "OpenSSL checks the rest".
                alias = _name_checks(cert)
                tls._check_algorithms(cert, alias)
                return alias
        result: str = original(der, as_server=as_server)
        return result

    tls.check_peer_certificate = check_peer_certificate


def _done_count_truthy() -> None:
    _patch_source(
        _app()._Transfer,
        "check_done",
        (
            "done.size == self.announced == self.count and",
            "done.size == self.announced and self.count and",
        ),
    )


def _algo_result_tuple() -> None:
    tls = _tls()
    hashes = _module("cryptography.hazmat.primitives.hashes")
    ec = _module("cryptography.hazmat.primitives.asymmetric.ec")
    rsa = _module("cryptography.hazmat.primitives.asymmetric.rsa")

    def _check_algorithms(cert: Any, alias: str) -> tuple[bool, str]:
        if not isinstance(cert.signature_hash_algorithm, hashes.SHA256):
            return False, "not signed with SHA-256"
        key = cert.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            return key.key_size >= 2048, "RSA key below 2048 bits"
        if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
            return True, ""
        return False, "neither ECDSA P-256 nor RSA"

    tls._check_algorithms = _check_algorithms
    _patch_source(
        tls,
        "check_peer_certificate",
        (
            "    _check_algorithms(cert, alias)\n",
            "    if not _check_algorithms(cert, alias):  # (ok, why): a tuple, always true\n"
            '        raise CertificateRefused(f"{alias}\'s certificate algorithms are weak")\n',
        ),
    )


# --- lens 2 ---------------------------------------------------------------------------


def _disk_excess_per_write() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_next_event",
        (
            "if self._incoming.count + length > self._incoming.announced:",
            "if length > self._incoming.announced:",
        ),
    )
    _patch_source(
        _share().PartialFile,
        "write",
        ("if self.written + len(view) > self.limit:", "if len(view) > self.limit:"),
    )


def _put_tail_merged() -> None:
    transfer = _transfer()
    header = transfer.HEADER_SIZE
    buffer_size = transfer.BUFFER_SIZE
    _patch_source(
        _app().ApplicationConnection,
        "send_data_header",
        ("if not 1 <= n <= MAX_DATA_PAYLOAD:", "if not 1 <= n <= self.config.max_frame_payload:"),
    )

    def send_file(self: Any, reader: Callable[[memoryview], int], size: int, progress: Any) -> None:
        views = [memoryview(bytearray(header + buffer_size + 256)) for _ in range(2)]
        turn = 0
        sent = 0
        while sent < size:
            view = views[turn]
            turn ^= 1
            chunk = min(buffer_size, size - sent)
            if 0 < size - sent - chunk <= 256:
                chunk = size - sent  # no runt frame at the end: it fits the frame limit
            n = transfer._read_exactly(reader, view[header : header + chunk])
            if n == 0:
                raise OSError("the file shrank while it was being sent")
            view[:header] = self.conn.send_data_header(view[header : header + n])
            self.stream.sendall(view[: header + n])
            sent += n
            if progress is not None:
                progress(sent, size)
        self.send(self.conn.outgoing_done())
        self.release_buffers()

    transfer._Channel.send_file = send_file


def _data_limit_frame_limit() -> None:
    app = _app()
    errors = _module("reference.errors")

    def _check_header(frame_type: bytes, length: int) -> tuple[bytes, int]:
        if frame_type not in app._KNOWN_TYPES:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.UNEXPECTED_FRAME, f"unknown frame type {frame_type!r}"
            )
        if frame_type != app.T_DATA and length > app.MAX_CONTROL_PAYLOAD:
            raise errors.RemoteProtocolError(errors.ErrorCode.FRAME_TOO_LARGE, "control payload")
        # The DATA bound is the frame limit (1 MiB + 256), not FRM-13's 1 MiB.
        if frame_type == app.T_DATA and not 1 <= length <= app.DEFAULT_MAX_PAYLOAD:
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "DATA payload")
        return frame_type, length

    app.ApplicationConnection._check_header = staticmethod(_check_header)


def _cn_counted_per_rdn() -> None:
    tls = _tls()
    oid = _module("cryptography.x509.oid")

    def _common_name(cert: Any) -> str:
        holding = [
            rdn for rdn in cert.subject.rdns if rdn.get_attributes_for_oid(oid.NameOID.COMMON_NAME)
        ]
        if len(holding) != 1:  # counted per RDN, not per attribute
            raise tls.CertificateRefused("the certificate has no single common name")
        value = holding[0].get_attributes_for_oid(oid.NameOID.COMMON_NAME)[-1].value
        if not isinstance(value, str):
            raise tls.CertificateRefused("the certificate has no single common name")
        return value

    tls._common_name = _common_name


# --- lens 3 ---------------------------------------------------------------------------


def _on_retry(statement: str) -> None:
    """Runs `statement` (in `PkiSession._connect`, where `context` is the shared context)
    before each retry after a refusal before the handshake."""
    client = _client()
    _patch_source(
        client.PkiSession,
        "__init__",
        (
            "self.config = config or ClientConfig()",
            "self.config = config or ClientConfig()\n    self._b14 = (identity, crl)",
        ),
    )
    _patch_source(
        client.PkiSession,
        "_connect",
        ("time.sleep(wait)", f"{statement}\n            time.sleep(wait)"),
    )


def _version_fallback_on_reset() -> None:
    # A middlebox that resets TLS 1.3 hellos: retry allowing TLS 1.2 (and keep it so).
    _on_retry("context.minimum_version = ssl.TLSVersion.TLSv1_2")


def _alpn_dropped_on_retry() -> None:
    # A responder closing during the handshake may not know our ALPN: retry without it.
    _on_retry("context.set_alpn_protocols([])")


def _plain_client_context(identity: Any, crl: bytes | None) -> ssl.SSLContext:
    """An initiator context built without the TLS 1.3 pinning of PKI-TLS-9."""
    tls = _tls()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.options |= ssl.OP_NO_TICKET
    ctx.load_cert_chain(identity.cert, identity.key)
    tls._load_trust(ctx, identity.root.read_bytes(), crl)
    ctx.set_alpn_protocols([tls.ALPN])
    return ctx


def _groups_unpinned_on_retry() -> None:
    client = _client()
    client._b14_plain_context = _plain_client_context
    _on_retry("context = _b14_plain_context(*self._b14)  # a fresh context for the retry")


# --- lens 4 ---------------------------------------------------------------------------


def _alias_as_pattern() -> None:
    _patch_source(
        _client().PkiSession,
        "_connect_once",
        ("if name != self.alias:", "if not re.fullmatch(self.alias, name):"),
    )


def _cn_ascii_ignore() -> None:
    tls = _tls()
    original = tls._common_name

    def _common_name(cert: Any) -> str:
        name: str = original(cert)
        return name.encode("ascii", "ignore").decode("ascii")  # "sanitised" for logs

    tls._common_name = _common_name


def _out_realpath() -> None:
    _patch_source(
        _module("reference.cli.pki"),
        "_get",
        (
            "    if destination.is_dir():\n",
            "    destination = destination.resolve()  # an absolute, canonical path\n"
            "    if destination.is_dir():\n",
        ),
    )


# --- lens 5 ---------------------------------------------------------------------------


def _put_exists_renamed() -> None:
    client = _client()
    transfer = _transfer()
    errors = _module("reference.errors")

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        wanted = name or source.name
        try:
            try:
                stored: str = self._initiator.put(source, name, progress=progress)
                return stored
            except transfer.TransferRefused as exc:
                if exc.code is not errors.ErrorCode.EXISTS:
                    raise
                head, slash, base = wanted.rpartition("/")
                stem, dot, ext = base.rpartition(".")
                other = f"{stem} (1).{ext}" if dot and stem else f"{base} (1)"
                again: str = self._initiator.put(source, head + slash + other, progress=progress)
                return again
        except (
            transfer.TransferRefused,
            transfer.TransferFailed,
            errors.ProtocolError,
            OSError,
            ValueError,
        ) as exc:
            raise self._translate(exc, f"put {source.name}") from None

    client.PkiSession.put = put


def _final_hardlink_early() -> None:
    transfer = _transfer()
    share = _share()
    base = share.PartialFile

    class LinkedEarly(base):  # type: ignore[misc, valid-type]
        """The final name is a second link to the temporary from the start: the user sees
        the file grow where it will be (and an abort unlinks both)."""

        @classmethod
        def create(cls, destination: Path, limit: int) -> Any:
            partial = super().create(destination, limit)
            try:
                os.link(
                    partial.temp_name,
                    partial.final_name,
                    src_dir_fd=partial._dir_fd,
                    dst_dir_fd=partial._dir_fd,
                    follow_symlinks=False,
                )
            except BaseException:
                partial.abort()
                raise
            partial._b14_linked = True
            return partial

        def commit(self, *, overwrite: bool = False) -> None:
            if not getattr(self, "_b14_linked", False):
                super().commit(overwrite=overwrite)
                return
            file: Any = getattr(self, "_file")  # noqa: B009
            if file is None:
                raise ValueError("the partial file is closed")
            os.fsync(file.fileno())
            file.close()
            self._file = None
            os.unlink(self.temp_name, dir_fd=self._dir_fd)
            self._done = True
            self._untrack()
            os.fsync(self._dir_fd)
            self._release_dir()

        def abort(self) -> None:
            if getattr(self, "_b14_linked", False) and not self._done and self._dir_fd >= 0:
                try:
                    os.unlink(self.final_name, dir_fd=self._dir_fd)
                except FileNotFoundError:
                    pass
            super().abort()

    transfer.PartialFile = LinkedEarly


def _bye_before_done() -> None:
    transfer = _transfer()
    messages = _module("reference.messages")
    bye_bytes = messages.encode_message(messages.Bye())

    def receive_file(self: Any, sink: Any, size: int, progress: Any) -> Any:
        received = 0
        while True:
            if received >= size and not getattr(self, "_b14_bye", False):
                # Every announced byte is in: say goodbye while DONE arrives.
                self.stream.sendall(bye_bytes)
                self._b14_bye = True
            event = self.next_event()
            if isinstance(event, messages.Data):
                sink.write(event.data)
                received += len(event.data)
                if progress is not None:
                    progress(received, size)
            elif isinstance(event, messages.Done):
                self.release_buffers()
                return event
            elif isinstance(event, messages.ErrorFrame):
                raise transfer.TransferFailed(event.code, event.message, remote=True)
            else:
                raise _module("reference.errors").RemoteProtocolError(
                    _module("reference.errors").ErrorCode.UNEXPECTED_FRAME, f"unexpected {event!r}"
                )

    original_fail = transfer._Channel.fail

    def fail(self: Any, exc: Any) -> None:
        if getattr(self, "_b14_bye", False):
            return  # BYE_ is out: the connection is ending anyway
        original_fail(self, exc)

    def bye(self: Any) -> None:
        try:
            if not getattr(self.channel, "_b14_bye", False):
                self.channel.send(messages.Bye())
            self.channel.next_event()
        except (OSError, _module("reference.errors").ProtocolError):
            pass

    transfer._Channel.receive_file = receive_file
    transfer._Channel.fail = fail
    transfer.Initiator.bye = bye


# --- lens 6 ---------------------------------------------------------------------------


def _no_crl_context(identity: Any) -> ssl.SSLContext:
    """The initiator's context as the retry rebuilds it: the CRL is not at hand there."""
    tls = _tls()
    ctx: ssl.SSLContext = tls._base_context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_cert_chain(identity.cert, identity.key)
    tls._load_trust(ctx, identity.root.read_bytes(), None)
    ctx.set_alpn_protocols([tls.ALPN])
    return ctx


def _crl_dropped_on_busy_retry() -> None:
    client = _client()
    client._b14_no_crl_context = _no_crl_context
    _on_retry("context = _b14_no_crl_context(self._b14[0])  # rebuilt for the retry")


def _cert_checks_skipped_on_retry() -> None:
    client = _client()
    tls = _tls()

    def alias_only(sock: ssl.SSLSocket) -> str:
        """The retry path (busy responders) reads the alias and nothing else."""
        der = sock.getpeercert(binary_form=True)
        if der is None:
            raise tls.CertificateRefused("no certificate was presented")
        result: str = tls._common_name(tls._decoded(der))
        return result

    client._b14_alias_only = alias_only
    _patch_source(
        client.PkiSession,
        "_connect_once",
        (
            "name = peer_alias(sock, as_server=False)",
            "name = _b14_alias_only(sock) if reached else peer_alias(sock, as_server=False)",
        ),
    )


def _expiry_unchecked_on_retry() -> None:
    # (After the blind run.) A responder that closed before TLS may be restarting with its
    # clock off: the retry stops checking validity dates (X509_V_FLAG_NO_CHECK_TIME).
    _on_retry("context.verify_flags |= 0x200000")


# --- the mutants ------------------------------------------------------------------------

_CERTS = "test_pki_certs.py"
_IDENT = "test_pki_identity.py"
_XFER = "test_pki_initiator_transfer.py"
_PUT = "test_client_put.py"
_RETRY = "test_client_pki_retry_checks.py"
_LAYOUT = "test_client_pki_cert_layouts.py"
_ALIAS = "test_client_pki_alias_forms.py"
_BOUNDS = "test_client_pki_data_bounds.py"


def _m(
    name: str, lens: str, requirement: str, test_file: str, description: str, apply: Any
) -> Mutant:
    return Mutant(
        name=f"b14cl2-{name}",
        group=f"blind14-client2-{lens}",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "ext-loop-break",
        "neverrun",
        "PKI-CERT-6",
        _LAYOUT,
        "L1: the extension checks loop over the certificate's extensions and `break` at the "
        "first one they do not judge: a responder certificate whose SubjectKeyIdentifier "
        "comes first is never judged (CA:TRUE passes)",
        _ext_loop_break,
    ),
    _m(
        "rsa-skips-ext-checks",
        "neverrun",
        "PKI-CERT-6",
        _LAYOUT,
        "L1: the extension checks run for EC keys only: an RSA responder certificate with "
        "CA:TRUE (or no serverAuth, no digitalSignature) passes",
        _rsa_skips_ext_checks,
    ),
    _m(
        "done-count-truthy",
        "neverrun",
        "APP-GET-3",
        _XFER,
        "L1: `size == announced == count` typed as `size == announced and count`: fewer "
        "bytes than RSFL announced pass when DONE repeats the announced size",
        _done_count_truthy,
    ),
    _m(
        "algo-result-tuple",
        "neverrun",
        "PKI-CERT-9",
        _CERTS,
        "L1: the algorithm check returns (ok, why) and is tested for truth: SHA-384, P-384 "
        "and RSA-1024 responder certificates pass",
        _algo_result_tuple,
    ),
    _m(
        "disk-excess-per-write",
        "aggregate",
        "APP-STORE-4",
        _BOUNDS,
        "L2: DATA bounded per frame and per write by the announced size, never by the "
        "running total: excess bytes reach the disk and are refused only at DONE",
        _disk_excess_per_write,
    ),
    _m(
        "put-tail-merged",
        "aggregate",
        "FRM-14",
        _PUT,
        "L2: a put's last 1..256 bytes ride in the previous DATA frame (within the frame "
        "limit): a DATA payload above 1 MiB",
        _put_tail_merged,
    ),
    _m(
        "data-limit-frame-limit",
        "aggregate",
        "FRM-13",
        _BOUNDS,
        "L2: a received DATA payload is bounded by the frame limit (1 MiB + 256), not by "
        "1 MiB: a DATA of 1 MiB + 1 is accepted",
        _data_limit_frame_limit,
    ),
    _m(
        "cn-counted-per-rdn",
        "aggregate",
        "PKI-ID-4",
        _ALIAS,
        "L2: CNs counted per RDN: one multi-valued RDN holding two CNs passes, its last "
        "CN taken for the alias",
        _cn_counted_per_rdn,
    ),
    _m(
        "version-fallback-on-reset",
        "shared",
        "PKI-TLS-1",
        _RETRY,
        "L3: a connection closed before the handshake is retried with TLS 1.2 allowed on "
        "the shared context (a version fallback)",
        _version_fallback_on_reset,
    ),
    _m(
        "alpn-dropped-on-retry",
        "shared",
        "PKI-TLS-2",
        _RETRY,
        "L3: a connection closed before the handshake is retried without ALPN on the "
        "shared context",
        _alpn_dropped_on_retry,
    ),
    _m(
        "groups-unpinned-on-retry",
        "shared",
        "PKI-TLS-9",
        _RETRY,
        "L3: the retry after a close before the handshake builds a fresh context without "
        "the PKI-TLS-9 pinning (x448, ffdhe*, P-521 offered)",
        _groups_unpinned_on_retry,
    ),
    _m(
        "alias-as-pattern",
        "forms",
        "PKI-ID-4",
        _ALIAS,
        "L4: the alias is checked as an alias and used as a regular expression: a.b "
        "matches a responder whose CN is axb",
        _alias_as_pattern,
    ),
    _m(
        "cn-ascii-ignore",
        "forms",
        "PKI-ID-4",
        _ALIAS,
        "L4: the CN is checked and compared after its non-ASCII characters are dropped: "
        "ali\u200bce (zero-width space) is alice",
        _cn_ascii_ignore,
    ),
    _m(
        "out-realpath",
        "forms",
        "APP-GET-6",
        "test_client_lies.py",
        "L4: the output path is resolved (through a symbolic link) before its existence is "
        "checked: a dangling link's target is created",
        _out_realpath,
    ),
    _m(
        "put-exists-renamed",
        "effects",
        "APP-PUT-10",
        _PUT,
        "L5: a put refused `exists` is offered again as `NAME (1).EXT` and reported a success",
        _put_exists_renamed,
    ),
    _m(
        "final-hardlink-early",
        "effects",
        "APP-STORE-5",
        _XFER,
        "L5: the final name is linked to the temporary as soon as RSFL arrives (unlinked "
        "on failure): a client killed mid-get leaves a partial file under it",
        _final_hardlink_early,
    ),
    _m(
        "bye-before-done",
        "effects",
        "APP-GET-3",
        _XFER,
        "L5: BYE_ is sent once the announced bytes are in, before DONE is verified: a "
        "wrong DONE then gets no EROR integrity_failed",
        _bye_before_done,
    ),
    _m(
        "crl-dropped-on-busy-retry",
        "carried",
        "PKI-CERT-7",
        _RETRY,
        "L6: the retry after a close before the handshake rebuilds the context without the "
        "CRL: a revoked responder on the retry passes",
        _crl_dropped_on_busy_retry,
    ),
    _m(
        "cert-checks-skipped-on-retry",
        "carried",
        "PKI-CERT-6",
        _RETRY,
        "L6: a retry after a close before the handshake reads the responder's alias only: "
        "the PKI-CERT-1/5/6/9 checks are skipped (CA:TRUE passes)",
        _cert_checks_skipped_on_retry,
    ),
    _m(
        "expiry-unchecked-on-retry",
        "carried",
        "PKI-CERT-3",
        _RETRY,
        "L6 (after the blind run): the retry after a close before the handshake turns "
        "OpenSSL's time check off on the shared context: an expired responder passes",
        _expiry_unchecked_on_retry,
    ),
)
