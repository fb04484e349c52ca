"""The sft-pki/1 INITIATOR's get against the SPEC's machine, over every short sequence of
responder actions (docs/SPEC.md §1 FRM-5/6, §2 ERR-3, §3.2's initiator mirror, §3.3
APP-GET-2…6, §3.6 APP-STORE-3, §3.7 APP-BYE-1/2, §4.1 PKI-TLS-6/7).

Hand-written initiator cases each put one deviation on an honest get; an initiator that
keeps state across the get's steps — a DONE taken before RSFL, a second RSFL taken, a
DONE taken before the bytes, the responder's BYE_ mid-get taken as the end, a BYE_ sent
after a fatal EROR, a bare TCP close taken as the end of a get whose bytes all came —
passes unless a case walks that sequence. Here the SPEC's initiator machine
(conformance/pki_client_model.py: five states WR, X0, XH, X1, CLOSED; written from the
SPEC, not from the reference) is checked against the target's declared pki client command
with AALpy's word sets: each word is ONE get against the kit playing an honest TLS
responder (the lab certificate of the alias asked for), the word's actions sent in order,
the initiator's answer to each read, and the run's ending (exit status by the declared
success rule, the output file, leftovers) joined to the output that ended it. The default
word set (18 client runs): the honest get, and 17 of the model's transitions that end the
run, each behind its state's access sequence (`pki_client_model.DEFAULT_STEPS`); the
`slow` variant: the full alphabet (a DONE with the count of half the bytes too) and the
W-method for one extra state. A divergence is run again; confirmed, it FAILs the
requirements of its first diverging transition with the word, expected and observed
answers and the step.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance.client_model import check_words, report, w_method_words
from conformance.eke_hostile import skip_slow_variant
from conformance.pki_client_model import (
    ALL_INPUTS,
    INPUTS,
    InitiatorSpecSUL,
    default_words,
    implicated,
    initiator_model,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("pki-client-model"),
]

_REQS = (
    "APP-3",
    "APP-BYE-1",
    "APP-BYE-2",
    "APP-GET-2",
    "APP-GET-3",
    "APP-GET-4",
    "APP-GET-5",
    "APP-GET-6",
    "APP-STORE-3",
    "ERR-3",
    "FRM-5",
    "FRM-6",
    "PKI-TLS-6",
    "PKI-TLS-7",
)
_WHAT = "the sft-pki/1 initiator's machine"
_LABEL = "pki initiator machine"


def _sul(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, budget: float
) -> InitiatorSpecSUL:
    if not target.client_cmd and not target.embedded:
        pytest.skip("the target declares no pki client command (--client-cmd)")
    timeout = 5.0
    if target.limits.idle_timeout:
        timeout = max(2.0, min(timeout, 0.8 * target.limits.idle_timeout))
    return InitiatorSpecSUL(
        target=target,
        workdir=tmp_path,
        transcripts=transcripts,
        answer_timeout=timeout,
        deadline=time.monotonic() + budget,
    )


@pytest.mark.req(*_REQS)
def test_pki_initiator_state_machine_conforms_to_spec(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    request: pytest.FixtureRequest,
) -> None:
    """The honest get and 17 chosen transitions of the SPEC's initiator machine that end
    the run (out-of-order get frames, a refusal, a fatal EROR, the responder's BYE_, an
    undefined type, excess bytes, the kit's close with and without close_notify), each
    behind its state's access sequence."""
    started = time.monotonic()
    sul = _sul(target, tmp_path, transcripts, budget=400.0)
    model = initiator_model(INPUTS)
    words = default_words(model)
    notes = check_words(model, sul, words, transcripts, _WHAT, implicated)
    report(request, sul, _LABEL, len(words), started, notes)


@pytest.mark.slow
@pytest.mark.req(*_REQS)
def test_pki_initiator_state_machine_full_alphabet(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    request: pytest.FixtureRequest,
) -> None:
    """The full alphabet (a DONE with the count of half the bytes too), the W-method for an
    initiator with up to one state more than the SPEC's."""
    skip_slow_variant(request)
    started = time.monotonic()
    sul = _sul(target, tmp_path, transcripts, budget=900.0)
    model = initiator_model(ALL_INPUTS)
    words = w_method_words(model, 1)
    notes = check_words(model, sul, words, transcripts, _WHAT, implicated)
    report(request, sul, _LABEL, len(words), started, notes)
