"""What the suite knows about the implementation under test: one `Target` per profile.

A target comes from the command line (`--target HOST:PORT --profile ...`), from a target
file (`--target-config target.toml`), or from the embedded reference that the suite starts
itself. Tests read it; they never guess: a feature the target does not declare makes the
test UNSUPPORTED, a value it does not give (a known file, a second account) makes it SKIP.

Target file (TOML; every key optional except target/profile; relative paths are relative
to the file). A key this module does not know is an error that names the key and, when
it belongs elsewhere, where (`TARGET_FILE_KEYS`); conformance/README.md documents each.

    profile = "eke"                 # pki | eke | pki-legacy | eke-legacy
    target = "127.0.0.1:9000"
    features = ["get", "put", "throttling"]
    client_cmd = "my-client get {host}:{port} {name} -o {out}"
    client_crl_cmd = "my-client get {host}:{port} {name} -o {out} --crl {crl}"   # pki
                                    # (optional): client_cmd, with the CRL (DER) in {crl}
    enroll_cmd = "my-client enroll {ca_url} {root} {alias} {password_file} {out}"
    # facts about the share that enable more cases (each optional; a case whose fact is
    # not given is SKIP with the reason):
    directories = ["adir", "sub"]   # directories in the share (a get must be not_found)
    escape_symlinks = ["escape/secret.txt", "escape"]   # names through symlinks that
                                    # lead out of the share (a get must be forbidden)
    too_large = ["toolarge.bin"]    # files above max_file_size (a get must be too_large)
    [eke]
    accounts = [{user = "alice", password_file = "alice.pw"},
                {user = "bob", password_file = "bob.pw"}]
    restart_cmd = "systemctl restart my-eke"   # EKE-THR-8 (optional): same host:port
    unlock_cmd = "my-eke-admin unlock {user}"  # EKE-THR-11 (optional): lifts a hard lock
    server_log = "/var/log/my-eke.log"         # EKE-THR-3 (optional): the server's log file
    [pki]
    root = "root.pem"
    ca_key = "root.key"             # lab mode: the suite mints certificates
    ca_url = "https://127.0.0.1:8443"
    enroll = ["suite:suite.pw"]     # enrolment mode
    responder_alias = "alice"
    allow = ["suite", "carol"]      # the responder's allow list, exactly (optional)
    ca_restart_cmd = "systemctl restart my-ca"  # CA-ENR-20 (optional): same URL
    ca_log = "/var/log/my-ca.log"   # CA-ENR-5 (optional): the CA's log file
    restart_cmd = "systemctl restart my-peer"   # APP-STORE-3 (optional): same host:port
    [pki.identities]                # certificates the suite may present (e.g. one revoked)
    revoked = {cert = "revoked.pem", key = "revoked.key"}
    [files]                          # files known to be in the responder's share
    "hello.txt" = {size = 13, sha256 = "853ff9..."}
    [limits]                         # seconds / bytes / counts the target is configured with
    handshake_timeout = 10
    idle_timeout = 60
    max_file_size = 4294967296
    max_connections = 64
    max_pending_per_address = 8     # LIM-8; optional: the lock-out cases need it
    crl_refresh = 300               # PKI-CERT-7: the responder's CRL refetch interval (s)
    ca_throttle_failures = 5        # CA-ENR-7 (optional): failed logins before the CA's 429
    ca_lock_after = 100             # CA-ENR-19 (optional): the CA's hard cap per alias
    ca_throttle_cap = 300           # CA-ENR-7 (optional): the CA's backoff cap, seconds
    ca_throttle_base = 1            # CA-ENR-7 (optional): the CA's first backoff, seconds
    ca_throttle_table_entries = 24  # CA-ENR-20 (optional): entries per CA failure table
    frame_limit = 1048832
    throttle_failures = 5
    throttle_base = 1.0
    throttle_cap = 300.0
    pending_logins_per_user = 4     # EKE-THR-7 (optional): P and Q, the pending caps
    pending_logins_per_address = 8
    lock_after = 100                # EKE-THR-11 (optional): the hard cap
    throttle_table_entries = 16     # EKE-THR-9 (optional): entries per failure table
    [legacy]                         # pki-legacy: a name outside the share it serves
    traversal_name = "../secret.txt"
    traversal_size = 49
    traversal_sha256 = "..."

Password files follow docs/SPEC.md PWF-1 (`sftkit.password_file`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from sftkit.hostport import parse_hostport
from sftkit.outcomes import TargetConfigError
from sftkit.password_file import read_password_file
from sftkit.target_options import PROFILES, TargetOptions

__all__ = [
    "ALL_FEATURES",
    "PROFILES",
    "SHARE_FACTS",
    "TARGET_FILE_KEYS",
    "Account",
    "KnownFile",
    "Limits",
    "Target",
    "TargetConfigError",
    "load_target_file",
    "parse_hostport",
    "target_from_options",
]

# Optional features a target may declare; a case needing an undeclared one is UNSUPPORTED.
ALL_FEATURES = frozenset(
    {
        "get",  # serves RQFL from a share
        "put",  # accepts PUTF into an inbox
        "crl",  # checks revocation (PKI-CERT-7)
        "throttling",  # EKE-THR-1 observable with the declared limits
        "allow-list",  # PKI-ID-3
        "busy",  # LIM-4 observable with a small max_connections
    }
)
DEFAULT_FEATURES = frozenset({"get"})
# Top-level target-file keys naming facts about the share (lists of names); kept in
# `Target.extra` and written back by `Target.write_target_file`.
SHARE_FACTS = ("directories", "escape_symlinks", "too_large")


@dataclass(frozen=True)
class Account:
    """An EKE account (or a CA enrolment identity) the suite may use."""

    user: str
    password: str

    def __repr__(self) -> str:  # never print the password
        return f"Account(user={self.user!r}, password=<hidden>)"


@dataclass(frozen=True)
class KnownFile:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Limits:
    """The limits the target is configured with (SPEC §6); the spec's defaults otherwise."""

    handshake_timeout: float = 10.0
    idle_timeout: float = 60.0
    max_file_size: int = 4 * 1024**3
    max_connections: int = 64
    frame_limit: int = 1_048_832
    throttle_failures: int = 5
    throttle_base: float = 1.0
    # The longest lock (EKE-THR-6): with base and cap, the backoff law the cases expect.
    throttle_cap: float = 300.0
    # The CA's configured certificate validity (CA-ENR-10), in days.
    cert_validity_days: float = 30.0
    # LIM-8: connections still in their handshake that one source address may hold.
    # None (not declared): the lock-out cases (conformance/test_lockout.py) are SKIP.
    max_pending_per_address: int | None = None
    # EKE-THR-7: handshakes between EKE2 and EKE3 one user name (P) / one address (Q) may
    # have; beyond them EKE1 is `busy`. None: the pending-cap cases are SKIP.
    pending_logins_per_user: int | None = None
    pending_logins_per_address: int | None = None
    # EKE-THR-11: consecutive failures that lock a user name until an administrator
    # unlocks it. None: the hard-cap case is SKIP.
    lock_after: int | None = None
    # EKE-THR-9: the entries of each failure table (user names, addresses). None: the
    # eviction cases (conformance/test_eke_tables.py) are SKIP.
    throttle_table_entries: int | None = None
    # PKI-CERT-7: seconds between the responder's CRL refetches from its CA (the SPEC's
    # default). The refetch case runs only when it is short enough to wait for.
    crl_refresh: float = 300.0
    # CA-ENR-7: the failed logins the CA answers (401) before its first 429, per alias and
    # per address. None: the throttle cases go up to 12 (conformance/test_ca_throttle.py).
    ca_throttle_failures: int | None = None
    # CA-ENR-19: consecutive failed logins that lock an alias until an administrator
    # unlocks it. None: the CA hard-cap case is SKIP (it waits out backoffs on the way).
    ca_lock_after: int | None = None
    # CA-ENR-7/19: the CA's backoff cap in seconds (its longest Retry-After, also the one a
    # locked alias gets). None: the cases do not judge how long the CA makes clients wait.
    ca_throttle_cap: float | None = None
    # CA-ENR-20 (as EKE-THR-9): the entries of each of the CA's failure tables (aliases,
    # addresses). None: the CA's table-bound case is SKIP.
    ca_throttle_table_entries: int | None = None
    # CA-ENR-7: the CA's first backoff in seconds (after N failures). None: the SPEC's
    # default, 1 s, is assumed.
    ca_throttle_base: float | None = None


@dataclass(frozen=True)
class Target:
    """One implementation under test, for one profile."""

    profile: str
    host: str
    port: int
    embedded: bool = False
    features: frozenset[str] = DEFAULT_FEATURES
    limits: Limits = field(default_factory=Limits)
    files: tuple[KnownFile, ...] = ()
    # sft-eke: accounts[0] is the main one; a second enables throttling tests.
    accounts: tuple[Account, ...] = ()
    # sft-pki
    root: Path | None = None
    ca_key: Path | None = None
    ca_url: str | None = None
    enroll: tuple[Account, ...] = ()
    responder_alias: str | None = None
    # The responder's allow list (PKI-ID-3), exactly, when the target declares it: every
    # alias on it and no other (None: not declared; the cases needing it SKIP).
    allow: tuple[str, ...] | None = None
    # How to administer the CA (CA-ENR-11): command templates run without a shell;
    # `{alias}` is replaced, the add command reads the new user's password on stdin.
    ca_user_add_cmd: str | None = None
    ca_revoke_cmd: str | None = None
    # CA-ENR-19: the command (no shell; `{alias}` replaced) that unlocks a hard-locked alias.
    ca_unlock_cmd: str | None = None
    # EKE-THR-11: the command (no shell; `{user}` replaced) that unlocks a hard-locked user
    # name of the sft-eke server, run while it serves (`[eke] unlock_cmd`).
    eke_unlock_cmd: str | None = None
    # EKE-THR-3: the file the sft-eke server writes its log to (`[eke] server_log`), read
    # by test_eke_server_log_secrets.py after logins it makes (None: not declared, SKIP).
    eke_server_log: Path | None = None
    # A command (no shell; split like a command line) that restarts the server on the same
    # host:port: sft-eke's for EKE-THR-8 (failure counts survive a restart), sft-pki's
    # responder's for APP-STORE-3 (its start-up sweep of the inbox); `[eke]`/`[pki]`
    # `restart_cmd` in a target file, read for the file's profile.
    restart_cmd: str | None = None
    # sft-pki: a command (no shell) that restarts the CA on the same URL, for CA-ENR-20
    # (its failure counts and running backoffs survive a restart).
    ca_restart_cmd: str | None = None
    # CA-ENR-5: the file the CA writes its log to (`[pki] ca_log`), read by
    # test_ca_log_no_password.py after logins it makes (None: not declared, SKIP).
    ca_log: Path | None = None
    # Identities the suite already holds (embedded: enrolled through the reference CA):
    # alias -> (certificate PEM path, key PEM path).
    identities: dict[str, tuple[Path, Path]] = field(default_factory=dict)
    # Where the embedded reference keeps its share and inbox (None for external targets).
    # The share is also a target-file key (`share`): a responder on the suite's own host
    # may declare it, and the suite then writes beside its files (APP-NAME-5's race).
    share: Path | None = None
    # The inbox is also a target-file key (`inbox`): a responder on the suite's own host
    # may declare it, and the put cases then inspect it (APP-STORE-1/2/3).
    inbox: Path | None = None
    # For testing an initiator: a command template with {host} {port} {name} {out}.
    client_cmd: str | None = None
    # An interactive initiator: what to type at its prompts (a template, see
    # sftkit.target_options.client_launch) and when a run succeeded ("exit" | "file").
    client_stdin: str | None = None
    client_success: str = "exit"
    # For testing an initiator as a SENDER: a put command template with the client_cmd
    # placeholders but {file} (the local file to send) and {name} (the name to put it
    # as) instead of {out}; client_stdin is typed at it too; success is its exit code.
    client_put_cmd: str | None = None
    # For testing an initiator's revocation checks (pki, PKI-CERT-11/12): a get command
    # template with the client_cmd placeholders plus {crl}, the path of a CRL file (DER)
    # the initiator must use instead of fetching its CRL from the CA; client_stdin and
    # client_success apply to it as to client_cmd.
    client_crl_cmd: str | None = None
    # For testing an ENROLMENT client (docs/SPEC.md §4.4, CA-ENR-12/18, PKI-TLS-1/4, PWF-1):
    # a command template with {ca_url} {root} {alias} {password_file} {out} ({out}: an
    # identity directory the command creates); success is its exit code.
    enroll_cmd: str | None = None
    strict: bool = False
    # Free-form extra configuration from the target file.
    extra: dict[str, Any] = field(default_factory=dict)
    # The server's process id when the suite started it (fuzz/ reads /proc with it).
    pid: int | None = None
    stopper: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def stop(self) -> None:
        """Stop what the suite started for this target (nothing for an external one)."""
        if self.stopper is not None:
            self.stopper()

    @property
    def root_pem(self) -> Path | None:
        return self.root

    @property
    def ca_key_pem(self) -> Path | None:
        return self.ca_key

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def lab_mode(self) -> bool:
        """The suite holds the CA key and can mint any certificate, good or bad."""
        return self.ca_key is not None

    def has(self, feature: str) -> bool:
        return feature in self.features

    def file(self, predicate_name: str | None = None) -> KnownFile | None:
        for known in self.files:
            if predicate_name is None or known.name == predicate_name:
                return known
        return None

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description for the report (no secrets)."""
        return {
            "profile": self.profile,
            "address": f"{self.host}:{self.port}",
            "embedded": self.embedded,
            "features": sorted(self.features),
            "limits": self.limits.__dict__,
            "accounts": [a.user for a in self.accounts],
            "lab_mode": self.lab_mode,
            "ca_url": self.ca_url,
            "responder_alias": self.responder_alias,
            "client_cmd": self.client_cmd,
            "client_put_cmd": self.client_put_cmd,
            "client_crl_cmd": self.client_crl_cmd,
            "enroll_cmd": self.enroll_cmd,
        }

    def write_target_file(self, directory: Path) -> Path:
        """A target file (and password files, mode 0600) describing this target.

        How the self-tests hand the embedded reference to a separate pytest run, and
        a template for describing your own implementation.
        """
        directory.mkdir(parents=True, exist_ok=True)

        def secret_file(name: str, value: str) -> str:
            path = directory / f"{name}.password"
            path.touch(mode=0o600)
            path.write_text(value, encoding="utf-8")
            return path.name

        lines = [
            f'profile = "{self.profile}"',
            f'target = "{self.host}:{self.port}"',
            "features = [" + ", ".join(f'"{f}"' for f in sorted(self.features)) + "]",
        ]
        if self.client_cmd:
            lines.append(f"client_cmd = {_toml_str(self.client_cmd)}")
        if self.client_put_cmd:
            lines.append(f"client_put_cmd = {_toml_str(self.client_put_cmd)}")
        if self.client_crl_cmd:
            lines.append(f"client_crl_cmd = {_toml_str(self.client_crl_cmd)}")
        if self.enroll_cmd:
            lines.append(f"enroll_cmd = {_toml_str(self.enroll_cmd)}")
        if self.inbox is not None:
            lines.append(f"inbox = {_toml_str(str(self.inbox))}")
        if self.share is not None:
            lines.append(f"share = {_toml_str(str(self.share))}")
        for key in SHARE_FACTS:
            if key in self.extra:
                names = ", ".join(_toml_str(str(n)) for n in self.extra[key])
                lines.append(f"{key} = [{names}]")
        if self.accounts:
            accounts = ", ".join(
                f"{{user = {_toml_str(a.user)}, "
                f'password_file = "{secret_file("eke-" + a.user, a.password)}"}}'
                for a in self.accounts
            )
            lines += ["", "[eke]", f"accounts = [{accounts}]"]
            if self.restart_cmd and self.profile != "pki":
                lines.append(f"restart_cmd = {_toml_str(self.restart_cmd)}")
            if self.eke_unlock_cmd:
                lines.append(f"unlock_cmd = {_toml_str(self.eke_unlock_cmd)}")
            if self.eke_server_log is not None:
                lines.append(f"server_log = {_toml_str(str(self.eke_server_log))}")
        pki = []
        if self.root is not None:
            pki.append(f"root = {_toml_str(str(self.root))}")
        if self.ca_key is not None:
            pki.append(f"ca_key = {_toml_str(str(self.ca_key))}")
        if self.ca_url:
            pki.append(f"ca_url = {_toml_str(self.ca_url)}")
        if self.responder_alias:
            pki.append(f"responder_alias = {_toml_str(self.responder_alias)}")
        if self.allow is not None:
            pki.append(f"allow = [{', '.join(_toml_str(a) for a in self.allow)}]")
        if self.restart_cmd and self.profile == "pki":
            pki.append(f"restart_cmd = {_toml_str(self.restart_cmd)}")
        for key, command in (
            ("ca_user_add_cmd", self.ca_user_add_cmd),
            ("ca_revoke_cmd", self.ca_revoke_cmd),
            ("ca_unlock_cmd", self.ca_unlock_cmd),
            ("ca_restart_cmd", self.ca_restart_cmd),
        ):
            if command:
                pki.append(f"{key} = {_toml_str(command)}")
        if self.ca_log is not None:
            pki.append(f"ca_log = {_toml_str(str(self.ca_log))}")
        if self.enroll:
            enrolees = ", ".join(
                f"{{user = {_toml_str(a.user)}, "
                f'password_file = "{secret_file("pki-enroll-" + a.user, a.password)}"}}'
                for a in self.enroll
            )
            pki.append(f"enroll = [{enrolees}]")
        if pki or self.identities:
            lines += ["", "[pki]", *pki]
        if self.identities:
            lines += ["", "[pki.identities]"]
            lines += [
                f"{_toml_str(alias)} = {{cert = {_toml_str(str(cert))}, "
                f"key = {_toml_str(str(key))}}}"
                for alias, (cert, key) in sorted(self.identities.items())
            ]
        if self.files:
            lines += ["", "[files]"]
            lines += [
                f'{_toml_str(f.name)} = {{size = {f.size}, sha256 = "{f.sha256}"}}'
                for f in self.files
            ]
        lines += ["", "[limits]"]
        lines += [f"{k} = {v!r}" for k, v in self.limits.__dict__.items() if v is not None]
        path = directory / "target.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def with_changes(self, **changes: Any) -> Target:
        return replace(self, **changes)


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _account(spec: str | dict[str, Any], base: Path) -> Account:
    if isinstance(spec, str):
        user, sep, pwfile = spec.partition(":")
        if not sep:
            raise TargetConfigError(f"expected USER:PASSWORDFILE, got {spec!r}")
        return Account(user, read_password_file(base / pwfile))
    name = spec.get("user")
    path = spec.get("password_file")
    if not isinstance(name, str) or not isinstance(path, str):
        raise TargetConfigError("an account needs 'user' and 'password_file'")
    return Account(name, read_password_file(base / path))


# Every key a target file may hold, by the table it belongs in ("" is the top level).
# A new target-file key is added here (and read in load_target_file, written in
# Target.write_target_file, documented in conformance/README.md).
TARGET_FILE_KEYS: Mapping[str, frozenset[str]] = {
    "": frozenset(
        {
            "profile",
            "target",
            "features",
            "client_cmd",
            "client_stdin",
            "client_success",
            "client_put_cmd",
            "client_crl_cmd",
            "enroll_cmd",
            "inbox",
            "share",
            *SHARE_FACTS,
            "eke",
            "pki",
            "files",
            "limits",
            "legacy",
        }
    ),
    "eke": frozenset({"accounts", "restart_cmd", "unlock_cmd", "server_log"}),
    "pki": frozenset(
        {
            "root",
            "ca_key",
            "ca_url",
            "enroll",
            "responder_alias",
            "allow",
            "identities",
            "ca_user_add_cmd",
            "ca_revoke_cmd",
            "ca_unlock_cmd",
            "ca_restart_cmd",
            "ca_log",
            "restart_cmd",
        }
    ),
    "limits": frozenset(f.name for f in fields(Limits)),
    "legacy": frozenset({"traversal_name", "traversal_size", "traversal_sha256"}),
}
_TABLE_ENTRY_KEYS = {
    "files": frozenset({"size", "sha256"}),
    "pki.identities": frozenset({"cert", "key"}),
    "accounts": frozenset({"user", "password_file"}),
}


def _where(table: str) -> str:
    return "the top level" if not table else f"[{table}]"


def _check_keys(table: str, data: Mapping[str, Any], path: Path) -> None:
    """Unknown keys are errors naming the key and, if it belongs elsewhere, where."""
    allowed = TARGET_FILE_KEYS.get(table, _TABLE_ENTRY_KEYS.get(table, frozenset()))
    for key in data:
        if key in allowed:
            continue
        homes = [_where(t) for t, keys in TARGET_FILE_KEYS.items() if key in keys]
        hint = (
            f"it belongs in {' or '.join(homes)}"
            if homes
            else "no such key (conformance/README.md lists them)"
        )
        raise TargetConfigError(f"{path}: unknown key {key!r} in {_where(table)}: {hint}")


def _table(data: Mapping[str, Any], key: str, path: Path) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise TargetConfigError(f"{path}: {key} must be a table ([{key}])")
    return value


def load_target_file(path: Path) -> dict[str, Any]:
    """Parse a target file into keyword arguments for `Target`.

    Raises TargetConfigError for an unreadable file, an unknown key (naming where it
    belongs), a value of the wrong kind or an unreadable password file.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TargetConfigError(f"cannot read target file {path}: {exc}") from exc
    base = path.parent
    _check_keys("", data, path)
    eke, pki = _table(data, "eke", path), _table(data, "pki", path)
    files, limits = _table(data, "files", path), _table(data, "limits", path)
    legacy = _table(data, "legacy", path)
    for table, values in (("eke", eke), ("pki", pki), ("limits", limits), ("legacy", legacy)):
        _check_keys(table, values, path)
    out: dict[str, Any] = {}
    if "target" in data:
        out["host"], out["port"] = parse_hostport(str(data["target"]), option=f"{path}: target")
    if "profile" in data:
        if data["profile"] not in PROFILES:
            raise TargetConfigError(
                f"{path}: profile must be one of {', '.join(PROFILES)}, got {data['profile']!r}"
            )
        out["profile"] = str(data["profile"])
    if "features" in data:
        out["features"] = frozenset(str(f) for f in data["features"])
    for spec in eke.get("accounts", []) + pki.get("enroll", []):
        if isinstance(spec, dict):
            _check_keys("accounts", spec, path)
    # One restart command per target file: the eke server's, or the pki responder's.
    pki_file = out.get("profile") == "pki" or ("profile" not in out and "restart_cmd" not in eke)
    restarted = pki if pki_file else eke
    if "restart_cmd" in restarted:
        out["restart_cmd"] = str(restarted["restart_cmd"])
    if "accounts" in eke:
        out["accounts"] = tuple(_account(a, base) for a in eke["accounts"])
    if "unlock_cmd" in eke:
        out["eke_unlock_cmd"] = str(eke["unlock_cmd"])
    if "server_log" in eke:
        out["eke_server_log"] = base / str(eke["server_log"])
    for key in ("root", "ca_key"):
        if key in pki:
            out[key] = base / str(pki[key])
    if "ca_url" in pki:
        out["ca_url"] = str(pki["ca_url"])
    if "enroll" in pki:
        out["enroll"] = tuple(_account(a, base) for a in pki["enroll"])
    if "responder_alias" in pki:
        out["responder_alias"] = str(pki["responder_alias"])
    if "allow" in pki:
        if not isinstance(pki["allow"], list):
            raise TargetConfigError(f"{path}: [pki] allow must be a list of aliases")
        out["allow"] = tuple(str(a) for a in pki["allow"])
    for key in ("ca_user_add_cmd", "ca_revoke_cmd", "ca_unlock_cmd", "ca_restart_cmd"):
        if key in pki:
            out[key] = str(pki[key])
    if "ca_log" in pki:
        out["ca_log"] = base / str(pki["ca_log"])
    identities = _table(pki, "identities", path)
    for value in identities.values():
        if not isinstance(value, dict):
            raise TargetConfigError(f"{path}: [pki.identities] entries are {{cert, key}}")
        _check_keys("pki.identities", value, path)
    if identities:
        out["identities"] = {
            str(alias): (base / str(v["cert"]), base / str(v["key"]))
            for alias, v in identities.items()
        }
    out_files = []
    for name, meta in files.items():
        if not isinstance(meta, dict):
            raise TargetConfigError(f"{path}: [files] entries are {{size, sha256}}")
        _check_keys("files", meta, path)
        out_files.append(KnownFile(name, int(meta["size"]), str(meta["sha256"])))
    if out_files:
        out["files"] = tuple(out_files)
    if limits:
        out["limits"] = Limits(**limits)
    if "client_cmd" in data:
        out["client_cmd"] = str(data["client_cmd"])
    for key in (
        "client_stdin",
        "client_success",
        "client_put_cmd",
        "client_crl_cmd",
        "enroll_cmd",
    ):
        if key in data:
            out[key] = str(data[key])
    if "inbox" in data:
        out["inbox"] = base / str(data["inbox"])
    if "share" in data:
        out["share"] = base / str(data["share"])
    for key in SHARE_FACTS:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
            raise TargetConfigError(f"{key} must be a list of names in the share")
    extra_keys = (*SHARE_FACTS, "legacy")
    out["extra"] = {k: data[k] for k in extra_keys if k in data}
    return out


def target_from_options(options: TargetOptions, *, strict: bool = False) -> Target | None:
    """The target the options (and their target file) describe, or None when they name
    none (the tool then starts the embedded reference). Every entry point builds its
    target here, so an option means the same everywhere."""
    kwargs: dict[str, Any] = {}
    if options.target_config:
        kwargs.update(load_target_file(Path(options.target_config)))
    if options.target:
        kwargs["host"], kwargs["port"] = parse_hostport(options.target)
    if "host" not in kwargs:
        if options.target_config:
            raise TargetConfigError(
                f"target file {options.target_config} has no 'target' and no --target is given"
            )
        return None
    if options.profile:
        kwargs["profile"] = options.profile
    if "profile" not in kwargs:
        raise TargetConfigError(f"--target needs --profile {'|'.join(PROFILES)}")
    if options.user:
        kwargs["accounts"] = tuple(
            Account(user, read_password_file(pwfile))
            for user, pwfile in zip(options.user, options.password_file, strict=True)
        )
    if options.root:
        kwargs["root"] = Path(options.root)
    if options.ca_key:
        kwargs["ca_key"] = Path(options.ca_key)
    if options.ca_url:
        kwargs["ca_url"] = options.ca_url
    if options.enroll:
        kwargs["enroll"] = tuple(
            Account(alias, read_password_file(pwfile))
            for alias, _, pwfile in (spec.partition(":") for spec in options.enroll)
        )
    if options.features:
        kwargs["features"] = frozenset(f.strip() for f in options.features.split(",") if f.strip())
    if options.client_cmd:
        kwargs["client_cmd"] = options.client_cmd
    if options.client_stdin:
        kwargs["client_stdin"] = options.client_stdin
    if options.client_success:
        kwargs["client_success"] = options.client_success
    if options.client_put_cmd:
        kwargs["client_put_cmd"] = options.client_put_cmd
    if options.client_cert and options.client_key:
        # The identity the fuzzer and the capture part present (fuzz/runner.py).
        kwargs["identities"] = {
            **kwargs.get("identities", {}),
            "fuzzer": (Path(options.client_cert), Path(options.client_key)),
        }
    kwargs["strict"] = strict
    return Target(**kwargs)
