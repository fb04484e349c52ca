"""The embedded default target: the reference CA, peer and EKE server as subprocesses.

`pytest conformance` with no `--target` judges the reference itself. The suite never
imports `reference` (it must stay able to judge anyone): it runs the `sft` command line
(`python -m reference ...`) on ephemeral loopback ports, waits for each server's
readiness line (`listening on HOST:PORT`), and stops what it started at the end — all
through the kit's one launcher, sftkit.launch (own process group, bounded readiness wait,
SIGTERM then SIGKILL, one log per process in the work directory's logs/).

The servers get short limits (handshake/idle timeouts, throttling backoff) so that the
whole suite stays fast; the `Target` records those limits so that tests expect exactly
them. Every option is always passed: a reference that does not know one (renamed,
removed) fails to start, loudly, instead of turning the cases it serves into SKIPs.

Also used by fuzz/ (`start_embedded`), which must not import `reference` either.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shlex
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from conformance.target import Account, KnownFile, Limits, Target
from sftkit.launch import LaunchedProcess, LaunchError, launch_server, run_command, stop_all

__all__ = [
    "EMBEDDED_LIMITS",
    "EmbeddedError",
    "EmbeddedReference",
    "reference_client_crl_cmd",
    "reference_enroll_cmd",
    "start_embedded",
]

# Short limits keep the default run under a minute; each is still a real limit.
EMBEDDED_LIMITS = Limits(
    # 2 s, not 1 s: on a loaded 2-core machine (load 20) an honest first EKE handshake,
    # or P pending logins held while N more are probed, took about 1 s (false FAILs).
    handshake_timeout=2.0,
    idle_timeout=1.5,
    max_file_size=2 * 1024 * 1024,
    # LIM-4: room for a case's max(P, Q) + 1 handshakes, or LIM-8 + 1 connections of one
    # address, beside what the other xdist workers sharing this server hold meanwhile.
    max_connections=10,
    # LIM-8: below max_connections (so a one-address flood cannot take every slot),
    # above the parallel handshakes other cases hold from one address, and above Q
    # (EKE-THR-7): with Q = LIM-8 the next connection of an address holding Q pending
    # handshakes is refused before its EKE1, and the per-address `busy` of EKE-THR-7
    # (its retry_after, that it is not a failure, the user's slot it must not take) is
    # never reached. Q + 2, not Q + 1: a case that holds Q pending handshakes of an
    # address and sends it EKE1s one after the other needs room for the one the server
    # may still be releasing after its close.
    max_pending_per_address=7,
    frame_limit=1_048_832,
    throttle_failures=3,
    # The spec's backoff law (EKE-THR-6) with its default base; a low cap keeps the
    # longest lock short, yet 1 s, 2 s, 4 s of growth stay observable.
    throttle_base=1.0,
    throttle_cap=4.0,
    # EKE-THR-7: P above N, so an honest burst of P logins proves pending is not failure;
    # Q−1 ≥ N pending ghosts beside one honest login from one address; P, Q and LIM-8
    # pairwise distinct, so that each cap is seen on its own (P and Q swapped, Q not
    # enforced, Q counted per user name: each changes which EKE1 is answered `busy`).
    pending_logins_per_user=4,
    pending_logins_per_address=5,
    # EKE-THR-11: above the N+1 failures other cases put on one name; reachable at once
    # (N−1 failures, then P pending handshakes abandoned).
    lock_after=5,
    # EKE-THR-9: small failure tables, so that test_eke_tables.py can fill one (E + 1
    # failures) and see that the other keeps its entries, and a locked one its lock, and
    # test_eke_hard_lock_bound.py can hard-lock E + 1 names — yet room for the run: the
    # backoff locks of many cases run at once, and an entry is not evicted while its lock
    # runs (hard locks stay for the whole run but no longer count towards E).
    throttle_table_entries=40,
    # PKI-CERT-7: a refetch the revocation case can wait for (one CRL fetch per 2 s).
    crl_refresh=2.0,
)
# The embedded sft-pki/1 peer's max_connections (LIM-4) and per-address cap (LIM-8).
_PKI_SLOTS = (8, 4)
_READY_TIMEOUT = 20.0
# The embedded CA's certificate validity (the reference's default is 30 days).
_CA_VALIDITY_DAYS = 7
# What the embedded share holds beyond its known files (see `_make_share`), in the
# target-file keys of conformance.target.SHARE_FACTS.
_SHARE_FACTS = {
    "directories": ["adir", "sub"],
    # `sibling` leads into `share-evil`, a directory beside the share whose name starts
    # with the share's: a string-prefix confinement check lets it through (APP-NAME-4).
    "escape_symlinks": [
        "escape/secret.txt",
        "escape-file",
        "escape/no-such-file.txt",
        "escape-dangling",
        "escape-gone/secret.txt",
        "escape",
        "sibling/secret.txt",
        "sibling",
    ],
    "too_large": ["toolarge.bin"],
}
# The aliases the embedded peer serves: the suite's own, the other employee, the revoked one.
_ALLOWED = ("suite", "carol", "revoked")
# The identities enrolled through the embedded CA (the others are minted in-process).
_ENROLLED = ("alice", "revoked", "revoked-2")
_CLI_TIMEOUT = 30.0
# The large known file of an instance with a larger max file size (`max_file_size`).
_LARGE_FILE = 160 * 1024 * 1024
_STOP_TIMEOUT = 5.0
# How long a worker waits for another one to provision the shared template (the CA's
# chain is ~8 CLI runs of at most _CLI_TIMEOUT each; a loaded machine needs seconds).
_TEMPLATE_WAIT = 120.0


class EmbeddedError(Exception):
    """The embedded reference could not be started (one line, with the log's tail)."""


@dataclass
class _Server:
    name: str
    process: LaunchedProcess

    @property
    def host(self) -> str:
        return self.process.host

    @property
    def port(self) -> int:
        return self.process.port

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass
class EmbeddedReference:
    """The reference servers of one test session (one per xdist worker)."""

    workdir: Path
    servers: list[_Server] = field(default_factory=list)
    # How servers are started: the reference's CLI; the self-tests swap in a mutant.
    launcher: list[str] = field(default_factory=lambda: [sys.executable, "-m", "reference"])
    _tuned: dict[str, tuple[tuple[str, str], list[str], dict[str, str]]] = field(
        default_factory=dict
    )
    _args: dict[str, list[str]] = field(default_factory=dict)
    _pki: Target | None = None
    _eke: Target | None = None
    # A directory the xdist workers of one run share (None: provision here). The CA with
    # its enrolments and the EKE store are made once, by the first worker that needs
    # them, and copied by the others: ~3 s of CPU and ~12 `sft` starts per extra worker
    # (issue 17). Each worker still runs its own servers on its own copy.
    template: Path | None = None
    # A larger max file size than the suite's (None: EMBEDDED_LIMITS'): for the cases that
    # need files of many MiB (LIM-6, test_app_memory_bound.py) and their self-tests only;
    # the share then also holds a 160 MiB file and a too-large file above this limit.
    max_file_size: int | None = None

    def _limits(self) -> Limits:
        if self.max_file_size is None:
            return EMBEDDED_LIMITS
        return replace(EMBEDDED_LIMITS, max_file_size=self.max_file_size)

    # -- processes --

    def _cli(self, args: Sequence[str], stdin: str = "", *, name: str) -> str:
        log = self.workdir / "logs" / f"{name}.log"
        cmd = [sys.executable, "-m", "reference", *args]
        try:
            done = run_command(cmd, stdin=stdin.encode(), timeout=_CLI_TIMEOUT, log=log)
        except LaunchError as exc:
            raise EmbeddedError(f"`sft {' '.join(args[:3])}` did not finish in time") from exc
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
            last = tail[-1] if tail else f"exit code {done.returncode}"
            raise EmbeddedError(f"`sft {' '.join(args[:3])}` failed: {last}")
        return done.stdout.decode(errors="replace")

    def _cli_parallel(self, jobs: Sequence[tuple[Sequence[str], str, str]]) -> None:
        """Independent CLI runs at once (each `python -m reference` start costs ~0.3-1 s)."""
        with ThreadPoolExecutor(max_workers=max(1, len(jobs))) as pool:
            futures = [pool.submit(self._cli, args, stdin, name=name) for args, stdin, name in jobs]
            for future in futures:
                future.result()

    @staticmethod
    def _supported(command: tuple[str, ...], options: dict[str, str]) -> list[str]:
        """Every option, always: the embedded reference ships with the suite, so an option
        it does not know (a renamed one) is a loud harness error when the server starts,
        never a quietly smaller target whose cases turn UNSUPPORTED or SKIP."""
        del command
        return [part for option, value in options.items() for part in (option, value)]

    def _serve(self, args: Sequence[str], *, name: str) -> _Server:
        self._args[name] = list(args)
        log = self.workdir / "logs" / f"{name}.log"
        log.unlink(missing_ok=True)  # a restart's log says only what that start said
        try:
            process = launch_server(
                [*self.launcher, *args], name=name, log=log, ready_timeout=_READY_TIMEOUT
            )
        except LaunchError as exc:
            raise EmbeddedError(
                f"`sft {' '.join(args[:2])}` did not print its readiness line: {exc}"
            ) from None
        server = _Server(name, process)
        self.servers.append(server)
        return server

    def _serve_tuned(
        self,
        command: tuple[str, str],
        args: list[str],
        options: dict[str, str],
        *,
        name: str,
    ) -> tuple[_Server, list[str]]:
        """Start a server with the suite's limits; without those this build lacks."""
        self._tuned[name] = (command, args, options)
        extra = self._supported(command, options)
        return self._serve([*args, *extra], name=name), extra

    def restart(self, profile: str, launcher: list[str], *, ca: bool = False) -> Target:
        """Restart the profile's server (same store, share, certificates) with `launcher`;
        with `ca=True` (pki) the CA's server instead of the peer."""
        name = "eke-serve" if profile == "eke" else ("ca-serve" if ca else "peer-serve")
        target = self._eke if profile == "eke" else self._pki
        if target is None or name not in self._args:
            raise EmbeddedError(f"the {profile} reference was never started")
        args = list(self._args[name])
        for server in [s for s in self.servers if s.name == name]:
            if ca and "--listen" in args:
                # The CA keeps its port: the peer's --ca URL (CRL refetches) stays valid.
                args[args.index("--listen") + 1] = f"{server.host}:{server.port}"
            server.process.stop(_STOP_TIMEOUT)
            self.servers.remove(server)
        saved, self.launcher = self.launcher, launcher
        try:
            if name in self._tuned:
                command, args, options = self._tuned[name]
                if "--throttle-db" in options:
                    options = {**options, "--throttle-db": str(self._fresh_throttle_db())}
                server, _extra = self._serve_tuned(command, args, options, name=name)
            else:
                server = self._serve(args, name=name)
        finally:
            self.launcher = saved
        if ca:
            restarted = target.with_changes(
                ca_url=f"https://{server.host}:{server.port}",
                ca_restart_cmd=_restart_cmd(server.pid),
                ca_log=self.workdir / "logs" / f"{name}.log",
            )
        else:
            restarted = target.with_changes(
                host=server.host,
                port=server.port,
                pid=server.pid,
                restart_cmd=_restart_cmd(server.pid),
            )
        if profile == "eke":
            saved, self.launcher = self.launcher, launcher
            try:
                restarted = restarted.with_changes(
                    eke_unlock_cmd=self._eke_unlock_cmd(name),
                    eke_server_log=self.workdir / "logs" / f"{name}.log",
                )
            finally:
                self.launcher = saved
            self._eke = restarted
        else:
            self._pki = restarted
        return restarted

    def stop(self) -> None:
        stop_all([server.process for server in reversed(self.servers)], _STOP_TIMEOUT)
        self.servers.clear()

    def alive(self) -> list[str]:
        """Names of servers that have died (for the report's "target down" diagnosis)."""
        return [s.name for s in self.servers if not s.process.running()]

    # -- shared content --

    def _make_share(self, root: Path) -> tuple[Path, Path, tuple[KnownFile, ...]]:
        share = root / "share"
        inbox = root / "inbox"
        outside = root / "outside"
        sibling = root / f"{share.name}-evil"
        dirs = (share, inbox, outside, sibling, share / "sub", share / "adir", share / "%2e%2e")
        # A second start after a failed one lays the share out afresh (else its symlinks
        # exist already, and that error would hide the first start's real one).
        for d in (share, inbox, outside, sibling):
            shutil.rmtree(d, ignore_errors=True)
        for d in (*dirs, share / "sizes"):
            d.mkdir(parents=True, exist_ok=True)
        contents = {
            "hello.txt": b"hello, world\n",
            "sub/nested.txt": b"nested file\n",
            "%2e%2e/x": b"a file whose name looks percent-encoded\n",
            "empty.txt": b"",
            # Several DATA frames, still below the embedded max file size.
            "big.bin": _pattern(1_500_000),
            # A name in NFD (e + U+0301): its NFC form is another name (APP-NAME-3).
            "cafe\u0301.txt": b"a name in NFD\n",
            # DATA chunk boundaries (FRM-13, APP-GET-2) and exactly the max file size.
            "sizes/chunk-1.bin": _pattern(1024 * 1024 - 1),
            "sizes/chunk.bin": _pattern(1024 * 1024),
            "sizes/chunk+1.bin": _pattern(1024 * 1024 + 1),
            "sizes/max.bin": _pattern(EMBEDDED_LIMITS.max_file_size)[::-1],
        }
        if self.max_file_size is not None and self.max_file_size >= _LARGE_FILE:
            contents["sizes/large.bin"] = _pattern(_LARGE_FILE)
        files = []
        for name, data in contents.items():
            (share / name).write_bytes(data)
            files.append(KnownFile(name, len(data), hashlib.sha256(data).hexdigest()))
        # Above the max file size: a get must be answered too_large (APP-GET-2, LIM-3).
        toolarge = share / "toolarge.bin"
        with toolarge.open("wb") as fh:
            fh.truncate(self._limits().max_file_size + 1)
        (outside / "secret.txt").write_bytes(b"outside the share: must never be served\n")
        (share / "escape").symlink_to(outside, target_is_directory=True)
        (share / "escape-file").symlink_to(outside / "secret.txt")
        # A leaf link out of the share whose target does not exist: `forbidden` like
        # `escape-file`, never `not_found`, which would say what exists out there (APP-NAME-6).
        (share / "escape-dangling").symlink_to(outside / "no-such-file.txt")
        (share / "escape-gone").symlink_to(outside / "no-such-dir", target_is_directory=True)
        (share / "inside-link").symlink_to("hello.txt")
        (sibling / "secret.txt").write_bytes(b"beside the share: must never be served\n")
        (share / "sibling").symlink_to(sibling, target_is_directory=True)
        return share, inbox, tuple(files)

    # -- the two profiles --

    def pki(self) -> Target:
        if self._pki is None:
            self._pki = self._start_pki()
        return self._pki

    def eke(self) -> Target:
        if self._eke is None:
            self._eke = self._start_eke()
        return self._eke

    def start(self, profiles: Sequence[str]) -> None:
        """Start several profiles at once (their set-up chains run concurrently)."""
        wanted = [p for p in profiles if p in ("pki", "eke")]
        with ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool:
            futures = {p: pool.submit(self.pki if p == "pki" else self.eke) for p in wanted}
            for future in futures.values():
                future.result()

    # -- provisioning: once per run when the workers share a template --

    def _provisioned(
        self, kind: str, base: Path, provision: Callable[[Path], tuple[Account, ...]]
    ) -> tuple[Account, ...]:
        """`provision(base)`'s accounts; with a template, made once in it then copied."""
        if self.template is None:
            return provision(base)
        shared = self.template / kind
        facts = shared / "accounts.json"
        with _exclusive(self.template / f"{kind}.lock"):
            if not facts.is_file():
                # A worker that failed half-way left debris: start afresh.
                shutil.rmtree(shared, ignore_errors=True)
                shared.mkdir(mode=0o700, parents=True)
                made = provision(shared)
                # Passwords in a file: in the run's own 0700 directory, removed at its end
                # (the alternative, one provisioning per worker, is what this saves).
                tmp = shared / ".accounts.tmp"
                tmp.touch(mode=0o600)
                tmp.write_text(json.dumps([[a.user, a.password] for a in made]))
                os.replace(tmp, facts)
        for entry in shared.iterdir():
            if entry.name in ("accounts.json", "logs"):
                continue
            if entry.is_dir():
                shutil.copytree(entry, base / entry.name, symlinks=True, dirs_exist_ok=True)
            else:
                shutil.copy2(entry, base / entry.name)
        return tuple(Account(u, pw) for u, pw in json.loads(facts.read_text()))

    def _provision_eke(self, base: Path) -> tuple[Account, ...]:
        store = base / "users.db"
        accounts = (
            Account("alice", secrets.token_urlsafe(12)),
            Account("bob", secrets.token_urlsafe(12)),
            # Non-ASCII name (3 characters, 4 UTF-8 bytes) and a password that trimming,
            # case folding, NFC or NFD would each change (EKE-PW-1, EKE-KS-1).
            Account("zo\u00eb", f" \u00c9te\u0301-{secrets.token_urlsafe(9)} "),
            # A name in decomposed form (NFD: e + U+0301): names are bytes, never
            # normalised (EKE-PW-4, EKE-KS-1); its NFC spelling is another, unknown user.
            Account("re\u0301my", secrets.token_urlsafe(12)),
        )
        jobs = [
            (
                ["eke", "user", "add", a.user, "--store", str(store), "--password-stdin"],
                a.password + "\n",
                f"eke-user-{a.user}",
            )
            for a in accounts
        ]
        # The first run creates the store; the others may then write concurrently.
        self._cli(jobs[0][0], jobs[0][1], name=jobs[0][2])
        self._cli_parallel(jobs[1:])
        return accounts

    def _start_eke(self) -> Target:
        base = self.workdir / "eke"
        base.mkdir(parents=True, exist_ok=True)
        share, inbox, files = self._make_share(base)
        store = base / "users.db"
        accounts = self._provisioned("eke", base, self._provision_eke)
        limits = self._limits()
        server, _extra = self._serve_tuned(
            ("eke", "serve"),
            [
                "eke",
                "serve",
                "--store",
                str(store),
                "--listen",
                "127.0.0.1:0",
                "--share",
                str(share),
                "--inbox",
                str(inbox),
            ],
            {
                "--handshake-timeout": str(limits.handshake_timeout),
                "--idle-timeout": str(limits.idle_timeout),
                "--max-connections": str(limits.max_connections),
                "--max-pending-per-address": str(limits.max_pending_per_address),
                "--max-file-size": str(limits.max_file_size),
                "--throttle-after": str(limits.throttle_failures),
                "--throttle-base": str(limits.throttle_base),
                "--throttle-cap": str(limits.throttle_cap),
                "--max-pending-logins-per-user": str(limits.pending_logins_per_user),
                "--max-pending-logins-per-address": str(limits.pending_logins_per_address),
                "--lock-after": str(limits.lock_after),
                "--throttle-table-size": str(limits.throttle_table_entries),
                # EKE-THR-8 keeps failure counts across restarts: a database file, which
                # the declared restart command (SIGHUP: the same process re-executed
                # with the same arguments) keeps. The self-tests restart this server for
                # every mutant, and one run's locks must not leak into the next: each
                # start through the harness gets a fresh file (restart()).
                "--throttle-db": str(self._fresh_throttle_db()),
            },
            name="eke-serve",
        )
        features = {"get", "put", "throttling", "busy"}
        return Target(
            profile="eke",
            host=server.host,
            port=server.port,
            embedded=True,
            features=frozenset(features),
            limits=limits,
            files=files,
            accounts=accounts,
            share=share,
            inbox=inbox,
            pid=server.pid,
            extra=dict(_SHARE_FACTS),
            restart_cmd=_restart_cmd(server.pid),
            eke_unlock_cmd=self._eke_unlock_cmd("eke-serve"),
            # EKE-THR-3: the server's output, copied by its launcher into this file.
            eke_server_log=self.workdir / "logs" / "eke-serve.log",
        )

    def _eke_unlock_cmd(self, name: str) -> str:
        """EKE-THR-11's administrator: `sft eke user unlock {user}` on the store and the
        throttle database the running server was started with (through the same launcher:
        a mutant of the administration tool is planted there too)."""
        args = self._args[name]
        argv = [*self.launcher, "eke", "user", "unlock", "--store", args[args.index("--store") + 1]]
        if "--throttle-db" in args:
            argv += ["--throttle-db", args[args.index("--throttle-db") + 1]]
        return f"{shlex.join(argv)} -- {{user}}"  # `--`: a user name may start with "-"

    def _fresh_throttle_db(self) -> Path:
        """A throttle database no earlier start of the eke server has written to."""
        directory = self.workdir / "eke" / "throttle"
        directory.mkdir(parents=True, exist_ok=True)
        return directory / f"{secrets.token_hex(8)}.db"

    def _provision_pki(self, base: Path, *, keep_ca: bool) -> tuple[Account, ...]:
        """A CA in base/ca, its accounts, and the identities enrolled through it in base/id;
        its server stays up as `ca-serve` if `keep_ca`, else it is stopped."""
        ca_dir = base / "ca"
        # A throwaway organisation whose root key the suite reads (lab mode): in clear.
        self._cli(["ca", "init", "--dir", str(ca_dir), "--unencrypted-key"], name="ca-init")
        root, _ca_key = _find_root(ca_dir)
        # Through the reference CA: alice (the responder's own identity) and revoked
        # (revoked before the responder starts). The suite's own identity and another
        # employee's (carol, the man in the middle) are minted in-process with the root
        # key (lab mode): each `sft` start costs ~0.3 s of CPU, twice per xdist worker.
        enrolees = [Account(a, secrets.token_urlsafe(12)) for a in ("alice", "revoked")]
        # An account the CA tests enrol with (CA-ENR-2..4), never revoked.
        enrolment = Account("suite", secrets.token_urlsafe(12))
        self._cli_parallel(
            [
                (
                    ["ca", "user", "add", a.user, "--dir", str(ca_dir), "--password-stdin"],
                    a.password + "\n",
                    f"ca-user-{a.user}",
                )
                for a in [*enrolees, enrolment]
            ]
        )
        ca = self._serve(_ca_serve_args(ca_dir), name="ca-serve" if keep_ca else "ca-provision")
        ca_url = f"https://{ca.host}:{ca.port}"
        # `revoked` enrols twice (identities revoked, revoked-2): revoking the alias must
        # revoke both certificates [CA-ENR-11], and the responder refuse both [PKI-CERT-11].
        enrolments = [(a, a.user) for a in enrolees] + [(enrolees[1], "revoked-2")]
        assert tuple(key for _a, key in enrolments) == _ENROLLED
        self._cli_parallel(
            [
                (
                    [
                        "enroll",
                        "--ca",
                        ca_url,
                        "--root",
                        str(root),
                        "--alias",
                        a.user,
                        "--password-stdin",
                        "--out",
                        str(base / "id" / key),
                    ],
                    a.password + "\n",
                    f"enroll-{key}",
                )
                for a, key in enrolments
            ]
        )
        self._cli(["ca", "revoke", "revoked", "--dir", str(ca_dir)], name="ca-revoke")
        if not keep_ca:
            ca.process.stop(_STOP_TIMEOUT)
            self.servers.remove(ca)
        return (*enrolees, enrolment)

    def _start_pki(self) -> Target:
        base = self.workdir / "pki"
        ca_dir = base / "ca"
        base.mkdir(parents=True, exist_ok=True)
        # A second start after a failed one makes a new CA (the CLI refuses to overwrite
        # one, and that refusal would hide the first start's real error).
        shutil.rmtree(ca_dir, ignore_errors=True)
        share, inbox, files = self._make_share(base)
        keep_ca = self.template is None  # else the template's CA is stopped once made
        _alice, _revoked, enrolment = self._provisioned(
            "pki", base, lambda into: self._provision_pki(into, keep_ca=keep_ca)
        )
        root, ca_key = _find_root(ca_dir)
        ca = next((s for s in reversed(self.servers) if s.name == "ca-serve"), None)
        if ca is None or not keep_ca:
            ca = self._serve(_ca_serve_args(ca_dir), name="ca-serve")
        ca_url = f"https://{ca.host}:{ca.port}"
        identities = {key: _find_identity(base / "id" / key) for key in _ENROLLED}
        if not keep_ca:
            # The copies name the template's CA, which is gone: this worker's instead.
            for key in _ENROLLED:
                (base / "id" / key / "ca-url").write_text(ca_url + "\n")
        identities.update(_mint_identities(root, ca_key, base / "minted", ("suite", "carol")))
        limits = replace(
            self._limits(),
            # sft-pki/1 has no pending-login caps (EKE-THR-7) for LIM-8 to stand apart
            # from: its slot caps stay where its cases were tuned (see _PKI_SLOTS).
            max_connections=_PKI_SLOTS[0],
            max_pending_per_address=_PKI_SLOTS[1],
            cert_validity_days=float(_CA_VALIDITY_DAYS),
            ca_throttle_failures=3,  # the CA's --throttle-after above
            ca_lock_after=4,  # its --lock-after
            ca_throttle_cap=2.0,  # its --throttle-cap
            ca_throttle_table_entries=_CA_TABLE_ENTRIES,  # its --throttle-table-size
        )
        # How the CA-ENR-11 case administers the CA: the reference's CLI on its store.
        admin = f"{shlex.quote(sys.executable)} -m reference ca"
        ca_dir_arg = shlex.quote(str(ca_dir))
        peer, _extra = self._serve_tuned(
            ("peer", "serve"),
            [
                "peer",
                "serve",
                "--id",
                str(base / "id" / "alice"),
                "--listen",
                "127.0.0.1:0",
                "--share",
                str(share),
                "--inbox",
                str(inbox),
                # An allow list (PKI-ID-3): every identity the suite presents is on it;
                # an employee minted under any other alias must be answered `forbidden`.
                *(part for alias in _ALLOWED for part in ("--allow", alias)),
            ],
            {
                "--handshake-timeout": str(limits.handshake_timeout),
                "--idle-timeout": str(limits.idle_timeout),
                "--max-connections": str(limits.max_connections),
                "--max-pending-per-address": str(limits.max_pending_per_address),
                "--max-file-size": str(limits.max_file_size),
                "--ca": ca_url,
                "--crl-refresh": str(limits.crl_refresh),
            },
            name="peer-serve",
        )
        features = {"get", "put", "crl", "allow-list", "busy"}
        return Target(
            profile="pki",
            host=peer.host,
            port=peer.port,
            embedded=True,
            features=frozenset(features),
            limits=limits,
            files=files,
            root=root,
            ca_key=ca_key,
            ca_url=ca_url,
            enroll=(enrolment,),
            responder_alias="alice",
            allow=_ALLOWED,  # PKI-ID-3: exactly the --allow aliases above
            ca_user_add_cmd=f"{admin} user add {{alias}} --dir {ca_dir_arg} --password-stdin",
            ca_revoke_cmd=f"{admin} revoke {{alias}} --dir {ca_dir_arg}",
            ca_unlock_cmd=f"{admin} user unlock {{alias}} --dir {ca_dir_arg}",
            # CA-ENR-20: `sft ca serve` re-executes itself on SIGHUP, keeping its socket.
            ca_restart_cmd=_restart_cmd(ca.pid),
            # CA-ENR-5: the CA's output, copied by its launcher into this file.
            ca_log=self.workdir / "logs" / f"{ca.name}.log",
            # APP-STORE-3: `sft peer serve` re-executes itself on SIGHUP, keeping its socket.
            restart_cmd=_restart_cmd(peer.pid),
            # The reference's enrolment client (test_enroll_client.py runs it against the
            # suite's own hostile CA).
            enroll_cmd=reference_enroll_cmd([sys.executable, "-m", "reference"]),
            # The reference's initiator given a CRL file (test_pki_initiator_crl_file.py):
            # the suite's minted identity, no CA URL (the CRL is the file's, or none).
            client_crl_cmd=_client_crl_cmd(identities, root, base / "client-crl-id"),
            identities=identities,
            share=share,
            inbox=inbox,
            pid=peer.pid,
            extra={**_SHARE_FACTS, "ca_dir": str(ca_dir)},
        )

    def revoke(self, alias: str) -> None:
        """Revoke an alias at the embedded CA (for PKI-CERT-7 tests)."""
        if self._pki is None:
            raise EmbeddedError("the PKI side is not running")
        self._cli(
            ["ca", "revoke", alias, "--dir", self._pki.extra["ca_dir"]], name=f"ca-revoke-{alias}"
        )


def reference_enroll_cmd(launcher: Sequence[str]) -> str:
    """The `enroll_cmd` template of the reference's `sft enroll`, run through `launcher`
    (the self-tests pass a mutant launcher)."""
    return shlex.join(launcher) + (
        " enroll --ca {ca_url} --root {root} --alias {alias}"
        " --password-file {password_file} --out {out}"
    )


def reference_client_crl_cmd(launcher: Sequence[str], iddir: Path) -> str:
    """The `client_crl_cmd` template of the reference's `sft get --crl {crl}`, run through
    `launcher` (the self-tests pass a mutant launcher) with the identity in `iddir`."""
    return shlex.join(launcher) + (
        f" get {{alias}}@{{host}}:{{port}} {{name}} --id {shlex.quote(str(iddir))}"
        " --crl {crl} -o {out}"
    )


def _client_crl_cmd(
    identities: dict[str, tuple[Path, Path]], root: Path, iddir: Path
) -> str | None:
    """The embedded initiator's `client_crl_cmd`, with the suite's minted identity in the
    reference client's layout (cert.pem, key.pem, root.pem); None without one."""
    if "suite" not in identities:
        return None
    iddir.mkdir(mode=0o700, parents=True, exist_ok=True)
    cert, key = identities["suite"]
    (iddir / "cert.pem").write_bytes(cert.read_bytes())
    (iddir / "key.pem").touch(mode=0o600)
    (iddir / "key.pem").write_bytes(key.read_bytes())
    (iddir / "root.pem").write_bytes(root.read_bytes())
    return reference_client_crl_cmd([sys.executable, "-m", "reference"], iddir)


def _restart_cmd(pid: int) -> str:
    """A server's restart (EKE-THR-8, CA-ENR-20, APP-STORE-3): `sft eke serve`, `sft ca
    serve` and `sft peer serve` re-execute themselves on SIGHUP, keeping their listening
    socket and their state on disk; no shell."""
    return f"kill -HUP {pid}"


_CA_TABLE_ENTRIES = 24


def _ca_serve_args(ca_dir: Path) -> list[str]:
    # A validity other than the default shows a CA that ignores its configuration
    # (CA-ENR-10); the Target's limits say so. Throttling after 3 failures (default
    # 5) keeps the cases that measure the CA's threshold short (test_ca_throttle.py).
    return [
        "ca",
        "serve",
        "--dir",
        str(ca_dir),
        "--listen",
        "127.0.0.1:0",
        "--validity-days",
        str(_CA_VALIDITY_DAYS),
        "--throttle-after",
        "3",
        # CA-ENR-19 reachable in one backoff wait (the calibration alias of
        # test_ca_throttle.py fails 4 times too: locked then, its 429 unchanged);
        # a 2 s cap bounds the wait past a locked alias's backoff.
        "--lock-after",
        "4",
        "--throttle-cap",
        "2",
        # Small enough for the hard-lock bound case to fill (CA-ENR-20), large enough that
        # no case's own partial counts are evicted by the failures of the cases beside it.
        "--throttle-table-size",
        str(_CA_TABLE_ENTRIES),
    ]


def _pattern(size: int) -> bytes:
    block = hashlib.sha256(b"sft conformance big file").digest() * 2048
    return (block * (size // len(block) + 1))[:size]


def _find_root(ca_dir: Path) -> tuple[Path, Path | None]:
    certs = sorted(ca_dir.glob("root*.pem")) + sorted(ca_dir.glob("*root*.crt"))
    if not certs:
        raise EmbeddedError(f"no root certificate found in {ca_dir}")
    keys = sorted(ca_dir.glob("root*.key")) + sorted(ca_dir.glob("root*key*.pem"))
    return certs[0], keys[0] if keys else None


def _mint_identities(
    root: Path, ca_key: Path | None, directory: Path, aliases: Sequence[str]
) -> dict[str, tuple[Path, Path]]:
    """Employee certificates signed by the root key, as the CA would issue them."""
    if ca_key is None:
        return {}
    from conformance.x509 import CertificateAuthority, LabPKI

    directory.mkdir(parents=True, exist_ok=True)
    lab = LabPKI(CertificateAuthority.load(root.read_bytes(), ca_key.read_bytes()))
    return {alias: lab.employee(alias).write(directory, alias) for alias in aliases}


def _find_identity(iddir: Path) -> tuple[Path, Path]:
    keys = sorted(iddir.glob("*.key")) + sorted(iddir.glob("*key*.pem"))
    certs = [
        p
        for p in sorted(iddir.glob("*.pem")) + sorted(iddir.glob("*.crt"))
        if "key" not in p.name and "root" not in p.name
    ]
    if not keys or not certs:
        raise EmbeddedError(f"enrolment left no certificate/key in {iddir}")
    return certs[0], keys[0]


def start_embedded(profile: str, workdir: Path) -> Target:
    """Start the reference for one profile in `workdir`; call `target.stop()` when done."""
    ref = EmbeddedReference(workdir)
    try:
        target = ref.pki() if profile == "pki" else ref.eke()
    except BaseException:
        ref.stop()
        raise
    return target.with_changes(stopper=ref.stop)


@contextlib.contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock` (shared by the run's workers), waiting boundedly."""
    with lock.open("a") as handle:
        deadline = time.monotonic() + _TEMPLATE_WAIT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise EmbeddedError(
                        f"another worker held {lock.name} for over {_TEMPLATE_WAIT:.0f} s"
                    ) from None
                time.sleep(0.05)  # polling a lock another process holds; bounded above
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
