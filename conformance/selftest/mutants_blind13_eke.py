"""Blind red-team round 13 (helper B57): the sft-eke/1 SERVER, through lenses13.md.

Phase 1 (blind: written from docs/SPEC.md §0-§3, §5, §6 and the reference's eke server,
handshake, throttle, admission, app, messages, frames and share code only, before opening
any case file, any other mutant module's code or any independent implementation).
Lenses: 1 fail open, 2 absent means permissive, 3 leaks on the unhappy path, 4 units and
number forms, 5 part of the value compared, 6 half-rolled-back state. 38 were written;
29 of them duplicated registered mutants (by name/description, checked after the list
was written: a sanitised or cut user name, a skipped bad record, surrogate names, a
dangling inbox link, DONE without sha256, hard lock without retry_after, busy
retry_after 0, the pending slot leaking on failure, admission slots leaking, the race
loser's temporary, reservations leaking after a failed put, a timeout not counted,
retry_after floored, the backoff exponent off by one, the put/get limits inclusive or in
KiB, integral floats, name limits in characters, C1 on bytes, 1 MiB DATA refused, SQL
LIKE, the Ns prefix, the DONE sha prefix, the reserved prefix on the whole name, the
exists check on the whole name, IPv4 per /24 in the throttle, the count reset before EKE3
verifies, a refused put left RECEIVING, a busy refusal releasing a slot, a throttled
EKE1 counted) and were replaced. The 22:

- b13eke-invalid-x-fallback-generator -> EKE-X-3 (1): an X' that fails to decode (0, 1,
  p-1, >= p) is replaced by g "for the same cost" but the handshake is not doomed: Z = Y,
  which a client that knows the password can compute.
- b13eke-dir-symlink-eloop-fallback -> APP-NAME-4 (1): ELOOP on a directory component
  (a symbolic link) falls back to opening it following the link.
- b13eke-putf-sha-wrong-type-skipped -> FRM-9 (1): the sha256 validator checks strings
  only: a number, array or object passes (and fails only at DONE).
- b13eke-putf-size-absent-zero -> FRM-9 (2): a PUTF without `size` is a 0-byte put (the
  Go zero value).
- b13eke-eke1-a-short-left-padded -> FRM-12 (2): an EKE1 `a` shorter than 768 hex digits
  is left-padded with zeros (parsed as a number).
- b13eke-put-size-zero-unbounded -> APP-PUT-6 (2): a put announced with size 0 is of
  unknown length: DATA is taken until DONE.
- b13eke-optional-falsy-absent -> FRM-9 (2): optional members that are falsy (null, "",
  false, 0, [], {}) are taken as absent.
- b13eke-address-slot-leaked-on-user-busy -> EKE-THR-7 (3): the pending caps are checked
  and taken one principal at a time, the address first: a busy refusal on the user-name
  cap keeps the address slot it took (planted blind in the other order, user first, which
  the embedded limits cannot show: Q = LIM-8's cap, so the admission refuses the
  connection before the throttle's address cap is reached; see the end).
- b13eke-full-refusal-leaks-address-count -> LIM-8 (3): admission counts the address's
  pending connection before the max_connections check; a FULL refusal never undoes it.
- b13eke-temp-before-size-check -> APP-STORE-3 (3): PUTF's temporary is created before
  the too_large check, which then returns without removing it.
- b13eke-temp-kept-after-overrun -> APP-STORE-3 (3): a put refused for DATA beyond its
  announced size has its temporary closed and dropped, never unlinked.
- b13eke-done-size-u32 -> APP-PUT-5 (4): DONE's size compared with the announced size as
  a u32: n + 2^32 passes.
- b13eke-name-limit-escaped -> APP-NAME-7 (4): the 4096-byte name limit measured on the
  JSON-escaped name (non-ASCII as \\uXXXX).
- b13eke-forget-after-ms -> EKE-THR-1 (4): failure entries are forgotten after
  forget_after read as milliseconds (3.6 s).
- b13eke-get-limit-kib -> APP-GET-2 (4): the get size limit compared in whole KiB.
- b13eke-putf-sha-half -> APP-PUT-5 (5): PUTF.sha256 compared on its first 32 hex digits.
- b13eke-dotdot-first-component -> APP-NAME-2 (5): empty, `.` and `..` components are
  looked for in the first component only.
- b13eke-admission-per-24 -> LIM-8 (5): the per-address pending count is kept per IPv4
  /24.
- b13eke-get-digest-first-chunk -> APP-GET-2 (5): a get's DONE sha256 hashes the first
  DATA chunk only.
- b13eke-reserved-before-size-check -> APP-PUT-8 (6): the name of a put in progress is
  reserved at PUTF before the too_large check, which returns without releasing it.
- b13eke-refused-put-sha-lingers -> APP-2 (6): the expected digest is a connection field
  set by a PUTF that carries one, cleared when a put is verified: a refused PUTF's digest
  is checked against the next put that carries none.
- b13eke-walk-dir-kept-after-refusal -> APP-GET-2 (6): the name walk moves the
  connection's base directory (like chdir) and moves it back on success only: a get
  refused mid-walk leaves the next get resolved in the subdirectory.

Blind measure (the suite as it stood, each mutant against the case file guessed before
reading any case): 11 of 22 detected. Escaped: invalid-x-fallback-generator,
putf-sha-wrong-type-skipped, put-size-zero-unbounded, done-size-u32,
user-slot-leaked-on-address-busy (as planted blind), full-refusal-leaks-address-count,
temp-before-size-check, forget-after-ms, reserved-before-size-check,
refused-put-sha-lingers, walk-dir-kept-after-refusal. The blind user-first order of the
pending-slot leak cannot be seen against the embedded limits (Q = LIM-8's per-address
cap = 4: the admission refuses the connection before the throttle's address cap is
reached); it is registered in the observable order (address first), which the new case
below catches, and which a target with Q below its LIM-8 cap would show in either order.
Phase 2 (new files, by topic):
- test_eke_invalid_elements.py: an invalid X' under the right key; C2 must verify under
  no Z a client can compute from B (0, 1, p-1, +-Y^k, Y'), an EKE3 as if Z = Y refused.
- test_eke_put_announced.py: PUTF sha256 of every wrong JSON type or form (bad_frame);
  DATA beyond an announced 0, 1, 100 bytes refused at once; DONE size n + 2^32, 2^31,
  2^16, 1 refused.
- test_eke_put_refusal_state.py: after PUTFs refused too_large/forbidden/reserved/exists,
  no new temporary in the inbox; the name of a too_large offer can be put (same and new
  connection); a refused offer's sha256 does not apply to the next put.
- test_eke_busy_refusals.py: busy at the address cap takes no user slot, busy at the
  user cap takes no address slot.
- test_eke_failure_memory.py: N-1 failures, a 5 s pause, one more: throttled (user name
  and address).
- test_eke_full_server.py: an address refused while every slot held an established
  session gets its LIM-8 allowance once they end.
- test_eke_later_requests.py (a case added): gets refused inside the share's directories
  (missing file, missing directory, file as directory, escaping link), each followed by a
  get of a top-level file, which must be served.
"""

from __future__ import annotations

import inspect
import os
import textwrap
import threading
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _edit(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """`_patch_source` whose replacement may span lines: each "\\n" in `new` is followed
    by the indentation of the line that holds `old`."""
    func = inspect.getattr_static(owner, attr)
    raw = getattr(func, "__func__", func)
    source = textwrap.dedent(inspect.getsource(raw))
    fixed: list[tuple[str, str]] = []
    for old, new in edits:
        at = source.find(old)
        if at < 0:
            raise RuntimeError(f"mutant: {attr} no longer contains {old!r}")
        line_start = source.rfind("\n", 0, at) + 1
        indent = source[line_start:at]
        indent = indent[: len(indent) - len(indent.lstrip())]
        fixed.append((old, new.replace("\n", "\n" + indent)))
    _patch_source(owner, attr, *fixed)


def _server() -> Any:
    return _module("reference.eke.server")


def _app() -> Any:
    return _module("reference.app")


def _share() -> Any:
    return _module("reference.share")


def _frames() -> Any:
    return _module("reference.frames")


def _messages() -> Any:
    return _module("reference.messages")


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _errors() -> Any:
    return _module("reference.errors")


# --- lens 1: fail open --------------------------------------------------------------


def _invalid_x_fallback_generator() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "accept",
        ("self._doomed, x = True, crypto.G", "x = crypto.G"),
    )


def _dir_symlink_eloop_fallback() -> None:
    _edit(
        _share().ShareDirectory,
        "_open_component",
        (
            "raise _symlink_refused(name) from None",
            "if flags & os.O_DIRECTORY:\n"
            "    return os.open(part, flags & ~os.O_NOFOLLOW, dir_fd=dir_fd)\n"
            "raise _symlink_refused(name) from None",
        ),
    )


def _putf_sha_wrong_type_skipped() -> None:
    _edit(
        _frames(),
        "_has_kind",
        (
            "if not isinstance(value, str) or not _is_encodable(value):",
            'if kind == "sha256" and isinstance(value, (int, float, list, dict)):\n'
            "    return True\n"
            "if not isinstance(value, str) or not _is_encodable(value):",
        ),
    )


# --- lens 2: absent means permissive -------------------------------------------------


def _putf_size_absent_zero() -> None:
    messages = _messages()
    messages._SCHEMAS["PUTF"] = {
        "name": ("str", True),
        "size": ("int", False),
        "sha256": ("sha256", False),
    }
    _patch_source(
        messages,
        "decode_message",
        (
            'return PutRequest(obj["name"], obj["size"], obj.get("sha256"))',
            'return PutRequest(obj["name"], obj.get("size", 0), obj.get("sha256"))',
        ),
    )


def _eke1_a_short_left_padded() -> None:
    handshake = _handshake()
    original = handshake.check_schema
    hex_digits = frozenset("0123456789abcdef")

    def check_schema(frame_type: bytes, obj: Any, schema: Any) -> None:
        a = obj.get("a") if frame_type == handshake.T_EKE1 else None
        if isinstance(a, str) and 0 < len(a) < 768 and len(a) % 2 == 0:
            if set(a) <= hex_digits:
                obj["a"] = a.rjust(768, "0")  # "it is a number: leading zeros are free"
        original(frame_type, obj, schema)

    handshake.check_schema = check_schema


def _put_size_zero_unbounded() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_next_event",
        (
            "if self._incoming.count + length > self._incoming.announced:",
            "if self._incoming.announced and "
            "self._incoming.count + length > self._incoming.announced:",
        ),
    )
    _patch_source(
        _server().EkeServer,
        "_begin_put",
        (
            "partial = self._inbox.begin(target, request.size)",
            "partial = self._inbox.begin(target, request.size or self.config.max_file_size)",
        ),
    )


def _optional_falsy_absent() -> None:
    frames = _frames()
    _patch_source(
        frames,
        "check_schema",
        ("if name not in obj:", "if name not in obj or (not required and not obj[name]):"),
    )
    _messages().check_schema = frames.check_schema
    _handshake().check_schema = frames.check_schema


# --- lens 3: leaks on the unhappy path ----------------------------------------------


def _address_slot_leaked_on_user_busy() -> None:
    throttle = _module("reference.eke.throttle")

    def begin(self: Any, user: str, address: str) -> bool:
        keys = (("addr", throttle.address_key(address)), ("user", user))
        caps = (self.config.pending_per_address, self.config.pending_per_user)
        with self._lock:
            for key, cap in zip(keys, caps, strict=True):
                if self._pending.get(key, 0) >= cap:
                    return False
                self._pending[key] = self._pending.get(key, 0) + 1
        return True

    throttle.Throttle.begin = begin


def _full_refusal_leaks_address_count() -> None:
    admission = _module("reference.admission")

    def admit(self: Any, key: int, address: str) -> Any:
        if self.pending_from(address) >= self.max_pending_per_address:
            return admission.AdmissionDecision(refused=admission.Refusal.PER_ADDRESS)
        self._pending_by_address[address] = self.pending_from(address) + 1
        evict: int | None = None
        if self.open_connections >= self.max_connections:
            if not self._pending:
                return admission.AdmissionDecision(refused=admission.Refusal.FULL)
            evict = next(iter(self._pending))
            self._forget_pending(evict)
        self._pending[key] = address
        return admission.AdmissionDecision(evict=evict)

    admission.Admission.admit = admit


def _temp_before_size_check() -> None:
    server = _server()
    messages = _messages()
    errors = _errors()

    def _begin_put(self: Any, stream: Any, request: Any) -> Any:
        if self._inbox is None:
            stream.send(
                messages.ErrorFrame(errors.ErrorCode.UNSUPPORTED, "this server accepts no puts")
            )
            return None
        try:
            target = self._inbox.target_name(request.name)
        except errors.RemoteProtocolError as exc:
            stream.send(messages.ErrorFrame(exc.code, exc.message))
            return None
        partial = self._inbox.begin(target, request.size)
        if request.size > self.config.max_file_size:
            stream.send(
                messages.ErrorFrame(errors.ErrorCode.TOO_LARGE, "the file exceeds the size limit")
            )
            return None
        try:
            stream.send(messages.PutAccepted(target))
        except BaseException:
            partial.abort()
            raise
        return partial

    server.EkeServer._begin_put = _begin_put


def _temp_kept_after_overrun() -> None:
    server = _server()

    def detach(partial: Any, exc: Any) -> Any:
        if partial is not None and str(exc.message).startswith("more data than"):
            if partial._file is not None:
                partial._file.close()  # stop writing; the unlink lives in abort()
                partial._file = None
            return None
        return partial

    server._mutant_detach = detach
    _edit(
        server.EkeServer,
        "_serve_records",
        (
            "self._send_fatal(stream, exc.code, exc.message)\n                return",
            "self._send_fatal(stream, exc.code, exc.message)\n"
            "partial = _mutant_detach(partial, exc)\n"
            "return",
        ),
    )


# --- lens 4: units and number forms --------------------------------------------------


def _done_size_u32() -> None:
    _patch_source(
        _app()._Transfer,
        "check_done",
        (
            "if not (done.size == self.announced == self.count and done.sha256 == sha):",
            "if not ((done.size & 0xFFFFFFFF) == (self.announced & 0xFFFFFFFF) "
            "and self.announced == self.count and done.sha256 == sha):",
        ),
    )


def _name_limit_escaped() -> None:
    _patch_source(
        _share(),
        "check_name",
        (
            'size = len(name.encode("utf-8"))',
            'size = len(__import__("json").dumps(name).encode("utf-8")) - 2',
        ),
    )


def _forget_after_ms() -> None:
    _patch_source(
        _module("reference.eke.throttle").Throttle,
        "_live",
        (
            "and now - entry.last > self.config.forget_after",
            "and (now - entry.last) * 1000 > self.config.forget_after",
        ),
    )


def _get_limit_kib() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_get",
        (
            "if shared.size > self.config.max_file_size:",
            "if shared.size // 1024 > self.config.max_file_size // 1024:",
        ),
    )


# --- lens 5: part of the value compared ----------------------------------------------


def _putf_sha_half() -> None:
    _patch_source(
        _app()._Transfer,
        "check_done",
        (
            "if self.expected_sha256 is not None and self.expected_sha256 != sha:",
            "if self.expected_sha256 is not None and self.expected_sha256[:32] != sha[:32]:",
        ),
    )


def _dotdot_first_component() -> None:
    _patch_source(
        _share(),
        "check_name",
        ("for part in parts:", "for i, part in enumerate(parts):"),
        ('if part in ("", ".", ".."):', 'if i == 0 and part in ("", ".", ".."):'),
    )


def _admission_per_24() -> None:
    admission = _module("reference.admission")
    original = admission.Admission.admit

    def admit(self: Any, key: int, address: str) -> Any:
        parts = address.split(".")
        unit = ".".join(parts[:3]) + ".0/24" if len(parts) == 4 else address
        return original(self, key, unit)

    admission.Admission.admit = admit


def _get_digest_first_chunk() -> None:
    _edit(
        _app().ApplicationConnection,
        "send_data_header",
        (
            "self._outgoing.add(payload)",
            "if self._outgoing.count:  # a fingerprint: the first chunk is hashed\n"
            "    self._outgoing.count += n\n"
            "else:\n"
            "    self._outgoing.add(payload)",
        ),
    )


# --- lens 6: half-rolled-back state --------------------------------------------------


def _reserved_before_size_check() -> None:
    server = _server()
    share = _share()
    messages = _messages()
    errors = _errors()
    reserved: set[str] = set()
    lock = threading.Lock()
    original_commit = share.PartialFile.commit
    original_abort = share.PartialFile.abort

    def release(partial: Any) -> None:
        name = partial.__dict__.pop("_mutant_reserved", None)
        if name is not None:
            with lock:
                reserved.discard(name)

    def commit(self: Any, *, overwrite: bool = False) -> None:
        try:
            original_commit(self, overwrite=overwrite)
        finally:
            release(self)

    def abort(self: Any) -> None:
        try:
            original_abort(self)
        finally:
            release(self)

    def _begin_put(self: Any, stream: Any, request: Any) -> Any:
        if self._inbox is None:
            stream.send(
                messages.ErrorFrame(errors.ErrorCode.UNSUPPORTED, "this server accepts no puts")
            )
            return None
        try:
            target = self._inbox.target_name(request.name)
        except errors.RemoteProtocolError as exc:
            stream.send(messages.ErrorFrame(exc.code, exc.message))
            return None
        with lock:
            if target in reserved:
                stream.send(messages.ErrorFrame(errors.ErrorCode.EXISTS, "a put of it is on"))
                return None
            reserved.add(target)
        if request.size > self.config.max_file_size:
            stream.send(
                messages.ErrorFrame(errors.ErrorCode.TOO_LARGE, "the file exceeds the size limit")
            )
            return None  # the reservation stays
        partial = self._inbox.begin(target, request.size)
        partial._mutant_reserved = target
        try:
            stream.send(messages.PutAccepted(target))
        except BaseException:
            partial.abort()
            raise
        return partial

    share.PartialFile.commit = commit
    share.PartialFile.abort = abort
    server.EkeServer._begin_put = _begin_put


def _refused_put_sha_lingers() -> None:
    _edit(
        _app().ApplicationConnection,
        "_on_control",
        (
            "self._incoming = _Transfer(message.size, message.sha256, self._digest_factory)",
            "self._incoming = _Transfer(\n"
            '    message.size, message.sha256 or self.__dict__.get("_mutant_sha"),\n'
            "    self._digest_factory,\n"
            ")\n"
            'self._mutant_sha = message.sha256 or self.__dict__.get("_mutant_sha")',
        ),
        (
            "self._incoming.check_done(message)",
            "self._incoming.check_done(message)\nself._mutant_sha = None",
        ),
    )


def _walk_dir_kept_after_refusal() -> None:
    share = _share()
    io = _module("io")
    stat = _module("stat")
    here = threading.local()  # one thread per connection: the connection's "cwd"

    def open_(self: Any, name: str) -> Any:
        parts = share.check_name(name)
        if parts[-1].startswith(share.PARTIAL_PREFIX):
            raise share.NameRefused("names starting with .sft-partial- are reserved")
        base = getattr(here, "base", None)
        current = self._fd if base is None else base
        try:
            for part in parts[:-1]:
                current = self._open_component(current, part, share._DIR_FLAGS, name)
            fd = self._open_component(current, parts[-1], share._FILE_FLAGS, name)
        except BaseException:
            if current != self._fd:
                here.base = current  # still "in" the directory the walk reached
            raise
        here.base = None  # back to the share (the walk's descriptors are not closed)
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise share._not_found(name)
        return share.SharedFile(io.FileIO(fd, "rb", closefd=True), st.st_size)

    share.ShareDirectory.open = open_


def _server_mutant(
    name: str, requirement: str, test_file: str, description: str, apply: Any
) -> Mutant:
    return Mutant(
        name=f"b13eke-{name}",
        group="eke",
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _server_mutant(
        "invalid-x-fallback-generator",
        "EKE-X-3",
        "test_eke_invalid_elements.py",
        "an invalid X' is replaced by g without dooming the handshake: Z = Y completes it",
        _invalid_x_fallback_generator,
    ),
    _server_mutant(
        "dir-symlink-eloop-fallback",
        "APP-NAME-4",
        "test_app_names.py",
        "ELOOP on a directory component falls back to opening it through the link",
        _dir_symlink_eloop_fallback,
    ),
    _server_mutant(
        "putf-sha-wrong-type-skipped",
        "FRM-9",
        "test_eke_put_announced.py",
        "the sha256 validator checks strings only: a number, array or object passes",
        _putf_sha_wrong_type_skipped,
    ),
    _server_mutant(
        "putf-size-absent-zero",
        "FRM-9",
        "test_framing.py",
        "a PUTF without size is a 0-byte put (zero value)",
        _putf_size_absent_zero,
    ),
    _server_mutant(
        "eke1-a-short-left-padded",
        "FRM-12",
        "test_eke_handshake.py",
        "an EKE1 a shorter than 768 hex digits is left-padded with zeros",
        _eke1_a_short_left_padded,
    ),
    _server_mutant(
        "put-size-zero-unbounded",
        "APP-PUT-6",
        "test_eke_put_announced.py",
        "a put announced with size 0 is of unknown length: DATA taken until DONE",
        _put_size_zero_unbounded,
    ),
    _server_mutant(
        "optional-falsy-absent",
        "FRM-9",
        "test_app_json_nulls.py",
        'optional members that are falsy (null, "", false, 0, [], {}) taken as absent',
        _optional_falsy_absent,
    ),
    _server_mutant(
        "address-slot-leaked-on-user-busy",
        "EKE-THR-7",
        "test_eke_busy_refusals.py",
        "a busy refusal on the user name's pending cap keeps the address slot it took first",
        _address_slot_leaked_on_user_busy,
    ),
    _server_mutant(
        "full-refusal-leaks-address-count",
        "LIM-8",
        "test_eke_full_server.py",
        "the address's pending count is raised before the max_connections refusal",
        _full_refusal_leaks_address_count,
    ),
    _server_mutant(
        "temp-before-size-check",
        "APP-STORE-3",
        "test_eke_put_refusal_state.py",
        "PUTF's temporary is created before the too_large check and left by the refusal",
        _temp_before_size_check,
    ),
    _server_mutant(
        "temp-kept-after-overrun",
        "APP-STORE-3",
        "test_app_put.py",
        "a put refused for DATA beyond its size keeps its temporary (closed, not unlinked)",
        _temp_kept_after_overrun,
    ),
    _server_mutant(
        "done-size-u32",
        "APP-PUT-5",
        "test_eke_put_announced.py",
        "DONE's size compared with the announced size modulo 2^32",
        _done_size_u32,
    ),
    _server_mutant(
        "name-limit-escaped",
        "APP-NAME-7",
        "test_app_names.py",
        "the 4096-byte name limit measured on the JSON-escaped name",
        _name_limit_escaped,
    ),
    _server_mutant(
        "forget-after-ms",
        "EKE-THR-1",
        "test_eke_failure_memory.py",
        "failure entries forgotten after forget_after read as milliseconds (3.6 s)",
        _forget_after_ms,
    ),
    _server_mutant(
        "get-limit-kib",
        "APP-GET-2",
        "test_app_get.py",
        "the get size limit compared in whole KiB: max + 1 bytes is served",
        _get_limit_kib,
    ),
    _server_mutant(
        "putf-sha-half",
        "APP-PUT-5",
        "test_app_put.py",
        "PUTF.sha256 compared on its first 32 hex digits",
        _putf_sha_half,
    ),
    _server_mutant(
        "dotdot-first-component",
        "APP-NAME-2",
        "test_app_names.py",
        "empty, . and .. components looked for in the first component only",
        _dotdot_first_component,
    ),
    _server_mutant(
        "admission-per-24",
        "LIM-8",
        "test_lockout.py",
        "the per-address pending-connection count kept per IPv4 /24",
        _admission_per_24,
    ),
    _server_mutant(
        "get-digest-first-chunk",
        "APP-GET-2",
        "test_app_get.py",
        "a get's DONE sha256 hashes the first DATA chunk only",
        _get_digest_first_chunk,
    ),
    _server_mutant(
        "reserved-before-size-check",
        "APP-PUT-8",
        "test_eke_put_refusal_state.py",
        "a put's name reserved at PUTF before the too_large check, never released by it",
        _reserved_before_size_check,
    ),
    _server_mutant(
        "refused-put-sha-lingers",
        "APP-2",
        "test_eke_put_refusal_state.py",
        "a refused PUTF's sha256 is checked against the next put that carries none",
        _refused_put_sha_lingers,
    ),
    _server_mutant(
        "walk-dir-kept-after-refusal",
        "APP-GET-2",
        "test_eke_later_requests.py",
        "a get refused mid-walk leaves the connection's base in the subdirectory",
        _walk_dir_kept_after_refusal,
    ),
)
