"""Oracles stay quiet on honest behaviour and fire, with the right requirement, on bugs.

Pure oracle checks use hand-built outcomes; the end-to-end checks run the fuzzer
against `fake_target.FakeEkeServer` and its mutants (bugs switched on in the test).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.target import Target
from conformance.wire import ReceivedFrame, control, error_payload, frame_bytes
from fuzz import oracles as o
from fuzz.campaign import Fuzzer
from fuzz.cases import Case, Write
from fuzz.oracles import ResourceProbe, ResourceSample
from fuzz.runner import Outcome, RunConfig
from fuzz.tests.fake_target import FILE_BYTES, FILE_NAME, Bugs, FakeEkeServer

RQFL = frame_bytes("RQFL", control({"name": FILE_NAME}))
SHA = hashlib.sha256(FILE_BYTES).hexdigest()


def _frame(ftype: str, payload: bytes) -> ReceivedFrame:
    return ReceivedFrame(ftype.encode(), payload)


def _get_reply(body: bytes, announced: int | None = None, digest: str = SHA) -> list[ReceivedFrame]:
    size = len(body) if announced is None else announced
    return [
        _frame("RSFL", control({"name": FILE_NAME, "size": size})),
        _frame("DATA", body),
        _frame("DONE", control({"size": size, "sha256": digest})),
    ]


def _outcome(frames: list[ReceivedFrame], *writes: Write, **kw: object) -> Outcome:
    case = Case("eke", "channel", writes or (Write(RQFL),))
    out = Outcome(case, frames=frames, closed=True, close_kind="eof")
    for key, value in kw.items():
        setattr(out, key, value)
    return out


SECRETS = o.Secrets(files={FILE_NAME: FILE_BYTES}, passwords=("correct horse",))


def test_an_honest_get_passes_every_oracle() -> None:
    assert o.check_outcome(_outcome(_get_reply(FILE_BYTES)), SECRETS, 1.0) == []


def test_a_get_with_other_bytes_breaks_app_get_2() -> None:
    bad = FILE_BYTES[:-1] + b"?"
    found = o.gets_intact(
        _outcome(_get_reply(bad, digest=hashlib.sha256(bad).hexdigest())), SECRETS
    )
    assert [v.requirement for v in found] == ["APP-GET-2"]
    found = o.gets_intact(_outcome(_get_reply(FILE_BYTES, digest="0" * 64)), SECRETS)
    assert found and found[0].requirement == "APP-GET-2"


def test_more_data_than_announced_breaks_app_get_4() -> None:
    found = o.gets_intact(_outcome(_get_reply(FILE_BYTES, announced=3)), SECRETS)
    assert "APP-GET-4" in [v.requirement for v in found]


def test_a_hang_breaks_lim_5() -> None:
    assert [v.requirement for v in o.no_hang(_outcome([], hung=True), 2.0)] == ["LIM-5"]


def test_frames_after_a_fatal_error_break_err_3() -> None:
    frames = [_frame("EROR", error_payload("bad_frame")), *_get_reply(FILE_BYTES)]
    assert [v.requirement for v in o.fatal_then_close(_outcome(frames))] == ["ERR-3"]
    frames = [_frame("EROR", error_payload("not_found")), *_get_reply(FILE_BYTES)]
    assert o.fatal_then_close(_outcome(frames)) == []


def test_acting_on_a_tampered_record_breaks_eke_rec_4() -> None:
    tampered = Write(RQFL, seal="flip_tag")
    assert o.tampered_not_accepted(_outcome(_get_reply(FILE_BYTES), Write(RQFL), tampered)) == []
    found = o.tampered_not_accepted(_outcome(_get_reply(FILE_BYTES), tampered))
    assert [v.requirement for v in found] == ["EKE-REC-4"]


def test_secrets_in_clear_or_in_errors_are_found() -> None:
    leak = _outcome([], clear_bytes=b"EKE2..." + FILE_BYTES[20:60])
    assert [v.requirement for v in o.nothing_secret_in_clear(leak, SECRETS)] == ["EKE-SEC-2"]
    err = _frame("EROR", error_payload("bad_frame", "password correct horse"))
    assert [v.requirement for v in o.nothing_secret_in_clear(_outcome([err]), SECRETS)] == ["ERR-5"]


def test_a_put_acknowledged_despite_a_lying_done_breaks_app_put_5() -> None:
    content = b"abcdef"
    digest = hashlib.sha256(content).hexdigest()
    writes = (
        Write(frame_bytes("PUTF", control({"name": "p", "size": 6}))),
        Write(frame_bytes("DATA", content)),
        Write(frame_bytes("DONE", control({"size": 7, "sha256": digest}))),
    )
    ack = [
        _frame("RSFL", control({"accept": True, "name": "p"})),
        _frame("DONE", control({"size": 6, "sha256": digest})),
    ]
    found = o.puts_acknowledged_honestly(_outcome(ack, *writes), tls_stream=False)
    assert [v.requirement for v in found] == ["APP-PUT-5"]
    honest = (*writes[:2], Write(frame_bytes("DONE", control({"size": 6, "sha256": digest}))))
    assert o.puts_acknowledged_honestly(_outcome(ack, *honest), tls_stream=False) == []


def test_resource_growth_is_judged_against_the_baseline(tmp_path: Path) -> None:
    base = ResourceSample(10_000, 4, 10)
    assert ResourceProbe.growth(base, ResourceSample(20_000, 6, 20)) == []
    grown = ResourceProbe.growth(base, ResourceSample(200_000, 40, 100))
    assert {v.requirement for v in grown} == {"LIM-5", "LIM-6"}
    # The probe reads /proc/PID/status and /proc/PID/fd (here: a fake /proc).
    proc = tmp_path / "123"
    (proc / "fd").mkdir(parents=True)
    (proc / "status").write_text("Name:\tx\nVmRSS:\t  5120 kB\nThreads:\t3\n")
    for i in range(4):
        (proc / "fd" / str(i)).touch()
    assert ResourceProbe(123, tmp_path).sample() == ResourceSample(5120, 3, 4)


# --- end to end against the fake target and its mutants ------------------------------------


@pytest.fixture
def fake(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[FakeEkeServer, Target]]:
    bugs = getattr(request, "param", Bugs())
    server = FakeEkeServer(bugs)
    share = tmp_path / "share"
    share.mkdir()
    (share / FILE_NAME).write_bytes(FILE_BYTES)
    yield server, server.target().with_changes(share=share)
    server.close()


def _run(target: Target, *writes: Write, stage: str = "channel") -> list[str]:
    fuzzer = Fuzzer(target, RunConfig(deadline=1.0, setup_timeout=5.0))
    _out, violations = fuzzer.run(Case("eke", stage, writes))  # type: ignore[arg-type]
    return sorted({v.requirement for v in violations})


def test_the_honest_fake_target_passes(fake: tuple[FakeEkeServer, Target]) -> None:
    _server, target = fake
    assert _run(target, Write(RQFL), Write(RQFL, seal="flip_tag")) == []
    assert _run(target, Write(b"RQFL\x00\x00\x00"), stage="connect") == []
    assert _run(target, Write(frame_bytes("EKE3", control({"c": "00" * 80}))), stage="eke2") == []


@pytest.mark.parametrize("fake", [Bugs(act_on_bad_record=True)], indirect=True)
def test_a_target_acting_on_tampered_records_is_caught(fake: tuple[FakeEkeServer, Target]) -> None:
    assert "EKE-REC-4" in _run(fake[1], Write(RQFL, seal="flip_tag"))


@pytest.mark.parametrize("fake", [Bugs(hang_on_bad_frame=True)], indirect=True)
def test_a_target_that_hangs_is_caught(fake: tuple[FakeEkeServer, Target]) -> None:
    assert "LIM-5" in _run(fake[1], Write(frame_bytes("ZZZZ", b"")))


@pytest.mark.parametrize("fake", [Bugs(leak_in_error=True)], indirect=True)
def test_a_target_leaking_the_file_in_errors_is_caught(fake: tuple[FakeEkeServer, Target]) -> None:
    assert "ERR-5" in _run(fake[1], Write(frame_bytes("ZZZZ", b"")))


@pytest.mark.parametrize("fake", [Bugs(wrong_bytes=True)], indirect=True)
def test_a_target_serving_other_bytes_is_caught(fake: tuple[FakeEkeServer, Target]) -> None:
    assert "APP-GET-2" in _run(fake[1], Write(RQFL))


@pytest.mark.parametrize("fake", [Bugs(crash_on_dup=True)], indirect=True)
def test_a_dead_listener_is_caught_by_liveness(fake: tuple[FakeEkeServer, Target]) -> None:
    assert "LIM-5" in _run(fake[1], Write(RQFL), Write(RQFL))


def test_a_deeply_nested_request_after_an_acknowledged_put_is_judged() -> None:
    # Found by a ci campaign (the oracle crashed with RecursionError): an honest put,
    # acknowledged, then an RQFL whose JSON the json_abuse mutator nested 10,000 deep.
    content = b"abcdef"
    digest = hashlib.sha256(content).hexdigest()
    writes = (
        Write(frame_bytes("PUTF", control({"name": "p", "size": 6}))),
        Write(frame_bytes("DATA", content)),
        Write(frame_bytes("DONE", control({"size": 6, "sha256": digest}))),
        Write(frame_bytes("RQFL", b'{"name":' + b"[" * 10_000 + b"]" * 10_000 + b"}")),
    )
    ack = [
        _frame("RSFL", control({"accept": True, "name": "p"})),
        _frame("DONE", control({"size": 6, "sha256": digest})),
        _frame("EROR", error_payload("bad_frame")),
    ]
    out = _outcome(ack, *writes)
    assert o.puts_acknowledged_honestly(out, tls_stream=False) == []
    assert o.check_outcome(out, SECRETS, 5.0) == []


def test_a_put_too_deep_for_python_that_a_responder_reads_is_not_blamed() -> None:
    # FRM-9 lets a responder read valid JSON nested 10,000 deep (Go's and Node's parsers
    # do): its acknowledgement of that put is not "a SHA-256 of no data sent". A lying
    # acknowledgement of an earlier, parsed put is still judged.
    content = b"abcdef"
    digest = hashlib.sha256(content).hexdigest()
    deep = b'{"name":"q","size":6,"x":' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    writes = (
        Write(frame_bytes("PUTF", deep)),
        Write(frame_bytes("DATA", content)),
        Write(frame_bytes("DONE", control({"size": 6, "sha256": digest}))),
    )
    ack = [
        _frame("RSFL", control({"accept": True, "name": "q"})),
        _frame("DONE", control({"size": 6, "sha256": digest})),
    ]
    assert o.puts_acknowledged_honestly(_outcome(ack, *writes), tls_stream=False) == []
    lying = (
        Write(frame_bytes("PUTF", control({"name": "p", "size": 6}))),
        Write(frame_bytes("DATA", content)),
        Write(frame_bytes("DONE", control({"size": 7, "sha256": digest}))),
        *writes,
    )
    two_acks = ack + ack
    found = o.puts_acknowledged_honestly(_outcome(two_acks, *lying), tls_stream=False)
    assert [v.requirement for v in found] == ["APP-PUT-5", "APP-PUT-5"]


def test_frames_after_a_refused_one_are_not_attributed_to_an_earlier_put() -> None:
    # Found by a ci campaign: a put, then a PUTF whose type a bit flip broke, then the
    # same DATA again. The responder acks the first put and stops at the bad type.
    content = b"abcdef"
    digest = hashlib.sha256(content).hexdigest()
    put = (
        Write(frame_bytes("PUTF", control({"name": "p", "size": 6}))),
        Write(frame_bytes("DATA", content)),
        Write(frame_bytes("DONE", control({"size": 6, "sha256": digest}))),
    )
    writes = (*put, Write(b"X" + put[0].data[1:]), put[1], put[2])
    ack = [
        _frame("RSFL", control({"accept": True, "name": "p"})),
        _frame("DONE", control({"size": 6, "sha256": digest})),
        _frame("EROR", error_payload("unexpected_frame")),
    ]
    assert o.puts_acknowledged_honestly(_outcome(ack, *writes), tls_stream=False) == []


@pytest.mark.parametrize("fake", [Bugs(send_in_clear=True)], indirect=True)
def test_a_target_sending_the_file_in_clear_is_caught(fake: tuple[FakeEkeServer, Target]) -> None:
    found = _run(fake[1], Write(RQFL))
    assert "EKE-SEC-2" in found and "EKE-REC-4" in found


def test_embedded_targets_are_started_with_one_malloc_arena(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Per-thread arenas keep freed memory: without this a long campaign flags LIM-6
    # on a target that leaks nothing.
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    with o.measurable_allocator():
        child = subprocess.run(
            [sys.executable, "-c", "import os; print(os.environ['MALLOC_ARENA_MAX'])"],
            capture_output=True,
            text=True,
            check=True,
        )
    assert child.stdout.strip() == "1"
    assert "MALLOC_ARENA_MAX" not in os.environ
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    with o.measurable_allocator():
        assert os.environ["MALLOC_ARENA_MAX"] == "1"
    assert os.environ["MALLOC_ARENA_MAX"] == "4"
