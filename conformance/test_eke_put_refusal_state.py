"""sft-eke/1: a refused PUTF leaves nothing behind (docs/SPEC.md APP-PUT-8, APP-STORE-3,
APP-2, ERR-3).

A PUTF refused with a non-fatal `EROR` (`too_large`, `forbidden`, `exists`) returns the
connection to the idle state (ERR-3) as if the offer had never come. What an implementer
set up for the put BEFORE the check that refused it must be undone on that path too:

- a temporary file created before the size or name check (APP-STORE-3: on any failure
  the temporary is removed; a refused offer is a put that failed before its data);
- a "put in progress" reservation of the name taken before the size check (APP-PUT-8: a
  new PUTF of that name is judged as if the failed offer had never been made; nothing
  is in progress, nothing exists, so it is accepted and stored);
- the offer's announced `sha256` kept in the connection's state and checked against the
  next put, which announced none (APP-2: the next transfer is served as on a fresh
  connection).

Fixtures (conformance/plugin.py): `eke_target`, `eke_channel_factory`.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import fresh_name, put_file, require
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, Outcome

_PAYLOAD = b"the put after a refused offer\n"
# Seconds a temporary may take to go once the connection closed: APP-STORE-3 sets no
# moment, and a responder that removes its connection's temporaries when it sees the
# close does so a moment later (test_app_put_refusal_leftovers.py allows the same).
_LINGER = 2.0


def _channel(eke_target: Target, factory: Callable[..., EkeChannel]) -> EkeChannel:
    require(eke_target, "put")
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    return factory()


def _maximum(eke_target: Target) -> int:
    maximum = eke_target.limits.max_file_size
    if maximum >= 2**63 - 1:
        pytest.skip("the target's max_file_size leaves no size above it")
    return maximum


def _stored(final: Outcome | None) -> bool:
    return final is not None and final.frame is not None and final.frame.type == b"DONE"


def _store(channel: EkeChannel, name: str, context: str) -> None:
    answer, final = put_file(channel, name, _PAYLOAD)
    if not _stored(final):
        shown = answer.frame.describe() if answer.frame is not None else answer.describe()
        if final is not None:
            shown += "; then " + (
                final.frame.describe() if final.frame is not None else final.describe()
            )
        raise ConformanceFailure.evidence(
            context, f"RSFL accept, then DONE: {name!r} stored", shown
        )


def _refuse(channel: EkeChannel, offer: dict[str, object], code: str, context: str) -> None:
    channel.send_frame("PUTF", offer)
    channel.expect([ExpectError(code)]).check(context)


def _offers(eke_target: Target, stored: str) -> list[tuple[str, dict[str, object], str]]:
    """(case, PUTF payload, expected code) of offers the SPEC refuses before any data."""
    sha = hashlib.sha256(os.urandom(8)).hexdigest()  # a digest no put below has
    offers: list[tuple[str, dict[str, object], str]] = [
        ("forbidden", {"name": "../" + fresh_name("up"), "size": 8, "sha256": sha}, "forbidden"),
        (
            "reserved",
            {"name": ".sft-partial-" + os.urandom(6).hex(), "size": 8, "sha256": sha},
            "forbidden",
        ),
        ("exists", {"name": stored, "size": 8, "sha256": sha}, "exists"),
    ]
    maximum = eke_target.limits.max_file_size
    if maximum < 2**63 - 1:
        offers.insert(
            0,
            (
                "too_large",
                {"name": fresh_name("big"), "size": maximum + 1, "sha256": sha},
                "too_large",
            ),
        )
    return offers


@pytest.mark.req("APP-STORE-3", "APP-PUT-7", "APP-PUT-3", "APP-NAME-2", "APP-NAME-9")
def test_refused_offers_leave_no_temporary_file(
    eke_target: Target, eke_channel_factory: Callable[..., EkeChannel]
) -> None:
    """Offers refused before any data (too_large, forbidden, reserved prefix, exists), on
    one connection: afterwards the inbox holds no `.sft-partial-` file that was not there
    before (needs the target's `inbox`). A temporary created before the check that refuses
    the offer must be removed on that path too."""
    channel = _channel(eke_target, eke_channel_factory)
    inbox = eke_target.inbox
    if inbox is None:
        pytest.skip("the target declares no inbox directory (target-file key `inbox`)")
    stored = fresh_name("stored")
    _store(channel, stored, "the put whose name the `exists` offer repeats")
    before = {p.name for p in inbox.glob(".sft-partial-*")}
    for case, offer, code in _offers(eke_target, stored):
        _refuse(channel, offer, code, f"PUTF {case} {offer['name']!r} size={offer['size']}")
    _store(channel, fresh_name("after"), "a put after the refused offers")
    channel.close()
    deadline = time.monotonic() + _LINGER
    while True:
        left = sorted({p.name for p in inbox.glob(".sft-partial-*")} - before)
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.05)  # bounded polling: the responder reads the close first
    if left:
        raise ConformanceFailure.evidence(
            "APP-STORE-3: PUTFs refused before any data (too_large, forbidden, exists)",
            "no temporary file left in the inbox",
            f"left in {inbox} {_LINGER:g} s after the close: {left}",
        )


@pytest.mark.req("APP-PUT-8", "APP-PUT-7")
@pytest.mark.parametrize("where", ["same-connection", "new-connection"])
def test_name_of_a_too_large_offer_can_be_put(
    eke_target: Target, eke_channel_factory: Callable[..., EkeChannel], where: str
) -> None:
    """PUTF NAME with a size above the maximum (`too_large`), then PUTF NAME with a small
    size — on the same connection and on a new one: accepted and stored. The refused offer
    never was a put in progress; a reservation of NAME taken before the size check and
    never released answers `exists` here (APP-PUT-8)."""
    channel = _channel(eke_target, eke_channel_factory)
    maximum = _maximum(eke_target)
    name = fresh_name("again")
    _refuse(channel, {"name": name, "size": maximum + 1}, "too_large", f"PUTF {name!r} too large")
    if where == "new-connection":
        channel.close()
        channel = eke_channel_factory()
    answer, final = put_file(channel, name, _PAYLOAD)
    if not _stored(final):
        shown = answer.frame.describe() if answer.frame is not None else answer.describe()
        raise ConformanceFailure.evidence(
            f"APP-PUT-8: PUTF {name!r} size={len(_PAYLOAD)} after the same name was "
            f"refused too_large ({where})",
            "RSFL accept, then DONE: no put of that name is in progress or stored",
            shown + (f"; then {final.describe()}" if final is not None else ""),
        )


@pytest.mark.req("APP-2", "ERR-3", "APP-PUT-5")
def test_a_refused_offers_digest_is_not_kept(
    eke_target: Target, eke_channel_factory: Callable[..., EkeChannel]
) -> None:
    """On one connection: each refused offer announces a `sha256` (of other bytes); after
    each, a put WITHOUT `sha256` of other bytes must be stored. A server that keeps the
    refused offer's digest in the connection's state and checks the next put against it
    answers `integrity_failed` to an honest put."""
    channel = _channel(eke_target, eke_channel_factory)
    stored = fresh_name("stored")
    _store(channel, stored, "the put whose name the `exists` offer repeats")
    for case, offer, code in _offers(eke_target, stored):
        _refuse(channel, offer, code, f"PUTF {case} {offer['name']!r} with sha256")
        name = fresh_name(f"after-{case}")
        answer, final = put_file(channel, name, _PAYLOAD)
        if not _stored(final):
            shown = answer.frame.describe() if answer.frame is not None else answer.describe()
            if final is not None:
                shown += "; then " + (
                    final.frame.describe() if final.frame is not None else final.describe()
                )
            raise ConformanceFailure.evidence(
                f"APP-2: a put without sha256 after a PUTF refused {code} that announced "
                f"sha256={offer['sha256']}",
                "RSFL accept, then DONE (the refused offer's digest is not this put's)",
                shown,
            )
