"""sft-pki/1 INITIATOR: the responder certificates test_pki_certs.py and
test_pki_identity.py try on the responder side only, or not at all (docs/SPEC.md §4.1–4.3).

The suite's hostile responder presents, for the alias the client asks for:

- a CA:TRUE leaf whose BasicConstraints is not critical, or lacks keyCertSign, and a
  KeyUsage of keyAgreement alone: OpenSSL lets each through, so only the initiator's own
  checks refuse them [PKI-CERT-6, PKI-CERT-9] ("only a critical BasicConstraints binds",
  "keyAgreement will do for an EC key");
- a valid certificate of ANOTHER alias that a host-name habit would equate with the one
  asked for: the alias with a trailing dot (`bob.`, a fully qualified DNS name) and the
  alias as the first label of a dotted alias (`bob.example`) — both valid aliases
  (PKI-CERT-2), neither byte-equal to `bob` [PKI-ID-1, PKI-ID-4];
- an employee certificate whose key is RSA-2048 or RSA-3072 (PKI-CERT-1 allows RSA of
  2048 bits or more): the get MUST complete ("at least 2048" read as "more than 2048",
  "EC only") [PKI-CERT-9];
- TLS 1.2 only: the initiator MUST NOT complete that handshake (PKI-TLS-1: "refuse to
  negotiate TLS 1.2"); one that completes it and refuses afterwards has already sent its
  certificate over TLS 1.2 (in clear, in TLS 1.2) [PKI-TLS-1].

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    ClientNotExercised,
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
from conformance.x509 import CertProfile, KeyPair

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"initiator certificate variants\n"

_BAD = {
    "ca_true_not_critical": ("PKI-CERT-6",),
    "ca_true_no_cert_sign": ("PKI-CERT-6",),
    "key_agreement_usage": ("PKI-CERT-9",),
}


@pytest.mark.parametrize(
    "kind", [pytest.param(k, marks=pytest.mark.req(*ids), id=k) for k, ids in _BAD.items()]
)
def test_initiator_refuses_responder_certificate_variant(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    cert = lab.bad(kind, alias=responder_alias(target))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(run, hostile, f"{'/'.join(_BAD[kind])}: responder certificate {kind}")


def _dotted(alias: str, kind: str) -> str:
    if kind == "trailing_dot":
        return f"{alias}."
    return f"{alias}.example"


@pytest.mark.req("PKI-ID-1", "PKI-ID-4")
@pytest.mark.parametrize("kind", ["trailing_dot", "first_label"])
def test_initiator_refuses_a_dotted_lookalike(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    alias = responder_alias(target)
    other = _dotted(alias, kind)
    if len(other) > 64:
        pytest.skip(f"the look-alike {other!r} would not be a valid alias (PKI-CERT-2)")
    cert = lab_pki(target).employee(other)
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-ID-1/4: asked for {alias!r}, the responder's valid certificate names {other!r}",
    )


@pytest.mark.req("PKI-CERT-9", "PKI-CERT-1")
@pytest.mark.parametrize("bits", [2048, 3072])
def test_initiator_gets_from_an_rsa_responder(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, bits: int
) -> None:
    lab = lab_pki(target)
    alias = responder_alias(target)
    cert = lab.root.issue(
        CertProfile(common_name=alias), key=KeyPair.generate("rsa", rsa_bits=bits)
    )
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    content = run.out.read_bytes() if run.kept_file else None
    if not run.succeeded or content != CONTENT:
        raise ConformanceFailure.evidence(
            f"PKI-CERT-9: an honest responder {alias!r} whose valid employee certificate "
            f"holds an RSA-{bits} key",
            "the get completes: RSA of 2048 bits or more is an employee key (PKI-CERT-1), "
            "never refused for the kind of key it holds",
            f"{'kept' if content is not None else 'no'} output file"
            + ("" if content in (None, CONTENT) else " with other content")
            + f"; frames the client sent: {hostile.frames_received() or 'none'}",
            note=f"{run.describe()}; hostile responder TLS errors: {hostile.handshake_errors}",
        )


@pytest.mark.req("PKI-TLS-1")
def test_initiator_does_not_complete_a_tls12_handshake(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    lab = lab_pki(target)
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab.employee(responder_alias(target)),
        script=honest_get_script(CONTENT),
        max_version=ssl.TLSVersion.TLSv1_2,
    )
    require_reached(run, hostile, request=False)
    completed = [c.peer for c in hostile.channels]
    if completed:
        raise ConformanceFailure.evidence(
            "PKI-TLS-1: a responder that speaks TLS 1.2 at most",
            "the initiator refuses to negotiate TLS 1.2: the handshake fails (a "
            "protocol_version alert or a close), no TLS 1.2 connection is established",
            f"TLS 1.2 handshake completed: {completed}",
            note=f"{run.describe()}; frames the client sent: {hostile.frames_received()}",
        )
    judge_refusal(run, hostile, "PKI-TLS-1: responder offering only TLS 1.2")


# --- round 11: boundaries and fallbacks of the initiator's checks ----------------------

_MINUTES = 2.0 / (24 * 60)  # two minutes, in CertProfile's days


@pytest.mark.req("PKI-CERT-3")
@pytest.mark.parametrize("kind", ["expired_minutes_ago", "valid_in_minutes"])
def test_initiator_refuses_a_responder_certificate_minutes_outside_its_validity(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """Two minutes past notAfter, or two minutes before notBefore: the suite and the client
    share the loopback host's clock, so no skew excuses it. A "clock-skew tolerance" (an
    hour, a day: the certificates of test_pki_certs.py are hours or days out) is what
    PKI-CERT-3 forbids: the CA backdates notBefore itself (CA-ENR-10)."""
    lab = lab_pki(target)
    alias = responder_alias(target)
    if kind == "expired_minutes_ago":
        cert = lab.employee(alias, days_before=30, days_after=-_MINUTES)
    else:
        cert = lab.employee(alias, days_before=-_MINUTES, days_after=30)
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-CERT-3: the responder's certificate is {kind.replace('_', ' ')} (two minutes)",
    )


def _padded(alias: str, kind: str) -> str:
    return f" {alias}" if kind == "leading_space" else f"{alias} "


@pytest.mark.req("PKI-ID-4")
@pytest.mark.parametrize("kind", ["leading_space", "trailing_space"])
def test_initiator_refuses_a_common_name_padded_with_a_space(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """The comparison is byte-exact (PKI-ID-4): a CN of the alias with a space before or
    after it names no alias (PKI-CERT-2) and is not the one asked for; a client that
    strips the CN ("some CAs pad it") accepts it."""
    alias = responder_alias(target)
    cert = lab_pki(target).employee(_padded(alias, kind))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-ID-4: asked for {alias!r}, the responder's certificate CN is "
        f"{_padded(alias, kind)!r}",
    )


@pytest.mark.req("PKI-ID-4")
def test_initiator_refuses_a_certificate_without_cn_even_if_its_san_names_the_alias(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A subject without CN MUST be refused (PKI-ID-4), whatever else names a peer: a
    client that falls back to the subjectAltName when the CN is missing (the host-name
    habit) accepts a root-issued certificate whose DNS name is the alias."""
    alias = responder_alias(target)
    cert = lab_pki(target).employee(alias, subject_cns=(), dns_names=(alias,))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-ID-4: asked for {alias!r}, the responder's certificate has no CN and the "
        f"subjectAltName DNS:{alias}",
    )


@pytest.mark.req("PKI-ID-1")
def test_initiator_refuses_a_responder_holding_its_own_alias(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A man in the middle may hold a certificate of the initiator's OWN alias (the
    initiator's stolen identity, or one the lab mints): it is valid, and names another
    alias than the one asked for. A client that also accepts its own alias ("a peer may
    talk to itself") talks to it. The client's alias is read from the certificate it
    presents to an honest responder first."""
    lab = lab_pki(target)
    alias = responder_alias(target)
    first, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab.employee(alias),
        script=honest_get_script(CONTENT),
    )
    require_reached(first, hostile, request=False)
    own = next((c.peer.peer_cn for c in hostile.channels if c.peer.peer_cn), None)
    if own is None:
        raise ClientNotExercised(
            f"the client under test presented no certificate to an honest responder: "
            f"{first.describe()}; TLS errors: {hostile.handshake_errors}"
        )
    if own == alias:
        pytest.skip(f"the client's own alias is the responder alias {alias!r}")
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab.employee(own),
        script=honest_get_script(CONTENT),
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-ID-1: asked for {alias!r}, the responder's valid certificate names the "
        f"initiator's own alias {own!r}",
    )


def _compatibility_form(alias: str, kind: str) -> str:
    """The alias with its first character (`first_fullwidth`) or every character
    (`fullwidth`) replaced by its FULLWIDTH form (U+FF01..U+FF5E): a different string of
    different bytes, which Unicode compatibility normalisation (NFKC, NFKD) folds back
    into the alias."""
    shifted = [chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in alias]
    if kind == "first_fullwidth":
        return shifted[0] + alias[1:]
    return "".join(shifted)


@pytest.mark.req("PKI-ID-4")
@pytest.mark.parametrize("kind", ["fullwidth", "first_fullwidth"])
def test_initiator_refuses_a_common_name_that_only_normalises_to_the_alias(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """The comparison is byte-exact on the CN (PKI-ID-4: not case-insensitive, nothing
    but the bytes): a CN in FULLWIDTH letters is no alias (PKI-CERT-2 allows ASCII only)
    and not the one asked for, although NFKC maps it to the alias. A client that
    normalises names before comparing them ("Unicode-safe" host-name handling) accepts
    it; a correct one refuses it whatever it does with non-ASCII text."""
    alias = responder_alias(target)
    cn = _compatibility_form(alias, kind)
    cert = lab_pki(target).employee(cn)
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-ID-4: asked for {alias!r}, the responder's certificate CN is {cn!r} "
        f"({cn.encode()!r}: NFKC folds it into the alias, its bytes are another name)",
    )
