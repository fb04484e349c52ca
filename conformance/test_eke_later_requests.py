"""sft-eke/1: a connection's later requests are judged like its first (docs/SPEC.md APP-2,
APP-NAME-1, APP-NAME-2, APP-NAME-8, APP-NAME-9, APP-PUT-3, APP-PUT-7, APP-GET-2, ERR-3).

APP-2: a connection MUST support several transfers, one after another. An implementer who
checks a request "once per connection" (the name check behind a flag set by the first
get, a size check in the code path of the first PUTF only, a cache of the first answer)
passes every case that opens a fresh connection per request, which is what most name and
size cases do. Here each check is asked on requests that come AFTER a first request of the
same kind on the same connection — one that succeeded, and one that was refused — and
every one of them must still get the answer the SPEC gives, non-fatal, with the
connection still serving at the end.

Fixtures (conformance/plugin.py): `eke_target`, `eke_channel_factory` (authenticated
channels to the target's first account).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import fresh_name, get_file, known_file, put_file, require
from conformance.channel import Channel
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ReceivedFrame


# Names APP-NAME-2 refuses (`forbidden`, non-fatal), built on a file the share holds, so
# that a server that skips the check on a later request serves it (`sub/../NAME` leads
# back to it), or answers `not_found`, instead of refusing it. The ones a lazy server is
# most likely to serve come first; NUL and a control character (which may crash a
# server's file layer and end the connection) come last.
def _refused_names(name: str) -> dict[str, str]:
    return {
        "dotdot-inside": f"sub/../{name}",
        "dot-component": f"./{name}",
        "empty-component": f"sub//{name}",
        "absolute": f"/{name}",
        "dotdot": f"../{name}",
        "backslash": f"sub\\{name}",
        "drive-letter": f"C:{name}",
        "component-too-long": "a" * 256,
        "bidi-override": f"x\u202e{name}",  # APP-NAME-8
        "c1-control": f"x\u0085{name}",  # APP-NAME-8
        "control-char": f"{name}\n.txt",
        "nul": f"{name}\x00.png",
    }


# The requirement each refusal above comes from.
def _rule(case: str) -> str:
    if case in ("bidi-override", "c1-control"):
        return "APP-NAME-8"
    return "APP-NAME-1" if case == "component-too-long" else "APP-NAME-2"


# For puts, any name: the offers must be refused before any data.
_REFUSED_PUT_NAMES = _refused_names("later-put.bin")


def _actual(exc: ConformanceFailure) -> str:
    """The `Actual:` line of a failure (its first line when it has none)."""
    lines = str(exc).splitlines()
    found = [line for line in lines if line.startswith("Actual:")]
    return (found[0] if found else lines[0] if lines else "").removeprefix("Actual:").strip()


def _account_channel(eke_target: Target, factory: Callable[..., EkeChannel]) -> Channel:
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    return factory()


def _failure(
    context: str, expected: str, actual: str, violates: tuple[str, ...]
) -> ConformanceFailure:
    failure = ConformanceFailure.evidence(context, expected, actual)
    failure.violates = violates
    return failure


def _refusal(answer: ReceivedFrame | None) -> str | None:
    return answer.error_name if answer is not None and answer.type == b"EROR" else None


@pytest.mark.req("APP-NAME-2", "APP-NAME-1", "APP-NAME-8", "APP-2", "ERR-3")
@pytest.mark.parametrize("first", ["served", "refused"])
def test_get_names_are_checked_on_every_request(
    eke_target: Target, eke_channel_factory: Callable[..., EkeChannel], first: str
) -> None:
    """One connection: a first get (of a file of the share, or of a refused name), then
    every name APP-NAME-2 and APP-NAME-8 refuse, one after the other: each MUST be
    answered `forbidden`
    (non-fatal), and the connection then serves a known file. A server that checks names
    only on a connection's first request serves `sub/../hello.txt` here, or answers
    `not_found` where the name had to be refused."""
    require(eke_target, "get")
    known = known_file(eke_target)
    channel = _account_channel(eke_target, eke_channel_factory)
    if first == "served":
        get_file(channel, known.name)
    else:
        opening = get_file(
            channel, "../" + known.name, also=[ExpectError("forbidden")], served=False
        )
        if _refusal(opening.refused) != "forbidden":
            raise ConformanceFailure(
                f"APP-NAME-2: the first get of '../{known.name}' was not refused"
            )
    wrong: list[str] = []
    violated: list[str] = []
    for case, name in _refused_names(known.name).items():
        try:
            result = get_file(
                channel,
                name,
                also=[ExpectError("forbidden", "not_found", "too_large")],
                served=True,
            )
        except ConformanceFailure as exc:
            # A fatal answer or a close: the connection is gone, the evidence so far stands.
            wrong.append(f"{name!r} ({case}): {_actual(exc)}")
            violated.append(_rule(case))
            break
        if _refusal(result.refused) != "forbidden":
            answer = (
                result.refused.describe()
                if result.refused is not None
                else f"served ({len(result.data)} bytes)"
            )
            wrong.append(f"{name!r} ({case}): {answer}")
            violated.append(_rule(case))
    if wrong:
        raise _failure(
            f"gets on ONE connection after a first get that was {first}",
            "EROR forbidden (non-fatal) for each name, as on a fresh connection",
            "; ".join(wrong),
            violates=tuple(dict.fromkeys(violated)),
        )
    # Every refusal was non-fatal: the connection still serves [ERR-3].
    get_file(channel, known.name)


@pytest.mark.req(
    "APP-NAME-2",
    "APP-NAME-1",
    "APP-NAME-8",
    "APP-NAME-9",
    "APP-PUT-3",
    "APP-PUT-7",
    "APP-2",
    "ERR-3",
)
def test_put_checks_hold_on_every_request(
    eke_target: Target, eke_channel_factory: Callable[..., EkeChannel]
) -> None:
    """One connection: a first put that is stored, then PUTFs that the SPEC refuses before
    any data — each name of APP-NAME-2 and APP-NAME-8 (`forbidden`), a `.sft-partial-` name
    (`forbidden`, APP-NAME-9), a size above the maximum (`too_large`, APP-PUT-7), the name
    just stored (`exists`, APP-PUT-3) — then a second put that is stored. A server that
    runs a check only for a connection's first PUTF accepts the later ones."""
    require(eke_target, "put")
    channel = _account_channel(eke_target, eke_channel_factory)
    stored = fresh_name("later-put")
    payload = os.urandom(2048)
    answer, final = put_file(channel, stored, payload)
    if final is None or final.frame is None or final.frame.type != b"DONE":
        raise ConformanceFailure(
            f"the first put of {stored!r} was not stored: {answer.describe()}"
            + (f"; then {final.describe()}" if final is not None else "")
        )
    maximum = eke_target.limits.max_file_size
    offers: list[tuple[str, str, int, str, str]] = [
        (case, name, len(payload), "forbidden", _rule(case))
        for case, name in _REFUSED_PUT_NAMES.items()
    ]
    offers.append(
        ("reserved", ".sft-partial-" + os.urandom(6).hex(), 16, "forbidden", "APP-NAME-9")
    )
    offers.append(("exists", stored, len(payload), "exists", "APP-PUT-3"))
    if maximum < 2**63 - 1:
        offers.append(("too-large", fresh_name("later-big"), maximum + 1, "too_large", "APP-PUT-7"))
    wrong: list[str] = []
    violated: list[str] = []
    for case, name, size, expected, req in offers:
        # A refusal is the only acceptable answer: an acceptance gets the announced bytes
        # (at most the small payload; an oversize offer gets none and its DONE fails).
        body = payload[:size] if size <= len(payload) else b""
        reply, done = put_file(channel, name, body, announce=size)
        got = _refusal(reply.frame)
        if got != expected:
            shown = reply.frame.describe() if reply.frame is not None else reply.describe()
            after = ""
            if done is not None:
                shown_done = done.frame.describe() if done.frame is not None else done.describe()
                after = f", then {shown_done}"
            wrong.append(f"{case} {name[:40]!r} size={size}: {shown}{after}")
            if req not in violated:
                violated.append(req)
            if done is not None and done.frame is not None and done.frame.type == b"EROR":
                break  # the connection ended on a fatal answer: nothing more to ask
    if wrong:
        raise _failure(
            "PUTFs on ONE connection after a first put that was stored",
            "each refused as the SPEC says (forbidden, exists, too_large), non-fatal",
            "; ".join(wrong),
            violates=tuple(violated),
        )
    second = fresh_name("later-put")
    answer, final = put_file(channel, second, payload)
    if final is None or final.frame is None or final.frame.type != b"DONE":
        raise ConformanceFailure(
            f"APP-2: a put after the refusals was not stored: {answer.describe()}"
            + (f"; then {final.describe()}" if final is not None else ""),
            violates=("APP-2",),
        )


@pytest.mark.req("APP-GET-2", "APP-2", "ERR-3")
def test_get_size_limit_holds_on_every_request(
    eke_target: Target, eke_channel_factory: Callable[..., EkeChannel]
) -> None:
    """One connection: a get of a file within the limit, then each file the target lists
    above its maximum file size (`too_large` share fact), twice: each MUST be answered
    `too_large` (non-fatal), and the connection then still serves."""
    require(eke_target, "get")
    names = [str(n) for n in eke_target.extra.get("too_large", [])]
    if not names:
        pytest.skip("the target file lists no too_large file")
    known = known_file(eke_target)
    channel = _account_channel(eke_target, eke_channel_factory)
    get_file(channel, known.name)
    wrong: list[str] = []
    for name in names * 2:
        result = get_file(channel, name, also=[ExpectError("too_large")], served=False)
        if _refusal(result.refused) != "too_large":
            wrong.append(f"{name!r}: {result.first.describe()}")
    if wrong:
        raise _failure(
            "APP-GET-2: gets of files above the maximum file size, after a first get",
            "EROR too_large (non-fatal) each time",
            "; ".join(wrong),
            violates=("APP-GET-2",),
        )
    get_file(channel, known.name)


def _refused_deep_names(eke_target: Target) -> list[str]:
    """Names that reach INTO a directory of the share (or a file where a directory is
    expected, or a link out of it) before they are refused: a server that resolves a name
    by moving its base directory along the walk (a chdir, a descriptor kept in the
    connection) and moves back only on success is left inside by each."""
    directories = [str(n) for n in eke_target.extra.get("directories", [])]
    nested = [f.name for f in eke_target.files if "/" in f.name]
    names = [f"{d}/no-such-{os.urandom(4).hex()}.txt" for d in directories]
    names += [f"{d}/no-such-dir-{os.urandom(4).hex()}/x.txt" for d in directories]
    names += [f"{n}/x.txt" for n in nested]  # a file where a directory is expected
    names += [str(n) for n in eke_target.extra.get("escape_symlinks", []) if "/" in str(n)]
    return names


@pytest.mark.req("APP-GET-2", "APP-2", "ERR-3")
def test_refused_deep_gets_do_not_move_later_requests(
    eke_target: Target, eke_channel_factory: Callable[..., EkeChannel]
) -> None:
    """One connection: a get refused somewhere inside the share's directories (a missing
    file or directory under a listed directory, a file used as a directory, a link out of
    the share), then a get of a known top-level file — after EACH refusal. Every such get
    MUST serve the file's content (APP-GET-2): a later request is resolved from the share,
    whatever the refused one walked into."""
    require(eke_target, "get")
    top = [f for f in eke_target.files if "/" not in f.name and f.size > 0]
    if not top:
        pytest.skip("the target file lists no non-empty top-level file")
    known = top[0]
    names = _refused_deep_names(eke_target)
    if not names:
        pytest.skip("the target lists no directory, nested file or escaping link")
    channel = _account_channel(eke_target, eke_channel_factory)
    for name in names:
        get_file(channel, name, also=[ExpectError("not_found", "forbidden")], served=False)
        try:
            result = get_file(channel, known.name, also=[ExpectError()])
        except ConformanceFailure as exc:
            raise _failure(
                f"APP-GET-2: a get of {known.name!r} right after the refused get of {name!r}",
                f"RSFL + {known.size} bytes + DONE, as on a fresh connection",
                _actual(exc),
                violates=("APP-GET-2",),
            ) from None
        if result.refused is not None or len(result.data) != known.size:
            shown = (
                result.refused.describe()
                if result.refused is not None
                else f"{len(result.data)} bytes"
            )
            raise _failure(
                f"APP-GET-2: a get of {known.name!r} right after the refused get of {name!r}",
                f"RSFL + {known.size} bytes + DONE, as on a fresh connection",
                shown,
                violates=("APP-GET-2",),
            )
