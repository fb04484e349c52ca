"""A put's refusals quote at most 64 characters of the offered name (docs/SPEC.md §2 ERR-5,
a SHOULD; APP-PUT-1, APP-PUT-3; both profiles).

ERR-5: an `EROR` message "SHOULD NOT echo attacker-controlled bytes beyond 64
characters". The refusals of a get's name are judged by test_app_eror_echo_bounds.py;
a put is refused on other paths, each with its own message built from the name it will
store under — the basename, up to 255 bytes — and its own chance to quote all of it:

* `exists` at PUTF, for a name the inbox holds (`f"{base!r} already exists"`), also when
  the offered name has directory components (only the basename is looked up);
* `forbidden` for the reserved prefix `.sft-partial-` (APP-NAME-9), whose message names
  the component;
* `exists` instead of `DONE`, for a name that came to exist while the put was sent
  (APP-PUT-3: an entry made in the inbox meanwhile) — the commit's own message.

Each name carries a run of 240 `Q`s; a message holding 65 of them in a row echoes
beyond the bound (quoting is allowed, cut to 64). Only the messages are judged here:
the codes are test_app_put.py's and test_app_inbox_now.py's. The last probe needs the
target's declared inbox on this host and is left out without it.

Fixtures (conformance/plugin.py): `target`, `app_channel`.
"""

from __future__ import annotations

import hashlib
import secrets

import pytest

from conformance._wire_fixtures import AppChannel, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame, ReceivedFrame

_TOO_MANY = "Q" * 65
_DATA = b"echo bounds\n"


def _long_name(tag: str) -> str:
    return "Q" * 240 + f"-{tag}.txt"  # 255 bytes at most: a valid component


def _echo(frame: ReceivedFrame | None) -> str | None:
    """The message, when the frame is an EROR quoting 65 or more Q's in a row."""
    if frame is None or frame.type != b"EROR":
        return None
    message = (frame.json() or {}).get("message", "")
    message = message if isinstance(message, str) else str(message)
    return message if _TOO_MANY in message else None


def _offer(channel: Channel, name: str) -> ReceivedFrame | None:
    channel.send_frame("PUTF", {"name": name, "size": len(_DATA)})
    return channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()]).frame


def _send(channel: Channel) -> ReceivedFrame | None:
    channel.send_frame("DATA", _DATA)
    channel.send_frame("DONE", {"size": len(_DATA), "sha256": hashlib.sha256(_DATA).hexdigest()})
    return channel.expect([ExpectFrame("DONE"), ExpectError()]).frame


@pytest.mark.req("ERR-5", level="SHOULD")
def test_put_refusal_messages_quote_at_most_64_characters_of_the_name(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    tag = secrets.token_hex(4)
    stored = _long_name(tag)
    channel = app_channel()
    first = _offer(channel, stored)
    if first is None or first.type != b"RSFL":
        pytest.skip(f"the put of a 255-byte name was not accepted: {first!r}")
    done = _send(channel)
    if done is None or done.type != b"DONE":
        pytest.skip(f"the put of a 255-byte name was not stored: {done!r}")
    echoes: list[str] = []
    probes = {
        "PUTF of the stored name again (exists)": stored,
        "PUTF of the stored name under directories (exists)": f"sub/dir/{stored}",
        "PUTF of a reserved .sft-partial- name (forbidden)": ".sft-partial-" + stored[13:],
    }
    for label, name in probes.items():
        answer = _offer(channel, name)
        if answer is None or answer.type != b"EROR":
            channel.close()
            channel = app_channel()  # accepted or closed: judged elsewhere
            continue
        if (message := _echo(answer)) is not None:
            echoes.append(f"{label}: {answer.error_name} quoting {message[:160]!r}…")
        if answer.error_name not in ("exists", "forbidden"):
            channel.close()
            channel = app_channel()
    inbox = target.inbox
    if inbox is not None and inbox.is_dir():
        late = _long_name(secrets.token_hex(4))
        answer = _offer(channel, late)
        if answer is not None and answer.type == b"RSFL":
            (inbox / late).write_bytes(b"made in the inbox while the put was sent\n")
            try:
                refusal = _send(channel)
            finally:
                (inbox / late).unlink(missing_ok=True)
            if (message := _echo(refusal)) is not None and refusal is not None:
                echoes.append(
                    "DONE of a put whose name came to exist meanwhile: "
                    f"{refusal.error_name} quoting {message[:160]!r}…"
                )
        (inbox / stored).unlink(missing_ok=True)
    channel.close()
    if echoes:
        raise ConformanceFailure.evidence(
            "ERR-5: refusals of puts whose basename holds 240 attacker characters ('Q' * 240)",
            "each EROR message quotes at most 64 of them in a row (or none)",
            "\n".join(echoes),
        )
