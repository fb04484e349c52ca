"""Every refusal of what the peer sent quotes at most 64 characters of it (docs/SPEC.md §2
ERR-5, a SHOULD); both profiles.

ERR-5: an `EROR` message "SHOULD NOT echo attacker-controlled bytes beyond 64
characters". test_framing.py checks it on one refused name. A responder builds many
other messages from the peer's input, each in its own code path, each with its own
chance to quote too much: the JSON parser's complaint about a duplicate key (the key),
the schema check's complaint about a member of the wrong type (the value), the UTF-8
decoder's (the bytes around the bad one), the JSON syntax error's (the text), the
name rules (the name, the component), `not_found` and `too_large` (the name). A helper
that cuts the name to 64 characters in one of them and an f-string that quotes
`{key!r}` or `{value!r}` whole in the next is the bug this file looks for: each probe
carries a run of 300 `Q`s where a responder might quote it, and a message holding 65 of
them in a row echoes beyond the bound (quoting is allowed, cut to 64).

Only the message is judged here: the code of each answer, and whether a fatal one
closes, are other cases' (test_framing.py, test_app_names.py). A probe answered by a
close without `EROR` says nothing about ERR-5 and passes here.

Fixtures (conformance/plugin.py): `target`, `app_channel`.
"""

from __future__ import annotations

import pytest

from conformance._wire_fixtures import AppChannel, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, deadline_after, frame_bytes

_RUN = "Q" * 300  # the attacker's bytes; a message may hold at most 64 of them in a row
_TOO_MANY = "Q" * 65

# Fatal probes (bad_frame), each on a connection of its own: (label, frame type, payload).
_FATAL: dict[str, tuple[str, bytes]] = {
    "a duplicate key": (
        "RQFL",
        b'{"name":"x.txt","' + _RUN.encode() + b'":1,"' + _RUN.encode() + b'":2}',
    ),
    "a name of the wrong JSON type": ("RQFL", b'{"name":["' + _RUN.encode() + b'"]}'),
    "a payload that is not UTF-8": ("RQFL", b'{"name":"' + _RUN.encode() + b'\xff.txt"}'),
    "a payload that is not JSON": ("RQFL", b'{"name":"' + _RUN.encode() + b'.txt" "x"}'),
}
# Fatal probes that need the put feature.
_FATAL_PUT: dict[str, tuple[str, bytes]] = {
    "a size of the wrong JSON type": ("PUTF", b'{"name":"x.txt","size":"' + _RUN.encode() + b'"}'),
    "a sha256 that is not 64 hex digits": (
        "PUTF",
        b'{"name":"x.txt","size":1,"sha256":"' + _RUN.encode() + b'"}',
    ),
}
# Refused names (forbidden or not_found, non-fatal): one connection for all.
_NAMES: dict[str, str] = {
    "an absolute name": "/" + _RUN,
    "a component above 255 bytes": _RUN + ".txt",
    "a name above 4096 bytes": "/".join([_RUN[:200]] * 21),
    "a valid name that names no file": _RUN[:250],
    "a directory part that names no directory": _RUN[:250] + "/x.txt",
}


def _echo(frame: ReceivedFrame) -> str | None:
    """The message, when it quotes 65 or more of the attacker's characters in a row."""
    payload = frame.json() or {}
    message = payload.get("message", "")
    message = message if isinstance(message, str) else str(message)
    return message if _TOO_MANY in message else None


def _first_eror(channel: Channel) -> ReceivedFrame | None:
    """The first frame the target sends, when it is an EROR (None: a close, or another
    frame — judged elsewhere)."""
    event = channel.recv_frame(deadline_after(channel.timeout))
    if isinstance(event, ReceivedFrame) and event.type == b"EROR":
        return event
    return None


def _fail(what: str, echoes: list[str]) -> None:
    if echoes:
        raise ConformanceFailure.evidence(
            f"ERR-5: {what}, each carrying 300 attacker characters ('Q' * 300)",
            "each EROR message quotes at most 64 of them in a row (or none)",
            "\n".join(echoes),
        )


@pytest.mark.req("ERR-5", level="SHOULD")
def test_bad_frame_messages_quote_at_most_64_characters(
    target: Target, app_channel: AppChannel
) -> None:
    probes = dict(_FATAL)
    if target.has("put"):
        probes.update(_FATAL_PUT)
    echoes: list[str] = []
    for label, (frame_type, payload) in probes.items():
        channel = app_channel()
        channel.send_raw(frame_bytes(frame_type, payload))
        eror = _first_eror(channel)
        channel.close()
        if eror is not None and (message := _echo(eror)) is not None:
            echoes.append(
                f"{frame_type} with {label}: {eror.error_name} quoting "
                f"{message.count('Q')} Q's: {message[:160]!r}…"
            )
    _fail("malformed requests (duplicate key, wrong member type, not UTF-8, not JSON)", echoes)


@pytest.mark.req("ERR-5", level="SHOULD")
def test_refused_name_messages_quote_at_most_64_characters(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "get")
    channel = app_channel()
    echoes: list[str] = []
    requests: list[tuple[str, str, dict[str, object]]] = [
        (label, "RQFL", {"name": name}) for label, name in _NAMES.items()
    ]
    if target.has("put"):
        # Above any file size limit: too_large (or forbidden), before any data.
        requests.append(
            (
                "a put of a valid name above the size limit",
                "PUTF",
                {"name": _RUN[:250], "size": 2**63 - 1},
            )
        )
    for label, frame_type, payload in requests:
        channel.send_frame(frame_type, payload)
        eror = _first_eror(channel)
        if eror is None:
            break  # served, accepted or closed: other cases judge that; nothing to quote
        if (message := _echo(eror)) is not None:
            echoes.append(
                f"{frame_type} of {label}: {eror.error_name} quoting "
                f"{message.count('Q')} Q's: {message[:160]!r}…"
            )
        if eror.error_name not in ("forbidden", "not_found", "too_large"):
            break  # a fatal answer ends the connection: the rest cannot be asked here
    _fail("refused names (absolute, too long, not found) and a put above the limit", echoes)
