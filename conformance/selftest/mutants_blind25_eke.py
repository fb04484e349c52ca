"""Blind red-team round 25 (helper B165): the sft-eke/1 SERVER through the six lenses of
/work/briefs/s25/common.md. Phase 1 (blind): written from docs/SPEC.md (§1-3 as the eke
server runs them, §5, §6) and reference/eke/{server,handshake,throttle,transport,records,
crypto,store}.py, reference/app.py and reference/share.py before any case file was opened.
The first list was checked against the names and descriptions of the 4,069 registered
mutants; the ideas found there (IPv4 per /24, the reserved prefix on the whole name, the
throttled message naming a known account, retry_after as a float, a cached y, a BYE_ or a
stray request during a put, a put stored at EOF after all its bytes, the deadline from the
first byte) were dropped.

Lens 1 — the thin MUSTs:
- b25eke-eof-short-frame-parsed: a frame cut by EOF is parsed from the bytes that came
  (a read_exact that returns short at EOF): an EKE1 whose header announces more than
  arrives, then FIN, is answered EKE2 [FRM-7].
- b25eke-hs-malformed-eror-skipped: in the handshake an EROR without an integer `code`
  is skipped ("an old client's EROR"), and the EKE1 after it answered EKE2 [ERR-8].
- b25eke-putf-restarts-put: a PUTF during a put restarts the put under the new name
  (the first one's temporary forgotten) instead of unexpected_frame [APP-3].
Lens 2 — the first draft:
- b25eke-reserved-own-pattern: the reserved prefix refuses only names shaped like the
  server's own temporaries (`.sft-partial-` + 24 hex digits): `.sft-partial-notes` is
  stored [APP-NAME-9].
(the first draft's user name cut to 64 bytes, a CHAR(64) column, was replaced: no target
  declares a 64-byte account, so no case can see it; see the lens 5 entry.)
Lens 3 — compatibility shims:
- b25eke-eke1-username-alias: EKE1's user may come as `username` (an older client's
  member name): an EKE1 without `user` is answered EKE2 [FRM-9].
- b25eke-retry-after-string: `retry_after` sent as a JSON string of digits ("5", a JS
  toFixed(0)) [ERR-7].
Lens 4 — aging, expiry and wrap:
- b25eke-ephemeral-pool-wrap: a pool of 16 ephemerals precomputed at start (g^y is the
  costly part) served round robin: the 17th handshake reuses the first's y [EKE-X-1].
- b25eke-hs-deadline-per-stage: each handshake step gets the full handshake timeout (the
  deadline is re-armed after EKE2): a login may take twice the timeout (planted against
  EKE-HS-11; the case that catches it judges it as LIM-1, so it is filed there) [LIM-1].
Lens 6 — what the wire shows:
- b25eke-eror-trailing-crlf: the clear EROR frames (busy, throttled, auth_failed, timeout,
  bad_frame) are written as a line: CR LF after the frame [FRM-1].
- b25eke-eke2-key-id: EKE2 carries a `kid` (16 hex digits of SHA-256(pw)) so that a client
  can tell which password version the server holds: a capture tests guesses [EKE-SEC-1].
- b25eke-busy-message-known: the busy refusal names the account when it exists ("alice
  already has logins in progress"), the generic text otherwise [EKE-HS-3].
Lens 5 — the platform underneath:
- b25eke-eke1-user-cut-at-nul (r): the user name is cut at its first NUL (a C string on
  its way to the account lookup): `alice` NUL `x` logs in as alice [EKE-PW-5].
Post-blind siblings (after the cases, to show they take the class):
- b25eke-ephemeral-pool-64, b25eke-hs-unparsable-eror-skipped, b25eke-eke1-name-alias,
  b25eke-eke4-key-id-prefix, b25eke-auth-failed-eror-newline.

Blind result (12): 5 detected by the file first named (putf-restarts-put: test_framing.py;
reserved-own-pattern: test_app_reserved_names.py; retry-after-string: test_eke_throttling
.py; user-cut-at-nul: test_eke_user_names_invalid.py; hs-deadline-per-stage:
test_eke_handshake_stalls.py, as LIM-1), none more by the whole suite (every file citing
the requirement). New cases: test_eke_handshake_frame_edges.py (FRM-7: EKE1/EKE3 cut by
EOF; ERR-8: six malformed EROR forms before EKE1, two before EKE3; FRM-9: EKE1 without
`user`; FRM-1: nothing after a clear EROR), test_eke_login_wire_secrets.py (EKE-SEC-1:
no check value of pw or the password in the clear frames; EKE-HS-3: busy alike for an
account and a ghost), test_eke_server_ephemeral_window.py (EKE-X-1: 70 logins, no
repeated g^y or Ns; 300 with -m slow). Final: 17 of 17 detected (-k b25eke).
"""

from __future__ import annotations

import itertools
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind25-eke"


def _handshake_module() -> Any:
    return _module("reference.eke.handshake")


# -- lens 1 ------------------------------------------------------------------------------


def _eof_short_frame_parsed() -> None:
    _patch_method(
        _handshake_module()._Handshake,
        "_read_frame",
        (
            "        if len(buf) < HEADER_SIZE + length:\n",
            "        if len(buf) < HEADER_SIZE + length and not self._eof:\n",
        ),
    )


def _hs_unparsable_eror_skipped() -> None:
    _patch_method(
        _handshake_module()._Handshake,
        "_read_frame",
        (
            "        obj = loads_control(payload)\n",
            "        try:\n"
            "            obj = loads_control(payload)\n"
            "        except ProtocolError:\n"
            "            if frame_type == T_EROR:  # a garbled goodbye: nothing to act on\n"
            "                return self._read_frame()\n"
            "            raise\n",
        ),
    )


def _hs_malformed_eror_skipped() -> None:
    _patch_method(
        _handshake_module()._Handshake,
        "_read_frame",
        (
            "        obj = loads_control(payload)\n",
            "        obj = loads_control(payload)\n"
            "        if frame_type == T_EROR and type(obj.get(\"code\")) is not int:\n"
            "            return self._read_frame()  # an old client's EROR: nothing to act on\n",
        ),
    )


def _putf_restarts_put() -> None:
    app = _module("reference.app")
    app._TRANSITIONS[(app.ResponderState.RECEIVING, app.T_PUTF)] = (
        app.ResponderState.PUT_REQUESTED
    )


# -- lens 2 ------------------------------------------------------------------------------


def _reserved_own_pattern() -> None:
    share = _module("reference.share")
    _patch_method(
        share.Inbox,
        "target_name",
        (
            "        if base.startswith(PARTIAL_PREFIX):\n",
            "        if __import__(\"re\").fullmatch(r\"\\.sft-partial-[0-9a-f]{24}\", base):\n",
        ),
    )


def _eke1_user_cut_at_nul() -> None:
    _patch_method(
        _handshake_module().ServerHandshake,
        "_on_eke1",
        (
            '        user = obj["user"]\n',
            '        user = obj["user"]\n'
            "        if isinstance(user, str):  # a C string ends at its first NUL\n"
            '            user = user.split("\\x00", 1)[0] or user\n',
        ),
    )


# -- lens 3 ------------------------------------------------------------------------------


def _eke1_user_alias(alias: str) -> Any:
    def apply() -> None:
        handshake = _handshake_module()
        handshake._SCHEMAS[handshake.T_EKE1]["user"] = ("str", False)
        handshake._SCHEMAS[handshake.T_EKE1][alias] = ("str", False)
        _patch_method(
            handshake.ServerHandshake,
            "_on_eke1",
            (
                '        user = obj["user"]\n',
                f'        user = obj.get("user", obj.get("{alias}", ""))  # older clients\n',
            ),
        )

    return apply


def _retry_after_string() -> None:
    _patch_method(
        _handshake_module().ServerHandshake,
        "refuse_throttled",
        (
            "        seconds = max(1, math.ceil(retry_after))\n",
            "        seconds = str(max(1, math.ceil(retry_after)))  # toFixed(0)\n",
        ),
    )


# -- lens 4 ------------------------------------------------------------------------------


def _ephemeral_pool(size: int) -> Any:
    def apply() -> None:
        crypto = _module("reference.eke.crypto")
        original = crypto.new_ephemeral
        pool = itertools.cycle([original() for _ in range(size)])
        crypto.new_ephemeral = lambda: next(pool)

    return apply


def _hs_deadline_per_stage() -> None:
    transport = _module("reference.eke.transport")
    _patch_source(
        transport,
        "run_handshake",
        (
            "    _flush(sock, hs)\n    while True:\n",
            "    _flush(sock, hs)\n    span = deadline - time.monotonic()\n    while True:\n",
        ),
        (
            "        on_event(event)\n        _flush(sock, hs)\n",
            "        on_event(event)\n        _flush(sock, hs)\n"
            "        deadline = time.monotonic() + span  # the next step's own timeout\n",
        ),
    )
    _module("reference.eke.server").run_handshake = transport.run_handshake


# -- lens 6 ------------------------------------------------------------------------------


def _eror_trailing_crlf() -> None:
    handshake = _handshake_module()
    _patch_source(
        handshake,
        "encode_error",
        (
            "    return encode_frame(T_EROR, dumps_control(obj))\n",
            '    return encode_frame(T_EROR, dumps_control(obj)) + b"\\r\\n"\n',
        ),
    )
    _module("reference.eke.server").encode_error = handshake.encode_error


def _eke4_key_id_prefix() -> None:
    _patch_method(
        _handshake_module().ServerHandshake,
        "_on_eke3",
        (
            '        self._outbox += _control(T_EKE4, {"c": c4.hex()})\n',
            '        self._outbox += _control(T_EKE4, {"c": c4.hex(), "key_id": self._kid})\n',
        ),
    )
    _patch_method(
        _handshake_module().ServerHandshake,
        "accept",
        (
            "        self._doomed = False\n",
            "        self._doomed = False\n        self._kid = pw[:4].hex()\n",
        ),
    )


def _auth_failed_eror_newline() -> None:
    server = _module("reference.eke.server")
    _patch_method(
        server.EkeServer,
        "_handshake",
        (
            "            with contextlib.suppress(OSError):\n                sock.close()\n",
            "            with contextlib.suppress(OSError):\n"
            "                if isinstance(exc, AuthenticationFailed):\n"
            '                    sock.sendall(b"\\n")  # the log line of the refusal\n'
            "                sock.close()\n",
        ),
    )


def _eke2_key_id() -> None:
    _patch_method(
        _handshake_module().ServerHandshake,
        "accept",
        (
            '        self._outbox += _control(T_EKE2, {"b": b.hex(), "c": c2.hex()})\n',
            '        kid = __import__("hashlib").sha256(pw).hexdigest()[:16]\n'
            '        self._outbox += _control(T_EKE2, {"b": b.hex(), "c": c2.hex(), "kid": kid})\n',
        ),
    )


def _busy_message_known() -> None:
    _patch_method(
        _module("reference.eke.server").EkeServer,
        "_handshake",
        (
            "                    hs.refuse_busy(self.throttle.config.busy_retry_after)\n",
            "                    hs.refuse_busy(self.throttle.config.busy_retry_after)\n"
            "                    if any(r.name == event.user for r in self.store.users()):\n"
            "                        hs._outbox[:] = encode_error(\n"
            "                            ErrorCode.BUSY,\n"
            '                            f"{event.user} already has logins in progress",\n'
            "                            self.throttle.config.busy_retry_after,\n"
            "                        )\n",
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
        "b25eke-eof-short-frame-parsed",
        "FRM-7",
        "test_eke_handshake_frame_edges.py",
        "L1/L2: a handshake frame cut by EOF is parsed from the bytes that came (a read_exact"
        " that returns short at EOF): an EKE1 whose header announces more bytes than arrive"
        " before the client's FIN is answered EKE2",
        _eof_short_frame_parsed,
    ),
    _m(
        "b25eke-hs-malformed-eror-skipped",
        "ERR-8",
        "test_eke_handshake_frame_edges.py",
        "L1/L3: before the record phase an EROR without an integer code is skipped (an old"
        " client's EROR): the EKE1 that follows it is answered EKE2",
        _hs_malformed_eror_skipped,
    ),
    _m(
        "b25eke-putf-restarts-put",
        "APP-3",
        "test_framing.py",
        "L1/L2: a PUTF during a put restarts the put (RECEIVING + PUTF -> PUT_REQUESTED, the"
        " first put's temporary forgotten) instead of unexpected_frame",
        _putf_restarts_put,
    ),
    _m(
        "b25eke-reserved-own-pattern",
        "APP-NAME-9",
        "test_app_reserved_names.py",
        "L2: the reserved prefix refuses only names shaped like the server's own temporaries"
        " (.sft-partial- + 24 hex digits): a put of .sft-partial-notes.txt is stored",
        _reserved_own_pattern,
    ),
    _m(
        "b25eke-eke1-user-cut-at-nul",
        "EKE-PW-5",
        "test_eke_user_names_invalid.py",
        "L5 (r): EKE1's user name is cut at its first NUL (a C string on the way to the"
        " account lookup): alice + NUL + anything is matched to alice and logs in",
        _eke1_user_cut_at_nul,
    ),
    _m(
        "b25eke-eke1-username-alias",
        "FRM-9",
        "test_eke_handshake_frame_edges.py",
        "L3: EKE1's user may come as `username` (an older client's member name): an EKE1"
        " without `user` is answered EKE2 instead of bad_frame",
        _eke1_user_alias("username"),
    ),
    _m(
        "b25eke-retry-after-string",
        "ERR-7",
        "test_eke_throttling.py",
        "L3: throttled's retry_after is sent as a JSON string of digits (\"5\": a JS"
        " toFixed(0)), not an integer",
        _retry_after_string,
    ),
    _m(
        "b25eke-ephemeral-pool-wrap",
        "EKE-X-1",
        "test_eke_server_ephemeral_window.py",
        "L4: 16 server ephemerals precomputed at start (g^y is the costly part) and served"
        " round robin: the 17th handshake reuses the first one's y",
        _ephemeral_pool(16),
    ),
    _m(
        "b25eke-hs-deadline-per-stage",
        "LIM-1",
        "test_eke_handshake_stalls.py",
        "L4: the handshake deadline is re-armed after EKE2 (each step its own timeout): a"
        " login may take twice the handshake timeout before EROR timeout",
        _hs_deadline_per_stage,
    ),
    _m(
        "b25eke-eror-trailing-crlf",
        "FRM-1",
        "test_eke_handshake_frame_edges.py",
        "L6: the clear EROR frames (busy, throttled, auth_failed, timeout, bad_frame) are"
        " written as a line: CR LF follows the frame before the close",
        _eror_trailing_crlf,
    ),
    _m(
        "b25eke-eke2-key-id",
        "EKE-SEC-1",
        "test_eke_login_wire_secrets.py",
        "L3/L6: EKE2 carries a `kid`, 16 hex digits of SHA-256(pw) (so that a client can tell"
        " which password version the server holds): a passive capture tests password guesses",
        _eke2_key_id,
    ),
    _m(
        "b25eke-busy-message-known",
        "EKE-HS-3",
        "test_eke_login_wire_secrets.py",
        "L6: the busy refusal (pending cap) names the account when it exists ('alice already"
        " has logins in progress'); an unknown name gets the generic text: its size tells",
        _busy_message_known,
    ),
    _m(
        "b25eke-ephemeral-pool-64",
        "EKE-X-1",
        "test_eke_server_ephemeral_window.py",
        "(post-blind) 64 server ephemerals precomputed and served round robin: the 65th"
        " handshake reuses the first one's y",
        _ephemeral_pool(64),
    ),
    _m(
        "b25eke-hs-unparsable-eror-skipped",
        "ERR-8",
        "test_eke_handshake_frame_edges.py",
        "(post-blind) before the record phase an EROR whose payload is not a JSON object is"
        " skipped (a garbled goodbye): the EKE1 after it is answered EKE2",
        _hs_unparsable_eror_skipped,
    ),
    _m(
        "b25eke-eke1-name-alias",
        "FRM-9",
        "test_eke_handshake_frame_edges.py",
        "(post-blind) EKE1's user may come as `name`: an EKE1 without `user` is answered EKE2",
        _eke1_user_alias("name"),
    ),
    _m(
        "b25eke-eke4-key-id-prefix",
        "EKE-SEC-1",
        "test_eke_login_wire_secrets.py",
        "(post-blind) EKE4 carries a `key_id`, the first 4 bytes of pw in hex: a check value"
        " for offline guesses in every capture",
        _eke4_key_id_prefix,
    ),
    _m(
        "b25eke-auth-failed-eror-newline",
        "FRM-1",
        "test_eke_handshake_frame_edges.py",
        "(post-blind) only a failed login's path writes a line end after its EROR"
        " (auth_failed, timeout and the other failures of a pending login) before the close",
        _auth_failed_eror_newline,
    ),
)
