"""Blind red-team round 25, second pass (helper B179): the sft-pki/1 initiator (`sft get`,
`sft put`) and the enrolment client (`sft enroll`), through the six lenses of
/work/briefs/s25/common.md.

Phase 1 (blind): written from docs/SPEC.md (PWF, §1-§3 client side, §4.1-§4.3 initiator
side, CA-ENR-18) and the reference's initiator and enrolment client before any case file
was opened; then checked against the registered mutants' names and descriptions and the
first pass's file (mutants_blind25_ini.py). Replaced as repeats (r): a 307 redirect
followed to http:// (b13cl3-enr-follows-redirect), the enrolment client's whole HTTPS
context honouring SSLKEYLOGFILE (b12cl2-keylog-enroll), an IP-address CA URL skipping the
host name check (b13cl3-enr-ip-host-unchecked), the CRL compared on printed serials (the
first pass: not observable). Not planted: APP-STORE-5 through a temporary in $TMPDIR moved
with a copy across devices (the copy runs after the transfer: a SIGKILL mid-transfer never
lands in it).

Lens 1 — the thin MUSTs:
- b25bini-keylog-if-exists: the initiator appends its TLS secrets to $SSLKEYLOGFILE only
  when that file already exists ("the user asked for it": NSS tools' habit) (PKI-TLS-8).
- b25bini-enr-pw-on-tls-failure: a CA whose certificate is refused is reported with the
  request that could not be sent, password included (PWF-2).
Lens 2 — the first draft:
- b25bini-enr-keylog-crl-only: the enrolment's POST is made on the pinned context, but the
  CRL fetch that follows a successful enrolment uses a "plain HTTPS GET" context that
  honours SSLKEYLOGFILE (PKI-TLS-8 via CA-ENR-18: one of the two CA connections).
- b25bini-alias-dotted-labels: aliases read as dotted names: a responder alias with an
  empty label (`a..b`) or a trailing dot (`bob.`) is refused, target and CN (PKI-CERT-2).
Lens 3 — compatibility shims:
- b25bini-selfsigned-tofu: a self-signed responder certificate is trusted on first use
  (SSH style): the connection is made again without chain verification, its alias and
  PKI-CERT-1/5/6/9 checks still made (PKI-CERT-4).
- b25bini-length-le-fallback: a frame length too large read big-endian is read again
  little-endian ("a peer on a little-endian host that forgot htonl") (FRM-1).
Lens 4 — aging, expiry and wrap:
- b25bini-eror-code-int64: an EROR code read as a signed 64-bit long (BigInteger's
  longValue(), Jackson's asLong()): 2^64+6 is 6, not_found: a malformed EROR becomes a
  non-fatal refusal and the initiator stays on the connection (ERR-8). (First written as
  a 32-bit int: 2^32+6 is then a well-formed unknown code, ERR-4's, caught by
  test_client_pki_error_forms.py's ERR-4 case; its ERR-8 face is the codes out of range.)
- b25bini-enr-busy-retry-trusted: after a 503 busy the enrolment is retried on a new
  connection trusted as the CA verified a moment ago: no chain, no host name check — the
  password goes to whoever answers the retry (CA-ENR-18).
Lens 5 — the platform underneath:
- b25bini-put-ack-eof-success: a put whose bytes were all sent is reported stored when the
  connection ends inside the responder's DONE receipt ("the kernel took every byte")
  (FRM-7; get's twin is registered, not the put's).
Lens 6 — what the wire shows:
- b25bini-enr-ca-message-shown: see the report: the reference itself prints a refusing
  CA's `message` as sent, so a CA (or anything posing as it) that echoes the password has
  the enrolment client print it (PWF-2) — a reference question, not a mutant.

Blind run (phase 2: the named file, then every file citing the requirement): caught by
the named file — enr-keylog-crl-only (test_enroll_tls.py), alias-dotted-labels
(test_pki_alias_lengths.py), selfsigned-tofu (test_pki_certs.py). Caught by another
citing file — enr-busy-retry-trusted (test_enroll_answer_edges.py: every connection to
the CA verified). Missed by every citing file — keylog-if-exists, enr-pw-on-tls-failure,
length-le-fallback, eror-code-int64, put-ack-eof-success.

Phase 3, cases for their CLASS (each PASSes the reference three times, pki1, pki2, pki6,
pki7):
  keylog-if-exists          test_pki_client_keylog_existing.py: SSLKEYLOGFILE names an
      existing file (empty, or holding a key log line) around a get, a put and an
      enrolment: unchanged, nothing beside it — siblings: keylog-if-nonempty,
      enr-keylog-if-exists
  enr-pw-on-tls-failure     test_enroll_refused_ca_output.py: the CA refused (CN only,
      foreign root, expired, TLS 1.2, plain HTTP): no password in the output — sibling:
      enr-pw-on-connect-failure
  length-le-fallback        test_pki_client_length_order.py: RSFL or first DATA with its
      length little-endian: failed get — sibling: length-le-data-only
  eror-code-int64           test_pki_client_error_code_wrap.py: codes 2^64+6, -2^64+6,
      -2^32+6, 2^128+12: the connection ends — siblings: eror-code-uint64, eror-code-int32
  put-ack-eof-success       test_pki_client_put_receipt_cut.py: the put's DONE receipt cut
      after 5 header bytes, half its payload, all but its last byte: non-zero exit
Post-blind siblings:
- b25bini-keylog-if-nonempty: the key log written only when it already holds a line.
- b25bini-enr-keylog-if-exists: the enrolment client's key log, only into an existing file.
- b25bini-enr-pw-on-connect-failure: the request body in the "cannot reach the CA" error.
- b25bini-length-le-data-only: the little-endian second reading for DATA frames only.
- b25bini-eror-code-uint64, b25bini-eror-code-int32: the other widths a code wraps in.
"""

from __future__ import annotations

import os
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind25b-ini"


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(owner, attr, *edits)


def _patch_m(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(owner, attr, *edits)


def _client() -> Any:
    return _module("reference.pki.client")


def _tls() -> Any:
    return _module("reference.pki.tls")


def _enroll_mod() -> Any:
    return _module("reference.pki.enroll")


_CTX_LINE = (
    "            host, port, timeout=self.timeout, context=https_client_context(self.root_pem)\n"
)


# --- lens 1 -----------------------------------------------------------------------------


def _keylog_if_exists() -> None:
    client = _client()
    original = client.client_context

    def client_context(identity: Any, crl_der: bytes) -> Any:
        ctx = original(identity, crl_der)
        path = os.environ.get("SSLKEYLOGFILE")
        if path and os.path.isfile(path):
            ctx.keylog_filename = path
        return ctx

    client.client_context = client_context


def _enr_pw_on_tls_failure() -> None:
    _patch_m(
        _enroll_mod().CaClient,
        "request",
        (
            '                f"the CA at {host}:{port} is not certified by this root '
            '({exc.verify_message})"\n',
            '                f"the CA at {host}:{port} is not certified by this root '
            '({exc.verify_message}); request not sent: {json.dumps(body)}"\n',
        ),
    )


def _keylog_if_nonempty() -> None:
    client = _client()
    original = client.client_context

    def client_context(identity: Any, crl_der: bytes) -> Any:
        ctx = original(identity, crl_der)
        path = os.environ.get("SSLKEYLOGFILE")
        if path and os.path.isfile(path) and os.path.getsize(path) > 0:
            ctx.keylog_filename = path
        return ctx

    client.client_context = client_context


def _enr_keylog_if_exists() -> None:
    mod = _enroll_mod()

    def context(root_pem: bytes) -> Any:
        ctx = mod.https_client_context(root_pem)
        keylog = os.environ.get("SSLKEYLOGFILE")
        if keylog and os.path.isfile(keylog):
            ctx.keylog_filename = keylog
        return ctx

    mod._b25b_context = context
    _patch_m(
        mod.CaClient,
        "request",
        (
            _CTX_LINE,
            "            host, port, timeout=self.timeout, context=_b25b_context(self.root_pem)\n",
        ),
    )


def _enr_pw_on_connect_failure() -> None:
    _patch_m(
        _enroll_mod().CaClient,
        "request",
        (
            "            raise EnrollError("
            'f"cannot reach the CA at {host}:{port}: {exc}") from None\n',
            '            raise EnrollError(\n'
            '                f"cannot reach the CA at {host}:{port}: {exc} (request: {body})"\n'
            "            ) from None\n",
        ),
    )


# --- lens 2 -----------------------------------------------------------------------------


def _enr_keylog_crl_only() -> None:
    mod = _enroll_mod()

    def context(root_pem: bytes, path: str) -> Any:
        ctx = mod.https_client_context(root_pem)
        keylog = os.environ.get("SSLKEYLOGFILE")
        if keylog and path == "/v1/crl":
            ctx.keylog_filename = keylog
        return ctx

    mod._b25b_context = context
    _patch_m(
        mod.CaClient,
        "request",
        (
            _CTX_LINE,
            "            host, port, timeout=self.timeout, "
            "context=_b25b_context(self.root_pem, path)\n",
        ),
    )


def _alias_dotted_labels() -> None:
    re = _module("re")
    pattern = re.compile(r"(?!.*\.\.)(?!.*\.$)[a-z0-9][a-z0-9._-]{0,63}")
    _client().ALIAS_RE = pattern
    _tls().ALIAS_RE = pattern


# --- lens 3 -----------------------------------------------------------------------------


def _selfsigned_tofu() -> None:
    client = _client()
    tls = _tls()
    ssl = _module("ssl")
    session = client.PkiSession
    init = session.__init__
    connect_once = session._connect_once

    def __init__(self: Any, identity: Any, *args: Any, **kwargs: Any) -> None:
        self._b25b_identity = identity
        init(self, identity, *args, **kwargs)

    def _connect_once(self: Any, context: Any, host: str, port: int, *, reached: bool) -> Any:
        try:
            return connect_once(self, context, host, port, reached=reached)
        except client.PkiClientError as exc:
            if "self-signed" not in str(exc):
                raise
        identity = self._b25b_identity
        trusting = tls._base_context(ssl.PROTOCOL_TLS_CLIENT)
        trusting.check_hostname = False
        trusting.verify_mode = ssl.CERT_NONE
        trusting.load_cert_chain(identity.cert, identity.key)
        trusting.set_alpn_protocols([tls.ALPN])
        return connect_once(self, trusting, host, port, reached=reached)

    session.__init__ = __init__
    session._connect_once = _connect_once


def _length_le_fallback(only: bytes | None = None) -> Any:
    def apply() -> None:
        _length_le(only)

    return apply


def _length_le(only: bytes | None) -> None:
    frames = _module("reference.frames")
    frames._b25b_only = only
    _patch(
        _module("reference.frames"),
        "parse_header",
        (
            "    if length > max_payload:\n",
            '    if length > max_payload and _b25b_only in (None, frame_type) '
            'and int.from_bytes(bytes(header[4:8]), "little") <= max_payload:\n'
            '        length = int.from_bytes(bytes(header[4:8]), "little")\n'
            "    if length > max_payload:\n",
        ),
    )


# --- lens 4 -----------------------------------------------------------------------------


def _eror_code_wrapped(bits: int, signed: bool) -> Any:
    def apply() -> None:
        messages = _module("reference.messages")
        mask = (1 << bits) - 1
        half = 1 << (bits - 1) if signed else 0
        messages._b25b_wrap = lambda code: ((code & mask) ^ half) - half
        _patch(
            messages,
            "decode_message",
            (
                "    check_schema(t, obj, schema)\n",
                '    if t == T_EROR and type(obj.get("code")) is int:\n'
                '        obj["code"] = _b25b_wrap(obj["code"])\n'
                "    check_schema(t, obj, schema)\n",
            ),
        )
        _module("reference.app").decode_message = messages.decode_message

    return apply


def _enr_busy_retry_trusted() -> None:
    mod = _enroll_mod()
    ssl = _module("ssl")
    verified: set[str] = set()

    def context(root_pem: bytes, url: str) -> Any:
        ctx = mod.https_client_context(root_pem)
        if url in verified:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    mod._b25b_context = context
    mod._b25b_verified = verified
    _patch_m(
        mod.CaClient,
        "request",
        (
            _CTX_LINE,
            "            host, port, timeout=self.timeout, "
            "context=_b25b_context(self.root_pem, self.url)\n",
        ),
    )
    _patch(
        mod,
        "enroll",
        (
            "        if seconds is None:  # longer than we wait; never sooner than asked: give up\n"
            "            break\n",
            "        if seconds is None:  # longer than we wait; never sooner than asked: give up\n"
            "            break\n"
            "        _b25b_verified.add(ca_url)\n",
        ),
    )


# --- lens 5 -----------------------------------------------------------------------------


def _put_ack_eof_success() -> None:
    _patch_m(
        _module("reference.transfer").Initiator,
        "put",
        (
            "                ack = self._answer()\n",
            "                try:\n"
            "                    ack = self._answer()\n"
            "                except TruncatedStream:\n"
            "                    return accepted.name\n",
        ),
    )


def _m(
    name: str, requirement: str, test_file: str, description: str, apply: Any, **kw: Any
) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=True,
        **kw,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b25bini-keylog-if-exists",
        "PKI-TLS-8",
        "test_pki_client_keylog_existing.py",
        "L1: the initiator appends its TLS secrets to $SSLKEYLOGFILE only when that file "
        "already exists ('the user asked for it')",
        _keylog_if_exists,
    ),
    _m(
        "b25bini-keylog-if-nonempty",
        "PKI-TLS-8",
        "test_pki_client_keylog_existing.py",
        "L1 (post-blind): the initiator appends its TLS secrets to $SSLKEYLOGFILE only when "
        "that file already holds a key log (is not empty)",
        _keylog_if_nonempty,
    ),
    _m(
        "b25bini-enr-keylog-if-exists",
        "PKI-TLS-8",
        "test_pki_client_keylog_existing.py",
        "L1 (post-blind): the enrolment client appends its TLS secrets to $SSLKEYLOGFILE "
        "only when that file already exists",
        _enr_keylog_if_exists,
        enroll=True,
    ),
    _m(
        "b25bini-enr-pw-on-tls-failure",
        "PWF-2",
        "test_enroll_refused_ca_output.py",
        "L1: a CA whose certificate is refused is reported with the request that could not "
        "be sent: the enrolment body, password included",
        _enr_pw_on_tls_failure,
        enroll=True,
    ),
    _m(
        "b25bini-enr-pw-on-connect-failure",
        "PWF-2",
        "test_enroll_refused_ca_output.py",
        "L1 (post-blind): a CA that cannot be reached over TLS 1.3 (TLS 1.2 only, plain HTTP, "
        "a failed handshake) is reported with the request body, password included",
        _enr_pw_on_connect_failure,
        enroll=True,
    ),
    _m(
        "b25bini-enr-keylog-crl-only",
        "PKI-TLS-8",
        "test_enroll_tls.py",
        "L2: the enrolment's POST runs on the pinned context; the CRL fetch after a "
        "successful enrolment uses a context that honours SSLKEYLOGFILE",
        _enr_keylog_crl_only,
        enroll=True,
    ),
    _m(
        "b25bini-alias-dotted-labels",
        "PKI-CERT-2",
        "test_pki_alias_lengths.py",
        "L2: aliases read as dotted names: a responder alias with an empty label (a..b) or a "
        "trailing dot (bob.) is refused, in the target and in the CN",
        _alias_dotted_labels,
    ),
    _m(
        "b25bini-selfsigned-tofu",
        "PKI-CERT-4",
        "test_pki_certs.py",
        "L3: a self-signed responder certificate is trusted on first use: the connection is "
        "made again without chain verification, alias and PKI-CERT-1/5/6/9 checks still made",
        _selfsigned_tofu,
    ),
    _m(
        "b25bini-length-le-fallback",
        "FRM-1",
        "test_pki_client_length_order.py",
        "L3: a frame length above the limit read big-endian is read again little-endian "
        "(a peer that forgot htonl) and used when that fits",
        _length_le_fallback(),
    ),
    _m(
        "b25bini-length-le-data-only",
        "FRM-1",
        "test_pki_client_length_order.py",
        "L3 (post-blind): the little-endian second reading of a too-large length is kept "
        "for DATA frames only ('a sender that streams raw buffers')",
        _length_le_fallback(b"DATA"),
    ),
    _m(
        "b25bini-eror-code-int64",
        "ERR-8",
        "test_pki_client_error_code_wrap.py",
        "L4: an EROR code read as a signed 64-bit long (BigInteger.longValue(), Jackson's "
        "asLong()): 2^64+6 is 6 not_found, a non-fatal refusal; the initiator stays on the "
        "connection",
        _eror_code_wrapped(64, True),
    ),
    _m(
        "b25bini-eror-code-uint64",
        "ERR-8",
        "test_pki_client_error_code_wrap.py",
        "L4 (post-blind): an EROR code converted to an unsigned 64-bit integer (Go's "
        "uint64(), C's strtoull): -2^64+6 is 6 not_found, a non-fatal refusal",
        _eror_code_wrapped(64, False),
    ),
    _m(
        "b25bini-eror-code-int32",
        "ERR-8",
        "test_pki_client_error_code_wrap.py",
        "L4 (post-blind): an EROR code read as a 32-bit int (asInt(), an (int) cast): "
        "-2^32+6 and 2^64+6 are 6 not_found, a non-fatal refusal",
        _eror_code_wrapped(32, True),
    ),
    _m(
        "b25bini-enr-busy-retry-trusted",
        "CA-ENR-18",
        "test_enroll_answer_edges.py",
        "L4: after a 503 busy the enrolment is retried on a connection trusted as the CA "
        "verified a moment ago: no chain or host name check, the password goes to whoever answers",
        _enr_busy_retry_trusted,
        enroll=True,
    ),
    _m(
        "b25bini-put-ack-eof-success",
        "FRM-7",
        "test_pki_client_put_receipt_cut.py",
        "L5: a put whose bytes were all sent is reported stored when the connection ends "
        "inside the responder's DONE receipt",
        _put_ack_eof_success,
    ),
)
