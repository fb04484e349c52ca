"""sft-eke/1: user names that look like query or format syntax are just names (SPEC §5.3
EKE-HS-3, §5.1 EKE-PW-4).

"For an unknown user the server MUST proceed exactly as for a known one" (EKE-HS-3), and
it "MUST match the user name of EKE1 against its accounts byte for byte" (EKE-PW-4). A
server whose account lookup is text pasted into a query (SQL built with string
formatting, a LDAP or shell filter, a printf format) breaks on names holding the syntax's
own characters: an apostrophe or a quote ends the string early and the lookup raises —
the connection drops where an EKE2 was due, telling the client the name is "special" —,
and a name that closes the string itself selects an account it is not.

Two checks, from fresh loopback addresses (the handshakes are left pending, and so count
as failures of these odd names only):
- names of every such character class, each EKE1 answered EKE2 (EKE-HS-3);
- names built to select the main account in such a query (`x' OR name='alice' --`): the
  EKE2 MUST NOT be computed with the account's password key. The suite knows that key:
  if C2 verifies under it, the server matched the name to the account (EKE-PW-4).
"""

from __future__ import annotations

import pytest

from conformance import eke
from conformance.eke_channel import password_key_cached
from conformance.eke_support import SourceAddresses, ghost_user, start_handshake
from conformance.target import Target
from conformance.test_eke_throttling import _timeout
from conformance.wire import ConformanceFailure, ReceivedFrame

_SYNTAX = {
    "apostrophe": "o'brien-{t}",
    "double quote": 'say "hi" {t}',
    "backslash": "back\\slash-{t}",
    "percent and underscore": "50%_off-{t}",
    "semicolon and comment": "x; -- {t}",
    "printf format": "%s%n%x-{t}",
    "braces": "{{user}}-{t}",
    "shell": "$(id)`id`|{t}",
    "ldap filter": "*)(uid=*{t}",
}


def _tag() -> str:
    return ghost_user().removeprefix("ghost-")[:8]


@pytest.mark.req("EKE-HS-3")
def test_names_with_query_syntax_are_answered_eke2(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    timeout = _timeout(eke_target)
    problems: list[str] = []
    for label, pattern in _SYNTAX.items():
        user = pattern.format(t=_tag())
        hs = start_handshake(
            eke_target, user, bytes(32), source=eke_sources.fresh(), timeout=timeout
        )
        try:
            event = hs.receive_eke2(timeout)
        finally:
            hs.close()
        if not (isinstance(event, ReceivedFrame) and event.type == b"EKE2"):
            problems.append(f"{label}: EKE1 of {user!r} answered {event.describe()}")
    if problems:
        raise ConformanceFailure.evidence(
            "EKE-HS-3: EKE1s of unknown user names holding query or format syntax (quotes, "
            "backslash, %, ;, --, braces, shell and filter characters), each from a fresh "
            "address",
            "EKE2 for each, as for any other name: the server proceeds exactly as for a known user",
            "\n".join(problems),
        )


def _injections(account: str) -> list[str]:
    names = [
        f"x' OR name='{account}' --",
        f"x' OR name='{account}'",
        f'x" OR name="{account}" --',
        f"' UNION SELECT pw FROM users WHERE name='{account}' --",  # noqa: S608 - the probe
        f"{account}' --",
        f"{account}'",
    ]
    return [n for n in names if len(n.encode()) <= 64]


@pytest.mark.req("EKE-PW-4")
def test_names_built_to_select_an_account_are_not_that_account(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    if not eke_target.accounts:
        pytest.skip("needs an account (target file [eke] accounts)")
    account = eke_target.accounts[0]
    if "'" in account.user or '"' in account.user:
        pytest.skip("the account's own name holds a quote")
    pw = password_key_cached(account.password, account.user)
    timeout = _timeout(eke_target)
    names = _injections(account.user)
    if not names:
        pytest.skip("the account's name is too long for an injected name of 64 bytes")
    for user in names:
        hs = start_handshake(eke_target, user, pw, source=eke_sources.fresh(), timeout=timeout)
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                continue  # refused or closed: EKE-HS-3's case above judges that
            try:
                hs.client.on_eke2(hs.eke2)
            except eke.EkeError:
                continue  # C2 does not verify under the account's key: another user
        finally:
            hs.close()
        raise ConformanceFailure.evidence(
            f"EKE-PW-4: EKE1 of the user name {user!r}, A hidden under the password key of "
            f"the account {account.user!r}",
            "an unknown user (another name than the account's, byte for byte): EKE2 "
            "computed with the fake key, so C2 does not verify under the account's key",
            f"{event.describe()} — C2 verifies under {account.user!r}'s key: the name was "
            "matched to that account (a lookup built by pasting the name into a query)",
        )
