"""sft-eke/1: what the server writes to its log (EKE-THR-3), read from the file the target
declares (`[eke] server_log`).

EKE-THR-3: the server "MUST NOT log passwords, `pw`, keys or handshake secrets". The seeds
sent passwords in clear; a server that writes one, or a value that stands for one, to its
log gives it to whoever reads the log: `pw` is a password equivalent (EKE-PW-2), and even
its first 4 bytes (a "key id" or fingerprint for the operator) are 32 bits against which an
offline scrypt search tests guesses; a session key in a log opens that session's capture.
The case makes one failed login of an account (right name, wrong key) and one successful
login of it, then reads what the log gained — after it has taken them: the bytes it
added, read until they stop growing — and looks for the account's password, its `pw` (raw,
hex in either case, base64), the first 4 bytes of `pw` in hex, and every key of the
successful session as the suite computed it (Z, PRK, Kcs, Kcc, both record keys and IVs,
whole or their first 4 bytes in hex). SKIP when the target declares no log file.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel, password_key_cached
from conformance.eke_support import SourceAddresses
from conformance.log_files import SETTLE_WAIT, added_since, settled, size
from conformance.plugin import inconclusive
from conformance.target import Account, Target
from conformance.test_eke_throttling import _fail_once
from conformance.wire import ConformanceFailure

__all__ = ["LoggedLogins", "logins_logged"]

pytestmark = [pytest.mark.profile("eke")]

_MIN_PASSWORD = 8  # shorter passwords could appear in a log by chance: not searched
_KEYS = ("z", "prk", "kcs", "kcc", "key_c2s", "iv_c2s", "key_s2c", "iv_s2c")


def _hex_forms(label: str, value: bytes) -> dict[str, bytes]:
    whole, prefix = value.hex(), value.hex()[:8]
    return {
        f"{label} (hex)": whole.encode(),
        f"{label} (HEX)": whole.upper().encode(),
        f"the first 4 bytes of {label} (hex)": prefix.encode(),
        f"the first 4 bytes of {label} (HEX)": prefix.upper().encode(),
    }


@dataclass
class LoggedLogins:
    """What the server's log gained over a failed and a successful login of `account`."""

    log: Path
    account: Account
    keys: eke.SessionKeys  # the successful session's, as the suite derived them
    added: bytes


def logins_logged(
    eke_target: Target,
    eke_sources: SourceAddresses,
    eke_channel_factory: Callable[..., EkeChannel],
) -> LoggedLogins:
    """One failed login of an account (right name, wrong key), then a successful one (it
    resets the count, EKE-THR-4), and the bytes the declared log added — read once they
    stop growing. SKIP without a declared log or an account; INCONCLUSIVE when the log
    gains nothing."""
    log = eke_target.eke_server_log
    if log is None:
        pytest.skip("the target declares no server log ([eke] server_log)")
    if not eke_target.accounts:
        pytest.skip("needs an eke account (give --user and --password-file)")
    account = eke_target.accounts[-1]
    start = size(log)
    source = eke_sources.fresh() if eke_sources.loopback else None
    _fail_once(eke_target, account.user, source)
    channel = eke_channel_factory(account)
    keys = channel.keys
    channel.close()
    if not settled(log, start):
        inconclusive(
            f"{log} gained nothing within {SETTLE_WAIT:g} s of a failed and a successful "
            "login: the file the target declares is not where this server logs them"
        )
    return LoggedLogins(log, account, keys, added_since(log, start))


@pytest.mark.req("EKE-THR-3")
def test_the_servers_log_holds_no_password_key_or_session_secret(
    eke_target: Target,
    eke_sources: SourceAddresses,
    eke_channel_factory: Callable[..., EkeChannel],
) -> None:
    logged = logins_logged(eke_target, eke_sources, eke_channel_factory)
    log, account, keys, added = logged.log, logged.account, logged.keys, logged.added
    pw = password_key_cached(account.password, account.user)
    needles = {
        "pw (raw)": pw,
        "pw (base64)": base64.b64encode(pw),
        "pw (base64url)": base64.urlsafe_b64encode(pw).rstrip(b"="),
        **_hex_forms("pw", pw),
    }
    password = account.password.encode("utf-8")
    if len(password) >= _MIN_PASSWORD:
        needles["the password"] = password
    for name in _KEYS:
        needles.update(_hex_forms(f"the session's {name}", getattr(keys, name)))
    found = [label for label, needle in needles.items() if needle in added]
    if found:
        raise ConformanceFailure.evidence(
            f"EKE-THR-3: a failed login of {account.user!r} (a wrong key), then a successful "
            f"one; what the server's log ({log}) gained meanwhile ({len(added)} bytes)",
            "no password, pw, key or handshake secret, nor a prefix of one, in the log",
            "the log holds " + ", ".join(found),
        )
