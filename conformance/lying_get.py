"""The storage side of the lying-peer family, shared by both initiator profiles.

test_eke_client_transfer.py (the suite as a lying sft-eke/1 server) and
test_pki_initiator_transfer.py (a lying sft-pki/1 responder) judge the same storage
requirements of a get the same way: what became of a file the user already had at the
output name [APP-GET-6, APP-STORE-2], and what the output directory shows while the
transfer runs and after the client is stopped [APP-GET-6, APP-STORE-1], and whether it
sweeps a stale temporary but not a live one [APP-STORE-3]. The channel
differs (records / TLS); these probes do not, so they live here once.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterable
from pathlib import Path

from conformance.wire import ConformanceFailure

__all__ = [
    "OUT_NAME",
    "PARTIAL_PREFIX",
    "PROBE_BUDGET",
    "RENAME_WATCH",
    "USERS_FILE",
    "entries_once_written",
    "entries_while_transferring",
    "existing_file_state",
    "LIVE_TEMPORARY",
    "STALE_FOREIGN_TEMPORARIES",
    "STALE_TEMPORARY",
    "check_sweep",
    "look_at",
    "plant_stale_and_live",
    "sweep_skip_reason",
    "users_file_state",
]

OUT_NAME = "received.bin"  # the output name every client run is given ({out})
USERS_FILE = b"the user's own file, not to be replaced\n"
PROBE_BUDGET = 3.0  # seconds for the client to create its temporary file
# The temporary file's fixed prefix [APP-STORE-1]: `NAME.part`, `.NAME.tmp` or a file in
# /tmp are not it (the sweep of APP-STORE-3 and APP-NAME-9 rely on the prefix).
PARTIAL_PREFIX = ".sft-partial-"


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


def existing_file_state(out: Path, existing: bytes) -> str:
    """What became of a file of the user's (`existing`, maybe empty) at the output name."""
    if not out.exists():
        return "deleted"
    content = out.read_bytes()
    if content == existing:
        return "intact"
    return f"changed (now {len(content)} bytes)"


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


RENAME_WATCH = 0.5  # seconds the final name is watched for once every byte is written


def entries_once_written(outdir: Path, size: int, notes: list[str]) -> list[Path]:
    """The output directory's entries once the client has written `size` bytes to one of
    them (all the data, no DONE yet), watched RENAME_WATCH seconds more for the final name:
    a client that renames as soon as the size is complete does it right after its last
    write (and an fsync). Bounded by count and by PROBE_BUDGET; a client that buffers its
    writes only makes this wait the budget out (not a failure). A conforming client never
    shows the final name here, so the watch can only miss a bug, never invent one."""
    deadline = time.monotonic() + PROBE_BUDGET
    written_at: float | None = None
    entries: list[Path] = []
    for _ in range(600):  # bounded by count and by PROBE_BUDGET + RENAME_WATCH
        entries = list(outdir.iterdir())
        now = time.monotonic()
        if any(e.name == OUT_NAME for e in entries):
            break
        if written_at is None and any(_size(e) >= size for e in entries):
            written_at = now
        if written_at is not None and now > written_at + RENAME_WATCH:
            break
        if written_at is None and now > deadline:
            notes.append(f"(no file of {size} bytes in the output directory within the budget)")
            break
        time.sleep(0.01)
    return entries


def _size(entry: Path) -> int:
    try:
        return entry.lstat().st_size
    except FileNotFoundError:  # renamed or removed meanwhile
        return -1


def look_at(notes: list[str], entries: list[Path], when: str) -> None:
    """Notes the final name shown `when` [APP-GET-6] and a temporary file others may
    read or that is not named `.sft-partial-*` [APP-STORE-1] (each once; only files
    holding data count as temporaries)."""
    for entry in entries:
        try:
            info = entry.lstat()
        except FileNotFoundError:  # renamed or removed meanwhile
            continue
        mode = stat.S_IMODE(info.st_mode)
        if entry.name == OUT_NAME:
            note = f"APP-GET-6: the final name exists {when} ({mode:04o}, {info.st_size} bytes)"
        elif not stat.S_ISREG(info.st_mode) or info.st_size == 0:
            # Not (yet) holding data: a client's lock or marker file is none of the
            # suite's business; a temporary is judged once bytes reach it.
            continue
        elif mode & 0o077:
            note = f"APP-STORE-1: temporary file {entry.name} has mode {mode:04o}"
        elif not entry.name.startswith(PARTIAL_PREFIX):
            note = f"APP-STORE-1: temporary file {entry.name!r} is not named {PARTIAL_PREFIX}*"
        else:
            continue
        if note not in notes:
            notes.append(note)


# APP-STORE-3 for both clients: a `.sft-partial-*` nobody wrote to for a day is a killed
# run's and must be swept; one written to just now may be another live client's and stays.
STALE_TEMPORARY = ".sft-partial-0123456789abcdef01234567"
LIVE_TEMPORARY = ".sft-partial-fedcba9876543210fedcba98"
# The random part is the writer's choice (APP-STORE-1 fixes only the prefix): a killed run
# of another implementation leaves names of another shape, and the sweep is by prefix. A
# client that sweeps only names of its own format (`.sft-partial-` + 24 hex digits, say)
# leaves these.
STALE_FOREIGN_TEMPORARIES = (".sft-partial-Zq7_x-1a.tmp", ".sft-partial-7")
_DAY = 24 * 3600.0


def sweep_skip_reason(idle_timeout: float) -> str | None:
    """Why stale cannot be told from live for this target (None when it can)."""
    if idle_timeout >= _DAY / 2:
        return "the target's idle timeout is too long to tell stale from live"
    return None


# The live temporary is another initiator's, still being written while the client under
# test runs: its modification time is set a little ahead (_LIVE_AHEAD), as if it went on
# being written. Written once and left alone, it would become stale by the rule itself when
# the client starts later than the idle timeout after it was planted: a JVM starting under
# load (the independent pki4) took longer than the embedded target's 1.5 s.
_LIVE_AHEAD = 120.0


def plant_stale_and_live(outdir: Path) -> None:
    """A day-old temporary and one being written now, in the client's output directory."""
    old = time.time() - _DAY
    for name in (STALE_TEMPORARY, *STALE_FOREIGN_TEMPORARIES):
        (outdir / name).write_bytes(b"left by a killed run")
        os.utime(outdir / name, (old, old))
    (outdir / LIVE_TEMPORARY).write_bytes(b"being written by another client")
    ahead = time.time() + _LIVE_AHEAD
    os.utime(outdir / LIVE_TEMPORARY, (ahead, ahead))


def check_sweep(leftovers: Iterable[str], note: str) -> None:
    """FAIL APP-STORE-3 unless the stale temporary went and the live one stayed."""
    left = set(leftovers)
    problems = []
    if STALE_TEMPORARY in left:
        problems.append(f"the day-old {STALE_TEMPORARY} is still there")
    if foreign := [name for name in STALE_FOREIGN_TEMPORARIES if name in left]:
        problems.append(
            f"the day-old {foreign} (the same prefix, a random part of another shape) "
            "are still there"
        )
    if LIVE_TEMPORARY not in left:
        problems.append(f"{LIVE_TEMPORARY}, written to just now, was removed")
    if problems:
        raise ConformanceFailure.evidence(
            "APP-STORE-3: a get into a directory holding a stale and a live temporary file",
            "the stale one (not written to for a day) is removed, the live one kept",
            "; ".join(problems),
            note=note,
        )


# APP-STORE-1 for both clients: the temporary file belongs in the output directory. A
# runtime's temp-file helper (Go's os.CreateTemp(""), Python's tempfile, Node's
# os.tmpdir()) puts it in $TMPDIR instead, where watching the output directory never sees
# it: the cases point the client's TMPDIR/TMP/TEMP at a directory of their own and look.
# A JVM ignores $TMPDIR (java.io.tmpdir is /tmp on Linux whatever the environment: pki4's
# Files.createTempFile escaped), so its temp directory is set through JAVA_TOOL_OPTIONS,
# the option variable every JVM reads, appended to the user's own.


def client_tmpdir_env(tmpdir: Path) -> dict[str, str]:
    """The environment that points a client's temp-file helpers at `tmpdir`."""
    env = {"TMPDIR": str(tmpdir), "TMP": str(tmpdir), "TEMP": str(tmpdir)}
    if not any(c.isspace() for c in str(tmpdir)):  # JAVA_TOOL_OPTIONS splits on spaces
        jvm = os.environ.get("JAVA_TOOL_OPTIONS", "").strip()
        env["JAVA_TOOL_OPTIONS"] = f"{jvm} -Djava.io.tmpdir={tmpdir}".strip()
    return env


def _data_elsewhere(tmpdir: Path, content: bytes) -> list[str]:
    """Files under `tmpdir` holding the start of `content` (only what the client received
    counts, never a lock or scratch file of its own)."""
    found = []
    for entry in sorted(tmpdir.rglob("*"))[:200]:  # bounded
        try:
            if not entry.is_file() or entry.is_symlink() or entry.stat().st_size == 0:
                continue
            head = entry.read_bytes()[: len(content)]
        except OSError:  # removed meanwhile
            continue
        if content.startswith(head):
            found.append(str(entry.relative_to(tmpdir)))
    return found


# A client may also write its temporary file to a path it hard-codes (C's
# mkstemp("/tmp/sft-XXXXXX"), a literal "/tmp/..." in any language), which no environment
# variable moves: the system's temporary directories are looked at too, top level only,
# for files written since the watch began that hold the start of the download.
# Looked at from the 20th poll on (a right client's temporary shows in the output
# directory by then, so another case's client writing to /tmp is never blamed on it).
_SYSTEM_TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm")  # noqa: S108 - only read, never written
_SYSTEM_SCAN_FROM, _SYSTEM_SCAN_EVERY = 20, 10  # polls: a big /tmp costs ~10 ms a scan


def _data_in_system_temp(content: bytes, since: float) -> list[str]:
    found = []
    for directory in _SYSTEM_TEMP_DIRS:
        try:
            entries = list(os.scandir(directory))[:5000]  # bounded
        except OSError:
            continue
        for entry in entries:
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                info = entry.stat(follow_symlinks=False)
                if info.st_size < 64 or info.st_mtime < since:
                    continue
                with open(entry.path, "rb") as file:
                    head = file.read(len(content))
            except OSError:  # removed meanwhile, or not ours to read
                continue
            if content.startswith(head):
                found.append(entry.path)
    return found


def _holds_data(entry: Path) -> bool:
    try:
        return entry.is_file() and entry.stat().st_size > 0
    except OSError:  # renamed or removed meanwhile
        return False


def watch_client_tmpdir(notes: list[str], outdir: Path, tmpdir: Path, content: bytes) -> None:
    """Until `outdir` holds data (a right client's temporary) or PROBE_BUDGET ends, look
    for the download under the client's $TMPDIR and note it [APP-STORE-1]. Bounded by
    count and by PROBE_BUDGET (a client whose idle timeout is shorter has gone by then)."""
    deadline = time.monotonic() + PROBE_BUDGET
    since = time.time() - 2.0  # file systems' timestamps are coarser than the clock
    for poll in range(300):  # bounded by count and by PROBE_BUDGET
        if elsewhere := _data_elsewhere(tmpdir, content):
            notes.append(
                f"APP-STORE-1: the data goes to {elsewhere} in the client's $TMPDIR, not to "
                "a temporary file in the output directory"
            )
            return
        if any(_holds_data(e) for e in outdir.iterdir()):
            return
        over = time.monotonic() > deadline
        scan = poll >= _SYSTEM_SCAN_FROM and poll % _SYSTEM_SCAN_EVERY == 0
        if (over or scan) and (elsewhere := _data_in_system_temp(content, since)):
            notes.append(
                f"APP-STORE-1: the data goes to {elsewhere}, a path the client chose outside "
                "the output directory, not to a temporary file in the output directory"
            )
            return
        if over:
            return
        time.sleep(0.01)  # polling a directory another process writes; bounded above


__all__ += ["client_tmpdir_env", "watch_client_tmpdir"]


def data_files_under(directory: Path, content: bytes) -> list[str]:
    """Files under `directory` (bounded) holding the start of `content`: where a client
    put the download (test_client_temporaries.py looks at its working directory)."""
    return _data_elsewhere(directory, content)


__all__ += ["data_files_under"]
