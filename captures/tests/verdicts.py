"""Shared assertion for v1 captures: strictly clean."""

from __future__ import annotations

from captures.checker import CLEAN, EXIT_CODES, INCOMPLETE, LEAK, CheckReport

__all__ = ["assert_clean"]


def assert_clean(report: CheckReport) -> None:
    """A v1 capture must show no leak and be complete: every stream opened with SYN
    and ended with a FIN in both directions, no RST, no sequence hole.

    The reference closes honest connections gracefully (EKE: BYE_, FIN, drain until
    the peer's FIN; PKI and the CA: close_notify both ways, then FIN), so an
    abortive close is a regression, not an allowance.
    """
    leaks = [f.message for f in report.findings if f.severity == LEAK]
    assert not leaks, leaks
    incomplete = [f.message for f in report.findings if f.severity == INCOMPLETE]
    assert not incomplete, incomplete
    assert report.verdict == CLEAN, [f.message for f in report.findings]
    assert report.exit_code == EXIT_CODES[CLEAN]
    assert report.streams
    for s in report.streams:
        assert s.complete, s.index
        for d in (s.forward, s.backward):
            assert d.syn and d.fin and not d.rst and not d.holes, (s.index, d.name)
