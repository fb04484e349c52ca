"""Names (docs/SPEC.md §3.5): escapes from the share are refused; names are literal.

Fixtures (conformance/plugin.py): `target`, `app_channel()`. The embedded share holds a
symlink `escape` -> a directory outside the share (holding secret.txt), a symlink
`escape-file` -> that secret file, and a file literally named `%2e%2e/x`. For another
target, list the names that lead out of its share through symlinks in its target file:
`escape_symlinks = ["escape/secret.txt", "escape/no-such-file.txt", "escape"]`.
"""

from __future__ import annotations

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, get_file, known_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame, ReceivedFrame

_ESCAPES = {
    "absolute": "/etc/passwd",
    "absolute-share-path": "/hello.txt",
    "dotdot": "../secret.txt",
    "dotdot-deep": "../../../../../../etc/passwd",
    "dotdot-inside": "sub/../hello.txt",
    "dot-component": "./hello.txt",
    "empty-component": "sub//nested.txt",
    "trailing-slash": "sub/",
    "backslash": "..\\secret.txt",
    "backslash-inside": "sub\\nested.txt",
    "drive-letter": "C:secret.txt",
    "drive-letter-abs": "c:/windows/win.ini",
    "nul": "hello.txt\x00.png",
    "control-char": "hello\n.txt",
    "del-char": "hello\x7f.txt",
    "empty": "",
    "component-too-long": "a" * 256,
    "name-too-long": "/".join(["a" * 200] * 21),
}


@pytest.mark.req("APP-NAME-1", "APP-NAME-2", "ERR-3")
@pytest.mark.parametrize("case", sorted(_ESCAPES))
def test_get_of_escaping_name_is_forbidden(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    require(target, "get")
    channel = app_channel()
    name = _ESCAPES[case]
    result = get_file(channel, name, also=[ExpectError("forbidden")], served=False)
    if result.refused is None:
        raise ConformanceFailure(f"APP-NAME-2: {name!r} ({case}) was served")
    # forbidden is non-fatal: the connection serves the next request.
    if target.files:
        get_file(channel, known_file(target).name)


@pytest.mark.req("APP-NAME-4", "APP-NAME-6")
@pytest.mark.parametrize(
    "name", ["escape/secret.txt", "escape-file", "escape/no-such-file.txt", "escape"]
)
def test_symlink_out_of_share_is_forbidden(
    target: Target, app_channel: AppChannel, name: str
) -> None:
    if name not in target.extra.get("escape_symlinks", []):
        pytest.skip(f"the target file does not list {name!r} in escape_symlinks")
    result = get_file(
        app_channel(), name, also=[ExpectError("forbidden", "not_found")], served=False
    )
    refusal = result.refused
    if refusal is None:
        raise ConformanceFailure(
            f"APP-NAME-4: {name!r} through a symlink out of the share was served"
        )
    if refusal.error_name != "forbidden":
        raise ConformanceFailure(
            f"APP-NAME-4/6: {name!r} leads outside the share and must be forbidden whether "
            f"or not the file exists there; got {refusal.describe()}"
        )


@pytest.mark.req("APP-NAME-6")
def test_refusal_does_not_reveal_existence_outside(target: Target, app_channel: AppChannel) -> None:
    """`../x` for an existing and a missing outside file: the same code and message shape."""
    channel = app_channel()
    answers: list[ReceivedFrame] = []
    for name in ("../outside/secret.txt", "../outside/sft-no-such-file.txt"):
        result = get_file(channel, name, also=[ExpectError("forbidden", "not_found")], served=False)
        if result.refused is None:
            raise ConformanceFailure(f"{name!r} was served")
        answers.append(result.refused)
    codes = {a.error_code for a in answers}
    messages = {
        str((a.json() or {}).get("message", ""))
        .replace("secret.txt", "*")
        .replace("sft-no-such-file.txt", "*")
        for a in answers
    }
    if len(codes) != 1 or codes != {5} or len(messages) != 1:
        raise ConformanceFailure(
            "APP-NAME-6: the answers differ by whether the outside file exists: "
            + " / ".join(a.describe() for a in answers)
        )


@pytest.mark.req("APP-NAME-3")
def test_percent_encoded_name_is_used_literally(target: Target, app_channel: AppChannel) -> None:
    literal = target.file("%2e%2e/x")
    channel = app_channel()
    if literal is not None:
        result = get_file(channel, "%2e%2e/x")
        assert result.done is not None
        if (result.done.json() or {}).get("sha256") != literal.sha256:
            raise ConformanceFailure("APP-NAME-3: '%2e%2e/x' did not serve the file of that name")
        return
    result = get_file(
        channel, "%2e%2e/%2e%2e/etc/passwd", also=[ExpectError("not_found")], served=False
    )
    if result.refused is None:
        raise ConformanceFailure("APP-NAME-3: '%2e%2e/%2e%2e/etc/passwd' was served")


@pytest.mark.req("APP-NAME-3")
def test_name_is_not_case_folded(target: Target, app_channel: AppChannel) -> None:
    file = known_file(target)
    if file.name.upper() == file.name or target.file(file.name.upper()) is not None:
        pytest.skip("no known file whose upper-case name is unused")
    result = get_file(
        app_channel(), file.name.upper(), also=[ExpectError("not_found")], served=False
    )
    if result.refused is None:
        raise ConformanceFailure(f"APP-NAME-3: {file.name.upper()!r} served {file.name!r}")


@pytest.mark.req("APP-NAME-2", "APP-PUT-2")
@pytest.mark.parametrize(
    "name", ["../evil.bin", "/srv/evil.bin", "a\\evil.bin", "C:evil.bin", "evil\x00.bin", "."]
)
def test_put_of_escaping_name_is_forbidden(
    target: Target, app_channel: AppChannel, name: str
) -> None:
    require(target, "put")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": 4})
    channel.expect([ExpectError("forbidden")]).check(f"APP-NAME-2: PUTF {name!r}")
    if target.inbox is not None:
        outside = target.inbox.parent / "evil.bin"
        assert not outside.exists(), f"APP-PUT-2: {outside} was written"
    # non-fatal: the connection still takes a put.
    channel.send_frame("PUTF", {"name": fresh_name(), "size": 1})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF after forbidden")
