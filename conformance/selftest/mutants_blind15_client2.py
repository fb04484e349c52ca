"""Blind red-team round 15 (client2, helper B75): the sft-pki/1 initiator (`sft get/put`)
and the enrolment client (`sft enroll`), planted through the six lenses of lenses15.md.

The list was written blind, from docs/SPEC.md and the reference's client, TLS, enrolment,
transfer, share and CLI code only, before any case file or mutant module was opened;
each idea was then checked against the registry's names and descriptions. Copies found
there were replaced before the run: the close after a fatal EROR waiting for the peer
(b11cl2-fatal-close-idle-wait, b3pki-client-wait-after-fatal), the responder named by
the initiator's own alias, clientAuth asked of the responder, ALPN absent, an unknown
EROR code read as unsupported, a 3xx followed by the enroller, the key compared by its
x coordinate or kept at its old mode, strict members, keyEncipherment for
digitalSignature, a whole frame read before its length is judged, the commit replacing
the output, a temporary named after the output, EROR auth_failed on a PKI-ID-1 mismatch.

lens 1 (the initiator must give up in its own time):
    hs-no-deadline (the socket timeout is cleared for the TLS handshake: a responder that
    accepts and never answers holds `sft get` forever), busy-retry-unbounded (a close
    before the handshake is retried until the responder has room: never "server busy"),
    mismatch-close-unbounded (on a PKI-ID-1 mismatch the initiator sends close_notify and
    waits, without a bound, for the impostor's own before it closes)
lens 2 (made for another context, accepted): alpn-legacy-accepted (sft-pki/0 offered and
    accepted beside sft-pki/1), enr-root-from-ca (the enroller takes its trust anchor from
    the CA's own /v1/root, fetched unverified), enr-old-root-trusted (a root.pem left in
    the identity directory is trusted beside --root); eku-any-accepted (an EKU holding
    anyExtendedKeyUsage taken for serverAuth) was dropped after the blind run: OpenSSL's
    own purpose check refuses such a responder certificate first, so the planted
    reference stays conformant (no MUST broken)
lens 3 (the default branch): eror-code-zero-ok (an EROR of code 0 is "no error": in place
    of the put's DONE it is the receipt), unknown-type-bad-frame (an unknown type is
    answered bad_frame), throttled-not-fatal (fatality from a list of fatal codes written
    before `throttled` existed), eror-fatal-member (an EROR's own `fatal` member, when
    present, decides whether the connection lives)
lens 4 (compound conditions): ca-true-critical-passes (`ca or not critical` written
    `ca and not critical`), done-check-precedence (`not (size_ok and sha_ok)` written
    `not size_ok and sha_ok`), cn-set-dedup (the CNs gathered into a set: two equal CNs
    are one), rsa-hash-unchecked (the SHA-256 check sits in the ECDSA branch),
    ca-pathlen0-leaf (CA:TRUE with pathlen 0 "can sign nothing": taken for a leaf),
    put-no-crl (the put's connection is built without the CRL check)
lens 5 (cost per declared size): eror-control-limit-exempt (an EROR is read whatever its
    size, beyond 64 KiB), eror-frame-limit-exempt (an EROR header is never judged against
    the frame limit: a 4 GiB EROR is waited for)
lens 6 (check-then-act, shared names): enr-key-fixed-temp (the key goes through a fixed
    `.key.pem.tmp`, O_CREAT|O_TRUNC: a file or link already there is written through),
    temp-name-seconds (the get's temporary is `.sft-partial-<epoch seconds>`, opened
    O_TRUNC: two gets in one second, or a file planted under that name, share it)

Blind measure (21 written, against the case files as they stood, each aimed at the file
named then): 4 caught (ca-true-critical-passes, done-check-precedence,
unknown-type-bad-frame, temp-name-seconds — the last by chance: test_client_temporaries.py
compares two gets' names, which differ unless both fall within one second; a re-run
missed it). Two more were caught by existing cases once aimed at them (alpn-legacy-accepted
by test_client_pki_session_checks.py, which tries sft-pki/0); eku-any-accepted was dropped
(see lens 2). After the round's case files (test_client_pki_give_up.py,
test_client_pki_cert_shapes.py, test_client_pki_eror_fatality.py,
test_client_pki_put_trust.py, test_client_pki_temp_names.py, test_enroll_trust_sources.py)
all 20 kept are caught. (hs-deadline-per-read, a handshake bounded per read, was caught by
a trickling-responder case that was then withdrawn: two independent initiators read
LIM-9 that way, see test_client_pki_give_up.py.)
"""

from __future__ import annotations

import contextlib
import json
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


def _enroll() -> Any:
    return _module("reference.pki.enroll")


def _app() -> Any:
    return _module("reference.app")


def _patch_static(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """`_patch_source` for a staticmethod (kept a staticmethod)."""
    import inspect
    import textwrap

    raw = inspect.getattr_static(owner, attr).__func__
    source = textwrap.dedent(inspect.getsource(raw))
    source = source.replace("@staticmethod\n", "", 1)
    for old, new in edits:
        if old not in source:
            raise RuntimeError(f"mutant: {attr} no longer contains {old!r}")
        source = source.replace(old, new)
    namespace: dict[str, Any] = {}
    code = compile("from __future__ import annotations\n" + source, f"<mutant {attr}>", "exec")
    exec(code, raw.__globals__, namespace)  # noqa: S102 - the mutant's own edited source
    setattr(owner, attr, staticmethod(namespace[attr]))


# --- lens 1 ---------------------------------------------------------------------------


def _hs_no_deadline() -> None:
    _patch_source(
        _client().PkiSession,
        "_connect_once",
        (
            "raw.settimeout(self.config.handshake_timeout)",
            "raw.settimeout(None)  # the connect timeout was for TCP; TLS may take long",
        ),
    )


def _busy_retry_unbounded() -> None:
    _patch_source(
        _client().PkiSession,
        "_connect",
        (
            "refused > cfg.busy_retries\n                or time.monotonic() - started"
            " + wait > cfg.busy_budget",
            "False  # a refusal before TLS is only a full responder: it frees up",
        ),
    )


def _mismatch_close_unbounded() -> None:
    _patch_source(
        _client().PkiSession,
        "_connect_once",
        (
            "        if name != self.alias:  # [PKI-ID-1]\n",
            "        if name != self.alias:  # [PKI-ID-1]\n"
            "            sock.settimeout(None)  # close_notify both ways: nothing lost\n"
            "            with contextlib.suppress(OSError, ValueError):\n"
            "                sock.unwrap()\n",
        ),
    )


# --- lens 2 ---------------------------------------------------------------------------


def _alpn_legacy_accepted() -> None:
    tls = _tls()
    client = _client()
    _patch_source(
        tls,
        "client_context",
        ("ctx.set_alpn_protocols([ALPN])", 'ctx.set_alpn_protocols([ALPN, "sft-pki/0"])'),
    )
    _patch_source(
        tls,
        "peer_alias",
        (
            "sock.selected_alpn_protocol() != ALPN",
            'sock.selected_alpn_protocol() not in (ALPN, "sft-pki/0")',
        ),
    )
    client.client_context = tls.client_context
    client.peer_alias = tls.peer_alias


def _fetch_root_unverified(ca_url: str) -> bytes | None:
    """GET /v1/root over TLS 1.3 without verifying the CA (the root is not known yet)."""
    http_client = _module("http.client")
    urllib_parse = _module("urllib.parse")
    x509 = _module("cryptography.x509")
    parsed = urllib_parse.urlsplit(ca_url)
    if parsed.scheme != "https" or not parsed.hostname:
        return None
    ctx = _tls()._base_context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http_client.HTTPSConnection(parsed.hostname, parsed.port or 443, timeout=10, context=ctx)
    try:
        conn.request("GET", "/v1/root")
        response = conn.getresponse()
        data: bytes = response.read(1 << 16)
        if response.status != 200:
            return None
        x509.load_pem_x509_certificate(data)
        return data
    except (OSError, ValueError, http_client.HTTPException):
        return None
    finally:
        conn.close()


def _enr_root_from_ca() -> None:
    enroll = _enroll()
    original = enroll.enroll

    def patched(ca_url: str, root_pem: bytes, *args: Any, **kwargs: Any) -> Any:
        # "The CA publishes its root: bootstrap from it; --root is the fallback."
        fetched = _fetch_root_unverified(ca_url)
        return original(ca_url, fetched or root_pem, *args, **kwargs)

    enroll.enroll = patched


def _enr_old_root_trusted() -> None:
    enroll = _enroll()
    original_context = enroll.https_client_context
    original = enroll.enroll
    extra: list[bytes] = []

    def https_client_context(root_pem: bytes) -> ssl.SSLContext:
        # Root rollover: the identity's previous root stays trusted beside the new one.
        return original_context(root_pem + b"".join(extra))  # type: ignore[no-any-return]

    def patched(
        ca_url: str, root_pem: bytes, alias: str, password: str, out_dir: Path, **kw: Any
    ) -> Any:
        with contextlib.suppress(OSError):
            old = (Path(out_dir) / "root.pem").read_bytes()
            if old.strip() and old.strip() != root_pem.strip():
                extra.append(b"\n" + old)
        return original(ca_url, root_pem, alias, password, out_dir, **kw)

    enroll.https_client_context = https_client_context
    enroll.enroll = patched


# --- lens 3 ---------------------------------------------------------------------------


def _eror_code_zero_ok() -> None:
    app = _app()
    messages = _module("reference.messages")
    original = app.ApplicationConnection._on_control

    def _on_control(self: Any, frame: Any) -> Any:
        if frame.type == messages.T_EROR and self.state is app.InitiatorState.DONE_SENT:
            try:
                obj = json.loads(bytes(frame.payload))
            except ValueError:
                obj = None
            code = obj.get("code") if isinstance(obj, dict) else None
            if code == 0 and not isinstance(code, bool):
                # errno style: status 0 is success, the responder's way of saying "stored"
                outgoing = self._outgoing
                done = messages.Done(outgoing.count, outgoing.digest.hexdigest())
                self._outgoing = None
                self.state = app.InitiatorState.IDLE
                return done
        return original(self, frame)

    app.ApplicationConnection._on_control = _on_control


def _unknown_type_bad_frame() -> None:
    _patch_static(
        _app().ApplicationConnection,
        "_check_header",
        (
            'ErrorCode.UNEXPECTED_FRAME, f"unknown frame type',
            'ErrorCode.BAD_FRAME, f"unknown frame type',
        ),
    )


def _throttled_not_fatal() -> None:
    errors = _module("reference.errors")
    code = errors.ErrorCode
    fatal_codes = frozenset(
        {
            code.BAD_FRAME,
            code.FRAME_TOO_LARGE,
            code.UNEXPECTED_FRAME,
            code.AUTH_FAILED,
            code.INTEGRITY_FAILED,
            code.BUSY,
            code.TIMEOUT,
            code.INTERNAL,
        }
    )  # the fatal codes of the first table; `throttled` (14) came with the EKE profile
    code.fatal = property(lambda self: self in fatal_codes)


def _eror_fatal_member() -> None:
    messages = _module("reference.messages")

    class _FlaggedError(messages.ErrorFrame):  # type: ignore[misc,name-defined]
        __slots__ = ("flag",)

        @property
        def fatal(self) -> bool:
            flag = self.flag
            return flag if isinstance(flag, bool) else bool(self.code.fatal)

    def flagged(code: Any, message: str, retry_after: Any, flag: Any) -> Any:
        error = _FlaggedError(code, message, retry_after)
        object.__setattr__(error, "flag", flag)
        return error

    messages._flagged = flagged
    _patch_source(
        messages,
        "decode_message",
        (
            "        return ErrorFrame(\n"
            '            ErrorCode.from_wire(obj["code"]),\n'
            "            str(message)[:MAX_MESSAGE_CHARS],\n"
            '            obj.get("retry_after"),\n'
            "        )",
            "        return _flagged(\n"
            '            ErrorCode.from_wire(obj["code"]),\n'
            "            str(message)[:MAX_MESSAGE_CHARS],\n"
            '            obj.get("retry_after"),\n'
            '            obj.get("fatal"),  # like a TLS alert\'s level, when the peer says\n'
            "        )",
        ),
    )
    _app().decode_message = messages.decode_message


# --- lens 4 ---------------------------------------------------------------------------


def _ca_true_critical_passes() -> None:
    _patch_source(
        _tls(),
        "check_peer_certificate",
        ("if bc.value.ca or not bc.critical:", "if bc.value.ca and not bc.critical:"),
    )


def _done_check_precedence() -> None:
    _patch_source(
        _app()._Transfer,
        "check_done",
        (
            "if not (done.size == self.announced == self.count and done.sha256 == sha):",
            "if not done.size == self.announced == self.count and done.sha256 == sha:",
        ),
    )


def _cn_set_dedup() -> None:
    tls = _tls()
    oid = _module("cryptography.x509.oid")

    def _common_name(cert: Any) -> str:
        names = {a.value for a in cert.subject.get_attributes_for_oid(oid.NameOID.COMMON_NAME)}
        if len(names) != 1:
            raise tls.CertificateRefused("the certificate has no single common name")
        (value,) = names
        if not isinstance(value, str):
            raise tls.CertificateRefused("the certificate has no single common name")
        return value

    tls._common_name = _common_name


def _rsa_hash_unchecked() -> None:
    tls = _tls()
    hashes = _module("cryptography.hazmat.primitives.hashes")
    ec = _module("cryptography.hazmat.primitives.asymmetric.ec")
    rsa = _module("cryptography.hazmat.primitives.asymmetric.rsa")

    def _check_algorithms(cert: Any, alias: str) -> None:
        key = cert.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            if key.key_size < 2048:
                raise tls.CertificateRefused(
                    f"{alias}'s certificate has an RSA key below 2048 bits"
                )
        elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
            if not isinstance(cert.signature_hash_algorithm, hashes.SHA256):
                raise tls.CertificateRefused(f"{alias}'s certificate is not signed with SHA-256")
        else:
            raise tls.CertificateRefused(
                f"{alias}'s certificate key is neither ECDSA P-256 nor RSA"
            )

    tls._check_algorithms = _check_algorithms


def _ca_pathlen0_leaf() -> None:
    _patch_source(
        _tls(),
        "check_peer_certificate",
        (
            "if bc.value.ca or not bc.critical:",
            "if (bc.value.ca and bc.value.path_length != 0) or not bc.critical:",
        ),
    )


def _put_no_crl() -> None:
    cli = _module("reference.cli.pki")
    client = _client()
    tls = _tls()
    original_put = cli._put

    def context_without_crl_check(identity: Any, crl_der: bytes) -> ssl.SSLContext:
        ctx: ssl.SSLContext = tls.client_context(identity, crl_der)
        ctx.verify_flags &= ~ssl.VERIFY_CRL_CHECK_LEAF  # a put receives nothing
        return ctx

    def _put(args: Any) -> int:
        client.client_context = context_without_crl_check
        result: int = original_put(args)
        return result

    cli._put = _put


# --- lens 5 ---------------------------------------------------------------------------


def _loads_any(payload: bytes | bytearray | memoryview) -> dict[str, Any]:
    """frames.loads_control without its 64 KiB limit."""
    frames = _module("reference.frames")
    errors = _module("reference.errors")
    try:
        value = json.loads(
            bytes(payload).decode("utf-8"),
            object_pairs_hook=frames._no_duplicates,
            parse_constant=frames._reject_constant,
        )
    except (ValueError, RecursionError):
        raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "bad EROR payload") from None
    if not isinstance(value, dict):
        raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "EROR is not an object")
    return value


def _eror_exempt_from_control_limit() -> None:
    messages = _module("reference.messages")
    messages._loads_any = _loads_any
    _patch_source(
        messages,
        "decode_message",
        (
            "obj = loads_control(frame.payload)",
            "obj = _loads_any(frame.payload) if t == T_EROR else loads_control(frame.payload)",
        ),
    )
    app = _app()
    app.decode_message = messages.decode_message
    _patch_static(
        app.ApplicationConnection,
        "_check_header",
        (
            "if frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:",
            "if frame_type not in (T_DATA, T_EROR) and length > MAX_CONTROL_PAYLOAD:",
        ),
    )


def _eror_control_limit_exempt() -> None:
    _eror_exempt_from_control_limit()


def _eror_frame_limit_exempt() -> None:
    _eror_exempt_from_control_limit()
    _patch_source(
        _app().ApplicationConnection,
        "_next_event",
        (
            "*parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)",
            "*parse_header(\n"
            "                    buf[:HEADER_SIZE],\n"
            "                    0xFFFFFFFF  # an EROR always gets through: the peer is failing\n"
            "                    if bytes(buf[:4]) == T_EROR\n"
            "                    else self.config.max_frame_payload,\n"
            "                )",
        ),
    )


# --- lens 6 ---------------------------------------------------------------------------


def _enr_key_fixed_temp() -> None:
    ca = _module("reference.pki.ca")

    def write_private(path: Path, data: bytes) -> None:
        tmp = path.with_name(f".{path.name}.tmp")  # as the certificate's and root's
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    ca.write_private = write_private


def _temp_name_seconds() -> None:
    share = _module("reference.share")
    share._mutant_time = _module("time")
    _patch_source(
        share.PartialFile,
        "__init__",
        (
            'self.temp_name = f"{PARTIAL_PREFIX}{secrets.token_hex(12)}"',
            'self.temp_name = f"{PARTIAL_PREFIX}{int(_mutant_time.time())}"',
        ),
        (
            "os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC",
            "os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC",
        ),
    )


# --- registry -------------------------------------------------------------------------


def _m(
    name: str,
    lens: int,
    requirement: str,
    test_file: str,
    apply: Callable[[], None],
    description: str,
    *,
    enroll: bool = False,
) -> Mutant:
    return Mutant(
        name=f"b15cl2-{name}",
        group=f"blind15-client2-l{lens}",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=True,
        enroll=enroll,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "hs-no-deadline",
        1,
        "LIM-9",
        "test_client_pki_give_up.py",
        _hs_no_deadline,
        "L1: the initiator clears its socket timeout for the TLS handshake (the connect "
        "timeout was for TCP): a responder that accepts and never answers holds it forever",
    ),
    _m(
        "busy-retry-unbounded",
        1,
        "LIM-9",
        "test_client_pki_give_up.py",
        _busy_retry_unbounded,
        "L1: a close before the TLS handshake is retried until the responder has room, "
        "without a count or budget: a responder that always closes is never reported busy",
    ),
    _m(
        "mismatch-close-unbounded",
        1,
        "PKI-ID-1",
        "test_client_pki_give_up.py",
        _mismatch_close_unbounded,
        "L1: on a PKI-ID-1 mismatch the initiator sends close_notify and waits without a "
        "bound for the impostor's before closing: an impostor that stays silent holds it",
    ),
    _m(
        "alpn-legacy-accepted",
        2,
        "PKI-TLS-2",
        "test_client_pki_session_checks.py",
        _alpn_legacy_accepted,
        "L2: the initiator offers sft-pki/0 beside sft-pki/1 and accepts a responder that "
        "selects either",
    ),
    _m(
        "enr-root-from-ca",
        2,
        "PKI-TLS-4",
        "test_enroll_trust_sources.py",
        _enr_root_from_ca,
        "L2: the enrolment client fetches the CA's /v1/root unverified and trusts it "
        "instead of --root (bootstrap): a CA under a foreign root gets the password",
        enroll=True,
    ),
    _m(
        "enr-old-root-trusted",
        2,
        "PKI-TLS-4",
        "test_enroll_trust_sources.py",
        _enr_old_root_trusted,
        "L2: a root.pem already in the identity directory stays trusted beside --root for "
        "the CA's certificate (root rollover): a CA under that old root gets the password",
        enroll=True,
    ),
    _m(
        "eror-code-zero-ok",
        3,
        "APP-PUT-10",
        "test_client_pki_eror_fatality.py",
        _eror_code_zero_ok,
        "L3: an EROR of code 0 is 'no error' (errno style): in place of the responder's "
        "DONE it is taken as the receipt and the put reported stored",
    ),
    _m(
        "unknown-type-bad-frame",
        3,
        "FRM-5",
        "test_pki_initiator_transfer.py",
        _unknown_type_bad_frame,
        "L3: a well-formed frame of an unknown type is answered bad_frame, not unexpected_frame",
    ),
    _m(
        "throttled-not-fatal",
        3,
        "ERR-3",
        "test_client_pki_eror_fatality.py",
        _throttled_not_fatal,
        "L3: fatality is membership of a list of fatal codes written before `throttled` "
        "existed: EROR throttled leaves the initiator IDLE, and it says BYE_",
    ),
    _m(
        "eror-fatal-member",
        3,
        "ERR-3",
        "test_client_pki_eror_fatality.py",
        _eror_fatal_member,
        "L3: an EROR's own `fatal` member, when present, decides (like a TLS alert's "
        'level): EROR busy with "fatal": false leaves the initiator IDLE',
    ),
    _m(
        "ca-true-critical-passes",
        4,
        "PKI-CERT-6",
        "test_pki_certs.py",
        _ca_true_critical_passes,
        "L4: `ca or not critical` written `ca and not critical`: a critical CA:TRUE "
        "responder certificate passes",
    ),
    _m(
        "done-check-precedence",
        4,
        "APP-GET-3",
        "test_pki_initiator_transfer.py",
        _done_check_precedence,
        "L4: `not (sizes agree and digest agrees)` written `not sizes agree and digest "
        "agrees`: a get whose DONE.sha256 differs from the data is kept",
    ),
    _m(
        "cn-set-dedup",
        4,
        "PKI-ID-4",
        "test_client_pki_cert_shapes.py",
        _cn_set_dedup,
        "L4: the subject's CNs gathered into a set: a certificate with two equal CNs has "
        "'one' CN and passes",
    ),
    _m(
        "rsa-hash-unchecked",
        4,
        "PKI-CERT-9",
        "test_client_pki_cert_shapes.py",
        _rsa_hash_unchecked,
        "L4: the SHA-256 check sits in the ECDSA branch: an RSA responder certificate "
        "signed with SHA-384 (or SHA-512) passes",
    ),
    _m(
        "ca-pathlen0-leaf",
        4,
        "PKI-CERT-6",
        "test_client_pki_cert_shapes.py",
        _ca_pathlen0_leaf,
        "L4: CA:TRUE with pathlen 0 'can sign nothing' and is taken for a leaf: such a "
        "responder certificate passes",
    ),
    _m(
        "put-no-crl",
        4,
        "PKI-CERT-7",
        "test_client_pki_put_trust.py",
        _put_no_crl,
        "L4: the put's connection is built without the CRL check (a put receives nothing): "
        "a revoked responder gets the file",
    ),
    _m(
        "eror-control-limit-exempt",
        5,
        "FRM-8",
        "test_client_pki_eror_fatality.py",
        _eror_control_limit_exempt,
        "L5: an EROR is read whatever its size within the frame limit: a 100 KiB EROR is "
        "taken, not refused frame_too_large",
    ),
    _m(
        "eror-frame-limit-exempt",
        5,
        "FRM-3",
        "test_client_pki_eror_fatality.py",
        _eror_frame_limit_exempt,
        "L5: an EROR header is never judged against the frame limit (errors always get "
        "through): an EROR announcing 4 GiB is waited for",
    ),
    _m(
        "enr-key-fixed-temp",
        6,
        "CA-ENR-12",
        "test_enroll_trust_sources.py",
        _enr_key_fixed_temp,
        "L6: the new key goes through a fixed .key.pem.tmp opened O_CREAT|O_TRUNC: a file "
        "or symbolic link already under that name is written through, its mode kept",
        enroll=True,
    ),
    _m(
        "temp-name-seconds",
        6,
        "APP-STORE-1",
        "test_client_pki_temp_names.py",
        _temp_name_seconds,
        "L6: the get's temporary is .sft-partial-<epoch seconds>, opened O_TRUNC without "
        "O_EXCL: a file under that name (another get in the same second) is taken over",
    ),
)
