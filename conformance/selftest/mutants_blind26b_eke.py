"""Blind red-team round 26, second helper (B192): the sft-eke/1 SERVER through the lenses
of /work/briefs/s26/common.md, weighted to lenses 2, 3, 5 and 6. Phase 1 (blind): written
from docs/SPEC.md (§1-3 as the eke server runs them, §5, §6) and reference/eke/{server,
handshake,throttle,transport,records,crypto,store}.py, reference/app.py and
reference/share.py before any case file or the first helper's report was read. The first
list was checked against the names and descriptions of the 4,308 registered mutants; the
ideas found there were dropped (Z or th on a minimal integer, a failure counted against
the user name only, DONE trusted to PUTF.sha256, a zero-byte put not stored, a default
admin account, a half-close dropping a request, a lingering close after a fatal EROR).

Lens 2 — the second half of the sentence:
- b26beke-fatal-eror-then-bye: every fatal EROR of the record phase is followed by a
  sealed BYE_ (one close routine says goodbye on every path) [ERR-3: "nothing follows it"].
- b26beke-failed-put-sweeps-inbox: a failed put removes every .sft-partial-* of the inbox,
  another connection's live temporary too [APP-STORE-3: "MUST NOT remove a .sft-partial-*
  file one of its own connections is still writing"].
- b26beke-put-overrun-pooled: a put's excess DATA is judged against a pool of the bytes
  announced by every put in progress (a disk-quota reservation) [APP-PUT-6: "whatever
  puts are in progress on other connections"].
- b26beke-link-refusal-drops-connection: a name through a symbolic link whose target
  exists outside the share is answered forbidden and the connection is then dropped as an
  attack; a dangling link's refusal keeps it [APP-NAME-6: "Nor in what follows it"].
Lens 3 — passing the vectors:
- b26beke-put-receipt-digest-short: the put's receipt DONE writes its SHA-256 from a big
  integer (BigInteger.toString(16)): a digest that starts with a 0 nibble (one put in 16,
  none of the vectors' or the share's files) has 63 digits [FRM-14].
Lens 5 — insecure defaults and foot-guns:
- b26beke-idle-timeout-parse-fallback: --idle-timeout takes whole seconds; a value it
  cannot parse (1.5) is warned about and the built-in 60 s kept [LIM-2].
- b26beke-table-size-floor: a failure-table bound below 1000 is taken for a typo and the
  built-in 100,000 used: the configured bound never evicts [EKE-THR-9].
Lens 6 — crossing frames:
- b26beke-refusal-overtakes-get: each request is answered by its own task: a pipelined
  request the server refuses (not_found, forbidden) is answered at once, between the RSFL
  and the DATA of the get before it [APP-2: "MUST process them in order"].
- b26beke-bye-behind-done-no-receipt: a BYE_ that arrives behind a put's DONE (the client
  leaving) makes the server store the put, skip its receipt DONE and echo the BYE_
  [APP-PUT-5: "answer DONE {size, sha256} ... once the file is durably stored"].
- b26beke-eror-cancels-get: a non-fatal EROR from the client while a get is being sent
  cancels that get only (an HTTP/2 RST_STREAM): no DONE, back to IDLE, the next request
  served [APP-3].
Post-blind siblings (after the cases, to show they take the class):
- b26beke-eror-ignored-during-get: the EROR read during a get is dropped as stale [APP-3].
- b26beke-put-commit-sweeps-inbox: a stored put tidies every other temporary away
  [APP-STORE-3].

Blind result (10): 6 detected by the file first named (fatal-eror-then-bye:
test_app_fatal_answer_forms.py; put-overrun-pooled: test_app_put_excess_conditions.py;
link-refusal-drops-connection: test_app_link_target_existence.py; put-receipt-digest-short:
test_app_put_digest_digits.py; refusal-overtakes-get: test_app_requests_during_answers.py;
bye-behind-done-no-receipt: test_app_bye_behind_requests.py), 2 more by the whole suite
(idle-timeout-parse-fallback: test_app_idle_tail.py; table-size-floor:
test_eke_table_bound_each_kind.py), 2 missed (failed-put-sweeps-inbox, eror-cancels-get).
eror-cancels-get is the class test_app_get_crossed_by_eror.py was written for, but over
sft-eke/1 its send_raw(EROR + RQFL) is ONE record of two frames, answered bad_frame before
anything is read as an EROR. New cases: test_eke_get_crossed_by_eror_records.py (APP-3: one
frame per record, three timings, seven codes), test_eke_put_beside_failed_put.py
(APP-STORE-3: a put in progress beside a put that ends five ways). Final: 12 of 12
detected (-k b26beke).
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method

__all__ = ["MUTANTS"]

_GROUP = "blind26b-eke"


def _server() -> Any:
    return _module("reference.eke.server")


# What a mutant reads ahead of the server's loop goes back to the application core, in
# order, as if the loop had read it (a record's inner frame as its frame bytes).
def _requeue(spaces: int) -> str:
    lines = (
        "if frame is CLOSED:",
        '    stream.app.receive_data(b"")',
        "else:",
        "    stream.app.receive_data(",
        '        frame.type + len(frame.payload).to_bytes(4, "big") + bytes(frame.payload)',
        "    )",
    )
    return "".join(" " * spaces + line + "\n" for line in lines)


# -- lens 2 ------------------------------------------------------------------------------


def _fatal_eror_then_bye() -> None:
    _patch_method(
        _server().EkeServer,
        "_send_fatal",
        (
            "            stream.send(ErrorFrame(code, message))\n",
            "            stream.send(ErrorFrame(code, message))\n"
            '            messages = __import__("reference.messages", fromlist=["x"])\n'
            "            # one close routine for every path: say goodbye\n"
            "            bye = messages.encode_message(Bye())\n"
            "            stream.sock.sendall(stream.channel.seal(bye))\n",
        ),
    )


def _failed_put_sweeps_inbox() -> None:
    _patch_method(
        _module("reference.share").PartialFile,
        "abort",
        (
            "            except FileNotFoundError:\n                pass\n",
            "            except FileNotFoundError:\n                pass\n"
            "            if not self._owns_dir_fd:  # the inbox: a failure's leftovers go too\n"
            "                for leftover in os.listdir(self._dir_fd):\n"
            "                    if leftover.startswith(PARTIAL_PREFIX):\n"
            '                        with __import__("contextlib").suppress(OSError):\n'
            "                            os.unlink(leftover, dir_fd=self._dir_fd)\n",
        ),
    )


def _put_overrun_pooled() -> None:
    share = _module("reference.share")
    share._POOL = [0, 0]  # bytes written, bytes announced: every put in progress
    release = (
        '        if getattr(self, "_pooled", False):\n'
        "            self._pooled = False\n"
        "            _POOL[0] -= self.written\n"
        "            _POOL[1] -= self.limit\n"
    )
    _patch_method(
        share.PartialFile,
        "__init__",
        (
            "        self.written = 0\n",
            "        self.written = 0\n"
            "        _POOL[1] += limit  # reserved\n"
            "        self._pooled = True\n",
        ),
    )
    _patch_method(
        share.PartialFile,
        "write",
        (
            "        if self.written + len(view) > self.limit:\n",
            "        if _POOL[0] + len(view) > _POOL[1]:\n",
        ),
        (
            "            self.written += n\n",
            "            self.written += n\n            _POOL[0] += n\n",
        ),
    )
    _patch_method(
        share.PartialFile,
        "commit",
        (
            "        os.fsync(self._file.fileno())\n",
            "        os.fsync(self._file.fileno())\n" + release,
        ),
    )
    _patch_method(
        share.PartialFile,
        "abort",
        ('        """Removes the temporary file (idempotent)."""\n',
         '        """Removes the temporary file (idempotent)."""\n' + release),
    )
    # The responder leaves the bound of a put to its storage layer.
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            "            if self._incoming.count + length > self._incoming.announced:\n",
            "            if self.role is INITIATOR and (\n"
            "                self._incoming.count + length > self._incoming.announced\n"
            "            ):\n",
        ),
    )


def _link_refusal_drops_connection() -> None:
    _patch_method(
        _server().EkeServer,
        "_serve_get",
        (
            "            stream.send(ErrorFrame(exc.code, exc.message))\n"
            '            return f"refused {exc.code.wire_name}"\n',
            "            stream.send(ErrorFrame(exc.code, exc.message))\n"
            '            os = __import__("os")\n'
            '            if "symbolic link" in exc.message and os.path.exists(\n'
            "                os.path.join(self._share.path, name)\n"
            "            ):  # a link to a real file outside: an attack, not a typo\n"
            '                log.warning("traversal attempt %r: connection dropped", name[:64])\n'
            '                raise ConnectionError("traversal attempt")\n'
            '            return f"refused {exc.code.wire_name}"\n',
        ),
    )


# -- lens 3 ------------------------------------------------------------------------------


def _put_receipt_digest_short() -> None:
    app = _module("reference.app").ApplicationConnection
    _patch_method(
        app,
        "stored_done",
        (
            "        return self._verified_put\n",
            "        done = self._verified_put\n"
            '        return Done(done.size, format(int(done.sha256, 16), "x"))  # BigInteger hex\n',
        ),
    )
    _patch_method(
        app,
        "send",
        (
            "                if event != self._verified_put:\n",
            "                if event.size != self._verified_put.size:\n",
        ),
    )


# -- lens 5 ------------------------------------------------------------------------------


def _idle_timeout_parse_fallback() -> None:
    _patch_method(
        _server().EkeServer,
        "__init__",
        (
            "        self.config = config\n",
            "        if config.idle_timeout != int(config.idle_timeout):\n"
            "            # whole seconds; a value the option cannot parse keeps the default\n"
            '            log.warning("--idle-timeout %s: not whole seconds", config.idle_timeout)\n'
            '            config = __import__("dataclasses").replace(\n'
            "                config, idle_timeout=ServerConfig().idle_timeout\n"
            "            )\n"
            "        self.config = config\n",
        ),
    )


def _table_size_floor() -> None:
    _patch_method(
        _module("reference.eke.throttle").Throttle,
        "__init__",
        (
            "        self.config = config or ThrottleConfig()\n",
            "        self.config = config or ThrottleConfig()\n"
            "        if self.config.max_entries < 1000:  # a table this small is a typo\n"
            '            self.config = __import__("dataclasses").replace(\n'
            "                self.config, max_entries=ThrottleConfig().max_entries\n"
            "            )\n",
        ),
    )


# -- lens 6 ------------------------------------------------------------------------------


def _refusal_overtakes_get() -> None:
    _patch_method(
        _server().EkeServer,
        "_serve_get",
        (
            "            stream.send(FileResponse(name, shared.size))\n",
            "            stream.send(FileResponse(name, shared.size))\n"
            "            # Each request its own task: a pipelined refusal goes out at once.\n"
            '            messages = __import__("reference.messages", fromlist=["x"])\n'
            "            # (a pipelined request's record arrives within 0.2 s: the suite's\n"
            "            # writes are microseconds apart, so the overtaking is certain)\n"
            '            while __import__("select").select([stream.sock], [], [], 0.2)[0]:\n'
            "                frame = stream._next_record()\n"
            '                if frame is not CLOSED and frame.type == b"RQFL":\n'
            "                    other = messages.decode_message(frame.to_frame())\n"
            "                    try:\n"
            "                        self._share.open(other.name).close()\n"
            "                    except RemoteProtocolError as refusal:\n"
            "                        answer = ErrorFrame(refusal.code, refusal.message)\n"
            "                        stream.sock.sendall(\n"
            "                            stream.channel.seal(messages.encode_message(answer))\n"
            "                        )\n"
            "                        continue\n" + _requeue(16) + "                break\n",
        ),
    )


def _bye_behind_done_no_receipt() -> None:
    _patch_method(
        _server().EkeServer,
        "_finish_put",
        (
            "        stream.send(stream.app.stored_done())\n",
            '        if __import__("select").select([stream.sock], [], [], 0)[0]:\n'
            "            frame = stream._next_record()\n"
            '            if frame is not CLOSED and frame.type == b"BYE_":\n'
            "                # The client is leaving: nobody reads a receipt. Echo, close.\n"
            '                messages = __import__("reference.messages", fromlist=["x"])\n'
            "                bye = messages.encode_message(Bye())\n"
            "                stream.sock.sendall(stream.channel.seal(bye))\n"
            "                close_gracefully(stream.sock, self.config.close_linger)\n"
            '                raise ConnectionError("the client left")\n'
            + _requeue(12)
            + "        stream.send(stream.app.stored_done())\n",
        ),
    )


def _eror_cancels_get() -> None:
    _patch_method(
        _server().EkeServer,
        "_serve_get",
        (
            "            while remaining:\n",
            "            while remaining:\n"
            '                if __import__("select").select([stream.sock], [], [], 0)[0]:\n'
            "                    frame = stream._next_record()\n"
            '                    if frame is not CLOSED and frame.type == b"EROR":\n'
            '                        messages = __import__("reference.messages", fromlist=["x"])\n'
            "                        cancel = messages.decode_message(frame.to_frame())\n"
            "                        if not cancel.fatal:  # the client cancels this get only\n"
            '                            app = __import__("reference.app", fromlist=["x"])\n'
            "                            stream.app.state = app.ResponderState.IDLE\n"
            "                            stream.app._outgoing = None\n"
            '                            return f"size={shared.size} cancelled"\n'
            + _requeue(20),
        ),
    )


def _eror_ignored_during_get() -> None:
    _patch_method(
        _server().EkeServer,
        "_serve_get",
        (
            "            while remaining:\n",
            "            while remaining:\n"
            '                if __import__("select").select([stream.sock], [], [], 0)[0]:\n'
            "                    frame = stream._next_record()\n"
            '                    if frame is not CLOSED and frame.type == b"EROR":\n'
            '                        messages = __import__("reference.messages", fromlist=["x"])\n'
            "                        if not messages.decode_message(frame.to_frame()).fatal:\n"
            "                            continue  # a stale complaint about what we finish\n"
            + _requeue(20),
        ),
    )


def _put_commit_sweeps_inbox() -> None:
    _patch_method(
        _module("reference.share").PartialFile,
        "commit",
        (
            "        self._done = True\n",
            "        self._done = True\n"
            "        if not self._owns_dir_fd:  # tidy the inbox after a put\n"
            "            for leftover in os.listdir(self._dir_fd):\n"
            "                if leftover.startswith(PARTIAL_PREFIX):\n"
            '                    with __import__("contextlib").suppress(OSError):\n'
            "                        os.unlink(leftover, dir_fd=self._dir_fd)\n",
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
    _m(
        "b26beke-fatal-eror-then-bye",
        "ERR-3",
        "test_app_fatal_answer_forms.py",
        "L2: every fatal EROR of the record phase is followed by a sealed BYE_ (one close"
        " routine says goodbye on every path): something follows the fatal EROR",
        _fatal_eror_then_bye,
    ),
    _m(
        "b26beke-failed-put-sweeps-inbox",
        "APP-STORE-3",
        "test_eke_put_beside_failed_put.py",
        "L2: a failed put removes every .sft-partial-* of the inbox (a failure's leftovers),"
        " another connection's live temporary too: that put then fails at its commit",
        _failed_put_sweeps_inbox,
    ),
    _m(
        "b26beke-put-overrun-pooled",
        "APP-PUT-6",
        "test_app_put_excess_conditions.py",
        "L2: a put's DATA is bounded by a pool of the bytes announced by every put in"
        " progress (a disk-quota reservation): beside another put, its excess is written and"
        " found only at DONE",
        _put_overrun_pooled,
    ),
    _m(
        "b26beke-link-refusal-drops-connection",
        "APP-NAME-6",
        "test_app_link_target_existence.py",
        "L2: a get through a symbolic link whose target exists outside the share is answered"
        " forbidden and the connection then dropped (an attack); a dangling link's refusal"
        " keeps it: what follows the refusal tells whether the target exists",
        _link_refusal_drops_connection,
    ),
    _m(
        "b26beke-put-receipt-digest-short",
        "FRM-14",
        "test_app_put_digest_digits.py",
        "L3: the put's receipt DONE writes its SHA-256 from a big integer"
        " (BigInteger.toString(16)): a digest starting with a 0 nibble has 63 hex digits",
        _put_receipt_digest_short,
    ),
    _m(
        "b26beke-idle-timeout-parse-fallback",
        "LIM-2",
        "test_app_idle_tail.py",
        "L5: --idle-timeout takes whole seconds; a value it cannot parse (1.5) is warned"
        " about and the built-in 60 s kept",
        _idle_timeout_parse_fallback,
    ),
    _m(
        "b26beke-table-size-floor",
        "EKE-THR-9",
        "test_eke_table_bound_each_kind.py",
        "L5: a failure-table bound below 1000 is taken for a typo and the built-in 100,000"
        " used: the configured bound never evicts",
        _table_size_floor,
    ),
    _m(
        "b26beke-refusal-overtakes-get",
        "APP-2",
        "test_app_requests_during_answers.py",
        "L6: each request is answered by its own task: a pipelined request the server"
        " refuses (not_found, forbidden) is answered at once, between the RSFL and the DATA"
        " of the get before it",
        _refusal_overtakes_get,
    ),
    _m(
        "b26beke-bye-behind-done-no-receipt",
        "APP-PUT-5",
        "test_app_bye_behind_requests.py",
        "L6: a BYE_ that arrives behind a put's DONE (the client leaving) makes the server"
        " store the put, skip its receipt DONE and echo the BYE_",
        _bye_behind_done_no_receipt,
    ),
    _m(
        "b26beke-eror-cancels-get",
        "APP-3",
        "test_eke_get_crossed_by_eror_records.py",
        "L6: a non-fatal EROR from the client while a get is being sent cancels that get"
        " only (an HTTP/2 RST_STREAM): no DONE, back to IDLE, the next request served",
        _eror_cancels_get,
    ),
    _m(
        "b26beke-eror-ignored-during-get",
        "APP-3",
        "test_eke_get_crossed_by_eror_records.py",
        "(post-blind) a non-fatal EROR read while a get is being sent is dropped as a stale"
        " complaint: the get completes and the connection serves the next request",
        _eror_ignored_during_get,
    ),
    _m(
        "b26beke-put-commit-sweeps-inbox",
        "APP-STORE-3",
        "test_eke_put_beside_failed_put.py",
        "(post-blind) a stored put tidies the inbox: every other .sft-partial-* goes, another"
        " connection's live temporary too, and that put fails at its commit",
        _put_commit_sweeps_inbox,
    ),
)
