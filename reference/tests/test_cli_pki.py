"""The PKI command line's small parts: progress bar rules, target and size parsing."""

from __future__ import annotations

import io

import pytest

from reference.cli import pki as cli_pki
from reference.pki.client import PkiClientError, parse_target


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_tty_and_after_one_second(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(cli_pki.time, "monotonic", lambda: now[0])
    tty = FakeTty()
    bar = cli_pki.ProgressBar("get f", tty)
    bar(10, 100)
    assert tty.getvalue() == ""  # under a second: nothing
    now[0] += 1.5
    bar(50, 100)
    assert "50.0%" in tty.getvalue()
    bar.finish()
    assert tty.getvalue().endswith("\n")
    pipe = io.StringIO()
    quiet = [cli_pki.ProgressBar("x", pipe), cli_pki.ProgressBar("x", FakeTty(), enabled=False)]
    now[0] += 5
    for b in quiet:
        b(1, 2)
        b.finish()
    assert pipe.getvalue() == "" and quiet[1].stream.getvalue() == ""


@pytest.mark.req("PKI-CERT-2")
def test_parse_target() -> None:
    assert parse_target("bob@127.0.0.1:7443") == ("bob", "127.0.0.1", 7443)
    assert parse_target("a.b-c_d@[::1]:1") == ("a.b-c_d", "::1", 1)
    for bad in ("bob", "bob@host", "Bob@h:1", "bob@h:99999", "@h:1", "-x@h:1"):
        with pytest.raises(PkiClientError):
            parse_target(bad)


def test_sizes() -> None:
    assert cli_pki._size("4G") == 4 * 1024**3
    assert cli_pki._size("10MiB") == 10 * 1024**2
    assert cli_pki._size("123") == 123
