"""Blind red-team round 14 (helper B65): the sft-eke/1 SERVER, through the six lenses of
/work/briefs/s14/lenses14.md. Phase 1 (blind): written from docs/SPEC.md (§0-§3, §5, §6)
and the reference's eke server code (reference/eke/*.py, app.py, frames.py, share.py,
transfer.py, admission.py) before any case file or independent implementation was opened.
The first list (27) was then checked against the registered mutants' names and
descriptions; 20 of them repeated a registered idea (cached y/Ns, LIKE/NOCASE lookups,
th length in characters, reserved-name leaks, per-read deadlines, host:port keys, ...)
and were replaced by the ones marked (r), written the same way before any case was read.

Lens 1 — checks that never run:
- b14eke-ns-check-tuple-truthy: the Ns comparison of EKE3 is a tuple (ok, why): always true.
- b14eke-symlink-refusal-not-raised (r): `_symlink_refused(name)` built, not raised: every
  symbolic link falls through to `not_found` (one leading out of the share included).
- b14eke-schema-loop-returns-early (r): `return` indented into check_schema's loop: only a
  frame's first member is type-checked (PUTF `size` may be "5", 1.5 or true).
- b14eke-dotdot-compared-with-is (r): components compared with `is`: "" and "." are
  interned one-character strings and still refused, ".." never matches.
- b14eke-idle-timeout-first-connection (r): the idle timeout set under a once-per-server
  flag: later connections stay blocking, never timed out.
Lens 2 — per item, not in aggregate:
- b14eke-name-total-unbounded: each component <= 255 bytes, the name's 4096 never summed.
- b14eke-refused-counted-per-address (r): LIM-8's count raised before the decision and not
  lowered for a refused connection: every refusal shrinks the address's quota for good.
- b14eke-handshake-deadline-per-step (r): the handshake deadline re-armed at each step
  (after EKE1): a pending handshake lives up to twice the timeout.
- b14eke-component-limit-last-only (r): the 255-byte limit applied to the last component
  (the file name) only.
Lens 3 — shared mutable state:
- b14eke-record-seq-module-level: one record sequence counter for every connection's sealer.
- b14eke-current-login-on-server: the pending login's user kept in one server attribute:
  an interleaved failure is counted against the latest EKE1's user.
- b14eke-current-peer-address (r): the address of the latest accepted connection kept on
  the server and used to count a failure.
- b14eke-one-seq-both-directions (r): the server's sealer and opener share one counter.
Lens 4 — the checked form is not the used form:
- b14eke-rsfl-name-display-form (r): RSFL names the request in its display form (the first
  64 characters, as the log lines show it).
- b14eke-user-lookup-rtrim (r): the store compares names COLLATE RTRIM: `alice ` is alice.
- b14eke-retry-after-tenths (r): throttled retry_after rounded to tenths, a JSON float.
Lens 5 — effects before authority:
- b14eke-pending-slot-before-throttle-check: the pending slot taken before the throttle
  check; a throttled EKE1 never gives it back.
- b14eke-forgiven-before-ns-check (r): a handshake whose C3 opens is forgiven before the
  Ns comparison: a wrong-Ns EKE3 resets the user's count.
- b14eke-throttle-judged-at-eke3 (r): a throttled user's EKE1 is answered EKE2 (the guess
  computed) and refused only in place of EKE4.
Lens 6 — trust carried over:
- b14eke-plaintext-pipelined-with-eke3: frames that arrived in clear behind EKE3 are handed
  to the application layer (read under the handshake state, used after it).
- b14eke-eke2-cached-per-eke1: EKE2 (y, sign, Ns) cached per (user, A): a replayed
  EKE1+EKE3 is answered EKE4.
- b14eke-stray-done-reacknowledged (r): a DONE repeating the last stored put's is answered
  with the receipt again, not unexpected_frame.

Blind result: 17 of 22 detected by the existing cases. The 5 survivors and the cases that
now catch them (each case aimed at the class, not the one mutant):
- current-peer-address -> test_eke_failure_addresses.py: failures interleaved with another
  address's honest logins; the failing address AND user name throttled, the other address not.
- rsfl-name-display-form -> test_eke_answer_names.py: files of long, nested, quoted, NFD,
  255-byte-component names written into the share; every RSFL.name compared exactly.
- forgiven-before-ns-check -> test_eke_confirmation_failures.py: an EKE3 sealed with the
  right keys but a wrong Ns (or swapped nonces) as the N-th failure: throttled after it.
- plaintext-pipelined-with-eke3 -> test_eke_records.py: EKE3 and a plaintext RQFL / PUTF /
  BYE_ in one segment: EKE4 then the close, no answer.
- stray-done-reacknowledged -> test_eke_stray_frames.py: after a stored put, a refused put
  and a get, the exchange's own DONE / DATA / RSFL repeated: unexpected_frame.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind14-eke"


def _crypto() -> Any:
    return _module("reference.eke.crypto")


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _server() -> Any:
    return _module("reference.eke.server")


def _transport() -> Any:
    return _module("reference.eke.transport")


def _share() -> Any:
    return _module("reference.share")


def _app() -> Any:
    return _module("reference.app")


# -- lens 1 --------------------------------------------------------------------------------


def _ns_check_tuple_truthy() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "_on_eke3",
        (
            "ok = hmac.compare_digest(plain[crypto.NONCE_LEN :], self._ns)",
            'ok = (hmac.compare_digest(plain[crypto.NONCE_LEN :], self._ns), "Ns")',
        ),
    )


def _symlink_refusal_not_raised() -> None:
    _patch_source(
        _share().ShareDirectory,
        "_open_component",
        ("raise _symlink_refused(name) from None", "_symlink_refused(name)"),
    )


def _schema_loop_returns_early() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "check_schema",
        (
            'must be {_describe(kind)}"\n            )',
            'must be {_describe(kind)}"\n            )\n        return',
        ),
    )
    # Imported by name by the handshake and message layers.
    _handshake().check_schema = frames.check_schema
    _module("reference.messages").check_schema = frames.check_schema


def _dotdot_compared_with_is() -> None:
    warnings.filterwarnings("ignore", category=SyntaxWarning, message='"is" with')
    _patch_source(
        _share(),
        "check_name",
        (
            'if part in ("", ".", ".."):',
            'if part is "" or part is "." or part is "..":  # noqa: F632',
        ),
    )


def _idle_timeout_first_connection() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_records",
        (
            "    sock.settimeout(self.config.idle_timeout)\n",
            "    if not self.__dict__.get('_limits_applied'):\n"
            "        sock.settimeout(self.config.idle_timeout)\n"
            "        self._limits_applied = True\n"
            "    else:\n"
            "        sock.settimeout(None)\n",
        ),
    )


# -- lens 2 --------------------------------------------------------------------------------


def _name_total_unbounded() -> None:
    _patch_source(
        _share(), "check_name", ("if not 1 <= size <= MAX_NAME_BYTES:", "if not 1 <= size:")
    )


def _refused_counted_per_address() -> None:
    _patch_source(
        _module("reference.admission").Admission,
        "admit",
        (
            "if self.pending_from(address) >= self.max_pending_per_address:",
            "self._pending_by_address[address] = self.pending_from(address) + 1\n"
            "    if self.pending_from(address) > self.max_pending_per_address:",
        ),
        (
            "self._pending_by_address[address] = self.pending_from(address) + 1\n"
            "    return AdmissionDecision(evict=evict)",
            "return AdmissionDecision(evict=evict)",
        ),
    )


def _handshake_deadline_per_step() -> None:
    transport = _transport()
    _patch_source(
        transport,
        "run_handshake",
        (
            "    _flush(sock, hs)\n    while True:",
            "    _flush(sock, hs)\n    budget = deadline - time.monotonic()\n    while True:",
        ),
        (
            "        on_event(event)\n        _flush(sock, hs)",
            "        on_event(event)\n"
            "        deadline = time.monotonic() + budget  # each step has its own time\n"
            "        _flush(sock, hs)",
        ),
    )
    _server().run_handshake = transport.run_handshake


def _component_limit_last_only() -> None:
    _patch_source(
        _share(),
        "check_name",
        (
            '        if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:\n'
            '            raise NameRefused(f"a name component must be at most '
            '{MAX_COMPONENT_BYTES} bytes")\n'
            "    return parts",
            '    if len(parts[-1].encode("utf-8")) > MAX_COMPONENT_BYTES:\n'
            '        raise NameRefused(f"a name component must be at most '
            '{MAX_COMPONENT_BYTES} bytes")\n'
            "    return parts",
        ),
    )


# -- lens 3 --------------------------------------------------------------------------------


def _record_seq_module_level() -> None:
    crypto = _crypto()
    crypto._SHARED_SEQUENCE = itertools.count()
    _patch_source(
        crypto._RecordCipher,
        "_next_nonce",
        ("seq = self.sequence", "seq = next(_SHARED_SEQUENCE)"),
    )


def _current_login_on_server() -> None:
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "attempted.append(event.user)",
            "self._current_login = event.user\n            attempted.append(event.user)",
        ),
        ("attempted[0]", "self._current_login"),
    )


def _current_peer_address() -> None:
    server = _server().EkeServer
    _patch_source(
        server,
        "_admit",
        (
            "    evicted: socket.socket | None = None\n",
            "    evicted: socket.socket | None = None\n"
            "    self._peer = addr[0]  # the client being served, for the log and counts\n",
        ),
    )
    _patch_source(
        server,
        "_handshake",
        (
            "self.throttle.failed(attempted[0], address)",
            "self.throttle.failed(attempted[0], self._peer)",
        ),
    )


def _one_seq_both_directions() -> None:
    crypto = _crypto()
    records = _module("reference.eke.records")

    def get(self: Any) -> int:
        value: int = self.__dict__["_counter"][0]
        return value

    def set_(self: Any, value: int) -> None:
        self.__dict__.setdefault("_counter", [0])[0] = value

    crypto._RecordCipher.sequence = property(get, set_)
    init = records.RecordChannel.__init__

    def shared_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        counter = [0]  # "one counter per connection"
        self.sealer.__dict__["_counter"] = counter
        self.reader._opener.__dict__["_counter"] = counter

    records.RecordChannel.__init__ = shared_init


# -- lens 4 --------------------------------------------------------------------------------


def _rsfl_name_display_form() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_get",
        (
            "stream.send(FileResponse(name, shared.size))",
            "stream.send(FileResponse(name[:64], shared.size))",
        ),
    )


def _user_lookup_rtrim() -> None:
    _patch_source(
        _module("reference.eke.store").PasswordStore,
        "key_for",
        ("WHERE name = ?", "WHERE name = ? COLLATE RTRIM"),
    )


def _retry_after_tenths() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "refuse_throttled",
        (
            "seconds = max(1, math.ceil(retry_after))",
            "seconds = max(1, round(retry_after, 1))",
        ),
    )


# -- lens 5 --------------------------------------------------------------------------------


def _pending_slot_before_throttle_check() -> None:
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "wait = self.throttle.retry_after(event.user, address)",
            "reserved = self.throttle.begin(event.user, address)\n"
            "            wait = self.throttle.retry_after(event.user, address)",
        ),
        ("if not self.throttle.begin(event.user, address):", "if not reserved:"),
    )


def _forgiven_before_ns_check() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "_on_eke3",
        (
            "    ok = hmac.compare_digest(",
            "    self._c3_opened = True  # the client knows the password\n"
            "    ok = hmac.compare_digest(",
        ),
    )
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "            self.throttle.failed(attempted[0], address)\n",
            "            if getattr(hs, '_c3_opened', False):\n"
            "                self.throttle.succeeded(attempted[0], address)\n"
            "            else:\n"
            "                self.throttle.failed(attempted[0], address)\n",
        ),
    )


def _throttle_judged_at_eke3() -> None:
    hs = _handshake()
    hs.math = math
    _patch_source(
        hs.ServerHandshake,
        "_on_eke3",
        (
            "    plain = crypto.open_confirm(",
            "    late = getattr(self, '_late_wait', None)\n"
            "    if late is not None:\n"
            "        self._outbox += encode_error(\n"
            "            ErrorCode.THROTTLED, 'too many failed logins; try again later',\n"
            "            max(1, math.ceil(late)),\n"
            "        )\n"
            "        self.state = HandshakeState.CLOSED\n"
            "        raise RemoteProtocolError(ErrorCode.THROTTLED, 'throttled')\n"
            "    plain = crypto.open_confirm(",
        ),
    )
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "                hs.refuse_throttled(wait)\n                return\n",
            "                hs._late_wait = wait  # told once the client has answered\n",
        ),
    )


# -- lens 6 --------------------------------------------------------------------------------


def _plaintext_pipelined_with_eke3() -> None:
    stream_class = _transport().SecureStream
    init = stream_class.__init__
    known = (b"RQFL", b"PUTF", b"BYE_", b"DATA", b"DONE", b"EROR", b"RSFL")

    def lenient_init(
        self: Any,
        sock: Any,
        established: Any,
        *,
        is_client: bool,
        trailing: bytes,
        frame_limit: int,
    ) -> None:
        plain = b""
        while len(trailing) >= 8 and trailing[:4] in known:
            n = int.from_bytes(trailing[4:8], "big")
            if len(trailing) < 8 + n:
                break
            plain, trailing = plain + trailing[: 8 + n], trailing[8 + n :]
        init(
            self,
            sock,
            established,
            is_client=is_client,
            trailing=trailing,
            frame_limit=frame_limit,
        )
        if plain:  # "the first request rode with EKE3"
            self.app.receive_data(plain)

    stream_class.__init__ = lenient_init


def _eke2_cached_per_eke1() -> None:
    hs = _handshake()
    hs._ANSWERS = {}
    _patch_source(
        hs.ServerHandshake,
        "accept",
        (
            "    if self._pinned is None:\n",
            "    if self._pinned is None:  # the same EKE1 gets the same EKE2 (retries)\n"
            "        self._pinned = _ANSWERS.setdefault(\n"
            "            (self.user, bytes(self._a)),\n"
            "            (crypto.new_ephemeral(), crypto.random_bytes(1)[0] & 1,"
            " crypto.new_nonce()),\n"
            "        )\n"
            "    if self._pinned is None:\n",
        ),
    )


def _stray_done_reacknowledged() -> None:
    app = _app()
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    responder = app.ResponderState
    connection = app.ApplicationConnection
    app._TRANSITIONS[(responder.IDLE, messages.T_DONE)] = responder.STORING
    on_control = connection._on_control

    def receipt_again(self: Any, frame: Any) -> Any:
        if frame.type == messages.T_DONE and self.state is responder.IDLE:
            message = messages.decode_message(frame)
            last = self.__dict__.get("_last_receipt")
            if last is not None and message == last:
                # "The client lost our DONE and asks again": the same receipt.
                self._verified_put = last
                self.state = responder.STORING
                return message
            raise errors.RemoteProtocolError(
                errors.ErrorCode.UNEXPECTED_FRAME, "DONE is not allowed in state IDLE"
            )
        message = on_control(self, frame)
        if isinstance(message, messages.Done) and self.state is responder.STORING:
            self._last_receipt = message
        return message

    connection._on_control = receipt_again
    _patch_source(
        _server().EkeServer,
        "_serve_records",
        (
            "            elif isinstance(event, Done):\n"
            "                assert partial is not None\n",
            "            elif isinstance(event, Done) and partial is None:\n"
            "                stream.send(stream.app.stored_done())\n"
            "            elif isinstance(event, Done):\n"
            "                assert partial is not None\n",
        ),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "b14eke-ns-check-tuple-truthy",
        "EKE-HS-6",
        "test_eke_handshake.py",
        "EKE3's Ns check is a tuple (ok, why), always true: a wrong Ns is accepted",
        _ns_check_tuple_truthy,
    ),
    _m(
        "b14eke-symlink-refusal-not-raised",
        "APP-NAME-4",
        "test_app_names.py",
        "the symbolic-link refusal is built but not raised: every link is not_found",
        _symlink_refusal_not_raised,
    ),
    _m(
        "b14eke-schema-loop-returns-early",
        "FRM-11",
        "test_framing.py",
        "check_schema returns after a frame's first member: PUTF size '5', 1.5, true pass",
        _schema_loop_returns_early,
    ),
    _m(
        "b14eke-dotdot-compared-with-is",
        "APP-NAME-2",
        "test_app_names.py",
        "name components compared with `is`: '' and '.' refused, '..' never",
        _dotdot_compared_with_is,
    ),
    _m(
        "b14eke-idle-timeout-first-connection",
        "LIM-2",
        "test_limits.py",
        "the idle timeout is set under a once-per-server flag: later connections never idle out",
        _idle_timeout_first_connection,
    ),
    # lens 2
    _m(
        "b14eke-name-total-unbounded",
        "APP-NAME-1",
        "test_app_names.py",
        "components checked against 255 bytes each; the name's 4096-byte total never",
        _name_total_unbounded,
    ),
    _m(
        "b14eke-refused-counted-per-address",
        "LIM-8",
        "test_eke_full_server.py",
        "a refused connection stays in its address's pending count: refusals shrink the quota",
        _refused_counted_per_address,
    ),
    _m(
        "b14eke-handshake-deadline-per-step",
        "LIM-1",
        "test_eke_handshake_stalls.py",
        "the handshake deadline is re-armed after EKE1: a handshake lives twice the timeout",
        _handshake_deadline_per_step,
    ),
    _m(
        "b14eke-component-limit-last-only",
        "APP-NAME-1",
        "test_app_names.py",
        "the 255-byte component limit applied to the last component only",
        _component_limit_last_only,
    ),
    # lens 3
    _m(
        "b14eke-record-seq-module-level",
        "EKE-REC-2",
        "test_eke_records.py",
        "one record sequence counter shared by every connection's sealer",
        _record_seq_module_level,
    ),
    _m(
        "b14eke-current-login-on-server",
        "EKE-THR-5",
        "test_ops_eke_interleaved_logins.py",
        "the pending login's user kept in one server attribute: an interleaved failure is"
        " counted against the latest EKE1's user",
        _current_login_on_server,
    ),
    _m(
        "b14eke-current-peer-address",
        "EKE-THR-1",
        "test_eke_failure_addresses.py",
        "a failure is counted against the address of the latest accepted connection",
        _current_peer_address,
    ),
    _m(
        "b14eke-one-seq-both-directions",
        "EKE-REC-2",
        "test_eke_records.py",
        "the server's sealer and opener share one sequence counter",
        _one_seq_both_directions,
    ),
    # lens 4
    _m(
        "b14eke-rsfl-name-display-form",
        "APP-GET-7",
        "test_eke_answer_names.py",
        "RSFL names the request cut to 64 characters (its display form)",
        _rsfl_name_display_form,
    ),
    _m(
        "b14eke-user-lookup-rtrim",
        "EKE-PW-4",
        "test_eke_handshake.py",
        "user names looked up COLLATE RTRIM: `alice ` gets alice's pw",
        _user_lookup_rtrim,
    ),
    _m(
        "b14eke-retry-after-tenths",
        "ERR-7",
        "test_eke_throttling.py",
        "throttled retry_after rounded to tenths of a second: a JSON float",
        _retry_after_tenths,
    ),
    # lens 5
    _m(
        "b14eke-pending-slot-before-throttle-check",
        "EKE-THR-7",
        "test_eke_second_use.py",
        "the pending slot is taken before the throttle check; a throttled EKE1 never frees it",
        _pending_slot_before_throttle_check,
    ),
    _m(
        "b14eke-forgiven-before-ns-check",
        "EKE-THR-5",
        "test_eke_confirmation_failures.py",
        "a handshake whose C3 opens is forgiven before its Ns is compared",
        _forgiven_before_ns_check,
    ),
    _m(
        "b14eke-throttle-judged-at-eke3",
        "EKE-THR-1",
        "test_eke_throttling.py",
        "a throttled user's EKE1 gets EKE2; the refusal comes in place of EKE4",
        _throttle_judged_at_eke3,
    ),
    # lens 6
    _m(
        "b14eke-plaintext-pipelined-with-eke3",
        "EKE-REC-5",
        "test_eke_records.py",
        "clear frames that arrived behind EKE3 are handed to the application layer",
        _plaintext_pipelined_with_eke3,
    ),
    _m(
        "b14eke-eke2-cached-per-eke1",
        "EKE-HS-10",
        "test_eke_handshake.py",
        "EKE2 cached per (user, A): a replayed EKE1 + EKE3 is answered EKE4",
        _eke2_cached_per_eke1,
    ),
    _m(
        "b14eke-stray-done-reacknowledged",
        "APP-1",
        "test_eke_stray_frames.py",
        "a DONE repeating the last stored put's is answered with the receipt again",
        _stray_done_reacknowledged,
    ),
)
