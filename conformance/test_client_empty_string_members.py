"""A CLIENT takes a member that holds the empty string as present: neither absent nor a
default (SPEC FRM-9, FRM-12, APP-PUT-9).

`""` is a JSON string like any other. Two wrong readings of it are common, and they go
opposite ways:

* "empty means absent" (`obj.get("sha256") or None`, a decoder that drops empty optional
  members): an RSFL whose `sha256` is `""` then announces no digest, and the get goes on
  as if the member were not there. It is there, and it is not 64 lower-case hex digits: the
  RSFL is malformed (FRM-12; an optional member present with the wrong form is not absent,
  FRM-9), and so is a DONE whose `sha256` is `""` (FRM-16 lets that one be answered
  `integrity_failed` too). The get must fail, nothing kept (eke: the suite's lying server).
* "empty means missing, and missing is an error" (`if not accepted.name: fail`): the
  `name` of the put's RSFL {accept} is for display only (APP-PUT-9) — one that differs
  from the offered name is not an error, and `""` differs. The put must go on and, once
  the responder's DONE answers it, be reported stored (exit 0). Both profiles: the suite
  plays the responder of `client_put_cmd`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_client_put as puts
from conformance import test_eke_client_transfer as lies
from conformance.channel import Channel
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import control, error_payload

# -------------------------------------------------------------------- get: digests of ""


def _rsfl_digest_empty(s: lies.LyingServer) -> None:
    s.frame("RSFL", control({"name": lies.NAME, "size": lies.SIZE, "sha256": ""}))
    s.data(lies.CONTENT)
    s.done()
    s.await_reaction()


def _done_digest_empty(s: lies.LyingServer) -> None:
    s.rsfl()
    s.data(lies.CONTENT)
    s.done(sha256="")
    s.await_reaction()


def _done_digest_empty_empty_file(s: lies.LyingServer) -> None:
    # The boundary where "" is nearest to a digest: the file of 0 bytes.
    s.rsfl(size=0)
    s.done(size=0, sha256="")
    s.await_reaction()


_GETS = [
    pytest.param(_rsfl_digest_empty, "bad_frame|integrity_failed", id="rsfl-sha256-empty"),
    pytest.param(_done_digest_empty, "bad_frame|integrity_failed", id="done-sha256-empty"),
    pytest.param(
        _done_digest_empty_empty_file,
        "bad_frame|integrity_failed",
        id="done-sha256-empty-for-an-empty-file",
        marks=pytest.mark.slow,
    ),
]


@pytest.mark.profile("eke")
@pytest.mark.side("initiator")
@pytest.mark.xdist_group("eke-client")
@pytest.mark.req("FRM-12", "FRM-9", "APP-STORE-3")
@pytest.mark.parametrize(("lie", "owed"), _GETS)
def test_eke_client_refuses_a_digest_member_that_is_empty(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    lie: lies.Lie,
    owed: str,
    request: pytest.FixtureRequest,
) -> None:
    """A `sha256` member holding `""` (RSFL's, DONE's), honest bytes otherwise: the
    member is present and malformed, so the get fails and nothing is kept."""
    skip_slow_variant(request)
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie)
    lies._judge_failed_get(
        case,
        f"{request.node.callspec.id}: a sha256 member that is the empty string",
        owed=owed,
        server=server,
        own=("FRM-12", "FRM-9"),
    )


# ------------------------------------------------------------- put: a stored name of ""


def _serve_accept_as(stored: str) -> puts.Serve:
    """An honest responder whose RSFL {accept} names the put `stored`: it reads the file
    and answers the client's DONE with DONE when size and digest are right."""

    def serve(channel: Channel, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        if puts.read_offer(channel, seen, name) is None:
            return
        payload = control({"accept": True, "name": stored})
        channel.send_frame("RSFL", payload)
        seen.answered = f"RSFL {payload.decode('utf-8', 'replace')}"
        got = puts.read_put_data(channel, seen)
        if got is None:
            puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)
            return
        count, digest = got
        done = seen.sending[-1].json() if seen.sending else None
        right = {"size": count, "sha256": digest}
        if puts._done_says(done, right) and (seen.putf or {}).get("size") == count:
            channel.send_frame("DONE", right)
            seen.answered += "; DONE"
            puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)
        else:
            channel.send_frame("EROR", error_payload("integrity_failed", "suite: integrity"))
            seen.answered += "; EROR integrity_failed"

    return serve


@pytest.mark.side("initiator")
@pytest.mark.req("APP-PUT-9", "APP-PUT-10")
@pytest.mark.parametrize(
    "stored",
    [
        pytest.param("", id="stored-name-empty"),
        pytest.param(" ", id="stored-name-a-space", marks=pytest.mark.slow),
    ],
)
def test_client_put_accepted_under_an_empty_name_goes_on(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    stored: str,
    request: pytest.FixtureRequest,
) -> None:
    """RSFL {"accept": true, "name": ""}: an acceptance whose display name is empty. The
    client sends its file and DONE, and reports the put stored once DONE answers it."""
    skip_slow_variant(request)
    content = puts._content(3000)
    put = puts._run_put(
        target, tmp_path, transcripts, puts.Answer(), content, serve=_serve_accept_as(stored)
    )
    problems: puts.Problems = []
    puts._judge_common(put, problems)
    puts._judge_sent_file(put, problems)
    if not put.run.succeeded:
        problems.append(
            (
                "APP-PUT-9",
                f"the responder accepted the put (its stored name {stored!r} is for display "
                "only), stored it and answered DONE, yet the client reported failure "
                f"({put.run.describe()}: {put.run.stderr.strip()[-200:]})",
            )
        )
    puts._fail(
        put, problems, f"a put accepted as {stored!r} (APP-PUT-9: the name is for display only)"
    )
