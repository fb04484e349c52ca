"""A put's `DONE` whose `sha256` carries the right digest in a wrong FORM is refused
(docs/SPEC.md §1 FRM-12, FRM-16; §3.4 APP-PUT-5); both profiles.

"`sha256` members MUST be exactly 64 lowercase hexadecimal characters" (FRM-12), and
FRM-16 names the case: "a `DONE` whose `size` or `sha256` is ... not of the form FRM-11 /
FRM-12 give (upper-case hex, a line end after the digits)" is answered `bad_frame`, or
`integrity_failed` (nothing it announces can match the bytes) — fatal either way, and
the put is not stored. test_app_putf_digest_forms.py judges the forms of `PUTF.sha256`;
this file judges the `DONE` that ends the put, where a responder that parses the digest
leniently ("initiators paste `sha256sum` output") takes the first white-space separated
word, strips it, lower-cases it or drops a `0x` — and stores a put whose receipt no
conforming initiator would have written.

Each form is built from the RIGHT digest of the bytes sent, so only the form is wrong:
a trailing line end, `sha256sum`'s "<hex>  -" and "<hex>  NAME" lines, a leading space,
upper case, a `0x` prefix, 63 and 65 digits. Each on its own connection: PUTF accepted,
the bytes, the `DONE`: `EROR bad_frame` or `integrity_failed`, then the close; then an
honest put of the same name on a new connection is accepted and stored (nothing was).
Fixtures (conformance/plugin.py): `target`, `app_channel()`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectFrame

__all__: list[str] = []

_FORMS: Final[dict[str, Callable[[str, str], str]]] = {
    "a trailing line end": lambda d, n: d + "\n",
    "sha256sum's line for stdin": lambda d, n: d + "  -",
    "sha256sum's line for the file": lambda d, n: f"{d}  {n}",
    "a leading space": lambda d, n: " " + d,
    "upper case": lambda d, n: d.upper(),
    "a 0x prefix": lambda d, n: "0x" + d,
    "63 digits": lambda d, n: d[:63],
    "65 digits": lambda d, n: d + "0",
}


@pytest.mark.req("FRM-16", "FRM-12", "APP-PUT-5")
@pytest.mark.parametrize("form", sorted(_FORMS))
def test_done_digest_in_a_wrong_form_is_refused(
    target: Target, app_channel: AppChannel, form: str
) -> None:
    require(target, "put")
    content = os.urandom(1500)
    name = fresh_name("sft-done-form")
    digest = hashlib.sha256(content).hexdigest()
    sent = _FORMS[form](digest, name)
    channel = app_channel()
    try:
        channel.send_frame("PUTF", {"name": name, "size": len(content)})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"FRM-16: PUTF {name!r}")
        channel.send_frame("DATA", content)
        channel.send_frame("DONE", {"size": len(content), "sha256": sent})
        expect_fatal(
            channel,
            "bad_frame",
            "integrity_failed",
            context=f"FRM-16: a put of {len(content)} bytes whose DONE carries their right "
            f"digest as {form}: {sent!r}",
            violates=("FRM-16", "FRM-12", "APP-PUT-5"),
        )
    finally:
        channel.close()
    honest = app_channel()
    try:
        answer, final = put_file(honest, name, b"the honest put after a refused DONE")
    finally:
        honest.close()
    if (
        answer.frame is None
        or answer.frame.type != b"RSFL"
        or final is None
        or final.frame is None
        or final.frame.type != b"DONE"
    ):
        got = answer.describe() if final is None else f"{answer.describe()}; {final.describe()}"
        failure = ConformanceFailure.evidence(
            f"APP-PUT-5: after a put refused for its DONE's digest as {form}",
            f"an honest put of {name!r} on a new connection is accepted and stored: the "
            "refused put stored nothing",
            got,
        )
        failure.violates = ("APP-PUT-5", "FRM-16")
        raise failure
