"""A peer's EROR message reaches the user's terminal only with its control characters
escaped and its length bounded (reference/errors.py `peer_text`): a hostile server must
not clear the screen, move the cursor or reorder the line the user reads."""

from __future__ import annotations

import pytest

from reference.eke.client import TransferRefused as EkeTransferRefused
from reference.errors import ErrorCode, peer_text
from reference.transfer import TransferFailed, TransferRefused

_HOSTILE = "no such file\x1b[2J\x1b[1;1Hall good\r\x07\x7f\x85\u202egnp.exe\u2066"


@pytest.mark.parametrize("point", [*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F)])
def test_every_control_character_is_escaped(point: int) -> None:
    shown = peer_text(f"a{chr(point)}b")
    assert chr(point) not in shown and shown.startswith("a\\") and shown.endswith("b"), shown


def test_printable_text_is_kept_and_length_bounded() -> None:
    assert peer_text("not found: r\u00e9sum\u00e9.pdf") == "not found: r\u00e9sum\u00e9.pdf"
    assert peer_text("x" * 500) == "x" * 200 + "..."


@pytest.mark.parametrize(
    "error",
    [
        TransferRefused(ErrorCode.NOT_FOUND, _HOSTILE),
        TransferFailed(ErrorCode.INTERNAL, _HOSTILE, remote=True),
        EkeTransferRefused(ErrorCode.NOT_FOUND, _HOSTILE),
    ],
)
def test_what_the_user_is_shown_holds_no_control_character(error: Exception) -> None:
    text = str(error)
    assert not any(
        ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or 0x202A <= ord(c) <= 0x202E for c in text
    )
    assert "all good" in text  # escaped, not dropped: the user sees what the peer sent
