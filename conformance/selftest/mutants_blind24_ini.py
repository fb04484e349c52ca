"""Blind red-team round 24 (helper B156): the sft-pki/1 initiator (`sft get`, `sft put`)
and the enrolment client (`sft enroll`), through the six lenses of /work/briefs/s24/common.md.

Phase 1 (blind): written from docs/SPEC.md (§0-§4, §6) and the reference's initiator and
enrolment client (reference/pki/client.py, enroll.py, tls.py, alias.py, transfer.py,
app.py, cli/pki.py) before any case file was opened, then checked against the names and
descriptions of the registered client and enrolment mutants. Replaced as repeats (r): a
401 retried with the password stripped (b11cl2-enroll-retry-trimmed), a DONE without
sha256 taken on its size (b11cli-done-sha-optional), digests written without their
leading zeros (b19ini-digest-biginteger); dropped as unobservable: a no_application_protocol
alert answered by a retry without ALPN (Python's TLS server never sends that alert, so no
tester can make it).

Lens 1 — what the authenticator does not cover:
- b24ini-enr-dup-cert-split: the enrolment answer is read twice: the checks (key, CN, root)
  on json.loads' value of `certificate` (the last member wins), cert.pem written from an
  event reader's first `certificate` member: an answer naming the member twice stores an
  unchecked certificate beside our key (CA-ENR-12).
Lens 2 — legacy and downgrade bleed:
- b24ini-legacy-cert-no-extensions: a responder certificate with no extensions at all is
  taken for a legacy (sft-pki/0 era, X.509 v1 style) certificate: only its alias and
  algorithms are checked, BasicConstraints, KeyUsage and EKU never (PKI-CERT-9).
- b24ini-enr-legacy-text-plain: an enrolment answer of `Content-Type: text/plain` is read
  as the legacy CA's answer (LEG-CA-FMT-2: the PEM itself), not as the JSON of CA-ENR-2
  (CA-ENR-12).
Lens 3 — the scanner's checklist:
- b24ini-enr-groups-p521: the enrolment client's HTTPS context adds secp521r1 to
  PKI-TLS-9's groups ("the strongest curve for the connection carrying the password")
  (PKI-TLS-9 through CA-ENR-18).
- b24ini-enr-suite-ccm8: the enrolment client's HTTPS context offers
  TLS_AES_128_CCM_8_SHA256 beside PKI-TLS-9's suites (PKI-TLS-9 through CA-ENR-18).
Lens 4 — the second-order fix:
- b24ini-alias-sep-folded: alias typos forgiven: the PKI-ID-1 comparison folds runs of
  `-`, `_` and `.` into one `-` (PEP 503's name normalisation) on both sides: a responder
  `bob_x` passes for `bob-x` (PKI-ID-4).
- b24ini-put-retry-exists-stored: a put whose connection ends where the responder's DONE
  should come is offered again on a new connection; `exists` there is taken as proof that
  the first attempt was stored: exit 0 without any receipt (APP-PUT-10).
Lens 5 — debug and test leftovers:
- b24ini-enr-key-debug-copy: the request is kept for debugging as request.pem, the new
  private key and the CSR together (`openssl req -nodes -out` habit), mode 0644
  (CA-ENR-12).
Lens 6 — fitted to the examples:
- b24ini-enr-alias-host-label: `sft enroll` checks the alias as a DNS label (it becomes a
  CN, "like a host name"): an alias with `_` or `.`, ending in `-` or 64 characters long
  is refused before anything is sent (PKI-CERT-2).
- b24ini-enr-body-4k: the CA's answer is read into a 4 KiB buffer ("a certificate is about
  1 KB"): a longer honest answer (white space, `\\u` escapes, an RSA key) is cut and the
  enrolment fails (CA-ENR-12).

Blind run (phase 2: the named file, then every file citing the requirement): 3 of 10
detected — enr-groups-p521 and enr-suite-ccm8 (test_enroll_tls.py), enr-key-debug-copy
(test_enroll_client.py's honest control: every PEM private key under {out} must be 0600).
The other 7 were missed by every case file citing their requirement.

Phase 3, cases for their CLASS (each PASSes the reference three times, pki1 and pki2):
  enr-dup-cert-split           test_enroll_answer_member_twice.py: `certificate` twice, the
      honest one and one for another key (first, last) or for another alias: exit 0 only
      with a certificate for our key and alias, nothing else stored beside the key —
      sibling: enr-dup-cert-first-checked
  legacy-cert-no-extensions    test_client_pki_extensionless_certs.py: v3 without
      extensions, v1, key identifiers only: refused — sibling: v1-cert-unchecked
  enr-legacy-text-plain        test_enroll_answer_bare_pem.py: the right certificate as a
      bare PEM (text/plain, x-pem-file, application/json) or DER body: non-zero exit —
      sibling: enr-pem-sniffed
  alias-sep-folded             test_client_pki_alias_separators.py: sft-peer asked, CN
      sft_peer, sft--peer, sftpeer, sft.peer; sft_peer/sft-peer; sft.peer/sft-_peer:
      refused — sibling: alias-sep-dropped
  put-retry-exists-stored      test_client_pki_put_receipt_retry.py: no receipt (close,
      EROR internal, EROR integrity_failed), every later PUTF answered exists: non-zero exit
  enr-alias-host-label         test_enroll_alias_forms.py: _ . trailing - 64 characters,
      one character, digit first, trailing dot: enrolled — sibling: enr-alias-len-63
  enr-body-4k                  test_enroll_answer_long_spellings.py: the PEM all \\u escapes
      (~5 KiB), 20 KiB of white space: enrolled — sibling: enr-body-8k
"""

from __future__ import annotations

import re
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind24-ini"


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(owner, attr, *edits)


def _patch_m(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(owner, attr, *edits)


def _enroll_mod() -> Any:
    return _module("reference.pki.enroll")


def _client() -> Any:
    return _module("reference.pki.client")


def _tls() -> Any:
    return _module("reference.pki.tls")


_BC_TRY = "    try:\n        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)\n"
_CERT_LOAD = '        cert_pem = json.loads(data)["certificate"].encode()\n'


# --- lens 1 -----------------------------------------------------------------------------


def _enr_dup_cert_split() -> None:
    mod = _enroll_mod()
    json = _module("json")

    def first_member(data: bytes, key: str) -> bytes:
        seen: list[Any] = []

        def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            for k, v in pairs:
                if k == key and not seen:
                    seen.append(v)
            return dict(pairs)

        json.loads(data, object_pairs_hook=hook)
        return str(seen[0]).encode() if seen else b""

    mod._b24_first_member = first_member
    _patch(
        mod,
        "enroll",
        (
            _CERT_LOAD,
            _CERT_LOAD + '        _b24_stored = _b24_first_member(data, "certificate")\n',
        ),
        (
            "        (identity.cert, cert.public_bytes(serialization.Encoding.PEM)),\n",
            "        (identity.cert, _b24_stored),\n",
        ),
    )


# --- lens 2 -----------------------------------------------------------------------------


def _legacy_cert_no_extensions() -> None:
    _patch(
        _tls(),
        "check_peer_certificate",
        (
            _BC_TRY,
            "    if not list(cert.extensions):  # a legacy certificate: nothing to check\n"
            "        _check_algorithms(cert, alias)\n"
            "        return alias\n" + _BC_TRY,
        ),
    )


def _enr_legacy_text_plain() -> None:
    _patch(
        _enroll_mod(),
        "enroll",
        (
            _CERT_LOAD,
            '        if headers.get("content-type", "").lower().startswith("text/plain"):\n'
            "            cert_pem = data  # the legacy CA's answer: the PEM itself\n"
            "        else:\n"
            "    " + _CERT_LOAD,
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _enr_groups_p521() -> None:
    # `sft enroll` makes TLS contexts for the CA only: the pinned list is the CA's.
    _tls().TLS13_GROUPS = "X25519:P-256:P-384:P-521"


def _enr_suite_ccm8() -> None:
    _tls().TLS13_CIPHERSUITES = (
        "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"
        "TLS_AES_128_CCM_8_SHA256"
    )


# --- lens 4 -----------------------------------------------------------------------------


def _alias_sep_folded() -> None:
    client = _client()
    client._b24_fold = lambda text: re.sub(r"[-_.]+", "-", text)
    _patch_m(
        client.PkiSession,
        "_connect_once",
        (
            "            if name != self.alias:  # [PKI-ID-1]\n",
            "            if _b24_fold(name) != _b24_fold(self.alias):  # [PKI-ID-1]\n",
        ),
    )


def _put_retry_exists_stored() -> None:
    client = _client()
    transfer = _module("reference.transfer")
    errors = _module("reference.errors")
    app = _module("reference.app")
    contextlib = _module("contextlib")
    session_cls = client.PkiSession
    connect = session_cls._connect

    def remembering_connect(self: Any, context: Any, host: str, port: int) -> Any:
        self._b24_where = (context, host, port)
        return connect(self, context, host, port)

    def put(self: Any, source: Any, name: str | None = None, *, progress: Any = None) -> str:
        what = f"put {source.name}"
        caught = (
            transfer.TransferRefused,
            transfer.TransferFailed,
            errors.ProtocolError,
            OSError,
            ValueError,
        )
        try:
            return str(self._initiator.put(source, name, progress=progress))
        except transfer.TransferFailed as exc:
            lost = not exc.remote or exc.code is errors.ErrorCode.INTERNAL
            if not lost:
                raise self._translate(exc, what) from None
        except OSError:
            pass
        except caught as exc:
            raise self._translate(exc, what) from None
        # The connection ended without the receipt: offer the put again (idempotent:
        # the responder never overwrites, so `exists` means our first attempt landed).
        with contextlib.suppress(Exception):
            client.close_tls(self._sock)
        self._sock = self._connect(*self._b24_where)
        self._initiator = transfer.Initiator(
            self._sock, app.AppConfig(self.config.max_frame_payload), self.config.max_file_size
        )
        try:
            return str(self._initiator.put(source, name, progress=progress))
        except transfer.TransferRefused as exc:
            if exc.code is errors.ErrorCode.EXISTS:
                return (name or source.name).rsplit("/", 1)[-1]
            raise self._translate(exc, what) from None
        except caught as exc:
            raise self._translate(exc, what) from None

    session_cls._connect = remembering_connect
    session_cls.put = put


# --- lens 5 -----------------------------------------------------------------------------


def _enr_key_debug_copy() -> None:
    _patch(
        _enroll_mod(),
        "enroll",
        (
            "    write_private(identity.key, private_key_pem(key))\n",
            "    write_private(identity.key, private_key_pem(key))\n"
            "    write_public(  # kept for debugging, as `openssl req -nodes -out` does\n"
            '        out_dir / "request.pem",\n'
            "        private_key_pem(key) + csr.public_bytes(serialization.Encoding.PEM),\n"
            "    )\n",
        ),
    )


# --- lens 6 -----------------------------------------------------------------------------


def _enr_alias_host_label() -> None:
    ca = _module("reference.pki.ca")
    label = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")

    def check_alias(alias: str) -> str:
        if not label.fullmatch(alias):
            raise ca.CaError(f"invalid alias {alias[:64]!r}: it must be a host name label")
        return alias

    ca.check_alias = check_alias


def _enr_body_4k() -> None:
    _patch_m(
        _enroll_mod().CaClient,
        "request",
        ("            data = response.read(1 << 20)\n", "            data = response.read(4096)\n"),
    )


# --- post-blind siblings (class checks of the new cases) ----------------------------------


def _alias_sep_dropped() -> None:
    client = _client()
    client._b24_fold = lambda text: re.sub(r"[-_.]", "", text)
    _patch_m(
        client.PkiSession,
        "_connect_once",
        (
            "            if name != self.alias:  # [PKI-ID-1]\n",
            "            if _b24_fold(name) != _b24_fold(self.alias):  # [PKI-ID-1]\n",
        ),
    )


def _v1_cert_unchecked() -> None:
    _patch(
        _tls(),
        "check_peer_certificate",
        (
            _BC_TRY,
            "    if cert.version is x509.Version.v1:  # v1 has no extensions to check\n"
            "        _check_algorithms(cert, alias)\n"
            "        return alias\n" + _BC_TRY,
        ),
    )


def _enr_dup_cert_first_checked() -> None:
    mod = _enroll_mod()
    json = _module("json")

    def first_member(data: bytes, key: str) -> Any:
        seen: list[Any] = []

        def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            for k, v in pairs:
                if k == key and not seen:
                    seen.append(v)
            return dict(pairs)

        json.loads(data, object_pairs_hook=hook)
        return seen[0] if seen else None

    mod._b24_first_value = first_member
    _patch(
        mod,
        "enroll",
        (
            _CERT_LOAD,
            '        cert_pem = _b24_first_value(data, "certificate").encode()\n'
            '        _b24_stored = json.loads(data)["certificate"].encode()\n',
        ),
        (
            "        (identity.cert, cert.public_bytes(serialization.Encoding.PEM)),\n",
            "        (identity.cert, _b24_stored),\n",
        ),
    )


def _enr_pem_sniffed() -> None:
    _patch(
        _enroll_mod(),
        "enroll",
        (
            _CERT_LOAD,
            '        if data.lstrip().startswith(b"-----BEGIN CERTIFICATE"):\n'
            "            cert_pem = data  # a CA that sends the PEM itself\n"
            "        else:\n"
            "    " + _CERT_LOAD,
        ),
    )


def _enr_body_8k() -> None:
    _patch_m(
        _enroll_mod().CaClient,
        "request",
        ("            data = response.read(1 << 20)\n", "            data = response.read(8192)\n"),
    )


def _enr_alias_len_63() -> None:
    ca = _module("reference.pki.ca")
    pattern = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")

    def check_alias(alias: str) -> str:
        if not pattern.fullmatch(alias):
            raise ca.CaError(f"invalid alias {alias[:64]!r}")
        return alias

    ca.check_alias = check_alias


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
        "b24ini-enr-dup-cert-split",
        "CA-ENR-12",
        "test_enroll_answer_member_twice.py",
        "L1: the enrolment answer is checked on json.loads' `certificate` (the last member "
        "wins) and cert.pem is written from the first `certificate` member: an answer naming "
        "it twice stores an unchecked certificate beside our key",
        _enr_dup_cert_split,
        enroll=True,
        default=True,
    ),
    _m(
        "b24ini-legacy-cert-no-extensions",
        "PKI-CERT-9",
        "test_client_pki_extensionless_certs.py",
        "L2: a responder certificate without any extension is taken for a legacy (sft-pki/0 "
        "era) certificate: alias and algorithms checked, BasicConstraints, KeyUsage and EKU "
        "never",
        _legacy_cert_no_extensions,
    ),
    _m(
        "b24ini-enr-legacy-text-plain",
        "CA-ENR-12",
        "test_enroll_answer_bare_pem.py",
        "L2: an enrolment answer with Content-Type text/plain is read as the legacy CA's "
        "answer (LEG-CA-FMT-2: the PEM itself), not as CA-ENR-2's JSON",
        _enr_legacy_text_plain,
        enroll=True,
    ),
    _m(
        "b24ini-enr-groups-p521",
        "PKI-TLS-9",
        "test_enroll_tls.py",
        "L3: the enrolment client's HTTPS context offers secp521r1 beside PKI-TLS-9's groups",
        _enr_groups_p521,
        enroll=True,
    ),
    _m(
        "b24ini-enr-suite-ccm8",
        "PKI-TLS-9",
        "test_enroll_tls.py",
        "L3: the enrolment client's HTTPS context offers TLS_AES_128_CCM_8_SHA256 beside "
        "PKI-TLS-9's suites",
        _enr_suite_ccm8,
        enroll=True,
    ),
    _m(
        "b24ini-alias-sep-folded",
        "PKI-ID-4",
        "test_client_pki_alias_separators.py",
        "L4: the PKI-ID-1 comparison folds runs of -, _ and . into one - on both sides "
        "(PEP 503's normalisation): a responder bob_x passes for bob-x",
        _alias_sep_folded,
    ),
    _m(
        "b24ini-put-retry-exists-stored",
        "APP-PUT-10",
        "test_client_pki_put_receipt_retry.py",
        "L4: a put whose connection ends in place of the responder's DONE is offered again on "
        "a new connection, and `exists` there is taken for 'the first attempt was stored': "
        "exit 0 without a receipt",
        _put_retry_exists_stored,
    ),
    _m(
        "b24ini-enr-key-debug-copy",
        "CA-ENR-12",
        "test_enroll_client.py",
        "L5: the request is kept for debugging as request.pem in the identity directory: the "
        "new private key and the CSR, mode 0644",
        _enr_key_debug_copy,
        enroll=True,
    ),
    _m(
        "b24ini-enr-alias-host-label",
        "PKI-CERT-2",
        "test_enroll_alias_forms.py",
        "L6: `sft enroll` checks the alias as a DNS label: an alias with _ or ., ending in - "
        "or of 64 characters is refused before anything is sent",
        _enr_alias_host_label,
        enroll=True,
    ),
    _m(
        "b24ini-enr-body-4k",
        "CA-ENR-12",
        "test_enroll_answer_long_spellings.py",
        "L6: the CA's answer is read into a 4 KiB buffer: a longer honest answer (white "
        "space, \\u escapes) is cut and the enrolment fails",
        _enr_body_4k,
        enroll=True,
    ),
    _m(
        "b24ini-alias-sep-dropped",
        "PKI-ID-4",
        "test_client_pki_alias_separators.py",
        "L4 (post-blind): the PKI-ID-1 comparison ignores the separators -, _ and . on both "
        "sides: a responder sftpeer passes for sft-peer",
        _alias_sep_dropped,
    ),
    _m(
        "b24ini-v1-cert-unchecked",
        "PKI-CERT-9",
        "test_client_pki_extensionless_certs.py",
        "L2 (post-blind): an X.509 v1 responder certificate is checked for its alias and "
        "algorithms only ('v1 has no extensions'): BasicConstraints, KeyUsage, EKU never",
        _v1_cert_unchecked,
    ),
    _m(
        "b24ini-enr-dup-cert-first-checked",
        "CA-ENR-12",
        "test_enroll_answer_member_twice.py",
        "L1 (post-blind): the enrolment answer's first `certificate` member is checked and "
        "json.loads' value (the last member) is stored",
        _enr_dup_cert_first_checked,
        enroll=True,
    ),
    _m(
        "b24ini-enr-pem-sniffed",
        "CA-ENR-12",
        "test_enroll_answer_bare_pem.py",
        "L2 (post-blind): an enrolment answer whose body starts with -----BEGIN CERTIFICATE "
        "is read as the PEM itself, whatever its Content-Type",
        _enr_pem_sniffed,
        enroll=True,
    ),
    _m(
        "b24ini-enr-body-8k",
        "CA-ENR-12",
        "test_enroll_answer_long_spellings.py",
        "L6 (post-blind): the CA's answer is read into an 8 KiB buffer: an honest answer with "
        "20 KiB of white space is cut and the enrolment fails",
        _enr_body_8k,
        enroll=True,
    ),
    _m(
        "b24ini-enr-alias-len-63",
        "PKI-CERT-2",
        "test_enroll_alias_forms.py",
        "L6 (post-blind): `sft enroll` checks the alias with a repeat of {0,62}: a valid alias "
        "of 64 characters is refused before anything is sent",
        _enr_alias_len_63,
        enroll=True,
    ),
)
