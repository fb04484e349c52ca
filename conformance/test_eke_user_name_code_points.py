"""sft-eke/1: a user name refuses control characters only — not every code point a Unicode
property calls "other" (SPEC §5.1 EKE-PW-1, EKE-PW-5; §5.3 EKE-HS-3).

EKE-PW-1: "A user name is 1–64 bytes of UTF-8 without control characters" — the controls
are C0 (U+0000–U+001F), DEL and C1 (U+0080–U+009F, "User names refuse the C1 controls
too"). EKE-PW-5 lets a server answer `bad_frame` to a name that is not valid; a valid name
it does not know is an unknown user, and "For an unknown user the server MUST proceed
exactly as for a known one" (EKE-HS-3): EKE2.

A check written with a library's character classes refuses more: Python's
`unicodedata.category(c).startswith("C")` (or ICU's `u_iscntrl` family, .NET's
`char.IsControl` on a wider table) also takes format characters (Cf: soft hyphen, the
zero-width joiner of every family emoji, LRM, U+FEFF, tag characters), private-use (Co) and
unassigned or noncharacter code points (Cn); `str.isprintable()` adds the no-break space
and the line separator. Such a server answers `bad_frame` to valid names, which tells an
attacker nothing about accounts but locks out every user whose name holds one of them.

One EKE1 per name (unknown names, a unique tag each, fresh loopback addresses; each
handshake is left pending, so it counts as a failure of that odd name only). The boundary
code points beside the control ranges (`~` before DEL, U+00A0 after C1) are in the list.
"""

from __future__ import annotations

import pytest

from conformance.eke_support import SourceAddresses, ghost_user, start_handshake
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame

# label -> a valid user name pattern ({t}: a unique tag); no C0, DEL or C1 in any.
_NAMES = {
    "tilde (U+007E, before DEL)": "~{t}~",
    "no-break space (U+00A0, after C1)": "a\u00a0b-{t}",
    "soft hyphen (U+00AD, Cf)": "a\u00adb-{t}",
    "left-to-right mark (U+200E, Cf)": "\u200eabc-{t}",
    "zero-width joiner (U+200D, Cf)": "\U0001f469\u200d\U0001f4bb-{t}",
    "zero-width no-break space (U+FEFF, Cf)": "x\ufeffy-{t}",
    "tag character (U+E0041, Cf)": "\U000e0041-{t}",
    "line separator (U+2028, Zl)": "a\u2028b-{t}",
    "private use (U+E000, Co)": "\ue000-{t}",
    "supplementary private use (U+F0000, Co)": "\U000f0000-{t}",
    "noncharacter (U+FDD0, Cn)": "\ufdd0-{t}",
    "unassigned (U+0378, Cn)": "\u0378-{t}",
    "combining mark first (U+0301, Mn)": "\u0301a-{t}",
}


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


@pytest.mark.req("EKE-HS-3")
def test_valid_user_names_beyond_the_controls_get_eke2(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    timeout = _timeout(eke_target)
    problems: list[str] = []
    for label, pattern in _NAMES.items():
        user = pattern.format(t=ghost_user().removeprefix("ghost-")[:8])
        assert len(user.encode("utf-8")) <= 64
        hs = start_handshake(
            eke_target, user, bytes(32), source=eke_sources.fresh(), timeout=timeout
        )
        try:
            event = hs.receive_eke2(timeout)
        finally:
            hs.close()
        if not (isinstance(event, ReceivedFrame) and event.type == b"EKE2"):
            problems.append(f"{label}: EKE1 of {user!r} answered {event.describe()}")
    if problems:
        raise ConformanceFailure.evidence(
            "EKE-HS-3/EKE-PW-1: EKE1s of unknown user names that hold no control character "
            "(C0, DEL, C1) but format, private-use, unassigned, separator or combining code "
            "points, each from a fresh address",
            "EKE2 for each: the name is valid (EKE-PW-1), so the server proceeds as for any "
            "unknown user (EKE-HS-3); bad_frame is for invalid names only (EKE-PW-5)",
            "\n".join(problems),
        )
