"""Round 17 (helper L17b): PKI-CERT-2's new MUST — "Every such alias is valid whatever its
length: an endpoint MUST NOT refuse a peer for its alias's length or characters within
this set" — on both sides of sft-pki/1.

The bug: an endpoint's own copy of the alias pattern with the repeat's bounds off by one
on each end (`[a-z0-9][a-z0-9._-]{1,62}` for `{0,63}`): aliases of 2 to 63 characters
pass, a valid employee whose alias has exactly 1 or exactly 64 characters is refused.
The blind round (mutants_blind17_pki.py, "alias-length-bounds") dropped it because no
requirement then said an endpoint must accept every valid alias; the SPEC now does.

- lead17-pki-alias-length-bounds   the RESPONDER checks the client certificate's CN with
                                   that pattern (reference.pki.tls.check_peer_certificate)
- lead17-ini-alias-length-bounds   the INITIATOR checks the responder certificate's CN
                                   with that pattern (same function, in the client)

Both caught by conformance/test_pki_alias_lengths.py (the 1- and 64-character aliases of
the default run): the responder answers the 1-character employee otherwise than the
ordinary outsider (the embedded allow list holds neither, so `forbidden` is expected),
the initiator fails a get its ordinary control completes.
"""

from __future__ import annotations

import re
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "lead17"

# The reference's pattern is [a-z0-9][a-z0-9._-]{0,63} (reference/pki/alias.py).
_OFF_BY_ONE = r"[a-z0-9][a-z0-9._-]{1,62}"


def _tls() -> Any:
    return _module("reference.pki.tls")


def _alias_length_bounds() -> None:
    # check_peer_certificate reads the module global ALIAS_RE at each call (it was bound
    # by `from reference.pki.alias import ALIAS_RE`): rebinding it there mutates the
    # certificate check of the process it runs in (the responder or the client).
    _tls().ALIAS_RE = re.compile(_OFF_BY_ONE)


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        name="lead17-pki-alias-length-bounds",
        group=_GROUP,
        profile="pki",
        requirement="PKI-CERT-2",
        test_file="test_pki_alias_lengths.py",
        description=(
            "L1: the responder checks the client's CN against an alias pattern whose repeat "
            "is {1,62}: valid employees whose alias has exactly 1 or 64 characters are "
            "refused at the handshake"
        ),
        apply=_alias_length_bounds,
    ),
    Mutant(
        name="lead17-ini-alias-length-bounds",
        group=_GROUP,
        profile="pki",
        requirement="PKI-CERT-2",
        test_file="test_pki_alias_lengths.py",
        description=(
            "L1: the initiator checks the responder certificate's CN against an alias "
            "pattern whose repeat is {1,62}: a responder whose alias has exactly 1 or 64 "
            "characters is refused although its CN is the alias asked for"
        ),
        apply=_alias_length_bounds,
        client=True,
    ),
)
