"""The temporary-file prefix is reserved (docs/SPEC.md §3.5, APP-NAME-9).

A receiver writes incoming data under `.sft-partial-<random>` (APP-STORE-1) and sweeps
such files when it starts (APP-STORE-3). A put stored under a name with that prefix
would be deleted by the next sweep: data loss after a restart, with `DONE` already
sent. So a put whose last component starts with `.sft-partial-` is refused with
`forbidden`, whatever comes before it (a directory part is dropped, APP-PUT-2) and
whatever follows (nothing, hex that looks like a real temporary name, other text).
(Names that only resemble the prefix are not checked: a responder may refuse more
names than the spec lists, e.g. every dot-file, without contradicting it.)

Fixtures (conformance/plugin.py): `target` (each profile under test), `app_channel()`.
"""

from __future__ import annotations

import secrets

import pytest

from conformance._wire_fixtures import AppChannel, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

PREFIX = ".sft-partial-"

RESERVED = {
    "bare": PREFIX,
    "hex": PREFIX + secrets.token_hex(12),
    "text": PREFIX + f"report-{secrets.token_hex(4)}.pdf",
    "in-directory": "sub/" + PREFIX + secrets.token_hex(12),
}


@pytest.mark.req("APP-NAME-9", "APP-PUT-1")
def test_put_under_the_temporary_prefix_is_forbidden(
    target: Target, app_channel: AppChannel
) -> None:
    """Every reserved form, on one connection: `forbidden` (non-fatal), nothing stored."""
    require(target, "put")
    channel = app_channel()
    accepted: list[str] = []
    for kind, name in RESERVED.items():
        channel.send_frame("PUTF", {"name": name, "size": 5})
        outcome = channel.expect(
            [ExpectError("forbidden"), ExpectFrame("RSFL", {"accept": True})]
        ).check(f"APP-NAME-9: PUTF {name!r} ({kind})")
        if outcome.frame is not None and outcome.frame.type == b"RSFL":
            accepted.append(f"{name!r} ({kind})")
            # Finish the accepted put cleanly so the next offer is judged on its own.
            channel.send_frame("DATA", b"12345")
            channel.send_frame(
                "DONE",
                {
                    "size": 5,
                    "sha256": "5994471abb01112afcc18159f6cc74b4f511b99806da59b3caf5a9c173cacfc5",
                },
            )
            channel.expect([ExpectFrame("DONE"), ExpectError()]).check("the accepted put")
    stored: list[str] = []
    if target.inbox is not None:
        ours = {name.rsplit("/", 1)[-1] for name in RESERVED.values()}
        stored = sorted(p.name for p in target.inbox.iterdir() if p.name in ours)
    if accepted or stored:
        raise ConformanceFailure.evidence(
            "APP-NAME-9: puts whose last component starts with .sft-partial-",
            "forbidden (the prefix is reserved for temporary files, which the receiver "
            "sweeps when it starts: a file committed under it would be deleted)",
            f"accepted: {', '.join(accepted) or 'none'}; stored in the inbox: "
            f"{', '.join(stored) or 'none seen'}",
        )

