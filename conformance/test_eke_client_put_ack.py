"""An sft-eke/1 CLIENT's put of an EMPTY file still waits for the server's DONE [APP-PUT-10].

A put is reported stored only once the responder has answered its DONE with DONE. The
general cases (test_client_put.py) send a file of some kilobytes; a client with a fast
path for the empty file ("nothing to verify") reports success as soon as its own DONE is
out. Here the suite accepts a put of 0 bytes (and, as a control, of 1 byte), reads the
client's DONE, and then either closes without answering it, or says nothing for a while
and closes: the client must report the put failed (non-zero exit).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_client_put as puts
from conformance.plugin import TranscriptBook
from conformance.target import Target

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]


@pytest.mark.req("APP-PUT-10")
@pytest.mark.parametrize(
    ("size", "final"),
    [
        (0, "close"),
        (1, "close"),
        # a silence waits out the same seconds as test_client_put.py's silence case (a put
        # of kilobytes, in the default run); an empty put reported stored once its own DONE
        # is out fails the close variant already: in the thorough run only
        pytest.param(0, "silence", marks=pytest.mark.slow),
        pytest.param(1, "silence", marks=pytest.mark.slow),
    ],
)
def test_client_put_of_a_tiny_file_waits_for_the_servers_done(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, size: int, final: str
) -> None:
    """The suite accepts a put of `size` bytes and reads the client's DONE, then closes
    without answering it ("close"), or stays silent for a few seconds and then closes
    ("silence"): the put was never acknowledged, so the client reports failure."""
    put = puts._run_put(
        eke_target, tmp_path, transcripts, puts.Answer(final=final), puts._content(size)
    )
    problems: puts.Problems = []
    done_sent = any(f.type == b"DONE" for f in put.seen.early + put.seen.sending)
    if not done_sent:
        pytest.skip(f"the client sent no DONE for its put (judged elsewhere): {put.describe()}")
    if put.run.succeeded:
        how = (
            "closed the connection without answering it"
            if final == "close"
            else f"said nothing for {puts.SILENCE:g} s, then closed"
        )
        problems.append(
            (
                "APP-PUT-10",
                f"the responder never answered the client's DONE ({how}), yet the client "
                f"{put.run.success_evidence()}",
            )
        )
    puts._fail(put, problems, f"a put of {size} byte(s) whose DONE was never answered")
