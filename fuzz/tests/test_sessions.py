"""Sessions of many requests on one connection: pacing, the early-close oracle, the
saved case (the connection's requests up to the last one sent) and the old format."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.target import Target
from conformance.wire import control, frame_bytes
from fuzz.campaign import Fuzzer, run_campaign
from fuzz.cases import Case, Write, load_case, save_case
from fuzz.runner import (
    PACING_WINDOW,
    ChannelsAhead,
    RunConfig,
    _still_open,
    answers_owed,
    run_case,
)
from fuzz.tests.fake_target import FILE_BYTES, FILE_NAME, Bugs, FakeEkeServer


@pytest.fixture
def fake(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    server = FakeEkeServer(getattr(request, "param", Bugs()))
    share = tmp_path / "share"
    share.mkdir()
    (share / FILE_NAME).write_bytes(FILE_BYTES)
    yield server.target().with_changes(share=share)
    server.close()


def _get(name: str) -> Write:
    return Write(frame_bytes("RQFL", control({"name": name})))


def _session(*requests: tuple[Write, ...]) -> Case:
    writes = tuple(w for r in requests for w in r)
    return Case("eke", "channel", writes, requests=tuple(len(r) for r in requests))


def test_answers_owed_counts_requests_and_gives_up_on_what_it_cannot_know() -> None:
    put = (
        Write(frame_bytes("PUTF", control({"name": "a", "size": 1}))),
        Write(frame_bytes("DATA", b"x")),
        Write(frame_bytes("DONE", control({"size": 1, "sha256": "0" * 64}))),
    )
    assert answers_owed(put, tls_stream=True) == 2
    assert answers_owed(put, tls_stream=False) == 2
    assert answers_owed((_get("x"), _get("y")), tls_stream=True) == 2
    truncated = Write(_get("x").data[:-1])
    assert answers_owed((truncated,), tls_stream=True) is None
    assert answers_owed((Write(frame_bytes("BYE_", b"{}")),), tls_stream=True) is None
    assert answers_owed((Write(_get("x").data, seal="flip_tag"),), tls_stream=False) is None
    # Over EKE one record holds exactly one frame: two in one record are unknown.
    assert answers_owed((Write(_get("x").data * 2),), tls_stream=False) is None


def test_a_case_with_requests_round_trips_and_old_cases_stay_one_request(
    tmp_path: Path,
) -> None:
    case = _session((_get("a"),), (_get("b"), _get("c")))
    assert load_case(save_case(case, tmp_path)) == case
    assert case.first_requests(1).writes == (_get("a"),)
    old = Case("eke", "channel", (_get("a"), _get("b")))
    assert "requests" not in old.to_json() and old.request_count == 1
    with pytest.raises(ValueError):
        Case("eke", "channel", (_get("a"),), requests=(2,))


def test_a_long_session_is_paced_and_every_request_is_answered(fake: Target) -> None:
    count = 3 * PACING_WINDOW + 1
    case = _session(*[(_get(FILE_NAME if i % 2 else f"missing-{i}"),) for i in range(count)])
    out = run_case(fake, case, RunConfig(deadline=2.0))
    assert out.requests_sent == count and out.closed and not out.hung
    assert out.frame_types().count("EROR") == (count + 1) // 2
    assert out.frame_types().count("DONE") == count // 2


def test_a_fatal_error_ends_the_session_and_the_rest_is_not_sent(fake: Target) -> None:
    bad = Write(frame_bytes("ZZZZ", b"{}"))
    after = [(_get(f"x{i}"),) for i in range(2 * PACING_WINDOW)]
    case = _session(*[(_get(f"m{i}"),) for i in range(PACING_WINDOW - 1)], (bad,), *after)
    out = run_case(fake, case, RunConfig(deadline=2.0))
    # The window slides by half: at most that many requests follow the fatal one before
    # its EROR is read, then nothing more is sent.
    assert PACING_WINDOW <= out.requests_sent <= PACING_WINDOW + PACING_WINDOW // 2
    assert out.closed_early_after is None
    assert out.frame_types()[-1] == "EROR"


@pytest.mark.parametrize("fake", [Bugs(close_after_not_found=True)], indirect=True)
def test_a_close_after_a_non_fatal_error_is_found_and_saved_up_to_that_request(
    fake: Target, tmp_path: Path
) -> None:
    fuzzer = Fuzzer(fake, RunConfig(deadline=1.0, setup_timeout=5.0), liveness_every=0)
    result = run_campaign(
        fuzzer,
        ("channel",),
        max_examples=60,
        budget_seconds=60.0,
        seed_value=2024,
        findings=tmp_path / "findings",
        max_requests=8,
    )
    assert "[APP-2]" in result.failure and result.saved is not None, result.failure
    case = load_case(result.saved)
    assert "APP-2" in case.requirements and case.requests
    # Replay reproduces it: the saved requests carry the state.
    _outcome, violations = Fuzzer(fake, RunConfig(deadline=1.0)).run(case)
    assert any(v.requirement == "APP-2" for v in violations)


def test_an_honest_target_survives_sessions_and_requests_outnumber_them(fake: Target) -> None:
    fuzzer = Fuzzer(fake, RunConfig(deadline=1.0, setup_timeout=5.0), liveness_every=5)
    result = run_campaign(
        fuzzer, ("channel",), max_examples=20, budget_seconds=60.0, seed_value=99, findings=None
    )
    assert result.ok, result.failure
    stats = fuzzer.stats
    assert stats.mutated_sessions == 20 and stats.requests > stats.mutated_sessions


def test_a_channel_established_ahead_carries_the_next_case_unless_it_is_stale(
    fake: Target,
) -> None:
    config = RunConfig(deadline=2.0, setup_timeout=5.0)
    ahead = ChannelsAhead(fake, config)
    case = _session((_get(FILE_NAME),), (_get("missing"),))
    try:
        assert ahead.take() is None  # nothing ahead yet: the case opens its own
        out = run_case(fake, case, config, ahead)
        assert ahead.taken == 1 and out.requests_sent == 2 and out.closed and not out.hung
        assert out.frame_types().count("DONE") == 1 and out.frame_types().count("EROR") == 1
        # Idle for longer than allowed: discarded, the case opens a fresh channel.
        ahead.max_idle = 0.0
        out = run_case(fake, case, config, ahead)
        assert (ahead.taken, ahead.discarded) == (1, 1) and out.requests_sent == 2
    finally:
        ahead.close()


def test_a_channel_the_target_closed_is_not_taken() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.settimeout(3.0)
        assert _still_open(ours)
        theirs.close()
        assert not _still_open(ours)
        assert ours.gettimeout() == 3.0  # the peek leaves later waits bounded
