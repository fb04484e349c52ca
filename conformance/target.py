"""What the suite knows about the implementation under test: one `Target` per profile.

A target comes from the command line (`--target HOST:PORT --profile ...`), from a target
file (`--target-config target.toml`), or from the embedded reference that the suite starts
itself. Tests read it; they never guess: a feature the target does not declare makes the
test UNSUPPORTED, a value it does not give (a known file, a second account) makes it SKIP.

Target file (TOML; every key optional except host/port/profile):

    profile = "eke"                 # pki | eke | pki-legacy | eke-legacy
    target = "127.0.0.1:9000"
    features = ["get", "put", "throttling"]
    [eke]
    accounts = [{user = "alice", password_file = "alice.pw"},
                {user = "bob", password_file = "bob.pw"}]
    [pki]
    root = "root.pem"
    ca_key = "root.key"             # lab mode: the suite mints certificates
    ca_url = "https://127.0.0.1:8443"
    enroll = ["suite:suite.pw"]     # enrolment mode
    responder_alias = "alice"
    [pki.identities]                # certificates the suite may present (e.g. one revoked)
    revoked = {cert = "revoked.pem", key = "revoked.key"}
    # facts about the share that enable more cases (each optional; a case whose fact is
    # not given is SKIP with the reason):
    directories = ["adir", "sub"]   # directories in the share (a get must be not_found)
    escape_symlinks = ["escape/secret.txt", "escape"]   # names through symlinks that
                                    # lead out of the share (a get must be forbidden)
    too_large = ["toolarge.bin"]    # files above max_file_size (a get must be too_large)
    [files]                          # files known to be in the responder's share
    "hello.txt" = {size = 13, sha256 = "853ff9..."}
    [limits]                         # seconds / bytes / counts the target is configured with
    handshake_timeout = 10
    idle_timeout = 60
    max_file_size = 4294967296
    max_connections = 64
    frame_limit = 1048832
    throttle_failures = 5
    throttle_base = 1.0
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = [
    "ALL_FEATURES",
    "PROFILES",
    "SHARE_FACTS",
    "Account",
    "KnownFile",
    "Limits",
    "Target",
    "TargetConfigError",
    "load_target_file",
    "parse_hostport",
]

PROFILES = ("pki", "eke", "pki-legacy", "eke-legacy")

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


class TargetConfigError(Exception):
    """The options or target file do not describe a usable target (one line for the user)."""


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
    # Identities the suite already holds (embedded: enrolled through the reference CA):
    # alias -> (certificate PEM path, key PEM path).
    identities: dict[str, tuple[Path, Path]] = field(default_factory=dict)
    # Where the embedded reference keeps its share and inbox (None for external targets).
    share: Path | None = None
    inbox: Path | None = None
    # For testing an initiator: a command template with {host} {port} {name} {out}.
    client_cmd: str | None = None
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
        for key in SHARE_FACTS:
            if key in self.extra:
                names = ", ".join(_toml_str(str(n)) for n in self.extra[key])
                lines.append(f"{key} = [{names}]")
        if self.accounts:
            accounts = ", ".join(
                f'{{user = {_toml_str(a.user)}, '
                f'password_file = "{secret_file("eke-" + a.user, a.password)}"}}'
                for a in self.accounts
            )
            lines += ["", "[eke]", f"accounts = [{accounts}]"]
        pki = []
        if self.root is not None:
            pki.append(f"root = {_toml_str(str(self.root))}")
        if self.ca_key is not None:
            pki.append(f"ca_key = {_toml_str(str(self.ca_key))}")
        if self.ca_url:
            pki.append(f"ca_url = {_toml_str(self.ca_url)}")
        if self.responder_alias:
            pki.append(f"responder_alias = {_toml_str(self.responder_alias)}")
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
            lines += [f"{_toml_str(f.name)} = {{size = {f.size}, sha256 = \"{f.sha256}\"}}"
                      for f in self.files]
        lines += ["", "[limits]"]
        lines += [f"{k} = {v!r}" for k, v in self.limits.__dict__.items()]
        path = directory / "target.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def with_changes(self, **changes: Any) -> Target:
        return replace(self, **changes)


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_hostport(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise TargetConfigError(f"--target must be HOST:PORT, got {value!r}")
    return host.strip("[]"), int(port)


def _read_secret(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TargetConfigError(f"cannot read password file {path}: {exc.strerror}") from exc
    # A trailing newline is how editors save files; the password itself is kept as is.
    return text[:-1] if text.endswith("\n") else text


def _account(spec: str | dict[str, Any], base: Path) -> Account:
    if isinstance(spec, str):
        user, sep, pwfile = spec.partition(":")
        if not sep:
            raise TargetConfigError(f"expected USER:PASSWORDFILE, got {spec!r}")
        return Account(user, _read_secret(base / pwfile))
    name = spec.get("user")
    path = spec.get("password_file")
    if not isinstance(name, str) or not isinstance(path, str):
        raise TargetConfigError("an account needs 'user' and 'password_file'")
    return Account(name, _read_secret(base / path))


def load_target_file(path: Path) -> dict[str, Any]:
    """Parse a target file into keyword arguments for `Target` (plus 'target')."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TargetConfigError(f"cannot read target file {path}: {exc}") from exc
    base = path.parent
    out: dict[str, Any] = {}
    if "target" in data:
        out["host"], out["port"] = parse_hostport(str(data["target"]))
    if "profile" in data:
        out["profile"] = str(data["profile"])
    if "features" in data:
        out["features"] = frozenset(str(f) for f in data["features"])
    eke = data.get("eke", {})
    if "accounts" in eke:
        out["accounts"] = tuple(_account(a, base) for a in eke["accounts"])
    pki = data.get("pki", {})
    for key in ("root", "ca_key"):
        if key in pki:
            out[key] = base / str(pki[key])
    if "ca_url" in pki:
        out["ca_url"] = str(pki["ca_url"])
    if "enroll" in pki:
        out["enroll"] = tuple(_account(a, base) for a in pki["enroll"])
    if "responder_alias" in pki:
        out["responder_alias"] = str(pki["responder_alias"])
    identities = pki.get("identities", {})
    if identities:
        out["identities"] = {
            str(alias): (base / str(v["cert"]), base / str(v["key"]))
            for alias, v in identities.items()
        }
    files = data.get("files", {})
    out_files = []
    for name, meta in files.items():
        out_files.append(KnownFile(name, int(meta["size"]), str(meta["sha256"])))
    if out_files:
        out["files"] = tuple(out_files)
    if "limits" in data:
        try:
            out["limits"] = Limits(**data["limits"])
        except TypeError as exc:
            raise TargetConfigError(f"unknown key in [limits]: {exc}") from exc
    if "client_cmd" in data:
        out["client_cmd"] = str(data["client_cmd"])
    for key in SHARE_FACTS:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
            raise TargetConfigError(f"{key} must be a list of names in the share")
    known = {"target", "profile", "features", "eke", "pki", "files", "limits", "client_cmd"}
    out["extra"] = {k: v for k, v in data.items() if k not in known}
    return out
