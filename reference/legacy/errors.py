"""Errors of the legacy profiles (sft-pki/0, sft-eke/0).

The seeds have no error frames: every failure ends in a close. These exceptions
let the sans-IO cores say *why* (a one-line message for the log), and let the
socket adapters close instead of printing a traceback.
"""

from __future__ import annotations

__all__ = [
    "LegacyError",
    "LegacyLocalError",
    "LegacyRemoteError",
    "LegacyAuthError",
]


class LegacyError(Exception):
    """Base class: a legacy session cannot continue; the adapter closes it."""


class LegacyLocalError(LegacyError):
    """Our caller misused a connection object (wrong state, bad argument)."""


class LegacyRemoteError(LegacyError):
    """The peer sent something the legacy format cannot accept."""


class LegacyAuthError(LegacyRemoteError):
    """The peer refused us (eke/0 'Not Authenticated', pki/0 RSCI or a CA 401)."""
