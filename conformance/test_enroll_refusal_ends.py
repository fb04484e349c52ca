"""sft-pki/1: the ENROLMENT client under test ENDS after a refused enrolment, with a
non-zero exit (docs/SPEC.md §4.4 CA-ENR-12).

CA-ENR-12: any answer but a `200` holding a certificate for the client's key, its alias
and the organisation root "fails the enrolment (non-zero exit)". A client that never
exits never reports that failure: a script waiting for it hangs, and nothing tells the
user the enrolment did not happen. The suite's other enrolment cases take a client that
outlives their deadline as INCONCLUSIVE (a slow client is not evidence); this file
judges the end itself, with a CA that refuses at once, so the deadline is generous for
any client.

The class of bug: something started for the enrolment and stopped on the success path
only — a progress or spinner thread that is not a daemon (Java's non-daemon executor,
a Python thread without `daemon=True`), a child process waited for, a connection pool
whose reader thread keeps the process alive — so every failure path, which ends the
enrolment's work, never ends the process.

The hostile CA (test_enroll_client.py's) answers the enrolment request with:

- `auth_failed_401`: `401 {"error": "auth_failed", ...}` (the refusal detected from the
  status);
- `another_key`: `200` with a root-issued certificate for the alias but another key (the
  refusal detected by the client's own check of the answer).

The client MUST end within the run's deadline (30 s; a refusing CA ends an honest
client's run in a second or two) with a non-zero exit [CA-ENR-12].

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import (
    ALIAS,
    PASSWORD,
    Answer,
    HostileCa,
    _ca_certificate,
    _enroll_cmd,
    _fixed,
    _other_key,
    _server_context,
)
from conformance.wire import ConformanceFailure
from conformance.x509 import LabPKI
from sftkit.launch import LaunchError, python_env, run_command
from sftkit.target_options import client_launch

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_DEADLINE = 30.0  # seconds for the whole run against a CA that refuses at once

_REFUSALS: dict[str, tuple[str, Callable[[LabPKI], Answer]]] = {
    "auth_failed_401": (
        "401 auth_failed",
        lambda _lab: _fixed(
            401,
            {"Content-Type": "application/json"},
            b'{"error": "auth_failed", "message": "wrong alias or password"}',
        ),
    ),
    "another_key": (
        "200 with a root-issued certificate for the alias and ANOTHER key",
        _other_key,
    ),
}


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize("kind", list(_REFUSALS))
def test_enrolment_client_ends_after_a_refusal(target: Target, tmp_path: Path, kind: str) -> None:
    lab: LabPKI = lab_pki(target)
    what, make = _REFUSALS[kind]
    answer = make(lab)
    template = _enroll_cmd(target)
    assert target.root is not None
    ca = HostileCa(
        _server_context(tmp_path, _ca_certificate(lab)),
        answer,
        lab.root.crl_der(),
        target.root.read_bytes(),
    )
    pw = tmp_path / "enrol.password"
    pw.touch(mode=0o600)
    pw.write_bytes((PASSWORD + "\n").encode())
    out = tmp_path / "identity"
    ca.start()
    ended: str | None = None
    returncode: int | None = None
    note = ""
    try:
        values = {
            "ca_url": ca.url,
            "root": str(target.root),
            "alias": ALIAS,
            "password_file": str(pw),
            "out": str(out),
        }
        launch = client_launch(template, values, success="exit")
        try:
            done = run_command(
                list(launch.argv),
                stdin=launch.stdin or b"",
                timeout=_DEADLINE,
                env=python_env(None),
                cwd=tmp_path,
            )
            returncode = done.returncode
            ended = (done.stdout + done.stderr).decode(errors="replace").strip()[-300:]
        except LaunchError as exc:
            ended = None
            note = str(exc)
    finally:
        ca.stop()
    if not ca.enrolments():
        inconclusive(f"the client sent no enrolment request (exit {returncode}, {ended!r})")
    if ended is None:
        failure = ConformanceFailure.evidence(
            f"CA-ENR-12: enrolment of {ALIAS!r}; the CA answers {what} ({kind})",
            f"the enrolment fails: the client ends with a non-zero exit (within {_DEADLINE:g} "
            "s of a CA that refuses at once)",
            f"the client had not ended after {_DEADLINE:g} s: killed ({note})",
            note=f"requests seen by the CA: {[f'{r.method} {r.path}' for r in ca.requests]}",
        )
        failure.violates = ("CA-ENR-12",)
        raise failure
    if returncode == 0:
        failure = ConformanceFailure.evidence(
            f"CA-ENR-12: enrolment of {ALIAS!r}; the CA answers {what} ({kind})",
            "the enrolment fails: non-zero exit",
            f"exit 0: the enrolment was reported done; output {ended!r}",
        )
        failure.violates = ("CA-ENR-12",)
        raise failure
