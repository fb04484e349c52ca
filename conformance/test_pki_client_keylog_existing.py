"""PKI-TLS-8: the initiator under test writes no TLS secrets into a key log that already
exists.

test_pki_keylog.py names a file that does not exist and checks that nothing appears. An
initiator can honour SSLKEYLOGFILE only when the file is already there: NSS-style tools
append to an existing log ("the user created it, so the user wants it"), and a wrapper
that opens the file without O_CREAT (`open(path, "a")` guarded by `os.path.exists`, a
C `fopen` after `access`) writes nothing into a fresh directory and everything into a
log that a debugging session left behind. PKI-TLS-8 says "MUST NOT write its TLS secrets
anywhere ... MUST NOT honour SSLKEYLOGFILE" whatever the file's state.

Each case runs one honest get (and, when the target declares a put command, one put; and
one enrolment with the target's enrolment command against a CA the suite serves) with
SSLKEYLOGFILE naming a file that exists — empty, or holding one earlier line as a
real key log does — and then checks that its bytes are unchanged and that nothing else
appeared in its directory.

Fixtures (conformance/plugin.py): `pki_target`, `target` (pki, lab mode: the enrolment
case), `tmp_path`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    client_template,
    fresh_name,
    known_file,
    lab_pki,
    responder_alias,
)
from conformance.pki_channel import run_client_command
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import _ca_certificate, _honest, _run
from conformance.test_pki_keylog import _put_template
from conformance.wire import ConformanceFailure

__all__: list[str] = []

# What the key log holds before the run: nothing, or one line of an earlier session in
# the NSS key log format (made-up hex, of the lengths a real line has).
_BEFORE = {
    "empty": b"",
    "earlier-line": b"CLIENT_HANDSHAKE_TRAFFIC_SECRET " + b"ab" * 32 + b" " + b"cd" * 32 + b"\n",
}
_PUT_TIMEOUT = 20.0


def _trap(tmp_path: Path, before: bytes) -> tuple[Path, Path]:
    trap = tmp_path / "keylog"
    trap.mkdir(mode=0o700)
    keylog = trap / "sslkeys.log"
    fd = os.open(keylog, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(before)
    return trap, keylog


def _judge(trap: Path, keylog: Path, before: bytes, what: str, outcome: str) -> None:
    after = keylog.read_bytes() if keylog.is_file() else None
    others = sorted(p.name for p in trap.iterdir() if p != keylog)
    if after == before and not others:
        return
    changes = []
    if after != before:
        changes.append(
            f"{keylog.name} went from {len(before)} to "
            f"{'missing' if after is None else f'{len(after)} bytes'}"
        )
    if others:
        changes.append(f"new files {others}")
    raise ConformanceFailure.evidence(
        f"PKI-TLS-8: {what} with SSLKEYLOGFILE naming an existing file ({len(before)} bytes)",
        "the file unchanged and nothing else written there: an endpoint MUST NOT write its "
        "TLS secrets anywhere nor honour SSLKEYLOGFILE, whether the file exists or not",
        "; ".join(changes),
        note=outcome,
    )


@pytest.mark.req("PKI-TLS-8")
@pytest.mark.parametrize("before", sorted(_BEFORE))
def test_initiator_get_leaves_an_existing_key_log_alone(
    pki_target: Target, tmp_path: Path, before: str
) -> None:
    template = client_template(pki_target, tmp_path)
    shared = known_file(pki_target)
    trap, keylog = _trap(tmp_path, _BEFORE[before])
    out = tmp_path / "received.bin"
    run = run_client_command(
        template,
        host=pki_target.host,
        port=pki_target.port,
        name=shared.name,
        out=out,
        alias=responder_alias(pki_target),
        env={"SSLKEYLOGFILE": str(keylog)},
    )
    _judge(trap, keylog, _BEFORE[before], f"a get of {shared.name!r}", run.describe())
    if run.returncode != 0 or not run.kept_file:
        pytest.skip(
            f"the get did not complete ({run.describe()}): nothing shows a handshake ran, "
            "so the untouched key log proves nothing"
        )


@pytest.mark.req("PKI-TLS-8")
@pytest.mark.parametrize("before", sorted(_BEFORE))
def test_initiator_put_leaves_an_existing_key_log_alone(
    pki_target: Target, tmp_path: Path, before: str
) -> None:
    if not pki_target.has("put"):
        pytest.skip("the target does not declare feature 'put': no put to run")
    template = _put_template(pki_target, tmp_path)
    trap, keylog = _trap(tmp_path, _BEFORE[before])
    source = tmp_path / "sent.bin"
    source.write_bytes(b"a put with an existing SSLKEYLOGFILE\n")
    name = fresh_name("sft-keylog-existing")
    argv = [
        part.format(
            host=pki_target.host,
            port=pki_target.port,
            file=str(source),
            name=name,
            alias=responder_alias(pki_target),
        )
        for part in shlex.split(template)
    ]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=_PUT_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
            env={**os.environ, "SSLKEYLOGFILE": str(keylog)},
        )
        outcome = f"exit {done.returncode}: {done.stderr.decode('utf-8', 'replace')[-300:]}"
        succeeded = done.returncode == 0
    except subprocess.TimeoutExpired:
        outcome, succeeded = f"did not end within {_PUT_TIMEOUT:g} s", False
    _judge(trap, keylog, _BEFORE[before], f"a put of {name!r}", outcome)
    if not succeeded:
        pytest.skip(
            f"the put did not complete ({outcome}): nothing shows a handshake ran, so the "
            "untouched key log proves nothing"
        )


@pytest.mark.profile("pki")
@pytest.mark.side("initiator")
@pytest.mark.req("PKI-TLS-8")
@pytest.mark.parametrize("before", sorted(_BEFORE))
def test_enrolment_client_leaves_an_existing_key_log_alone(
    target: Target, tmp_path: Path, before: str
) -> None:
    """The enrolment client is the initiator of its connection to the CA (CA-ENR-18): the
    same existing key log, around an enrolment the suite's CA completes."""
    lab = lab_pki(target)
    trap, keylog = _trap(tmp_path, _BEFORE[before])
    run = _run(
        target,
        tmp_path,
        _ca_certificate(lab),
        _honest(lab),
        lab=lab,
        env={"SSLKEYLOGFILE": str(keylog)},
    )
    if not run.ca.handshakes:
        inconclusive(f"the enrolment client completed no TLS handshake: {run.describe()}")
    _judge(trap, keylog, _BEFORE[before], "an enrolment", run.describe())
