"""Put names judged afresh, by the exact rules, in the inbox (docs/SPEC.md §3.4-3.5).

Three ways a responder's put path remembers or borrows what it should judge each time:
a verdict cached under the stored basename (`x.txt` passed, so `../x.txt`, whose
basename is the same, is waved through); the reserved temporary prefix matched more
broadly than APP-NAME-9 says (case-blind, or without its final `-`), refusing names
§3.5 allows (APP-PUT-2); and the `exists` look-up done where the get looks (the share)
instead of the inbox (APP-PUT-3). Both profiles.
"""

from __future__ import annotations

import hashlib
import uuid

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame


def _stored(channel: Channel, name: str, data: bytes, what: str) -> None:
    answer, final = put_file(channel, name, data)
    if answer.frame is None or answer.frame.type != b"RSFL":
        raise ConformanceFailure(f"{what}: PUTF {name!r} answered {answer.describe()}")
    if final is None or final.frame is None or final.frame.type != b"DONE":
        raise ConformanceFailure(
            f"{what}: the put of {name!r} was not stored: "
            f"{final.describe() if final is not None else 'no answer'}"
        )


# Names APP-NAME-2 refuses whose last component is the basename `{base}` of a name the
# responder has just judged acceptable (and stored).
_REFUSED_SAME_BASENAME = (
    "../{base}",
    "a/../{base}",
    "./{base}",
    "a/./{base}",
    "a//{base}",
    "/{base}",
    "/srv/{base}",
    "C:{base}",
    "c:/{base}",
    "a\\b/{base}",
    "a\x01/{base}",
)


@pytest.mark.req("APP-NAME-2", "APP-PUT-3")
def test_refused_names_stay_refused_after_their_basename_passed(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    base = fresh_name()
    channel = app_channel()
    _stored(channel, base, b"stored under the basename\n", "APP-PUT-2")
    wrong = []
    for pattern in _REFUSED_SAME_BASENAME:
        name = pattern.format(base=base)
        channel.send_frame("PUTF", {"name": name, "size": 1})
        outcome = channel.expect(
            [ExpectError("forbidden"), ExpectError("exists"), ExpectFrame("RSFL")]
        )
        frame = outcome.frame
        if frame is None:
            raise ConformanceFailure(f"APP-NAME-2: PUTF {name!r}: {outcome.describe()}")
        if frame.error_name != "forbidden":
            wrong.append(f"{name!r}: {frame.describe(80)}")
            if frame.type == b"RSFL":
                channel = app_channel()  # it now waits for DATA: go on elsewhere
    if wrong:
        failure = ConformanceFailure.evidence(
            f"APP-NAME-2: puts of refused names whose basename {base!r} was just stored",
            "forbidden (non-fatal) for each, whatever the basename's earlier verdict",
            "\n".join(wrong),
        )
        failure.violates = ("APP-NAME-2",)
        raise failure


def _allowed_lookalikes() -> list[str]:
    tag = uuid.uuid4().hex[:10]
    return [
        f".SFT-PARTIAL-{tag}",
        f".Sft-Partial-{tag}",
        f".sft-partial{tag}",  # no '-' after the prefix's word
        f"sft-partial-{tag}",  # no leading dot
        f"x.sft-partial-{tag}",  # the prefix inside the name
    ]


@pytest.mark.req("APP-PUT-2", "APP-NAME-9")
def test_names_that_only_resemble_the_reserved_prefix_are_stored(
    target: Target, app_channel: AppChannel
) -> None:
    """APP-NAME-9 reserves exactly `.sft-partial-` at the start of the last component;
    names are used literally (APP-NAME-3), so a case variant or a near miss is an ordinary
    name that APP-PUT-2 stores."""
    require(target, "put")
    channel = app_channel()
    refused = []
    for name in _allowed_lookalikes():
        data = f"{name}\n".encode()
        answer, final = put_file(channel, name, data)
        frame = answer.frame
        if frame is None:
            raise ConformanceFailure(f"APP-PUT-2: PUTF {name!r}: {answer.describe()}")
        if frame.type != b"RSFL":
            refused.append(f"{name!r}: {frame.describe(80)}")
            continue
        if final is None or final.frame is None or final.frame.type != b"DONE":
            refused.append(f"{name!r}: accepted, then {final.describe() if final else '-'}")
            channel = app_channel()
    if refused:
        failure = ConformanceFailure.evidence(
            "APP-PUT-2: puts of names that are not the reserved prefix `.sft-partial-`",
            "each stored (RSFL{accept}, then DONE): only that exact prefix is reserved",
            "\n".join(refused),
        )
        failure.violates = ("APP-PUT-2",)
        raise failure


@pytest.mark.req("APP-PUT-3")
def test_exists_is_judged_in_the_inbox_not_the_share(
    target: Target, app_channel: AppChannel
) -> None:
    """A share file's name is not in the inbox (the suite sees the inbox): its put is
    accepted; a name stored in the inbox a moment ago is `exists` at PUTF, before data."""
    require(target, "put")
    inbox = target.inbox
    if inbox is None:
        pytest.skip("the target file does not declare its inbox (`inbox = ...`)")
    if target.share is not None and inbox.resolve() == target.share.resolve():
        pytest.skip("the share is the inbox")
    channel = app_channel()
    candidates = [f for f in target.files if "/" not in f.name and f.size > 0]
    for file in candidates:
        if (inbox / file.name).exists() or (inbox / file.name).is_symlink():
            continue  # an earlier put stored it: not a fair probe
        channel.send_frame("PUTF", {"name": file.name, "size": 1})
        outcome = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError("exists")])
        outcome.check(f"APP-PUT-3: PUTF {file.name!r}, a share file absent from the inbox")
        if outcome.frame is not None and outcome.frame.error_name == "exists":
            if not (inbox / file.name).exists():
                raise ConformanceFailure.evidence(
                    f"APP-PUT-3: PUTF {file.name!r}",
                    f"accepted: {inbox} holds no such file (the share's copy is another "
                    "directory's)",
                    outcome.frame.describe(80),
                )
        else:
            channel.send_frame("DATA", b"x")
            channel.send_frame("DONE", {"size": 1, "sha256": hashlib.sha256(b"x").hexdigest()})
            channel.expect([ExpectFrame("DONE"), ExpectError("exists")]).check(
                f"the put of {file.name!r}"
            )
        break
    name = fresh_name()
    _stored(channel, name, b"stored a moment ago\n", "APP-PUT-3")
    channel.send_frame("PUTF", {"name": name, "size": 1})
    outcome = channel.expect([ExpectError("exists"), ExpectFrame("RSFL")])
    if outcome.frame is None or outcome.frame.error_name != "exists":
        raise ConformanceFailure.evidence(
            f"APP-PUT-3: a second PUTF of {name!r}, stored in the inbox a moment ago",
            "`exists` at PUTF, before any data is sent",
            outcome.describe(),
        )
