"""sft-pki/1 INITIATOR: what it checks of the TLS session before its first request — the
protocol the responder selected, and the whole of a long alias (docs/SPEC.md PKI-TLS-2,
PKI-ID-1, PKI-ID-4).

The suite plays a responder whose certificate is root-issued and valid, and judges
whether the client under test sends its request (it must not) and how it ends:

- [PKI-TLS-2] the responder's TLS stack speaks other protocols only (`http/1.1`; or
  `sft-pki/0`, `h2`, `http/1.1`, `acme-tls/1`): it selects one of them when the client
  offered it, and none otherwise. Either way `sft-pki/1` was not selected, so the
  connection is not an sft-pki/1 connection: the client sends no request. A client that
  also offers another protocol and checks only that "a protocol was selected" talks
  sft to an HTTP server (test_pki_tls.py covers a responder that selects none);
- [PKI-ID-4] the client is asked for a 64-character alias (PKI-CERT-2's longest) and the
  responder's CN is that alias with one more character, or differs from it in its 64th or
  its 33rd character. "Byte-exact on the subject's single CN": a client that reads the
  CN into a 64-byte buffer, or compares a fixed number of characters, takes them for it.
  The client aborts (PKI-ID-1) and sends no request.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    honest_get_script,
    judge_refusal,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"served only over sft-pki/1\n"

_OTHER_PROTOCOLS = {
    "http-1.1": ("http/1.1",),
    "four-others": ("sft-pki/0", "h2", "http/1.1", "acme-tls/1"),
}


@pytest.mark.req("PKI-TLS-2")
@pytest.mark.parametrize("offer", sorted(_OTHER_PROTOCOLS))
def test_pki_initiator_sends_nothing_when_another_protocol_is_selected(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, offer: str
) -> None:
    protocols = _OTHER_PROTOCOLS[offer]
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab_pki(target).employee(responder_alias(target)),
        script=honest_get_script(CONTENT),
        alpn=protocols,
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-TLS-2: a responder whose TLS stack knows only {list(protocols)} (it selects "
        "one of them if offered, none otherwise): sft-pki/1 is not selected",
    )


ALIAS_64 = "a" + "".join("0123456789abcdefghijklmnopqrstuvwxyz"[i % 36] for i in range(63))
assert len(ALIAS_64) == 64

_NEAR_CNS = {
    "one-more-character": ALIAS_64 + "x",
    "64th-character-differs": ALIAS_64[:63] + ("y" if ALIAS_64[63] != "y" else "z"),
    "33rd-character-differs": ALIAS_64[:32] + ("q" if ALIAS_64[32] != "q" else "r") + ALIAS_64[33:],
}


@pytest.mark.req("PKI-ID-4", "PKI-ID-1")
@pytest.mark.parametrize("near", sorted(_NEAR_CNS))
def test_pki_initiator_compares_a_long_alias_in_full(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, near: str
) -> None:
    cn = _NEAR_CNS[near]
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab_pki(target).employee(cn),
        script=honest_get_script(CONTENT),
        alias=ALIAS_64,
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-ID-4: the client asks for the 64-character alias {ALIAS_64}; the responder's "
        f"valid certificate has CN {cn} ({near})",
    )
