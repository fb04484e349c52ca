"""What a tool may show of a peer's message: never a run of its user's password [PWF-2].

A server, CA or proxy may echo what it was sent (a login, a request line) in an error
message; a client that prints that message as it came prints the password. Both the
enrolment client and the EKE client pass such text through `quotes_password` first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial

__all__ = ["password_quoter", "quotes_password"]


def quotes_password(message: str, password: str) -> bool:
    """Whether `message` holds a run of 6 or more of the password's characters (as sent,
    or escaped as JSON would), case folded (the whole password when it is shorter)."""
    text = message.casefold()
    forms = {password, json.dumps(password)[1:-1]}
    for form in forms:
        form = form.casefold()
        run = min(6, len(form))
        if run and any(form[i : i + run] in text for i in range(len(form) - run + 1)):
            return True
    return False


def password_quoter(password: str) -> Callable[[str], bool]:
    """`quotes_password` bound to `password`: a command keeps this, not the password."""
    return partial(_quotes, password=password)


def _quotes(message: str, *, password: str) -> bool:
    return quotes_password(message, password)
