"""Blind red-team round 25, second pass (helper B181): OPERATIONS — the servers as programs
an organisation runs (limits, stores, the inbox on disk, logs, failure tables) — through the
six lenses of /work/briefs/s25/common.md. Phase 1 (blind): written from docs/SPEC.md
(PWF-1, §3.6, §5.6, §6) and reference/{eke/store,eke/throttle,eke/server,eke/transport,
share,cli/eke,cli/logs}.py before any case file was opened. Dropped as registered (the
4,143 mutants and the first pass's file): the lock counted from the first failure, the
idle timeout stretched or missing during a put, a put held in memory, the pending cap
unwired, the send timeout fixed at 60 s, the store's 0644 backup/export/snapshot, IPv4
counted per /24, a digest of pw in the log. Not planted: EKE-THR-10's /64 and mapped
forms (the embedded server listens on 127.0.0.1 only: no IPv6 peer can reach it) and
PKI-CERT-12 (the responder's CRL comes from a CA whose clock the suite does not hold).

Lens 1 — the thin MUSTs:
- b25bops-lim7-hardlock-cap-default: a hard-locked name's retry_after is the built-in
  backoff cap (300 s), not the configured --throttle-cap (one use of a limit reads the
  default) [LIM-7].
- (dropped after phase 2) b25bops-store-vacuum-replace: at start the server compacts its
  store (VACUUM INTO a new file, os.replace over the store): the store becomes 0644
  [EKE-PW-2]. Detected by test_ops_eke_store_files.py, but not registrable: it rewrites
  the shared store of the self-test run, and every later mutant's server then refuses it.
Lens 2 — the first draft:
- b25bops-lim7-handshake-default: the login deadline is the built-in 10 s, not the
  configured --handshake-timeout (the constant the first draft wrote) [LIM-7].
Lens 4 — aging, expiry and wrap:
- b25bops-thr9-touch-order: a failure table ordered by first failure (insertion order):
  a later failure does not make an entry recent again, so eviction takes a name that
  failed a moment ago before one idle for long [EKE-THR-9].
Lens 5 — the platform underneath:
- b25bops-store2-copy-final: the final name is made by copying the verified temporary
  into a file created O_EXCL, then unlinking the temporary ("rename fails across devices,
  EXDEV"): the final name exists, growing, before the copy ends [APP-STORE-2].
Lens 6 — what the wire shows (here: the log):
- b25bops-log-iv-bytes-repr: a successful login is logged with a "session id", the
  server's record IV printed as a Python bytes literal (b'\\x8f..'): neither hex nor
  base64 nor raw, yet the IV [EKE-THR-3].
Post-blind siblings: b25bops-lim7-max-file-size-unwired, b25bops-lim7-throttle-after-
unwired, b25bops-lim7-put-idle-default, b25bops-store2-copy-checked-pki.

Blind result (phase 2, 5 registered): the two LIM-7 mutants were detected only under
their neighbours' IDs (LIM-1: test_limits.py; EKE-THR-11: test_eke_throttling.py) — no
case cited LIM-7 for them; thr9-touch-order detected by test_ops_eke_table_order.py;
log-iv-bytes-repr missed by test_eke_server_log_secrets.py, detected by
test_eke_log_nonces.py (whole suite); store2-copy-final missed by every file citing
APP-STORE-2. New cases: test_ops_lim7_declared_limits.py (LIM-7: the declared handshake
timeout, idle timeout during a put, max file size, throttle threshold and hard-lock cap
each applied), test_ops_put_commit_is_rename.py (APP-STORE-2: the final name is the
inode of the temporary seen mid-put). Final: 9 of 9 registered detected (-k b25bops).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method

__all__ = ["MUTANTS"]

_GROUP = "blind25b-ops"


def _server() -> Any:
    return _module("reference.eke.server")


def _throttle() -> Any:
    return _module("reference.eke.throttle")


def _hardlock_cap_default() -> None:
    _patch_method(
        _throttle().Throttle,
        "_wait",
        (
            "            return float(math.ceil(cfg.cap))",
            "            return float(math.ceil(ThrottleConfig().cap))",
        ),
    )


def _handshake_default() -> None:
    _patch_method(
        _server().EkeServer,
        "_handshake",
        (
            "        deadline = time.monotonic() + self.config.handshake_timeout",
            "        deadline = time.monotonic() + ServerConfig().handshake_timeout",
        ),
    )


def _touch_order() -> None:
    _patch_method(
        _throttle().Throttle,
        "failed",
        (
            "                self._entries.move_to_end(key)\n",
            "",
        ),
    )


def _log_iv_repr() -> None:
    _patch_method(
        _server().EkeServer,
        "_handshake",
        (
            '        log.info("login user=%s address=%s", _shown(established.user), address)',
            '        log.info("login user=%s address=%s session=%r", _shown(established.user),'
            " address, established.keys.iv_s2c)",
        ),
    )


def _copy_final() -> None:
    _patch_method(
        _module("reference.share").PartialFile,
        "commit",
        (
            """                os.link(
                    self.temp_name,
                    self.final_name,
                    src_dir_fd=self._dir_fd,
                    dst_dir_fd=self._dir_fd,
                    follow_symlinks=False,
                )
                os.unlink(self.temp_name, dir_fd=self._dir_fd)""",
            """                src = os.open(self.temp_name, os.O_RDONLY, dir_fd=self._dir_fd)
                try:
                    dst = os.open(
                        self.final_name,
                        os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                        0o600,
                        dir_fd=self._dir_fd,
                    )
                    try:
                        while True:
                            chunk = os.read(src, 65536)
                            if not chunk:
                                break
                            os.write(dst, chunk)
                        os.fsync(dst)
                    finally:
                        os.close(dst)
                finally:
                    os.close(src)
                os.unlink(self.temp_name, dir_fd=self._dir_fd)""",
        ),
    )

def _cli_serve_unwired(line: str) -> Callable[[], None]:
    """`sft eke serve` builds its configuration without `line`: the default applies."""

    def apply() -> None:
        _patch_method(_module("reference.cli.eke"), "_serve", (line, ""))

    return apply


def _put_idle_default() -> None:
    _patch_method(
        _server().EkeServer,
        "_serve_records",
        (
            """                    if partial is not None:
                        with self._lock:
                            self._receiving.add(conn_id)""",
            """                    if partial is not None:
                        sock.settimeout(ServerConfig().idle_timeout)
                        with self._lock:
                            self._receiving.add(conn_id)""",
        ),
        (
            """                    current, partial = partial, None
""",
            """                    current, partial = partial, None
                    sock.settimeout(self.config.idle_timeout)
""",
        ),
    )


def _copy_final_checked() -> None:
    _patch_method(
        _module("reference.share").PartialFile,
        "commit",
        (
            """                os.link(
                    self.temp_name,
                    self.final_name,
                    src_dir_fd=self._dir_fd,
                    dst_dir_fd=self._dir_fd,
                    follow_symlinks=False,
                )
                os.unlink(self.temp_name, dir_fd=self._dir_fd)""",
            """                import shutil

                folder = f"/proc/self/fd/{self._dir_fd}"
                if os.path.lexists(f"{folder}/{self.final_name}"):
                    raise FileExistsError(self.final_name)
                shutil.copyfile(f"{folder}/{self.temp_name}", f"{folder}/{self.final_name}")
                os.unlink(self.temp_name, dir_fd=self._dir_fd)""",
        ),
    )


def _m(
    name: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Callable[[], None],
    profile: str = "eke",
) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b25bops-lim7-hardlock-cap-default",
        "LIM-7",
        "test_ops_lim7_declared_limits.py",
        "L1/L2: a hard-locked user name's retry_after is the built-in backoff cap (300 s), "
        "not the configured --throttle-cap: one use of the limit reads the default",
        _hardlock_cap_default,
    ),
    _m(
        "b25bops-lim7-handshake-default",
        "LIM-7",
        "test_ops_lim7_declared_limits.py",
        "L2: the login deadline is the built-in 10 s, not the configured "
        "--handshake-timeout",
        _handshake_default,
    ),
    _m(
        "b25bops-thr9-touch-order",
        "EKE-THR-9",
        "test_ops_eke_table_order.py",
        "L4: the failure tables keep first-failure (insertion) order: a later failure does "
        "not make an entry recent, so eviction takes a name that failed a moment ago "
        "before one idle for long",
        _touch_order,
    ),
    _m(
        "b25bops-store2-copy-final",
        "APP-STORE-2",
        "test_ops_put_commit_is_rename.py",
        "L5: the final name is made by copying the verified temporary into a file created "
        "O_EXCL and unlinking the temporary (a rename 'fails across devices'): the final "
        "name exists and grows before the copy ends",
        _copy_final,
    ),
    _m(
        "b25bops-log-iv-bytes-repr",
        "EKE-THR-3",
        "test_eke_log_nonces.py",
        "L6: a successful login is logged with a 'session id': the server's record IV "
        "printed as a Python bytes literal (b'\\x8f..'), neither hex, base64 nor raw",
        _log_iv_repr,
    ),
    _m(
        "b25bops-lim7-max-file-size-unwired",
        "LIM-7",
        "test_ops_lim7_declared_limits.py",
        "(post-blind) --max-file-size is parsed but not passed to the server: the built-in "
        "4 GiB applies",
        _cli_serve_unwired("            max_file_size=args.max_file_size,\n"),
    ),
    _m(
        "b25bops-lim7-throttle-after-unwired",
        "LIM-7",
        "test_ops_lim7_declared_limits.py",
        "(post-blind) --throttle-after is parsed but not passed to the throttle: the "
        "built-in 5 failures apply",
        _cli_serve_unwired("                failures=args.throttle_after,\n"),
    ),
    _m(
        "b25bops-lim7-put-idle-default",
        "LIM-7",
        "test_ops_lim7_declared_limits.py",
        "(post-blind) while a put's data is expected the socket waits under the built-in "
        "idle timeout (60 s), not the configured one",
        _put_idle_default,
    ),
    _m(
        "b25bops-store2-copy-checked-pki",
        "APP-STORE-2",
        "test_ops_put_commit_is_rename.py",
        "(post-blind) the pki responder makes the final name with shutil.copyfile after a "
        "check that it does not exist, then unlinks the temporary",
        _copy_final_checked,
        profile="pki",
    ),
)
