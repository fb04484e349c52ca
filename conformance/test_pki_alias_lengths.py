"""sft-pki/1: every alias PKI-CERT-2 allows is an alias, whatever its length (docs/SPEC.md
§4.2, PKI-CERT-2: "an endpoint MUST NOT refuse a peer for its alias's length or
characters within this set").

An alias is 1 to 64 characters of `a`-`z`, `0`-`9`, `.`, `_`, `-`, starting with a letter
or digit. An endpoint that checks the peer's CN against its own copy of that pattern can
get the bounds wrong — a repeat of `{1,62}` or `{0,62}`, a `+` for `*`, a `len(alias) < 64`
— or the set (a `.` taken for a host-name separator, a leading digit refused). Such an
endpoint refuses valid employees at the edges and nobody else, so no case with an
ordinary alias sees it. The suite mints (lab mode) valid employee certificates of the
organisation root whose CN is an alias at the edges: exactly 1 character (a letter, a
digit) and exactly 64 — starting with a digit, holding `..`, `__`, `--` and ending in
`._-`, so that a DNS-label or host-name reading of the set fails it too — in the default
run; 63 characters, one holding each of `.`, `_`, `-` in the middle, and one starting with
a digit in the slow run.

Responder: the suite connects as that employee and asks for a file.
- The alias is admitted (on the declared allow list, or the target declares no allow
  list at all, so every employee is served): the get MUST complete.
- The alias is not on the declared allow list (the embedded reference's case): the
  responder MUST treat it as any employee not on its list. A control connection first
  presents an ordinary unlisted alias; if the responder answers it `EROR forbidden`
  (PKI-ID-3), the edge alias MUST be answered `forbidden` too — a refused handshake, an
  `EROR auth_failed` or a close is a refusal of the certificate for its alias. A responder
  that refuses the ordinary outsider at the handshake already (test_pki_certs.py allows
  it) cannot be judged this way: SKIP.

Initiator: asked for `ALIAS@host:port` with an alias at the edges, the client under test
meets the suite's honest responder presenting a valid certificate of exactly that CN: it
MUST complete the get (exit as its success rule says, the file kept, the content right).
Refusing its own argument or the responder's certificate for the alias's length is the
failure. Should the client fail, an ordinary get (the target's responder alias) is run
once as a control: if that fails too, the client under test was not exercised (ERROR).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    ClientNotExercised,
    TranscriptBook,
    get_file,
    honest_get_script,
    known_file,
    lab_pki,
    responder_alias,
    run_initiator,
)
from conformance.pki_channel import HandshakeRefused, client_context, close_bound, connect_pki
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError, ExpectFrame

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki")]

CONTENT = b"an alias at the edges of PKI-CERT-2\n"

# 64 characters that also start with a digit, hold each of `.`, `_`, `-` doubled and end in
# them: a host-name or DNS-label reading of the set (no `_`, no `..`, no `-` or `.` at the
# end, a letter first) refuses it in the default run, not only the length bounds.
_SIXTY_FOUR = "9" + "a..b__c--d" + "0123456789" * 5 + "._-"
assert len(_SIXTY_FOUR) == 64

# label -> alias: the boundaries first (default run), then the other forms (slow).
_EDGES = {
    "one-letter": "q",
    "one-digit": "7",
    "sixty-four": _SIXTY_FOUR,
    "sixty-three": _SIXTY_FOUR[:62] + "w",
    "dot-underscore-hyphen": "edge.alias_with-all",
    "leading-digit": "4edge-alias",
}
assert len(_EDGES["sixty-three"]) == 63
_SLOW = frozenset({"sixty-three", "dot-underscore-hyphen", "leading-digit"})


def _params() -> list[object]:
    return [
        pytest.param(label, marks=pytest.mark.slow) if label in _SLOW else label for label in _EDGES
    ]


# An ordinary alias no allow list is expected to hold (the control of the responder case).
_OUTSIDER = "sft-edge-outsider"


# --- responder --------------------------------------------------------------------------


def _answer(
    target: Target,
    workdir: Path,
    transcripts: TranscriptBook,
    alias: str,
    label: str,
    *,
    admitted: bool,
) -> tuple[str, str]:
    """Connects as a valid employee named `alias` and asks for a file: ("served" |
    "forbidden" | "refused", what happened)."""
    assert target.root is not None
    cert, key = lab_pki(target).employee(alias).write(workdir, label)
    result = connect_pki(
        target.host,
        target.port,
        client_context(target.root, cert, key),
        name=f"pki as employee {alias!r}",
    )
    if isinstance(result, HandshakeRefused):
        transcripts.add(result.transcript)
        return "refused", result.describe()
    transcripts.add(result)
    try:
        result.close_within = close_bound(target.limits.idle_timeout)
        if admitted:
            known = known_file(target)
            got = get_file(result, known.name, also=[ExpectError(), ExpectClose()])
            if got.done is None:
                return "refused", f"RQFL {known.name!r} answered {got.first.actual.describe()}"
            digest = hashlib.sha256(got.data).hexdigest()
            if digest != known.sha256:
                return "refused", f"{known.name!r} served with sha256 {digest}, not {known.sha256}"
            return "served", f"{known.name!r} served ({len(got.data)} bytes)"
        name = target.files[0].name if target.files else "hello.txt"
        result.send_frame("RQFL", {"name": name})
        outcome = result.expect([ExpectError("forbidden"), ExpectFrame("RSFL")])
        first = outcome.actual
        described = f"RQFL {name!r} answered {first.describe()}"
        if outcome.frame is not None and outcome.frame.type == b"RSFL":
            return "served", described
        if outcome.frame is not None and outcome.frame.error_name == "forbidden":
            return "forbidden", described
        return "refused", described
    finally:
        result.close()


# The control's answer, once per responder (host, port): not repeated for every edge.
_CONTROL: dict[tuple[str, int], tuple[str, str]] = {}


def _control(target: Target, workdir: Path, transcripts: TranscriptBook) -> tuple[str, str]:
    key = (target.host, target.port)
    if key not in _CONTROL:
        _CONTROL[key] = _answer(
            target, workdir, transcripts, _OUTSIDER, "control-outsider", admitted=False
        )
    return _CONTROL[key]


@pytest.mark.side("responder")
@pytest.mark.req("PKI-CERT-2")
@pytest.mark.parametrize("label", _params())
def test_responder_takes_a_client_alias_at_the_edges(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    alias = _EDGES[label]
    if target.allow is not None:
        admitted = alias in target.allow
    else:
        # No allow list declared: without the feature every employee is served; with it
        # but the list undeclared, the control decides what an outsider gets.
        admitted = not target.has("allow-list")
    if admitted:
        expected, why = "served", "the alias is admitted"
    else:
        if _OUTSIDER in (target.allow or ()):
            pytest.skip(f"the allow list holds the control alias {_OUTSIDER!r}")
        control, seen = _control(target, tmp_path, transcripts)
        if control == "refused":
            pytest.skip(
                f"the responder refuses an ordinary employee not on its allow list "
                f"({_OUTSIDER!r}) outright ({seen}): an alias refused for its length looks "
                "the same"
            )
        expected = control
        why = f"as the ordinary outsider {_OUTSIDER!r}: {seen}"
    kind, actual = _answer(target, tmp_path, transcripts, alias, f"edge-{label}", admitted=admitted)
    if kind != expected:
        raise ConformanceFailure.evidence(
            f"PKI-CERT-2: a valid employee certificate of the organisation whose CN is "
            f"{alias!r} (length {len(alias)}: {label}), a valid alias",
            f"{expected} ({why}): an endpoint MUST NOT refuse a peer for its alias's length "
            "or characters",
            actual,
            note=f"allow list declared: {target.allow!r}",
        )


# --- initiator --------------------------------------------------------------------------


@pytest.mark.side("initiator")
@pytest.mark.req("PKI-CERT-2")
@pytest.mark.parametrize("label", _params())
def test_initiator_gets_from_a_responder_alias_at_the_edges(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    alias = _EDGES[label]
    lab = lab_pki(target)
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab.employee(alias),
        script=honest_get_script(CONTENT),
        alias=alias,
    )
    content = run.out.read_bytes() if run.kept_file else None
    if run.succeeded and content == CONTENT:
        return
    # Was the client under test exercised at all? An ordinary get tells.
    control, _ = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab.employee(responder_alias(target)),
        script=honest_get_script(CONTENT),
    )
    if not (control.succeeded and control.kept_file and control.out.read_bytes() == CONTENT):
        raise ClientNotExercised(
            "an ordinary get (the target's responder alias) fails too, so the alias's "
            f"length was not what the client refused: {control.describe()}"
        )
    raise ConformanceFailure.evidence(
        f"PKI-CERT-2: the initiator asked for {alias!r} (length {len(alias)}: {label}), "
        "a valid alias; the responder presents a valid employee certificate whose CN is "
        "exactly that alias and serves the file honestly",
        "the get completes: an endpoint MUST NOT refuse a peer for its alias's length or "
        "characters (an ordinary alias's get completes)",
        ("connected, " if hostile.transcripts else "never connected, ")
        + f"{'kept' if content is not None else 'no'} output file"
        + ("" if content in (None, CONTENT) else " with other content")
        + f"; frames the client sent: {hostile.frames_received() or 'none'}",
        note=f"{run.describe()}; hostile responder TLS errors: {hostile.handshake_errors}",
    )
