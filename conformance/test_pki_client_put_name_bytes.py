"""FRM-1 at an sft-pki/1 INITIATOR as a SENDER: its PUTF's length is its payload's bytes.

FRM-1: a frame is a 4-byte type, a 4-byte length and exactly `length` bytes of payload.
test_pki_initiator_transfer.py checks that for the RQFL of a get of a non-ASCII name; a
put is a second code path (often written later, with a frame builder of its own), and
its PUTF carries the name too. A length counted in characters (Python's len of a str),
in UTF-16 code units (JavaScript's String.length, Java's String.length()), or computed
from the name and the template's fixed overhead without the JSON escapes, announces a
PUTF shorter than its payload: the responder reads a truncated JSON object and then
takes the rest for the next header.

The suite's responder (test_client_put.py's) receives a put of a small file under a
name of multi-byte characters (2-, 3- and 4-byte UTF-8, a 4-byte one being two UTF-16
units), of a quote (escaped `\\"` in JSON), and of both: the PUTF it reads must be one
JSON object naming exactly that name, followed by the file in DATA frames, the right
DONE, and a reported success. Needs a put: client_put_cmd, or the embedded reference.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_client_put as puts
from conformance.plugin import TranscriptBook
from conformance.target import Target

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_NAMES = {
    "multibyte": "caf\u00e9-\u20ac-\U0001f642.bin",
    "quote": 'say "hi".txt',
    "both": '\u00e9t\u00e9 "\U0001f642\U0001f642".bin',
}


@pytest.mark.req("FRM-1", "FRM-14", "APP-PUT-4")
@pytest.mark.parametrize("which", list(_NAMES), ids=list(_NAMES))
def test_initiator_put_announces_its_putf_length_in_bytes(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, which: str
) -> None:
    if not target.has("put"):
        pytest.skip("the target does not declare feature 'put': no put to run")
    name = _NAMES[which]
    content = b"a put whose name is not plain ASCII\n"
    put = puts._run_put(target, tmp_path, transcripts, puts.Answer(), content, name=name)
    problems: puts.Problems = []
    offered = put.seen.putf
    if not isinstance(offered, dict) or offered.get("name") != name:
        problems.append(
            (
                "FRM-1",
                f"the PUTF read as its announced length is {put.seen.putf_raw!r}, not one "
                f"JSON object naming {name!r} ({len(name.encode())} bytes of UTF-8, "
                f"{len(name)} characters): its length does not count the payload's bytes",
            )
        )
    else:
        puts._judge_common(put, problems)
        puts._judge_sent_file(put, problems)
        if not problems and not put.run.succeeded:
            problems.append(
                (
                    "APP-PUT-4",
                    f"the responder stored the put and answered DONE, yet the client "
                    f"reported failure ({put.run.describe()}: {put.run.stderr.strip()[-200:]})",
                )
            )
    puts._fail(put, problems, f"FRM-1: a put of {len(content)} bytes as {name!r}")
