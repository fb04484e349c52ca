"""The sft-eke/1 CLIENT's machine against the SPEC's, over every short sequence of server
actions (docs/SPEC.md §5.3 EKE-HS-4/5/7/9, §5.5 EKE-REC-1/5, §1 FRM-5/6/7, §2 ERR-3, §3.2's
initiator mirror, §3.3 APP-GET-2…6, §3.7 APP-BYE-2, §3.6 APP-STORE-3).

Hand-written client cases each put one deviation on an honest run; a client that keeps
state across the run's steps — a DONE taken before RSFL, a second RSFL taken, an EKE4
taken again inside the channel, a plaintext DONE taken after EKE4, a BYE_ sent after a
fatal EROR, a kit's close taken as the end of a complete get — passes unless a case
walks that sequence. Here the SPEC's client machine (conformance/eke_client_model.py: six
states HS, W4, WR, X0, X1, CLOSED; written from the SPEC, not from the reference) is
checked against the target's declared client command with AALpy's word sets: each word is
ONE client run (a get) against the kit playing the server, the word's actions sent in
order, the client's answer to each read, and the run's ending (exit status by the
declared success rule, the output file, leftovers) joined to the output that ended it.
The default word set (18 client runs): the honest get, and 17 of the model's transitions
that end the run, each behind its state's access sequence — the inputs that tell the
states apart and the endings that matter most (`eke_client_model.DEFAULT_STEPS`); the
`slow` variant: the full alphabet (bad C2, bad C4 tag, bad DONE digest, a non-fatal EROR,
a plaintext EROR) and the W-method for one extra state (61 words, every transition of the
default alphabet among them). A divergence is run again;
confirmed, it FAILs the requirements of its first diverging transition with the word,
expected and observed answers and the step.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance.client_model import check_words, report, w_method_words
from conformance.eke_client_model import (
    ALL_INPUTS,
    INPUTS,
    ClientSpecSUL,
    client_model,
    default_words,
)
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_REQS = (
    "APP-3",
    "APP-BYE-2",
    "APP-GET-1",
    "APP-GET-2",
    "APP-GET-3",
    "APP-GET-4",
    "APP-GET-5",
    "APP-GET-6",
    "APP-STORE-3",
    "EKE-HS-4",
    "EKE-HS-5",
    "EKE-HS-7",
    "EKE-HS-9",
    "EKE-KS-3",
    "EKE-REC-1",
    "EKE-REC-5",
    "ERR-3",
    "FRM-5",
    "FRM-6",
    "FRM-7",
)
_WHAT = "the sft-eke/1 client's machine"
_LABEL = "eke client machine"


def _sul(target: Target, tmp_path: Path, budget: float) -> ClientSpecSUL:
    if not target.client_cmd and not target.embedded:
        pytest.skip("the target declares no eke client command (--client-cmd)")
    timeout = 5.0
    if target.limits.handshake_timeout:
        timeout = max(2.0, min(timeout, 0.8 * target.limits.handshake_timeout))
    return ClientSpecSUL(
        target=target,
        workdir=tmp_path,
        answer_timeout=timeout,
        deadline=time.monotonic() + budget,
    )


@pytest.mark.req(*_REQS)
def test_eke_client_state_machine_conforms_to_spec(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    request: pytest.FixtureRequest,
) -> None:
    """The honest get and 17 chosen transitions of the SPEC's client machine that end the
    run (out-of-order login and get frames, a fatal EROR, a plaintext or login frame in
    the channel, excess bytes, the kit's close), each behind its state's access sequence."""
    started = time.monotonic()
    sul = _sul(eke_target, tmp_path, budget=150.0)
    model = client_model(INPUTS)
    words = default_words(model)
    notes = check_words(model, sul, words, transcripts, _WHAT)
    report(request, sul, _LABEL, len(words), started, notes)


@pytest.mark.slow
@pytest.mark.req(*_REQS)
def test_eke_client_state_machine_full_alphabet(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    request: pytest.FixtureRequest,
) -> None:
    """The full alphabet (bad C2, bad C4, bad DONE digest, non-fatal and plaintext EROR),
    the W-method for a client with up to one state more than the SPEC's."""
    skip_slow_variant(request)
    started = time.monotonic()
    sul = _sul(eke_target, tmp_path, budget=900.0)
    model = client_model(ALL_INPUTS)
    words = w_method_words(model, 1)
    notes = check_words(model, sul, words, transcripts, _WHAT)
    report(request, sul, _LABEL, len(words), started, notes)
