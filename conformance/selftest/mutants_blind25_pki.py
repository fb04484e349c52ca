"""Blind red-team round 25 (helper B166): the sft-pki/1 responder and the application
protocol it serves, through the six lenses of /work/briefs/s25/common.md.

Phase 1 (blind): written from docs/SPEC.md (§1-§3, §4.1-§4.3, §6) and the reference
(reference/pki/peer.py, tls.py, reference/app.py, frames.py, transfer.py, share.py) before
any case file or independent implementation was opened, then checked against the names
and descriptions of the 4,069 registered mutants. Replaced as repeats (r): the inbox's
absent names cached (b4pki-inbox-absent-cache), the reserved prefix checked on the whole
name (b6pki-put-reserved-prefix-fullname), validity compared by calendar date
(pki-responder-dates-only), a PUTF size wrapped in a u32 (b9idm-int-uint32-size). Dropped:
a client certificate with serverAuth only accepted (not plantable: OpenSSL's ssl_client
purpose refuses it before any code of ours runs); b25pki-partial-get-served (the reserved
.sft-partial- prefix checked on puts only, a get of such a file of the share served):
APP-NAME-9's get clause concerns temporaries being written, which a share holds only when
it is the inbox; the embedded share is not, and test_app_reserved_get_names.py judges the
configuration where it is.

Lens 1 — the thin MUSTs:
- b25pki-midput-request-queued: an RQFL, PUTF or BYE_ received during a put is queued
  and answered after the put's DONE, not unexpected_frame (APP-3).
- b25pki-malformed-eror-midput: a malformed EROR (no integer code) received during a put
  is dropped and the put goes on to be stored (ERR-8).
- b25pki-surrogate-bad-frame-kept: a name with a lone surrogate is answered bad_frame
  through the non-fatal refusal path: the connection stays open (FRM-15).
Lens 2 — the first draft:
- b25pki-done-idle-integrity: a DONE in IDLE is checked against the empty transfer
  record and answered integrity_failed, not unexpected_frame (APP-1).
- b25pki-fatal-eror-newline: the fatal-error path writes its EROR like a log line, with a
  trailing LF not counted in the frame's length (FRM-1).
- b25pki-busy-no-cert: the busy path (connections over the limit) handshakes with a light
  context that requests no client certificate: a client without one gets EROR busy
  (PKI-TLS-3).
Lens 3 — compatibility shims:
- b25pki-loopback-no-cert: a connection from 127.0.0.1/::1 without a client certificate
  is served as the responder's own alias (the local administration tool) (PKI-TLS-3).
- b25pki-length-le-fallback: a header whose big-endian length is above the frame limit is
  read little-endian when that fits (an old x86 build), not frame_too_large (FRM-1).
Lens 4 — aging:
- b25pki-idle-from-last-transfer: the idle deadline runs from the handshake or the last
  completed transfer: requests answered with a non-fatal EROR do not renew it (LIM-2).
Lens 5 — the platform underneath:
- b25pki-exists-follows-links: the inbox's exists check stat()s through symbolic links: a
  dangling link of the put's name is accepted at PUTF and refused only after the data
  (APP-PUT-3).
Lens 6 — what the wire shows:
- b25pki-dangling-link-closes: a name through a symbolic link out of the share is refused
  forbidden either way, but when the link's target is missing the connection is then
  closed: the close tells what exists outside the share (APP-NAME-6).

Blind run (phase 2): 4 of 11 detected by the named file — done-idle-integrity,
midput-request-queued (test_framing.py), loopback-no-cert (test_pki_tls.py),
exists-follows-links (test_app_put_inbox_links.py). Caught by another citing file:
idle-from-last-transfer (test_interop_live_slow_senders.py, test_ops_idle_whole_seconds.py),
dangling-link-closes (test_app_escape_link_answers.py, test_app_names.py). Missed by every
citing file: malformed-eror-midput, surrogate-bad-frame-kept (FAILs only FRM-9 cases, FRM-15
PASS), fatal-eror-newline, length-le-fallback, busy-no-cert.

Phase 3, cases for their CLASS (each PASSes the reference three times, pki1, pki2, pki6,
pki7; the app files also eke1, eke2, eke3):
  fatal-eror-newline, length-le-fallback, surrogate-bad-frame-kept, malformed-eror-midput
                  test_app_fatal_answer_forms.py: six fatal provocations each followed by
      the end of the stream and no byte more; oversize big-endian lengths whose
      little-endian reading fits; lone-surrogate names in RQFL and PUTF: bad_frame then
      the close, or forbidden then the next request served; six malformed EROR forms
      before and in the middle of a put: the close, no DONE, the name not stored —
      sibling: surrogate-forbidden-closes
  busy-no-cert    test_pki_busy_refusal_certificate.py: every slot held by established
      connections, a client without a certificate must not complete into application
      frames (EROR busy included) — sibling: busy-cert-optional
  idle-from-last-transfer, dangling-link-closes (caught elsewhere; the class made explicit)
                  test_app_refusals_keep_connection.py: each escape link's forbidden
      followed by a get served on the same connection, both orders; refused requests
      (not_found, forbidden, too_large) at pauses of 60 % of the idle timeout for more
      than twice it — sibling: idle-renewed-by-lookups
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind25-pki"


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Edits a method, copied at its indentation in the file."""
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(owner, attr, *edits)


def _patch_function(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Edits a module-level function, copied at its indentation in the file."""
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(owner, attr, *edits)


def _app() -> Any:
    return _module("reference.app")


def _transfer() -> Any:
    return _module("reference.transfer")


def _share() -> Any:
    return _module("reference.share")


# --- lens 1 -----------------------------------------------------------------------------


def _midput_request_queued() -> None:
    _patch(
        _app().ApplicationConnection,
        "_next_event",
        (
            "        buf = self._buffer\n",
            "        buf = self._buffer\n"
            "        if self.state is R.IDLE and getattr(self, '_b25_queued', None):\n"
            "            return self._on_control(self._b25_queued.pop(0))\n",
        ),
        (
            "            return PAUSED  # pipelined: judged once we are idle again\n",
            "            return PAUSED  # pipelined: judged once we are idle again\n"
            "        if self.state is R.RECEIVING and frame_type in (T_RQFL, T_PUTF, T_BYE):\n"
            "            # a request sent ahead of the put's end: answered once it is stored\n"
            "            if len(buf) < length:\n"
            "                return self._starved()\n"
            "            queued = getattr(self, '_b25_queued', None) or []\n"
            "            queued.append(Frame(frame_type, bytes(buf[:length])))\n"
            "            self._b25_queued = queued\n"
            "            del buf[:length]\n"
            "            self._header = None\n"
            "            return self._next_event()\n",
        ),
    )


def _malformed_eror_midput() -> None:
    _patch(
        _app().ApplicationConnection,
        "_on_control",
        (
            "        message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)\n",
            "        try:\n"
            "            message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)\n"
            "        except RemoteProtocolError:\n"
            "            if frame.type != T_EROR or self.state is not R.RECEIVING:\n"
            "                raise\n"
            "            return self._next_event()  # a garbled error mid-put: keep the put\n",
        ),
    )


def _surrogate_bad_frame_kept() -> None:
    frames = _module("reference.frames")
    _patch_function(
        frames,
        "_has_kind",
        (
            "    if not isinstance(value, str) or not _is_encodable(value):\n",
            "    if not isinstance(value, str):\n",
        ),
    )
    share = _share()
    _patch_function(
        share,
        "check_name",
        (
            '        raise NameRefused("the name is not valid UTF-8") from None\n',
            "        raise RemoteProtocolError(ErrorCode.BAD_FRAME, 'the name is not UTF-8')"
            " from None\n",
        ),
    )
    transfer = _transfer()
    transfer.check_name = share.check_name
    transfer._b25_encode = _module("reference.messages").encode_message
    transfer._b25_idle = _app().ResponderState.IDLE
    _patch(
        transfer.Responder,
        "_refuse",
        (
            "        self.channel.send(ErrorFrame(exc.code, exc.message))\n",
            "        if exc.code is ErrorCode.BAD_FRAME:  # a name refused like any other name\n"
            "            self.channel.stream.sendall("
            "_b25_encode(ErrorFrame(exc.code, exc.message)))\n"
            "            self.channel.conn.state = _b25_idle\n"
            "            self.channel.conn._incoming = None\n"
            "            return\n"
            "        self.channel.send(ErrorFrame(exc.code, exc.message))\n",
        ),
    )


# --- lens 2 -----------------------------------------------------------------------------


def _done_idle_integrity() -> None:
    _patch(
        _app().ApplicationConnection,
        "_next_event",
        (
            "        nxt = self._lookup(frame_type)\n",
            "        if frame_type == T_DONE and self.state is R.IDLE:\n"
            "            # checked against the (empty) transfer record\n"
            "            raise RemoteProtocolError(\n"
            "                ErrorCode.INTEGRITY_FAILED,"
            " 'DONE does not match the 0 bytes received'\n"
            "            )\n"
            "        nxt = self._lookup(frame_type)\n",
        ),
    )


def _fatal_eror_newline() -> None:
    _patch(
        _transfer()._Channel,
        "fail",
        (
            "            self.stream.sendall(self.conn.send(ErrorFrame(code, exc.message)))\n",
            "            self.stream.sendall("
            "self.conn.send(ErrorFrame(code, exc.message)) + b'\\n')\n",
        ),
    )


def _busy_no_cert() -> None:
    peer = _module("reference.pki.peer")
    tls = _module("reference.pki.tls")
    ssl = _module("ssl")
    cache: dict[int, Any] = {}

    def busy_context(identity: Any) -> Any:
        ctx = cache.get(id(identity))
        if ctx is None:
            ctx = tls._base_context(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(identity.cert, identity.key)
            ctx.set_alpn_protocols([tls.ALPN])
            cache[id(identity)] = ctx  # no client verification: it is refused anyway
        return ctx

    peer._b25_busy_context = busy_context
    _patch(
        peer.PeerServer,
        "_busy",
        (
            "            tls = self._handshake(raw)\n",
            "            tls = server_handshake(\n"
            "                _b25_busy_context(self.identity), raw, self.config.handshake_timeout\n"
            "            )\n",
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _loopback_no_cert() -> None:
    tls = _module("reference.pki.tls")
    peer = _module("reference.pki.peer")
    _patch_function(
        tls,
        "server_context",
        (
            "    ctx.verify_mode = ssl.CERT_REQUIRED  # [PKI-TLS-3]\n",
            "    ctx.verify_mode = ssl.CERT_OPTIONAL  # the local admin tool has none\n",
        ),
    )
    peer.server_context = tls.server_context
    _patch(
        peer.PeerServer,
        "_connection",
        (
            "                alias = peer_alias(tls, as_server=True)\n",
            "                if tls.getpeercert(binary_form=True) is None and addr[0] in (\n"
            "                    '127.0.0.1', '::1'\n"
            "                ):\n"
            "                    alias = self.alias  # the owner's own tools, on this host\n"
            "                else:\n"
            "                    alias = peer_alias(tls, as_server=True)\n",
        ),
    )


def _length_le_fallback() -> None:
    frames = _module("reference.frames")
    _patch_function(
        frames,
        "parse_header",
        (
            "    if length > max_payload:\n",
            "    little = int.from_bytes(bytes(header[4:8]), 'little')\n"
            "    if length > max_payload and little <= max_payload:\n"
            "        length = little  # an old x86 build wrote its lengths little-endian\n"
            "    if length > max_payload:\n",
        ),
    )
    _app().parse_header = frames.parse_header


# --- lens 4 -----------------------------------------------------------------------------


def _idle_from_last_transfer() -> None:
    transfer = _transfer()
    transfer._b25_monotonic = _module("time").monotonic
    _patch(
        transfer.Responder,
        "run",
        (
            "        channel = self.channel\n",
            "        channel = self.channel\n"
            "        idle = channel.stream.gettimeout()\n"
            "        self._b25_last = _b25_monotonic()\n",
        ),
        (
            "                event = channel.next_event()\n",
            "                if idle is not None:  # the session's activity stamp\n"
            "                    left = idle - (_b25_monotonic() - self._b25_last)\n"
            "                    channel.stream.settimeout(max(0.001, left))\n"
            "                event = channel.next_event()\n"
            "                channel.stream.settimeout(idle)\n",
        ),
    )
    _patch(
        transfer.Responder,
        "_get",
        (
            "        self.log(f\"get {request.name[:64]!r}: {shared.size} bytes sent\")\n",
            "        self.log(f\"get {request.name[:64]!r}: {shared.size} bytes sent\")\n"
            "        self._b25_last = _b25_monotonic()\n",
        ),
    )
    _patch(
        transfer.Responder,
        "_put",
        (
            "        self.log(f\"put {final[:64]!r}: {request.size} bytes stored\")\n",
            "        self.log(f\"put {final[:64]!r}: {request.size} bytes stored\")\n"
            "        self._b25_last = _b25_monotonic()\n",
        ),
    )


# --- lens 5 -----------------------------------------------------------------------------


def _exists_follows_links() -> None:
    _patch(
        _share().Inbox,
        "target_name",
        (
            "            os.stat(base, dir_fd=self._fd, follow_symlinks=False)\n",
            "            os.stat(base, dir_fd=self._fd)\n",
        ),
    )


# --- lens 6 -----------------------------------------------------------------------------


def _dangling_link_closes() -> None:
    share = _share()
    _patch(
        share.ShareDirectory,
        "_open_component",
        (
            "                if stat.S_ISLNK(st.st_mode):\n"
            "                    raise _symlink_refused(name) from None\n",
            "                if stat.S_ISLNK(st.st_mode):\n"
            "                    refused = _symlink_refused(name)\n"
            "                    try:\n"
            "                        os.stat(part, dir_fd=dir_fd)  # where it leads, for the log\n"
            "                    except OSError:\n"
            "                        refused._b25_dangling = True\n"
            "                    raise refused from None\n",
        ),
    )
    _patch(
        _transfer().Responder,
        "_get",
        (
            "            self.log(f\"get refused: {exc}\")\n            self._refuse(exc)\n",
            "            self.log(f\"get refused: {exc}\")\n            self._refuse(exc)\n"
            "            if getattr(exc, '_b25_dangling', False):\n"
            "                raise ConnectionAbortedError('broken link in the share')\n",
        ),
    )


# --- post-blind siblings (phase 3) ----------------------------------------------------


def _busy_cert_optional() -> None:
    peer = _module("reference.pki.peer")
    tls = _module("reference.pki.tls")
    ssl = _module("ssl")
    cache: dict[int, Any] = {}

    def busy_context(server: Any) -> Any:
        ctx = cache.get(id(server))
        if ctx is None:
            ctx = tls.server_context(server.identity, server._crl_source())
            ctx.verify_mode = ssl.CERT_OPTIONAL  # refused anyway: anyone may hear `busy`
            cache[id(server)] = ctx
        return ctx

    peer._b25_busy_optional = busy_context
    _patch(
        peer.PeerServer,
        "_busy",
        (
            "            tls = self._handshake(raw)\n",
            "            tls = server_handshake(\n"
            "                _b25_busy_optional(self), raw, self.config.handshake_timeout\n"
            "            )\n",
        ),
    )


def _surrogate_forbidden_closes() -> None:
    frames = _module("reference.frames")
    _patch_function(
        frames,
        "_has_kind",
        (
            "    if not isinstance(value, str) or not _is_encodable(value):\n",
            "    if not isinstance(value, str):\n",
        ),
    )
    transfer = _transfer()
    _patch(
        transfer.Responder,
        "_get",
        (
            "            self.log(f\"get refused: {exc}\")\n            self._refuse(exc)\n",
            "            self.log(f\"get refused: {exc}\")\n            self._refuse(exc)\n"
            "            if 'UTF-8' in exc.message:  # not text: a broken client, drop it\n"
            "                raise ConnectionAbortedError('name is not text')\n",
        ),
    )


def _idle_renewed_by_lookups() -> None:
    _idle_from_last_transfer()
    share = _share()
    transfer = _transfer()
    transfer._b25_not_found = share.ErrorCode.NOT_FOUND
    _patch(
        transfer.Responder,
        "_refuse",
        (
            "        self.channel.send(ErrorFrame(exc.code, exc.message))\n",
            "        self.channel.send(ErrorFrame(exc.code, exc.message))\n"
            "        if exc.code is _b25_not_found:  # a look-up in the share is activity\n"
            "            self._b25_last = _b25_monotonic()\n",
        ),
    )


def _m(
    name: str, requirement: str, test_file: str, description: str, apply: Any, **kw: Any
) -> Mutant:
    return Mutant(
        name=f"b25pki-{name}",
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        **kw,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "midput-request-queued",
        "APP-3",
        "test_framing.py",
        "L1: an RQFL, PUTF or BYE_ received during a put is queued and answered after the "
        "put's DONE, not unexpected_frame",
        _midput_request_queued,
    ),
    _m(
        "malformed-eror-midput",
        "ERR-8",
        "test_app_fatal_answer_forms.py",
        "L1: a malformed EROR (no integer code) received during a put is dropped and the put "
        "goes on to be stored",
        _malformed_eror_midput,
    ),
    _m(
        "surrogate-bad-frame-kept",
        "FRM-15",
        "test_app_fatal_answer_forms.py",
        "L1: a name with a lone surrogate is answered bad_frame through the non-fatal refusal "
        "path: the connection stays open and serves the next request",
        _surrogate_bad_frame_kept,
    ),
    # lens 2
    _m(
        "done-idle-integrity",
        "APP-1",
        "test_framing.py",
        "L2: a DONE in IDLE is checked against the empty transfer record and answered "
        "integrity_failed, not unexpected_frame",
        _done_idle_integrity,
    ),
    _m(
        "fatal-eror-newline",
        "FRM-1",
        "test_app_fatal_answer_forms.py",
        "L2: the fatal-error path writes its EROR like a log line: a trailing LF after the "
        "frame, not counted in its length",
        _fatal_eror_newline,
    ),
    _m(
        "busy-no-cert",
        "PKI-TLS-3",
        "test_pki_busy_refusal_certificate.py",
        "L2: the busy path (over the connection limit) handshakes with a light context that "
        "requests no client certificate: a client without one completes TLS and gets EROR busy",
        _busy_no_cert,
    ),
    # lens 3
    _m(
        "loopback-no-cert",
        "PKI-TLS-3",
        "test_pki_tls.py",
        "L3: a connection from 127.0.0.1/::1 without a client certificate is served as the "
        "responder's own alias (a shim for the local administration tool)",
        _loopback_no_cert,
    ),
    _m(
        "length-le-fallback",
        "FRM-1",
        "test_app_fatal_answer_forms.py",
        "L3: a header whose big-endian length is above the frame limit is read little-endian "
        "when that fits (an old x86 build), not frame_too_large",
        _length_le_fallback,
    ),
    # lens 4
    _m(
        "idle-from-last-transfer",
        "LIM-2",
        "test_app_refusals_keep_connection.py",
        "L4: the idle deadline runs from the handshake or the last completed transfer: "
        "requests answered with a non-fatal EROR (not_found, forbidden) do not renew it",
        _idle_from_last_transfer,
    ),
    # lens 5
    _m(
        "exists-follows-links",
        "APP-PUT-3",
        "test_app_put_inbox_links.py",
        "L5: the inbox's exists check stat()s through symbolic links: a dangling link of the "
        "put's name is accepted at PUTF and refused exists only after the data",
        _exists_follows_links,
    ),
    # lens 6
    _m(
        "dangling-link-closes",
        "APP-NAME-6",
        "test_app_refusals_keep_connection.py",
        "L6: a name through a symbolic link out of the share is refused forbidden either way, "
        "but the connection is then closed when the link's target is missing: the close says "
        "what exists outside the share",
        _dangling_link_closes,
    ),
    # post-blind siblings
    _m(
        "busy-cert-optional",
        "PKI-TLS-3",
        "test_pki_busy_refusal_certificate.py",
        "(post-blind) the busy path's context requests a client certificate without requiring "
        "it (CERT_OPTIONAL): a client without one completes TLS and gets EROR busy",
        _busy_cert_optional,
    ),
    _m(
        "surrogate-forbidden-closes",
        "FRM-15",
        "test_app_fatal_answer_forms.py",
        "(post-blind) a get of a name with a lone surrogate is answered forbidden (non-fatal) "
        "and then the connection is closed",
        _surrogate_forbidden_closes,
    ),
    _m(
        "idle-renewed-by-lookups",
        "LIM-2",
        "test_app_refusals_keep_connection.py",
        "(post-blind) the idle deadline is renewed by completed transfers and by not_found "
        "answers only: forbidden and too_large refusals do not renew it",
        _idle_renewed_by_lookups,
    ),
)
