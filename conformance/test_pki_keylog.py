"""PKI-TLS-8: the initiator under test writes no TLS secrets, $SSLKEYLOGFILE or not.

Once "not observable on the wire" — true of a responder the suite only talks to, but
the initiator under test is a command the suite starts, in an environment the suite
chooses. The case runs one honest get with SSLKEYLOGFILE naming a file in a fresh
directory: the variable some TLS stacks honour by default (Python's
`ssl.create_default_context`, curl, NSS, BoringSSL builds). After the run neither that
file nor anything else in the directory may exist: an initiator that wrote its secrets
there lets anyone who reads the file decrypt the capture of the transfer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import client_template, known_file, responder_alias
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
