"""Shared assertion for v1 captures: clean, or (known reference issue) only an abortive close."""

from __future__ import annotations

import re

import pytest

from captures.checker import CLEAN, INCOMPLETE, LEAK, CheckReport

_CLOSE_ONLY = re.compile(r": (RST|no FIN|no FIN, RST)$")


def assert_clean_or_abortive_close(report: CheckReport) -> None:
    """Fails on any leak or any other incompleteness; xfails on an abortive close only.

    The eke client and the CA's HTTPS client currently close without reading the
    peer's last record, so their kernel answers it with RST (requested fix in
    the reference). Such a capture is rightly "incomplete"; it must still show no
    leak, and nothing else may be missing.
    """
    leaks = [f.message for f in report.findings if f.severity == LEAK]
    assert not leaks, leaks
    if report.verdict == CLEAN:
        return
    assert report.verdict == INCOMPLETE
    other = [f.message for f in report.findings
             if f.severity == INCOMPLETE and not _CLOSE_ONLY.search(f.message)]
    assert not other, other
    assert all(not d.holes for s in report.streams for d in (s.forward, s.backward))
    pytest.xfail("the reference closes abortively (RST after its last record); "
                 "no leak found, the capture is otherwise complete")
