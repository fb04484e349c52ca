"""ca3: a third clean-room sft-pki/1 organisation CA (docs/SPEC.md §4.4), the way many
small real CAs are built: the Python standard library for the service and the `openssl`
command line for every X.509 operation.

Written from docs/SPEC.md alone. Its choices:

- Service: `http.server.ThreadingHTTPServer`, HTTP/1.1 with keep-alive, one thread per
  connection; the TLS handshake runs in that thread (`ssl`, TLS 1.3 only), so a silent
  client never stalls the accept loop. The TLS 1.3 groups and cipher suites are pinned
  (PKI-TLS-9) with an OpenSSL configuration file: Python 3.11's `ssl` has no API for
  either, so `serve` re-executes itself once with `OPENSSL_CONF` naming that file (the
  `openssl` children get a clean environment instead).
- Its own TLS certificate: a fresh P-256 key and a certificate the root issues at every
  start (`openssl req -new`, `openssl x509 -req`), subjectAltName = the listening
  address and `localhost`.
- The root key: read at start from `--root-key` (outside the CA's directory), then kept
  only encrypted (AES-256, `openssl pkey -aes256`) in a private temporary directory under
  a random passphrase held in memory and handed to every `openssl` child on a pipe
  (`-passin fd:N`), never on a command line.
- CSR: the body's `csr` must be exactly one PEM `CERTIFICATE REQUEST` block (strict
  base64, DER whose outer SEQUENCE spans all bytes); `openssl req -verify` (whose exit
  status is 0 even when the signature fails, so its output is read: "verify OK");
  `openssl req -text` read for the key (rsaEncryption >= 2048 bits, or id-ecPublicKey on
  prime256v1) and the signature's hash (SHA-256/384/512; RSASSA-PSS by its hash).
- Issue: `openssl x509 -req -subj /CN=<alias> -extfile` (our extensions only, never
  `-copy_extensions`), `-set_serial` 0x + 15 random bytes (top bit clear, non-zero),
  `-days` the configured validity (whole days: a fractional validity is refused at
  start), SHA-256. notBefore is the moment of issue.
- CRL: `openssl ca -gencrl` over an index file written from the database at every
  `GET /v1/crl`, `-crlhours 24`, SHA-256, then `openssl crl -outform DER`.
- Store: one SQLite file (users with scrypt n=2^14 r=8 p=1 and a 16-byte salt;
  certificates; failure counts, backoffs and locks in wall time, so they survive a
  restart). Pending reservations are in memory.
- Throttle (CA-ENR-7/14/19/20/21): per alias (unknown and revoked too) and per peer
  address (the socket's, never a header); a reservation on both before the scrypt; 429
  while a backoff runs (base 1 s, doubling, capped); 503 busy with Retry-After 1 when
  pending >= max(1, N - f) or at the pending cap (4); a wrong password counts on both,
  a right one clears the alias only; the alias lock after L consecutive failures.
  Order: JSON, throttle, password (dummy hash for unknown aliases), revoked (401, like a
  wrong password, not counted), host-name alias (403), CSR (400), issue.
- HTTP: Content-Length must be ASCII digits, one value (duplicates that differ: 400),
  at most 65536 (413, before reading); none: 411 (chunked bodies are not read: 411);
  a query string: 400 before anything else; every error a JSON object, also those of
  http.server itself (send_error overridden).
- Administration: `user add ALIAS --dir D --password-stdin` (adds or re-admits),
  `revoke ALIAS --dir D` (the user and every certificate of it).

Faults (SFT_INDEPENDENT_FAULTS, comma-separated names of FAULTS) are mistakes this design
invites; each is listed with the requirement it breaks.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import hashlib
import hmac
import http.server
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

__all__ = ["FAULTS", "main"]

FAULTS: dict[str, tuple[str, str]] = {
    # X.509 through the openssl command line
    "copy-extensions": ("CA-ENR-4", "openssl x509 -req -copy_extensions copyall"),
    "copy-extensions-copy": ("CA-ENR-4", "openssl x509 -req -copy_extensions copy"),
    "subject-from-csr": ("CA-ENR-4", "no -subj: the CSR's subject goes through"),
    "subject-extra-rdns": ("CA-ENR-4", "-subj built from the CSR's subject, CN replaced"),
    "ku-key-encipherment": ("PKI-CERT-1", "keyUsage digitalSignature,keyEncipherment"),
    "ku-not-critical": ("PKI-CERT-1", "keyUsage without critical"),
    "bc-not-critical": ("PKI-CERT-1", "basicConstraints CA:FALSE without critical"),
    "eku-client-only": ("PKI-CERT-1", "extendedKeyUsage clientAuth only"),
    "aki-issuer-only": ("PKI-CERT-13", "authorityKeyIdentifier = issuer:always (no keyid)"),
    "csr-verify-unchecked": ("CA-ENR-3", "openssl req -verify: only the exit status read"),
    "any-curve": ("CA-ENR-13", "any id-ecPublicKey accepted"),
    "rsa-1024": ("CA-ENR-13", "RSA keys of 1024 bits and more accepted"),
    "sha1-csr": ("CA-ENR-13", "the CSR's signature hash never checked"),
    "csr-first-pem": ("CA-ENR-13", "openssl reads the first PEM block; the rest ignored"),
    "serial-counter": ("CA-ENR-10", "-set_serial from a counter in the database"),
    "serial-time": ("CA-ENR-10", "-set_serial from the time in seconds"),
    "validity-default": ("CA-ENR-10", "-days 30 whatever the configuration"),
    "validity-plus-one": ("CA-ENR-10", "-days validity + 1 for clock skew"),
    "crl-cached": ("CA-ENR-8", "the CRL generated at start only, served since"),
    "crl-days-30": ("CA-ENR-16", "openssl ca -gencrl with default_crl_days = 30"),
    "crl-sha1": ("CA-ENR-8", "openssl ca -gencrl -md sha1"),
    "revoke-newest-only": ("CA-ENR-11", "revoke marks the alias's newest certificate only"),
    "revoked-can-enrol": ("CA-ENR-11", "the revoked flag never consulted at enrolment"),
    "revoked-403": ("CA-ENR-11", "a revoked alias answered 403 revoked"),
    "csr-trailing-der": ("CA-ENR-13", "openssl ignores bytes after the request's DER"),
    "index-serial-decimal": ("CA-ENR-11", "the CRL index written with decimal serials"),
    "crl-pem": ("CA-ENR-8", "openssl ca -gencrl's PEM served as is"),
    "serial-seeded": ("CA-ENR-10", "serials from random.Random seeded with the root"),
    # HTTP through http.server
    "content-length-int": ("CA-ENR-9", "Content-Length parsed with int()"),
    "content-length-first": ("CA-ENR-9", "the first of two Content-Length values taken"),
    "body-unbounded": ("CA-ENR-9", "no 64 KiB limit on the body"),
    "chunked-unbounded": ("CA-ENR-9", "a chunked body read to its end, no 64 KiB limit"),
    "html-errors": ("CA-ENR-9", "http.server's own HTML error pages"),
    "traceback-500": ("CA-ENR-9", "an unexpected JSON shape answered with a traceback"),
    "query-ignored": ("CA-ENR-15", "the query string stripped and ignored"),
    "tls12": ("CA-ENR-1", "ssl minimum version TLS 1.2"),
    "tls-defaults": ("PKI-TLS-9", "no OPENSSL_CONF: OpenSSL's default groups"),
    # logins and the throttle
    "unknown-alias-404": ("CA-ENR-6", "an unknown alias answered 404 unknown_alias"),
    "dummy-hash-cheap": ("CA-ENR-6", "the dummy hash with other (cheap) scrypt parameters"),
    "no-dummy-hash": ("CA-ENR-6", "no scrypt for an unknown alias"),
    "keepalive-admitted": ("CA-ENR-7", "the backoff checked at a connection's first login only"),
    "throttle-per-thread": ("CA-ENR-7", "throttle state in threading.local: per connection"),
    "no-address-throttle": ("CA-ENR-7", "failures counted per alias only"),
    "success-clears-address": ("CA-ENR-7", "a right password clears its address's count"),
    "backoff-constant": ("CA-ENR-7", "Retry-After 1 at every failure past N"),
    "unknown-not-counted": ("CA-ENR-7", "failures of unknown aliases not counted"),
    "count-after-verify": ("CA-ENR-14", "no reservation: counted after the scrypt"),
    "pending-is-failure": ("CA-ENR-14", "counted as failed up front, refunded on success"),
    "busy-no-retry-after": ("CA-ENR-14", "503 busy without Retry-After"),
    "retry-after-int": ("CA-ENR-7", "Retry-After int(seconds left): a second short"),
    "busy-retry-after-0": ("CA-ENR-14", "503 busy with Retry-After 0"),
    "reservation-leak-on-error": ("CA-ENR-14", "a reservation kept when the hash raises"),
    "lock-retry-after-default": ("CA-ENR-19", "a locked alias's Retry-After 300, not the cap"),
    "lock-total-failures": ("CA-ENR-19", "the lock counts failures a success never reset"),
    "address-locked": ("CA-ENR-19", "addresses hard-locked like aliases"),
    "lock-checked-after-verify": ("CA-ENR-19", "a locked alias verified; a right one unlocks"),
    "address-with-port": ("CA-ENR-7", "the address key str(client_address): with the port"),
    "no-lock": ("CA-ENR-19", "no hard lock after L failures"),
    "bad-csr-uncounted": ("CA-ENR-21", "the CSR checked after the password, failure lost"),
    "alias-nocase": ("CA-ENR-6", "SELECT ... WHERE alias = ? COLLATE NOCASE"),
    "throttle-in-memory": ("CA-ENR-20", "failure counts and backoffs in a dict only"),
    "hostname-url-only": ("CA-ENR-17", "the alias compared with the URL's host only"),
    "hostname-alias": ("CA-ENR-17", "no check of the alias against the CA's names"),
    "hostname-trailing-dot": ("CA-ENR-17", "the alias compared without dropping a dot"),
    # session 10, I6: planted blind (lens of briefs/s10/lenses10.md in brackets)
    "password-stripped": ("CA-ENR-2", "the password compared after str.strip() [4]"),
    "password-nfc": ("CA-ENR-2", "the password NFC-normalised before the hash [1]"),
    "content-type-exact": ("CA-ENR-2", "Content-Type must be exactly application/json: 415 [4]"),
    "alias-strict-enroll": ("CA-ENR-2", "enrolment refuses aliases outside [a-z0-9]{1,64} [4]"),
    "crl-cache-60s": ("CA-ENR-8", "the CRL regenerated at most once a minute [3]"),
    "crl-hours-169": ("CA-ENR-16", "openssl ca -gencrl -crlhours 169 (a week and an hour) [1]"),
    "csr-fault-counted": ("CA-ENR-14", "a right password with a bad CSR counted as a failure [5]"),
    "throttle-threshold-early": ("CA-ENR-7", "the backoff starts at failure N-1 (>= N-1) [1]"),
    "throttled-attempts-counted": ("CA-ENR-7", "a 429'd login counted, its backoff grown [1]"),
    "address-forwarded-for": ("CA-ENR-7", "the address taken from X-Forwarded-For when sent [5]"),
    "root-der": ("CA-ENR-8", "GET /v1/root serves the root in DER [1]"),
    "error-no-message": ("CA-ENR-9", 'error bodies {"error": code} without message [2]'),
    "password-truncated-72": ("CA-ENR-5", "passwords cut to 72 UTF-8 bytes (bcrypt habit) [4]"),
    "lock-not-persisted": ("CA-ENR-19", "the hard lock in a set in memory, counts on disk [3]"),
    "busy-counted": ("CA-ENR-14", "a login answered 503 busy counted as a failure [1]"),
    "pending-alias-only": ("CA-ENR-14", "pending logins bounded per alias only [2]"),
    "te-and-cl-keepalive": ("CA-ENR-9", "TE and Content-Length: read by length, kept open [5]"),
    # session 13, I13: planted blind (lens of briefs/s13/lenses13.md in brackets)
    "hostname-ip-except": ("CA-ENR-17", "the own-address check in try/except Exception [1]"),
    "pss-any-hash": ("CA-ENR-13", "an RSASSA-PSS signature taken as strong, whatever its hash [1]"),
    "revoked-early-leak": ("CA-ENR-14", "revoked: 401 before the hash, still reserved [3]"),
    "content-length-empty-zero": ("CA-ENR-9", "an empty Content-Length read as 0 [2]"),
    "throttle-txn-left-open": ("CA-ENR-11", "BEGIN, a 429 before COMMIT: revoke waits [3]"),
    "retry-after-max-float": ("CA-ENR-7", "Retry-After str(max(1.0, ceil(s))): '1.0' [4]"),
    "pending-allowance-zero": ("CA-ENR-7", "pending allowed max(0, N - f): busy for good at N [4]"),
    "throttle-lock-not-released": ("CA-ENR-7", "lock.acquire(), a 429 raised before release() [3]"),
    "ec-curve-regex": ("CA-ENR-13", "the curve matched with prime\\d+v1: P-192 and P-239 pass [5]"),
    "csr-hash-prefix": ("CA-ENR-13", "hash names matched by prefix: ecdsa-with-SHA1 [5]"),
    "alias-stripped": ("CA-ENR-6", "the alias str.strip()-ed: ' suite' logs in as suite [5]"),
    "refusal-body-unread": ("CA-ENR-9", "404/405 answered without reading the body, kept open [6]"),
    "readmit-unrevokes": ("CA-ENR-11", "re-admitting an alias un-revokes its certificates [6]"),
    # session 15 (lead): ca3 counted its hard locks towards the table bound (fixed)
    "b15-hard-locks-counted": ("CA-ENR-20", "hard locks counted towards the table bound"),
    # session 15, I20: planted blind (lens of briefs/s15/lenses15.md in brackets)
    "b15-wrapped-listener": ("LIM-5", "the listening socket wrapped: handshakes in accept() [1]"),
    "b15-enroll-lock-body": ("LIM-5", "one lock around enrolments, the body read inside it [1]"),
    "b15-own-name-dotted-only": ("CA-ENR-17", "own names checked for dotted aliases only [2]"),
    "b15-sig-blocklist": ("CA-ENR-13", "CSR hashes judged by a blocklist (SHA-1, MD5) [3]"),
    "b15-te-chunked-only": (
        "CA-ENR-9",
        "only a chunked Transfer-Encoding seen: others read by length [3]",
    ),
    "b15-busy-and": ("CA-ENR-14", "busy when pending >= allowed and >= the cap (or/and) [4]"),
    "b15-pem-check-and": ("CA-ENR-13", "one block and nothing around it: or written and [4]"),
    "b15-body-read-before-413": ("CA-ENR-9", "the body read by its Content-Length, then 413 [5]"),
    "b15-shared-req-file": (
        "CA-ENR-4",
        "issue() in fixed files req.pem, cert.pem of the work dir [6]",
    ),
    "b15-revoked-checked-early-only": (
        "CA-ENR-11",
        "revoked read at login only, not at the insert [6]",
    ),
    "b15-count-from-reserve": ("CA-ENR-14", "finish() counts on the state read at reserve() [6]"),
    # found by I20's phase-2 case (ca3 had it): the first running backoff's Retry-After
    "b15-retry-after-first-backoff": ("CA-ENR-7", "Retry-After of the first running backoff"),
    # session 24, B162: planted blind (lens of briefs/s24/common.md in brackets: L<n>)
    "b24_address-key-per-alias": (
        "CA-ENR-7",
        "(L1) the address's key binds the alias too (addr:IP:alias, fail2ban-like)",
    ),
    "b24_legacy-public-key": (
        "CA-ENR-3",
        "(L2) a body with public_key and no csr (sft-pki/0 clients) issued by -force_pubkey",
    ),
    "b24_options-204": ("CA-ENR-9", "(L3) OPTIONS answered 204 with Allow, CORS-preflight style"),
    "b24_conn-auth-cache": (
        "CA-ENR-6",
        "(L4) scrypt skipped for the alias a keep-alive connection already logged in as",
    ),
    "b24_password-rstrip-newline": (
        "CA-ENR-2",
        "(L4) the password's trailing CR/LF dropped (clients reading it from a file)",
    ),
    "b24_error-echoes-body": (
        "CA-ENR-5",
        "(L5) a 400 bad_request's message quotes the start of the body (debug aid)",
    ),
    "b24_log-body-on-bad-csr": ("CA-ENR-5", "(L5) a bad_csr's request body written to the log"),
    "b24_error-echoes-near-error": (
        "CA-ENR-5",
        "(L5, post-blind) a JSON error's message quotes the text around its position",
    ),
    "b24_password-casefold": (
        "CA-ENR-2",
        "(L4, post-blind) passwords case-folded when stored and when compared (caps lock)",
    ),
    "b24_rsa-exponent-65537": (
        "CA-ENR-13",
        "(L6) an RSA key taken only with 'Exponent: 65537 (0x10001)' in openssl's text",
    ),
    # session 28, B235: planted blind (lens of briefs/s28/common.md: L<n>)
    "b28_crl-lastupdate-backdated": (
        "CA-ENR-16",
        "(L5) -crl_lastupdate backdated an hour for skew, -crl_nextupdate now + 7 days",
    ),
    "b28_query-enroll-only": (
        "CA-ENR-15",
        "(L5) the query check where the password is read: /v1/enroll only, GETs served",
    ),
    "b28_revoked-message": (
        "ERR-6",
        "(L5) a revoked alias's 401 auth_failed says 'this alias is revoked'",
    ),
    "b28_start-sweep-counts": (
        "CA-ENR-20",
        "(L4) at start, throttle rows with no running backoff swept (counts below N lost)",
    ),
    "b28_addr-cap-leak": (
        "LIM-5",
        "(L2) 32 connections per address, not given back when the TLS handshake fails",
    ),
    "b28_csr-key-cache": (
        "CA-ENR-3",
        "(L4) req -verify skipped for a public key a verified CSR already had (renewals)",
    ),
    "b28_plain-http-sniff": (
        "CA-ENR-1",
        "(L5) a first byte other than a TLS handshake served as plain HTTP (health checks)",
    ),
    "b28_500-logs-body": (
        "CA-ENR-5",
        "(L2) an internal error (a lone surrogate's encode) logged with the request body",
    ),
    "b28_revoked-code": (
        "ERR-6",
        "(L5, post-blind) a revoked alias's 401 with error 'revoked', the message unchanged",
    ),
    "b28_global-slots-leak": (
        "LIM-5",
        "(L2, post-blind) 48 slots in all, taken at accept, given back by the handler only",
    ),
}

_ACTIVE = {f.strip() for f in os.environ.get("SFT_INDEPENDENT_FAULTS", "").split(",") if f}
_unknown = _ACTIVE - set(FAULTS)
if _unknown:
    raise SystemExit(f"ca3: unknown faults {sorted(_unknown)}")


def _fault(name: str) -> bool:
    assert name in FAULTS, name
    return name in _ACTIVE


MAX_BODY = 65536
PENDING_CAP = 4
SUBPROCESS_TIMEOUT = 20.0
_ALIAS = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 * 1024 * 1024}
_DUMMY_SALT = secrets.token_bytes(16)
_OPENSSL = shutil.which("openssl") or "openssl"
_TLS_CONF_VAR = "SFT_CA3_TLS_CONF"
_LISTEN_FD_VAR = "SFT_CA3_LISTEN_FD"


class CaError(Exception):
    """An answer other than 200: status, error code, message, extra headers."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


# ---------------------------------------------------------------- openssl children


def _openssl(
    args: list[str], *, passphrase: bytes | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`openssl ARGS` without a shell, a clean environment, a timeout; the passphrase on
    a pipe whose read end the child gets as `fd:N` (the caller puts `{passfd}` in ARGS)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
    if passphrase is None:
        return subprocess.run(
            [_OPENSSL, *args], input=stdin, capture_output=True, timeout=SUBPROCESS_TIMEOUT,
            env=env, check=False,
        )  # fmt: skip
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, passphrase + b"\n")
        os.close(write_end)
        write_end = -1
        argv = [a.replace("{passfd}", f"fd:{read_end}") for a in args]
        return subprocess.run(
            [_OPENSSL, *argv], input=stdin, capture_output=True,
            timeout=SUBPROCESS_TIMEOUT, env=env, pass_fds=(read_end,), check=False,
        )  # fmt: skip
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


def _checked(done: subprocess.CompletedProcess[bytes], what: str) -> bytes:
    if done.returncode != 0:
        raise RuntimeError(f"openssl {what} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


# ---------------------------------------------------------------- store


def _db(directory: Path, *, shared: bool = False) -> sqlite3.Connection:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    conn = sqlite3.connect(
        str(directory / "ca3.db"), timeout=10.0, isolation_level=None,
        check_same_thread=not shared,
    )  # fmt: skip
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(
        """
        CREATE TABLE IF NOT EXISTS users (alias TEXT PRIMARY KEY, salt BLOB NOT NULL,
            hash BLOB NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS certs (serial TEXT PRIMARY KEY, alias TEXT NOT NULL,
            issued REAL NOT NULL, not_after REAL NOT NULL, revoked_at REAL);
        CREATE TABLE IF NOT EXISTS throttle (key TEXT PRIMARY KEY, failures INTEGER
            NOT NULL, until REAL NOT NULL, locked INTEGER NOT NULL, touched REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER);
        """
    )
    return conn


def _hash(password: str, salt: bytes) -> bytes:
    if _fault("b24_password-casefold"):
        password = password.casefold()  # "caps lock": stored and compared folded
    if _fault("password-truncated-72"):
        password = password.encode("utf-8")[:72].decode("utf-8", "ignore")
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)


def _user_add(directory: Path, alias: str, password: str) -> None:
    if not _ALIAS.fullmatch(alias):
        raise SystemExit(f"ca3: not a valid alias: {alias!r}")
    if not password:
        raise SystemExit("ca3: empty password")
    salt = secrets.token_bytes(16)
    conn = _db(directory)
    conn.execute(
        "INSERT INTO users(alias, salt, hash, revoked) VALUES (?, ?, ?, 0) ON CONFLICT(alias)"
        " DO UPDATE SET salt=excluded.salt, hash=excluded.hash, revoked=0",
        (alias, salt, _hash(password, salt)),
    )
    if _fault("readmit-unrevokes"):
        # "re-admitting restores the alias as it was"
        conn.execute("UPDATE certs SET revoked_at=NULL WHERE alias=?", (alias,))
    conn.close()


def _revoke(directory: Path, alias: str) -> None:
    conn = _db(directory)
    now = time.time()
    conn.execute("UPDATE users SET revoked=1 WHERE alias=?", (alias,))
    if _fault("revoke-newest-only"):
        conn.execute(
            "UPDATE certs SET revoked_at=? WHERE serial=(SELECT serial FROM certs WHERE"
            " alias=? ORDER BY issued DESC LIMIT 1) AND revoked_at IS NULL",
            (now, alias),
        )
    else:
        conn.execute(
            "UPDATE certs SET revoked_at=? WHERE alias=? AND revoked_at IS NULL", (now, alias)
        )
    conn.close()


# ---------------------------------------------------------------- the CA's X.509 work

_LEAF_EXT = """[leaf]
basicConstraints = {bc}
keyUsage = {ku}
extendedKeyUsage = {eku}
{ids}"""


def _leaf_extensions() -> str:
    return _LEAF_EXT.format(
        bc="CA:FALSE" if _fault("bc-not-critical") else "critical,CA:FALSE",
        ku=("critical," if not _fault("ku-not-critical") else "")
        + "digitalSignature"
        + (",keyEncipherment" if _fault("ku-key-encipherment") else ""),
        eku="clientAuth" if _fault("eku-client-only") else "clientAuth,serverAuth",
        ids="authorityKeyIdentifier = issuer:always\n"
        if _fault("aki-issuer-only")
        else "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n",
    )


class Authority:
    """The root, its key (encrypted in a private directory), and the openssl calls."""

    def __init__(self, directory: Path, root: Path, root_key: Path, validity_days: int) -> None:
        self.directory = directory
        self.validity_days = validity_days
        self.work = Path(tempfile.mkdtemp(prefix="ca3-"))
        os.chmod(self.work, 0o700)
        self.root = self.work / "root.pem"
        shutil.copyfile(root, self.root)
        self.root_pem = self.root.read_bytes()
        self.passphrase = secrets.token_urlsafe(24).encode()
        self.key = self.work / "root.key"
        _checked(
            _openssl(["pkey", "-in", str(root_key), "-aes256", "-passout", "{passfd}",
                      "-out", str(self.key)], passphrase=self.passphrase),
            "pkey",
        )  # fmt: skip
        self.lock = threading.Lock()
        self.crl_cache: bytes | None = None
        self.crl_minute: tuple[float, bytes] | None = None
        self.verified_keys: set[str] = set()  # the fault b28_csr-key-cache only
        if _fault("crl-cached"):
            self.crl_cache = self.crl()

    def close(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)

    def tls_identity(self, names: list[str]) -> tuple[Path, Path]:
        """A P-256 key and a root-issued serverAuth certificate for the CA's own names."""
        names_ = ("tls.key", "tls.csr", "tls.pem", "tls.ext")
        key, csr, cert, ext = (self.work / n for n in names_)
        _checked(
            _openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-nodes", "-keyout", str(key), "-subj", "/CN=ca3", "-out", str(csr)]),
            "req -new",
        )  # fmt: skip
        san = ",".join(
            f"IP:{n}" if re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]+", n) else f"DNS:{n}" for n in names
        )
        ext.write_text(
            "[tls]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n"
            f"extendedKeyUsage = serverAuth\nsubjectAltName = {san}\n"
            "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n"
        )
        _checked(
            _openssl(["x509", "-req", "-in", str(csr), "-CA", str(self.root), "-CAkey",
                      str(self.key), "-passin", "{passfd}", "-set_serial",
                      "0x" + secrets.token_hex(15), "-days", "30", "-sha256", "-extfile",
                      str(ext), "-extensions", "tls", "-out", str(cert)],
                     passphrase=self.passphrase),
            "x509 -req (tls)",
        )  # fmt: skip
        return cert, key

    def check_csr(self, pem_text: str) -> tuple[bytes, str]:
        """The CSR's PEM (one block, well-formed, verified, allowed key and hash) and its
        subject as openssl prints it; CaError 400 bad_csr otherwise."""
        bad = CaError(400, "bad_csr", "the CSR is not acceptable")
        blocks = re.findall(
            r"-----BEGIN CERTIFICATE REQUEST-----\r?\n(.*?)-----END CERTIFICATE REQUEST-----",
            pem_text,
            re.S,
        )
        if not blocks:
            raise bad
        if _fault("csr-first-pem"):
            body = blocks[0]
        else:
            stripped = re.sub(
                r"-----BEGIN CERTIFICATE REQUEST-----\r?\n.*?-----END CERTIFICATE REQUEST-----",
                "",
                pem_text,
                count=1,
                flags=re.S,
            )
            if (
                len(blocks) != 1 and stripped.strip()
                if _fault("b15-pem-check-and")
                else len(blocks) != 1 or stripped.strip()
            ):
                raise bad
            body = blocks[0]
        try:
            der = base64.b64decode("".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            raise bad from None
        if not _der_sequence_spans(der) and not _fault("csr-trailing-der"):
            raise bad
        with tempfile.NamedTemporaryFile(dir=self.work, suffix=".der") as f:
            f.write(der)
            f.flush()
            key_known = False
            if _fault("b28_csr-key-cache"):
                # "a renewal's key was proven before: one openssl fork less"
                pub = _openssl(["req", "-inform", "DER", "-in", f.name, "-noout", "-pubkey"])
                spki = hashlib.sha256(pub.stdout).hexdigest()
                key_known = pub.returncode == 0 and spki in self.verified_keys
            verify = _openssl(["req", "-inform", "DER", "-in", f.name, "-noout", "-verify"])
            said = (verify.stdout + verify.stderr).decode(errors="replace")
            if key_known:
                pass
            elif _fault("csr-verify-unchecked"):
                if verify.returncode != 0:
                    raise bad
            elif verify.returncode != 0 or "verify OK" not in said or "failure" in said:
                raise bad
            text = _openssl(
                ["req", "-inform", "DER", "-in", f.name, "-noout", "-text", "-nameopt", "RFC2253"]
            )
            if text.returncode != 0:
                raise bad
            pem = _openssl(["req", "-inform", "DER", "-in", f.name, "-outform", "PEM"])
            if pem.returncode != 0:
                raise bad
        out = text.stdout.decode(errors="replace")
        if not _key_allowed(out) or not _signature_allowed(out):
            raise bad
        if _fault("b28_csr-key-cache") and not key_known:
            self.verified_keys.add(spki)
        subject = re.search(r"^\s*Subject:\s?(.*)$", out, re.M)
        return pem.stdout, subject.group(1).strip() if subject else ""

    def legacy_key(self, pem_text: str) -> bytes:
        """The fault b24_legacy-public-key: a PEM public key, turned into a request that
        `openssl x509 -req -force_pubkey` certifies (a throwaway key signs the request)."""
        with tempfile.TemporaryDirectory(dir=self.work) as tmp:
            pub, key, req = (Path(tmp) / n for n in ("pub.pem", "tmp.key", "req.pem"))
            done = _openssl(["pkey", "-pubin", "-outform", "PEM"], stdin=pem_text.encode())
            if done.returncode != 0:
                raise CaError(400, "bad_csr", "the public key is not acceptable")
            pub.write_bytes(done.stdout)
            _checked(
                _openssl(["req", "-new", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-subj",
                          "/CN=legacy", "-out", str(req)]),
                "req -new (legacy)",
            )  # fmt: skip
            return req.read_bytes() + b"\0" + pub.read_bytes()

    def issue(self, csr_pem: bytes, alias: str, csr_subject: str, serial: int) -> bytes:
        with (
            contextlib.nullcontext(str(self.work))  # "the work directory is ours already"
            if _fault("b15-shared-req-file")
            else tempfile.TemporaryDirectory(dir=self.work)
        ) as tmp:
            csr, ext, cert = (Path(tmp) / n for n in ("req.pem", "leaf.ext", "cert.pem"))
            forced = None
            if b"\0" in csr_pem:  # the fault b24_legacy-public-key: request NUL public key
                csr_pem, forced = csr_pem.split(b"\0", 1)
                (Path(tmp) / "pub.pem").write_bytes(forced)
            csr.write_bytes(csr_pem)
            ext.write_text(_leaf_extensions())
            days = self.validity_days
            if _fault("validity-default"):
                days = 30
            if _fault("validity-plus-one"):
                days += 1
            args = ["x509", "-req", "-in", str(csr), "-CA", str(self.root), "-CAkey",
                    str(self.key), "-passin", "{passfd}", "-set_serial", hex(serial),
                    "-days", str(days), "-sha256", "-extfile", str(ext), "-extensions",
                    "leaf", "-out", str(cert)]  # fmt: skip
            if forced is not None:
                args += ["-force_pubkey", str(Path(tmp) / "pub.pem")]
            if _fault("copy-extensions"):
                args += ["-copy_extensions", "copyall"]
            elif _fault("copy-extensions-copy"):
                args += ["-copy_extensions", "copy"]
            if _fault("subject-extra-rdns"):
                rdns = [r for r in _split_rfc2253(csr_subject) if not r.startswith("CN=")]
                subj = "".join("/" + r for r in reversed(rdns)) + f"/CN={alias}"
                args += ["-subj", subj]
            elif not _fault("subject-from-csr"):
                args += ["-subj", f"/CN={alias}"]
            _checked(_openssl(args, passphrase=self.passphrase), "x509 -req")
            return cert.read_bytes()

    def crl(self) -> bytes:
        """A fresh CRL (DER) over every revoked certificate of the database."""
        if self.crl_cache is not None:
            return self.crl_cache
        if _fault("crl-cache-60s") and self.crl_minute is not None:
            made, der_ = self.crl_minute
            if time.monotonic() - made < 60.0:
                return der_
        conn = _db(self.directory)
        try:
            rows = conn.execute(
                "SELECT serial, not_after, revoked_at FROM certs WHERE revoked_at IS NOT NULL"
            ).fetchall()
        finally:
            conn.close()
        with self.lock, tempfile.TemporaryDirectory(dir=self.work) as tmp:
            d = Path(tmp)
            lines = [
                f"R\t{_asn1_time(na)}\t{_asn1_time(ra)}\t{_index_serial(serial)}\tunknown"
                "\t/CN=revoked\n"
                for serial, na, ra in rows
            ]
            (d / "index.txt").write_text("".join(lines))
            (d / "index.txt.attr").write_text("unique_subject = no\n")
            (d / "crlnumber").write_text(f"{secrets.randbits(63):016X}\n")
            crl_days = 30 if _fault("crl-days-30") else None

            (d / "ca.cnf").write_text(
                "[ca]\ndefault_ca = root\n[root]\n"
                f"database = {d / 'index.txt'}\ncrlnumber = {d / 'crlnumber'}\n"
                f"default_md = {'sha1' if _fault('crl-sha1') else 'sha256'}\n"
                + (
                    f"default_crl_days = {crl_days}\n"
                    if crl_days
                    else f"default_crl_hours = {169 if _fault('crl-hours-169') else 24}\n"
                )
            )
            dates: list[str] = []
            if _fault("b28_crl-lastupdate-backdated"):
                # "an hour back for clock skew, and the longest life PKI-CERT-12 allows"
                now_ = time.time()
                dates = ["-crl_lastupdate", _asn1_time(now_ - 3600),
                         "-crl_nextupdate", _asn1_time(now_ + 7 * 86400)]  # fmt: skip
            pem = _checked(
                _openssl(["ca", "-gencrl", "-batch", "-config", str(d / "ca.cnf"), "-cert",
                          str(self.root), "-keyfile", str(self.key), "-passin", "{passfd}",
                          *dates],
                         passphrase=self.passphrase),
                "ca -gencrl",
            )  # fmt: skip
            der = _checked(_openssl(["crl", "-outform", "DER"], stdin=pem), "crl")
        if _fault("crl-cache-60s"):
            self.crl_minute = (time.monotonic(), der)
        return der


def _index_serial(serial_hex: str) -> str:
    if _fault("index-serial-decimal"):
        return _even(str(int(serial_hex, 16)))
    return _even(serial_hex)


def _even(serial_hex: str) -> str:
    """openssl's index wants an even number of hex digits."""
    serial_hex = serial_hex.upper()
    return serial_hex if len(serial_hex) % 2 == 0 else "0" + serial_hex


def _asn1_time(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%y%m%d%H%M%SZ")


def _split_rfc2253(subject: str) -> list[str]:
    return [r.strip() for r in re.split(r"(?<!\\),", subject) if r.strip()]


def _der_sequence_spans(der: bytes) -> bool:
    """The DER is one SEQUENCE whose length covers exactly the bytes given."""
    if len(der) < 2 or der[0] != 0x30:
        return False
    first = der[1]
    if first < 0x80:
        return 2 + first == len(der)
    count = first & 0x7F
    if count == 0 or count > 4 or len(der) < 2 + count:
        return False
    length = int.from_bytes(der[2 : 2 + count], "big")
    return 2 + count + length == len(der)


def _key_allowed(text: str) -> bool:
    algorithm = re.search(r"Public Key Algorithm:\s*(\S+)", text)
    bits = re.search(r"Public-Key:\s*\((\d+) bit\)", text)
    if algorithm is None or bits is None:
        return False
    if algorithm.group(1) == "rsaEncryption":
        if _fault("b24_rsa-exponent-65537") and "Exponent: 65537 (0x10001)" not in text:
            return False
        return int(bits.group(1)) >= (1024 if _fault("rsa-1024") else 2048)
    if algorithm.group(1) == "id-ecPublicKey":
        if _fault("any-curve"):
            return True
        if _fault("ec-curve-regex"):
            return re.search(r"ASN1 OID:\s*prime\d+v1\b", text) is not None
        return re.search(r"ASN1 OID:\s*prime256v1\b", text) is not None
    return False


def _signature_allowed(text: str) -> bool:
    if _fault("sha1-csr"):
        return True
    algorithm = re.search(r"^\s*Signature Algorithm:\s*(\S+)", text, re.M)
    if algorithm is None:
        return False
    name = algorithm.group(1)
    if _fault("b15-sig-blocklist"):
        weak = {"md2WithRSAEncryption", "md5WithRSAEncryption", "sha1WithRSAEncryption",
                "shaWithRSAEncryption", "ecdsa-with-SHA1", "dsaWithSHA1"}  # fmt: skip
        return name not in weak
    if _fault("csr-hash-prefix") and name.startswith(
        ("sha256", "sha384", "sha512", "ecdsa-with-SHA")
    ):
        return True
    if name in {"sha256WithRSAEncryption", "sha384WithRSAEncryption", "sha512WithRSAEncryption",
                "ecdsa-with-SHA256", "ecdsa-with-SHA384", "ecdsa-with-SHA512"}:  # fmt: skip
        return True
    if name == "rsassaPss":
        if _fault("pss-any-hash"):
            return True  # "PSS is the modern RSA signature"
        digest = re.search(r"Hash Algorithm:\s*(\S+)", text)
        return digest is not None and digest.group(1) in {"sha256", "sha384", "sha512"}
    return False


# ---------------------------------------------------------------- the throttle


class Throttle:
    """Failures and backoffs in the database (wall time); reservations in memory."""

    def __init__(
        self, directory: Path, after: int, lock_after: int, cap: float, bound: int = 50000
    ) -> None:
        self.directory = directory
        self.after = after
        self.lock_after = lock_after
        self.cap = cap
        self.bound = bound
        self.lock = threading.Lock()
        self.pending: dict[str, int] = {}
        self.local = threading.local()
        self.memory: dict[str, tuple[int, float, int]] = {}
        self.locks_held: set[str] = set()  # the fault lock-not-persisted only
        self.conn = _db(directory, shared=True)  # used under self.lock only
        if _fault("b28_start-sweep-counts"):
            # "housekeeping at start: drop the rows whose backoff is over, locks kept"
            self.conn.execute(
                "DELETE FROM throttle WHERE locked = 0 AND until < ?", (time.time(),)
            )

    def _state(self, key: str) -> tuple[int, float, int]:
        if _fault("throttle-per-thread"):
            states: dict[str, tuple[int, float, int]] = getattr(self.local, "states", {})
            self.local.states = states
            return states.get(key, (0, 0.0, 0))
        if _fault("throttle-in-memory"):
            return self.memory.get(key, (0, 0.0, 0))
        row = self.conn.execute(
            "SELECT failures, until, locked FROM throttle WHERE key=?", (key,)
        ).fetchone()
        if _fault("lock-not-persisted"):
            held = int(key in self.locks_held)
            return (row[0], row[1], held) if row else (0, 0.0, held)
        return (row[0], row[1], row[2]) if row else (0, 0.0, 0)

    def _store(self, key: str, failures: int, until: float, locked: int) -> None:
        if _fault("throttle-per-thread"):
            self.local.states[key] = (failures, until, locked)
            return
        if _fault("throttle-in-memory"):
            self.memory[key] = (failures, until, locked)
            return
        now = time.time()
        if _fault("lock-not-persisted"):
            if locked:
                self.locks_held.add(key)
            else:
                self.locks_held.discard(key)
            locked = 0
        self.conn.execute(
            "INSERT INTO throttle(key, failures, until, locked, touched) VALUES (?,?,?,?,?)"
            " ON CONFLICT(key) DO UPDATE SET failures=excluded.failures,"
            " until=excluded.until, locked=excluded.locked, touched=excluded.touched",
            (key, failures, until, locked, now),
        )
        kind = key.split(":", 1)[0] + ":%"
        # A hard-locked alias is never evicted, nor counted towards the bound (CA-ENR-20).
        query = (
            "SELECT COUNT(*) FROM throttle WHERE key LIKE ?"
            if _fault("b15-hard-locks-counted")
            else "SELECT COUNT(*) FROM throttle WHERE key LIKE ? AND locked = 0"
        )
        (count,) = self.conn.execute(query, (kind,)).fetchone()
        if count > self.bound:
            # Never an entry whose backoff still runs, nor a locked one.
            self.conn.execute(
                "DELETE FROM throttle WHERE key IN (SELECT key FROM throttle WHERE key LIKE ?"
                " AND until < ? AND locked = 0 ORDER BY touched LIMIT ?)",
                (kind, now, count - self.bound),
            )

    def locked(self, alias: str) -> bool:
        with self.lock:
            return bool(self._state(f"alias:{alias}")[2])

    def keys(self, alias: str, address: str) -> list[str]:
        if _fault("no-address-throttle"):
            return [f"alias:{alias}"]
        if _fault("b24_address-key-per-alias"):
            return [f"alias:{alias}", f"addr:{address}:{alias}"]
        return [f"alias:{alias}", f"addr:{address}"]

    def reserve(self, keys: list[str], *, first_on_connection: bool = True) -> None:
        """Admit the attempt (a reservation on every key) or raise 429 / 503."""
        if _fault("throttle-lock-not-released"):
            self.lock.acquire()  # released below, on the way out of an admitted attempt
            self._reserve(keys, first_on_connection)
            self.lock.release()
            return
        with self.lock:
            self._reserve(keys, first_on_connection)

    def _reserve(self, keys: list[str], first_on_connection: bool) -> None:
        if _fault("throttle-txn-left-open") and not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")  # the checks and the reservation, atomic
        now = time.time()
        states = {k: self._state(k) for k in keys}
        if _fault("b15-count-from-reserve"):
            self.local.seen = dict(states)  # "no second SELECT: finish() counts on these"
        longest = 0.0  # the Retry-After covers the later of the alias's and address's ends
        for _failures, until, locked in states.values():
            if _fault("keepalive-admitted") and not first_on_connection:
                break
            if locked and not _fault("no-lock") and not _fault("lock-checked-after-verify"):
                raise _throttled(300.0 if _fault("lock-retry-after-default") else self.cap)
            if until > now:
                if _fault("throttled-attempts-counted"):
                    for key, (failures, _u, locked_) in states.items():
                        failures += 1
                        grown = now + min(self.cap, 2.0 ** min(failures - self.after, 30))
                        self._store(key, failures, max(grown, _u), locked_)
                    raise _throttled(until - now)
                if _fault("b15-retry-after-first-backoff"):
                    raise _throttled(until - now)
                longest = max(longest, until - now)
        if longest > 0:
            raise _throttled(longest)
        if _fault("count-after-verify"):
            return
        for key, (failures, _until, _locked) in states.items():
            if _fault("pending-is-failure"):
                break  # the up-front count below is taken for the race's answer
            if _fault("pending-alias-only") and key.startswith("addr:"):
                continue
            pending = self.pending.get(key, 0)
            allowed = max(0 if _fault("pending-allowance-zero") else 1, self.after - failures)
            busy = pending >= allowed or pending >= PENDING_CAP
            if _fault("b15-busy-and"):
                busy = pending >= allowed and pending >= PENDING_CAP
            if busy:
                if _fault("busy-counted"):
                    for k, (f, u, lk) in states.items():
                        f += 1
                        if f >= self.after:
                            u = now + min(self.cap, 2.0 ** min(f - self.after, 30))
                        self._store(k, f, u, lk)
                headers = {"Retry-After": "0" if _fault("busy-retry-after-0") else "1"}
                if _fault("busy-no-retry-after"):
                    headers = {}
                raise CaError(503, "busy", "too many logins in progress; try later", headers)
        for key in keys:
            self.pending[key] = self.pending.get(key, 0) + 1
            if _fault("pending-is-failure"):
                # Counted as failed up front (a crash cannot lose a guess), the
                # backoff started as for a failure; a success refunds the count only.
                failures, until, locked = self._state(key)
                failures += 1
                if failures >= self.after:
                    until = now + min(self.cap, 2.0 ** min(failures - self.after, 30))
                self._store(key, failures, until, locked)
        if _fault("throttle-txn-left-open"):
            self.conn.execute("COMMIT")

    def finish(self, keys: list[str], *, failed: bool, counted: bool = True) -> None:
        with self.lock:
            now = time.time()
            for key in keys:
                if not _fault("count-after-verify"):
                    self.pending[key] = self.pending.get(key, 1) - 1
                    if self.pending[key] <= 0:
                        del self.pending[key]
                seen: dict[str, tuple[int, float, int]] = getattr(self.local, "seen", {})
                if _fault("b15-count-from-reserve") and key in seen:
                    failures, until, locked = seen[key]
                else:
                    failures, until, locked = self._state(key)
                if _fault("pending-is-failure"):
                    failures = max(0, failures - 1)
                if failed and counted:
                    failures += 1
                    if failures >= self.after - (1 if _fault("throttle-threshold-early") else 0):
                        exponent = 0 if _fault("backoff-constant") else failures - self.after
                        until = now + min(self.cap, 2.0 ** min(exponent, 30))
                    lockable = key.startswith("alias:") or _fault("address-locked")
                    if lockable and failures >= self.lock_after:
                        locked = 1
                    self._store(key, failures, until, locked)
                elif not failed and _fault("lock-total-failures") and key.startswith("alias:"):
                    self._store(key, failures, 0.0, locked)
                elif not failed and (key.startswith("alias:") or _fault("success-clears-address")):
                    self._store(key, 0, 0.0, 0)
                else:
                    self._store(key, failures, until, locked)


def _throttled(seconds: float) -> CaError:
    wait: float = max(1, int(seconds) if _fault("retry-after-int") else math.ceil(seconds))
    if _fault("retry-after-max-float"):
        wait = max(1.0, math.ceil(seconds))
    return CaError(
        429, "throttled", "too many failed logins; try later", {"Retry-After": str(wait)}
    )


# ---------------------------------------------------------------- HTTP


class Service:
    def __init__(
        self, directory: Path, authority: Authority, throttle: Throttle, names: list[str]
    ) -> None:
        self.directory = directory
        self.authority = authority
        self.throttle = throttle
        if _fault("hostname-url-only"):
            names = names[:1]  # the host of the URL (the listening address)
        self.names = {n.lower().removesuffix(".") for n in names}
        seed = int.from_bytes(hashlib.sha256(authority.root_pem).digest(), "big")
        self.seeded = random.Random(seed)  # the fault serial-seeded only
        self.serial_lock = threading.Lock()
        self.enroll_lock = threading.Lock()  # the fault b15-enroll-lock-body only

    def enroll(
        self, body: Any, address: str, *, first: bool = True, verified: Any = None
    ) -> dict[str, str]:
        if not isinstance(body, dict):
            if _fault("traceback-500"):
                body["alias"]
            raise CaError(400, "bad_request", "the body must be a JSON object")
        alias, password, csr = body.get("alias"), body.get("password"), body.get("csr")
        legacy = _fault("b24_legacy-public-key") and csr is None and "public_key" in body
        if legacy:
            csr = body.get("public_key")  # "sft-pki/0 clients, for the transition"
        if not all(isinstance(v, str) for v in (alias, password, csr)):
            raise CaError(400, "bad_request", "alias, password and csr must be strings")
        assert isinstance(alias, str) and isinstance(password, str) and isinstance(csr, str)
        if _fault("alias-stripped"):
            alias = alias.strip()
        if _fault("alias-strict-enroll") and not re.fullmatch(r"[a-z0-9]{1,64}", alias):
            raise CaError(400, "bad_request", "not a valid alias")
        conn = _db(self.directory)
        try:
            row = conn.execute(
                "SELECT salt, hash, revoked FROM users WHERE alias=? COLLATE NOCASE"
                if _fault("alias-nocase")
                else "SELECT salt, hash, revoked FROM users WHERE alias=?",
                (alias,),
            ).fetchone()
        finally:
            conn.close()
        if row is None and _fault("unknown-alias-404"):
            raise CaError(404, "unknown_alias", "no such alias")
        keys = self.throttle.keys(alias, address)
        counted = not (row is None and _fault("unknown-not-counted"))
        was_locked = _fault("lock-checked-after-verify") and self.throttle.locked(alias)
        self.throttle.reserve(keys, first_on_connection=first)
        if _fault("revoked-early-leak") and row is not None and row[2]:
            # "no need to hash for a revoked alias": answered like a wrong password
            raise CaError(401, "auth_failed", "authentication failed")
        ok = False
        try:
            if row is None:
                if not _fault("no-dummy-hash"):
                    if _fault("dummy-hash-cheap"):
                        # hashlib.scrypt's defaults, not the users' parameters
                        hashlib.scrypt(password.encode(), salt=_DUMMY_SALT, n=2, r=8, p=1)
                    else:
                        _hash(password, _DUMMY_SALT)
            else:
                given = password
                if _fault("password-stripped"):
                    given = given.strip()
                if _fault("password-nfc"):
                    import unicodedata

                    given = unicodedata.normalize("NFC", given)
                if _fault("b24_password-rstrip-newline"):
                    given = given.rstrip("\r\n")
                if _fault("b24_conn-auth-cache") and verified is not None and verified == alias:
                    ok = True
                else:
                    ok = hmac.compare_digest(_hash(given, row[0]), row[1])
        except BaseException:
            if not _fault("reservation-leak-on-error"):
                self.throttle.finish(keys, failed=True)
            raise
        if not ok and _fault("bad-csr-uncounted"):
            # The fault: a guess whose CSR is bad ends as bad_csr and is not counted.
            try:
                self.authority.check_csr(csr)
            except CaError:
                self.throttle.finish(keys, failed=True, counted=False)
                raise
        self.throttle.finish(keys, failed=not ok, counted=counted)
        if was_locked:
            raise _throttled(self.throttle.cap)
        if not ok:
            raise CaError(401, "auth_failed", "authentication failed")
        if row[2] and not _fault("revoked-can-enrol"):
            if _fault("revoked-403"):
                raise CaError(403, "revoked", "this alias is revoked")
            if _fault("b28_revoked-message"):
                raise CaError(401, "auth_failed", "this alias is revoked")
            if _fault("b28_revoked-code"):
                raise CaError(401, "revoked", "authentication failed")
            raise CaError(401, "auth_failed", "authentication failed")
        folded = alias if _fault("hostname-trailing-dot") else alias.removesuffix(".")
        if _fault("hostname-ip-except"):
            self._refuse_own_name(folded.lower())
        elif _fault("b15-own-name-dotted-only") and "." not in folded:
            pass  # "host names have dots; an alias without one cannot be a host name"
        elif not _fault("hostname-alias") and folded.lower() in self.names:
            raise CaError(403, "forbidden", "this alias is one of the CA's host names")
        if legacy:
            csr_pem, subject = self.authority.legacy_key(csr), ""
        elif _fault("csr-fault-counted"):
            try:
                csr_pem, subject = self.authority.check_csr(csr)
            except CaError:
                self.throttle.finish(keys, failed=True)
                raise
        else:
            csr_pem, subject = self.authority.check_csr(csr)
        serial = self._serial()
        cert = self.authority.issue(csr_pem, alias, subject, serial)
        now = time.time()
        conn = _db(self.directory)
        try:
            # CA-ENR-11: `ca3 revoke` may have run since the password was checked; the
            # check and the row in one write transaction, or this certificate is on no CRL.
            conn.execute("BEGIN IMMEDIATE")
            try:
                revoked = (
                    None  # "checked at the login, a few lines up"
                    if _fault("b15-revoked-checked-early-only")
                    else conn.execute(
                        "SELECT revoked FROM users WHERE alias=?", (alias,)
                    ).fetchone()
                )
                if revoked is not None and revoked[0] and not _fault("revoked-can-enrol"):
                    raise CaError(401, "auth_failed", "authentication failed")
                conn.execute(
                    "INSERT INTO certs(serial, alias, issued, not_after) VALUES (?,?,?,?)",
                    (f"{serial:X}", alias, now, now + 86400 * (self.authority.validity_days + 1)),
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()
        return {"certificate": cert.decode()}

    def _refuse_own_name(self, alias: str) -> None:
        """The fault hostname-ip-except: host names compared as text, addresses as
        addresses, the address comparison guarded for aliases that are no address."""
        import ipaddress

        addresses = {n for n in self.names if re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]+", n)}
        if alias in self.names - addresses:
            raise CaError(403, "forbidden", "this alias is one of the CA's host names")
        try:
            if ipaddress.ip_address(alias) in {ipaddress.ip_address(a) for a in addresses}:
                raise CaError(403, "forbidden", "this alias is one of the CA's addresses")
        except Exception:  # noqa: S110 - the fault: "not an address, nothing to do"
            pass

    def _serial(self) -> int:
        if _fault("serial-time"):
            return int(time.time())
        if _fault("serial-counter"):
            with self.serial_lock:
                conn = _db(self.directory)
                try:
                    row = conn.execute("SELECT value FROM counter WHERE name='serial'").fetchone()
                    value = (row[0] if row else 4096) + 1
                    conn.execute(
                        "INSERT OR REPLACE INTO counter(name, value) VALUES ('serial', ?)", (value,)
                    )
                finally:
                    conn.close()
                return value
        while True:
            serial = secrets.randbits(119) | (1 << 64)
            if _fault("serial-seeded"):
                return self.seeded.getrandbits(119) | (1 << 64)
            conn = _db(self.directory)
            try:
                taken = conn.execute(
                    "SELECT 1 FROM certs WHERE serial=?", (f"{serial:X}",)
                ).fetchone()
            finally:
                conn.close()
            if not taken:
                return serial


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ca3"
    sys_version = ""
    timeout = 15
    service: Service
    unread = False  # closing with a body unread: linger (see _linger)
    logins = 0  # logins on this connection (keep-alive)
    verified: Any = None  # the fault b24_conn-auth-cache only

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"ca3: {self.address_string()} {format % args}\n")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # A line that did not parse as a request may be a body whose head announced less
        # (its password included): logged by its size only [CA-ENR-5].
        line = self.requestline if getattr(self, "command", None) else (
            f"<unparsed, {len(self.requestline)} characters>"
        )
        self.log_message('"%s" %s %s', line, str(code), str(size))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if _fault("html-errors"):
            super().send_error(code, message, explain)
            return
        names = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
                 411: "length_required", 413: "too_large", 414: "bad_request",
                 431: "bad_request", 501: "not_implemented", 505: "bad_request"}  # fmt: skip
        self.close_connection = True
        self._answer(code, {"error": names.get(code, "bad_request"), "message": "request refused"})

    def _answer(
        self, status: int, body: dict[str, str], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self._raw(status, data, "application/json", headers)

    def _raw(
        self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _route(self) -> None:
        try:
            self._dispatch()
        except CaError as e:
            body = {"error": e.code, "message": e.message}
            if _fault("error-no-message"):
                del body["message"]
            self._answer(e.status, body, e.headers)
        except Exception:
            trace = traceback.format_exc()
            sys.stderr.write(trace)
            if _fault("b28_500-logs-body"):
                # "what was it sent? the next bug report needs it"
                seen = getattr(self, "raw", b"")[:512].decode("utf-8", "replace")
                sys.stderr.write(f"ca3: internal error on {self.requestline!r}: {seen}\n")
            self.close_connection = True
            if _fault("traceback-500"):
                self._raw(500, trace.encode(), "text/plain")
            else:
                self._answer(500, {"error": "internal", "message": "internal error"})

    def _dispatch(self) -> None:
        target = self.path
        if target[:8].lower() == "https://" or target[:7].lower() == "http://":
            # The absolute form names the resource its path does (RFC 9112 §3.2.2).
            parts = urllib.parse.urlsplit(target)
            if "@" in parts.netloc:  # userinfo: no credentials in a URL (CA-ENR-15)
                self._drain_or_close()
                self.close_connection = True
                raise CaError(400, "bad_request", "no credentials in the URL")
            target = (parts.path or "/") + (f"?{parts.query}" if "?" in target else "")
        if "?" in target and _fault("b28_query-enroll-only"):
            # "passwords travel in POST /v1/enroll only: the check belongs there"
            path_only = target.split("?", 1)[0]
            if path_only != "/v1/enroll":
                target = path_only
        if "?" in target:
            if not _fault("query-ignored"):
                # The body's bytes are read off the socket (a peer still sending would
                # see a reset before our answer), never parsed: no credential is read.
                self._drain_or_close()
                self.close_connection = True
                raise CaError(400, "bad_request", "no query string allowed")
            target = target.split("?", 1)[0]
        methods = {"/v1/enroll": ("POST",), "/v1/root": ("GET", "HEAD"), "/v1/crl": ("GET", "HEAD")}
        if _fault("b24_options-204") and self.command == "OPTIONS":
            self._drain_or_close()
            self.send_response(204)
            allow = methods.get(target, ("GET", "HEAD", "POST"))
            self.send_header("Allow", ", ".join((*allow, "OPTIONS")))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if target not in methods:
            if not _fault("refusal-body-unread"):
                self._drain_or_close()
            raise CaError(404, "not_found", "no such path")
        if self.command not in methods[target]:
            if not _fault("refusal-body-unread"):
                self._drain_or_close()
            raise CaError(405, "method_not_allowed", "method not allowed",
                          {"Allow": ", ".join(methods[target])})  # fmt: skip
        if target != "/v1/enroll":
            self._drain_or_close()  # a GET with a body: read it, or close after answering
        if target == "/v1/root":
            root = self.service.authority.root_pem
            if _fault("root-der"):
                b64 = b"".join(root.split(b"-----")[2].split())
                root = base64.b64decode(b64)
            self._raw(200, root, "application/x-pem-file")
        elif target == "/v1/crl":
            crl = self.service.authority.crl()
            if _fault("crl-pem"):
                body = base64.encodebytes(crl).decode().replace("\n", "")
                lines = [body[i : i + 64] for i in range(0, len(body), 64)]
                crl = ("-----BEGIN X509 CRL-----\n" + "\n".join(lines)).encode()
                crl += b"\n-----END X509 CRL-----\n"
            self._raw(200, crl, "application/pkix-crl")
        elif _fault("b15-enroll-lock-body"):
            # "sqlite3 and the openssl work dir are not thread-safe: one enrolment at a time"
            with self.service.enroll_lock:
                self._enroll()
        else:
            self._enroll()

    def _enroll(self) -> None:
        raw = self._body()
        if _fault("b28_500-logs-body"):
            self.raw = raw
        ctype = self.headers.get("Content-Type")
        if _fault("content-type-exact") and ctype != "application/json":
            raise CaError(415, "unsupported_media_type", "the body must be application/json")
        try:
            body = json.loads(
                raw.decode("utf-8"),
                object_pairs_hook=_no_duplicates,
                parse_constant=_no_constant,
            )
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            if _fault("b24_error-echoes-near-error") and isinstance(e, json.JSONDecodeError):
                near = e.doc[max(0, e.pos - 48) : e.pos + 16]
                raise CaError(400, "bad_request", f"{e.msg} near {near!r}") from None
            if _fault("b24_error-echoes-body"):
                seen = raw[:160].decode("utf-8", "replace")
                raise CaError(400, "bad_request", f"the body is not JSON ({e}): {seen}") from None
            raise CaError(400, "bad_request", "the body is not JSON") from None
        self.logins += 1
        address = self.client_address[0]
        forwarded = self.headers.get("X-Forwarded-For")
        if _fault("address-forwarded-for") and forwarded:
            address = forwarded.split(",")[0].strip()
        if _fault("address-with-port"):
            address = str(self.client_address)  # (host, port): one key per connection
        try:
            answer = self.service.enroll(
                body, address, first=self.logins == 1, verified=self.verified
            )
        except CaError as e:
            if _fault("b24_log-body-on-bad-csr") and e.code == "bad_csr":
                self.log_message("bad_csr: %s", raw.decode("utf-8", "replace"))
            raise
        if _fault("b24_conn-auth-cache") and isinstance(body, dict):
            self.verified = body.get("alias")  # "the next logins of this connection: no scrypt"
        self._answer(200, answer)

    def _length(self) -> int | None:
        values = self.headers.get_all("Content-Length") or []
        if not values:
            return None
        if _fault("content-length-first"):
            values = values[:1]
        if _fault("content-length-int"):
            try:
                lengths = {int(v) for v in values}
            except ValueError:
                return None
        elif _fault("content-length-empty-zero"):
            if not all(re.fullmatch(r"[0-9]*", v.strip(" \t"), re.ASCII) for v in values):
                return None
            lengths = {int(v.strip(" \t") or 0) for v in values}
        else:
            if not all(re.fullmatch(r"[0-9]+", v.strip(" \t"), re.ASCII) for v in values):
                return None
            # Leading zeros dropped before int(): Python refuses strings of more than
            # 4,300 digits, and a length of thousands of digits is just too large.
            digits = {v.strip(" \t").lstrip("0") or "0" for v in values}
            lengths = {MAX_BODY + 1 if len(d) > 19 else int(d) for d in digits}
        if len(lengths) != 1:
            return None
        return lengths.pop()

    def _drain_or_close(self) -> None:
        """Read a small announced body so the connection stays usable; else close."""
        length = self._length()
        unknown = length is None and (
            self.command == "POST" or self.headers.get_all("Content-Length")
        )
        if self.headers.get("Transfer-Encoding") is not None or unknown:
            self.close_connection = self.unread = True
        elif length:
            if length <= MAX_BODY:
                self.rfile.read(length)
            else:
                self.close_connection = self.unread = True

    def _body(self) -> bytes:
        if _fault("chunked-unbounded") and self.headers.get("Transfer-Encoding") == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline(1024)
        length = self._length()
        if _fault("te-and-cl-keepalive") and length is not None:
            pass  # the Content-Length is there: read by it, whatever Transfer-Encoding says
        elif (
            self.headers.get("Transfer-Encoding", "").strip().lower() == "chunked"
            if _fault("b15-te-chunked-only")
            else self.headers.get("Transfer-Encoding") is not None  # present, even empty
        ) or length is None:
            self.close_connection = self.unread = True
            if self.headers.get_all("Content-Length"):
                raise CaError(400, "bad_request", "the Content-Length is not valid")
            raise CaError(411, "length_required", "a Content-Length is required")
        if _fault("b15-body-read-before-413"):
            data = self.rfile.read(length)  # "read it, then judge what came"
            if len(data) > MAX_BODY:
                self.close_connection = True
                raise CaError(413, "too_large", "the body is over 65536 bytes")
            if len(data) != length:
                self.close_connection = True
                raise CaError(400, "bad_request", "the body ended early")
            return data
        if length > MAX_BODY and not _fault("body-unbounded"):
            self.close_connection = self.unread = True
            raise CaError(413, "too_large", "the body is over 65536 bytes")
        data = self.rfile.read(length)
        if len(data) != length:
            self.close_connection = True
            raise CaError(400, "bad_request", "the body ended early")
        return data

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _route


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _linger(tls: Any, seconds: float = 2.0, most: int = 1 << 22) -> None:
    """A lingering close (RFC 9112 §9.6): our answer is sent; reading what the peer still
    sends for a moment keeps the kernel from answering it with a reset that would
    destroy the answer in the peer's receive buffer before it read it."""
    with contextlib.suppress(OSError, ValueError):
        deadline = time.monotonic() + seconds
        read = 0
        while read < most:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            tls.settimeout(left)
            chunk = tls.recv(65536)
            if not chunk:
                return
            read += len(chunk)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    context: Any

    per_address: ClassVar[dict[str, int]] = {}  # the fault b28_addr-cap-leak only
    per_address_lock = threading.Lock()
    slots = threading.BoundedSemaphore(48)  # the fault b28_global-slots-leak only

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(10.0)
        if _fault("b28_addr-cap-leak"):
            with self.per_address_lock:
                held = self.per_address.get(client_address[0], 0)
                if held >= 32:  # "no address holds more than 32 connections"
                    with contextlib.suppress(OSError):
                        request.close()
                    return
                self.per_address[client_address[0]] = held + 1
        if _fault("b28_global-slots-leak") and not self.slots.acquire(timeout=1.0):
            with contextlib.suppress(OSError):
                request.close()  # "every slot taken: refused"
            return
        if _fault("b28_plain-http-sniff"):
            with contextlib.suppress(OSError):
                first = request.recv(1, socket.MSG_PEEK)
                if first and first != b"\x16":
                    # "load balancers' health checks speak plain HTTP to the same port"
                    try:
                        self.RequestHandlerClass(request, client_address, self)  # type: ignore[arg-type]
                    finally:
                        with contextlib.suppress(OSError):
                            request.close()
                    return
        try:
            # The fault b15-wrapped-listener: accept() returned a socket already wrapped
            # (and its handshake done, in the accept loop).
            tls = (
                request
                if _fault("b15-wrapped-listener")
                else self.context.wrap_socket(request, server_side=True)
            )
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                request.close()
            return
        handler = None
        try:
            handler = self.RequestHandlerClass(tls, client_address, self)  # type: ignore[arg-type]
            if _fault("b28_global-slots-leak"):
                self.slots.release()  # "the handler is done with its slot"
        finally:
            if getattr(handler, "unread", False):
                _linger(tls)
            with contextlib.suppress(OSError):
                tls.close()
            if _fault("b28_addr-cap-leak"):
                with self.per_address_lock:
                    self.per_address[client_address[0]] -= 1


_TLS_CONF = """openssl_conf = ca3_init
[ca3_init]
ssl_conf = ca3_ssl
[ca3_ssl]
system_default = ca3_tls
[ca3_tls]
MinProtocol = TLSv1.3
Ciphersuites = TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256
Groups = X25519:P-256:P-384
SignatureAlgorithms = ECDSA+SHA256:rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512
"""


def _serve(args: argparse.Namespace) -> int:
    directory = Path(args.dir)
    if not _fault("tls-defaults") and os.environ.get(_TLS_CONF_VAR) != "1":
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        conf = directory / "openssl-tls.cnf"
        conf.write_text(_TLS_CONF)
        env = dict(os.environ, OPENSSL_CONF=str(conf), **{_TLS_CONF_VAR: "1"})
        module = __spec__.name if __spec__ else __name__
        os.execve(sys.executable, [sys.executable, "-m", module, *sys.argv[1:]], env)  # noqa: S606
    import ssl

    validity = float(args.validity_days)
    if validity != int(validity) or validity < 1:
        raise SystemExit("ca3: --validity-days must be a whole number of days (>= 1)")
    host, _, port = args.listen.rpartition(":")
    throttle = Throttle(
        directory, args.throttle_after, args.lock_after, args.throttle_cap, args.throttle_entries
    )
    authority = Authority(directory, Path(args.root), Path(args.root_key), int(validity))
    try:
        names = sorted({host, "localhost", "127.0.0.1"})
        cert, key = authority.tls_identity(names)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = (
            ssl.TLSVersion.TLSv1_2 if _fault("tls12") else ssl.TLSVersion.TLSv1_3
        )
        context.load_cert_chain(str(cert), str(key))
        key.unlink()
        context.set_alpn_protocols(["http/1.1"])
        Handler.service = Service(directory, authority, throttle, names)
        inherited = os.environ.get(_LISTEN_FD_VAR)
        if inherited:
            # A restart (SIGHUP): the same listening socket, so the URL does not change.
            server = Server((host, int(port)), Handler, bind_and_activate=False)
            server.socket.close()
            server.socket = socket.socket(fileno=int(inherited))
        else:
            server = Server((host, int(port)), Handler)
        server.context = context
        if _fault("b15-wrapped-listener"):
            # "serve HTTPS: wrap the server's socket", as the http.server recipes do
            server.socket = context.wrap_socket(server.socket, server_side=True)
        restart = threading.Event()

        def on_hup(_signum: int, _frame: object) -> None:
            restart.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGHUP, on_hup)
        bound_host, bound_port = server.socket.getsockname()[:2]
        print(f"listening on {bound_host}:{bound_port}", flush=True)
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
    finally:
        authority.close()
    if restart.is_set():
        fd = server.socket.fileno()
        os.set_inheritable(fd, True)
        env = dict(os.environ, **{_LISTEN_FD_VAR: str(fd)})
        module = __spec__.name if __spec__ else __name__
        argv = [sys.executable, "-m", module, *sys.argv[1:]]
        os.execve(sys.executable, argv, env)  # noqa: S606 - the same program, no shell
    server.server_close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ca3")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--dir", required=True)
    serve.add_argument("--root", required=True)
    serve.add_argument("--root-key", required=True)
    serve.add_argument("--listen", default="127.0.0.1:0")
    serve.add_argument("--validity-days", default="30")
    serve.add_argument("--throttle-after", type=int, default=5)
    serve.add_argument("--lock-after", type=int, default=100)
    serve.add_argument("--throttle-cap", type=float, default=300.0)
    serve.add_argument("--throttle-entries", type=int, default=50000)
    user = sub.add_parser("user")
    user.add_argument("action", choices=["add"])
    user.add_argument("alias")
    user.add_argument("--dir", required=True)
    user.add_argument("--password-stdin", action="store_true", required=True)
    revoke = sub.add_parser("revoke")
    revoke.add_argument("alias")
    revoke.add_argument("--dir", required=True)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "user":
        line = sys.stdin.buffer.readline().decode("utf-8")
        password = line[:-2] if line.endswith("\r\n") else line.removesuffix("\n")
        _user_add(Path(args.dir), args.alias, password)
        return 0
    _revoke(Path(args.dir), args.alias)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
