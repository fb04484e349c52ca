"""PKI-TLS-8: the initiator under test writes no TLS secrets, $SSLKEYLOGFILE or not.

Once "not observable on the wire" — true of a responder the suite only talks to, but
the initiator under test is a command the suite starts, in an environment the suite
chooses. The case runs one honest get with SSLKEYLOGFILE naming a file in a fresh
directory: the variable some TLS stacks honour by default (Python's
`ssl.create_default_context`, curl, NSS, BoringSSL builds). After the run neither that
file nor anything else in the directory may exist: an initiator that wrote its secrets
there lets anyone who reads the file decrypt the capture of the transfer.

The same for a put (`client_put_cmd`, the embedded run: the reference's `sft put`): a
sender is often a second code path with a context of its own (a put command added later,
built on a library's default context), which a get alone never exercises.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conformance._wire_fixtures import client_template, fresh_name, known_file, responder_alias
from conformance.pki_channel import run_client_command
from conformance.target import Target
from conformance.wire import ConformanceFailure


@pytest.mark.req("PKI-TLS-8")
def test_initiator_writes_no_key_log(pki_target: Target, tmp_path: Path) -> None:
    template = client_template(pki_target, tmp_path)
    shared = known_file(pki_target)
    trap = tmp_path / "keylog"
    trap.mkdir(mode=0o700)
    keylog = trap / "sslkeys.log"
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
    written = sorted(p.name for p in trap.iterdir())
    if written:
        sizes = {name: (trap / name).stat().st_size for name in written}
        raise ConformanceFailure(
            "Expected: no file in the directory SSLKEYLOGFILE names (PKI-TLS-8: an endpoint "
            "MUST NOT write its TLS secrets anywhere, nor honour SSLKEYLOGFILE)\n"
            f"Actual:   {sizes} (bytes) after a get of {shared.name!r}: {run.describe()}"
        )
    if run.returncode != 0 or not run.kept_file:
        pytest.skip(
            f"the get did not complete ({run.describe()}): nothing shows a handshake ran, "
            "so the absent key log proves nothing"
        )


def _put_template(target: Target, workdir: Path) -> str:
    """`client_put_cmd`, or the reference's own put for the embedded run (the identity
    directory `client_template` writes)."""
    if target.client_put_cmd:
        return target.client_put_cmd
    if not target.embedded:
        pytest.skip("a put's key log needs client_put_cmd (--client-put-cmd)")
    client_template(target, workdir)
    home = target.share.parent if target.share is not None else workdir
    iddir = shlex.quote(str(home / "client-id"))
    return (
        f"{shlex.quote(sys.executable)} -m reference put {{alias}}@{{host}}:{{port}} {{file}} "
        f"--as {{name}} --id {iddir} --quiet"
    )


@pytest.mark.req("PKI-TLS-8")
def test_initiator_writes_no_key_log_when_it_puts(pki_target: Target, tmp_path: Path) -> None:
    if not pki_target.has("put"):
        pytest.skip("the target does not declare feature 'put': no put to run")
    template = _put_template(pki_target, tmp_path)
    trap = tmp_path / "keylog"
    trap.mkdir(mode=0o700)
    keylog = trap / "sslkeys.log"
    source = tmp_path / "sent.bin"
    source.write_bytes(b"a put with SSLKEYLOGFILE set\n")
    name = fresh_name("sft-keylog")
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
            timeout=20.0,
            stdin=subprocess.DEVNULL,
            check=False,
            env={**os.environ, "SSLKEYLOGFILE": str(keylog)},
        )
        outcome = f"exit {done.returncode}: {done.stderr.decode('utf-8', 'replace')[-300:]}"
        succeeded = done.returncode == 0
    except subprocess.TimeoutExpired:
        outcome, succeeded = "did not end within 20 s", False
    written = sorted(p.name for p in trap.iterdir())
    if written:
        sizes = {entry: (trap / entry).stat().st_size for entry in written}
        raise ConformanceFailure(
            "Expected: no file in the directory SSLKEYLOGFILE names (PKI-TLS-8: an endpoint "
            "MUST NOT write its TLS secrets anywhere, nor honour SSLKEYLOGFILE)\n"
            f"Actual:   {sizes} (bytes) after a put of {name!r}: {outcome}"
        )
    if not succeeded:
        pytest.skip(
            f"the put did not complete ({outcome}): nothing shows a handshake ran, so the "
            "absent key log proves nothing"
        )
