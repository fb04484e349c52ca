"""sft-eke/1 puts of names that come near a rule of §3.5 without breaking it (APP-PUT-2).

APP-NAME-2 refuses a name that "starts with a drive letter (`[A-Za-z]:`)": ASCII letters
only. A check written with a Unicode-aware predicate (Python's `str.isalpha()`, Java's
`Character.isLetter`, a regex `\\w` or `\\p{L}`) also refuses `é:x`, `Ω:x` or a fullwidth
`ａ:x`, which §3.5 allows; APP-PUT-2 says such a name MUST NOT be refused. The other
names here sit as close to the rule (a digit or a colon first, a colon later on) and
must be stored too.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import put_file, require
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import ConformanceFailure

ChannelFactory = Callable[..., EkeChannel]

# Prefixes that look like a drive letter to a Unicode-aware check, or sit next to the
# rule; every one is a name §3.5 allows.
_PREFIXES = {
    "latin-e-acute": "\u00e9:",
    "greek-omega": "\u03a9:",
    "fullwidth-a": "\uff41:",
    "cyrillic-a": "\u0430:",
    "digit": "7:",
    "colon-first": ":",
    "colon-second-of-three": "ab:",
    "letter-dot": "c.:",
}


@pytest.mark.req("APP-PUT-2")
@pytest.mark.parametrize("kind", list(_PREFIXES))
def test_names_near_the_drive_letter_rule_are_stored(
    eke_target: Target, eke_channel_factory: ChannelFactory, kind: str
) -> None:
    """A put of `<prefix>sft-…` (`é:`, `Ω:`, fullwidth `ａ:`, Cyrillic `а:`, `7:`, `:`,
    `ab:`): not a drive letter (`[A-Za-z]:`), so the put MUST be accepted and stored under
    that name, and its DONE answered."""
    require(eke_target, "put")
    name = f"{_PREFIXES[kind]}sft-{uuid.uuid4().hex[:12]}.txt"
    data = f"stored as {name}\n".encode()
    channel = eke_channel_factory()
    accepted, final = put_file(channel, name, data)
    frame = accepted.frame
    if frame is not None and frame.type == b"EROR":
        raise ConformanceFailure.evidence(
            f"APP-PUT-2: PUTF {name!r} (UTF-8 {name.encode()[:8].hex()}...)",
            "RSFL {accept}: only [A-Za-z]: is a drive letter (APP-NAME-2)",
            frame.describe(),
            "a name §3.5 does not refuse MUST NOT be refused",
        )
    accepted.check(f"APP-PUT-2: PUTF {name!r}")
    if final is None:
        raise ConformanceFailure(f"APP-PUT-2: PUTF {name!r}: no answer to the put")
    final.check(f"APP-PUT-2: the put of {name!r}")
    done = final.frame.json() if final.frame is not None else None
    if not done or done.get("sha256") != hashlib.sha256(data).hexdigest():
        raise ConformanceFailure(
            f"APP-PUT-2: the put of {name!r} was not stored: {final.describe()}"
        )
