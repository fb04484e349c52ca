"""PKI-TLS-8 at an sft-pki/1 INITIATOR: its TLS secrets are written nowhere, not only not
where $SSLKEYLOGFILE says.

"An endpoint MUST NOT write its TLS secrets anywhere: no key log". test_pki_keylog.py
sets SSLKEYLOGFILE and looks into the directory it names; an initiator that keeps a
debugging key log of its own (an NSS key log for Wireshark left on, written to a fixed
name in the temporary directory, the home directory, a cache or state directory, the
working directory or beside the output) writes the same secrets where that case never
looks, whatever the variable says.

Here the suite's responder knows the secrets: its own TLS context writes the key log of
the connection (the suite's, in a directory of its own). The initiator under test makes
one honest get with its temporary directory, HOME and XDG
directories pointed at fresh directories; then those, the output directory, and the
files of the working directory and of the system's temporary directories written during
the run (top level) are searched for any of the connection's traffic secrets: as
hexadecimal (either case), raw bytes or base64. Any hit is a FAIL. Bounded: at most a
few hundred files, each read up to 1 MiB.
"""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as lies
from conformance._wire_fixtures import (
    _run_initiator_once,
    client_template,
    lab_pki,
    responder_alias,
)
from conformance.lying_get import client_tmpdir_env
from conformance.pki_channel import HostileResponder, server_context
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_XDG = ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR")
_SYSTEM_TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm")  # noqa: S108 - only read, never written
_MAX_FILES = 300
_MAX_BYTES = 1 << 20


def _secrets_of(keylog: Path) -> list[bytes]:
    """The traffic secrets of an NSS key log (`LABEL client_random secret` lines)."""
    found = []
    for line in keylog.read_text(encoding="ascii", errors="replace").splitlines()[:64]:
        parts = line.split()
        if len(parts) == 3 and "SECRET" in parts[0]:
            try:
                found.append(bytes.fromhex(parts[2]))
            except ValueError:
                continue
    return found


def _forms(secret: bytes) -> list[tuple[str, bytes]]:
    return [
        ("hex", secret.hex().encode()),
        ("HEX", secret.hex().upper().encode()),
        ("raw", secret),
        ("base64", base64.b64encode(secret).rstrip(b"=")),
        ("base64url", base64.urlsafe_b64encode(secret).rstrip(b"=")),
    ]


def _tree(root: Path, depth: int = 5) -> Iterator[Path]:
    """Regular files under `root`, symbolic links not followed (bounded by the caller)."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_symlink():
                continue
            if entry.is_file():
                yield Path(entry.path)
            elif entry.is_dir() and depth > 0:
                yield from _tree(Path(entry.path), depth - 1)
        except OSError:
            continue


def _recent_top_level(directory: Path, since: float) -> Iterator[Path]:
    try:
        entries = list(os.scandir(directory))[:5000]  # bounded
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime >= since:
                yield Path(entry.path)
        except OSError:
            continue


def _hits(files: list[Path], secrets_: list[bytes]) -> list[str]:
    hits = []
    for path in files[:_MAX_FILES]:
        try:
            with open(path, "rb") as f:
                data = f.read(_MAX_BYTES)
        except OSError:  # gone meanwhile, or not ours to read
            continue
        for secret in secrets_:
            form = next((name for name, text in _forms(secret) if text in data), None)
            if form is not None:
                hits.append(f"{path} holds a traffic secret of the connection ({form})")
                break
    return hits


@pytest.mark.req("PKI-TLS-8")
def test_initiator_writes_its_tls_secrets_nowhere(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    template = client_template(target, tmp_path)
    assert target.root is not None
    suite_dir = tmp_path / "suite-keylog"
    suite_dir.mkdir(mode=0o700)
    suite_log = suite_dir / "responder.keys"
    cert = lab_pki(target).employee(responder_alias(target))
    cert_path, key_path = cert.write(suite_dir, f"responder-{uuid.uuid4().hex[:6]}")
    ctx = server_context(cert_path, key_path, target.root)
    ctx.keylog_filename = str(suite_log)  # the suite's own secrets of this connection

    watched = tmp_path / "client-env"
    temp, home = watched / "tmp", watched / "home"
    for directory in (temp, home):
        directory.mkdir(parents=True)
    env = {**client_tmpdir_env(temp), "HOME": str(home)}
    for name in _XDG:
        (watched / name.lower()).mkdir(mode=0o700)
        env[name] = str(watched / name.lower())
    outdir = tmp_path / "out"
    outdir.mkdir()
    box: dict[str, lies.LyingResponder] = {}
    since = time.time() - 1.0  # file times have a coarse grain on some file systems
    with HostileResponder(ctx, lies._script(lies._honest, outdir, box), timeout=5.0) as hostile:
        run = _run_initiator_once(
            target,
            template,
            host=hostile.host,
            port=hostile.port,
            name=lies.NAME,
            out=outdir / "received.bin",
            alias=responder_alias(target),
            env=env,
        )
    for t in hostile.transcripts:
        transcripts.add(t)
    if hostile.script_errors:
        raise RuntimeError(f"harness fault in the suite's responder: {hostile.script_errors}")
    secrets_ = _secrets_of(suite_log) if suite_log.exists() else []
    if not secrets_:
        pytest.skip(
            f"no TLS handshake completed with the suite's responder ({run.describe()}): "
            "there are no secrets to look for"
        )
    files = [*_tree(watched), *_tree(outdir), *_recent_top_level(Path.cwd(), since)]
    for system_temp in _SYSTEM_TEMP_DIRS:
        files.extend(_recent_top_level(Path(system_temp), since))
    hits = _hits(files, secrets_)
    if hits:
        raise ConformanceFailure(
            "Expected: the connection's TLS secrets in no file the initiator can write "
            "(PKI-TLS-8: an endpoint MUST NOT write its TLS secrets anywhere: no key log)\n"
            f"Actual:   {'; '.join(hits[:5])}\n"
            f"Note: an honest get with TMPDIR={temp}, HOME={home}: "
            f"{run.describe()}"
        )
    if run.returncode != 0 or not run.kept_file:
        pytest.skip(
            f"the get did not complete ({run.describe()}): nothing shows the initiator "
            "went as far as a transfer"
        )
