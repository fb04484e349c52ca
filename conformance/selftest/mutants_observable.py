"""Mutants for MUSTs once listed as not observable on the wire (brief B9).

conformance/report.py `NOT_OBSERVABLE` and mutants_coverage.py `UNPLANTED` held MUSTs
with no case and no mutant because "the suite cannot restart the target" or "loopback
has too few addresses". Neither holds: a target may declare a restart command (the
embedded reference's `sft eke serve` re-executes itself on SIGHUP), and a client socket
can bind any 127.x.y.z source. Each mutant is a plausible mistake against one of them:

- EKE-THR-8 (counts survive a restart): the database written and never read back; the
  `--throttle-db` option ignored (counts in memory); only locks written to disk (a
  "lockout list"); the address table not persisted; rows "from the future" dropped at
  start, the monotonic clock compared with wall-time rows.
- EKE-THR-9 (separate bounded tables, no locked entry evicted): one table for both
  kinds; eviction that spares hard locks only; an eviction candidate's lock looked up in
  the user table whatever its kind.
- CA-ENR-20 (the CA's counts survive its restart; `[pki] ca_restart_cmd`): counts never
  reloaded; only counts that block written; only aliases written.
- APP-NAME-5 (no TOCTOU window; the race of test_app_toctou.py): each component
  lstat()ed, then the name opened again by path; realpath() checked, then the path
  opened with O_NOFOLLOW, which guards its last component only.
- PKI-TLS-8 (no key log; the initiator under test runs in the suite's environment): the
  client's TLS context honours $SSLKEYLOGFILE.
- PWF-1 (the eke client under test reads the password file the suite writes): the file
  stripped; its first line taken, the rest dropped; every trailing CR/LF removed.
- VEC-2 (any valid JSON encoding accepted; the suite chooses its request bytes): a
  payload must equal its compact re-encoding; a \\u escape refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _counts_not_reloaded() -> None:
    """Rows written through to SQLite, never loaded at start."""
    _module("reference.eke.throttle")._FailureTables.load = lambda self: None


def _throttle_db_ignored() -> None:
    """The server builds its Throttle without the path: counts in memory only."""
    throttle = _module("reference.eke.throttle")
    original = throttle.Throttle.__init__

    def __init__(self: Any, config: Any = None, clock: Any = None, *, path: Any = None) -> None:
        del path
        if clock is None:
            original(self, config)
        else:
            original(self, config, clock)

    throttle.Throttle.__init__ = __init__


def _only_locks_persisted() -> None:
    """A row reaches the database only once its count is at the throttle threshold."""
    throttle = _module("reference.eke.throttle")
    tables = throttle._FailureTables
    original = tables.__setitem__
    original_init = throttle.Throttle.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._entries.threshold = self.config.failures

    def __setitem__(self: Any, key: tuple[str, str], entry: Any) -> None:
        db = self._db
        if entry.failures < getattr(self, "threshold", 5) and db is not None:
            self._db = None  # memory only: "nothing to remember below the lock"
            try:
                original(self, key, entry)
            finally:
                self._db = db
            return
        original(self, key, entry)

    tables.__setitem__ = __setitem__
    throttle.Throttle.__init__ = __init__


def _addresses_not_persisted() -> None:
    """Only the user table is written to disk (addresses "change anyway")."""
    tables = _module("reference.eke.throttle")._FailureTables
    original = tables.__setitem__

    def __setitem__(self: Any, key: tuple[str, str], entry: Any) -> None:
        db = self._db
        if key[0] == "addr":
            self._db = None
        try:
            original(self, key, entry)
        finally:
            self._db = db

    tables.__setitem__ = __setitem__


def _future_rows_dropped_at_start() -> None:
    """At start, rows "from the future" are dropped (a guard against clock jumps), "now"
    read from the monotonic clock while the rows hold wall time: every row goes."""
    _patch_source(
        _module("reference.eke.throttle")._FailureTables,
        "load",
        (
            "for kind, key, failures, last in rows:",
            "for kind, key, failures, last in rows:\n"
            "        if float(last) > __import__('time').monotonic():\n"
            "            continue  # mutant: a row from the future (a clock jump)",
        ),
    )


def _one_table_for_both_kinds() -> None:
    """User names and addresses in one OrderedDict under one bound: a flood of failures
    from new addresses pushes the oldest entries out, user names included."""
    throttle = _module("reference.eke.throttle")
    tables = throttle._FailureTables
    original = tables.__init__

    def __init__(self: Any, db: Any) -> None:
        original(self, db)
        shared = self._tables["user"]
        self._tables = {kind: shared for kind in self._tables}

    tables.__init__ = __init__
    # Trimmed once per failure, not once per kind (the one table is both).
    _patch_source(
        throttle.Throttle,
        "_trim",
        ("for kind in _KINDS:", "for kind in _KINDS[:1]:"),
        (
            "if not self._hard_locked((kind, key), entry) and self._wait((kind, key), now) <= 0:",
            "if all(not self._hard_locked((k, key), entry) and self._wait((k, key), now) <= 0"
            " for k in _KINDS):",
        ),
    )


def _eviction_ignores_backoff() -> None:
    """Eviction spares hard-locked names only: a running backoff is "temporary anyway"."""
    _patch_source(
        _module("reference.eke.throttle").Throttle,
        "_trim",
        (
            "if not self._hard_locked((kind, key), entry) and self._wait((kind, key), now) <= 0:",
            "if not self._hard_locked((kind, key), entry):",
        ),
    )


def _eviction_checks_user_lock() -> None:
    """The lock of an eviction candidate looked up in the user table, whatever its kind:
    a locked address looks unlocked."""
    _patch_source(
        _module("reference.eke.throttle").Throttle,
        "_trim",
        (
            "self._wait((kind, key), now) <= 0",
            'self._wait(("user", key), now) <= 0',
        ),
    )


def _ca_counts_not_reloaded() -> None:
    """The CA writes its failure counts through to SQLite and never reads them back."""
    _patch_source(
        _module("reference.pki.ca_server").LoginThrottle,
        "__post_init__",
        ("for key, count, blocked_until in rows:", "for key, count, blocked_until in []:"),
    )


class _FilteredDb:
    """A database connection that drops the failure rows `drop(params)` selects."""

    def __init__(self, db: Any, drop: Any) -> None:
        self._db, self._drop = db, drop

    def execute(self, sql: str, params: Any = ()) -> Any:
        if sql.startswith("INSERT OR REPLACE INTO failures") and self._drop(params):
            return None
        return self._db.execute(sql, params)


def _ca_rows_dropped(drop: Any) -> None:
    throttle = _module("reference.pki.ca_server").LoginThrottle
    original = throttle._count

    def _count(self: Any, keys: Any, now: float) -> None:
        db = self._db
        if db is not None:
            self._db = _FilteredDb(db, lambda params: drop(self, params))
        try:
            original(self, keys, now)
        finally:
            self._db = db

    throttle._count = _count


def _ca_only_blocks_persisted() -> None:
    """A count reaches the database only once it blocks (at the threshold)."""
    _ca_rows_dropped(lambda self, params: params[1] < self.after)


def _ca_addresses_not_persisted() -> None:
    """Only aliases' counts are written to disk (addresses "change anyway")."""
    _ca_rows_dropped(lambda self, params: not str(params[0]).startswith("alias:"))


def _open_checked_path(self: Any, name: str, flags: int) -> Any:
    """The tail both TOCTOU mutants share: open the checked name again BY PATH."""
    share = _module("reference.share")
    io = _module("io")
    stat = _module("stat")
    os = _module("os")
    try:
        fd = os.open(os.path.join(self.path, name), flags)
    except OSError:
        raise share._not_found(name) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise share._not_found(name)
    return share.SharedFile(io.FileIO(fd, "rb", closefd=True), st.st_size)


def _lstat_walk_then_open() -> None:
    """Each component lstat()ed (a symbolic link refused, as the reference does), then
    the whole path opened by name: the walk and the open see two different trees."""
    share = _module("reference.share")
    os = _module("os")
    stat = _module("stat")

    def open_(self: Any, name: str) -> Any:
        parts = share.check_name(name)
        path = str(self.path)
        for part in parts:
            path = os.path.join(path, part)
            try:
                st = os.lstat(path)
            except OSError:
                raise share._not_found(name) from None
            if stat.S_ISLNK(st.st_mode):
                raise share._symlink_refused(name)
        return _open_checked_path(self, name, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)

    share.ShareDirectory.open = open_


def _realpath_then_open_nofollow() -> None:
    """realpath() must be the name itself under the share (no link anywhere), then the
    path is opened with O_NOFOLLOW — which guards the LAST component only."""
    share = _module("reference.share")
    os = _module("os")

    def open_(self: Any, name: str) -> Any:
        share.check_name(name)
        root = os.path.realpath(self.path)
        joined = os.path.join(root, name)
        if os.path.realpath(joined) != joined:
            raise share._symlink_refused(name)
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        return _open_checked_path(self, name, flags)

    share.ShareDirectory.open = open_


def _client_honours_keylog_variable() -> None:
    """The TLS context honours $SSLKEYLOGFILE, as ssl.create_default_context() does ("handy
    for Wireshark")."""
    tls = _module("reference.pki.tls")
    os = _module("os")
    original = tls._base_context

    def _base_context(protocol: int) -> Any:
        ctx = original(protocol)
        keylog = os.environ.get("SSLKEYLOGFILE")
        if keylog:
            ctx.keylog_filename = keylog
        return ctx

    tls._base_context = _base_context


def _password_file_read_as(read: Any) -> None:
    """The eke client reads its --password-file with `read(text)`."""
    _module("reference.cli.eke")._read_password_file = lambda path: read(
        Path(path).read_bytes().decode("utf-8")
    )


def _password_file_stripped() -> None:
    """`.strip()`: "a stray space or newline in the file must not lock the user out"."""
    _password_file_read_as(str.strip)


def _password_file_first_line() -> None:
    """The first line is the password, the rest ignored (`splitlines()[0]`)."""
    _password_file_read_as(lambda text: text.splitlines()[0])


def _password_file_rstrip_line_ends() -> None:
    """`rstrip("\r\n")`: every trailing CR and LF goes, a lone CR included."""
    _password_file_read_as(lambda text: text.rstrip("\r\n"))


def _strict_json(check: Any) -> None:
    """Every control payload's text must pass `check(text, value)` (else bad_frame)."""
    frames = _module("reference.frames")
    errors = _module("reference.errors")
    original = frames.loads_control

    def loads_control(payload: Any) -> Any:
        value = original(payload)
        if not check(bytes(payload).decode("utf-8"), value):
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "non-canonical JSON")
        return value

    for module in ("reference.frames", "reference.messages", "reference.eke.handshake"):
        _module(module).loads_control = loads_control


def _compact_json_only() -> None:
    """A payload must be exactly its own compact re-encoding ("canonical JSON only")."""
    _strict_json(
        lambda text, value: _module("reference.frames").dumps_control(value) == text.encode()
    )


def _json_escapes_refused() -> None:
    """A \\u escape in a payload is refused ("an injection vector")."""
    _strict_json(lambda text, value: "\\u" not in text)


def _eke(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"obs-eke-{name}",
        group="observable",
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _eke(
        "counts-not-reloaded",
        "EKE-THR-8",
        "test_eke_restart.py",
        "failure counts written to the throttle database, never loaded at start",
        _counts_not_reloaded,
    ),
    _eke(
        "throttle-db-ignored",
        "EKE-THR-8",
        "test_eke_restart.py",
        "the server ignores --throttle-db: failure counts in memory only",
        _throttle_db_ignored,
    ),
    _eke(
        "only-locks-persisted",
        "EKE-THR-8",
        "test_eke_restart.py",
        "a failure count reaches the database only once it is at the throttle threshold",
        _only_locks_persisted,
    ),
    _eke(
        "addresses-not-persisted",
        "EKE-THR-8",
        "test_eke_restart.py",
        "user names' counts survive a restart, addresses' do not",
        _addresses_not_persisted,
    ),
    _eke(
        "future-rows-dropped-at-start",
        "EKE-THR-8",
        "test_eke_restart.py",
        "rows dropped at start as from the future, monotonic time against stored wall time",
        _future_rows_dropped_at_start,
    ),
    _eke(
        "one-table-for-both-kinds",
        "EKE-THR-9",
        "test_eke_tables.py",
        "user names and addresses share one bounded failure table",
        _one_table_for_both_kinds,
    ),
    _eke(
        "eviction-ignores-backoff",
        "EKE-THR-9",
        "test_eke_tables.py",
        "a full failure table evicts its oldest entry even while its backoff runs",
        _eviction_ignores_backoff,
    ),
    _eke(
        "eviction-checks-user-lock",
        "EKE-THR-9",
        "test_eke_tables.py",
        "eviction looks an address's lock up in the user table: locked addresses evicted",
        _eviction_checks_user_lock,
    ),
    *(
        Mutant(
            name=f"obs-ca-{name}",
            group="observable",
            profile="pki",
            requirement="CA-ENR-20",
            test_file="test_ca_restart.py",
            description=description,
            apply=apply,
            ca=True,
        )
        for name, description, apply in (
            (
                "counts-not-reloaded",
                "the CA's failure counts written to SQLite, never loaded at start",
                _ca_counts_not_reloaded,
            ),
            (
                "only-blocks-persisted",
                "a CA failure count reaches the database only once it blocks",
                _ca_only_blocks_persisted,
            ),
            (
                "addresses-not-persisted",
                "the CA persists aliases' failure counts, not addresses'",
                _ca_addresses_not_persisted,
            ),
        )
    ),
    *(
        Mutant(
            name=f"obs-{profile}-{name}",
            group="observable",
            profile=profile,
            requirement="APP-NAME-5",
            test_file="test_app_toctou.py",
            description=description,
            apply=apply,
        )
        for profile in ("eke", "pki")
        for name, description, apply in (
            (
                "lstat-walk-then-open-by-path",
                "each component lstat()ed, then the name opened again by path",
                _lstat_walk_then_open,
            ),
            (
                "realpath-then-open-nofollow",
                "realpath() checked, then the path opened with O_NOFOLLOW (last component)",
                _realpath_then_open_nofollow,
            ),
        )
    ),
    Mutant(
        name="obs-pki-client-honours-sslkeylogfile",
        group="observable",
        profile="pki",
        requirement="PKI-TLS-8",
        test_file="test_pki_keylog.py",
        description="the initiator writes its TLS secrets where $SSLKEYLOGFILE says",
        apply=_client_honours_keylog_variable,
        client=True,
    ),
    *(
        Mutant(
            name=f"obs-eke-client-password-file-{name}",
            group="observable",
            profile="eke",
            requirement="PWF-1",
            test_file="test_eke_client_password_file.py",
            description=description,
            apply=apply,
            client=True,
        )
        for name, description, apply in (
            ("stripped", "the client strips its password file", _password_file_stripped),
            (
                "first-line",
                "the client takes the first line of its password file, ignoring the rest",
                _password_file_first_line,
            ),
            (
                "rstrip-line-ends",
                "the client removes every trailing CR and LF of its password file",
                _password_file_rstrip_line_ends,
            ),
        )
    ),
    *(
        Mutant(
            name=f"obs-{profile}-{name}",
            group="observable",
            profile=profile,
            requirement="VEC-2",
            test_file="test_app_json_encodings.py",
            description=description,
            apply=apply,
        )
        for profile in ("eke", "pki")
        for name, description, apply in (
            (
                "compact-json-only",
                "a control payload must be its own compact re-encoding",
                _compact_json_only,
            ),
            ("json-escapes-refused", "a \\u escape in a payload is refused", _json_escapes_refused),
        )
    ),
)
