"""The pki responder's CRL as a long-running service's cache (PKI-CERT-7, PKI-CERT-11).

Two shortcuts test_pki_certs.py lets through:

- Revocation verdicts cached per alias. A responder that checks the CRL itself and keeps
  "alias X: not revoked" after the first connection of X accepts every later certificate
  of X, revoked or not. Revocation is per certificate (PKI-CERT-11). The case presents a
  valid certificate minted for the alias of the target's revoked identity (a serial no
  CRL lists), then the revoked identity itself, listed in the CRL since before the
  responder started: it must be refused.
- A refetch triggered by traffic (stale-while-revalidate). A responder that refetches
  the CRL only when a connection finds it older than the refresh interval checks that
  connection against the old CRL. test_pki_certs.py's refetch case retries every few
  tenths of a second, so its own tries trigger the refetch and a later try passes. Here
  the revoked certificate's only try comes two refresh intervals (and 2 s) after the
  revocation, with nothing in between: a responder that refetches every interval
  (PKI-CERT-7's SHOULD, default 300 s, the target's declared `crl_refresh`) has the new
  CRL by then.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance import ca_support as ca
from conformance._wire_fixtures import TranscriptBook, lab_pki
from conformance.pki_channel import (
    PkiChannel,
    client_context,
    connect_pki,
    judge_responder_refusal,
)
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.test_pki_certs import (
    _MAX_REFRESH_WAIT,
    _close_bound,
    _fresh_revocable_identity,
    _record,
    _request_name,
    _revoked_identities,
)
from conformance.wire import ConformanceFailure
from conformance.x509 import pem_decode, read_certificate


def _accepted(
    target: Target, transcripts: TranscriptBook, cert: Path, key: Path, what: str
) -> str | None:
    """None when the responder refused the certificate (PKI-CERT-*); else what it did."""
    assert target.root is not None
    context = client_context(target.root, cert, key)
    result = connect_pki(target.host, target.port, context, name=what)
    _record(transcripts, result)
    try:
        judge_responder_refusal(
            result, what, request_name=_request_name(target), close_within=_close_bound(target)
        )
    except ConformanceFailure as exc:
        return str(exc)  # accepted (served, or answered `forbidden` by an allow list)
    finally:
        if isinstance(result, PkiChannel):
            result.close()
    return None


@pytest.mark.req("PKI-CERT-11", "PKI-CERT-7")
def test_revoked_certificate_refused_after_a_valid_one_of_its_alias(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A valid certificate of alias X is accepted; then X's revoked certificate (listed in
    the CRL the responder loaded at start) is refused: no verdict is kept per alias."""
    lab = lab_pki(target)
    name, (revoked_cert, revoked_key) = next(iter(_revoked_identities(target).items()))
    alias = read_certificate(pem_decode(revoked_cert.read_text())).common_name
    if not alias:
        pytest.skip(f"the revoked identity {name!r} has no common name")
    fresh_cert, fresh_key = lab.employee(alias).write(tmp_path, "fresh-of-revoked-alias")
    control = _accepted(
        target, transcripts, fresh_cert, fresh_key, f"a fresh certificate of {alias!r}"
    )
    if control is None:
        pytest.skip(
            f"the responder refused a fresh, unlisted certificate of {alias!r} (it may "
            "refuse a revoked alias's every certificate): nothing to judge"
        )
    accepted = _accepted(
        target, transcripts, revoked_cert, revoked_key, f"revoked identity {name!r}"
    )
    if accepted is not None:
        raise ConformanceFailure(
            f"PKI-CERT-11: the revoked identity {name!r} (CN {alias!r}), listed in the CRL "
            "since before the responder started, was accepted right after a valid "
            f"certificate of the same alias: revocation is per certificate, not a verdict "
            f"kept per alias\n{accepted}",
            violates=("PKI-CERT-11",),
        )


@pytest.mark.req("PKI-CERT-7", level="SHOULD")
def test_first_connection_after_the_refresh_interval_sees_the_revocation(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Revoke at the CA, connect nothing for two refresh intervals (and 2 s), then one
    connection with the revoked certificate: a periodic refetch has the new CRL by then;
    a refetch that only traffic triggers checks this connection against the old one."""
    if not target.has("crl"):
        unsupported("the target does not declare feature 'crl'")
    interval = target.limits.crl_refresh
    if interval > _MAX_REFRESH_WAIT:
        pytest.skip(
            f"the target's [limits] crl_refresh is {interval:g} s (the case waits for at "
            f"most {_MAX_REFRESH_WAIT:g} s)"
        )
    alias, cert, key = _fresh_revocable_identity(target, tmp_path)
    if _accepted(target, transcripts, cert, key, f"{alias} before revocation") is None:
        pytest.skip(f"the responder refused {alias!r} before it was revoked: nothing to judge")
    ca.admin_command(target, "revoke", alias)
    waited = 2 * interval + 2.0
    # Waiting out the declared refresh period (bounded by _MAX_REFRESH_WAIT), on purpose
    # without any connection: the refetch must not need one.
    time.sleep(waited)
    accepted = _accepted(target, transcripts, cert, key, f"{alias} revoked {waited:g} s ago")
    if accepted is not None:
        raise ConformanceFailure(
            f"PKI-CERT-7: {alias!r} was revoked at the CA {waited:g} s (two declared CRL "
            f"refresh intervals of {interval:g} s, and 2 s) before this connection, the "
            "first since; the responder accepted it: its CRL was not refetched in that "
            f"time (a refetch only traffic triggers checks the triggering connection "
            f"against the old CRL)\n{accepted}"
        )
