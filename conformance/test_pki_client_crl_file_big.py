"""sft-pki/1: the initiator under test reads a large CRL file whole (docs/SPEC.md §4.2,
PKI-CERT-11: "a CRL is read whole, whatever its number of entries"), given through the
target's `client_crl_cmd` (its get command with `{crl}`). Without that key: SKIP.

test_pki_initiator_crl_file.py's largest CRL has 300 entries (about 10 KB): a reader that
takes the file in one read of a fixed buffer (64 KiB, 128 KiB, a 16-bit length), or that
stops parsing at some count of entries, never meets its limit there. Here (lab mode: the
suite holds the root key) the root signs a fresh CRL of 6 000 entries (about 186 KB,
beyond 128 KiB and any 16-bit length) and the suite's responder presents a certificate
it mints under the alias the initiator asks for:

- `not_listed`: the responder's serial is not on the CRL: the get MUST succeed (a CRL cut
  by a buffer parses as nothing, and a fail-closed reader then refuses every responder —
  honest ones too);
- `listed_last`: the responder's serial is the CRL's last entry (serials in increasing
  order, as the CA writes them): the initiator MUST refuse it (a reader that keeps the
  entries that fit lets it through).

A control first (once per target): the same setup with a CRL of three other entries must
give a successful get, or the cases are INCONCLUSIVE (the client cannot run this setup).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shlex
import uuid
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    InitiatorRun,
    TranscriptBook,
    honest_get_script,
    judge_refusal,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator,
)
from conformance.pki_channel import HostileResponder
from conformance.plugin import inconclusive
from conformance.target import Target, TargetConfigError
from conformance.wire import ConformanceFailure
from conformance.x509 import LabPKI

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"a large CRL, read whole\n"
_ENTRIES = 6_000
_SERIAL_BITS = 88  # 12-octet serials, as the other CRL-file cases use
_MINUTE = dt.timedelta(minutes=1)


def _serial(top: int) -> int:
    return (top << _SERIAL_BITS) | secrets.randbits(_SERIAL_BITS)


def _fillers(count: int) -> set[int]:
    """`count` distinct serials below every responder serial (first octet 0x10)."""
    out: set[int] = set()
    while len(out) < count:
        out.add(_serial(0x10))
    return out


def _crl_target(target: Target, crl_file: Path) -> Target:
    template = target.client_crl_cmd
    if not template:
        pytest.skip(
            "needs client_crl_cmd (the initiator's get command with {crl}, a CRL file it "
            "must use instead of its CA's)"
        )
    parts = shlex.split(template)
    if not any("{crl}" in part for part in parts):
        raise TargetConfigError(f"client_crl_cmd has no {{crl}} placeholder: {template!r}")
    path = str(crl_file).replace("{", "{{").replace("}", "}}")
    return target.with_changes(
        client_cmd=shlex.join(part.replace("{crl}", path) for part in parts)
    )


def _get(
    target: Target,
    lab: LabPKI,
    tmp_path: Path,
    transcripts: TranscriptBook,
    *,
    serial: int,
    revoked: set[int],
) -> tuple[InitiatorRun, HostileResponder, int]:
    """One get through client_crl_cmd with a fresh root-signed CRL listing `revoked`;
    returns the run, the responder and the CRL's size in bytes."""
    this_update = dt.datetime.now(dt.UTC) - _MINUTE
    lab.root.revoked = dict.fromkeys(sorted(revoked), this_update - _MINUTE)
    der = lab.root.crl_der(this_update=this_update, next_update=this_update + dt.timedelta(days=1))
    crl_file = tmp_path / f"crl-{uuid.uuid4().hex[:6]}.der"
    crl_file.write_bytes(der)
    cert = lab.employee(responder_alias(target), serial=serial)
    run, hostile = run_initiator(
        _crl_target(target, crl_file),
        tmp_path,
        transcripts,
        cert=cert,
        script=honest_get_script(CONTENT),
    )
    return run, hostile, len(der)


def _served(run: InitiatorRun, hostile: HostileResponder) -> bool:
    return (
        run.succeeded
        and "RQFL" in hostile.frames_received()
        and run.kept_file
        and run.out.read_bytes() == CONTENT
    )


_CONTROL: dict[tuple[str, int, str], str | None] = {}


def _require_control(
    target: Target, lab: LabPKI, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    key = (target.host, target.port, target.client_crl_cmd or "")
    if key not in _CONTROL:
        control_dir = tmp_path / "control"
        control_dir.mkdir()
        run, hostile, _ = _get(
            target, lab, control_dir, transcripts, serial=_serial(0x7F), revoked=_fillers(3)
        )
        _CONTROL[key] = None if _served(run, hostile) else run.describe()
    reason = _CONTROL[key]
    if reason is not None:
        inconclusive(
            "control: with a fresh root-signed CRL of three entries not listing the "
            "responder, the client's get through client_crl_cmd did not succeed, so "
            f"nothing here could be judged: {reason}"
        )


@pytest.mark.req("PKI-CERT-11")
@pytest.mark.parametrize("listed", [False, True], ids=["not_listed", "listed_last"])
def test_initiator_reads_a_large_crl_file_whole(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, listed: bool
) -> None:
    lab = lab_pki(target)
    _require_control(target, lab, tmp_path, transcripts)
    serial = _serial(0x7F)
    revoked = _fillers(_ENTRIES - 1 if listed else _ENTRIES)
    if listed:
        revoked.add(serial)
    run, hostile, size = _get(target, lab, tmp_path, transcripts, serial=serial, revoked=revoked)
    what = (
        f"a fresh root-signed CRL of {len(revoked)} entries ({size} bytes, serials in "
        f"increasing order)"
    )
    if listed:
        if not hostile.transcripts:
            # It never connected: it could not use this CRL at all, which `not_listed`
            # judges (the control shows the setup works with a small CRL).
            inconclusive(
                f"with {what}, the client never connected, so its revocation check was "
                f"not exercised (see not_listed): {run.describe()}"
            )
        require_reached(run, hostile, request=False)
        try:
            judge_refusal(
                run,
                hostile,
                f"PKI-CERT-11: {what} whose last entry is the responder's serial "
                f"{serial:#x}; the initiator must refuse the responder",
            )
        except ConformanceFailure as failure:
            failure.violates = ("PKI-CERT-11",)
            raise
        return
    if not _served(run, hostile):
        missed = ConformanceFailure.evidence(
            f"PKI-CERT-11: {what}, not listing the responder (serial {serial:#x}), with "
            "the same setup whose get succeeded with a CRL of three entries",
            "the CRL is read whole whatever its number of entries: the responder, not on "
            "it, is served (get succeeds, the file kept)",
            run.describe(),
        )
        missed.violates = ("PKI-CERT-11",)
        raise missed
