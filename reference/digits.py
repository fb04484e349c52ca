"""Decimal numbers read from text a person or a peer wrote: ports, sizes, descriptors,
HTTP Content-Length and Retry-After.

Two library defaults make `int(text)` the wrong tool on its own: `str.isdigit()` takes
"²" (which `int()` refuses) and "٨٠" (which `int()` reads as 80), and since Python 3.11
`int()` refuses a string of more than 4,300 digits (a ValueError the caller did not expect:
a traceback, or an HTTP 500 where a 413 was due). Here a number is ASCII digits alone, and
its size is judged on the digits, before any conversion.
"""

from __future__ import annotations

__all__ = ["ascii_digits", "decimal_at_most"]


def ascii_digits(text: str) -> bool:
    """ASCII digits only, at least one."""
    return text.isascii() and text.isdigit()


def decimal_at_most(text: str, most: int) -> int | None:
    """The value of `text` if it is ASCII digits alone and at most `most`; else None.

    Any number of digits is judged (leading zeros included) without int()'s digit limit.
    """
    if not ascii_digits(text):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(most)):
        return None
    value = int(digits)
    return value if value <= most else None
