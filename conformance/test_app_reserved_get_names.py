"""A get never returns a temporary being written (docs/SPEC.md APP-NAME-9, second clause).

APP-NAME-9 reserves the `.sft-partial-` prefix: its first sentence refuses a PUT of such a
name (test_app_reserved_names.py); its second says what a GET of one gets: `forbidden` or
`not_found` — "it MUST NOT return the content of a temporary file being written". A
responder whose share is also its inbox (a common set-up) holds such temporaries; one that
enforces the reserve on the put path only (the inbox's business) serves the half-written
bytes of another peer's transfer to anyone who asks for them — and a responder cannot tell
a temporary from another file of that name, so every such name gets the refusal.

When the target declares its `share` and its `inbox` on the suite's host as one and the
same directory (the configuration where the clause bites; otherwise SKIP: a
`.sft-partial-*` file of a share that is not the inbox is nobody's temporary, and the SPEC
does not say a get of it must be refused), the case writes `.sft-partial-<random>` files
into it — one at the top, one in a
sub-directory (the rule is on the last component) — and keeps each open for writing, as
a receiver does, while it asks for them. Each answer must be `forbidden` or `not_found`
(non-fatal, ERR-2: the connection stays usable), never `RSFL` and the file's bytes.

Fixtures (conformance/plugin.py): `target` (each profile under test), `app_channel()`.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

PREFIX = ".sft-partial-"


def _share(target: Target) -> Path:
    require(target, "get")
    share, inbox = target.share, target.inbox
    if share is None or not share.is_dir():
        pytest.skip("the target declares no share on this host the suite can write to (`share`)")
    if inbox is None or not inbox.is_dir() or share.resolve() != inbox.resolve():
        # Where the share is not the inbox it holds no temporary of the responder's: a
        # file named .sft-partial-* there is just a file, and the SPEC does not say that
        # a get of it must be refused (only that a temporary must never be served).
        pytest.skip(
            "the target's share is not its inbox (`share`, `inbox`): it holds no temporary "
            "being written, and APP-NAME-9's get clause only concerns those"
        )
    return share


@contextlib.contextmanager
def _temporary_being_written(share: Path, relative: str, content: bytes) -> Iterator[None]:
    path = share / relative
    made_dir = None
    try:
        if not path.parent.exists():
            path.parent.mkdir()
            made_dir = path.parent
        handle = path.open("xb")
    except OSError as exc:
        pytest.skip(f"cannot write into the declared share: {exc}")
    try:
        handle.write(content)
        handle.flush()
        yield
    finally:
        handle.close()
        path.unlink(missing_ok=True)
        if made_dir is not None:
            with contextlib.suppress(OSError):
                made_dir.rmdir()


@pytest.mark.req("APP-NAME-9")
def test_a_get_of_a_temporary_name_is_refused(target: Target, app_channel: AppChannel) -> None:
    share = _share(target)
    content = b"half-written bytes of another peer's put " + secrets.token_hex(8).encode()
    names = {
        "top-level": PREFIX + secrets.token_hex(12),
        "in-directory": f"sft-conformance-{secrets.token_hex(4)}/{PREFIX}{secrets.token_hex(12)}",
    }
    with contextlib.ExitStack() as stack:
        for name in names.values():
            stack.enter_context(_temporary_being_written(share, name, content))
        channel = app_channel()
        for kind, name in names.items():
            channel.send_frame("RQFL", {"name": name})
            outcome = channel.expect(
                [ExpectError("forbidden", "not_found"), ExpectFrame("RSFL")]
            ).check(f"APP-NAME-9: RQFL {name!r} ({kind}), a temporary being written")
            if outcome.frame is not None and outcome.frame.type == b"RSFL":
                raise ConformanceFailure.evidence(
                    f"APP-NAME-9: RQFL {name!r} ({kind}): a .sft-partial- file of the share, "
                    "held open for writing",
                    "EROR forbidden or not_found (non-fatal)",
                    f"{outcome.frame.describe()}: the content of a temporary being written is "
                    "served",
                )
