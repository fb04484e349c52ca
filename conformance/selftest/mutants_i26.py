"""Round 19, helper I26: the reference counterpart of a fault planted blind in eke5.

I26 planted faults blind in two independent implementations written from the SPEC alone
(eke5, C; pki3, Go: their tables in selftest/independent/). Of the eke5 faults one class
was missed by the whole suite as it stood: a start-up sweep of the inbox written with an
age (eke5's `i26_startup_sweep_aged`: the initiator's rule of APP-STORE-3 copied to the
responder), which keeps the temporary of a run killed a moment before the restart for
good. test_eke_restart_state.py and test_ops_eke_restart_sweep_scope.py dated their
leftovers twice the idle timeout back, which every age rule up to that removes; the new
case test_eke_restart_fresh_temporaries.py plants one written just before the restart and
one dated an hour ahead. The same bug in the reference, to show the case catches it there:

- i26-eke-startup-sweep-aged  the eke server's start-up sweep passes an age (the
  reference client's 10 minutes) to remove_stale_partials, as the initiator does

(pki3's counterpart was dropped: a pki responder has no declared restart in the suite's
target model, so its start-up sweep is not observable.)
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_CLIENT_AGE = 600.0  # s: the reference initiator's wait (APP-STORE-3's "up to 10 minutes")


def _eke_startup_sweep_aged() -> None:
    server = _module("reference.eke.server")
    sweep = _module("reference.transfer").remove_stale_partials

    def remove_stale_partials(directory: Any, *, older_than: float | None = None) -> int:
        return int(sweep(directory, older_than=_CLIENT_AGE if older_than is None else older_than))

    server.remove_stale_partials = remove_stale_partials


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "i26-eke-startup-sweep-aged",
        "i26",
        "eke",
        "APP-STORE-3",
        "test_eke_restart_fresh_temporaries.py",
        "L4: the start-up sweep of the inbox removes only temporaries untouched for 10 "
        "minutes (the initiator's age rule copied): a killed run's fresh temporary stays",
        _eke_startup_sweep_aged,
    ),
)
