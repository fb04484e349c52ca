"""Blind red-team round 27 (helper B200): the sft-pki/1 responder and the application
layer as it runs it, through the six lenses of /work/briefs/s27/common.md.

Phase 1 (blind): written from docs/SPEC.md (§1, §2, §3, §4.1-§4.3, §6) and the reference
(reference/pki/peer.py, tls.py, app.py, frames.py, transfer.py, share.py) before any case
file, conformance module or independent implementation was opened, then checked against
the names and descriptions of the registered mutants. Replaced as repeats (r): an EROR of
an unknown code judged by its name (b26eke-unknown-code-by-name, here for pki), the
control limit off by one (b10pki-control-limit-exclusive), the RSFL name in NFC
(ambig-eke-rsfl-nfc), the bad type answered unexpected_frame (b26pki-bad-type-unexpected).

Lens 1 — the thin MUSTs (responder side: APP-GET-4 2, PKI-CERT-4 2, ERR-8 2,
APP-STORE-4 3, APP-NAME-5 3, APP-NAME-9 3, FRM-15 5, ERR-1 5, FRM-8 4):
- b27pki-get-tail-frame-full (APP-GET-4, also L6): a get larger than one DATA frame ends
  with a frame of the buffer's whole size (1 MiB): the tail of the last read goes out with
  the stale rest of the buffer; a file of one frame or less is sent right.
- b27pki-put-limit-connection-max (APP-STORE-4, also L6): the DATA limit of a put is the
  largest size announced on the connection so far: the 2nd put, smaller than the 1st, has
  DATA beyond its size written to disk, refused only at DONE.
Lens 2 — the assistant's draft:
- b27pki-reserved-prefix-pattern (APP-NAME-9): the reserved prefix is matched as "looks
  like one of our temporaries" (`.sft-partial-` + 24 hex digits): `.sft-partial-notes` is
  stored.
- b27pki-malformed-eror-refused-kept (ERR-8): a malformed EROR from the initiator (no
  integer code) goes through the request-refusal path: EROR bad_frame is sent and the
  connection stays in IDLE, the next request served.
- b27pki-openat-lstat-follow (APP-NAME-5): each component lstat()ed (a link refused) and
  then opened relative to its directory's descriptor without O_NOFOLLOW ("openat: no
  TOCTOU"): a link swapped in between is followed.
- b27pki-control-limit-after-strip (FRM-8): the header admits a control payload up to
  4 x 64 KiB; the 64 KiB limit is judged on the payload stripped of white space (the JSON
  text proper): a 70 000-byte RQFL padded with spaces is served.
- b27pki-selfsigned-in-chain-ignored (PKI-CERT-4, also L4): the verify callback lets
  "self signed certificate in certificate chain" (19) and "unable to get CRL" (3) through
  (a client sending its root along tripped them): a foreign CA's certificate sent with its
  foreign root is accepted.
Lens 3 — cross-references:
- b27pki-put-surrogate-replaced (FRM-15): a put's name is encoded to UTF-8 with
  errors="replace" before the §3.5 check (the get path keeps the strict check): a name with
  a lone surrogate is stored with a '?' in its place.
Lens 4 — interop is not conformance:
- b27pki-eror-name-exists-typo (ERR-1): the EROR `name` of code 12 is `already_exists`
  (an initiator acting on the code, as its own does, never notices).
Lens 5 — two faults at once: b27pki-malformed-eror-refused-kept (the first error's path
  reused for the second), b27pki-put-limit-connection-max (the limit of an earlier put
  judging a later one).
Lens 6 — beyond the toy sizes: b27pki-get-tail-frame-full, b27pki-put-limit-connection-max.
Post-blind siblings (phase 3, the class each new case aims at):
- b27pki-get-tail-page-rounded: the tail frame of a multi-frame get rounded up to 4 KiB.
- b27pki-put-limit-after-get: the incoming limit is the connection's largest transfer, a
  get's RSFL size included.
- b27pki-malformed-eror-noise-skipped: an EROR whose payload is not a JSON object is
  skipped as line noise.
- b27pki-put-surrogate-dir-component: the put path checks only the basename it stores.

Blind run (phase 2): 4 of 9 detected by the named file (reserved-prefix-pattern,
openat-lstat-follow, control-limit-after-strip, selfsigned-in-chain-ignored);
put-surrogate-replaced was inert as first planted (the schema check refuses lone
surrogates before any name rule) and, made real, is caught by test_framing.py;
get-tail-frame-full (test_app_share_files.py's appended-file case) and
eror-name-exists-typo (test_app_refusals.py) by another file; put-limit-connection-max by
none; malformed-eror-refused-kept only under ERR-3 (test_framing.py), ERR-8 UNTESTED.
Phase 3 cases: test_app_get_multi_frame_excess.py (APP-GET-4: multi-frame gets, twice
on a connection), test_app_put_excess_after_earlier.py (APP-STORE-4: excess of a later
put after a larger put, a refused put, a get), test_app_malformed_eror_then_request.py
(ERR-8: a request after the answer to a malformed EROR is never processed).
"""

from __future__ import annotations

import os
import ssl
import stat
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind27-pki"


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Edits as they stand in the file (method bodies at their file indentation)."""
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(owner, attr, *edits)


def _patch_function(module: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(module, attr, *edits)


def _app() -> Any:
    return _module("reference.app")


def _transfer() -> Any:
    return _module("reference.transfer")


def _share() -> Any:
    return _module("reference.share")


# --- lens 1 -----------------------------------------------------------------------------


def _get_tail_frame_full() -> None:
    transfer = _transfer()
    transfer.encode_header = _module("reference.frames").encode_header
    _patch(
        transfer._Channel,
        "send_file",
        (
            "            send_progressing(self.stream, view[: HEADER_SIZE + n])\n",
            "            out = n\n"
            "            if sent and n < BUFFER_SIZE:  # the tail: the buffer as read into\n"
            '                view[:HEADER_SIZE] = encode_header(b"DATA", BUFFER_SIZE)\n'
            "                out = BUFFER_SIZE\n"
            "            send_progressing(self.stream, view[: HEADER_SIZE + out])\n",
        ),
    )


def _get_tail_page_rounded() -> None:
    """(post-blind) The tail of a get above one frame is read and sent in whole 4 KiB
    pages (a block-aligned read): the page's rest goes out with it."""
    transfer = _transfer()
    transfer.encode_header = _module("reference.frames").encode_header
    _patch(
        transfer._Channel,
        "send_file",
        (
            "            send_progressing(self.stream, view[: HEADER_SIZE + n])\n",
            "            out = n\n"
            "            if sent and n % 4096:  # the tail: whole pages\n"
            "                out = n + 4096 - n % 4096\n"
            '                view[:HEADER_SIZE] = encode_header(b"DATA", out)\n'
            "            send_progressing(self.stream, view[: HEADER_SIZE + out])\n",
        ),
    )


def _put_limit_connection_max() -> None:
    app = _app()
    _patch(
        app.ApplicationConnection,
        "_next_event",
        (
            "            if self._incoming.count + length > self._incoming.announced:\n",
            "            if self._incoming.count + length > max(\n"
            '                self._incoming.announced, getattr(self, "_largest", 0)\n'
            "            ):\n",
        ),
    )
    _patch(
        app.ApplicationConnection,
        "_on_control",
        (
            "        elif isinstance(message, PutRequest):\n",
            "        elif isinstance(message, PutRequest):\n"
            '            self._largest = max(getattr(self, "_largest", 0), message.size)\n',
        ),
    )
    _patch(
        _transfer().Responder,
        "_put",
        (
            "            partial = inbox.begin(final, request.size)\n",
            '            largest = max(getattr(self, "_largest", 0), request.size)\n'
            "            self._largest = largest\n"
            "            partial = inbox.begin(final, largest)\n",
        ),
    )


def _put_limit_after_get() -> None:
    """(post-blind) The incoming limit keeps the connection's largest transfer, a get's
    RSFL size included: one counter per connection, set by either direction."""
    app = _app()
    _patch(
        app.ApplicationConnection,
        "_next_event",
        (
            "            if self._incoming.count + length > self._incoming.announced:\n",
            "            if self._incoming.count + length > max(\n"
            '                self._incoming.announced, getattr(self, "_largest", 0)\n'
            "            ):\n",
        ),
    )
    _patch(
        app.ApplicationConnection,
        "send",
        (
            "        elif isinstance(event, FileResponse):\n",
            "        elif isinstance(event, FileResponse):\n"
            '            self._largest = max(getattr(self, "_largest", 0), event.size)\n',
        ),
    )
    transfer = _transfer()
    original = transfer.Inbox.begin

    def begin(self: Any, final_name: str, size: int) -> Any:
        return original(self, final_name, max(size, 64 * 1024 * 1024))

    transfer.Inbox.begin = begin


# --- lens 2 -----------------------------------------------------------------------------


def _reserved_prefix_pattern() -> None:
    share = _share()
    share.re = _module("re")
    _patch(
        share.Inbox,
        "target_name",
        (
            "        if base.startswith(PARTIAL_PREFIX):\n",
            '        if re.fullmatch(r"\\.sft-partial-[0-9a-f]{24}", base):\n',
        ),
    )


def _malformed_eror_refused_kept() -> None:
    app = _app()
    original = app.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        try:
            return original(frame, rsfl_for_put=rsfl_for_put)
        except app.RemoteProtocolError as exc:
            if frame.type != b"EROR":
                raise
            raise app.RemoteProtocolError(exc.code, f"malformed EROR: {exc.message}") from None

    app.decode_message = decode_message
    transfer = _transfer()
    transfer.encode_message = _module("reference.messages").encode_message
    _patch(
        transfer.Responder,
        "run",
        (
            "                event = channel.next_event()\n",
            "                try:\n"
            "                    event = channel.next_event()\n"
            "                except RemoteProtocolError as exc:  # refused like a bad request\n"
            '                    if not exc.message.startswith("malformed EROR"):\n'
            "                        raise\n"
            "                    channel.stream.sendall(\n"
            "                        encode_message(ErrorFrame(ErrorCode.BAD_FRAME, exc.message))\n"
            "                    )\n"
            "                    channel.conn._error = None\n"
            "                    continue\n",
        ),
    )


def _malformed_eror_noise_skipped() -> None:
    """(post-blind) An EROR whose payload is not a JSON object is line noise: skipped."""
    app = _app()
    original = app.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        try:
            return original(frame, rsfl_for_put=rsfl_for_put)
        except app.RemoteProtocolError:
            if frame.type != b"EROR" or bytes(frame.payload).lstrip().startswith(b"{"):
                raise
            return None

    app.decode_message = decode_message
    _patch(
        app.ApplicationConnection,
        "_on_control",
        (
            "        message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)\n",
            "        message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)\n"
            "        if message is None:  # not an error report: noise on the line\n"
            "            return self._next_event()\n",
        ),
    )


def _openat_lstat_follow() -> None:
    share = _share()

    def _open_component(dir_fd: int, part: str, flags: int, name: str) -> int:
        # "openat relative to the directory: no TOCTOU" -- the link check is an lstat.
        try:
            st = os.stat(part, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            raise share._not_found(name) from None
        if stat.S_ISLNK(st.st_mode):
            raise share._symlink_refused(name)
        try:
            return os.open(part, flags & ~os.O_NOFOLLOW, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == share.errno.EACCES:
                raise share.NameRefused("permission denied") from None
            raise share._not_found(name) from None

    share.ShareDirectory._open_component = staticmethod(_open_component)


def _control_limit_after_strip() -> None:
    app = _app()
    frames = _module("reference.frames")
    _patch(
        app.ApplicationConnection,
        "_check_header",
        (
            "        if frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:\n",
            "        if frame_type != T_DATA and length > 4 * MAX_CONTROL_PAYLOAD:\n",
        ),
    )
    _patch_function(
        frames,
        "loads_control",
        (
            "    if len(payload) > MAX_CONTROL_PAYLOAD:\n",
            "    if len(bytes(payload).strip()) > MAX_CONTROL_PAYLOAD:  # the JSON text proper\n",
        ),
    )
    _module("reference.messages").loads_control = frames.loads_control


_V_ERR_UNABLE_TO_GET_CRL = 3
_V_ERR_SELF_SIGNED_IN_CHAIN = 19


def _selfsigned_in_chain_ignored() -> None:
    from conformance.selftest.mutants_blind6_pki import _verify_ignoring, _wrap_server_context

    def change(ctx: ssl.SSLContext, identity: Any, crl: bytes) -> None:
        _verify_ignoring(ctx, (_V_ERR_SELF_SIGNED_IN_CHAIN, _V_ERR_UNABLE_TO_GET_CRL))

    _wrap_server_context(change)


# --- lens 3 -----------------------------------------------------------------------------


def _strings_unchecked() -> None:
    """The schema check takes any JSON string for a `str` member (Unicode validity is left
    to the name rules of §3.5, which the get path applies strictly)."""
    _module("reference.frames")._is_encodable = lambda value: True


def _put_surrogate_replaced() -> None:
    _strings_unchecked()
    _patch(
        _share().Inbox,
        "target_name",
        (
            "        base = check_name(name)[-1]\n",
            '        base = check_name(name.encode("utf-8", "replace").decode("utf-8"))[-1]\n',
        ),
    )


def _put_surrogate_dir_component() -> None:
    """(post-blind) The put path checks the part it stores: the basename; the directory
    components it drops are split off unchecked (only `..` looked for)."""
    _strings_unchecked()
    _patch(
        _share().Inbox,
        "target_name",
        (
            "        base = check_name(name)[-1]\n",
            '        if ".." in name.split("/"):\n'
            '            raise NameRefused("\'..\' components are not allowed")\n'
            '        base = check_name(name.rsplit("/", 1)[-1])[-1]\n',
        ),
    )


# --- lens 4 -----------------------------------------------------------------------------


def _eror_name_exists_typo() -> None:
    messages = _module("reference.messages")
    _patch_function(
        messages,
        "encode_message",
        (
            '            "name": message.code.wire_name,\n',
            '            "name": {12: "already_exists"}.get(\n'
            "                int(message.code), message.code.wire_name\n"
            "            ),\n",
        ),
    )
    for module in ("reference.app", "reference.pki.peer", "reference.transfer"):
        mod = _module(module)
        if hasattr(mod, "encode_message"):
            mod.encode_message = messages.encode_message


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b27pki-{name}",
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "get-tail-frame-full",
        "APP-GET-4",
        "test_app_get_multi_frame_excess.py",
        "L1/L6: a get larger than one DATA frame ends with a frame of the buffer's whole size "
        "(1 MiB), the last read's tail and the stale rest of the buffer: more bytes than "
        "RSFL.size; files of one frame or less are sent right",
        _get_tail_frame_full,
    ),
    _m(
        "get-tail-page-rounded",
        "APP-GET-4",
        "test_app_get_multi_frame_excess.py",
        "(post-blind) L6: the tail frame of a get above one DATA frame is sent in whole 4 KiB "
        "pages (a block-aligned read): up to 4095 bytes beyond RSFL.size",
        _get_tail_page_rounded,
    ),
    _m(
        "put-limit-connection-max",
        "APP-STORE-4",
        "test_app_put_excess_after_earlier.py",
        "L1/L6: a put's DATA limit is the largest size announced on the connection so far: "
        "a second, smaller put has DATA beyond its own size written to disk, refused only "
        "at DONE",
        _put_limit_connection_max,
    ),
    _m(
        "put-limit-after-get",
        "APP-STORE-4",
        "test_app_put_excess_after_earlier.py",
        "(post-blind) L6: a put's DATA limit is the largest transfer of the connection so "
        "far, a get's RSFL size included (one counter for both directions): after a large "
        "get, a small put's excess is written and refused only at DONE",
        _put_limit_after_get,
    ),
    _m(
        "reserved-prefix-pattern",
        "APP-NAME-9",
        "test_app_reserved_names.py",
        "L2: the reserved prefix matched as 'one of our temporaries' (.sft-partial- and 24 "
        "hex digits): a put of .sft-partial-notes is stored",
        _reserved_prefix_pattern,
    ),
    _m(
        "malformed-eror-refused-kept",
        "ERR-8",
        "test_app_malformed_eror_then_request.py",
        "L2/L5: a malformed EROR from the initiator (no integer code) goes through the "
        "request-refusal path: EROR bad_frame sent, the connection kept in IDLE and the "
        "next request served",
        _malformed_eror_refused_kept,
    ),
    _m(
        "malformed-eror-noise-skipped",
        "ERR-8",
        "test_app_malformed_eror_then_request.py",
        "(post-blind) L2: an EROR whose payload is not a JSON object (an array, not JSON) is "
        "taken for line noise and skipped: the connection goes on and serves the next request",
        _malformed_eror_noise_skipped,
    ),
    _m(
        "openat-lstat-follow",
        "APP-NAME-5",
        "test_app_toctou.py",
        "L2: each component lstat()ed (a link refused), then opened relative to its "
        "directory's descriptor without O_NOFOLLOW: a link swapped in between is followed",
        _openat_lstat_follow,
    ),
    _m(
        "control-limit-after-strip",
        "FRM-8",
        "test_framing.py",
        "L2: the header admits control payloads up to 4 x 64 KiB and the 64 KiB limit is "
        "judged on the payload stripped of white space: a 70 000-byte RQFL padded with "
        "spaces is served",
        _control_limit_after_strip,
    ),
    _m(
        "selfsigned-in-chain-ignored",
        "PKI-CERT-4",
        "test_pki_certs.py",
        "L2/L4: the verify callback lets 'self signed certificate in certificate chain' and "
        "'unable to get CRL' through: a foreign CA's client certificate sent with its "
        "foreign root is accepted",
        _selfsigned_in_chain_ignored,
    ),
    _m(
        "put-surrogate-replaced",
        "FRM-15",
        "test_framing.py",
        "L3: a put's name encoded to UTF-8 with errors='replace' before the name check (the "
        "schema takes any JSON string; the get path keeps the strict name check): a name "
        "with a lone surrogate is stored with '?'",
        _put_surrogate_replaced,
    ),
    _m(
        "put-surrogate-dir-component",
        "FRM-15",
        "test_app_fatal_answer_forms.py",
        "(post-blind) L3: the put path checks only the basename it stores; the directory "
        "components it drops are split off unchecked: a lone surrogate in one is accepted",
        _put_surrogate_dir_component,
    ),
    _m(
        "eror-name-exists-typo",
        "ERR-1",
        "test_app_refusals.py",
        "L4: the EROR name of code 12 is already_exists, not exists",
        _eror_name_exists_typo,
    ),
)
