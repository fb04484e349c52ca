"""Blind red-team round 27, second pass (helper B211): the sft-pki/1 initiator (`sft get`,
`sft put`) and the enrolment client (`sft enroll`), through the six lenses of
/work/briefs/s27/common.md, aimed at the lenses the first pass used least (5: two faults
at once; 6: beyond the toy sizes; 3: cross-references).

Phase 1 (blind): written from docs/SPEC.md (PWF, §1-§3 client side, §4.1-§4.3 initiator
side, §4.4's enrolment-client sentences) and the reference's initiator and enrolment client
(reference/pki/client.py, tls.py, enroll.py, transfer.py, app.py, share.py, cli/pki.py),
before any case file was opened; then checked against the registered mutants' names and
descriptions. Replaced as repeats (r): a CRL lifetime judged in whole days
(b16pcl-crl-validity-days), the alias repeat {0,62} (lead17-ini-alias-length-bounds,
b24ini-enr-alias-len-63), a put pipelined for small files (b21bini-put-small-pipelined), a
temporary named after the final name (b25client-store1-temp-has-name), an EROR read by its
name (b24client-eror-by-name), an RSFL.sha256 of the wrong form read as absent
(b13cl-rsfl-digest-undecodable), a control limit per path (b21ini-control-limit-first-answer),
an EROR auth_failed on an alias mismatch (b12cl2-eror-on-id-mismatch), following a CA's
redirect (b13cl3-enr-follows-redirect), a 2xx enrolment answer kept (b10cl2-enr-2xx).

Lens 1 — the thin MUSTs, recounted:
- b27bini-enr-keylog-on-retry (PKI-TLS-8, enrolment: 3): the enrolment's first POST runs
  on the pinned context; its retries after `503 busy` build theirs with the TLS library's
  habits, which honour SSLKEYLOGFILE.
- b27bini-large-get-in-place (APP-STORE-5: 3; also lens 6): a get of 4 MiB or more is
  written straight under its final name (created O_EXCL, no temporary: "no double disk
  space"), unlinked on every failure the client survives; SIGKILL leaves a partial file.
Lens 3 — cross-references:
- b27bini-enr-pw-check-head (PWF-2, enrolment): the CA's message is searched for the
  password within ERR-5's "64 characters" only, and shown up to 200: a message quoting
  the password after its 64th character is printed.
Lens 5 — two faults at once:
- b27bini-ku-extra-skips-eku (PKI-CERT-5): a responder certificate whose KeyUsage holds
  keyEncipherment beside digitalSignature (a departure PKI-CERT-9 lets an endpoint accept)
  takes the "RSA-era profile, accepted" branch, which returns before the EKU and algorithm
  checks: such a certificate without serverAuth (or on P-384) passes.
Lens 6 — beyond the toy sizes:
- b27bini-crl-file-64k (PKI-CERT-11): the --crl file is read with one 64 KiB read (a C
  buffer): a CRL of more entries than fit in 64 KiB is cut and refused, and honest
  responders with it.
Dropped after judging: b27bini-crl-cache-over-file (PKI-CERT-7: a fresh cached crl.der
  preferred to the --crl file given): where a client caches its CRL is its own business,
  so no portable case can plant the stale cache; the one citing run that caught it
  (test_pki_client_crl_same_cert_again.py) did not repeat it against that file alone.
Post-blind siblings (phase 3, proving the new cases catch the class):
- b27bini-post-ku-agreement-skips (PKI-CERT-5): keyAgreement in the KeyUsage returns
  before the EKU and algorithm checks.
- b27bini-post-crl-file-128k (PKI-CERT-11): the --crl file cut to a 128 KiB buffer.
- b27bini-post-get-in-place-64m (APP-STORE-5): the in-place path above 64 MiB only.

Phase 2 (judge): caught by an existing file — enr-keylog-on-retry
(test_enroll_busy_retry_hellos.py), enr-pw-check-head (test_client_output_secrets.py).
Missed by the named file and by every file citing the requirement — ku-extra-skips-eku
(test_client_pki_certs.py: OpenSSL's own EKU purpose check refuses a present EKU without
serverAuth, and the suite's missing-EKU certificates carry digitalSignature alone),
crl-file-64k (test_pki_initiator_crl_file.py: its largest CRL is 300 entries, ~10 KB),
large-get-in-place (test_pki_initiator_transfer.py: its SIGKILL get is small).

Phase 3, cases for their CLASS (each PASSes the reference three times, and pki1, pki2,
pki6, pki7, pki5 with the slow parameters too):
  ku-extra-skips-eku   test_pki_client_tolerated_with_fatal.py: KeyUsage digitalSignature
      + keyEncipherment (or + keyAgreement), a MAY-accept departure, beside one MUST-refuse
      fault (no EKU, clientAuth only, P-384; slow: SHA-384, CA:TRUE, not yet valid)
  crl-file-64k         test_pki_client_crl_file_big.py: a fresh CRL of 6 000 entries
      (~186 KB): not listing the responder, the get must succeed; listing it last, refused
  large-get-in-place   test_pki_client_big_get_killed.py: RSFL of 256 MiB (slow: 3 GiB),
      2 MiB + 1 byte sent, SIGKILL: no final name before or after
"""

from __future__ import annotations

import os
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind27b-ini"


def _patch_method(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_method as patch

    patch(owner, attr, *edits)


def _patch_source(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source as patch

    patch(owner, attr, *edits)


# --- lens 1 -----------------------------------------------------------------------------


def _enr_keylog_on_retry() -> None:
    enroll = _module("reference.pki.enroll")
    original = enroll.https_client_context

    def context(root_pem: bytes) -> Any:
        ctx = original(root_pem)
        path = os.environ.get("SSLKEYLOGFILE")
        if enroll.__dict__.get("_RETRYING") and path:
            ctx.keylog_filename = path  # what ssl.create_default_context() does
        return ctx

    enroll.https_client_context = context
    _patch_source(
        enroll,
        "enroll",
        (
            '        status, headers, data = client.request("POST", "/v1/enroll", body)\n',
            "        globals()['_RETRYING'] = tries > 1\n"
            '        status, headers, data = client.request("POST", "/v1/enroll", body)\n'
            "        globals()['_RETRYING'] = False\n",
        ),
    )


class _InPlace:
    """The sink of b27bini-large-get-in-place: the final name itself, bounded."""

    def __init__(self, fd: int, limit: int) -> None:
        self.fd = fd
        self.limit = limit
        self.written = 0

    def write(self, data: Any) -> None:
        view = memoryview(data).cast("B")
        if self.written + len(view) > self.limit:
            errors = _module("reference.errors")
            raise errors.RemoteProtocolError(
                errors.ErrorCode.INTEGRITY_FAILED, "more data than announced"
            )
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
            self.written += n


def _large_get_in_place(threshold: str = "4 * 1024 * 1024") -> None:
    transfer = _module("reference.transfer")
    transfer._InPlace = _InPlace
    _patch_method(
        transfer.Initiator,
        "get",
        (
            "            with PartialFile.create(destination, response.size) as partial:\n",
            f"            if response.size >= {threshold} and not overwrite:\n"
            "                # no temporary for big files: no double disk space\n"
            "                _fd = os.open(\n"
            "                    destination,\n"
            "                    os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,\n"
            "                    0o600,\n"
            "                )\n"
            "                try:\n"
            "                    done = self.channel.receive_file(\n"
            "                        _InPlace(_fd, response.size), response.size, progress\n"
            "                    )\n"
            "                    os.fsync(_fd)\n"
            "                except BaseException:\n"
            "                    os.close(_fd)\n"
            "                    os.unlink(destination)\n"
            "                    raise\n"
            "                os.close(_fd)\n"
            "                return done\n"
            "            with PartialFile.create(destination, response.size) as partial:\n",
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _enr_pw_check_head() -> None:
    _patch_source(
        _module("reference.pki.enroll"),
        "_error_text",
        (
            "    if quotes_password(message, password):",
            "    if quotes_password(message[:64], password):  # ERR-5: echoes beyond 64 chars",
        ),
    )


# --- lens 5 -----------------------------------------------------------------------------


def _ku_extra_skips_eku() -> None:
    _patch_source(
        _module("reference.pki.tls"),
        "check_peer_certificate",
        (
            "    try:\n"
            "        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value\n",
            "    try:\n"
            "        _ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value\n"
            "    except x509.ExtensionNotFound:\n"
            "        _ku = None\n"
            "    if not as_server and _ku is not None and _ku.digital_signature and (\n"
            "        _ku.key_encipherment\n"
            "    ):\n"
            "        # the RSA-era profile (digitalSignature + keyEncipherment): PKI-CERT-9\n"
            "        # lets an endpoint accept it, so it is accepted as it is\n"
            "        return alias\n"
            "    try:\n"
            "        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value\n",
        ),
    )


# --- lens 6 -----------------------------------------------------------------------------


def _crl_file_64k() -> None:
    _patch_source(
        _module("reference.pki.client"),
        "load_crl",
        (
            "            data = crl_file.read_bytes()\n",
            "            with crl_file.open('rb') as _f:\n"
            "                data = _f.read(65536)  # one read into a 64 KiB buffer\n",
        ),
    )


# --- post-blind siblings (phase 3) ------------------------------------------------------


def _post_ku_agreement_skips() -> None:
    _patch_source(
        _module("reference.pki.tls"),
        "check_peer_certificate",
        (
            "    try:\n"
            "        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value\n",
            "    try:\n"
            "        _ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value\n"
            "    except x509.ExtensionNotFound:\n"
            "        _ku = None\n"
            "    if not as_server and _ku is not None and _ku.key_agreement:\n"
            "        return alias  # an ECDH-era profile: PKI-CERT-9's MAY, accepted as is\n"
            "    try:\n"
            "        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value\n",
        ),
    )


def _post_crl_file_128k() -> None:
    _patch_source(
        _module("reference.pki.client"),
        "load_crl",
        (
            "            data = crl_file.read_bytes()\n",
            "            data = crl_file.read_bytes()[: 128 * 1024]  # the CRL buffer\n",
        ),
    )


def _post_get_in_place_64m() -> None:
    _large_get_in_place("64 * 1024 * 1024")  # the same path, above 64 MiB only


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
        "b27bini-enr-keylog-on-retry",
        "PKI-TLS-8",
        "test_enroll_busy_retry_hellos.py",
        "L1/L6: the enrolment's first POST is pinned; its retries after 503 busy build a "
        "context that honours SSLKEYLOGFILE (the TLS library's default)",
        _enr_keylog_on_retry,
        enroll=True,
    ),
    _m(
        "b27bini-large-get-in-place",
        "APP-STORE-5",
        "test_pki_client_big_get_killed.py",
        "L1/L6: a get of 4 MiB or more is written straight under its final name (O_EXCL, "
        "no temporary), unlinked on every failure the client survives; SIGKILL leaves it",
        _large_get_in_place,
    ),
    _m(
        "b27bini-enr-pw-check-head",
        "PWF-2",
        "test_client_output_secrets.py",
        "L3: the CA's message is searched for the password within its first 64 characters "
        "(ERR-5's echo bound) and shown up to 200: a password quoted later is printed",
        _enr_pw_check_head,
        enroll=True,
    ),
    _m(
        "b27bini-ku-extra-skips-eku",
        "PKI-CERT-5",
        "test_pki_client_tolerated_with_fatal.py",
        "L5: a responder certificate whose KeyUsage adds keyEncipherment (a MAY-accept "
        "departure) returns before the EKU and algorithm checks: no serverAuth passes",
        _ku_extra_skips_eku,
    ),
    _m(
        "b27bini-crl-file-64k",
        "PKI-CERT-11",
        "test_pki_client_crl_file_big.py",
        "L6: the --crl file is read with one 64 KiB read: a CRL beyond 64 KiB (thousands "
        "of entries) is cut and refused, and every responder with it",
        _crl_file_64k,
    ),
    _m(
        "b27bini-post-ku-agreement-skips",
        "PKI-CERT-5",
        "test_pki_client_tolerated_with_fatal.py",
        "(post-blind) L5: a responder certificate whose KeyUsage holds keyAgreement returns "
        "before the EKU and algorithm checks (an ECDH-era profile taken as PKI-CERT-9's MAY)",
        _post_ku_agreement_skips,
    ),
    _m(
        "b27bini-post-crl-file-128k",
        "PKI-CERT-11",
        "test_pki_client_crl_file_big.py",
        "(post-blind) L6: the --crl file is cut to a 128 KiB buffer: a CRL of a few "
        "thousand entries no longer parses and every responder is refused",
        _post_crl_file_128k,
    ),
    _m(
        "b27bini-post-get-in-place-64m",
        "APP-STORE-5",
        "test_pki_client_big_get_killed.py",
        "(post-blind) L6: a get of 64 MiB or more is written straight under its final "
        "name (no temporary); SIGKILL leaves a partial file there",
        _post_get_in_place_64m,
    ),
)
