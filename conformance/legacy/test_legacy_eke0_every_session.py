"""Profile eke-legacy: every session serves the same file, its length and its SHA-1 (§7.3.3).

The server serves one fixed file (§7.3.3: "there is no file name on the wire"): message 19
is ASCII(its length), message 22 its bytes and message 24 the SHA-1 of exactly those
bytes (LEG-EKE-FMT-5) — in every session, the tenth as the first. The format case
(test_the_seed_exchange_end_to_end) checks 19, 22 and 24 in ONE session; the later
sessions other cases run are not read for them. A server can pass it and still get a
later session wrong with state kept from an earlier one:
- one SHA-1 object for the process (a module-level hash, a static `MessageDigest`, a
  digest context in a struct) fed by every session and read with `copy()` / without a
  reset: the second session's message 24 covers both files;
- an open file handle or a read position kept from the first session: a later message
  22 is empty or the tail of the file (its length and digest then agree with nothing);
- a byte count or a digest cached from the first session and sent again.
Here: a session on a new connection, a second session on that connection after message
24 (§7.3.3: the server then waits for message 1 again), then a session on another new
connection. Each MUST carry the first session's file, with message 19 its length and
message 24 its SHA-1 (lower-case hex). A one-shot server that refuses the next connection
is judged on what it served.
"""

from __future__ import annotations

import hashlib

import pytest

from conformance.legacy import eke0
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.stream import Closed, TargetGone, TimedOut

pytestmark = pytest.mark.xdist_group("eke-legacy")


def _session(client: eke0.EkeClient, user: bytes) -> tuple[bytes, bytes, bytes] | str:
    """(message 19, message 22, message 24) of one full session; what stopped it else."""
    try:
        answer = client.login(user)
        if answer != b"Authenticated":
            return f"the account's password was answered {answer!r}"
        client.group()
        client.exchange()
        client.confirm()
        client.transfer()
    except (Closed, TimedOut) as exc:
        client.at_rest = False
        return f"{exc!r} after server messages {sorted(client.got)}"
    except AssertionError as exc:
        client.at_rest = False
        return f"{exc}"
    return client.got[19], client.got[22], client.got[24]


@pytest.mark.req("LEG-EKE-FMT-5")
def test_every_session_serves_the_file_its_length_and_its_sha1(
    eke_legacy: LegacyEkeTarget,
) -> None:
    user, password = eke_legacy.user.encode(), eke_legacy.password.encode()
    first = eke0.EkeLink(eke_legacy.host, eke_legacy.port, password)
    other = eke0.EkeLink(eke_legacy.host, eke_legacy.port, password)
    served: list[tuple[str, tuple[bytes, bytes, bytes]]] = []
    stopped = ""
    try:
        for link in (first, first, other):
            if link is other:
                first.release()  # one connection at a time is the seed's (LEG-EKE-12)
            before = link.connections
            try:
                with link.session() as client:
                    got = _session(client, user)
            except TargetGone as exc:
                got = f"{exc}"
            if link is first and served:
                where = (
                    "the same connection, after message 24"
                    if link.connections == before
                    else "a new connection (the server had closed the first)"
                )
            else:
                where = "a new connection" if link is first else "another new connection"
            if isinstance(got, str):
                stopped = f"the session on {where}: {got}"
                break
            served.append((where, got))
    finally:
        first.release()
        other.release()
    if not served:
        pytest.skip(f"not judged: no session was served ({stopped}); the format cases say how")
    data = served[0][1][1]
    wrong = []
    for i, (where, (m19, m22, m24)) in enumerate(served):
        sha1 = hashlib.sha1(m22, usedforsecurity=False).hexdigest().encode()
        problems = []
        if m19 != str(len(m22)).encode():
            problems.append(f"message 19 is {m19!r} for the {len(m22)} bytes of message 22")
        if m24 != sha1:
            problems.append(f"message 24 is {m24!r}, not the SHA-1 of message 22 ({sha1.decode()})")
        if i and m22 != data:
            problems.append(
                f"message 22 is {len(m22)} bytes, not the first session's {len(data)} bytes"
                + (" (their tail)" if m22 and data.endswith(m22) else "")
            )
        if eke_legacy.known_file is not None and not eke_legacy.known_file.matches(m22):
            problems.append("message 22 is not the file declared in the target file")
        if problems:
            wrong.append(f"session {i + 1} (on {where}): " + "; ".join(problems))
    assert not wrong, (
        "LEG-EKE-FMT-5 (message 22 is exactly the bytes announced in 19, and 24 the SHA-1 of "
        f"them; the server serves one fixed file): {len(served)} sessions served"
        + (f" (then {stopped})" if stopped else "")
        + ": "
        + "; ".join(wrong)
    )
