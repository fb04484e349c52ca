"""An sft-eke/1 CLIENT never offers a name that is not Unicode text (SPEC FRM-14, FRM-15,
FRM-9, APP-NAME-1).

A name is a JSON string of UTF-8 text (APP-NAME-1, FRM-8/FRM-9). The names a client is
given come from its command line and its file system, which are bytes: `caf\\xe9.bin`,
written by a Latin-1 program, is no UTF-8. Python hands such an argument over as a string
with a lone surrogate (`caf\\udce9.bin`, PEP 383), and `json.dumps` with its default
`ensure_ascii=True` writes it without complaint as the escape `\\udce9` — valid JSON
syntax, but a lone surrogate is not text, and FRM-15 has the receiver refuse it; other
languages copy the raw bytes into the payload, which is then not UTF-8 (FRM-9). Either
way the client emitted a frame it MUST NOT emit (FRM-14). A client refuses such a name
before sending anything (the reference: a usage error, exit 2), or sends valid text.

The suite runs the client's put with `--as`-style name bytes that are not UTF-8 (the
{name} of `client_put_cmd`): a Latin-1 `é`; slow: a lone 0xFF byte, and the CESU-8 bytes
of a surrogate. If a PUTF reaches the suite's responder, its payload must be UTF-8 JSON
holding its required `name` string (FRM-9: a PUTF without `name` is malformed, FRM-14);
the suite then refuses the put, which must not be reported stored.

Not judged (the SPEC is silent): a name holding a lone-surrogate escape (`\udce9`). FRM-15
tells a receiver what to do with one (bad_frame, or refuse the name `forbidden`), not
whether a sender may write one; two independent clients do. A sentence such as "a sender
MUST NOT write a string member that is not Unicode text (a lone surrogate, escaped or
not): a name it cannot send as UTF-8 it refuses itself" would make it a MUST.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.eke_hostile import (
    HostileEkeServer,
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, control
from sftkit.client_run import ClientRun, run_client
from sftkit.target_options import client_launch

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

# kind: the name's bytes (none of them UTF-8)
_NAMES: dict[str, bytes] = {
    "latin-1-e-acute": b"caf\xe9.bin",
    "lone-ff-byte": b"\xff.bin",
    "cesu-8-surrogate": b"a\xed\xa0\x80.bin",
}
_SLOW = frozenset({"lone-ff-byte", "cesu-8-surrogate"})


def _serve_refusing(box: dict[str, Any]) -> puts.Serve:
    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        first = puts._next(channel, seen, puts.READ_TIMEOUT)
        if first is None:
            seen.ended = seen.ended or "no request"
            return
        box["request"] = first
        seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
        message = "suite: name refused"
        channel.send_frame("EROR", control({"code": 5, "name": "forbidden", "message": message}))
        seen.answered = "EROR forbidden"
        puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)

    return serve


def _text_problem(payload: bytes) -> str | None:
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"its payload is not UTF-8 at byte {exc.start}: {payload[:120]!r}"
    try:
        obj = json.loads(text)
    except ValueError:
        return f"its payload is not JSON: {text[:120]!r}"
    name = obj.get("name") if isinstance(obj, dict) else None
    if not isinstance(name, str):
        return f"its payload names no string name: {text[:120]!r}"
    # A lone surrogate written as a \u escape is valid JSON and ASCII: FRM-15 lets the
    # receiver refuse it as a name (forbidden), and the SPEC does not say in so many words
    # that a sender must not write one, so it is not judged here (see the docstring).
    return None


def _run_named_put(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, name: str, box: dict[str, Any]
) -> ClientRun:
    """The client's put of a small file as `name`, against a responder that refuses it
    (a client that refuses the name itself never connects)."""
    template = puts._put_template(target, tmp_path)
    srcdir = tmp_path / "src"
    srcdir.mkdir()
    source = srcdir / "outgoing.bin"
    source.write_bytes(puts._content(100))
    user, password = client_user(target), fresh_password()
    secret = tmp_path / "secret"
    secret.mkdir(mode=0o700)
    password_file = secret / "client.password"
    password_file.touch(mode=0o600)
    password_file.write_text(password, encoding="utf-8")
    pw = eke_pw(user, password)
    serve = _serve_refusing(box)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, puts.READ_TIMEOUT)
        if channel is not None:
            serve(channel, puts.PutSeen(), puts.Answer(), name)

    with HostileEkeServer(
        behaviour, timeout=puts.READ_TIMEOUT, accept_timeout=puts.RUN_TIMEOUT
    ) as server:
        launch = client_launch(
            template,
            {
                "host": server.host,
                "port": str(server.port),
                "file": str(source),
                "name": name,
                "user": user,
                "password_file": str(password_file),
            },
            stdin_template=target.client_stdin if target.client_put_cmd else None,
            success="exit",
        )
        run = run_client(launch, timeout=puts.RUN_TIMEOUT)
    if server.view.transcript is not None:
        transcripts.add(server.view.transcript)
    server.check()
    return run


@pytest.mark.req("FRM-14", "FRM-15")
@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, id=k, marks=[pytest.mark.slow] if k in _SLOW else []) for k in _NAMES],
)
def test_initiator_offers_no_name_that_is_not_unicode_text(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """The put's name is given as bytes that are not UTF-8: the client refuses it, or its
    PUTF is UTF-8 JSON naming Unicode text."""
    skip_slow_variant(request)
    raw = _NAMES[kind]
    box: dict[str, Any] = {}
    run = _run_named_put(eke_target, tmp_path, transcripts, os.fsdecode(raw), box)
    problems: list[str] = []
    sent = box.get("request")
    if sent is not None and sent.type == b"PUTF":
        problem = _text_problem(sent.payload)
        if problem is not None:
            problems.append(f"given the name bytes {raw!r}, its PUTF: {problem}")
    if run.succeeded or run.timed_out:
        problems.append(
            f"the put was refused (or never offered), yet the client {run.success_evidence()}"
        )
    if problems:
        failure = ConformanceFailure.evidence(
            f"a put whose name is the bytes {raw!r} ({kind}: not UTF-8)",
            "the client refuses the name itself, or offers it in a PUTF that is UTF-8 JSON "
            "with its `name` string; the put is not reported stored",
            "; ".join(problems),
            note=f"client {run.describe()}; {run.stderr.strip()[-300:]}",
        )
        failure.violates = ("FRM-14",)
        raise failure
