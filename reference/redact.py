"""What a tool may show of a peer's message: never a run of its user's password [PWF-2].

A server, CA or proxy may echo what it was sent (a login, a request line) in an error
message; a client that prints that message as it came prints the password. Both the
enrolment client and the EKE client pass such text through `quotes_password` first.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import urllib.parse
from collections.abc import Callable, Iterator
from functools import partial

__all__ = ["password_quoter", "quotes_password"]


def quotes_password(message: str, password: str) -> bool:
    """Whether `message` holds a run of 6 or more of the password's characters (as sent,
    or escaped as JSON would), case folded (the whole password when it is shorter) —
    read as it came, URL-decoded, and with each base64 or hexadecimal token decoded
    (PWF-2: "in any encoding": a peer echoing an `Authorization: Basic` line or a
    hex dump of the login)."""
    forms = {password, json.dumps(password)[1:-1]}
    for view in _views(message):
        text = view.casefold()
        for form in forms:
            form = form.casefold()
            run = min(6, len(form))
            if run and any(form[i : i + run] in text for i in range(len(form) - run + 1)):
                return True
    return False


_BASE64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_HEX_TOKEN = re.compile(r"(?:[0-9a-fA-F]{2}){6,}")


def _views(message: str) -> Iterator[str]:
    """`message` as it came and decoded in the encodings a password may be echoed in."""
    yield message
    yield urllib.parse.unquote_plus(message)
    for token in _BASE64_TOKEN.findall(message):
        standard = token.replace("-", "+").replace("_", "/").rstrip("=")
        with contextlib.suppress(ValueError):
            raw = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
            yield raw.decode("utf-8", "replace")
    for token in _HEX_TOKEN.findall(message):
        yield bytes.fromhex(token).decode("utf-8", "replace")


def password_quoter(password: str) -> Callable[[str], bool]:
    """`quotes_password` bound to `password`: a command keeps this, not the password."""
    return partial(_quotes, password=password)


def _quotes(message: str, *, password: str) -> bool:
    return quotes_password(message, password)
