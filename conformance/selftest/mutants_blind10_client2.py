"""Blind red-team round 10 (client2): the sft-pki/1 INITIATOR and the ENROLMENT client.

Written blind (from docs/SPEC.md and the reference's client code only) by helper B39.
Each mutant plants one implementer's mistake in the reference's initiator (`sft get`,
`sft put`) or its enrolment client (`sft enroll`); the lens of lenses10.md is noted:

- lens 1, misreadings: id-trailing-dot, bc-ca-noncrit, algo-sha-blacklist,
  get-announced-unchecked, sweep-cwd, temp-prefix, pwf-strip, pwf-bom, enr-cn-fallback,
  enr-2xx, enr-key-mode
- lens 2, lazy or stubbed: ku-keyenc, get-rsfl-sha-ignored, put-accept-optional,
  tls12-client, sigalgs-wide, enr-no-hostname, enr-system-trust, enr-key-unchecked
- lens 3, state and order: get-replace-commit, id-after-get, put-exists-success,
  enr-key-first
- lens 4, over-eager hardening: rsa-2048-refused, put-name-strict, enr-cn-also, pwf-ascii
- lens 5, layer seams: integrity-eror-internal, put-eof-success, enr-expired-retry,
  enr-body-regex

Blind measure (before any case change): 20 of 32 detected. One blind mutant was dropped
as not observable with the reference's TLS stack: `eku-any` (anyExtendedKeyUsage taken for
serverAuth), which OpenSSL 3's own purpose check refuses first (verify error 26). Of the
11 other survivors, one (temp-prefix) was caught by the existing suite in another file
(test_pki_initiator_transfer.py, whose probes check the `.sft-partial-` prefix); the
other ten are caught by the round's new files: test_client_pki_cert_variants.py,
test_client_put_renamed.py, test_enroll_answers.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(owner, attr, *edits)


def _client() -> Any:
    return _module("reference.pki.client")


def _tls() -> Any:
    return _module("reference.pki.tls")


def _enroll() -> Any:
    return _module("reference.pki.enroll")


# --- the initiator's certificate and identity checks --------------------------------


def _id_trailing_dot() -> None:
    # A host-name habit: "bob." is "bob" (a fully qualified name's root dot).
    _patch(
        _client().PkiSession,
        "_connect_once",
        ("if name != self.alias:", 'if name.rstrip(".") != self.alias.rstrip("."):'),
    )


def _id_after_get() -> None:
    # The alias is checked once the get is over (the file removed on mismatch): the
    # request has gone to whoever answered.
    client = _client()
    _patch(client.PkiSession, "_connect_once", ("if name != self.alias:", "if False:"))
    original_get = client.PkiSession.get

    def get(self: Any, name: str, destination: Path, **kw: Any) -> int:
        size = int(original_get(self, name, destination, **kw))
        actual = _tls().peer_alias(self._sock, as_server=False)
        if actual != self.alias:
            destination.unlink(missing_ok=True)
            raise client.PkiClientError(f"the peer is {actual}, not {self.alias}")
        return size

    client.PkiSession.get = get


def _bc_ca_noncrit() -> None:
    # Only a critical BasicConstraints is taken as binding.
    _patch(
        _tls(),
        "check_peer_certificate",
        ("if bc.value.ca or not bc.critical:", "if bc.critical and bc.value.ca:"),
    )


def _algo_sha_blacklist() -> None:
    # "SHA-256 (not SHA-1)" read as "no SHA-1": SHA-384/512 signatures pass.
    _patch(
        _tls(),
        "_check_algorithms",
        (
            "if not isinstance(cert.signature_hash_algorithm, hashes.SHA256):",
            "if isinstance(cert.signature_hash_algorithm, (hashes.SHA1, hashes.MD5)):",
        ),
    )


def _rsa_2048_refused() -> None:
    # "RSA >= 2048" coded as "more than 2048".
    _patch(
        _tls(),
        "_check_algorithms",
        ("if key.key_size < 2048:", "if key.key_size <= 2048:"),
    )


def _ku_keyenc() -> None:
    # RSA habit from TLS 1.2: keyEncipherment stands in for digitalSignature.
    _patch(
        _tls(),
        "check_peer_certificate",
        ("if not ku.digital_signature:", "if not (ku.digital_signature or ku.key_encipherment):"),
    )


def _tls12_client() -> None:
    tls = _tls()
    original = tls.client_context

    def client_context(identity: Any, crl_der: bytes) -> Any:
        ctx = original(identity, crl_der)
        ctx.minimum_version = _module("ssl").TLSVersion.TLSv1_2  # "compatibility"
        return ctx

    tls.client_context = client_context
    _client().client_context = client_context


def _sigalgs_wide() -> None:
    # The signature algorithms left at a broad list (P-384, Ed25519, PKCS#1 v1.5).
    tls = _tls()
    tls.TLS13_SIGALGS = (
        tls.TLS13_SIGALGS + ":ecdsa_secp384r1_sha384:ed25519:rsa_pkcs1_sha384:rsa_pkcs1_sha512"
    )


# --- the initiator's transfers --------------------------------------------------------


def _get_rsfl_sha_ignored() -> None:
    _patch(
        _module("reference.app")._Transfer,
        "check_done",
        ("if self.expected_sha256 is not None and self.expected_sha256 != sha:", "if False:"),
    )


def _get_announced_unchecked() -> None:
    # DONE checked against the data, RSFL's size forgotten.
    _patch(
        _module("reference.app")._Transfer,
        "check_done",
        ("done.size == self.announced == self.count", "done.size == self.count"),
    )


def _get_replace_commit() -> None:
    # Existence checked once before connecting; the rename replaces whatever is there.
    _patch(
        _module("reference.transfer").Initiator,
        "get",
        ("partial.commit(overwrite=overwrite)", "partial.commit(overwrite=True)"),
    )


def _sweep_cwd() -> None:
    # Stale temporaries swept in the working directory, not the output directory.
    _patch(
        _module("reference.cli.pki"),
        "_get",
        ('destination.parent if str(destination.parent) else Path(".")', 'Path(".")'),
    )


def _temp_prefix() -> None:
    # A `.NAME.XXXX.part` temporary (the download-manager idiom), not `.sft-partial-`.
    _patch(
        _module("reference.share").PartialFile,
        "__init__",
        (
            'self.temp_name = f"{PARTIAL_PREFIX}{secrets.token_hex(12)}"',
            'self.temp_name = f".{final_name}.{secrets.token_hex(6)}.part"',
        ),
    )


def _integrity_eror_internal() -> None:
    # Every local failure goes out as `internal`.
    _patch(
        _module("reference.transfer")._Channel,
        "fail",
        ("code = exc.code if exc.code.fatal else ErrorCode.INTERNAL", "code = ErrorCode.INTERNAL"),
    )


def _put_accept_optional() -> None:
    messages = _module("reference.messages")
    messages._SCHEMAS["RSFL-put"] = {"accept": ("true", False), "name": ("str", True)}


def _put_name_strict() -> None:
    _patch(
        _module("reference.transfer").Initiator,
        "put",
        (
            "assert isinstance(accepted, PutAccepted)",
            "assert isinstance(accepted, PutAccepted)\n"
            "            if accepted.name != name:\n"
            "                raise RemoteProtocolError(ErrorCode.BAD_FRAME, 'renamed')",
        ),
    )


def _put_eof_success() -> None:
    # The responder closed after our DONE: it must have stored the file.
    _patch(
        _module("reference.transfer").Initiator,
        "put",
        (
            "            ack = self._answer()\n            assert isinstance(ack, Done)\n",
            "            try:\n"
            "                ack = self._answer()\n"
            "            except TruncatedStream:\n"
            "                return accepted.name\n",
        ),
    )


def _put_exists_success() -> None:
    # An idempotent put: the responder already has a file of that name, so done.
    transfer = _module("reference.transfer")
    original = transfer.Initiator.put

    def put(self: Any, source: Path, name: str | None = None, **kw: Any) -> str:
        try:
            return str(original(self, source, name, **kw))
        except transfer.TransferRefused as exc:
            if exc.code is transfer.ErrorCode.EXISTS:
                return name or source.name
            raise

    transfer.Initiator.put = put


# --- the enrolment client ------------------------------------------------------------


def _enr_no_hostname() -> None:
    _patch(
        _tls(), "https_client_context", ("ctx.check_hostname = True", "ctx.check_hostname = False")
    )
    _enroll().https_client_context = _tls().https_client_context


def _enr_cn_fallback() -> None:
    _patch(
        _tls(),
        "https_client_context",
        ("ctx.hostname_checks_common_name = False", "ctx.hostname_checks_common_name = True"),
    )
    _enroll().https_client_context = _tls().https_client_context


def _enr_system_trust() -> None:
    _patch(
        _tls(),
        "https_client_context",
        (
            "_load_trust(ctx, root_pem, None)",
            "_load_trust(ctx, root_pem, None)\n    ctx.load_default_certs()",
        ),
    )
    _enroll().https_client_context = _tls().https_client_context


def _enr_expired_retry() -> None:
    # "Clock skew": the CA's certificate dates are not checked (X509_V_FLAG_NO_CHECK_TIME).
    tls = _tls()
    original = tls.https_client_context

    def https_client_context(root_pem: bytes) -> Any:
        ctx = original(root_pem)
        ctx.verify_flags = ctx.verify_flags | 0x200000
        return ctx

    tls.https_client_context = https_client_context
    _enroll().https_client_context = https_client_context


def _enr_cn_also() -> None:
    # Belt and braces: the CA's CN must be its host name as well as its SAN.
    enroll = _enroll()
    _patch(
        enroll.CaClient,
        "request",
        (
            "        response = conn.getresponse()\n",
            "        response = conn.getresponse()\n"
            "        _cn = [v for ((k, v),) in conn.sock.getpeercert()['subject']"
            " if k == 'commonName']\n"
            "        if _cn != [host]:\n"
            "            raise OSError('the CA certificate does not name ' + host)\n",
        ),
    )


def _enr_key_unchecked() -> None:
    _patch(_enroll(), "enroll", ("if cert.public_key() != key.public_key():", "if False:"))


def _enr_2xx() -> None:
    _patch(_enroll(), "enroll", ("if status != 200:", "if not 200 <= status < 300:"))


def _enr_key_first() -> None:
    # The key is saved before the request, "so that it is never lost".
    _patch(
        _enroll(),
        "enroll",
        (
            "    key = generate_key(key_type)\n",
            "    key = generate_key(key_type)\n"
            "    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)\n"
            "    write_private(Identity(out_dir).key, private_key_pem(key))\n",
        ),
    )


def _enr_key_mode() -> None:
    # "No access for others" read as o-rwx only: the group may read the key.
    _patch(_module("reference.pki.ca"), "write_private", ("0o600", "0o640"))


def _enr_body_regex() -> None:
    # The certificate fished out of the body, whatever the body is.
    _patch(
        _enroll(),
        "enroll",
        (
            'cert_pem = json.loads(data)["certificate"].encode()',
            "cert_pem = __import__('re').search(rb'-----BEGIN CERTIFICATE-----.*?"
            "-----END CERTIFICATE-----', data.replace(b'\\\\n', b'\\n'), 16).group(0)",
        ),
    )


def _wrap_password_file(transform: Any) -> None:
    options = _module("reference.cli.options")
    original = options.read_password_file

    def read_password_file(path: Path) -> str:
        return str(transform(path, original))

    options.read_password_file = read_password_file


def _pwf_strip() -> None:
    _wrap_password_file(lambda path, original: original(path).strip())


def _pwf_bom() -> None:
    _wrap_password_file(lambda path, original: original(path).removeprefix("\ufeff"))


def _pwf_ascii() -> None:
    def read(path: Path, original: Any) -> str:
        password = original(path)
        if not password.isascii():
            from reference.cli import CommandError

            raise CommandError("the password file must be ASCII", 2)
        return str(password)

    _wrap_password_file(read)


def _m(name: str, req: str, test: str, desc: str, apply: Any, **kw: Any) -> Mutant:
    return Mutant(
        name=f"b10cl2-{name}",
        group="blind10-client2",
        profile="pki",
        requirement=req,
        test_file=test,
        description=desc,
        apply=apply,
        client=True,
        **kw,
    )


_CERTS = "test_pki_certs.py"
_XFER = "test_pki_initiator_transfer.py"
_PUT = "test_client_put.py"
_ENR = "test_enroll_client.py"

MUTANTS: tuple[Mutant, ...] = (
    _m("id-trailing-dot", "PKI-ID-4", "test_client_pki_cert_variants.py",
       "the initiator's alias check ignores a trailing dot (CN bob. passes for bob)",
       _id_trailing_dot),
    _m("id-after-get", "PKI-ID-1", "test_pki_identity.py",
       "the initiator checks the responder's alias only after its get (RQFL already sent)",
       _id_after_get),
    _m("bc-ca-noncrit", "PKI-CERT-6", "test_client_pki_cert_variants.py",
       "the initiator accepts CA:TRUE when BasicConstraints is not critical", _bc_ca_noncrit),
    _m("algo-sha-blacklist", "PKI-CERT-9", _CERTS,
       "the initiator refuses only SHA-1/MD5 signatures (SHA-384 passes)", _algo_sha_blacklist),
    _m("rsa-2048-refused", "PKI-CERT-9", "test_client_pki_cert_variants.py",
       "the initiator refuses an RSA-2048 responder (> 2048 for >= 2048)", _rsa_2048_refused),
    _m("ku-keyenc", "PKI-CERT-9", _CERTS,
       "the initiator accepts keyEncipherment in place of digitalSignature", _ku_keyenc),
    _m("tls12-client", "PKI-TLS-1", "test_client_pki_cert_variants.py",
       "the initiator allows TLS 1.2", _tls12_client),
    _m("sigalgs-wide", "PKI-TLS-11", "test_pki_hardening.py",
       "the initiator offers P-384, Ed25519 and PKCS#1 signature algorithms", _sigalgs_wide,
       strict=True),
    _m("get-rsfl-sha-ignored", "APP-GET-3", _XFER,
       "the initiator ignores RSFL.sha256", _get_rsfl_sha_ignored),
    _m("get-announced-unchecked", "APP-GET-3", _XFER,
       "the initiator checks DONE against the data, not RSFL's size", _get_announced_unchecked),
    _m("get-replace-commit", "APP-GET-6", _XFER,
       "the initiator's rename replaces a name that appeared (or a dangling symlink)",
       _get_replace_commit),
    _m("sweep-cwd", "APP-STORE-3", _XFER,
       "the initiator sweeps stale temporaries in its working directory, not the output's",
       _sweep_cwd),
    _m("temp-prefix", "APP-STORE-1", _XFER,
       "the initiator's temporary is .NAME.XXXX.part, not .sft-partial-*", _temp_prefix),
    _m("integrity-eror-internal", "APP-GET-3", _XFER,
       "the initiator reports an integrity failure to the responder as `internal`",
       _integrity_eror_internal),
    _m("put-accept-optional", "APP-PUT-9", _PUT,
       "the initiator takes an RSFL without `accept` as an acceptance", _put_accept_optional),
    _m("put-name-strict", "APP-PUT-9", "test_client_put_renamed.py",
       "the initiator fails a put whose RSFL{accept}.name differs from the offered name",
       _put_name_strict),
    _m("put-eof-success", "APP-PUT-10", _PUT,
       "the initiator reports success when the responder closes instead of its DONE",
       _put_eof_success),
    _m("put-exists-success", "APP-PUT-10", _PUT,
       "the initiator reports a put refused `exists` as succeeded", _put_exists_success),
    _m("enr-no-hostname", "CA-ENR-18", _ENR,
       "the enrolment client does not check the CA's host name", _enr_no_hostname, enroll=True),
    _m("enr-cn-fallback", "CA-ENR-18", _ENR,
       "the enrolment client accepts the CA's CN as its host name", _enr_cn_fallback,
       enroll=True),
    _m("enr-system-trust", "PKI-TLS-4", "test_enroll_answers.py",
       "the enrolment client also trusts the system store", _enr_system_trust, enroll=True),
    _m("enr-expired-retry", "PKI-CERT-3", _ENR,
       "the enrolment client ignores the CA certificate's validity dates", _enr_expired_retry,
       enroll=True),
    _m("enr-cn-also", "CA-ENR-18", "test_enroll_answers.py",
       "the enrolment client also requires the CA certificate's CN to be its host",
       _enr_cn_also, enroll=True),
    _m("enr-key-unchecked", "CA-ENR-12", _ENR,
       "the enrolment client keeps a certificate for another key", _enr_key_unchecked,
       enroll=True),
    _m("enr-2xx", "CA-ENR-12", "test_enroll_answers.py",
       "the enrolment client keeps a certificate from any 2xx answer", _enr_2xx, enroll=True),
    _m("enr-key-first", "CA-ENR-12", "test_enroll_answers.py",
       "the enrolment client writes its new key before the answer (an old cert stays)",
       _enr_key_first, enroll=True),
    _m("enr-key-mode", "CA-ENR-12", _ENR,
       "the enrolment client writes the key 0640", _enr_key_mode, enroll=True),
    _m("enr-body-regex", "CA-ENR-12", "test_enroll_answers.py",
       "the enrolment client takes any PEM certificate found in the body", _enr_body_regex,
       enroll=True),
    _m("pwf-strip", "PWF-1", _ENR,
       "the enrolment client strips the password file's white space", _pwf_strip, enroll=True),
    _m("pwf-bom", "PWF-1", _ENR,
       "the enrolment client drops a leading byte order mark", _pwf_bom, enroll=True),
    _m("pwf-ascii", "PWF-1", _ENR,
       "the enrolment client refuses a non-ASCII password", _pwf_ascii, enroll=True),
)
