"""The target options, said once: `--target HOST:PORT --profile ...` and their siblings.

`pytest conformance`, `pytest fuzz`, `pytest conformance/legacy`, `python -m fuzz` and
`sft audit` all take the same options with the same meaning. They are declared here in
one table (`TARGET_OPTIONS`) and registered through `register_target_options`, which
takes the `add` method of an argparse parser (or group) or of a pytest option group:
both accept the same keywords. For pytest they are registered once, by
`sftkit.pytest_plugin` (loaded by the repository's root conftest.py), whichever test
directories a run collects.

`TargetOptions` holds the parsed values; `conformance.target.target_from_options` turns
them into a `Target`; `TargetOptions.to_argv` gives them back as arguments, which is how
`sft audit` hands the same target to each of its parts.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sftkit.hostport import parse_hostport
from sftkit.outcomes import TargetConfigError

__all__ = [
    "PROFILES",
    "V1_PROFILES",
    "TargetOption",
    "TARGET_OPTIONS",
    "TargetOptions",
    "register_target_options",
    "CLIENT_SUCCESS_RULES",
    "ClientLaunch",
    "client_launch",
]

PROFILES = ("pki", "eke", "pki-legacy", "eke-legacy")
V1_PROFILES = ("pki", "eke")
CLIENT_SUCCESS_RULES = ("exit", "file")


@dataclass(frozen=True)
class TargetOption:
    """One target option: its flag, what it holds, and whether it may be repeated."""

    flag: str
    help: str
    metavar: str | None = None
    repeatable: bool = False
    choices: tuple[str, ...] | None = None

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")

    def keywords(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dest": self.dest, "help": self.help}
        if self.repeatable:
            out.update(action="append", default=[])
        else:
            out["default"] = None
        if self.metavar:
            out["metavar"] = self.metavar
        if self.choices:
            out["choices"] = list(self.choices)
        return out


TARGET_OPTIONS: tuple[TargetOption, ...] = (
    TargetOption("--target", "implementation under test (default: the embedded reference, "
                 "started by the tool)", "HOST:PORT"),
    TargetOption("--profile", "profile of the target; without --target, run only that "
                 "embedded profile", choices=PROFILES),
    TargetOption("--target-config", "a target file (TOML) describing the target; its "
                 "profile is used when --profile is not given", "TARGET.toml"),
    TargetOption("--root", "pki: the organisation root certificate", "ROOT.pem"),
    TargetOption("--ca-key", "pki lab mode: the root's key (the kit mints good and bad "
                 "certificates)", "KEY.pem"),
    TargetOption("--ca-url", "pki enrolment mode: the CA (https://HOST:PORT)", "URL"),
    TargetOption("--enroll", "pki enrolment mode: an identity the kit may enrol "
                 "(repeatable)", "ALIAS:PASSWORDFILE", repeatable=True),
    TargetOption("--client-cert", "pki: a certificate the target accepts (fuzz and capture "
                 "speak inside its TLS channel with it)", "CERT.pem"),
    TargetOption("--client-key", "pki: the key of --client-cert", "KEY.pem"),
    TargetOption("--user", "eke: account name (repeat for a second account: enables the "
                 "throttling cases)", "USER", repeatable=True),
    TargetOption("--password-file", "eke: the password of the matching --user, in a file "
                 "(docs/SPEC.md PWF-1; never on the command line)", "FILE", repeatable=True),
    TargetOption("--features", "comma-separated optional features of the target "
                 "(get, put, crl, throttling, allow-list, busy)", "LIST"),
    TargetOption("--client-cmd", "initiator under test: a command template with {host} "
                 "{port} {name} {out} (and {user} {password_file} for eke)", "TEMPLATE"),
    TargetOption("--client-stdin", "interactive initiator: what to type at its prompts, a "
                 "template with the --client-cmd placeholders and {password} (read from the "
                 "password file); \\n ends a line", "TEMPLATE"),
    TargetOption("--client-success", "when a --client-cmd run succeeded: its exit code is 0 "
                 "(exit, the default) or the {out} file exists (file)",
                 choices=CLIENT_SUCCESS_RULES),
    TargetOption("--client-put-cmd", "initiator under test as a sender: a put command "
                 "template with {host} {port} {file} (the local file) {name} (the name to "
                 "put it as), and {alias} for pki, {user} {password_file} for eke",
                 "TEMPLATE"),
)


def register_target_options(add: Callable[..., Any]) -> None:
    """Register every target option with `add` (argparse's or pytest's `addoption`)."""
    for option in TARGET_OPTIONS:
        add(option.flag, **option.keywords())


@dataclass(frozen=True)
class TargetOptions:
    """The target options' values, as given (files are read when the target is built)."""

    target: str | None = None
    profile: str | None = None
    target_config: str | None = None
    root: str | None = None
    ca_key: str | None = None
    ca_url: str | None = None
    enroll: tuple[str, ...] = ()
    client_cert: str | None = None
    client_key: str | None = None
    user: tuple[str, ...] = ()
    password_file: tuple[str, ...] = ()
    features: str | None = None
    client_cmd: str | None = None
    client_stdin: str | None = None
    client_success: str | None = None
    client_put_cmd: str | None = None

    def __post_init__(self) -> None:
        if self.target is not None:
            parse_hostport(self.target)
        if self.profile is not None and self.profile not in PROFILES:
            raise TargetConfigError(
                f"--profile must be one of {', '.join(PROFILES)}, got {self.profile!r}"
            )
        if len(self.user) != len(self.password_file):
            raise TargetConfigError("give one --password-file for each --user")
        if bool(self.client_cert) != bool(self.client_key):
            raise TargetConfigError("--client-cert and --client-key go together")
        for spec in self.enroll:
            if ":" not in spec:
                raise TargetConfigError(f"--enroll takes ALIAS:PASSWORDFILE, got {spec!r}")
        if self.client_success is not None and self.client_success not in CLIENT_SUCCESS_RULES:
            raise TargetConfigError(
                f"--client-success must be one of {', '.join(CLIENT_SUCCESS_RULES)}, "
                f"got {self.client_success!r}"
            )
        if (self.client_stdin or self.client_success) and not (
            self.client_cmd or self.client_put_cmd
        ):
            raise TargetConfigError("--client-stdin and --client-success go with --client-cmd")

    @classmethod
    def from_values(cls, values: Any) -> TargetOptions:
        """From an argparse `Namespace` or pytest's `config.option` (same dest names)."""
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            value = getattr(values, f.name, None)
            if isinstance(value, list | tuple):
                kwargs[f.name] = tuple(str(v) for v in value)
            elif value is not None:
                kwargs[f.name] = str(value)
        return cls(**kwargs)

    @property
    def external(self) -> bool:
        """A target the user runs (else the tool starts the embedded reference)."""
        return bool(self.target or self.target_config)

    def to_argv(self, *, only: Sequence[str] | None = None) -> list[str]:
        """The options as command-line arguments (for a part of `sft audit`).

        `only` keeps the named flags (e.g. what `python -m fuzz campaign` takes).
        """
        argv: list[str] = []
        for option in TARGET_OPTIONS:
            if only is not None and option.flag not in only:
                continue
            value = getattr(self, option.dest)
            values = value if isinstance(value, tuple) else (value,)
            for one in values:
                if one is not None and one != "":
                    argv += [option.flag, str(one)]
        return argv

    def file_profile(self) -> str | None:
        """The profile the target file declares (None without a file or a profile)."""
        if not self.target_config:
            return None
        path = Path(self.target_config)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise TargetConfigError(f"cannot read target file {path}: {exc}") from None
        profile = data.get("profile")
        if profile is not None and profile not in PROFILES:
            raise TargetConfigError(
                f"{path}: profile must be one of {', '.join(PROFILES)}, got {profile!r}"
            )
        return str(profile) if profile is not None else None

    def chosen_profile(self) -> str | None:
        """--profile, else the target file's profile [every entry point the same way]."""
        return self.profile or self.file_profile()


# --- launching an initiator under test (--client-cmd, --client-stdin, --client-success)


@dataclass(frozen=True)
class ClientLaunch:
    """One run of the initiator under test: its argv, what it is typed, and how to tell
    that it succeeded. Built once here so that every case launching a client, the
    capture part and the legacy cases expand the templates the same way."""

    argv: tuple[str, ...]
    stdin: bytes | None = None
    success: str = "exit"
    out: Path | None = None

    def succeeded(self, returncode: int) -> bool:
        """The run's success by the declared rule: exit code 0, or the {out} file there
        (an interactive seed's client may exit 1 after saving the file, or never exit
        cleanly at all)."""
        if self.success == "file":
            return self.out is not None and self.out.is_file()
        return returncode == 0

    def describe(self) -> str:
        typed = "" if self.stdin is None else f" (stdin: {len(self.stdin)} bytes typed)"
        return " ".join(self.argv) + typed


def _unescape(template: str) -> str:
    """`\\n` and `\\t` in a stdin template (as typed on a shell command line)."""
    return template.replace("\\n", "\n").replace("\\t", "\t")


def client_launch(
    template: str | Sequence[str],
    values: dict[str, str],
    *,
    stdin_template: str | None = None,
    success: str | None = None,
    password: str | None = None,
) -> ClientLaunch:
    """Expand a client command template (a string, split like a shell, or an argv) and
    its stdin template with `values` ({host} {port} {name} {out} {user} {password_file}
    {alias} {key} {cert} ...; a placeholder the values lack is an error naming it).

    `{password}` is offered to the stdin template only (never to the argv: a password
    on a command line is visible to every user of the machine, PWF-1); when `password`
    is None it is read from values["password_file"]."""
    import shlex

    parts = shlex.split(template) if isinstance(template, str) else list(template)
    try:
        argv = tuple(part.format(**values) for part in parts)
        typed: bytes | None = None
        if stdin_template is not None:
            stdin_values = dict(values)
            if "{password}" in stdin_template:
                if password is None and values.get("password_file"):
                    from sftkit.password_file import read_password_file

                    password = read_password_file(values["password_file"])
                if password is None:
                    raise TargetConfigError("--client-stdin uses {password}: no password known")
                stdin_values["password"] = password
            typed = _unescape(stdin_template).format(**stdin_values).encode()
    except KeyError as exc:
        raise TargetConfigError(
            f"client template placeholder {{{exc.args[0]}}} is not known here "
            f"(known: {', '.join('{' + k + '}' for k in sorted(values))})"
        ) from None
    rule = success or "exit"
    if rule not in CLIENT_SUCCESS_RULES:
        raise TargetConfigError(f"--client-success must be exit or file, got {rule!r}")
    out = Path(values["out"]) if values.get("out") else None
    return ClientLaunch(argv, typed, rule, out)
