"""Round 19 (lead): the sft-pki/1 responder's start-up sweep (APP-STORE-3), observable now.

"A responder MUST also remove, when it starts, the `.sft-partial-*` files that an earlier
run left in its inbox (it owns its inbox)." Until round 19 a pki target file could declare
no restart, so only the eke server's sweep was judged: a pki responder with no sweep at
all, or with the initiator's age rule copied, passed every case (I26 planted the latter in
pki3 and had to drop it as not observable). Now `[pki] restart_cmd` declares one (the
reference's `sft peer serve` re-executes itself on SIGHUP, keeping its socket), and
conformance/test_pki_restart_sweep.py leaves temporaries of every age in the inbox.

- lead19-pki-no-startup-sweep    the responder never sweeps its inbox at start
- lead19-pki-startup-sweep-aged  it sweeps only what nobody wrote for longer than its idle
                                 timeout (the initiator's rule)
- lead19-pki-commit-complete-at-eof  a put whose every announced byte arrived is committed
                                 when its connection ends without DONE (the restart's close)
"""

from __future__ import annotations

from pathlib import Path

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "lead19"


def _no_sweep() -> None:
    _module("reference.pki.peer").remove_stale_partials = lambda directory, **_kw: 0


def _aged_sweep() -> None:
    peer = _module("reference.pki.peer")
    sweep = _module("reference.transfer").remove_stale_partials

    def aged(directory: Path, **_kw: object) -> int:
        return int(sweep(directory, older_than=5.0))  # the suite's idle timeout

    peer.remove_stale_partials = aged


def _commit_complete_at_eof() -> None:
    from conformance.selftest.mutants_app import _patch_source

    pad = " " * 12
    _patch_source(
        _module("reference.transfer").Responder,
        "_put",
        (
            f"{pad}self.channel.receive_file(partial, request.size, None)\n",
            f"{pad}try:\n"
            f"{pad}    self.channel.receive_file(partial, request.size, None)\n"
            f"{pad}except Exception:\n"
            f"{pad}    if partial.written == request.size:  # every byte is here\n"
            f"{pad}        partial.commit()\n"
            f"{pad}    raise\n",
        ),
    )


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        name="lead19-pki-no-startup-sweep",
        group=_GROUP,
        profile="pki",
        requirement="APP-STORE-3",
        test_file="test_pki_restart_sweep.py",
        description="the pki responder never removes an earlier run's temporaries at start",
        apply=_no_sweep,
    ),
    Mutant(
        name="lead19-pki-startup-sweep-aged",
        group=_GROUP,
        profile="pki",
        requirement="APP-STORE-3",
        test_file="test_pki_restart_sweep.py",
        description=(
            "the pki responder's start-up sweep removes only temporaries nobody wrote for "
            "longer than its idle timeout (the initiator's rule, copied)"
        ),
        apply=_aged_sweep,
    ),
    Mutant(
        name="lead19-pki-commit-complete-at-eof",
        group=_GROUP,
        profile="pki",
        requirement="APP-PUT-5",
        test_file="test_pki_restart_sweep.py",
        description=(
            "the pki responder commits a put whose every announced byte arrived when the "
            "connection ends before its DONE"
        ),
        apply=_commit_complete_at_eof,
    ),
)
