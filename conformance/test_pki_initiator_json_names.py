"""sft-pki/1 INITIATOR: a name holding a double quote reaches the responder in a JSON
object, byte for byte, in its RQFL and its PUTF (docs/SPEC.md FRM-14, APP-NAME-3).

§3.5 allows a `"` in a name (APP-PUT-2: shell metacharacters are ordinary characters);
JSON ends a string at an unescaped one. A request written by string formatting —
`{"name":"%s","size":%d}`, a template, a hand-made encoder that escapes only the line
ends — is well-formed for every name a developer tries and breaks on this one: the
payload is not JSON (FRM-14: "A sender MUST NOT emit a frame that violates
FRM-1…FRM-13"), or another name arrives. The sft-eke/1 client's twin is
test_eke_client_name_literals.py; the pki request-name cases give no name that JSON must
escape.

The suite plays the responder: it serves the get of `say "hi".txt` (slow run: `"q"` and
a name ending in a quote) under that name only, and accepts and stores the put offered as
that name. Each request's payload MUST be a JSON object whose `name` is the name given,
and the transfer MUST complete. A client that refuses such a name before connecting is an
ERROR (nothing judged).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest

from conformance import test_client_put as puts
from conformance._wire_fixtures import (
    ClientNotExercised,
    lab_pki,
    responder_alias,
    run_initiator_watched,
)
from conformance.eke_hostile import skip_slow_variant
from conformance.pki_channel import PkiChannel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, control, deadline_after

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"served under a name holding a double quote\n"
DIGEST = hashlib.sha256(CONTENT).hexdigest()
_NAMES = {"inside": 'say "hi".txt', "whole": '"q"', "at-the-end": 'end".txt'}
_DEFAULT = "inside"


def _params() -> list[object]:
    return [
        pytest.param(k, marks=[] if k == _DEFAULT else [pytest.mark.slow]) for k in sorted(_NAMES)
    ]


def _fail(req: str, context: str, expected: str, actual: str, note: str) -> None:
    failure = ConformanceFailure.evidence(f"{req}: {context}", expected, actual, note=note)
    failure.violates = (req,)
    raise failure


@pytest.mark.req("FRM-14", "APP-NAME-3")
@pytest.mark.parametrize("kind", _params())
def test_pki_initiator_asks_for_a_name_holding_a_quote_in_json(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    skip_slow_variant(request)
    name = _NAMES[kind]
    asked: list[ReceivedFrame] = []

    def script(channel: PkiChannel) -> None:
        event = channel.recv_frame()
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        asked.append(event)
        obj = event.json()
        if not isinstance(obj, dict) or obj.get("name") != name:
            channel.send_frame("EROR", {"code": 6, "name": "not_found", "message": "no"})
        else:
            channel.send_frame("RSFL", control({"name": name, "size": len(CONTENT)}))
            channel.send_frame("DATA", CONTENT)
            channel.send_frame("DONE", control({"size": len(CONTENT), "sha256": DIGEST}))
        channel.recv_frame(deadline_after(2.0))

    outdir = tmp_path / f"out-{uuid.uuid4().hex[:6]}"
    outdir.mkdir()
    run, _hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=lab_pki(target).employee(responder_alias(target)),
        script=script,
        out=outdir / "received.bin",
        name=name,
    )
    if not asked:
        raise ClientNotExercised(
            f"the client sent no RQFL for the name {name!r}, which §3.5 allows: nothing to "
            f"judge ({run.describe()})"
        )
    context = f"the client was told to get {name!r} (a double quote, {kind})"
    obj = asked[0].json()
    if not isinstance(obj, dict):
        _fail(
            "FRM-14",
            context,
            "an RQFL whose payload is a JSON object carrying the name",
            f"its RQFL payload is not a JSON object: {asked[0].payload[:120]!r}",
            run.describe(),
        )
    assert isinstance(obj, dict)
    if obj.get("name") != name:
        _fail(
            "APP-NAME-3",
            context,
            f"RQFL name {name!r} byte for byte",
            f"RQFL name {obj.get('name')!r}",
            run.describe(),
        )
    if not (run.succeeded and run.kept_file and run.out.read_bytes() == CONTENT):
        _fail(
            "APP-NAME-3",
            context,
            "the get served under that name completes",
            f"it did not: {run.describe()}",
            run.describe(),
        )


@pytest.mark.req("FRM-14", "APP-NAME-3")
@pytest.mark.parametrize("kind", _params())
def test_pki_initiator_offers_a_name_holding_a_quote_in_json(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    skip_slow_variant(request)
    name = _NAMES[kind]
    put = puts._run_put(target, tmp_path, transcripts, puts.Answer(), CONTENT, name=name)
    context = f"a put as {name!r} (a double quote, {kind})"
    if put.seen.putf is None:
        _fail(
            "FRM-14",
            context,
            "a PUTF whose payload is a JSON object carrying the name",
            f"its PUTF payload is not a JSON object: {put.seen.putf_raw[:120]!r}",
            put.describe(),
        )
    assert put.seen.putf is not None
    offered = put.seen.putf.get("name")
    if offered != name:
        _fail(
            "APP-NAME-3",
            context,
            f"a PUTF offering {name!r} byte for byte",
            f"its PUTF offered {offered!r}",
            put.describe(),
        )
    if not put.run.succeeded:
        _fail(
            "APP-NAME-3",
            context,
            "the put accepted and stored under that name is reported done",
            f"it was not: {put.describe()}",
            put.describe(),
        )
