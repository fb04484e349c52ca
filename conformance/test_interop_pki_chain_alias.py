"""The responder's idea of who is asking comes from the leaf, not from whatever else the
initiator's chain carries (docs/SPEC.md §4.3 PKI-ID-2, PKI-ID-3; §4.2 PKI-CERT-10).

Fixtures (conformance/plugin.py): `target`, `tmp_path`, `transcripts`. "The responder
MUST identify the initiator only by its certificate's CN" [PKI-ID-2]: the certificate
the initiator proved it holds the key of — the leaf, the first of the chain it sends.
TLS lets an initiator send more certificates after its leaf (the root, an intermediate,
anything); PKIX ignores those it does not need.

The class of bug: the certificate is validated on one element of the chain and the alias
read from another — `chain[chain.length - 1]` ("the end entity is the last one", a
habit from APIs that list the root first), the certificate after the leaf, the last one
that is not the root, or a lookup of the subject of "the" employee certificate among all
those sent. Every other case of the suite presents a chain of exactly one certificate,
so such a responder passes them all (found by planting the mistake blind in pki4, a Java
responder: the leaf checked, the alias taken from the last certificate).

The initiator's side of the same mistake [PKI-ID-1]: it asks for `alice@host:port` and
compares `alice` with the CN of another certificate than the leaf the responder proved
it holds. Here a valid employee certificate of another alias is the responder's leaf,
followed by a valid certificate of the alias asked for (whose key the impostor does not
hold): the initiator MUST abort before any application frame.

Here (responder) an employee whose alias is NOT on the allow list connects with its own leaf (whose
key it holds) followed by the suite's own certificate (whose alias IS on the list), in
three orders. Refusing the handshake or the connection is allowed (a chain longer than
the leaf MAY be refused, PKI-CERT-10); answering the get as the listed alias is not: the
only other allowed answer is `EROR forbidden` and the close (PKI-ID-3). Needs the
`allow-list` feature (the suite's alias on the list); the initiator case a client
command. sft-pki/1 only.
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
    suite_identity,
)
from conformance.pki_channel import HandshakeRefused, client_context, close_bound, connect_pki
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError
from conformance.x509 import pem_decode, read_certificate

_OUTSIDER = "sft-chain-outsider"
_PEM_END = "-----END CERTIFICATE-----"

# label -> what follows the outsider's leaf ("listed": the suite's own certificate)
_ORDERS = {
    "listed-appended": ("listed",),
    "listed-then-root": ("listed", "root"),
    "root-then-listed": ("root", "listed"),
}


def _first_pem(text: str) -> str:
    """The first certificate of a PEM file (a chain file may hold more)."""
    end = text.index(_PEM_END) + len(_PEM_END)
    return text[text.index("-----BEGIN CERTIFICATE-----") : end] + "\n"


@pytest.mark.req("PKI-ID-2", "PKI-ID-3")
def test_alias_is_the_leafs_whatever_follows_it(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """An outsider's leaf followed by a listed employee's certificate: the responder
    answers the outsider (forbidden, then close) or refuses the chain; it never serves
    the get as the listed alias."""
    if target.profile != "pki":
        unsupported("an sft-pki/1 case")
    if not target.has("allow-list"):
        unsupported("the target does not declare feature 'allow-list'")
    assert target.root is not None
    suite_cert, _suite_key = suite_identity(target, tmp_path)
    listed_pem = _first_pem(suite_cert.read_text())
    listed = read_certificate(pem_decode(listed_pem)).common_name
    if not listed or listed == _OUTSIDER:
        pytest.skip("the suite's identity has no usable CN")
    root_pem = _first_pem(Path(target.root).read_text())
    extra = {"listed": listed_pem, "root": root_pem}
    outsider = lab_pki(target).employee(_OUTSIDER)
    name = target.files[0].name if target.files else "hello.txt"
    problems = []
    for label, order in _ORDERS.items():
        cert_path, key_path = outsider.write(tmp_path, f"outsider-{label}")
        cert_path.write_text(_first_pem(outsider.pem) + "".join(extra[k] for k in order))
        result = connect_pki(
            target.host,
            target.port,
            client_context(target.root, cert_path, key_path),
            name=f"outsider leaf + {'+'.join(order)}",
        )
        if isinstance(result, HandshakeRefused):
            transcripts.add(result.transcript)
            continue  # refusing a chain longer than the leaf is allowed
        transcripts.add(result)
        result.close_within = close_bound(target.limits.idle_timeout)
        try:
            result.send_frame("RQFL", {"name": name})
            outcome = result.expect(
                [
                    ExpectError("forbidden", then_close=True),
                    ExpectError("auth_failed"),
                    ExpectClose(),
                ]
            )
        finally:
            result.close()
        if not outcome.ok:
            problems.append(f"{label} ({_OUTSIDER} + {' + '.join(order)}): {outcome.describe()}")
    if problems:
        failure = ConformanceFailure.evidence(
            f"an employee off the allow list ({_OUTSIDER!r}) presents its own leaf followed "
            f"by the certificate of {listed!r}, which the list holds",
            "the alias is the leaf's: EROR forbidden and the close, or the chain refused",
            "\n  ".join(problems),
            note="PKI-ID-2: the initiator is identified only by its (leaf) certificate's CN",
        )
        failure.violates = ("PKI-ID-2",)
        raise failure


_IMPOSTOR = "sft-chain-impostor"
# label -> what follows the impostor's leaf ("asked": a certificate of the alias asked for)
_RESPONDER_ORDERS = {
    "asked-appended": ("asked",),
    "asked-then-root": ("asked", "root"),
    "root-then-asked": ("root", "asked"),
}


@pytest.mark.req("PKI-ID-1")
def test_initiator_takes_the_alias_from_the_leaf(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The responder's leaf is another employee's, followed by a certificate of the alias
    the initiator asked for: the initiator aborts (non-zero exit, no frame, no file)."""
    if target.profile != "pki":
        unsupported("an sft-pki/1 case")
    assert target.root is not None
    alias = responder_alias(target)
    if alias == _IMPOSTOR:
        pytest.skip("the responder alias is the impostor's")
    lab = lab_pki(target)
    extra = {"asked": lab.employee(alias).pem, "root": _first_pem(Path(target.root).read_text())}
    impostor = lab.employee(_IMPOSTOR)
    problems = []
    for label, order in _RESPONDER_ORDERS.items():
        cert = replace(impostor, chain=tuple(extra[k] for k in order))
        run, hostile = run_initiator(
            target, tmp_path, transcripts, cert=cert, script=honest_get_script(b"chain\n")
        )
        require_reached(run, hostile, request=False)
        try:
            judge_refusal(
                run,
                hostile,
                f"asked for {alias!r}; the responder's leaf is {_IMPOSTOR!r}, followed by "
                f"{' + '.join(order)}",
                auth_eror_allowed=False,
            )
        except ConformanceFailure as failure:
            problems.append(f"{label}: {failure}")
    if problems:
        raise ConformanceFailure(
            "PKI-ID-1: the initiator compared its alias with a certificate other than the "
            "responder's leaf:\n" + "\n".join(problems)
        )
