"""The embedded reference is started with every option the suite needs: an option the
reference does not know (renamed, removed) fails the start loudly, naming the option —
it is never dropped so that the cases it serves quietly SKIP or turn UNSUPPORTED."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.embedded import EmbeddedError, EmbeddedReference


def test_an_unknown_option_fails_the_start_and_names_the_option(tmp_path: Path) -> None:
    ref = EmbeddedReference(tmp_path)
    try:
        with pytest.raises(EmbeddedError) as failure:
            ref._serve_tuned(
                ("eke", "serve"),
                [
                    *("eke", "serve", "--store", str(tmp_path / "no-store")),
                    *("--share", str(tmp_path), "--inbox", str(tmp_path)),
                    *("--listen", "127.0.0.1:0"),
                ],
                {"--idle-timeout-renamed": "1.5"},
                name="eke-serve",
            )
        assert "--idle-timeout-renamed" in str(failure.value)
    finally:
        ref.stop()
