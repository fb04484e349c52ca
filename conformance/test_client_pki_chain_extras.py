"""sft-pki/1 INITIATOR: the alias and the certificate checks belong to the LEAF, not to
another certificate the responder sends beside it (docs/SPEC.md PKI-ID-1, PKI-ID-4,
PKI-CERT-5, PKI-CERT-9).

A TLS Certificate message is a list: the sender's own certificate first, then whatever
else it chose to send. Only the first is proven by the responder's CertificateVerify and
verified against the root; the others are untrusted extras that a chain builder ignores
when the leaf is issued directly by the root. An initiator that reads the alias, or runs
the checks OpenSSL does not make, on another element of that list — the last one, the
last that is not a CA ("leaf last" as some APIs order a chain), any that matches — judges
a certificate the responder never proved to hold.

The suite's hostile responder (a root-issued, valid leaf whose key it holds) sends one or
two extra certificates after its leaf, each a VALID employee certificate of the alias the
client asks for:

- [PKI-ID-1, PKI-ID-4] the leaf names ANOTHER alias (`sft-chain-impostor`): the client
  must see that the responder is not the one it asked for, and send no request;
- [PKI-CERT-5] the leaf names the alias asked for but its EKU lacks serverAuth;
  [PKI-CERT-9] its KeyUsage is keyAgreement alone (OpenSSL's own purpose check takes it
  for an EC key): the client must refuse the leaf, whatever the extras say.

The default run sends one extra, the asked alias's valid certificate: the first extra,
the last one and any matching one are all it, so a picker of any kind is caught; the
slow run adds two extras in both orders and the keyAgreement leaf.
A client may also refuse a chain with extras outright (PKI-CERT-10: "exactly the employee
certificate"): that refusal passes too. The one extra a client MUST accept is the
organisation root itself after the leaf (PKI-CERT-10: a peer MAY send its trust anchor,
RFC 8446 §4.4.2, as OpenSSL does when it can build the chain): a client that counts the
certificates ("more than one: an intermediate, refuse") refuses every such responder.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    honest_get_script,
    judge_refusal,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator,
)
from conformance.target import Target
from conformance.wire import ConformanceFailure
from conformance.x509 import EKU_CLIENT_AUTH, Certificate, LabPKI

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"a file for the leaf's owner only\n"
IMPOSTOR = "sft-chain-impostor"  # a valid alias (PKI-CERT-2), not the one asked for
BYSTANDER = "sft-chain-bystander"

# Where the valid certificate of the asked alias sits among the extras.
_ORDERS = ("asked-alone", "asked-last", "asked-first")


def _extras(lab: LabPKI, asked: str, order: str) -> tuple[str, ...]:
    good = lab.employee(asked).pem
    if order == "asked-alone":
        return (good,)
    other = lab.employee(BYSTANDER).pem
    return (other, good) if order == "asked-last" else (good, other)


def _with_extras(leaf: Certificate, extras: tuple[str, ...]) -> Certificate:
    return replace(leaf, chain=extras)


# One extra that is the asked alias's certificate: the first extra, the last one and any
# matching one are all it, so this order alone catches every such picker (the default run).
_ORDER_PARAMS = [
    "asked-alone",
    pytest.param("asked-last", marks=pytest.mark.slow),
    pytest.param("asked-first", marks=pytest.mark.slow),
]


@pytest.mark.req("PKI-ID-1", "PKI-ID-4")
@pytest.mark.parametrize("order", _ORDER_PARAMS)
def test_initiator_takes_the_alias_from_the_leaf_not_an_extra(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, order: str
) -> None:
    lab = lab_pki(target)
    asked = responder_alias(target)
    cert = _with_extras(lab.employee(IMPOSTOR), _extras(lab, asked, order))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-ID-1/PKI-ID-4: the client asks for {asked}; the responder's leaf (the "
        f"certificate its key proves) is a valid certificate of {IMPOSTOR}, followed in its "
        f"Certificate message by valid certificates of other aliases ({order}: {asked}'s "
        "among them)",
    )


_BAD_LEAVES = {
    "no-server-auth": ("PKI-CERT-5", {"eku": (EKU_CLIENT_AUTH,)}),
    "key-agreement-only": ("PKI-CERT-9", {"key_usage": ("keyAgreement",)}),
}


@pytest.mark.parametrize(
    "leaf",
    [
        pytest.param(
            k,
            marks=[pytest.mark.req(v[0])] + ([pytest.mark.slow] if k != "no-server-auth" else []),
            id=k,
        )
        for k, v in _BAD_LEAVES.items()
    ],
)
def test_initiator_checks_the_leaf_not_an_extra(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, leaf: str
) -> None:
    order = "asked-alone"
    lab = lab_pki(target)
    asked = responder_alias(target)
    requirement, changes = _BAD_LEAVES[leaf]
    cert = _with_extras(lab.employee(asked, **changes), _extras(lab, asked, order))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"{requirement}: the responder's leaf names {asked} but is {leaf}; valid "
        f"certificates of {asked} follow it in its Certificate message ({order})",
    )


@pytest.mark.req("PKI-CERT-10")
def test_initiator_accepts_the_root_sent_after_the_leaf(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    lab = lab_pki(target)
    asked = responder_alias(target)
    cert = _with_extras(lab.employee(asked), (lab.root.certificate.pem,))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    if run.succeeded and run.kept_file:
        return
    raise ConformanceFailure.evidence(
        f"PKI-CERT-10: the responder's Certificate message is {asked}'s valid, root-issued "
        "certificate followed by the organisation root itself (RFC 8446 §4.4.2 lets a "
        "server send its trust anchor); the get is honest",
        "the get completes (exit 0, the file kept): the chain is the one PKI-CERT-10 "
        "describes, the root merely sent along",
        run.describe(),
        note="the client counts the certificates (more than one taken for an intermediate), "
        "or builds its path from what the peer sent instead of from its own root",
    )
