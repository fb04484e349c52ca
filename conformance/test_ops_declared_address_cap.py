"""LIM-7: the per-address cap a target declares is the one it applies (LIM-8's case, judged
for LIM-7 too).

LIM-7: "Each limit MUST be configurable". A first draft parses an option and forgets to
pass it on: the server keeps its built-in value while the operator believes the one they
gave (`--max-pending-per-address 7` read, the default 8 applied). test_lockout.py's
one-address case holds `max_connections + 2` silent sockets from one address and checks
that exactly the declared cap of them is held and every one beyond it refused — a check
of LIM-8 whose failure here also means that the configured value was not the one in force.
This file runs that case for LIM-7 when the target declares its cap (`[limits]
max_pending_per_address`); SKIP otherwise (an undeclared cap is judged on the SPEC default,
an upper bound only, which says nothing of configuration).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook
from conformance.target import Target
from conformance.test_lockout import (
    test_one_address_holds_its_share_of_slots_only as _one_address_case,
)

__all__: list[str] = []

# The slots of one server: no other case of the worker may hold or take one meanwhile.
pytestmark = pytest.mark.xdist_group("slots")


@pytest.mark.req("LIM-7", "LIM-8")
def test_the_declared_per_address_cap_is_the_one_applied(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    if target.limits.max_pending_per_address is None:
        pytest.skip("the target declares no per-address cap ([limits] max_pending_per_address)")
    _one_address_case(target, transcripts, tmp_path)
