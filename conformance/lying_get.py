"""The storage side of the lying-peer family, shared by both initiator profiles.

test_eke_client_transfer.py (the suite as a lying sft-eke/1 server) and
test_pki_initiator_transfer.py (a lying sft-pki/1 responder) judge the same storage
requirements of a get the same way: what became of a file the user already had at the
output name [APP-GET-6, APP-STORE-2], and what the output directory shows while the
transfer runs and after the client is stopped [APP-GET-6, APP-STORE-1]. The channel
differs (records / TLS); these probes do not, so they live here once.
"""

from __future__ import annotations

import stat
import time
from pathlib import Path

__all__ = [
    "OUT_NAME",
    "PROBE_BUDGET",
    "USERS_FILE",
    "entries_while_transferring",
    "look_at",
    "users_file_state",
]

OUT_NAME = "received.bin"  # the output name every client run is given ({out})
USERS_FILE = b"the user's own file, not to be replaced\n"
PROBE_BUDGET = 3.0  # seconds for the client to create its temporary file


def users_file_state(out: Path, download: bytes) -> str:
    """What became of the user's own file (USERS_FILE) at the output name."""
    if not out.exists():
        return "deleted"
    content = out.read_bytes()
    if content == USERS_FILE:
        return "intact"
    if content == download:
        return "replaced by the download"
    return f"changed ({len(content)} bytes)"


def entries_while_transferring(outdir: Path, notes: list[str]) -> list[Path]:
    """The output directory's entries once the client has made one (bounded by count
    and by PROBE_BUDGET); an empty directory is noted as such (not a failure)."""
    deadline = time.monotonic() + PROBE_BUDGET
    entries: list[Path] = []
    for _ in range(300):  # bounded by count and by PROBE_BUDGET
        entries = list(outdir.iterdir())
        if entries or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    if not entries:
        notes.append("(no file in the output directory during the transfer)")
    return entries


def look_at(notes: list[str], entries: list[Path], when: str) -> None:
    """Notes the final name shown `when` [APP-GET-6] and a temporary file others may
    read [APP-STORE-1] (each once)."""
    for entry in entries:
        try:
            info = entry.lstat()
        except FileNotFoundError:  # renamed or removed meanwhile
            continue
        mode = stat.S_IMODE(info.st_mode)
        if entry.name == OUT_NAME:
            note = f"APP-GET-6: the final name exists {when} ({mode:04o}, {info.st_size} bytes)"
        elif mode & 0o077:
            note = f"APP-STORE-1: temporary file {entry.name} has mode {mode:04o}"
        else:
            continue
        if note not in notes:
            notes.append(note)
