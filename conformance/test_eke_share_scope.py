"""sft-eke/1: a get is answered from the share and from nothing else (SPEC §3.3, §3.5
APP-NAME-4).

The responder holds two directories: the share it serves and the inbox puts go to. A
responder that looks a name up in the inbox when the share has no such file ("a file
just uploaded can be fetched back"), or that mixes the two paths up, serves a file from
outside the share: APP-NAME-4 asks the name to be resolved inside the share. The case
needs a target whose share and inbox are two separate directories on the suite's host
(the `share` and `inbox` target-file keys; the embedded reference declares both).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import fresh_name
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

ChannelFactory = Callable[..., EkeChannel]


def _separate_dirs(target: Target) -> tuple[Path, Path]:
    if target.share is None or target.inbox is None:
        pytest.skip("the target declares no share and inbox directories (target-file keys)")
    share, inbox = target.share.resolve(), target.inbox.resolve()
    if not (share.is_dir() and inbox.is_dir()):
        pytest.skip("the declared share or inbox is not a directory on this host")
    if share == inbox or inbox.is_relative_to(share) or share.is_relative_to(inbox):
        pytest.skip("the target's share and inbox are not two separate directories")
    return share, inbox


@pytest.mark.req("APP-NAME-4")
def test_a_file_in_the_inbox_is_not_served(
    eke_target: Target, eke_channel_factory: ChannelFactory
) -> None:
    """A file that exists only in the inbox (written there by the suite, as a put would
    leave it) is asked for by its name: the answer is a non-fatal refusal (`not_found`,
    the share has no such file; `forbidden` conforms too), never its content."""
    share, inbox = _separate_dirs(eke_target)
    name = fresh_name("sft-inbox-only")
    if (share / name).exists():
        pytest.skip(f"{name!r} exists in the share")
    content = b"in the inbox, not in the share: must not be served " + secrets.token_bytes(16)
    path = inbox / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        channel = eke_channel_factory()
        channel.send_frame("RQFL", {"name": name})
        outcome = channel.expect(
            [ExpectError("not_found", "forbidden", then_close=False), ExpectFrame("RSFL")]
        )
        if outcome.frame is not None and outcome.frame.type == b"RSFL":
            raise ConformanceFailure(
                f"RQFL {name!r}: a name held only by the inbox ({inbox}), not by the share "
                f"({share})\n"
                "Expected: EROR not_found (or forbidden)\n"
                f"Actual:   {outcome.frame.describe()}\n"
                "APP-NAME-4: the name is resolved inside the share; a file outside it, the "
                "inbox's included, is never served.",
                violates=("APP-NAME-4",),
            )
        outcome.check(f"RQFL {name!r} (in the inbox only)")
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
