"""An attribute value that looks like a DN does not name the peer (docs/SPEC.md §4.3
PKI-ID-4, PKI-ID-3).

test_pki_subject_order.py puts the suite's alias, as a plain value, in an O or OU after
the CN. This file puts it in a value that LOOKS LIKE a piece of the distinguished name:
`CN=suite`, `x,CN=suite`, `x/CN=suite`, `x+CN=suite`. A certificate's subject is a
sequence of typed attributes; a string form of it is a rendering, in which such a value
is escaped (RFC 4514 writes `O=x\\,CN=suite`; OpenSSL's one-line form does not escape
`/`). The class of bug: the alias searched for in a rendering — a regular expression
`CN=([^,/+]+)` (first match or last), a split on `,` or `/` that ignores the escapes, a
parser of the one-line form — which finds the injected `CN=` before (or after) the real
one. The value comes after the CN in one certificate and before it in another, so a
search for the first `CN=` and one for the last are both met.

The suite mints, with the organisation root, valid employee certificates whose single
CN is an alias NOT on the responder's allow list and whose O or OU holds such a value. The
responder must judge the CN attribute: refuse the certificate (it MAY refuse departures
from PKI-CERT-1, PKI-CERT-9), or answer every request `forbidden` (PKI-ID-3) — never
serve it as the suite's alias.

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`, `monkeypatch`.
Needs the `allow-list` feature (the suite's alias on the list) and lab mode.
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
_OUTSIDER = "sft-conformance-outsider"

# id -> (attribute OID, value pattern with {alias}, whether the attribute follows the CN)
_INJECTIONS = {
    "O-after-cn-eq": (lab_x509._O, "CN={alias}", True),
    "O-after-comma-cn": (lab_x509._O, "x,CN={alias}", True),
    "OU-after-slash-cn": (_OU, "x/CN={alias}", True),
    "OU-after-plus-cn": (_OU, "x+CN={alias}", True),
    "O-before-comma-cn": (lab_x509._O, "x,CN={alias}", False),
    "OU-before-slash-cn": (_OU, "x/CN={alias}", False),
}


@pytest.mark.req("PKI-ID-4", "PKI-ID-3")
@pytest.mark.parametrize("case", list(_INJECTIONS))
def test_value_that_looks_like_a_cn_does_not_name_the_peer(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
) -> None:
    """Subject CN=<outsider> with an O/OU value such as `x,CN=<suite's alias>`, after or
    before the CN: the get is never served (refusal, or `forbidden`)."""
    if not target.has("allow-list"):
        unsupported("the target does not declare feature 'allow-list'")
    assert target.root is not None
    lab = lab_pki(target)
    cert_path, _key = suite_identity(target, tmp_path)
    allowed = lab_x509.read_certificate(lab_x509.pem_decode(cert_path.read_text())).common_name
    assert allowed, "the suite's identity names an alias"
    oid, pattern, after = _INJECTIONS[case]
    value = pattern.format(alias=allowed)

    def subject(
        common_name: str, organisation: str | None = None, cns: tuple[str, ...] | None = None
    ) -> bytes:
        cn = lab_x509._rdn(lab_x509._CN, common_name)
        other = lab_x509._rdn(oid, value)
        return lab_x509._seq(*((cn, other) if after else (other, cn)))

    with monkeypatch.context() as patch:
        patch.setattr(lab_x509, "_name", subject)
        cert, key = lab.employee(_OUTSIDER).write(tmp_path, case)
    order = f"CN={_OUTSIDER}, then {value!r}" if after else f"{value!r}, then CN={_OUTSIDER}"
    what = f"a client certificate whose subject is {order} ({case})"
    name = target.files[0].name if target.files else "hello.txt"
    first = first_answer_as(target, cert, key, what, transcripts, name)
    if first is None:
        return  # refused at the handshake
    if isinstance(first, ReceivedFrame) and first.type == b"RSFL":
        raise ConformanceFailure.evidence(
            f"PKI-ID-4: {what}; {_OUTSIDER!r} is not on the allow list, {allowed!r} is",
            "EROR forbidden (the alias is the CN attribute), or a refusal of the certificate",
            f"RQFL {name!r} answered with {first.describe()}",
            note="the alias was read from a rendering of the subject, where the injected "
            "value looks like a CN",
        )
