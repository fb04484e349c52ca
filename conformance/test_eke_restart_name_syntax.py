"""sft-eke/1: a user name holding a storage layer's own syntax survives a restart (§5.6).

EKE-THR-8: "Failure counts MUST survive a restart of the server". A count goes to disk
under a key the server builds from the user name, and comes back by parsing that key:
`kind:name` split on `:`, a CSV line split on `,` (quotes unbalanced), `name=count`
split on `=`, a `|`-joined record, a row whose key was quoted with `'` or escaped with
`\\` or `%`. Every name EKE-PW-1 allows is a key of its own (EKE-PW-4: byte for byte),
and ASCII punctuation is as ordinary in it as a letter: a name holding the separator
comes back cut at it, under another name (a look-alike may inherit its count), or not
at all — and its failures are gone with the restart. test_ops_eke_restart_name_shapes.py
covers the shapes a text layer normalises or strips; this file the characters a record
layout gives a meaning to.

For each name a fresh one fails N - 1 times before the restart (each from a fresh
loopback address, so that no address lock speaks for it); once the restarted server
serves, each fails once more and its next EKE1 MUST be `throttled`. A probe answered
EKE2 only after the N-th failure's lock may have passed is INCONCLUSIVE, never a FAIL.
"""

from __future__ import annotations

import secrets

import pytest

from conformance.eke_support import SourceAddresses
from conformance.target import Target
from conformance.test_ops_eke_restart_name_shapes import counts_survive_a_restart

__all__: list[str] = []

# A restart disturbs every case running against the same server at that moment.
pytestmark = pytest.mark.xdist_group("eke-victim")


def _names() -> dict[str, str]:
    """label -> a fresh valid user name holding record-syntax characters."""

    def stem() -> str:
        return f"ghost{secrets.token_hex(4)}"

    return {
        "':' inside (kind:key)": f"{stem()}:x:y",
        "',' and '\"' inside (CSV)": f'{stem()},"q',
        "'|', '=' and ';' inside": f"{stem()}|a=b;c",
        "'\\\\' and '%' inside (escapes)": f"{stem()}\\n%41",
        "an apostrophe first (SQL quoting)": f"'{stem()}",
    }


@pytest.mark.req("EKE-THR-8")
def test_counts_of_names_holding_record_syntax_survive_a_restart(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    counts_survive_a_restart(
        eke_target,
        eke_sources,
        _names(),
        "the name's stored key was parsed back at a character of the record syntax (a "
        "separator, a quote, an escape): its count was lost or went to another name",
    )
