"""The CA's HTTPS service (docs/SPEC.md §4.4): enrol, root, CRL.

`http.server.ThreadingHTTPServer` with the TLS handshake moved into the request
thread (wrapping the listening socket would run every handshake in the accept loop,
where one slow client stalls everyone), a bound on concurrent connections, a body
limit, and JSON for every error [CA-ENR-9]. `LoginThrottle` is a clock-injected pure
object so its backoff is tested without sleeping.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import socket
import sqlite3
import ssl
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Final
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization

from reference.digits import decimal_at_most
from reference.pki.ca import DB_WAIT, REVOKED_MEANWHILE, CaError, CertificateAuthority
from reference.pki.tls import close_tls, https_server_context, server_handshake

__all__ = ["CaServer", "CaServerConfig", "LoginThrottle", "login_locks_path"]

# One timestamped, unbroken line per event through the `sft` logger, whatever thread
# writes it (`sft ca serve` configures it: reference/cli/logs.py); never a password.
_ca_log = logging.getLogger("sft.ca")


def _log(line: str) -> None:
    _ca_log.info(line)


def _where(exc: BaseException) -> str:
    """One line for the log: the exception's type and where it was raised — file, line
    and function of each of the last three frames — never its message (it may quote
    what a client sent; SQLite's own messages excepted)."""
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    path = " < ".join(
        f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in reversed(frames)
    )
    name = type(exc).__name__
    if isinstance(exc, sqlite3.Error):  # SQLite's own words ("database is locked")
        name += f" ({exc})"
    return f"{name} at {path}" if path else name


MAX_BODY: Final = 64 * 1024  # [CA-ENR-9]
# A Content-Length past this is over any limit whatever it says (read as this, not parsed).
_LONGEST_LENGTH: Final = 10**18
# How long a new connection waits for the slot of the waiting one closed for it [LIM-5].
_SLOT_GIVEN_BACK: Final = 1.0


@dataclass(frozen=True, slots=True)
class CaServerConfig:
    """Every limit of the CA service [LIM-7]."""

    host: str = "127.0.0.1"
    port: int = 0
    validity_days: int = 30
    max_connections: int = 64
    handshake_timeout: float = 10.0
    idle_timeout: float = 30.0
    throttle_after: int = 5
    throttle_base: float = 1.0
    throttle_cap: float = 300.0
    lock_after: int = 100  # consecutive failures that lock an alias until unlocked
    throttle_table_size: int = 100_000  # failure-table entries, aliases and addresses apart

    def __post_init__(self) -> None:
        if not 1 <= self.validity_days <= 3650:
            raise ValueError("validity must be 1..3650 days")
        if self.max_connections < 1:
            raise ValueError("max connections must be >= 1")
        if self.handshake_timeout <= 0 or self.idle_timeout <= 0:
            raise ValueError("timeouts must be > 0")
        if (
            self.throttle_after < 1
            or self.throttle_base <= 0
            or self.throttle_cap < self.throttle_base
            or self.lock_after < self.throttle_after
            or self.throttle_table_size < 1
        ):
            raise ValueError("throttle settings are inconsistent")

    def describe(self) -> str:
        return (
            f"validity {self.validity_days} d, max connections {self.max_connections}, "
            f"handshake timeout {self.handshake_timeout:g} s, "
            f"idle timeout {self.idle_timeout:g} s, "
            f"throttle after {self.throttle_after} failures "
            f"(backoff {self.throttle_base:g} s .. {self.throttle_cap:g} s), "
            f"alias locked after {self.lock_after} consecutive failures, "
            f"body limit {MAX_BODY} B"
        )


@dataclass
class _Failures:
    count: int = 0
    blocked_until: float = 0.0


def login_locks_path(directory: Path) -> Path:
    """The CA's hard-locked aliases, beside its database (`sft ca user unlock`)."""
    return Path(directory) / "login-locks.sqlite"


BUSY: Final = -1  # LoginThrottle.admit: too many attempts pending; answer 503, count nothing


@dataclass
class LoginThrottle:
    """Failed logins per key (alias or address) with exponential backoff [CA-ENR-7].

    After `after` failures, each further failure blocks the key for
    `base * 2**(failures - after)` seconds, at most `cap`. Memory is bounded as
    EKE-THR-9 says: aliases and addresses are bounded apart (`max_keys` each), the
    least recently failed key of the kind over its bound is forgotten, and never one
    whose block still runs; a hard-locked alias is never forgotten and does not count
    towards the bound. With `locks` (SQLite) the failure counts are written
    through to the same file as the hard locks and reloaded at start, so a restart of
    the CA resets nothing (as EKE-THR-8); block ends are stored as wall time.
    """

    after: int = 5
    base: float = 1.0
    cap: float = 300.0
    max_keys: int = 100_000
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time  # what persisted times are counted in
    pending_cap: int = 4  # [CA-ENR-14]: attempts of one key being verified at once
    # Consecutive failures that lock an alias until `sft ca user unlock` (NIST SP
    # 800-63B §5.2.2); the locks live in `locks` (SQLite) when given, so that a restart
    # keeps them and the CLI reaches a running CA.
    lock_after: int = 100
    locks: Path | None = None
    _keys: OrderedDict[str, _Failures] = field(default_factory=OrderedDict)
    _pending: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _locked: set[str] = field(default_factory=set)
    _db: sqlite3.Connection | None = None
    _kind_sizes: dict[str, int] = field(default_factory=dict)
    # Entries of `_keys` under a hard lock, per kind: never evicted, and (as EKE-THR-9)
    # not counted towards `max_keys` — counted, `max_keys` hard locks would leave only
    # each new partial count to evict, and no other alias would reach the throttle.
    _held_sizes: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.locks is not None:
            with contextlib.suppress(FileExistsError):  # mode 0600: aliases are private
                os.close(os.open(self.locks, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            self._db = sqlite3.connect(
                self.locks, check_same_thread=False, isolation_level=None, timeout=DB_WAIT
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, since REAL NOT NULL)"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS failures (key TEXT PRIMARY KEY,"
                " count INTEGER NOT NULL, blocked_until REAL NOT NULL, last REAL NOT NULL)"
            )
            self._locked = {row[0] for row in self._db.execute("SELECT key FROM locks")}
            # Wall time on disk, this throttle's clock in memory.
            shift = self.clock() - self.wall_clock()
            rows = self._db.execute(
                "SELECT key, count, blocked_until FROM failures ORDER BY last"
            ).fetchall()
            for key, count, blocked_until in rows:
                self._keys[key] = _Failures(int(count), float(blocked_until) + shift)
                kind = _kind(key)
                self._kind_sizes[kind] = self._kind_sizes.get(kind, 0) + 1
                if key in self._locked:
                    self._held_sizes[kind] = self._held_sizes.get(kind, 0) + 1

    def unlock(self, alias: str) -> bool:
        """An administrator's unlock of `alias`: False if it was not locked."""
        key = f"alias:{alias[:64]}"
        with self._lock:
            found = key in self._locked
            self._forget(key)
            self._locked.discard(key)
            if self._db is not None:
                found = self._db.execute("DELETE FROM locks WHERE key = ?", (key,)).rowcount > 0
            return found

    def _hard_locked(self, keys: tuple[str, ...]) -> bool:
        """True when a key is locked until an administrator unlocks it (lock held)."""
        for key in keys:
            if key not in self._locked:
                continue
            if (
                self._db is not None
                and not self._db.execute("SELECT 1 FROM locks WHERE key = ?", (key,)).fetchone()
            ):
                # `sft ca user unlock` ran in another process.
                self._forget(key)
                self._locked.discard(key)
                continue
            return True
        return False

    def retry_after(self, *keys: str) -> int:
        """Seconds to wait before trying again (0: not throttled)."""
        now = self.clock()
        with self._lock:
            if self._hard_locked(keys):
                return max(1, int(self.cap + 0.999))
            worst = max((self._keys[k].blocked_until for k in keys if k in self._keys), default=0.0)
        return max(0, int(worst - now + 0.999))

    def failure(self, *keys: str) -> None:
        with self._lock:
            self._count(keys, self.clock())

    def admit(self, *keys: str) -> int:
        """Checks a login attempt and makes it *pending* in one step [CA-ENR-14].

        Returns the seconds to wait (> 0: throttled, 429), `BUSY` (too many attempts
        pending: 503, not counted), or 0: admitted, pending on every key until the
        caller reports `failed` or `success`. Pending attempts are not failures (a burst
        of honest logins is not an attack), but they are reserved before the slow hash:
        a key's failures plus its pending attempts never pass the threshold, so
        concurrent guesses get no more verifications than sequential ones.
        """
        now = self.clock()
        with self._lock:
            if self._hard_locked(keys):
                return max(1, int(self.cap + 0.999))
            worst = max((self._keys[k].blocked_until for k in keys if k in self._keys), default=0.0)
            if worst > now:
                return max(1, int(worst - now + 0.999))
            for key in keys:
                pending = self._pending.get(key, 0)
                failures = self._keys[key].count if key in self._keys else 0
                # With nothing pending the lock alone decides: once it has run out, one
                # more attempt is verified (CA-ENR-7), the next waits for its outcome.
                if pending >= self.pending_cap or (pending and failures + pending >= self.after):
                    return BUSY
            for key in keys:
                self._pending[key] = self._pending.get(key, 0) + 1
            return 0

    def failed(self, *keys: str) -> None:
        """A wrong password: each key `admit` made pending counts one failure now."""
        with self._lock:
            self._count(self._release(keys), self.clock())

    def _release(self, keys: tuple[str, ...]) -> tuple[str, ...]:
        released = []
        for key in keys:
            pending = self._pending.get(key, 0)
            if pending <= 0:
                continue
            released.append(key)
            if pending == 1:
                del self._pending[key]
            else:
                self._pending[key] = pending - 1
        return tuple(released)

    def _count(self, keys: tuple[str, ...], now: float) -> None:
        for key in keys:
            entry = self._keys.pop(key, None)
            if entry is None:
                entry = _Failures()
                self._kind_sizes[_kind(key)] = self._kind_sizes.get(_kind(key), 0) + 1
                if key in self._locked:  # a lock loaded without its count
                    self._held_sizes[_kind(key)] = self._held_sizes.get(_kind(key), 0) + 1
            entry.count += 1
            if entry.count >= self.after:
                delay = min(self.cap, self.base * 2 ** (entry.count - self.after))
                entry.blocked_until = now + delay
            self._keys[key] = entry
            if self._db is not None:
                wall = self.wall_clock()
                self._db.execute(
                    "INSERT OR REPLACE INTO failures (key, count, blocked_until, last)"
                    " VALUES (?, ?, ?, ?)",
                    (key, entry.count, max(0.0, entry.blocked_until - now) + wall, wall),
                )
            if key.startswith("alias:") and entry.count >= self.lock_after:
                if key not in self._locked:
                    self._held_sizes[_kind(key)] = self._held_sizes.get(_kind(key), 0) + 1
                self._locked.add(key)
                if self._db is not None:
                    self._db.execute(
                        "INSERT OR REPLACE INTO locks (key, since) VALUES (?, ?)",
                        (key, time.time()),
                    )
            kind = _kind(key)
            if self._kind_sizes[kind] - self._held_sizes.get(kind, 0) > self.max_keys:
                self._evict(kind, now)

    def _evict(self, kind: str, now: float) -> None:
        """Forgets the least recently failed key of `kind` whose block has run out."""
        for key, entry in self._keys.items():
            if _kind(key) == kind and entry.blocked_until <= now and key not in self._locked:
                self._forget(key)
                return

    def _forget(self, key: str) -> None:
        if self._keys.pop(key, None) is not None:
            self._kind_sizes[_kind(key)] -= 1
            if key in self._locked:
                self._held_sizes[_kind(key)] -= 1
        if self._db is not None:
            self._db.execute("DELETE FROM failures WHERE key = ?", (key,))

    def success(self, key: str, *refunded: str) -> None:
        """A right password: `key` (the alias) is cleared; the pending attempt ends on
        `key` and each of `refunded` (the address keeps its failures: it may be shared)."""
        with self._lock:
            if key in self._keys:
                self._forget(key)
            self._release((key, *refunded))


def _is_text(value: str) -> bool:
    """False for a string holding a lone surrogate (no UTF-8 encoding)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _kind(key: str) -> str:
    """`alias` or `addr`: the two kinds of key, bounded apart (as EKE-THR-9)."""
    return key.split(":", 1)[0]


def _not_json(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _origin_form(target: str) -> str:
    """The path of a request target: an absolute-form target (`https://HOST:PORT/v1/root`)
    names the same resource as its path, and a server MUST accept it (RFC 9112 §3.2.2)
    [CA-ENR-2]. The authority is not checked: the CA serves every name it is reached by."""
    if target[:8].lower() == "https://" or target[:7].lower() == "http://":
        return urlsplit(target).path or "/"
    return target


class _HttpError(Exception):
    def __init__(
        self,
        status: HTTPStatus,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        *,
        close: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        # The body's length is unknown: what follows the head is not a next request.
        self.close = close


class _Handler(BaseHTTPRequestHandler):
    server: CaServer
    protocol_version = "HTTP/1.1"
    server_version = "sft-ca"
    sys_version = ""
    error_content_type = "application/json"
    _ROUTES: ClassVar[dict[str, str]] = {"/v1/enroll": "POST", "/v1/root": "GET", "/v1/crl": "GET"}

    _body_read = False  # set per request by _dispatch, True once _read_json read it

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.config.idle_timeout)

    # Between requests (and before the first) a connection waits, and a waiting one may
    # be closed to admit a new connection when every slot is taken [LIM-5]; from a
    # complete request head until its answer is out it is busy and never closed for that.
    def parse_request(self) -> bool:
        complete = super().parse_request()
        if complete and not self._enrolment_body_follows():
            self.server.waiting(False)  # the whole request is in
        return complete

    def _enrolment_body_follows(self) -> bool:
        """An enrolment whose body _read_json will read (and then mark the request in)."""
        if (self.command, self.path) != ("POST", "/v1/enroll"):
            return False
        if self.headers.get_all("Transfer-Encoding"):
            return False  # refused without reading a body
        lengths = self.headers.get_all("Content-Length") or []
        return any(value.strip(" \t") != "0" for value in lengths)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        finally:
            self.server.waiting(True)

    # Every error, including those http.server raises itself (bad request line,
    # unsupported method, header too long), goes out as JSON [CA-ENR-9].
    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code == HTTPStatus.NOT_IMPLEMENTED:
            code = HTTPStatus.METHOD_NOT_ALLOWED  # an unknown method is a wrong method here
        status = HTTPStatus(code)
        name = {
            400: "bad_request",
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
            501: "method_not_allowed",
        }.get(code, status.phrase.lower().replace(" ", "_"))
        # http.server's own messages quote what the client sent ("Bad request version
        # ('...')"): bytes after a head whose Content-Length was short are read as a
        # request line, and they may hold the password [CA-ENR-5]. The phrase only.
        self._send_json(status, {"error": name, "message": status.phrase}, close=True)

    def _send_json(
        self,
        status: HTTPStatus,
        body: dict[str, Any],
        *,
        close: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._send(
            status, json.dumps(body).encode(), "application/json", close=close, headers=headers
        )

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str,
        *,
        close: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Without the query: a client that put a password in the URL must not get it
        # written to the log [CA-ENR-15].
        line = re.sub(r"[?#]\S*", "?...", getattr(self, "requestline", ""))
        line = re.sub(r"(?i)(https?://)[^/\s]*@", r"\1...@", line)  # userinfo [CA-ENR-15]
        if getattr(self, "command", None) is None:
            # A line that did not parse as a request may be a body sent after a head
            # that announced less (its password included) [CA-ENR-5]: its size only.
            line = f"<unparsed request line, {len(line)} characters>"
        code = code.value if isinstance(code, HTTPStatus) else code
        self.log_message('"%s" %s %s', line, str(code), str(size))

    def log_message(self, format: str, *args: Any) -> None:
        # The request line and status only: bodies (with passwords) are never logged.
        _log(f"{self.address_string()} {format % args}")

    def _body_left_unread(self) -> bool:
        """The request announced a body this handler did not read: a Transfer-Encoding, or
        a Content-Length other than 0 (valid or not). What follows its head is then no
        next request, so the answer closes the connection [CA-ENR-9] — on every route,
        not only where a body is read (the enrolment)."""
        if self._body_read:
            return False
        if self.headers.get_all("Transfer-Encoding"):
            return True
        lengths = self.headers.get_all("Content-Length") or []
        return any(value.strip(" \t") != "0" for value in lengths)

    def _dispatch(self) -> None:
        self._body_read = False
        try:
            if "?" in self.path or "#" in self.path:
                # Credentials never travel in a URL (request lines get logged) [CA-ENR-15].
                raise _HttpError(
                    HTTPStatus.BAD_REQUEST, "bad_request", "no query strings: send a JSON body"
                )
            path = self.path
            if not path.startswith("/") and "@" in urlsplit(path).netloc:
                # userinfo (`https://user:pw@host/...`, RFC 9110 §4.2.4) [CA-ENR-15]
                raise _HttpError(
                    HTTPStatus.BAD_REQUEST, "bad_request", "no credentials in the URL"
                )
            if not path.startswith("/"):
                path = _origin_form(path)
            method = self._ROUTES.get(path)
            if method is None:
                raise _HttpError(HTTPStatus.NOT_FOUND, "not_found", f"no such path {path[:64]!r}")
            if method != self.command:
                raise _HttpError(
                    HTTPStatus.METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    f"{path} accepts {method} only",
                    {"Allow": method},
                )
            if path == "/v1/root":
                self._send(
                    HTTPStatus.OK,
                    self.server.ca.root_pem(),
                    "application/x-pem-file",
                    close=self._body_left_unread(),
                )
            elif path == "/v1/crl":
                crl = self.server.ca.crl().public_bytes(serialization.Encoding.DER)
                self._send(
                    HTTPStatus.OK, crl, "application/pkix-crl", close=self._body_left_unread()
                )
            else:
                self._enroll()
        except _HttpError as exc:
            self._send_json(
                exc.status,
                {"error": exc.code, "message": exc.message},
                headers=exc.headers,
                close=exc.close
                or exc.status >= 500
                or exc.status == 413
                or self._body_left_unread(),
            )
        except (OSError, ssl.SSLError):
            self.close_connection = True
        except Exception as exc:
            _log(f"internal error: {_where(exc)}")
            self._send_json(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                {"error": "internal", "message": "internal error"},
                close=True,
            )

    def _read_json(self) -> dict[str, Any]:
        # Every refusal of the framing closes the connection: the body's length is
        # unknown, so the bytes after the head must not be read as a next request
        # (request smuggling, RFC 9112 §6.1, §6.3) [CA-ENR-9].
        if self.headers.get_all("Transfer-Encoding"):
            # Chunked bodies are not read here; a Transfer-Encoding overrides any
            # Content-Length, so the length is unknown.
            raise _HttpError(
                HTTPStatus.LENGTH_REQUIRED,
                "length_required",
                "send the body with Content-Length, not Transfer-Encoding",
                close=True,
            )
        lengths = self.headers.get_all("Content-Length") or []
        if len({value.strip(" \t") for value in lengths}) > 1:
            # Two lengths that differ: the framing is invalid, and a front proxy may have
            # used the other one.
            raise _HttpError(
                HTTPStatus.BAD_REQUEST,
                "bad_request",
                "conflicting Content-Length fields",
                close=True,
            )
        # Only SP and HTAB surround a field value (RFC 9110 §5.5): str.strip() also takes
        # VT, FF, U+001C-U+001F, U+0085 and U+00A0 off the Latin-1 text, a length a proxy
        # in front of the CA would not read.
        length_text = lengths[0].strip(" \t") if lengths else None
        # ASCII digits only: str.isdigit() also takes "²" (Latin-1 headers), which int()
        # then refuses.
        if length_text is None or not (length_text.isascii() and length_text.isdigit()):
            raise _HttpError(
                HTTPStatus.LENGTH_REQUIRED,
                "length_required",
                "Content-Length is required",
                close=True,
            )
        # Any number of digits is a length, judged on its digits (reference/digits.py):
        # int() alone refuses more than 4,300 of them (a 500 where a 413 is due).
        judged = decimal_at_most(length_text, _LONGEST_LENGTH)
        length_text = str(_LONGEST_LENGTH if judged is None else judged)
        length = int(length_text)
        if length > MAX_BODY:
            if length <= 16 * MAX_BODY:
                # Read what the client is still sending, or closing would reset the
                # connection and the client might never see our 413.
                self.rfile.read(length)
            raise _HttpError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "too_large",
                f"request bodies are limited to {MAX_BODY} bytes",
            )
        body = self.rfile.read(length)
        if len(body) < length:
            # The client ended its side before the body it announced: an incomplete
            # message (RFC 9112 §8), never processed.
            raise _HttpError(
                HTTPStatus.BAD_REQUEST, "bad_request", "the body ended early", close=True
            )
        self.server.waiting(False)  # the whole request is in [LIM-5]
        try:
            # NaN, Infinity and -Infinity are Python's extensions, not JSON (RFC 8259 §6).
            value = json.loads(body.decode("utf-8"), parse_constant=_not_json)
        except (UnicodeDecodeError, ValueError, RecursionError):
            # RecursionError: nested deeper than the parser goes (64 KiB of "[" is
            # valid JSON, and no enrolment request).
            raise _HttpError(
                HTTPStatus.BAD_REQUEST, "bad_request", "the body is not valid JSON"
            ) from None
        if not isinstance(value, dict):
            raise _HttpError(
                HTTPStatus.BAD_REQUEST, "bad_request", "the body must be a JSON object"
            )
        return value

    def _enroll(self) -> None:
        request = self._read_json()
        self._body_read = True  # what follows the body is a next request
        alias, password, csr = (request.get(k) for k in ("alias", "password", "csr"))
        if not all(isinstance(v, str) for v in (alias, password, csr)):
            raise _HttpError(
                HTTPStatus.BAD_REQUEST, "bad_request", "alias, password and csr must be strings"
            )
        assert isinstance(alias, str) and isinstance(password, str) and isinstance(csr, str)
        for what, value in (("alias", alias), ("csr", csr)):
            if not _is_text(value):
                # A lone surrogate (a JSON escape): no alias can hold one, so refused before
                # any password is verified [CA-ENR-6], and never written to the throttle's
                # table, where it broke the eviction of other aliases' entries.
                raise _HttpError(
                    HTTPStatus.BAD_REQUEST, "bad_request", f"the {what} is not valid Unicode text"
                )
        throttle = self.server.throttle
        keys = (f"alias:{alias[:64]}", f"addr:{self.client_address[0]}")
        wait = throttle.admit(*keys)  # pending until verified [CA-ENR-14]
        if wait == BUSY:
            raise _HttpError(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "busy",
                "too many logins in progress; retry after 1 s",
                {"Retry-After": "1"},
            )
        if wait:
            raise _HttpError(
                HTTPStatus.TOO_MANY_REQUESTS,
                "throttled",
                f"too many failed logins; retry after {wait} s",
                {"Retry-After": str(wait)},
            )
        # Same answer, same cost for an unknown alias and a wrong password [CA-ENR-6].
        try:
            right = self.server.ca.authenticate(alias, password)
        except BaseException:
            throttle.failed(*keys)  # never a pending attempt left behind
            raise
        if not right:
            _log(f"failed login for {alias[:64]!r} from {self.client_address[0]}")
            throttle.failed(*keys)
            raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", "wrong alias or password")
        throttle.success(keys[0], keys[1])
        try:
            cert = self.server.ca.enroll(
                alias,
                csr.encode("utf-8"),
                validity=dt.timedelta(days=self.server.config.validity_days),
            )
        except CaError as exc:
            if str(exc) == REVOKED_MEANWHILE:  # [CA-ENR-11] revoked while it was signed
                raise _HttpError(
                    HTTPStatus.UNAUTHORIZED, "auth_failed", "wrong alias or password"
                ) from None
            code = "bad_csr" if str(exc) == "bad_csr" else "bad_request"
            message = (
                "the CSR is not valid or its signature does not verify"
                if code == "bad_csr"
                else str(exc)
            )
            raise _HttpError(HTTPStatus.BAD_REQUEST, code, message) from None
        _log(f"issued certificate {cert.serial_number:x} to {alias}")
        self._send_json(
            HTTPStatus.OK, {"certificate": cert.public_bytes(serialization.Encoding.PEM).decode()}
        )

    do_GET = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_DELETE = _dispatch
    do_PATCH = _dispatch


class CaServer(ThreadingHTTPServer):
    """HTTPS (TLS 1.3) CA service; `serve_forever()` / `shutdown()` as http.server."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        ca: CertificateAuthority,
        config: CaServerConfig,
        inherited: socket.socket | None = None,
    ) -> None:
        """`inherited`: the listening socket a restart kept [CA-ENR-20] (None: bind)."""
        self.ca = ca
        self.config = config
        ca.prepare_logins()
        self.throttle = LoginThrottle(
            config.throttle_after,
            config.throttle_base,
            config.throttle_cap,
            lock_after=config.lock_after,
            max_keys=config.throttle_table_size,
            locks=login_locks_path(ca.directory),
        )
        self.tls = https_server_context(ca.directory / ca.TLS_CERT, ca.directory / ca.TLS_KEY)
        self._slots = threading.BoundedSemaphore(config.max_connections)
        # [LIM-5]: connections in their TLS handshake or waiting for a request, oldest
        # first; a dup of each connection's socket (to shut it down from here); the raw
        # socket each connection thread serves.
        self._waiting: OrderedDict[socket.socket, None] = OrderedDict()
        self._handles: dict[socket.socket, socket.socket] = {}
        self._serving: dict[int, socket.socket] = {}
        self._waiting_lock = threading.Lock()
        if inherited is None:
            super().__init__((config.host, config.port), _Handler)
        else:
            super().__init__((config.host, config.port), _Handler, bind_and_activate=False)
            self.socket.close()
            self.socket = inherited
            self.server_address = inherited.getsockname()

    def detach_socket(self) -> socket.socket:
        """Takes the listening socket away from server_close(), which then leaves it
        open: a restart hands it to the next process, so clients queue in its backlog
        instead of being refused while the CA restarts."""
        listener = self.socket
        self.socket = socket.socket(listener.family, listener.type)
        return listener

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server_address[:2]
        return str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False) and not self._close_oldest_waiting():
            self.shutdown_request(request)  # over the limit: close at once [LIM-4]
            return
        self._admit(request)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._forget(request)
            self._slots.release()
            raise

    def _admit(self, raw: socket.socket) -> None:
        try:
            handle = raw.dup()
        except OSError:
            return  # not closable from here: it only waits out its timeouts
        with self._waiting_lock:
            self._handles[raw] = handle
            self._waiting[raw] = None

    def _close_oldest_waiting(self) -> bool:
        """Every slot is taken: the connection that has waited longest, in its TLS
        handshake or for a request, is closed, and its slot, once its thread gives it
        back, goes to the new one [LIM-5]. Silent sockets then cannot keep honest clients
        out (a flood must reopen faster than a handshake and a request complete); a
        request in progress is never cut."""
        with self._waiting_lock:
            if not self._waiting:
                return False
            oldest, _ = self._waiting.popitem(last=False)
            handle = self._handles.pop(oldest)
        _log("every connection slot taken: closed the longest-waiting connection")
        with contextlib.suppress(OSError):
            handle.shutdown(socket.SHUT_RDWR)
        handle.close()
        return self._slots.acquire(timeout=_SLOT_GIVEN_BACK)

    def waiting(self, idle: bool) -> None:
        """The calling thread's connection starts (True) or stops (False) waiting."""
        with self._waiting_lock:
            raw = self._serving.get(threading.get_ident())
            if raw is None or raw not in self._handles:
                return  # not tracked, or closed to make room already
            self._waiting.pop(raw, None)
            if idle:
                self._waiting[raw] = None  # the newest waiter now

    def _forget(self, raw: socket.socket) -> None:
        with self._waiting_lock:
            self._waiting.pop(raw, None)
            handle = self._handles.pop(raw, None)
        if handle is not None:
            handle.close()

    def finish_request(self, request: Any, client_address: Any) -> None:
        raw: socket.socket = request
        try:
            tls_sock = server_handshake(self.tls, raw, self.config.handshake_timeout)
        except (OSError, ssl.SSLError):
            return  # failed handshake or vanished client: nothing to answer
        try:
            _Handler(tls_sock, client_address, self)
        except (OSError, ssl.SSLError):
            pass  # the client vanished mid-request
        finally:
            close_tls(tls_sock)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._waiting_lock:
            self._serving[threading.get_ident()] = request
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._waiting_lock:
                self._serving.pop(threading.get_ident(), None)
            self._forget(request)
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        _log(f"connection from {client_address[0]} failed")
