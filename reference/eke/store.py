"""The sft-eke/1 server's password store: SQLite, one file, mode 0600 [EKE-PW-2].

It holds, per user, the password key `pw` (never the password), the creation and
last-login times and failure counters, and once per store the `server_secret` that
makes unknown users' fake keys stable across restarts [EKE-HS-3].

`key_for(user)` returns the real key or the fake one after the same work (one
SELECT and one HMAC either way), so the caller cannot tell them apart by time.
Thread-safe: one connection behind a lock (handshakes touch it twice each).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from reference.eke import crypto

__all__ = ["DB_WAIT", "StoreError", "UserRecord", "PasswordStore"]

# Seconds a statement waits for another connection's write lock (the admin CLI's, another
# thread's) before it fails: SQLite's default of 5 s turns a machine busy for a moment into
# `internal` answers to logins that did nothing wrong.
DB_WAIT = 30.0

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    pw BLOB NOT NULL,
    created REAL NOT NULL,
    last_login REAL,
    failures INTEGER NOT NULL DEFAULT 0,
    total_failures INTEGER NOT NULL DEFAULT 0,
    last_failure REAL
);
"""


class StoreError(Exception):
    """A one-line problem with the store a person can act on."""


@dataclass(frozen=True)
class UserRecord:
    name: str
    created: float
    last_login: float | None
    failures: int  # since the last successful login
    total_failures: int
    last_failure: float | None


class PasswordStore:
    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = Path(path)
        if create and not self.path.exists():
            self._create_file()
        elif not self.path.exists():
            raise StoreError(f"no password store at {self.path} (add a user to create one)")
        self._check_mode()
        self._lock = threading.Lock()
        try:
            # check_same_thread=False: the server's connection threads share this one
            # connection, serialised by self._lock.
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=DB_WAIT
            )
            self._db.executescript(_SCHEMA)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._server_secret = self._load_secret()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable password store: {exc}") from None

    def _create_file(self) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return
        except OSError as exc:
            raise StoreError(f"cannot create {self.path}: {exc.strerror}") from None
        os.close(fd)

    def _check_mode(self) -> None:
        mode = self.path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise StoreError(f"{self.path} is not a regular file")
        if mode & 0o077:
            raise StoreError(f"{self.path} is readable by other users; run: chmod 600 {self.path}")

    def _load_secret(self) -> bytes:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'server_secret'").fetchone()
        if row is not None:
            return bytes(row[0])
        secret = crypto.random_bytes(32)
        self._db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('server_secret', ?)", (secret,)
        )
        row = self._db.execute("SELECT value FROM meta WHERE key = 'server_secret'").fetchone()
        return bytes(row[0])

    def use_server_secret(self, secret: bytes) -> None:
        """Overrides the stored server_secret (e.g. one shared by several servers)."""
        if len(secret) < 16:
            raise ValueError("server_secret must be at least 16 bytes")
        self._server_secret = bytes(secret)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> PasswordStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- administration -----------------------------------------------------------------
    def add_user(self, name: str, pw: bytes, *, now: float | None = None) -> None:
        crypto.check_user_name(name)
        if len(pw) != crypto.KEY_LEN:
            raise ValueError("pw must be 32 bytes")
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO users (name, pw, created) VALUES (?, ?, ?)",
                    (name, pw, time.time() if now is None else now),
                )
            except sqlite3.IntegrityError:
                raise StoreError(f"user {name!r} already exists") from None

    def set_password_key(self, name: str, pw: bytes) -> None:
        with self._lock:
            cur = self._db.execute(
                "UPDATE users SET pw = ?, failures = 0 WHERE name = ?", (pw, name)
            )
        if cur.rowcount == 0:
            raise StoreError(f"no user {name!r}")

    def delete_user(self, name: str) -> None:
        with self._lock:
            cur = self._db.execute("DELETE FROM users WHERE name = ?", (name,))
        if cur.rowcount == 0:
            raise StoreError(f"no user {name!r}")

    def users(self) -> list[UserRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT name, created, last_login, failures, total_failures, last_failure "
                "FROM users ORDER BY name"
            ).fetchall()
        return [UserRecord(*row) for row in rows]

    # -- serving --------------------------------------------------------------------------
    def key_for(self, name: str) -> bytes:
        """The user's pw, or the fake key of an unknown user [EKE-HS-3]."""
        fake = crypto.fake_password_key(self._server_secret, name)
        with self._lock:
            row = self._db.execute("SELECT pw FROM users WHERE name = ?", (name,)).fetchone()
        return bytes(row[0]) if row is not None else fake

    def record_login(self, name: str, *, success: bool, now: float | None = None) -> None:
        """Updates the counters of an existing user (nothing for unknown names)."""
        when = time.time() if now is None else now
        with self._lock:
            if success:
                self._db.execute(
                    "UPDATE users SET last_login = ?, failures = 0 WHERE name = ?", (when, name)
                )
            else:
                self._db.execute(
                    "UPDATE users SET failures = failures + 1, "
                    "total_failures = total_failures + 1, last_failure = ? WHERE name = ?",
                    (when, name),
                )
