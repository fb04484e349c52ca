"""Round 18 (lead): PKI-CERT-2's characters, on both sides of sft-pki/1 — "an endpoint MUST
NOT refuse a peer for its alias's length or characters within this set".

The round-17 case (conformance/test_pki_alias_lengths.py) ran the 1- and 64-character
edges in the default run with an alias of letters, digits and one `-`; the forms with `.`,
`_` and a leading digit ran only in the slow run, which the mutant runs skip. An endpoint
that checks the peer's CN as a host name passed: aliases look like host names, and an
implementer who reuses a host-name validator (or writes one: labels of letters, digits
and `-`, no `_`, no empty label, no `-` or `.` at an end) refuses valid employees and
nobody else. Now the default run's 64-character alias starts with a digit, holds `..`,
`__`, `--` and ends in `._-`.

- lead18-pki-alias-host-name     the RESPONDER checks the client's CN as a host name
- lead18-ini-alias-host-name     the INITIATOR checks the responder's CN as a host name
- lead18-pki-alias-alnum-ends    the RESPONDER wants a letter or digit at BOTH ends

All three missed by the case as it stood (its aliases "q", "7" and
"z0123456789...x-y" are host names with alphanumeric ends); caught now.
"""

from __future__ import annotations

import re
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "lead18"

# RFC 1123 host name, lower case, at most 64 characters in all.
_HOST_NAME = r"(?=.{1,64}\Z)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
_ALNUM_ENDS = r"[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?"


def _tls() -> Any:
    return _module("reference.pki.tls")


def _host_name() -> None:
    # check_peer_certificate reads the module global ALIAS_RE at each call: rebinding it
    # mutates the certificate check of the process it runs in (responder or client).
    _tls().ALIAS_RE = re.compile(_HOST_NAME)


def _alnum_ends() -> None:
    _tls().ALIAS_RE = re.compile(_ALNUM_ENDS)


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        name="lead18-pki-alias-host-name",
        group=_GROUP,
        profile="pki",
        requirement="PKI-CERT-2",
        test_file="test_pki_alias_lengths.py",
        description=(
            "the responder checks the client's CN as an RFC 1123 host name: an alias with "
            "`_`, `..`, or `-`/`.` at an end is refused at the handshake"
        ),
        apply=_host_name,
    ),
    Mutant(
        name="lead18-ini-alias-host-name",
        group=_GROUP,
        profile="pki",
        requirement="PKI-CERT-2",
        test_file="test_pki_alias_lengths.py",
        description=(
            "the initiator checks the responder certificate's CN as an RFC 1123 host name: "
            "a responder whose alias holds `_` or ends in `-` is refused"
        ),
        apply=_host_name,
        client=True,
    ),
    Mutant(
        name="lead18-pki-alias-alnum-ends",
        group=_GROUP,
        profile="pki",
        requirement="PKI-CERT-2",
        test_file="test_pki_alias_lengths.py",
        description=(
            "the responder wants a letter or digit at both ends of the alias: an alias "
            "ending in `.`, `_` or `-` is refused at the handshake"
        ),
        apply=_alnum_ends,
    ),
)
