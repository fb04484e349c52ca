"""The alias is the subject's CN, wherever the other attributes stand (docs/SPEC.md §4.3
PKI-ID-4, PKI-ID-3).

test_pki_identity.py presents look-alike subjects as the CA's profile would order them
(O before CN). The class of bug: the alias read from a string form of the subject rather
than from its CN attribute — the first or last `X=value` of an RFC 4514 string (which
lists the RDNs in reverse order), of OpenSSL's one-line form, or of a parsed dict that
keeps the last value — so that an attribute placed after the CN stands in for it. The
suite mints, with the organisation root, valid employee certificates whose single CN is
an alias not on the responder's allow list, followed by an O or OU that names the suite's
own (allowed) alias. The responder must judge the CN: refuse the certificate, or answer
every request `forbidden` (PKI-ID-3) — never serve it.

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`, `monkeypatch`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import x509 as lab_x509
from conformance._wire_fixtures import TranscriptBook, first_answer_as, lab_pki, suite_identity
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame

_OU = "2.5.4.11"
_OUTSIDER = "sft-conformance-stranger"


@pytest.mark.req("PKI-ID-4", "PKI-ID-3")
@pytest.mark.parametrize("after_cn", ["O", "OU", "O-and-OU"])
def test_attribute_after_the_cn_does_not_name_the_peer(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    monkeypatch: pytest.MonkeyPatch,
    after_cn: str,
) -> None:
    """Subject CN=<stranger>, then O and/or OU = <the suite's allowed alias>: not served."""
    if not target.has("allow-list"):
        unsupported("the target does not declare feature 'allow-list'")
    assert target.root is not None
    lab = lab_pki(target)
    cert_path, _key = suite_identity(target, tmp_path)
    allowed = lab_x509.read_certificate(lab_x509.pem_decode(cert_path.read_text())).common_name
    assert allowed, "the suite's identity names an alias"
    oids = {"O": [lab_x509._O], "OU": [_OU], "O-and-OU": [_OU, lab_x509._O]}[after_cn]

    def cn_first(
        common_name: str, organisation: str | None = None, cns: tuple[str, ...] | None = None
    ) -> bytes:
        rdns = [lab_x509._rdn(lab_x509._CN, common_name)]
        rdns += [lab_x509._rdn(oid, allowed) for oid in oids]
        return lab_x509._seq(*rdns)

    with monkeypatch.context() as patch:
        patch.setattr(lab_x509, "_name", cn_first)
        cert, key = lab.employee(_OUTSIDER).write(tmp_path, f"cn-then-{after_cn}")
    what = f"a client certificate with subject CN={_OUTSIDER}, then {after_cn}={allowed}"
    name = target.files[0].name if target.files else "x"
    first = first_answer_as(target, cert, key, what, transcripts, name)
    if first is None:
        return  # refused at the handshake
    if isinstance(first, ReceivedFrame) and first.type == b"RSFL":
        raise ConformanceFailure.evidence(
            f"PKI-ID-4: {what} ({_OUTSIDER!r} is not on the allow list)",
            "EROR forbidden (the alias is the CN), or a refusal of the certificate",
            f"RQFL {name!r} answered with {first.describe()}",
            note="the alias was taken from an attribute after the CN",
        )
