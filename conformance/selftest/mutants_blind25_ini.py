"""Blind red-team round 25 (helper B168): the sft-pki/1 initiator (`sft get`, `sft put`)
and the enrolment client (`sft enroll`), through the six lenses of /work/briefs/s25/common.md.

Phase 1 (blind): written from docs/SPEC.md (PWF, §1-§3 client side, §4.1-§4.3 initiator
side, CA-ENR-12/18) and the reference's initiator and enrolment client (reference/pki/
client.py, tls.py, enroll.py, alias.py, transfer.py, cli/pki.py) before any case file was
opened, then checked against the names and descriptions of the registered client and
enrolment mutants. Replaced as repeats (r): a 307/308 redirect re-POSTed to the Location
(b13cl3-enr-follows-redirect), EROR auth_failed sent on a PKI-ID-1 mismatch
(b12cl2-eror-on-id-mismatch). Dropped: anyExtendedKeyUsage taken for serverAuth (OpenSSL's
own ssl_server purpose check refuses it before our code runs: an equivalent mutant in a
Python initiator), `--force` gets written in place (APP-STORE-5; the suite's client_cmd
template has no --force, so no case can ask for a replacement).

Lens 1 — the thin MUSTs:
- b25ini-issuer-by-aki: the chain is checked by hand (CERT_NONE): the responder's
  issuer name and AuthorityKeyIdentifier must equal the root's, dates and CRL are
  checked, the root's signature never (PKI-CERT-10).
- b25ini-eror-code-float: an EROR code written 6.0 is read as 6 (a JavaScript initiator
  cannot tell 6.0 from 6): a malformed EROR becomes a non-fatal refusal and the initiator
  stays on the connection and says BYE_ (ERR-8).
- b25ini-enr-password-tail-shown: a refused enrolment's error shows the password masked
  credit-card style, its last 6 characters in clear (PWF-2).
- (unjudged, not registered) crl-serial-hex-unpadded: revocation checked by hand by
  comparing format(serial, "X") of each CRL entry with OpenSSL's printed serialNumber
  (two digits a byte): a revoked responder whose serial starts with a 0 nibble passes
  (PKI-CERT-11).
Lens 2 — the first draft:
- b25ini-target-alias-word-chars: the target's alias is checked with `[a-z0-9][a-z0-9_-]*`
  (the word characters, written from memory): a responder alias holding `.` is refused
  before any connection (PKI-CERT-2).
- b25ini-putf-length-chars: the put's PUTF length counts characters, not UTF-8 bytes (the
  RQFL got it right): a non-ASCII name's PUTF is cut short (FRM-1).
Lens 3 — compatibility shims:
- b25ini-frame-separator-skipped: CR and LF bytes between frames are skipped ("a peer that
  ends each frame with a newline"): a stray byte before a header is not bad_frame
  (FRM-1).
Lens 4 — aging, expiry and wrap:
- (unjudged, not registered) crl-entries-first-256: revocation checked by hand over at
  most the first 256 entries of the CRL ("every loop bounded"): the 257th revoked
  certificate passes (PKI-CERT-11).
Lens 5 — the platform underneath:
- b25ini-keylog-tmpdir-debug: a debugging leftover writes every TLS session's secrets to
  $TMPDIR/sft-tls-keys.log (NSS key log for Wireshark), whatever SSLKEYLOGFILE says
  (PKI-TLS-8).
Lens 6 — what the wire shows: nothing new found that the registered mutants do not
already cover (requests before the checks, EROR on a PKI-ID-1 mismatch, keys in clear).

Blind run (phase 2: the named file, then every file citing the requirement): caught by
the named file — enr-password-tail-shown (test_client_output_secrets.py: "any run of 6"
is searched, not only a prefix), target-alias-word-chars (test_pki_alias_lengths.py).
Caught by another citing file — eror-code-float (test_client_pki_error_forms.py,
code-6.0), issuer-by-aki (test_interop_x_impostor_signers.py). Missed by every citing
file — putf-length-chars, frame-separator-skipped, keylog-tmpdir-debug, and the two CRL
mutants. The CRL ones cannot be made observable: the initiator under test takes its CRL
from its own CA (the target's), whose serials (the reference's: bit 158 set, never a
leading 0 nibble) and entry count the suite does not choose; a target fact giving the
initiator a CRL file or CA URL the suite serves would (see the round's report).

Phase 3, cases for their CLASS (each PASSes the reference three times, pki1, pki2, pki6
and pki7):
  frame-separator-skipped      test_pki_client_frame_gaps.py: LF after RSFL, CRLF between
      two DATA frames, one NUL before DONE, four NULs after RSFL: EROR bad_frame or
      frame_too_large (FRM-16), failed get, nothing kept — sibling: frame-nul-padding-skipped
  putf-length-chars            test_pki_client_put_name_bytes.py: puts named with 2-, 3-
      and 4-byte UTF-8 characters, with a quote (a JSON escape), both: one PUTF object
      naming exactly that name, the file, DONE, success — sibling: putf-length-utf16
  keylog-tmpdir-debug          test_pki_client_keys_nowhere.py: the suite's responder
      logs its own TLS secrets; after an honest get with TMPDIR, HOME and the XDG
      directories redirected, no file there, in the output directory, or written during
      the run at the top of the working or system temporary directories holds one (hex,
      HEX, raw, base64) — sibling: keylog-fixed-tmp
Post-blind siblings:
- b25ini-frame-nul-padding-skipped: NUL bytes between frames skipped as 4-byte padding
  (FRM-1).
- b25ini-putf-length-utf16: the PUTF length counts UTF-16 code units (FRM-1).
- b25ini-keylog-fixed-tmp: the debugging key log at a hard-coded /tmp/sft-tls-keys.log
  (PKI-TLS-8).
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind25-ini"


def _client() -> Any:
    return _module("reference.pki.client")


def _tls() -> Any:
    return _module("reference.pki.tls")


def _wrap_context(build: Any) -> None:
    """reference.pki.client.client_context replaced by `build(original, identity, crl)`."""
    client = _client()
    original = client.client_context

    def client_context(identity: Any, crl_der: bytes) -> Any:
        return build(original, identity, crl_der)

    client.client_context = client_context


def _wrap_peer_alias(after: Any) -> None:
    """The initiator's peer_alias followed by `after(sock, alias)` (the initiator side)."""
    client = _client()
    original = client.peer_alias

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        alias: str = original(sock, as_server=as_server)
        if not as_server:
            after(sock, alias)
        return alias

    client.peer_alias = peer_alias


# --- lens 1 -----------------------------------------------------------------------------


def _issuer_by_aki() -> None:
    ssl = _module("ssl")
    x509 = _module("cryptography.x509")
    dt = _module("datetime")

    def build(original: Any, identity: Any, crl_der: bytes) -> Any:
        ctx = original(identity, None)
        ctx.verify_mode = ssl.CERT_NONE  # "we check the chain ourselves, by key identifier"
        ctx._b25_root = identity.root.read_bytes()
        ctx._b25_crl = crl_der
        return ctx

    def after(sock: Any, alias: str) -> None:
        refused = _tls().CertificateRefused
        cert = x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))
        root = x509.load_pem_x509_certificate(sock.context._b25_root)
        try:
            aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
            ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        except x509.ExtensionNotFound:
            raise refused(f"{alias}'s certificate was not issued by the root") from None
        if aki.value.key_identifier != ski.value.digest or cert.issuer != root.subject:
            raise refused(f"{alias}'s certificate was not issued by the root")
        now = dt.datetime.now(dt.UTC)
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise refused(f"{alias}'s certificate is outside its validity period")
        crl = x509.load_der_x509_crl(sock.context._b25_crl)
        if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
            raise refused(f"{alias}'s certificate was revoked")

    _wrap_context(build)
    _wrap_peer_alias(after)


def _eror_code_float() -> None:
    from conformance.selftest.mutants_blind13_client4 import _eror, _eror_rewrite

    def rewrite(obj: dict[str, Any]) -> Any:
        code = obj.get("code")
        if isinstance(code, float) and code.is_integer() and code >= 0:
            return _eror(int(code), obj)
        return None

    _eror_rewrite(rewrite)


def _enr_password_tail_shown() -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(
        _module("reference.pki.enroll"),
        "enroll",
        (
            "raise EnrollError(_error_text(status, headers, data, password))",
            "raise EnrollError(_error_text(status, headers, data, password) + ' (password used: '"
            " + '*' * max(0, len(password) - 6) + password[-6:] + ')')",
        ),
    )


# --- lens 2 -----------------------------------------------------------------------------


def _target_alias_word_chars() -> None:
    re = _module("re")
    _client().ALIAS_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _putf_length_chars() -> None:
    messages, frames = _module("reference.messages"), _module("reference.frames")
    app = _module("reference.app")
    original = messages.encode_message

    def encode_message(message: Any) -> bytes:
        data: bytes = original(message)
        if isinstance(message, messages.PutRequest):
            payload = data[frames.HEADER_SIZE :]
            header = frames.encode_header(messages.T_PUTF, len(payload.decode("utf-8")))
            return bytes(header) + payload
        return data

    messages.encode_message = encode_message
    if getattr(app, "encode_message", None) is original:
        app.encode_message = encode_message


# --- lens 3 -----------------------------------------------------------------------------


def _frame_separator_skipped() -> None:
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            "        if self._header is None:\n"
            "            if len(buf) < HEADER_SIZE:\n",
            "        if self._header is None:\n"
            "            while buf[:1] in (b'\\r', b'\\n'):\n"
            "                del buf[:1]\n"
            "            if len(buf) < HEADER_SIZE:\n",
        ),
    )


# --- lens 5 -----------------------------------------------------------------------------


def _keylog_tmpdir_debug() -> None:
    os, tempfile = _module("os"), _module("tempfile")

    def build(original: Any, identity: Any, crl_der: bytes) -> Any:
        ctx = original(identity, crl_der)
        ctx.keylog_filename = os.path.join(tempfile.gettempdir(), "sft-tls-keys.log")
        return ctx

    _wrap_context(build)


# --- post-blind siblings ----------------------------------------------------------------


def _keylog_fixed_tmp() -> None:
    def build(original: Any, identity: Any, crl_der: bytes) -> Any:
        ctx = original(identity, crl_der)
        ctx.keylog_filename = "/tmp/sft-tls-keys.log"  # noqa: S108 - the planted bug
        return ctx

    _wrap_context(build)


def _frame_nul_padding_skipped() -> None:
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            "        if self._header is None:\n"
            "            if len(buf) < HEADER_SIZE:\n",
            "        if self._header is None:\n"
            "            while buf[:1] == b'\\x00':\n"
            "                del buf[:1]\n"
            "            if len(buf) < HEADER_SIZE:\n",
        ),
    )


def _putf_length_utf16() -> None:
    messages, frames = _module("reference.messages"), _module("reference.frames")
    app = _module("reference.app")
    original = messages.encode_message

    def encode_message(message: Any) -> bytes:
        data: bytes = original(message)
        if isinstance(message, messages.PutRequest):
            payload = data[frames.HEADER_SIZE :]
            units = len(payload.decode("utf-8").encode("utf-16-le")) // 2
            return bytes(frames.encode_header(messages.T_PUTF, units)) + payload
        return data

    messages.encode_message = encode_message
    if getattr(app, "encode_message", None) is original:
        app.encode_message = encode_message


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
        "b25ini-issuer-by-aki",
        "PKI-CERT-10",
        "test_interop_x_impostor_signers.py",
        "L1: the chain checked by hand (CERT_NONE): issuer name and AuthorityKeyIdentifier "
        "equal to the root's, dates, CRL; the root's signature never verified",
        _issuer_by_aki,
    ),
    _m(
        "b25ini-eror-code-float",
        "ERR-8",
        "test_client_pki_error_forms.py",
        "L1/L3: an EROR code written 6.0 or 6e0 is read as 6 (JavaScript numbers): a "
        "malformed EROR becomes a non-fatal refusal and the initiator says BYE_",
        _eror_code_float,
    ),
    _m(
        "b25ini-enr-password-tail-shown",
        "PWF-2",
        "test_client_output_secrets.py",
        "L1: a refused enrolment's error shows the password masked credit-card style: "
        "its last 6 characters in clear",
        _enr_password_tail_shown,
        enroll=True,
    ),
    _m(
        "b25ini-target-alias-word-chars",
        "PKI-CERT-2",
        "test_pki_alias_lengths.py",
        "L2: the target's alias is checked with [a-z0-9][a-z0-9_-]{0,63}: a responder "
        "alias holding '.' is refused before any connection",
        _target_alias_word_chars,
    ),
    _m(
        "b25ini-putf-length-chars",
        "FRM-1",
        "test_pki_client_put_name_bytes.py",
        "L2: the put's PUTF length counts characters, not UTF-8 bytes: a non-ASCII name's "
        "PUTF is cut short",
        _putf_length_chars,
    ),
    _m(
        "b25ini-frame-separator-skipped",
        "FRM-1",
        "test_pki_client_frame_gaps.py",
        "L3: CR and LF bytes between the responder's frames are skipped (a peer that ends "
        "each frame with a newline): a stray byte before a header is not bad_frame",
        _frame_separator_skipped,
    ),
    _m(
        "b25ini-keylog-tmpdir-debug",
        "PKI-TLS-8",
        "test_pki_client_keys_nowhere.py",
        "L5: a debugging leftover writes every TLS session's secrets to "
        "$TMPDIR/sft-tls-keys.log (NSS key log), whatever SSLKEYLOGFILE says",
        _keylog_tmpdir_debug,
    ),
    _m(
        "b25ini-keylog-fixed-tmp",
        "PKI-TLS-8",
        "test_pki_client_keys_nowhere.py",
        "L5 (post-blind): the debugging key log is written to a hard-coded "
        "/tmp/sft-tls-keys.log, which no TMPDIR moves",
        _keylog_fixed_tmp,
    ),
    _m(
        "b25ini-frame-nul-padding-skipped",
        "FRM-1",
        "test_pki_client_frame_gaps.py",
        "L3 (post-blind): NUL bytes between the responder's frames are skipped as padding "
        "(frames aligned to 4 bytes): a NUL before a header is not bad_frame",
        _frame_nul_padding_skipped,
    ),
    _m(
        "b25ini-putf-length-utf16",
        "FRM-1",
        "test_pki_client_put_name_bytes.py",
        "L2 (post-blind): the put's PUTF length counts UTF-16 code units (JavaScript's "
        "String.length): a name of accented letters or emoji announces a short PUTF",
        _putf_length_utf16,
    ),
)
