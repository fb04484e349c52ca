"""Put names the SPEC allows are stored (docs/SPEC.md §3.4 APP-PUT-2, §3.5).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. A responder MUST store a put
under the basename of its name, "checked as in §3.5" [APP-PUT-2]; §3.5 refuses only the
names of APP-NAME-2, APP-NAME-8 and APP-NAME-9 (and those over the limits of
APP-NAME-1). Every other name is legitimate, and `forbidden` for it breaks APP-PUT-2:
the `forbidden` of APP-PUT-1 is for a bad name (§3.5) or an initiator that may not put.

The class of bug: hardening beyond the SPEC — a responder refusing spaces, leading dots
or dashes, trailing dots, shell or Windows-reserved characters, non-ASCII, a long
component within 255 bytes, or any name with a directory part — instead of storing it
under its basename. Stored is checked on the wire (DONE, then a new PUTF of the basename
is `exists`) and, when the target declares its inbox, on disk.
"""

from __future__ import annotations

import uuid

import pytest

from conformance._wire_fixtures import AppChannel, judge_put_stored_under_basename, require
from conformance.target import Target


def _tag() -> str:
    return uuid.uuid4().hex[:10]


# id -> a function of a fresh tag giving the offered name; the basename is its last component.
_NAMES = {
    "space": lambda t: f"sft b10 {t} with spaces.txt",
    "leading-dot": lambda t: f".sft-b10-{t}-hidden",
    "trailing-dot": lambda t: f"sft-b10-{t}.",
    "leading-dash": lambda t: f"-sft-b10-{t}",
    "shell-chars": lambda t: f"sft-b10-{t}-$HOME;&|`!#'()[]{{}}=+~,@^.txt",
    "windows-reserved": lambda t: f'sft-b10-{t}-*?<>"|:.txt',
    "percent": lambda t: f"sft-b10-{t}-%2e%2e%2f.txt",
    "non-ascii": lambda t: f"sft-b10-{t}-\u00fcber-\u20ac-\u65e5\u672c-\U0001f600.txt",
    "nbsp": lambda t: f"sft-b10-{t}-\u00a0-\u202f.txt",
    "component-255-bytes": lambda t: f"sft-b10-{t}-" + "\u00e9" * ((255 - 19) // 2),
    "component-255-ascii": lambda t: (f"sft-b10-{t}-" + "x" * 255)[:255],
    "with-directory": lambda t: f"sft-b10-dir/sft-b10-{t}.txt",
    "with-directories": lambda t: f"a/b c/.d/sft-b10-{t}.txt",
}


@pytest.mark.req("APP-PUT-2", "APP-PUT-1")
@pytest.mark.parametrize("kind", list(_NAMES))
def test_put_of_a_legitimate_name_is_stored(
    target: Target, app_channel: AppChannel, kind: str
) -> None:
    """A PUTF of a name §3.5 does not refuse is accepted, stored under its basename (DONE,
    then a new PUTF of that basename is `exists`) and, in a declared inbox, holds the bytes.
    Catches a responder that refuses names for characters, length or a directory part
    the SPEC allows."""
    require(target, "put")
    offered = _NAMES[kind](_tag())
    base = offered.rsplit("/", 1)[-1]
    assert 1 <= len(base.encode()) <= 255 and len(offered.encode()) <= 4096
    judge_put_stored_under_basename(
        target,
        app_channel(),
        offered,
        f"the legitimate name of kind {kind}: not refused by APP-NAME-2/8/9, within "
        "APP-NAME-1's limits",
    )
