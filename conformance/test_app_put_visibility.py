"""What a put leaves in the inbox before it is verified and after it failed (docs/SPEC.md
§3.4 APP-PUT-5/8, §3.6 APP-STORE-2/3).

Acknowledged before done, visible before verified, seen from the inbox itself (the target
declares its `inbox` on the suite's own host):

- A put whose every announced byte has arrived is not verified yet: its DONE (size and
  SHA-256) decides. A responder that publishes the final name as soon as the last
  announced byte is written ("DONE is a formality") and removes it again if the DONE
  disagrees shows the unverified file to every reader of the inbox meanwhile
  (APP-STORE-2: the rename comes only after verification). Here all the data is sent, the
  DONE withheld, and the inbox watched for a moment: the final name MUST NOT appear. Then
  a DONE with the wrong digest: `integrity_failed`, and nothing under the final name.
- The put that loses a race for one name is answered `exists` instead of its DONE, a
  non-fatal answer: its connection lives on (APP-PUT-8, ERR-3). Its temporary file MUST
  go with the failure (APP-STORE-3), not only when that connection ends. Here the
  temporary holding the loser's bytes must be gone while its connection stays open (a
  moment's grace is given: the SPEC sets no deadline finer than "on failure").

Both profiles.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError, ExpectFrame

_PARTIAL_PREFIX = ".sft-partial-"
# How long the inbox is watched: a responder writes what arrived within milliseconds; a
# bounded observation window, not a synchronisation (nothing is awaited).
_WATCH = 1.0
_POLL = 0.02


def _inbox(target: Target) -> Path:
    require(target, "put")
    inbox = target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    return inbox


def _temporaries_holding(inbox: Path, data: bytes) -> list[str]:
    """The inbox's temporaries whose content is exactly `data` (random: only ours)."""
    found = []
    for entry in inbox.iterdir():
        if not entry.name.startswith(_PARTIAL_PREFIX):
            continue
        try:
            if entry.is_file() and entry.stat().st_size == len(data) and entry.read_bytes() == data:
                found.append(entry.name)
        except OSError:
            continue  # removed meanwhile
    return found


@pytest.mark.req("APP-STORE-2", "APP-PUT-5")
def test_final_name_does_not_appear_before_done_is_verified(
    target: Target, app_channel: AppChannel
) -> None:
    """All announced bytes sent, DONE withheld: no final name for `_WATCH` seconds; then
    a DONE with a wrong digest: integrity_failed, and still no final name."""
    inbox = _inbox(target)
    size = 4096
    if target.limits.max_file_size < size:
        pytest.skip("the target's max file size is below the case's 4096 bytes")
    name = fresh_name()
    data = secrets.token_bytes(size)
    final = inbox / name
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": size})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r}")
    channel.send_frame("DATA", data)
    end = time.monotonic() + min(_WATCH, target.limits.idle_timeout / 2)
    while time.monotonic() < end:  # bounded observation window
        if final.exists() or final.is_symlink():
            failure = ConformanceFailure.evidence(
                f"APP-STORE-2: a put of {name!r}: all {size} announced bytes sent, DONE not yet",
                "nothing under the final name until DONE's size and SHA-256 are verified",
                f"{final} exists ({final.stat().st_size} bytes) before the DONE was sent",
            )
            failure.violates = ("APP-STORE-2",)
            raise failure
        time.sleep(_POLL)
    wrong = hashlib.sha256(data + b"!").hexdigest()
    channel.send_frame("DONE", {"size": size, "sha256": wrong})
    channel.expect([ExpectError("integrity_failed"), ExpectClose()]).check(
        f"APP-PUT-5: DONE of {name!r} with a SHA-256 that is not its data's"
    )
    if final.exists() or final.is_symlink():
        failure = ConformanceFailure.evidence(
            f"APP-PUT-5: a put of {name!r} whose DONE carries a wrong SHA-256",
            "integrity_failed, and nothing under the final name",
            f"{final} exists after the refusal",
        )
        failure.violates = ("APP-PUT-5",)
        raise failure


@pytest.mark.req("APP-STORE-3", "APP-PUT-8")
def test_loser_of_a_put_race_leaves_no_temporary_while_its_connection_lives(
    target: Target, app_channel: AppChannel
) -> None:
    """Two puts of one name, both accepted; the first stores it, the second's DONE is
    answered `exists`: the second's temporary (the only file holding its random bytes) is
    removed, its connection still open."""
    inbox = _inbox(target)
    name = fresh_name()
    one, two = app_channel(), app_channel()
    first, second = secrets.token_bytes(3000), secrets.token_bytes(3000)
    one.send_frame("PUTF", {"name": name, "size": len(first)})
    one.expect([ExpectFrame("RSFL", {"accept": True})]).check("the first PUTF")
    two.send_frame("PUTF", {"name": name, "size": len(second)})
    answer = two.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError("exists")])
    answer.check("APP-PUT-8: a second PUTF of a name whose put is in progress")
    if answer.frame is not None and answer.frame.type == b"EROR":
        pytest.skip("the responder answers `exists` at PUTF: no put loses at its DONE here")
    one.send_frame("DATA", first)
    two.send_frame("DATA", second)
    one.send_frame("DONE", {"size": len(first), "sha256": hashlib.sha256(first).hexdigest()})
    one.expect([ExpectFrame("DONE")]).check("APP-PUT-8: the put verified first is stored")
    two.send_frame("DONE", {"size": len(second), "sha256": hashlib.sha256(second).hexdigest()})
    two.expect([ExpectError("exists")]).check("APP-PUT-8: the later put of the name, at DONE")
    end = time.monotonic() + min(_WATCH, target.limits.idle_timeout / 2)
    left = _temporaries_holding(inbox, second)
    while left and time.monotonic() < end:  # a moment's grace, bounded
        time.sleep(_POLL)
        left = _temporaries_holding(inbox, second)
    if left:
        failure = ConformanceFailure.evidence(
            f"APP-STORE-3: the put of {name!r} that lost the race, answered `exists` at DONE",
            "its temporary removed with the failure (its connection stays open: `exists` is "
            "non-fatal)",
            f"{', '.join(left)} still holds its {len(second)} bytes "
            f"{_WATCH:g} s after the answer, the connection open",
        )
        failure.violates = ("APP-STORE-3",)
        raise failure
