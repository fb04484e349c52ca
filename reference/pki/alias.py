"""The alias syntax [PKI-CERT-2], in a module of its own.

The PKI client, the peer and the TLS checks need only this pattern; importing it from
reference.pki.ca also loaded the CA's store (sqlite3) and its scrypt and certificate
builders: ~10 % of every `sft get` start, and the conformance suite starts the client
~100 times a run (issue 17). reference.pki.ca re-exports it.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["ALIAS_RE"]

ALIAS_RE: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # [PKI-CERT-2]
