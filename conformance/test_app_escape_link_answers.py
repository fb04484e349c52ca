"""Names that leave the share through a symbolic link get one answer, whether or not
something exists where the link leads (SPEC §3.5 APP-NAME-6, APP-NAME-4).

APP-NAME-6: "The answer to a refused name MUST NOT reveal whether a file of that name
exists outside the share." A link out of the share is refused `forbidden` (APP-NAME-4);
a responder that explains its refusal by looking where the link leads — "a link to an
existing file", "a link that leads nowhere", "outside the share: /srv/x" against "no such
file" — answers with the code required and still tells whether the outside file exists.
test_app_names.py compares pairs of names that differ below one link (`escape/secret.txt`
against `escape/terces.txt`); this case compares the links themselves: every name the
target file lists in `escape_symlinks` is asked for, and the names with the same number of
components (one link, a link to a file or a directory, existing or dangling; a name
through a link) must get the same answer: the same code, and the same message once the
name and its components are blotted out of it (a message may quote the name it refuses).
The embedded share lists both kinds: `escape-file` (to an existing file) and
`escape-dangling` (to none), `escape` and `escape-gone` (to a directory, to none).
"""

from __future__ import annotations

import pytest

from conformance._wire_fixtures import AppChannel, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, deadline_after


def _answer(channel: Channel, name: str) -> ReceivedFrame:
    """The refusal of RQFL `name`; a name served, or a connection that ends, fails."""
    channel.send_frame("RQFL", {"name": name})
    first = channel.recv_frame()
    if not isinstance(first, ReceivedFrame):
        raise ConformanceFailure(f"RQFL {name!r}: no answer: {first.describe()}")
    if first.type == b"RSFL":
        deadline = deadline_after(channel.timeout + 1.0)
        for _ in range(10_000):  # read the file to its DONE, for the report
            event = channel.recv_frame(deadline)
            if not isinstance(event, ReceivedFrame) or event.type == b"DONE":
                break
        raise ConformanceFailure(
            f"APP-NAME-4: {name!r} leads out of the share through a symbolic link and was "
            f"served: {first.describe()}"
        )
    return first


def _shape(name: str, frame: ReceivedFrame) -> tuple[object, str]:
    """(code, message with the name and each of its components blotted out)."""
    obj = frame.json() or {}
    text = str(obj.get("message", ""))
    tokens = {name, *name.split("/")}
    for token in sorted((t for t in tokens if t), key=len, reverse=True):
        for form in (repr(token), token):
            text = text.replace(form, "*")
    return frame.error_code, text


@pytest.mark.req("APP-NAME-6")
def test_links_out_of_the_share_get_one_answer(target: Target, app_channel: AppChannel) -> None:
    require(target, "get")
    names = [str(n) for n in target.extra.get("escape_symlinks", [])]
    if len(names) < 2:
        pytest.skip("the target file lists fewer than two escape_symlinks")
    channel = app_channel()
    groups: dict[int, list[tuple[str, ReceivedFrame]]] = {}
    for name in names:
        groups.setdefault(name.count("/") + 1, []).append((name, _answer(channel, name)))
    leaks = []
    for depth, answers in sorted(groups.items()):
        shapes = {_shape(name, frame) for name, frame in answers}
        if len(shapes) > 1:
            leaks.append(
                f"names of {depth} component(s):\n"
                + "\n".join(f"  {name!r} -> {frame.describe(160)}" for name, frame in answers)
            )
    if leaks:
        raise ConformanceFailure.evidence(
            "APP-NAME-6: names that lead out of the share through a symbolic link (the target "
            "file's escape_symlinks: links to existing and to missing files and directories), "
            "grouped by their number of components",
            "one answer per group: the same code (forbidden) and the same message once the "
            "name is blotted out — what lies outside must not show",
            "\n".join(leaks),
        )
