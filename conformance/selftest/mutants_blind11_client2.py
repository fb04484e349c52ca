"""Blind red-team round 11 (client2): the sft-pki/1 INITIATOR and the ENROLMENT client.

Written blind (from docs/SPEC.md and the reference's client code only) by helper B43,
through the six lenses of round 11 (briefs/s11/lenses11.md). Each mutant plants one
implementer's mistake in the reference's initiator (`sft get`, `sft put`) or its
enrolment client (`sft enroll`). Thirty were listed first; eighteen of them turned out,
once the list was written, to repeat registered mutants (same mistake or same effect)
and were replaced by the ten marked (r) below.

- lens 1, caches and shortcuts: empty-get-done-unchecked, enroll-write-then-check
- lens 2, time and clocks: peer-skew-hour (r), fatal-close-idle-wait,
  enroll-ca-expiry-grace
- lens 3, I/O granularity: rest-after-data-dropped, put-short-writes,
  eof-at-size-rsfl-sha, control-frame-one-read (r)
- lens 4, lenient parsing: enroll-last-pem-block, enroll-pwf-splitlines, cn-stripped (r),
  size-float-integral (r)
- lens 5, role asymmetry: own-alias-accepted, no-eror-on-get-mismatch,
  get-rsfl-put-shape (r)
- lens 6, fallbacks and downgrades: crl-retry-without, tls-downgrade-dance (r),
  enroll-retry-trimmed (r), enroll-alt-member (r), no-cn-san-fallback (r)

Blind measure (before any case change, each against the file named then): 9 of 22
detected. One blind mutant was dropped afterwards as not observable without a case that
could FAIL a correct client: `small-get-in-memory` (gets up to 64 KiB kept in memory and
written straight to the final name, O_EXCL, once DONE checks out) differs from a
temporary file only in a window no black box sees (a client may create its temporary
lazily). Of the 12 other survivors, one (enroll-alt-member) was caught by an existing case
in another file (test_enroll_answers.py, `{"cert": PEM}`); the others by the round's
cases: test_pki_initiator_transfer.py (an empty file's DONE, sizes with a fraction or an
exponent), test_client_pki_cert_variants.py (minutes out of validity, a CN padded with a
space, no CN but a subjectAltName, the initiator's own alias), test_client_pki_close_timing.py
(the TCP close after the initiator's own fatal EROR), test_client_pki_hello_retry.py (every
ClientHello, retries after an alert or a close included) and test_enroll_client.py (two PEM
blocks, a key beside a certificate not its own after a refused answer, the password of a
retry after 401).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_NO_CHECK_TIME = 0x200000  # OpenSSL's X509_V_FLAG_NO_CHECK_TIME


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(owner, attr, *edits)


def _client() -> Any:
    return _module("reference.pki.client")


def _tls() -> Any:
    return _module("reference.pki.tls")


def _enroll() -> Any:
    return _module("reference.pki.enroll")


def _app() -> Any:
    return _module("reference.app")


def _remember_identity() -> None:
    """PkiSession keeps its identity and our own alias (the mutants that need them)."""
    client = _client()
    original = client.PkiSession.__init__
    if getattr(original, "_b11_wrapped", False):
        return

    def __init__(self: Any, identity: Any, target: str, config: Any = None, **kw: Any) -> None:
        self._b11_identity = identity
        self._b11_own = identity.alias()
        original(self, identity, target, config, **kw)

    __init__._b11_wrapped = True  # type: ignore[attr-defined]
    client.PkiSession.__init__ = __init__


# --- lens 1: caches and shortcuts ---------------------------------------------------


def _empty_get_done_unchecked() -> None:
    # "An empty file has nothing to hash": an announced size of 0 skips the DONE check.
    _patch(
        _app()._Transfer,
        "check_done",
        (
            "sha = self.digest.hexdigest()",
            "if self.announced == 0:\n        return\n    sha = self.digest.hexdigest()",
        ),
    )


def _enroll_write_then_check() -> None:
    # The identity is written as soon as the answer parses ("never lose a certificate the
    # CA issued"), then checked: a certificate for another key is refused (exit 1), but
    # stays on disk beside the new key.
    _patch(
        _enroll(),
        "enroll",
        (
            "    if cert.public_key() != key.public_key():",
            "    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)\n"
            "    write_private(Identity(out_dir).key, private_key_pem(key))\n"
            "    Identity(out_dir).cert.write_bytes(cert_pem)\n"
            "    if cert.public_key() != key.public_key():",
        ),
    )


class _MemorySink:
    """A small get kept in memory until DONE (the mutant's fast path)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()

    def write(self, data: Any) -> None:
        self.data += bytes(data)


def _small_get_in_memory() -> None:
    # Gets up to 64 KiB are buffered in memory and written straight to the final name
    # once DONE checks out ("a temporary file costs two syscalls and an fsync"): no
    # `.sft-partial-` file, no atomic rename.
    transfer = _module("reference.transfer")
    transfer._B11MemorySink = _MemorySink
    _patch(
        transfer.Initiator,
        "get",
        (
            "        with PartialFile.create(destination, response.size) as partial:",
            "        if response.size <= 65536:\n"
            "            sink = _B11MemorySink(response.size)\n"
            "            done = self.channel.receive_file(sink, response.size, progress)\n"
            '            with open(destination, "wb" if overwrite else "xb") as out:\n'
            "                out.write(sink.data)\n"
            "            return done\n"
            "        with PartialFile.create(destination, response.size) as partial:",
        ),
    )


# --- lens 2: time and clocks ----------------------------------------------------------


def _within(cert_der: bytes, slack: dt.timedelta) -> bool:
    from cryptography import x509

    cert = x509.load_der_x509_certificate(cert_der)
    now = dt.datetime.now(dt.UTC)
    return cert.not_valid_before_utc - slack <= now <= cert.not_valid_after_utc + slack


def _peer_skew_hour() -> None:
    # Clock skew between laptops: the responder's validity is checked in our own code
    # with an hour of tolerance on either side (OpenSSL's time check switched off).
    client, tls = _client(), _tls()
    original = tls.client_context

    def client_context(identity: Any, crl_der: bytes) -> Any:
        ctx = original(identity, crl_der)
        ctx.verify_flags = ctx.verify_flags | _NO_CHECK_TIME
        return ctx

    def check(sock: Any) -> None:
        if not _within(sock.getpeercert(binary_form=True), dt.timedelta(hours=1)):
            raise tls.CertificateRefused("the responder's certificate is out of its validity")

    client.client_context = client_context
    client._b11_validity = check
    _patch(
        client.PkiSession,
        "_connect_once",
        (
            "        name = peer_alias(sock, as_server=False)",
            "        _b11_validity(sock)\n        name = peer_alias(sock, as_server=False)",
        ),
    )


def _fatal_close_idle_wait() -> None:
    # The close waits for the responder's close_notify as long as any read may wait (the
    # idle timeout), not a moment: after its fatal EROR the initiator keeps the TCP
    # connection until the peer closes or 60 s pass.
    _patch(
        _client().PkiSession,
        "close",
        ("close_tls(self._sock)", "close_tls(self._sock, self.config.idle_timeout)"),
    )


def _enroll_ca_expiry_grace() -> None:
    # A lab CA's certificate often lapses: a day of grace on either side of its validity.
    enroll, tls = _enroll(), _tls()
    original = tls.https_client_context

    def https_client_context(root_pem: bytes) -> Any:
        ctx = original(root_pem)
        ctx.verify_flags = ctx.verify_flags | _NO_CHECK_TIME
        return ctx

    def check(sock: Any) -> None:
        if not _within(sock.getpeercert(binary_form=True), dt.timedelta(days=1)):
            raise enroll.EnrollError("the CA's certificate is out of its validity")

    enroll.https_client_context = https_client_context
    enroll._b11_ca_validity = check
    _patch(
        enroll.CaClient,
        "request",
        (
            "        payload = json.dumps(body)",
            "        conn.connect()\n"
            "        _b11_ca_validity(conn.sock)\n"
            "        payload = json.dumps(body)",
        ),
    )


# --- lens 3: I/O granularity ----------------------------------------------------------


def _rest_after_data_dropped() -> None:
    # One read, one frame: what follows the end of a DATA payload in the same read (the
    # DONE a responder wrote with its last DATA) is dropped.
    _patch(
        _app().ApplicationConnection,
        "_next_event",
        (
            "        del buf[:n]\n        return self._deliver(piece)",
            "        del buf[:n]\n"
            "        if n == self._payload_left:\n"
            "            buf.clear()\n"
            "        return self._deliver(piece)",
        ),
    )


def _put_short_writes() -> None:
    # write() on a TLS stream writes one record (16 KiB) and returns the count, which the
    # put's DATA loop ignores: a larger DATA frame goes out cut short.
    _patch(
        _module("reference.transfer")._Channel,
        "send_file",
        (
            "send_progressing(self.stream, view[: HEADER_SIZE + n])",
            "self.stream.sendall(view[: min(HEADER_SIZE + n, 16384)])",
        ),
    )


def _eof_at_size_rsfl_sha() -> None:
    # "All the bytes are in and they match RSFL's SHA-256: DONE is a formality" - a close
    # right after the last DATA byte completes the get when RSFL announced a digest.
    _patch(
        _app().ApplicationConnection,
        "_starved",
        (
            "    if self.state not in _CLEAN_EOF:",
            "    t = self._incoming\n"
            "    if (\n"
            "        self.state is I.RECEIVING\n"
            "        and t is not None\n"
            "        and t.count == t.announced\n"
            "        and t.expected_sha256 is not None\n"
            "        and t.digest.hexdigest() == t.expected_sha256\n"
            "    ):\n"
            "        self._incoming = None\n"
            "        self.state = I.IDLE\n"
            "        return Done(t.count, t.expected_sha256)\n"
            "    if self.state not in _CLEAN_EOF:",
        ),
    )


def _control_frame_one_read() -> None:
    # A control frame is expected whole in one read (header and JSON): a read that ends
    # inside one is taken as a broken stream.
    _patch(
        _module("reference.transfer")._Channel,
        "next_event",
        (
            "        n = self.stream.recv_into(self._small)",
            "        if conn._buffer or conn._header is not None:\n"
            "            raise RemoteProtocolError(\n"
            '                ErrorCode.BAD_FRAME, "incomplete frame in one read"\n'
            "            )\n"
            "        n = self.stream.recv_into(self._small)",
        ),
    )


# --- lens 4: lenient parsing ----------------------------------------------------------


def _enroll_last_pem_block() -> None:
    # "The CA may send its chain": of several PEM blocks the last is taken for ours, and
    # the answer is stored as received.
    _patch(
        _enroll(),
        "enroll",
        (
            "cert = x509.load_pem_x509_certificate(cert_pem)",
            "cert = x509.load_pem_x509_certificates(cert_pem)[-1]",
        ),
        (
            "(identity.cert, cert.public_bytes(serialization.Encoding.PEM)),",
            "(identity.cert, cert_pem),",
        ),
    )


def _enroll_pwf_splitlines() -> None:
    # The first line by str.splitlines(), which also splits at U+2028, U+0085, FF, VT
    # and a lone CR; a second line is still refused.
    _patch(
        _module("reference.cli.options"),
        "read_password_file",
        (
            '    password = text[:-2] if text.endswith("\\r\\n") else text.removesuffix("\\n")\n'
            '    if "\\r" in password or "\\n" in password:',
            "    lines = text.splitlines()\n"
            '    password = lines[0] if lines else ""\n'
            "    if len(lines) > 1:",
        ),
    )


def _cn_stripped() -> None:
    # CNs padded with spaces by some CAs: the responder's CN is stripped before the checks.
    _patch(
        _tls(),
        "check_peer_certificate",
        ("alias = _common_name(cert)", "alias = _common_name(cert).strip()"),
    )


def _size_float_integral() -> None:
    # Numbers as a JavaScript reader sees them: 5.0 and 5e0 are the integer 5.
    frames = _module("reference.frames")

    def number(text: str) -> Any:
        value = float(text)
        return int(value) if value.is_integer() else value

    frames._b11_number = number
    _patch(
        frames,
        "loads_control",
        (
            "parse_constant=_reject_constant",
            "parse_constant=_reject_constant, parse_float=_b11_number",
        ),
    )
    messages = _module("reference.messages")
    if hasattr(messages, "loads_control"):
        messages.loads_control = frames.loads_control


# --- lens 5: role asymmetry -----------------------------------------------------------


def _own_alias_accepted() -> None:
    # Copied from a loop-back test set-up: a responder holding our own certificate (a
    # peer talking to itself) passes the alias check too.
    _remember_identity()
    _patch(
        _client().PkiSession,
        "_connect_once",
        ("if name != self.alias:", "if name not in (self.alias, self._b11_own):"),
    )


def _no_eror_on_get_mismatch() -> None:
    # The responder's put path tells the sender; the initiator's copy just hangs up on a
    # responder whose data fails the check (close_notify, no EROR integrity_failed).
    _patch(
        _module("reference.transfer")._Channel,
        "fail",
        (
            "if isinstance(exc, TruncatedStream):",
            "if isinstance(exc, TruncatedStream) or exc.code is ErrorCode.INTEGRITY_FAILED:",
        ),
    )


def _get_rsfl_put_shape() -> None:
    # One RSFL structure for both answers, Go-style zero values: a get answered with the
    # put's `{"accept": true, "name": ...}` is a file of size 0.
    app, messages = _app(), _module("reference.messages")
    original = app.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        try:
            return original(frame, rsfl_for_put=rsfl_for_put)
        except messages.RemoteProtocolError:
            if frame.type != messages.T_RSFL or rsfl_for_put:
                raise
            obj = _module("reference.frames").loads_control(frame.payload)
            if not isinstance(obj.get("name"), str) or "size" in obj:
                raise
            return messages.FileResponse(obj["name"], 0, None)

    app.decode_message = decode_message


# --- lens 6: fallbacks and downgrades ------------------------------------------------


def _crl_retry_without() -> None:
    # "A stale or broken CRL must not lock the user out": a handshake that fails on the
    # CRL (revoked, CRL expired, no CRL) is tried once more without it.
    _remember_identity()
    client, tls = _client(), _tls()
    original = client.PkiSession._connect_once

    def _connect_once(self: Any, context: Any, host: str, port: int, *, reached: bool) -> Any:
        try:
            return original(self, context, host, port, reached=reached)
        except client.PkiClientError as exc:
            text = str(exc)
            if "revoked" not in text and "CRL" not in text:
                raise
            plain = tls.client_context(self._b11_identity, None)
            return original(self, plain, host, port, reached=reached)

    client.PkiSession._connect_once = _connect_once


def _tls_downgrade_dance() -> None:
    # A responder that refuses our ClientHello's parameters (handshake_failure) is tried
    # again with the TLS library's defaults "for compatibility": its groups include
    # ffdhe*, x448 and secp521r1.
    _remember_identity()
    client, tls = _client(), _tls()
    ssl = _module("ssl")
    original = client.PkiSession._connect_once

    def compat_context(identity: Any) -> Any:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.options |= ssl.OP_NO_TICKET
        ctx.load_cert_chain(identity.cert, identity.key)
        crl = client.load_crl(identity, client.ClientConfig())
        tls._load_trust(ctx, identity.root.read_bytes(), crl)
        ctx.set_alpn_protocols([tls.ALPN])
        return ctx

    def _connect_once(self: Any, context: Any, host: str, port: int, *, reached: bool) -> Any:
        try:
            return original(self, context, host, port, reached=reached)
        except client.PkiClientError as exc:
            text = str(exc).upper().replace(" ", "_")
            if "HANDSHAKE_FAILURE" not in text and "INSUFFICIENT_SECURITY" not in text:
                raise
            return original(self, compat_context(self._b11_identity), host, port, reached=reached)

    client.PkiSession._connect_once = _connect_once


def _enroll_retry_trimmed() -> None:
    # A refused password is tried once more without its surrounding white space ("a
    # stray space pasted into the file").
    _patch(
        _enroll(),
        "enroll",
        (
            "    if status == 503:",
            "    if status == 401 and password.strip() and password.strip() != password:\n"
            '        body["password"] = password.strip()\n'
            '        status, headers, data = client.request("POST", "/v1/enroll", body)\n'
            "    if status == 503:",
        ),
    )


def _enroll_alt_member() -> None:
    # Compatible with other CAs' answers: `cert` or `crt` when `certificate` is missing.
    _patch(
        _enroll(),
        "enroll",
        (
            'cert_pem = json.loads(data)["certificate"].encode()',
            "answer = json.loads(data)\n"
            "        cert_pem = (\n"
            '            answer.get("certificate") or answer.get("cert") or answer.get("crt")\n'
            "        ).encode()",
        ),
    )


def _no_cn_san_fallback() -> None:
    # A subject without CN: the first DNS subjectAltName names the peer instead.
    _patch(
        _tls(),
        "_common_name",
        (
            "    if len(names) != 1",
            "    if not names:\n"
            "        try:\n"
            "            san = cert.extensions.get_extension_for_class(\n"
            "                x509.SubjectAlternativeName\n"
            "            ).value\n"
            "            dns = san.get_values_for_type(x509.DNSName)\n"
            "        except x509.ExtensionNotFound:\n"
            "            dns = []\n"
            "        if dns:\n"
            "            return dns[0]\n"
            "    if len(names) != 1",
        ),
    )


def _m(name: str, req: str, test: str, desc: str, apply: Any, **kw: Any) -> Mutant:
    return Mutant(
        name=f"b11cl2-{name}",
        group="blind11-client2",
        profile="pki",
        requirement=req,
        test_file=test,
        description=desc,
        apply=apply,
        client=True,
        **kw,
    )


_TRANSFER = "test_pki_initiator_transfer.py"
_ENROLL = "test_enroll_client.py"

MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "empty-get-done-unchecked",
        "APP-GET-3",
        _TRANSFER,
        "a get announced with size 0 takes any DONE (nothing to hash)",
        _empty_get_done_unchecked,
    ),
    _m(
        "enroll-write-then-check",
        "CA-ENR-12",
        _ENROLL,
        "the enrolment client writes key and certificate before checking the certificate's "
        "key: refused (exit 1), a certificate for another key stays beside the new key",
        _enroll_write_then_check,
        enroll=True,
    ),
    # lens 2
    _m(
        "peer-skew-hour",
        "PKI-CERT-3",
        "test_client_pki_cert_variants.py",
        "the initiator tolerates an hour of clock skew on the responder's validity",
        _peer_skew_hour,
    ),
    _m(
        "fatal-close-idle-wait",
        "ERR-3",
        "test_client_pki_close_timing.py",
        "after its fatal EROR the initiator waits for the responder's close_notify up to "
        "its idle timeout before closing",
        _fatal_close_idle_wait,
    ),
    _m(
        "enroll-ca-expiry-grace",
        "PKI-CERT-3",
        _ENROLL,
        "the enrolment client gives the CA's certificate a day of grace around its validity",
        _enroll_ca_expiry_grace,
        enroll=True,
    ),
    # lens 3
    _m(
        "rest-after-data-dropped",
        "FRM-4",
        _TRANSFER,
        "bytes read after the end of a DATA payload in the same read are dropped (a DONE "
        "sent in the last DATA's record is lost)",
        _rest_after_data_dropped,
    ),
    _m(
        "put-short-writes",
        "APP-PUT-4",
        "test_client_put.py",
        "the put writes one 16 KiB record per DATA frame and ignores the short count",
        _put_short_writes,
    ),
    _m(
        "eof-at-size-rsfl-sha",
        "APP-GET-5",
        _TRANSFER,
        "a close after exactly size bytes completes the get when they match RSFL.sha256",
        _eof_at_size_rsfl_sha,
    ),
    _m(
        "control-frame-one-read",
        "FRM-4",
        _TRANSFER,
        "a control frame must arrive whole in one read: one split across reads is refused",
        _control_frame_one_read,
    ),
    # lens 4
    _m(
        "enroll-last-pem-block",
        "CA-ENR-12",
        _ENROLL,
        "of several PEM blocks in the answer the last is checked and all are stored",
        _enroll_last_pem_block,
        enroll=True,
    ),
    _m(
        "enroll-pwf-splitlines",
        "PWF-1",
        _ENROLL,
        "the password file's first line by str.splitlines() (U+2028, NEL, FF, VT, lone CR)",
        _enroll_pwf_splitlines,
        enroll=True,
    ),
    _m(
        "cn-stripped",
        "PKI-ID-4",
        "test_client_pki_cert_variants.py",
        "the responder's CN is stripped of white space before the alias checks",
        _cn_stripped,
    ),
    _m(
        "size-float-integral",
        "FRM-11",
        _TRANSFER,
        "an integral JSON number with a fraction or exponent (5.0, 5e0) is taken as an integer",
        _size_float_integral,
    ),
    # lens 5
    _m(
        "own-alias-accepted",
        "PKI-ID-1",
        "test_client_pki_cert_variants.py",
        "a responder whose CN is the initiator's own alias passes the alias check",
        _own_alias_accepted,
    ),
    _m(
        "no-eror-on-get-mismatch",
        "APP-GET-3",
        _TRANSFER,
        "a get failing its integrity check is closed without EROR integrity_failed",
        _no_eror_on_get_mismatch,
    ),
    _m(
        "get-rsfl-put-shape",
        "FRM-9",
        _TRANSFER,
        "a get answered with a put's RSFL {accept, name} is taken as a file of size 0",
        _get_rsfl_put_shape,
    ),
    # lens 6
    _m(
        "crl-retry-without",
        "PKI-CERT-7",
        "test_pki_certs.py",
        "a handshake refused on the CRL (revoked) is retried without the CRL",
        _crl_retry_without,
    ),
    _m(
        "tls-downgrade-dance",
        "PKI-TLS-9",
        "test_client_pki_hello_retry.py",
        "a handshake_failure is retried with the TLS library's default groups and suites",
        _tls_downgrade_dance,
    ),
    _m(
        "enroll-retry-trimmed",
        "PWF-1",
        _ENROLL,
        "a 401 is retried once with the password stripped of white space",
        _enroll_retry_trimmed,
        enroll=True,
    ),
    _m(
        "enroll-alt-member",
        "CA-ENR-12",
        "test_enroll_answers.py",
        "the enrolment answer's `cert` or `crt` member is taken when `certificate` is missing",
        _enroll_alt_member,
        enroll=True,
    ),
    _m(
        "no-cn-san-fallback",
        "PKI-ID-4",
        "test_client_pki_cert_variants.py",
        "a responder certificate without CN is named by its first DNS subjectAltName",
        _no_cn_san_fallback,
    ),
)
