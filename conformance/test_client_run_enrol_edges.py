"""sft-pki/1: the ENROLMENT client under test as its user runs it, at two more edges: a CA
certificate whose subjectAltName is a pattern, and the key it made for an enrolment that
failed (docs/SPEC.md §4.4, CA-ENR-18, CA-ENR-12). Same hostile CA and `enroll_cmd` as
test_enroll_client.py, whose harness this file reuses.

- [CA-ENR-18] The CA's TLS certificate is issued by the root and names, as its only
  subjectAltName dNSName, a pattern that a shell glob matches against the URL's host
  `localhost` but no TLS host-name check does (`local*`, `*host`: a wildcard is a whole
  left-most label of a name of two labels or more, RFC 6125 §6.4.3; OpenSSL, Go, Node and
  Java all refuse both): the host name is not in the subjectAltName, so the password MUST
  NOT be sent and the enrolment fails. A client matching names with fnmatch sends it.
- [CA-ENR-12] The CA refuses the enrolment (401, 500) or answers a certificate for another
  key. Whatever the client keeps of the key it made -- nothing, or a key file it means to
  use next time -- the key "is stored with mode 0600 (no access for group or others)": a
  client that saves the new key under a temporary name with the default mode before the
  request, and makes it 0600 only once the answer checks out, leaves a loose private key.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import (
    _REFUSALS,
    PASSWORD,
    _ca_certificate,
    _fail,
    _honest,
    _other_key,
    _run,
    _stored,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_PATTERNS = {"trailing-star": "local*", "leading-star": "*host"}


@pytest.mark.req("CA-ENR-18")
@pytest.mark.parametrize("kind", sorted(_PATTERNS))
def test_enrolment_client_matches_the_host_name_not_a_pattern(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    pattern = _PATTERNS[kind]
    run = _run(target, tmp_path, _ca_certificate(lab, dns_names=(pattern,)), _honest(lab), lab=lab)
    context = (
        f"CA-ENR-18: the CA URL's host is localhost; the CA's root-issued TLS certificate "
        f"names only the dNSName {pattern!r} in its subjectAltName"
    )
    if run.ca.connections == 0:
        inconclusive(f"the enrolment client never connected to the CA ({run.describe()})")
    if run.ca.password_seen(PASSWORD) or run.ca.enrolments():
        _fail(
            context,
            "the connection refused before the password is sent: the host name is not in "
            "the subjectAltName (a partial-label pattern names no host)",
            run,
            "the CA received the enrolment request (the password)",
        )
    if run.returncode == 0:
        _fail(context, "a non-zero exit status (enrolment failed)", run)


_FAILED = ("auth_failed_401", "server_error_500", "other_key")


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize("kind", _FAILED)
def test_enrolment_client_leaves_no_loose_key_when_the_enrolment_fails(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    answer = _other_key(lab) if kind == "other_key" else _REFUSALS[kind]
    run = _run(target, tmp_path, _ca_certificate(lab), answer, lab=lab)
    if not run.ca.enrolments():
        inconclusive(f"the client sent no enrolment request ({run.describe()})")
    context = f"CA-ENR-12: the CA answers the enrolment with {kind}"
    if run.returncode == 0:
        _fail(context, "a non-zero exit status (the enrolment failed)", run)
    loose = [
        f"{path.relative_to(run.out)} mode {mode:o}"
        for path, _key, mode in _stored(run.out).keys
        if mode & 0o077
    ]
    if loose:
        _fail(
            context,
            "any private key left under {out} stored with mode 0600 (no group or other access)",
            run,
            f"private keys readable by others: {', '.join(loose)}",
        )
