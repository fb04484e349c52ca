"""Fixtures of the legacy profiles: which target, and identities the suite holds.

The profile and target come from the kit's target options (`--profile`, `--target`,
`--target-config`, `--root`, `--ca-url`, `--ca-key`, `--enroll`, `--user`,
`--password-file`; sftkit.target_options, registered once for every suite); a target
file's profile is used when `--profile` is not given. Environment fallbacks:
SFT_PROFILE, SFT_TARGET.

Legacy tests are skipped unless the profile is `pki-legacy` or `eke-legacy`; with no
`--target` the suite starts the embedded legacy reference (conformance.legacy.embedded).

Under a legacy profile the flaw cases are expected to FAIL (expected-flaws.toml, unless
`--expectations` gives another file), and the cases of the other profiles (the v1 ones
have no target here) are deselected.
"""

from __future__ import annotations

import datetime
import os
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0, stream
from conformance.legacy.embedded import (
    KnownContent,
    LegacyEkeTarget,
    LegacyPkiTarget,
    start_eke_legacy,
    start_pki_legacy,
)
from sftkit.hostport import parse_hostport
from sftkit.outcomes import TargetConfigError
from sftkit.password_file import read_password_file
from sftkit.target_options import TargetOptions

LEGACY_PROFILES = ("pki-legacy", "eke-legacy")
EXPECTED_FLAWS = Path(__file__).resolve().parent / "expected-flaws.toml"


def pytest_addoption(parser: pytest.Parser) -> None:
    # The target options (--target, --profile, --target-config, ...) are the kit's,
    # registered once by sftkit.pytest_plugin; this one is the legacy suite's own.
    group = parser.getgroup("sft-legacy", "sft legacy profiles")
    group.addoption(
        "--connect-retry",
        default=None,
        help="SECONDS a refused connection is retried before the target counts as down "
        f"(default {stream.DEFAULT_CONNECT_RETRY:g})",
    )


def _option(config: pytest.Config, name: str) -> Any:
    return config.getoption(name)


def legacy_profile(config: pytest.Config) -> str | None:
    """--profile, else the target file's profile (as every entry point), else SFT_PROFILE."""
    try:
        value = TargetOptions.from_values(config.option).chosen_profile()
    except TargetConfigError as exc:
        raise pytest.UsageError(str(exc)) from exc
    value = value or os.environ.get("SFT_PROFILE")
    return str(value) if value else None


@pytest.hookimpl(trylast=True)  # after conformance.plugin's pytest_configure made its state
def pytest_configure(config: pytest.Config) -> None:
    """A legacy profile's flaws are its expected failures (LEG-GEN-2): they are what a
    faithful legacy target does, so they are reported FAIL [expected] and do not fail the
    run; anything else that goes wrong still does. Only when no `--expectations` is given.
    """
    from conformance import plugin

    retry = _option(config, "--connect-retry")
    if retry is not None:
        stream.set_connect_retry(float(retry))
    state = config.stash.get(plugin._STATE, None)
    if state is None or legacy_profile(config) not in LEGACY_PROFILES:
        return
    if state.expectations.source is None:
        state.expectations = plugin.Expectations.load(EXPECTED_FLAWS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Legacy cases carry their profile into the report. Under a legacy profile, the
    cases of every other profile are deselected: the v1 cases speak sft-pki/1 and
    sft-eke/1 frames and have no target here, so they would ERROR ("no embedded
    pki-legacy target") or SKIP by the hundred and bury the audit in noise."""
    chosen = legacy_profile(config)
    others: list[pytest.Item] = []
    for item in items:
        names = getattr(item, "fixturenames", ())
        profiles = [p for p in LEGACY_PROFILES if p.replace("-", "_") in names]
        for profile in profiles:
            item.user_properties.append(("sft_profile", profile))
        if chosen not in LEGACY_PROFILES:
            continue
        needs_v1_target = "sft_pool" in names  # conformance.plugin's targets all use it
        if needs_v1_target or (profiles and chosen not in profiles):
            others.append(item)
    if others:
        config.hook.pytest_deselected(items=others)
        dropped = set(others)
        items[:] = [item for item in items if item not in dropped]


def _target_config(config: pytest.Config) -> dict[str, Any]:
    path = _option(config, "--target-config")
    if not path:
        return {}
    from conformance.target import load_target_file

    return load_target_file(Path(path))


def _hostport(config: pytest.Config, file_conf: dict[str, Any]) -> tuple[str, int] | None:
    value = _option(config, "--target") or os.environ.get("SFT_TARGET")
    if value:
        return parse_hostport(str(value))
    if "host" in file_conf:
        return str(file_conf["host"]), int(file_conf["port"])
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _client_cmd(config: pytest.Config, file_conf: dict[str, Any]) -> list[str] | None:
    """`--client-cmd 'TEMPLATE'` ({host} {port} {name} {out}; {key} {cert} for pki/0)."""
    template = _option(config, "--client-cmd") or file_conf.get("client_cmd")
    return shlex.split(str(template)) if template else None


def _client_typing(config: pytest.Config, file_conf: dict[str, Any]) -> dict[str, Any]:
    """`--client-stdin` / `--client-success` (or the target file's keys): how to drive an
    interactive client, the same way as every v1 client case (sftkit client_launch)."""
    out: dict[str, Any] = {}
    stdin = _option(config, "--client-stdin") or file_conf.get("client_stdin")
    if stdin:
        out["client_stdin"] = str(stdin)
    success = _option(config, "--client-success") or file_conf.get("client_success")
    if success:
        out["client_success"] = str(success)
    return out


def _record_sanity(config: pytest.Config, profile: str, host: str, port: int) -> None:
    """No probe connection is made up front: it would spend the only session of a
    one-shot target (the eke/0 seed serves one connection, then exits). The cases'
    own first connection is the probe (stream.connect): a target that never accepted
    one is down, and the report says so (sanity), not non-conformant."""
    from conformance import plugin

    state = config.stash.get(plugin._STATE, None)
    if state is None:
        return
    down = stream.down_reason(host, port)
    answered = stream.connections_answered(host, port)
    detail = down or f"{host}:{port} accepted {answered} connection(s)"
    state.pool.sanity.setdefault(profile, {})["first"] = plugin.SanityResult(not down, detail)


def _first_account(value: Any) -> tuple[str, str] | None:
    """`--enroll`/accounts may be Account objects, 'USER:PWFILE' strings or tuples."""
    if not value:
        return None
    item = value[0] if isinstance(value, list | tuple) else value
    if hasattr(item, "user") and hasattr(item, "password"):
        return str(item.user), str(item.password)
    if isinstance(item, str) and ":" in item:
        user, _, pwfile = item.partition(":")
        return user, read_password_file(pwfile)
    return None


@pytest.fixture(scope="session")
def pki_legacy(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LegacyPkiTarget]:
    config = request.config
    if legacy_profile(config) != "pki-legacy":
        pytest.skip("profile pki-legacy not selected (--profile pki-legacy)")
    file_conf = _target_config(config)
    address = _hostport(config, file_conf)
    if address is None:
        target = start_pki_legacy(tmp_path_factory.mktemp("pki-legacy"))
        yield target
        target.stop()
        return
    legacy = file_conf.get("extra", {}).get("legacy", {})
    root = _option(config, "--root") or file_conf.get("root")
    ca_key = _option(config, "--ca-key") or file_conf.get("ca_key")
    traversal = None
    if "traversal_name" in legacy:
        name = str(legacy["traversal_name"])
        expected = None
        if "traversal_sha256" in legacy and "traversal_size" in legacy:
            expected = KnownContent(
                name, int(legacy["traversal_size"]), str(legacy["traversal_sha256"])
            )
        traversal = (name, expected)
    files = file_conf.get("files") or ()
    known = KnownContent(files[0].name, files[0].size, files[0].sha256) if files else None
    empty = next((f.name for f in files if f.size == 0), None)  # LEG-PKI-FMT-6's boundary
    yield LegacyPkiTarget(
        host=address[0],
        port=address[1],
        ca_url=_option(config, "--ca-url") or file_conf.get("ca_url"),
        root=Path(root) if root else None,
        ca_key=Path(ca_key) if ca_key else None,
        enroll=_first_account(_option(config, "--enroll") or file_conf.get("enroll")),
        traversal=traversal,
        known_file=known,
        responder_alias=file_conf.get("responder_alias"),
        empty_file=empty,
        client_cmd=_client_cmd(config, file_conf),
        **_client_typing(config, file_conf),
    )
    _record_sanity(config, "pki-legacy", *address)


@pytest.fixture(scope="session")
def eke_legacy(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LegacyEkeTarget]:
    config = request.config
    if legacy_profile(config) != "eke-legacy":
        pytest.skip("profile eke-legacy not selected (--profile eke-legacy)")
    file_conf = _target_config(config)
    address = _hostport(config, file_conf)
    if address is None:
        target = start_eke_legacy(tmp_path_factory.mktemp("eke-legacy"))
        yield target
        target.stop()
        return
    account = _first_account(file_conf.get("accounts"))
    users, pwfiles = (
        _as_list(_option(config, "--user")),
        _as_list(_option(config, "--password-file")),
    )
    if users and pwfiles:
        account = _first_account(f"{users[0]}:{pwfiles[0]}")
    if account is None:
        pytest.skip("eke-legacy needs an account: --user U --password-file F (or a target file)")
    files = file_conf.get("files") or ()
    known = KnownContent(files[0].name, files[0].size, files[0].sha256) if files else None
    yield LegacyEkeTarget(
        address[0],
        address[1],
        account[0],
        account[1],
        known,
        client_cmd=_client_cmd(config, file_conf),
        **_client_typing(config, file_conf),
    )
    _record_sanity(config, "eke-legacy", *address)


@dataclass(frozen=True)
class SuiteIdentity:
    """A certificate the responder accepts, with a key the suite holds."""

    alias: str
    key: RSA.RsaKey
    certificate_pem: bytes
    how: str  # "enrolled" or "minted (lab mode)"


def _root_key(target: LegacyPkiTarget) -> RSA.RsaKey | None:
    return RSA.import_key(target.ca_key.read_bytes()) if target.ca_key else None


@pytest.fixture(scope="session")
def root_pem(pki_legacy: LegacyPkiTarget) -> bytes:
    if pki_legacy.root is None:
        pytest.skip("needs the organisation root (--root ROOT.pem)")
    return pki_legacy.root.read_bytes()


@pytest.fixture(scope="session")
def suite_identity(pki_legacy: LegacyPkiTarget) -> SuiteIdentity:
    key = pki0.suite_key(0)
    public_pem = key.public_key().export_key("PEM") + b"\n"
    root_key = _root_key(pki_legacy)
    enrolment_failed = ""
    if pki_legacy.enroll and pki_legacy.ca_url and pki_legacy.root:
        alias, password = pki_legacy.enroll
        body = pki0.verify_body(pki_legacy.root.read_bytes(), alias, password, public_pem)
        status, answer = pki0.post_verify(pki_legacy.ca_url, body)
        try:
            usable = status == 200 and der.read_certificate(answer).public_key == key.public_key()
        except ValueError:
            usable = False
        if usable:
            # Its certificate as clean PEM: the suite's own messages carry it, and the CA's
            # PEM text (CRLF, no final newline, other line lengths) is judged by the CA's
            # cases (LEG-CA-FMT-*), not inherited by every requester case.
            clean = der.der_to_pem(der.read_certificate(answer).der)
            return SuiteIdentity(alias, key, clean, "enrolled")
        enrolment_failed = f"enrolment of {alias!r} answered {status}: {answer[:200]!r}"
        if root_key is None:
            pytest.fail(f"sanity: {enrolment_failed}")
        # The CA's own cases (LEG-CA-FMT-*) judge that answer; with the root key at hand
        # the responder is still audited, under a minted identity.
    if root_key is not None and pki_legacy.root is not None:
        now = datetime.datetime.now(datetime.UTC)
        # Under the root's full subject DN (and key identifier): a root with more than a
        # CN would otherwise chain nothing the suite mints (false PASSes everywhere).
        pem = der.mint_under_root(
            pki_legacy.root.read_bytes(),
            root_key,
            "suite",
            key,
            not_before=now - datetime.timedelta(minutes=5),
            not_after=now + datetime.timedelta(days=1),
            extensions=(
                der.basic_constraints(False),
                der.extended_key_usage(der.EKU_CLIENT_AUTH, der.EKU_SERVER_AUTH),
            ),
        )
        how = "minted (lab mode)" + (f"; {enrolment_failed}" if enrolment_failed else "")
        return SuiteIdentity("suite", key, pem, how)
    pytest.skip("needs --ca-url with --enroll, or --ca-key (lab mode), to hold an identity")


@pytest.fixture(scope="session")
def root_key(pki_legacy: LegacyPkiTarget) -> RSA.RsaKey:
    key = _root_key(pki_legacy)
    if key is None:
        pytest.skip("lab mode only: needs the root key (--ca-key) to mint a bad certificate")
    return key
