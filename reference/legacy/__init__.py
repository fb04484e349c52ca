"""INSECURE legacy profiles sft-pki/0 and sft-eke/0 (the two seed designs, faithfully).

These modules speak the original wire formats of the two seed documents so that
the kit can talk to existing deployments and show, requirement by requirement,
why they must be replaced (docs/SPEC.md §7, the LEG- requirements). They
reproduce the seeds' flaws on purpose: plaintext passwords, a 128-bit group,
fixed nonces, no integrity, end-of-file by close, names opened as given.

Nothing in the v1 code imports this package, and every entry point prints
`INSECURE_WARNING` to stderr. Never use these for real transfers.
"""

from __future__ import annotations

__all__ = ["INSECURE_WARNING", "warn_insecure"]

import sys
from typing import TextIO

INSECURE_WARNING = (
    "WARNING: sft legacy speaks the INSECURE seed protocols sft-pki/0 / sft-eke/0 "
    "(passwords and files are exposed, paths are not confined). "
    "For auditing and tests only; never use it for real data."
)


def warn_insecure(stream: TextIO | None = None) -> None:
    """Print the loud warning every legacy entry point must print (to stderr)."""
    print(INSECURE_WARNING, file=stream if stream is not None else sys.stderr, flush=True)
