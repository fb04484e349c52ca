"""Mutants of the application layer (APP-*, FRM-*, LIM-*, ERR-*) of either profile's server.

Each is a plausible implementer's bug, planted by monkeypatching the reference inside the
mutant's own subprocess (see conformance/selftest/mutants.py); the suite must FAIL the
named requirement. Most core bugs are planted by editing one line of the reference's own
source (`_patch_source`): an off-by-one, a check on the wrong side, a dropped line — the
mistakes that survive a happy-path test suite.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import textwrap
import unicodedata
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


def _patch_source(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Replaces `owner.attr` by its own source with `edits` applied (each must match)."""
    func = inspect.getattr_static(owner, attr)
    raw = getattr(func, "__func__", func)
    source = textwrap.dedent(inspect.getsource(raw))
    for old, new in edits:
        if old not in source:
            raise RuntimeError(f"mutant: {attr} no longer contains {old!r}")
        source = source.replace(old, new)
    namespace: dict[str, Any] = {}
    code = compile("from __future__ import annotations\n" + source, f"<mutant {attr}>", "exec")
    exec(code, raw.__globals__, namespace)  # noqa: S102 - the mutant's own edited source
    setattr(owner, attr, namespace[attr])


def _unindent(text: str) -> str:
    """`text` written at the method's indentation in its file (4 spaces in a class), as
    _patch_source sees it after its dedent."""
    return "".join(
        line[4:] if line.startswith("    ") else line for line in text.splitlines(keepends=True)
    )


def _patch_method(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """_patch_source with edits copied as they stand in the file, indentation included."""
    _patch_source(owner, attr, *((_unindent(old), _unindent(new)) for old, new in edits))


def _share() -> Any:
    return _module("reference.share")


def _open_parts(self: Any, name: str, parts: list[str]) -> Any:
    """ShareDirectory.open after its name check, for mutants that build `parts` their way."""
    share = _share()
    io = _module("io")
    stat = _module("stat")
    current = self._fd
    try:
        for part in parts[:-1]:
            child = self._open_component(current, part, share._DIR_FLAGS, name)
            if current != self._fd:
                os.close(current)
            current = child
        fd = self._open_component(current, parts[-1], share._FILE_FLAGS, name)
    finally:
        if current != self._fd:
            os.close(current)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise share._not_found(name)
    return share.SharedFile(io.FileIO(fd, "rb", closefd=True), st.st_size)


def _replace_check_name(check: Callable[[str], list[str]]) -> None:
    _share().check_name = check


# ---------------------------------------------------------------- names (APP-NAME-*)


def _prefix_confinement() -> None:
    share = _share()

    def open_(self: Any, name: str) -> Any:
        share.check_name(name)
        root = os.path.realpath(self.path)
        path = os.path.realpath(os.path.join(root, name))
        if not path.startswith(root):  # the classic: /srv/share-evil starts with /srv/share
            raise share.NameRefused("outside the share")
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            raise share._not_found(name) from None
        st = os.fstat(fd)
        if not _module("stat").S_ISREG(st.st_mode):
            os.close(fd)
            raise share._not_found(name)
        return share.SharedFile(_module("io").FileIO(fd, "rb", closefd=True), st.st_size)

    share.ShareDirectory.open = open_


def _normalised_after_check() -> None:
    share = _share()

    def open_(self: Any, name: str) -> Any:
        share.check_name(name)  # checked as received ...
        name = unicodedata.normalize("NFKC", name)  # ... then "cleaned up" for the disk
        return _open_parts(self, name, name.split("/"))

    share.ShareDirectory.open = open_


def _lenient_check(
    *,
    dotdot_first_only: bool = False,
    backslash: bool = True,
    controls: str | None = None,
    length_in_chars: bool = False,
) -> Callable[[str], list[str]]:
    share = _share()

    def check_name(name: str) -> list[str]:
        try:
            size = len(name) if length_in_chars else len(name.encode("utf-8"))
        except UnicodeEncodeError:
            raise share.NameRefused("not UTF-8") from None
        if not 1 <= size <= 4096 or name.startswith("/"):
            raise share.NameRefused("bad name")
        if len(name) >= 2 and name[1] == ":" and name[0].isascii() and name[0].isalpha():
            raise share.NameRefused("drive letter")
        if backslash and "\\" in name:
            raise share.NameRefused("backslash")
        refused = controls if controls is not None else "".join(map(chr, [*range(32), 127]))
        if any(c in refused for c in name):
            raise share.NameRefused("control character")
        parts = name.split("/")
        for index, part in enumerate(parts):
            if part in ("", ".") or (part == ".." and (index == 0 or not dotdot_first_only)):
                raise share.NameRefused("bad component")
            if (len(part) if length_in_chars else len(part.encode("utf-8"))) > 255:
                raise share.NameRefused("component too long")
        return parts

    return check_name


def _dotdot_first_only() -> None:
    _replace_check_name(_lenient_check(dotdot_first_only=True))


def _backslash_allowed() -> None:
    _replace_check_name(_lenient_check(backslash=False))


def _controls_partial() -> None:
    _replace_check_name(_lenient_check(controls="\x00\t\n\r\x7f"))


def _length_in_characters() -> None:
    _replace_check_name(_lenient_check(length_in_chars=True))


def _nul_truncates() -> None:
    share = _share()
    original = share.ShareDirectory.open

    def open_(self: Any, name: str) -> Any:
        return original(self, name.split("\x00", 1)[0])  # "C strings end at NUL"

    share.ShareDirectory.open = open_


def _existence_revealed() -> None:
    share = _share()
    original = share.ShareDirectory.open

    def open_(self: Any, name: str) -> Any:
        # "fast path": a name that does not exist is not_found, whatever it looks like
        if not os.path.lexists(os.path.join(self.path, name)):
            raise share._not_found(name)
        return original(self, name)

    share.ShareDirectory.open = open_


def _trailing_dots_stripped() -> None:
    share = _share()

    def open_(self: Any, name: str) -> Any:
        parts = share.check_name(name)
        # "Windows clients add dots and spaces": strip them like Explorer does
        return _open_parts(self, name, [p.rstrip(". ") or p for p in parts])

    share.ShareDirectory.open = open_


def _put_basename_unchecked() -> None:
    share = _share()
    original = share.Inbox.target_name

    def target_name(self: Any, name: str) -> str:
        base = name.replace("\\", "/").rsplit("/", 1)[-1]  # "only the basename is used"
        if base in ("", ".", ".."):
            raise share.NameRefused("bad name")
        result: str = original(self, base)
        return result

    share.Inbox.target_name = target_name


def _put_case_folded() -> None:
    share = _share()
    original = share.Inbox.target_name

    def target_name(self: Any, name: str) -> str:
        result: str = original(self, name.lower())  # "portable to case-insensitive disks"
        return result

    share.Inbox.target_name = target_name


# ---------------------------------------------------------------- put and storage


def _put_size_not_compared() -> None:
    app = _module("reference.app")
    _patch_source(
        app._Transfer,
        "check_done",
        ("done.size == self.announced == self.count and ", ""),
    )


def _extra_data_checked_late() -> None:
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        (
            "self._incoming.count + length > self._incoming.announced",
            "self._incoming.count > self._incoming.announced",
        ),
    )
    _patch_source(
        _share().PartialFile,
        "write",
        ("if self.written + len(view) > self.limit:", "if self.written > self.limit:"),
    )


def _put_committed_on_eof() -> None:
    server = _module("reference.eke.server")
    _patch_source(
        server.EkeServer,
        "_serve_records",
        (
            "                return  # [EKE-REC-4]: close, deliver nothing, send nothing",
            "                if partial is not None and partial.written == partial.limit:\n"
            "                    current, partial = partial, None  # all the data came\n"
            "                    current.commit()\n"
            "                return",
        ),
    )


def _put_overwrite_race() -> None:
    _patch_source(_share().PartialFile, "commit", ("if overwrite:", "if True:"))


def _put_at_max_refused() -> None:
    server = _module("reference.eke.server")
    _patch_source(
        server.EkeServer,
        "_begin_put",
        ("request.size > self.config.max_file_size", "request.size >= self.config.max_file_size"),
    )


def _temp_not_removed() -> None:
    share = _share()
    _patch_source(
        share.PartialFile,
        "__init__",
        ('f"{PARTIAL_PREFIX}{secrets.token_hex(12)}"', 'f"{PARTIAL_PREFIX}{final_name}"'),
    )
    _patch_source(
        share.PartialFile,
        "abort",
        ("os.unlink(self.temp_name, dir_fd=self._dir_fd)", "pass"),
    )


# ---------------------------------------------------------------- get


def _get_at_max_refused() -> None:
    server = _module("reference.eke.server")
    _patch_source(
        server.EkeServer,
        "_serve_get",
        ("shared.size > self.config.max_file_size", "shared.size >= self.config.max_file_size"),
    )


def _get_hash_per_chunk() -> None:
    transfer = _module("reference.transfer")

    def update(self: Any, data: Any, /) -> None:
        self._join()
        self._sha = _module("hashlib").sha256()  # "a fresh hash per chunk" (a reused buffer)
        self._sha.update(data)

    transfer.PipelinedSha256.update = update


# ---------------------------------------------------------------- framing


def _type_check_isupper() -> None:
    frames = _module("reference.frames")
    app = _module("reference.app")
    errors = _module("reference.errors")

    def parse_header(header: Any, max_payload: int) -> tuple[bytes, int]:
        frame_type, length = frames.HEADER.unpack(header)
        if not frame_type.isupper():  # "types are upper-case": b"RQ L".isupper() is True
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "bad frame type")
        if length > max_payload:
            raise errors.RemoteProtocolError(errors.ErrorCode.FRAME_TOO_LARGE, "too large")
        return bytes(frame_type), int(length)

    frames.parse_header = parse_header
    app.parse_header = parse_header


def _type_check_first_three() -> None:
    re = _module("re")
    _module("reference.frames")._TYPE_RE = re.compile(rb"[A-Z0-9_]{3}.", re.S)


def _unknown_type_skipped() -> None:
    app = _module("reference.app")
    frames = _module("reference.frames")
    original = app.ApplicationConnection._next_event

    def next_event(self: Any) -> Any:
        buf = self._buffer
        # "skip frames we do not know, for forward compatibility" (bounded by the input)
        while (
            self._header is None
            and not self._payload_left
            and len(buf) >= 8
            and frames._TYPE_RE.fullmatch(bytes(buf[:4]))
            and bytes(buf[:4]) not in app._KNOWN_TYPES
        ):
            length = int.from_bytes(buf[4:8], "big")
            if len(buf) < 8 + length:
                return self._starved()
            del buf[: 8 + length]
        return original(self)

    app.ApplicationConnection._next_event = next_event


def _length_checked_after_payload() -> None:
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        (
            "        if len(buf) < HEADER_SIZE:\n            return self._starved()\n"
            "        self._header",
            "        if len(buf) < HEADER_SIZE:\n            return self._starved()\n"
            "        if len(buf) < HEADER_SIZE + int.from_bytes(buf[4:8], 'big'):\n"
            "            return self._starved()  # the whole frame first, then judge it\n"
            "        self._header",
        ),
    )


def _empty_data_accepted() -> None:
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "_check_header",
        ("not 1 <= length <= MAX_DATA_PAYLOAD", "not 0 <= length <= MAX_DATA_PAYLOAD"),
    )


def _data_limit_is_frame_limit() -> None:
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "_check_header",
        ("not 1 <= length <= MAX_DATA_PAYLOAD", "not 1 <= length <= DEFAULT_MAX_PAYLOAD"),
    )


def _control_limit_off_by_one() -> None:
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "_check_header",
        ("length > MAX_CONTROL_PAYLOAD", "length >= MAX_CONTROL_PAYLOAD"),
    )


# ---------------------------------------------------------------- errors and limits


def _fatal_error_not_closed() -> None:
    server = _module("reference.eke.server")
    original = server.EkeServer._send_fatal

    def send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        original(self, stream, code, message)
        # "let the client read the error before we close": wait for its FIN first
        with contextlib.suppress(OSError):
            stream.sock.settimeout(None)
            while stream.sock.recv(4096):
                pass

    server.EkeServer._send_fatal = send_fatal


def _idle_timeout_not_in_put() -> None:
    server = _module("reference.eke.server")
    begin, finish = server.EkeServer._begin_put, server.EkeServer._finish_put

    def begin_put(self: Any, stream: Any, request: Any) -> Any:
        partial = begin(self, stream, request)
        if partial is not None:
            stream.sock.settimeout(None)  # "a big upload may pause: don't cut it off"
        return partial

    def finish_put(self: Any, stream: Any, partial: Any) -> None:
        stream.sock.settimeout(self.config.idle_timeout)
        finish(self, stream, partial)

    server.EkeServer._begin_put = begin_put
    server.EkeServer._finish_put = finish_put


def _connection_limit_off_by_one() -> None:
    # The admission rule moved to reference/admission.py (LIM-8/LIM-9); the global cap
    # is observable with established connections (test_lockout.py).
    _patch_source(
        _module("reference.admission").Admission,
        "admit",
        (
            "self.open_connections >= self.max_connections",
            "self.open_connections > self.max_connections",
        ),
    )


def _m(
    name: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Callable[[], None],
    *,
    default: bool = False,
) -> Mutant:
    return Mutant(
        f"app-{name}",
        "application",
        profile,
        requirement,
        test_file,
        description,
        apply,
        default=default,
    )


MUTANTS: tuple[Mutant, ...] = (
    # names
    _m(
        "prefix-confinement",
        "pki",
        "APP-NAME-4",
        "test_app_names.py",
        "confinement by realpath().startswith(share): a sibling 'share-evil' is inside",
        _prefix_confinement,
    ),
    _m(
        "normalised-after-check",
        "eke",
        "APP-NAME-3",
        "test_app_names.py",
        "the name is checked as received, then NFKC-normalised before use",
        _normalised_after_check,
    ),
    _m(
        "dotdot-first-only",
        "pki",
        "APP-NAME-2",
        "test_app_names.py",
        "'..' refused only as the first component",
        _dotdot_first_only,
    ),
    _m(
        "backslash-allowed",
        "eke",
        "APP-NAME-2",
        "test_app_names.py",
        "backslashes are not refused",
        _backslash_allowed,
    ),
    _m(
        "controls-partial",
        "eke",
        "APP-NAME-2",
        "test_app_names.py",
        "only NUL, TAB, CR, LF and DEL refused among the control characters",
        _controls_partial,
    ),
    _m(
        "length-in-characters",
        "pki",
        "APP-NAME-1",
        "test_app_names.py",
        "name and component lengths counted in characters, not UTF-8 bytes",
        _length_in_characters,
    ),
    _m(
        "nul-truncates",
        "eke",
        "APP-NAME-2",
        "test_app_names.py",
        "the name is cut at the first NUL before it is checked",
        _nul_truncates,
    ),
    _m(
        "existence-revealed",
        "pki",
        "APP-NAME-6",
        "test_app_names.py",
        "a name whose path does not exist is not_found before it is checked",
        _existence_revealed,
    ),
    _m(
        "trailing-dots-stripped",
        "eke",
        "APP-NAME-3",
        "test_app_names.py",
        "trailing dots and spaces of components are stripped (Windows style)",
        _trailing_dots_stripped,
    ),
    _m(
        "put-basename-unchecked",
        "eke",
        "APP-PUT-2",
        "test_app_names.py",
        "a put's basename is taken without checking the whole name",
        _put_basename_unchecked,
    ),
    _m(
        "put-case-folded",
        "pki",
        "APP-NAME-3",
        "test_app_put.py",
        "a put is stored under its lower-cased name",
        _put_case_folded,
    ),
    # put and storage
    _m(
        "put-size-not-compared",
        "eke",
        "APP-PUT-5",
        "test_app_put.py",
        "at DONE only the SHA-256 is compared, not the sizes",
        _put_size_not_compared,
        default=True,
    ),
    _m(
        "extra-data-checked-late",
        "pki",
        "APP-PUT-6",
        "test_app_put.py",
        "the excess check looks at the count before the new DATA frame is added",
        _extra_data_checked_late,
    ),
    _m(
        "put-committed-on-eof",
        "eke",
        "APP-STORE-3",
        "test_app_put.py",
        "a put whose data all arrived is stored when the connection ends without DONE",
        _put_committed_on_eof,
    ),
    _m(
        "put-overwrite-race",
        "pki",
        "APP-PUT-8",
        "test_app_put.py",
        "the commit replaces an existing file (the exists check only at PUTF)",
        _put_overwrite_race,
    ),
    _m(
        "put-at-max-refused",
        "eke",
        "APP-PUT-7",
        "test_app_put.py",
        "a put of exactly the maximum file size is refused too_large",
        _put_at_max_refused,
    ),
    _m(
        "temp-not-removed",
        "pki",
        "APP-STORE-3",
        "test_app_put.py",
        "the temporary file is named after the final name and not removed on failure",
        _temp_not_removed,
    ),
    # get
    _m(
        "get-at-max-refused",
        "eke",
        "APP-GET-2",
        "test_app_get.py",
        "a file of exactly the maximum file size is refused too_large",
        _get_at_max_refused,
    ),
    _m(
        "get-hash-per-chunk",
        "pki",
        "APP-GET-2",
        "test_app_get.py",
        "the SHA-256 in DONE covers only the last DATA frame",
        _get_hash_per_chunk,
    ),
    # framing
    _m(
        "type-check-isupper",
        "eke",
        "FRM-2",
        "test_framing.py",
        "type bytes checked with bytes.isupper() (spaces, NUL, high bytes pass)",
        _type_check_isupper,
    ),
    _m(
        "type-check-first-three",
        "pki",
        "FRM-2",
        "test_framing.py",
        "only the first three type bytes are checked",
        _type_check_first_three,
    ),
    _m(
        "unknown-type-skipped",
        "eke",
        "FRM-5",
        "test_framing.py",
        "frames of unknown type are skipped instead of refused",
        _unknown_type_skipped,
    ),
    _m(
        "length-checked-after-payload",
        "pki",
        "FRM-3",
        "test_framing.py",
        "the announced length is judged once the whole payload has arrived",
        _length_checked_after_payload,
    ),
    _m(
        "empty-data-accepted",
        "pki",
        "FRM-13",
        "test_framing.py",
        "an empty DATA frame is accepted",
        _empty_data_accepted,
    ),
    _m(
        "data-limit-is-frame-limit",
        "pki",
        "FRM-13",
        "test_framing.py",
        "DATA payloads up to the frame limit (1 MiB + 256) are accepted",
        _data_limit_is_frame_limit,
    ),
    _m(
        "control-limit-off-by-one",
        "eke",
        "FRM-8",
        "test_framing.py",
        "a control payload of exactly 64 KiB is refused frame_too_large",
        _control_limit_off_by_one,
    ),
    # errors and limits
    _m(
        "fatal-error-not-closed",
        "eke",
        "ERR-3",
        "test_framing.py",
        "after a fatal EROR the server waits for the client to close first",
        _fatal_error_not_closed,
    ),
    _m(
        "idle-timeout-not-in-put",
        "eke",
        "LIM-2",
        "test_limits.py",
        "no idle timeout while a put is being received",
        _idle_timeout_not_in_put,
    ),
    _m(
        "connection-limit-off-by-one",
        "eke",
        "LIM-4",
        "test_lockout.py",
        "max_connections + 1 connections are admitted",
        _connection_limit_off_by_one,
    ),
)
