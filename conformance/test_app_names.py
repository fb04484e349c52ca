"""Names (docs/SPEC.md §3.5): escapes from the share are refused; names are literal.

Fixtures (conformance/plugin.py): `target`, `app_channel()`. The embedded share holds a
symlink `escape` -> a directory outside the share (holding secret.txt), a symlink
`escape-file` -> that secret file, and a file literally named `%2e%2e/x`. For another
target, list the names that lead out of its share through symlinks in its target file:
`escape_symlinks = ["escape/secret.txt", "escape/no-such-file.txt", "escape"]`.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

import pytest

from conformance._wire_fixtures import (
    AppChannel,
    check_well_formed,
    fresh_name,
    get_file,
    known_file,
    require,
)
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ExpectFrame,
    ReceivedFrame,
    deadline_after,
)

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
def test_symlink_out_of_share_is_forbidden(target: Target, app_channel: AppChannel) -> None:
    """Every name the target file lists in `escape_symlinks` (through a symlink out of the
    share — into a sibling directory whose name starts with the share's, too) is
    `forbidden`, whether or not the file exists out there."""
    names = [str(n) for n in target.extra.get("escape_symlinks", [])]
    if not names:
        pytest.skip("the target file lists no escape_symlinks")
    channel = app_channel()
    wrong = []
    for name in names:
        answer = _probe(channel, name)
        if answer.error != "forbidden":
            wrong.append(f"{name!r}: {answer.describe()}")
    if wrong:
        raise ConformanceFailure.evidence(
            "APP-NAME-4/6: names that lead out of the share through a symbolic link",
            "EROR forbidden for each (existing or not outside)",
            "; ".join(wrong),
        )


# Pairs of refused names that differ only in whether the file exists outside the share
# (same length, so that a message echoing the name is cut at the same place).
_EXISTENCE_PAIRS = [
    ("/etc/passwd", "/etc/pxsswd"),
    ("../" * 12 + "etc/passwd", "../" * 12 + "etc/pxsswd"),
    ("sub/../../" * 6 + "etc/hostname", "sub/../../" * 6 + "etc/hostnxme"),
    ("../outside/secret.txt", "../outside/sxcret.txt"),
    ("..\\..\\..\\etc\\passwd", "..\\..\\..\\etc\\pxsswd"),
]


def _same_shape(answers: list[tuple[str, ReceivedFrame | None]]) -> bool:
    codes = {a.error_code if a is not None else None for _, a in answers}
    messages = set()
    for name, answer in answers:
        text = str(((answer.json() if answer is not None else None) or {}).get("message", ""))
        for cut in (name, name[:64], repr(name[:64]), repr(name)):
            text = text.replace(cut, "*")
        messages.add(text)
    return len(codes) == 1 and None not in codes and len(messages) == 1


@pytest.mark.req("APP-NAME-6", "APP-NAME-2", "APP-NAME-4")
def test_refusal_does_not_reveal_existence_outside(target: Target, app_channel: AppChannel) -> None:
    """Each pair (an existing and a missing file outside the share, through `..`, an
    absolute path, a symlink): the same code — forbidden — and the same message."""
    pairs = list(_EXISTENCE_PAIRS)
    escapes = [str(n) for n in target.extra.get("escape_symlinks", [])]
    for name in escapes:
        head, _, leaf = name.rpartition("/")
        if head and leaf:
            pairs.append((name, f"{head}/{leaf[::-1]}"))
    channel = app_channel()
    leaks = []
    for pair in pairs:
        answers = []
        for name in pair:
            answer = _probe(channel, name)
            if answer.served:
                raise ConformanceFailure(f"APP-NAME-2/4: {name!r} was served")
            answers.append((name, answer.frame))
        if not _same_shape(answers) or answers[0][1] is None or answers[0][1].error_code != 5:
            leaks.append(" / ".join(f"{n!r} -> {a.describe() if a else '?'}" for n, a in answers))
    if leaks:
        raise ConformanceFailure.evidence(
            "APP-NAME-6: refused names that differ only in whether the file exists outside",
            "the same EROR forbidden (code and message) for both names of each pair",
            "\n".join(leaks),
        )


@pytest.mark.req("APP-NAME-6", "APP-NAME-2")
def test_put_refusal_does_not_reveal_existence_outside(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    channel = app_channel()
    leaks = []
    for pair in _EXISTENCE_PAIRS:
        answers = []
        for name in pair:
            channel.send_frame("PUTF", {"name": name, "size": 1})
            outcome = channel.expect(
                [ExpectError("forbidden", "exists", "not_found"), ExpectFrame("RSFL")]
            ).check(f"PUTF {name!r}")
            if outcome.frame is not None and outcome.frame.type == b"RSFL":
                raise ConformanceFailure(f"APP-NAME-2/APP-PUT-2: PUTF {name!r} was accepted")
            answers.append((name, outcome.frame))
        if not _same_shape(answers) or answers[0][1] is None or answers[0][1].error_code != 5:
            leaks.append(" / ".join(f"{n!r} -> {a.describe() if a else '?'}" for n, a in answers))
    if leaks:
        raise ConformanceFailure.evidence(
            "APP-NAME-6: PUTF of names that differ only in whether the file exists outside",
            "the same EROR forbidden for both names of each pair",
            "\n".join(leaks),
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


# --- families of names --------------------------------------------------------------------


@dataclass
class _Answer:
    """What a get of one name produced: a refusal, or the bytes served."""

    frame: ReceivedFrame | None
    served: bytes | None = None
    other: str = ""

    @property
    def error(self) -> str | None:
        return self.frame.error_name if self.frame is not None else None

    def describe(self) -> str:
        if self.served is not None:
            digest = hashlib.sha256(self.served).hexdigest()
            return f"served {len(self.served)} bytes (sha256 {digest[:16]}…)"
        return self.frame.describe(100) if self.frame is not None else self.other


def _probe(channel: Channel, name: str) -> _Answer:
    """RQFL `name`: the refusal, or the whole file if served (read to its DONE)."""
    channel.send_frame("RQFL", {"name": name})
    first = channel.recv_frame()
    if not isinstance(first, ReceivedFrame):
        raise ConformanceFailure(
            f"RQFL {name!r}: no answer, the connection is unusable: {first.describe()}"
        )
    if first.type != b"RSFL":
        if first.error_code in (1, 2, 3, 4, 8, 9, 10, 11, 14):
            raise ConformanceFailure(
                f"APP-NAME-2/ERR-2: RQFL {name!r} was answered with a fatal error, names are "
                f"refused with a non-fatal one: {first.describe()}"
            )
        return _Answer(first)
    data = bytearray()
    deadline = deadline_after(channel.timeout + 1.0)
    while True:  # bounded by the deadline and by the 64 MiB the suite reads at most
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame) or len(data) > 64 * 1024 * 1024:
            return _Answer(first, bytes(data), event.describe())
        if event.type == b"DONE":
            return _Answer(first, bytes(data))
        data += event.payload


def _insert_everywhere(parts: list[str], special: str) -> list[str]:
    """`special` inserted at, and substituted for, every position of `parts`."""
    out = []
    for index in range(len(parts) + 1):
        out.append("/".join([*parts[:index], special, *parts[index:]]))
    for index in range(len(parts)):
        out.append("/".join([*parts[:index], special, *parts[index + 1 :]]))
    return out


def _forbidden_family(known: str) -> dict[str, str]:
    """Names APP-NAME-1/2 refuse, built around a known file's name: case -> name."""
    parts = known.split("/")
    family: dict[str, str] = {}
    for special, label in (("..", "dotdot"), (".", "dot"), ("", "empty")):
        for index, name in enumerate(_insert_everywhere(parts, special)):
            family[f"{label}-{index}"] = name
    family["dotdot-escape-deep"] = "/".join([*parts[:-1], *[".."] * 12, "etc", "passwd"])
    family["dotdot-then-back"] = "/".join(["sub", "..", *parts])
    family["trailing-slash"] = known + "/"
    family["absolute-root"] = "/"
    family["absolute-double"] = "//" + known
    family["absolute-known"] = "/" + known
    for index in range(len(known) + 1):  # a backslash and a NUL at every offset
        family[f"backslash-{index}"] = known[:index] + "\\" + known[index:]
        family[f"nul-{index}"] = known[:index] + "\x00" + known[index:]
    for code in [*range(1, 0x20), 0x7F]:
        family[f"control-{code:02x}"] = known[:1] + chr(code) + known[1:]
    for drive in ("C:", "c:", "Z:", "a:/", "C:\\"):
        family[f"drive-{drive}"] = drive + known
    family["drive-alone"] = "C:"
    return family


@pytest.mark.req("APP-NAME-1", "APP-NAME-2", "ERR-3")
def test_family_of_bad_names_is_forbidden(target: Target, app_channel: AppChannel) -> None:
    """`..`, `.` and empty components in every position, a backslash and a NUL at every
    offset, every C0 control and DEL, drive letters, absolute names — around a real file
    name, so that a too-lenient check serves that file. All on one connection: forbidden
    is non-fatal."""
    known = known_file(target, nonempty=False)
    nested = next((f for f in target.files if "/" in f.name), known)
    family = {**_forbidden_family(known.name), **_forbidden_family(nested.name)}
    channel = app_channel()
    wrong = []
    for case, name in sorted(family.items()):
        answer = _probe(channel, name)
        if answer.error != "forbidden":
            wrong.append(f"{case} {name!r}: {answer.describe()}")
    if wrong:
        raise ConformanceFailure.evidence(
            f"APP-NAME-2: {len(wrong)} of {len(family)} names that must be refused",
            "EROR forbidden (non-fatal) for each",
            "\n".join(wrong[:20]) + ("\n…" if len(wrong) > 20 else ""),
        )


_FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def _look_alikes(name: str) -> dict[str, str]:
    """Names that a normalising, case-folding, stripping or decoding target would take
    for `name` (or for an escape): case -> name. None of them is `name`."""
    head, _, leaf = name.rpartition("/")
    prefix = head + "/" if head else ""
    out = {
        "upper": name.upper(),
        "title": name.title(),
        "fullwidth": name.translate(_FULLWIDTH),
        "fullwidth-dot": name.replace(".", "\uff0e"),
        "fullwidth-slash": name.replace("/", "\uff0f"),
        "division-slash": name.replace("/", "\u2215"),
        "trailing-dot": name + ".",
        "trailing-dots": name + "...",
        "trailing-space": name + " ",
        "trailing-dot-space": name + ". ",
        "leading-space": prefix + " " + leaf,
        "zero-width-space": prefix + leaf[:1] + "\u200b" + leaf[1:],
        "soft-hyphen": prefix + leaf[:1] + "\u00ad" + leaf[1:],
        "rlo": prefix + "\u202e" + leaf,
        "c1-control": prefix + leaf[:1] + "\u0085" + leaf[1:],
        "bom": "\ufeff" + name,
        "nfc": unicodedata.normalize("NFC", name),
        "nfd": unicodedata.normalize("NFD", name),
        "nfkc": unicodedata.normalize("NFKC", name),
        "percent-first": prefix + f"%{ord(leaf[0]):02x}" + leaf[1:],
        "percent-slash": name.replace("/", "%2f"),
        "fullwidth-escape": "\uff0e\uff0e\uff0f" * 12 + "etc\uff0fpasswd",
        "fullwidth-dotdot-back": "sub\uff0f\uff0e\uff0e\uff0f" + name,
        "one-dot-leader": "\u2024\u2024/" + name,
    }
    return {case: alike for case, alike in out.items() if alike != name}


@pytest.mark.req("APP-NAME-3")
def test_look_alike_names_are_used_literally(target: Target, app_channel: AppChannel) -> None:
    """Fullwidth forms, NFC/NFD/NFKC variants, case, trailing dots and spaces, invisible
    characters, percent-escapes: each is another name. A target must answer it for
    itself (`not_found`, or `forbidden` for a form it refuses) and never serve the file
    it resembles, nor a file outside the share."""
    if not target.files:
        pytest.skip("the target file lists no known file in [files]")
    known = {f.name: f for f in target.files}
    digests = {f.sha256: f.name for f in target.files}
    bases = [f for f in target.files if f.size <= 64 * 1024][:6]
    channel = app_channel()
    wrong = []
    for base in bases:
        for case, name in sorted(_look_alikes(base.name).items()):
            expected = known.get(name)
            answer = _probe(channel, name)
            if expected is not None:
                if answer.served is None or hashlib.sha256(answer.served).hexdigest() != (
                    expected.sha256
                ):
                    wrong.append(f"{case} {name!r} is a known file: {answer.describe()}")
                continue
            if answer.served is not None:
                digest = hashlib.sha256(answer.served).hexdigest()
                what = f"the content of {digests[digest]!r}" if digest in digests else "a file"
                wrong.append(f"{case} {name!r} (like {base.name!r}) served {what}")
            elif answer.error not in ("not_found", "forbidden"):
                wrong.append(f"{case} {name!r}: {answer.describe()}")
    # A known file whose name changes under NFC or NFD must be served under its own name.
    for file in target.files:
        for form in ("NFC", "NFD"):
            if unicodedata.normalize(form, file.name) != file.name:
                answer = _probe(channel, file.name)
                if answer.served is None or (
                    hashlib.sha256(answer.served).hexdigest() != file.sha256
                ):
                    wrong.append(f"{file.name!r} (not in {form}) not served: {answer.describe()}")
                break
    if wrong:
        raise ConformanceFailure.evidence(
            "APP-NAME-3: names must be used literally",
            "each look-alike answered for itself (not_found/forbidden); known names served",
            "\n".join(wrong[:20]),
        )


@pytest.mark.req("APP-NAME-1", "APP-NAME-7")
def test_name_length_limits_count_utf8_bytes(target: Target, app_channel: AppChannel) -> None:
    """Components of exactly 255 UTF-8 bytes and names of exactly 4096 are names
    (not_found here); one byte more is `forbidden` — with 1-, 2- and 3-byte characters."""
    require(target, "get")

    def component(char: str, size: int) -> str:
        width = len(char.encode("utf-8"))
        return char * (size // width) + "a" * (size % width)

    cases: dict[str, tuple[str, str]] = {}
    for char in ("a", "\u00e9", "\u20ac"):
        width = len(char.encode("utf-8"))
        cases[f"component-255-{char}"] = (component(char, 255), "not_found")
        # 256 bytes or a little more, but at most 255 characters
        cases[f"component-over-{char}"] = (char * (255 // width + 1), "forbidden")
        cases[f"name-4096-{char}"] = (_exact_name(char, 4096), "not_found")
        cases[f"name-4097-{char}"] = (_exact_name(char, 4097), "forbidden")
    channel = app_channel()
    wrong = []
    for case, (name, want) in sorted(cases.items()):
        answer = _probe(channel, name)
        if answer.error != want:
            size = len(name.encode("utf-8"))
            wrong.append(f"{case} ({size} bytes, {len(name)} characters): {answer.describe()}")
    if wrong:
        raise ConformanceFailure.evidence(
            "APP-NAME-1/7: lengths are counted in UTF-8 bytes",
            "not_found at the limits, forbidden one byte beyond",
            "\n".join(wrong),
        )


def _exact_name(char: str, size: int) -> str:
    """A name of exactly `size` UTF-8 bytes: components of at most 255 bytes of `char`."""
    width = len(char.encode("utf-8"))
    parts: list[str] = []
    remaining = size
    while remaining > 0:
        if parts:
            remaining -= 1  # the slash
        take = min(255, remaining)
        if remaining - take == 1:  # a slash would fit but no component after it
            take -= 1
        parts.append(char * (take // width) + "a" * (take % width))
        remaining -= take
    return "/".join(parts)


@pytest.mark.req("APP-NAME-2", "APP-PUT-2", "ERR-3")
def test_put_family_of_bad_names_is_forbidden(target: Target, app_channel: AppChannel) -> None:
    """The refused names of APP-NAME-2 as puts: forbidden, nothing accepted."""
    require(target, "put")
    family = _forbidden_family("sft-conformance/put.bin")
    channel = app_channel()
    wrong = []
    for case, name in sorted(family.items()):
        channel.send_frame("PUTF", {"name": name, "size": 1})
        outcome = channel.expect([ExpectError("forbidden"), ExpectFrame("RSFL")])
        if outcome.frame is not None and outcome.frame.type == b"RSFL":
            raise ConformanceFailure(
                f"APP-NAME-2/APP-PUT-2: PUTF {name!r} ({case}) was accepted: "
                f"{outcome.frame.describe()}"
            )
        if not outcome.ok:
            wrong.append(f"{case} {name!r}: {outcome.describe()}")
            break
    if wrong:
        raise ConformanceFailure.evidence(
            "APP-NAME-2: PUTF of names that must be refused", "EROR forbidden", "\n".join(wrong)
        )


@pytest.mark.req("APP-NAME-1", "APP-PUT-2", "ERR-3")
def test_put_names_beyond_the_length_limits_are_forbidden(
    target: Target, app_channel: AppChannel
) -> None:
    """APP-NAME-1's limits hold in a put as in a get, for the whole name and for every
    component — also those a put does not keep (it stores the basename, APP-PUT-2): a
    put path with its own copy of the name rules, checking only the basename it stores,
    or leaving the limits to the file system, accepts these (or fails with ENAMETOOLONG
    instead of `forbidden`)."""
    require(target, "put")
    names = {
        "name-4097-bytes": _exact_name("d", 4097),
        "name-4097-bytes-two-byte-chars": _exact_name("\u00e9", 4097),
        "directory-component-256": "d" * 256 + "/sft-conformance-put.bin",
        "directory-component-256-bytes": "\u00e9" * 128 + "/sft-conformance-put.bin",
        "basename-256": "e" * 256,
        "basename-256-bytes": "sft-" + "\u20ac" * 84,
    }
    channel = app_channel()
    for case, name in names.items():
        channel.send_frame("PUTF", {"name": name, "size": 1})
        outcome = channel.expect([ExpectError("forbidden"), ExpectFrame("RSFL")])
        if not outcome.ok or outcome.frame is None or outcome.frame.type == b"RSFL":
            raise ConformanceFailure.evidence(
                f"APP-NAME-1: PUTF of a name beyond the limits ({case}, "
                f"{len(name.encode())} bytes, longest component "
                f"{max(len(p.encode()) for p in name.split('/'))} bytes)",
                "EROR forbidden (non-fatal), nothing accepted",
                outcome.describe(),
            )


@pytest.mark.req("ERR-1")
def test_refusals_of_long_names_are_well_formed(target: Target, app_channel: AppChannel) -> None:
    """The EROR answering a long name is a well-formed EROR: its message at most 512
    characters, however long the name it refuses (an implementation that quotes the name
    in full breaks ERR-1 exactly there)."""
    require(target, "get")
    names = [
        ("not_found", _exact_name("a", 4096)),
        ("forbidden", _exact_name("a", 4097)),
        ("forbidden", "/" + "b" * 255 + "/../" + "c" * 255),
    ]
    channel = app_channel()
    frames = []
    for want, name in names:
        channel.send_frame("RQFL", {"name": name})
        answer = channel.expect([ExpectError(want, then_close=False)])
        answer.check(f"a get of a {len(name.encode())}-byte name")
        if answer.frame is not None:
            frames.append(answer.frame)
    if target.has("put"):
        channel.send_frame("PUTF", {"name": _exact_name("d", 4097), "size": 1})
        answer = channel.expect([ExpectError("forbidden", then_close=False)])
        answer.check("a put of a 4097-byte name")
        if answer.frame is not None:
            frames.append(answer.frame)
    check_well_formed(frames, "ERR-1: the refusals of long names")


# --- the whole name is checked, however long ----------------------------------------------

# Characters APP-NAME-2 and APP-NAME-8 refuse wherever they are in a name.
_LATE_BAD_CHARACTERS = {
    "backslash": "\\",
    "nul": "\x00",
    "c0-01": "\x01",
    "c0-1f": "\x1f",
    "del": "\x7f",
    "c1-85": "\x85",
    "c1-9f": "\x9f",
    "bidi-202e": "\u202e",
    "bidi-2066": "\u2066",
}
# Directory components of 100 characters in front of the bad one: the bad character is
# then at offset 101 (beyond a 64-character copy made for a log line or an EROR message),
# 707 and 2121 (deep in a name of at most 4096 bytes, components within 255 bytes).
_LEADING_COMPONENTS = (1, 7, 21)


def _late_bad_names(prefix: str) -> dict[str, str]:
    """case -> a name within APP-NAME-1's limits whose only fault is a character far
    from its start (in its last component, after `prefix`)."""
    names = {}
    for count in _LEADING_COMPONENTS:
        head = "/".join(["d" * 100] * count)
        for label, char in _LATE_BAD_CHARACTERS.items():
            names[f"{label}-after-{count}"] = f"{head}/{prefix}{char}x.txt"
    return names


@pytest.mark.req("APP-NAME-2", "APP-NAME-8")
def test_bad_character_far_into_a_name_is_forbidden_in_a_get(
    target: Target, app_channel: AppChannel
) -> None:
    """A backslash, NUL, C0, DEL, C1 or bidirectional control beyond the first 100
    characters of a name (a check run on a shortened copy misses it): `forbidden`, on
    one connection (non-fatal). The names hold no file: `not_found` says the character
    was never looked at."""
    require(target, "get")
    channel = app_channel()
    wrong = []
    names = _late_bad_names("late")
    for case, name in sorted(names.items()):
        answer = _probe(channel, name)
        if answer.error != "forbidden":
            wrong.append(f"{case} (offset {len(name) - 6}): {answer.describe()}")
    if wrong:
        raise ConformanceFailure.evidence(
            f"APP-NAME-2/8: {len(wrong)} of {len(names)} gets of a name whose refused "
            "character comes after 100 characters or more",
            "EROR forbidden for each: the rules hold for the whole name",
            "\n".join(wrong[:20]) + ("\n…" if len(wrong) > 20 else ""),
        )


def _put_answer(channel: Channel, name: str) -> ReceivedFrame:
    """PUTF `name` (3 bytes); if accepted, its DATA and DONE too. The first answer."""
    data = b"abc"
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    first = channel.recv_frame()
    if not isinstance(first, ReceivedFrame):
        raise ConformanceFailure(
            f"PUTF {name[:80]!r}: no answer, the connection is unusable: {first.describe()}"
        )
    if first.type == b"RSFL":
        channel.send_frame("DATA", data)
        channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        channel.recv_frame()  # its DONE (or EROR): the put is judged by its acceptance
    return first


@pytest.mark.req("APP-NAME-2", "APP-NAME-8")
def test_bad_character_far_into_a_name_is_forbidden_in_a_put(
    target: Target, app_channel: AppChannel
) -> None:
    """The names of the get case offered as puts: `forbidden` before any data, never
    stored (its basename holds the refused character). A fresh connection per refusal
    that is not `forbidden`."""
    require(target, "put")
    wrong = []
    names = _late_bad_names(fresh_name("late"))
    channel = app_channel()
    for case, name in sorted(names.items()):
        first = _put_answer(channel, name)
        if first.error_name != "forbidden":
            wrong.append(f"{case} (offset {len(name) - 6}): {first.describe(100)}")
            channel.close()
            channel = app_channel()
    channel.close()
    if wrong:
        raise ConformanceFailure.evidence(
            f"APP-NAME-2/8: {len(wrong)} of {len(names)} puts of a name whose refused "
            "character comes after 100 characters or more",
            "EROR forbidden for each, before any data: such a name never reaches the inbox",
            "\n".join(wrong[:20]) + ("\n…" if len(wrong) > 20 else ""),
        )


_PUT_BEYOND_LIMITS = {
    "empty": "",
    "component-too-long": "a" * 256,
    "name-too-long": "/".join(["a" * 200] * 21),
    "multibyte-component-too-long": "\u00e9" * 128,  # 256 UTF-8 bytes, 128 characters
}


@pytest.mark.req("APP-NAME-1")
@pytest.mark.parametrize("case", sorted(_PUT_BEYOND_LIMITS))
def test_put_of_a_name_beyond_the_limits_is_forbidden(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    """APP-NAME-1 refuses a name beyond its limits "in a get and in a put": the empty
    name (not a default name in its place), a component of 256 bytes, a name of more than
    4096 bytes — `forbidden`, never accepted."""
    require(target, "put")
    channel = app_channel()
    name = _PUT_BEYOND_LIMITS[case]
    first = _put_answer(channel, name)
    channel.close()
    if first.error_name != "forbidden":
        raise ConformanceFailure.evidence(
            f"APP-NAME-1: PUTF of the name {name[:40]!r}{'…' if len(name) > 40 else ''} "
            f"({case}, {len(name.encode())} bytes)",
            "EROR forbidden (non-fatal), before any data",
            first.describe(200),
        )
