"""Get (docs/SPEC.md §3.3, §3.7): the responder under test serves its share; both profiles.

Fixtures (conformance/plugin.py): `target`, `app_channel()`. Known files come from the
target file's [files] (the embedded share holds hello.txt, empty.txt, big.bin,
sub/nested.txt, a directory `adir`, and toolarge.bin just above its max file size).
"""

from __future__ import annotations

import pytest

from conformance._wire_fixtures import AppChannel, get_file, known_file, nothing_more
from conformance.pki_channel import close_bound
from conformance.target import KnownFile, Target
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError, ExpectFrame


@pytest.mark.req("APP-GET-1", "APP-GET-2", "FRM-13")
def test_get_known_file_matches_size_and_sha256(target: Target, app_channel: AppChannel) -> None:
    file = known_file(target)
    result = get_file(app_channel(), file.name)
    if result.data and len(result.data) != file.size:
        raise ConformanceFailure(f"got {len(result.data)} bytes, the share holds {file.size}")
    assert result.done is not None
    if (result.done.json() or {}).get("sha256") != file.sha256:
        raise ConformanceFailure(
            f"DONE {result.done.describe()} but the file's sha256 is {file.sha256}"
        )


@pytest.mark.req("APP-GET-2")
def test_get_multi_frame_file(target: Target, app_channel: AppChannel) -> None:
    """A file above 1 MiB arrives in several DATA frames, each at most 1 MiB."""
    big = next((f for f in target.files if f.size > 1024 * 1024), None)
    if big is None or big.size > target.limits.max_file_size:
        pytest.skip("no known file above 1 MiB (and within the max file size)")
    result = get_file(app_channel(), big.name)
    data_frames = [f for f in result.frames if f.type == b"DATA"]
    assert len(data_frames) >= 2, "a file above 1 MiB needs several DATA frames (FRM-13)"


@pytest.mark.req("APP-GET-2")
def test_get_empty_file(target: Target, app_channel: AppChannel) -> None:
    empty = next((f for f in target.files if f.size == 0), None)
    if empty is None:
        pytest.skip("no known empty file")
    result = get_file(app_channel(), empty.name)
    assert result.data == b""


@pytest.mark.req("APP-GET-2")
def test_get_missing_file_is_not_found_and_connection_stays(
    target: Target, app_channel: AppChannel
) -> None:
    file = known_file(target)
    channel = app_channel()
    get_file(
        channel, "sft-conformance-no-such-file.txt", also=[ExpectError("not_found")], served=False
    )
    result = get_file(
        channel, "sft-conformance-no-such-file.txt", also=[ExpectError("not_found")], served=False
    )
    if result.refused is None:
        raise ConformanceFailure("a missing file was served")
    # ERR-3: not_found is non-fatal, the next request on the same connection is served.
    get_file(channel, file.name)


def _share_fact(target: Target, key: str, what: str) -> list[str]:
    names = [str(n) for n in target.extra.get(key, [])]
    if not names:
        pytest.skip(f"the target file lists no {what} ({key} = [...])")
    return names


@pytest.mark.req("APP-GET-2")
def test_get_directory_is_not_found(target: Target, app_channel: AppChannel) -> None:
    for name in _share_fact(target, "directories", "directory of the share"):
        result = get_file(app_channel(), name, also=[ExpectError("not_found")], served=False)
        if result.refused is None:
            raise ConformanceFailure(f"directory {name!r} was served as a file")


@pytest.mark.req("APP-GET-2", "LIM-3")
def test_get_file_above_max_size_is_too_large(target: Target, app_channel: AppChannel) -> None:
    for name in _share_fact(target, "too_large", "file above the max file size"):
        result = get_file(app_channel(), name, also=[ExpectError("too_large")], served=False)
        if result.refused is None:
            raise ConformanceFailure(f"{name!r}, above the max file size, was served")


@pytest.mark.req("APP-2")
def test_several_gets_on_one_connection(target: Target, app_channel: AppChannel) -> None:
    channel = app_channel()
    names = [f.name for f in target.files if 0 < f.size <= 64 * 1024][:3] or [
        known_file(target).name
    ]
    for name in names * 2:
        get_file(channel, name)


@pytest.mark.req("APP-BYE-1")
def test_bye_ends_the_connection(target: Target, app_channel: AppChannel) -> None:
    channel = app_channel()
    channel.send_frame("BYE_", {})
    outcome = channel.expect([ExpectFrame("BYE_"), ExpectClose()]).check("APP-BYE-1: BYE_")
    if outcome.frame is not None:
        # At once: a close that only the idle timeout brings is not "then close".
        bound = close_bound(target.limits.idle_timeout)
        channel.expect([ExpectClose()], timeout=bound).check(
            f"APP-BYE-1: close within {bound:.2f} s of echoing BYE_"
        )


@pytest.mark.req("APP-BYE-1", "APP-1")
def test_requests_after_bye_are_not_served(target: Target, app_channel: AppChannel) -> None:
    file = known_file(target)
    channel = app_channel()
    channel.send_frame("BYE_", {})
    channel.send_frame("RQFL", {"name": file.name})
    outcome = channel.expect([ExpectFrame("BYE_"), ExpectClose()]).check("BYE_ then RQFL")
    if outcome.frame is not None:
        channel.expect([ExpectClose()], timeout=close_bound(target.limits.idle_timeout)).check(
            "APP-BYE-1: a request after BYE_ is not served (and the close comes at once)"
        )


@pytest.mark.req("ERR-3")
def test_nothing_follows_a_complete_get(target: Target, app_channel: AppChannel) -> None:
    """The responder answers one request with one answer: no stray frames after DONE."""
    file = known_file(target)
    channel = app_channel()
    get_file(channel, file.name)
    nothing_more(channel)


@pytest.mark.req("APP-GET-2", "APP-2", "FRM-13", "LIM-3")
def test_every_known_file_has_its_size_and_sha256(target: Target, app_channel: AppChannel) -> None:
    """Every known file up to the max file size (0 bytes, 1 MiB - 1, 1 MiB, 1 MiB + 1,
    exactly the max...), one after another on one connection: exactly its bytes, in DATA
    frames of 1 byte to 1 MiB, and DONE/RSFL with its size and SHA-256."""
    files = [f for f in target.files if f.size <= target.limits.max_file_size]
    if not files:
        pytest.skip("the target file lists no known file in [files]")
    channel = app_channel()
    wrong = []
    for file in files:
        result = get_file(channel, file.name)
        assert result.done is not None
        done = result.done.json() or {}
        if len(result.data) != file.size or done.get("sha256") != file.sha256:
            wrong.append(
                f"{file.name!r}: got {len(result.data)} bytes, DONE {done}; the share holds "
                f"{file.size} bytes, sha256 {file.sha256}"
            )
        sizes = [len(f.payload) for f in result.frames if f.type == b"DATA"]
        if any(not 1 <= n <= 1024 * 1024 for n in sizes):
            wrong.append(f"{file.name!r}: DATA payload sizes {sizes} (FRM-13: 1 to 1 MiB)")
    if wrong:
        raise ConformanceFailure.evidence(
            "APP-GET-2: each known file served exactly",
            "its bytes, size and SHA-256",
            "\n".join(wrong),
        )


@pytest.mark.req("APP-GET-7")
def test_rsfl_names_the_file_exactly_as_requested(target: Target, app_channel: AppChannel) -> None:
    """The RSFL of a get echoes the request's name unchanged: not its basename (as a put's
    RSFL{accept} has), not a normalised, case-folded or decoded form. The known files
    whose names a careless responder would rewrite come first: a directory, a non-ASCII
    character, a percent sign, an upper-case letter."""

    def rewritable(name: str) -> bool:
        return "/" in name or "%" in name or not name.isascii() or name != name.lower()

    small = [f for f in target.files if f.size <= 64 * 1024]
    files = sorted(small, key=lambda f: not rewritable(f.name))[:4]
    if not files:
        pytest.skip("the target file lists no known file of at most 64 KiB in [files]")
    channel = app_channel()
    wrong = []
    for file in files:
        result = get_file(channel, file.name)
        rsfl = next((f for f in result.frames if f.type == b"RSFL"), None)
        named = (rsfl.json() or {}).get("name") if rsfl is not None else None
        if named != file.name:
            # !a: an NFC and an NFD form print alike otherwise.
            wrong.append(f"RQFL {file.name!a} answered RSFL name {named!a}")
    if wrong:
        raise ConformanceFailure.evidence(
            "APP-GET-7: gets of known files",
            "each RSFL carries the request's name unchanged",
            "; ".join(wrong),
        )


def _small(files: list[KnownFile]) -> KnownFile | None:
    return next((f for f in files if f.size <= 64 * 1024), files[0] if files else None)


@pytest.mark.req("APP-2", "APP-GET-2")
def test_get_after_a_refused_get_inside_a_directory_starts_from_the_top(
    target: Target, app_channel: AppChannel
) -> None:
    """Names are resolved from the top of the share for every request: a get that failed
    half-way down a directory (a missing file in it, a file in it used as a directory,
    the directory itself) leaves nothing behind. On one connection each refused get is
    followed by a get of a known top-level file and one of a known nested file, which
    must be served. A responder that walks a per-connection directory cursor, reset only
    when an open succeeds, looks for them inside that directory."""
    nested = [f for f in target.files if "/" in f.name]
    top = _small([f for f in target.files if "/" not in f.name])
    if not nested or top is None:
        pytest.skip("no known file both at the top of the share and in a directory")
    inner = _small(nested)
    assert inner is not None
    directory = inner.name.rsplit("/", 1)[0]
    refusals = {
        "a missing file in the directory": f"{directory}/sft-conformance-missing.txt",
        "a file of the directory used as a directory": f"{inner.name}/x.txt",
        "a missing directory in the directory": f"{directory}/no-such-dir/x.txt",
        "the directory itself": directory,
    }
    channel = app_channel()
    for what, name in refusals.items():
        get_file(channel, name, also=[ExpectError("not_found"), ExpectError("forbidden")])
        for after in (top, inner):
            try:
                result = get_file(channel, after.name)
            except ConformanceFailure as exc:
                raise ConformanceFailure.evidence(
                    f"APP-2: a get of {name!r} ({what}), refused, then a get of the known "
                    f"file {after.name!r} on the same connection",
                    "the known file is served: every name is resolved from the top of "
                    "the share, whatever the request before it did",
                    str(exc)[:600],
                ) from None
            if len(result.data) != after.size:
                raise ConformanceFailure(
                    f"APP-2: after the refused get of {name!r}, {after.name!r} came with "
                    f"{len(result.data)} bytes, the share holds {after.size}"
                )
