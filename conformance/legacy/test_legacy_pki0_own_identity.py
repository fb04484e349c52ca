"""Profile pki-legacy: a SECE that mirrors the responder's own identity (§7.1.3).

The responder answers `RSCV` to every SECE certificate that carries a valid signature of
the organisation root, and `RSCI` otherwise (LEG-PKI-FMT-4): the signature is the whole
check (LEG-PKI-3). test_legacy_pki0*.py's cases present the suite's own alias, or
certificates the root did not sign, so a responder can pass them and still refuse a
root-signed certificate because it looks like itself ("a peer connecting to itself",
"our own certificate came back"):
- a certificate whose CN is the responder's own alias (another key, the same name);
- a certificate for the responder's own public key under another name;
- the responder's own certificate, byte for byte as its RSCV carried it (LEG-PKI-2's case
  presents it as a stolen certificate; here it is judged as what the format says of it).
Each is signed by the root, so each MUST be answered RSCV. The first two are minted
under the root (lab mode, --ca-key); without it only the third is presented.
"""

from __future__ import annotations

import datetime

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.stream import Closed, LegacyStream, TimedOut

pytestmark = pytest.mark.xdist_group("pki-legacy")


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _answer(target: LegacyPkiTarget, certificate: bytes) -> str:
    """What one SECE on a new connection gets: the frame type, a close or silence."""
    with LegacyStream(target.host, target.port, 10.0) as stream:
        stream.send(pki0.frame(b"SECE", certificate))
        try:
            return pki0.read_frame(stream, 5.0, lenient=[]).type.decode("ascii", "replace")
        except Closed:
            return "a close"
        except TimedOut:
            return "nothing for 5 s"
        except ValueError as exc:
            return f"an unreadable frame ({exc})"


@pytest.mark.req("LEG-PKI-FMT-4")
def test_certificates_that_mirror_the_responder_get_rscv(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    session = pki0.run_session(
        pki_legacy.host, pki_legacy.port, suite_identity.certificate_pem, None, None
    )
    if session.answer is None or session.answer.type != b"RSCV" or session.responder is None:
        pytest.skip("not judged: the suite's own SECE got no RSCV (the format cases say why)")
    own_pem = session.answer.payload
    own_cn = session.responder.subject_cn
    probes: dict[str, bytes] = {}
    if pki_legacy.ca_key and pki_legacy.root:
        root_pem = pki_legacy.root.read_bytes()
        root_key = RSA.import_key(pki_legacy.ca_key.read_bytes())
        now = datetime.datetime.now(datetime.UTC)
        before = now - datetime.timedelta(minutes=5)
        after = now + datetime.timedelta(days=1)
        mirrored_alias = der.mint_under_root(
            root_pem, root_key, own_cn, suite_identity.key, not_before=before, not_after=after
        )
        probes[f"CN={own_cn!r} (the responder's alias) with the suite's key"] = mirrored_alias
        probes[f"CN={suite_identity.alias!r} with the responder's own public key"] = (
            der.mint_under_root(
                root_pem,
                root_key,
                suite_identity.alias,
                session.responder.public_key,
                not_before=before,
                not_after=after,
            )
        )
    probes["the responder's own certificate, as its RSCV carried it"] = own_pem
    refused = {}
    for what, certificate in probes.items():
        got = _answer(pki_legacy, certificate)
        if got != "RSCV":
            refused[what] = got
    if refused:
        _fail(
            "LEG-PKI-FMT-4 (a SECE certificate with a valid root signature MUST be answered "
            "RSCV; the signature is the whole check)",
            "the suite's certificate gets RSCV, but root-signed certificates that mirror the "
            "responder were answered otherwise: "
            + "; ".join(f"{what}: {got}" for what, got in refused.items()),
        )
