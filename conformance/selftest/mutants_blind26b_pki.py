"""Blind red-team round 26, second pass (helper B190): the sft-pki/1 responder and the
application protocol it serves, through lenses 4 (neighbouring-protocol habits), 5
(insecure defaults and foot-guns), 6 (crossing frames) and 2 (the second half of the
sentence) of /work/briefs/s26/common.md.

Phase 1 (blind): written from docs/SPEC.md (§1-§3, §4.1-§4.3, §6) and the reference
(reference/pki/peer.py, tls.py, reference/app.py, transfer.py, share.py) before any case
file, independent implementation or the first pass's report was opened, then checked
against the names and descriptions of the registered mutants. Replaced as repeats (r):
a request pipelined during a get judged unexpected_frame (b18pki-pipelined-during-get-
refused), session tickets resuming a revoked client (b15ops-pki-ticket-resumes-revoked),
the allow list lost at a CRL refresh (b24ops-pki-allow-on-context), a validity leeway
(b11pki-validity-skew-hour), puts kept in sub-directories (b6pki-put-keeps-subdirs), an
unlimited connection cap when undeclared (b16ops-pki-no-connection-cap-undeclared), the
close without lingering (b26pki-close-no-linger).

Lens 4 — neighbouring-protocol habits:
- b26bpki-refused-put-body-skipped: HTTP's "read and drop the body of a refused request":
  after a PUTF answered with a non-fatal EROR, DATA frames (up to its announced size) and
  the DONE that follow are skipped, not unexpected_frame (FRM-6).
- b26bpki-name-url-parsed: names handled as URL paths: a `?query` or `#fragment` is cut
  before the look-up, in a get and in a put (APP-NAME-3).
- b26bpki-get-refusal-done: an error as a status with a body: a get refused not_found or
  forbidden is followed by an empty DONE ending the "response" (APP-GET-2).
- b26bpki-put-resume-smaller: rsync --append / SFTP resume: a PUTF of a name the inbox
  holds with fewer bytes than announced is accepted and the file replaced at the commit,
  not `exists` (APP-PUT-3).
- b26bpki-close-after-put: HTTP/1.0 "a request with a body ends the connection": the
  responder closes after answering a PUTF (receipt or refusal) (APP-2).
- b26bpki-put-text-mode: FTP's ASCII mode: a put of a text name (.txt, .csv, .md, .log)
  is written with its CR LF line ends turned into LF: the file stored is not the bytes
  verified (APP-STORE-1).
- b26bpki-put-windows-chars-refused: an SMB/Windows port: a put name holding < > : " | ? *
  or a device name (CON, NUL, AUX ...) is refused forbidden (APP-PUT-2).
Lens 5 — insecure defaults and foot-guns:
- b26bpki-allow-admin-exempt: the operator accounts `admin` and `root` pass every allow
  list (a maintenance default) (PKI-ID-3).
Lens 6 — crossing frames:
- b26bpki-eror-cancels-get: the responder looks for the initiator's EROR between the DATA
  frames of a get; a non-fatal one cancels the get (HTTP/2's RST_STREAM) and the connection
  returns to IDLE, where the next request is served (APP-3).
- b26bpki-midget-eror-dropped: an EROR that arrives while a get's DATA is being written is
  read and dropped as stale ("about a transfer we are finishing"); the get ends and the
  connection serves on (APP-3).
Lens 2 is met by three of the above: allow-admin-exempt (PKI-ID-3's "No alias is
exempt"), put-windows-chars-refused (APP-PUT-2's second sentence), the two mid-get EROR
mutants (APP-3's "in any state, whatever its code").

Blind run (phase 2): 6 of 10 detected by the named file — refused-put-body-skipped
(test_app_refused_put_followers.py), get-refusal-done (test_app_get.py),
put-resume-smaller (test_app_put_existing_content.py), close-after-put
(test_app_put_sequence.py), put-windows-chars-refused (test_app_put_names.py),
allow-admin-exempt (test_pki_allow_builtin_aliases.py). Caught by another citing file:
name-url-parsed (test_app_name_wildcards.py, by its '?' only). Missed by every citing
file: put-text-mode, eror-cancels-get, midget-eror-dropped.

Phase 3, cases for their CLASS (each PASSes the reference three times, pki1, pki2, pki6,
pki7, eke1, eke3):
  eror-cancels-get, midget-eror-dropped
                  test_app_get_crossed_by_eror.py: a get of a multi-frame file, an EROR of
      each code (non-fatal, fatal, unknown) and a get behind it, pipelined in one write or
      sent once RSFL arrived: the second get never answered — sibling: eror-cancels-request
  put-text-mode   test_app_put_bytes_as_sent.py: one content holding CR LF, lone CR, a BOM,
      0x1A, NUL and trailing blanks, put under fifteen extensions, in one DATA frame and
      with a frame boundary between CR and LF: stored byte for byte — sibling:
      put-bom-stripped
  name-url-parsed test_app_name_url_characters.py: gets and puts of names with ?, #, ;, &,
      + beside the file of the cut name — sibling: name-fragment-cut

Post-blind siblings:
- b26bpki-name-fragment-cut: a #fragment is cut from a name before the look-up, '?' kept
  (APP-NAME-3).
- b26bpki-put-bom-stripped: a put of a .csv or .json name is written without its leading
  UTF-8 BOM (APP-STORE-1).
- b26bpki-eror-cancels-request: a non-fatal EROR already received behind an RQFL withdraws
  that request: the get is skipped, the next request served (APP-3).
"""

from __future__ import annotations

import hashlib
import json
import select
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind26b-pki"


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Edits a method, copied at its indentation in the file."""
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(owner, attr, *edits)


def _app() -> Any:
    return _module("reference.app")


def _transfer() -> Any:
    return _module("reference.transfer")


def _share() -> Any:
    return _module("reference.share")


# --- lens 4 -----------------------------------------------------------------------------


def _refused_put_body_skipped() -> None:
    transfer = _transfer()
    transfer._b26b_put_requested = _app().ResponderState.PUT_REQUESTED
    _patch(
        transfer.Responder,
        "_refuse",
        (
            "        self.channel.send(ErrorFrame(exc.code, exc.message))\n",
            "        conn = self.channel.conn\n"
            "        if conn.state is _b26b_put_requested and conn._incoming is not None:\n"
            "            conn._b26b_skip = conn._incoming.announced  # the body still coming\n"
            "            conn._b26b_skipping = True\n"
            "        self.channel.send(ErrorFrame(exc.code, exc.message))\n",
        ),
    )
    _patch(
        _app().ApplicationConnection,
        "_next_event",
        (
            "        nxt = self._lookup(frame_type)\n",
            "        if self.state is R.IDLE and getattr(self, '_b26b_skipping', False):\n"
            "            skip = getattr(self, '_b26b_skip', 0)\n"
            "            if (frame_type == T_DATA and length <= skip) or frame_type == T_DONE:\n"
            "                if len(buf) < length:\n"
            "                    return self._starved()\n"
            "                del buf[:length]\n"
            "                self._header = None\n"
            "                self._b26b_skip = skip - length if frame_type == T_DATA else 0\n"
            "                self._b26b_skipping = frame_type == T_DATA\n"
            "                return self._next_event()\n"
            "            self._b26b_skipping = False\n"
            "        nxt = self._lookup(frame_type)\n",
        ),
    )


def _name_url_parsed() -> None:
    share = _share()
    original = share.check_name

    def check_name(name: str) -> list[str]:
        # the request target's path: what a URL router hands the handler
        return original(name.split("#", 1)[0].split("?", 1)[0])  # type: ignore[no-any-return]

    share.check_name = check_name
    _transfer().check_name = check_name


def _name_fragment_cut() -> None:
    share = _share()
    original = share.check_name

    def check_name(name: str) -> list[str]:
        # a fragment is never sent to a server, so "it cannot be part of a name"
        return original(name.split("#", 1)[0])  # type: ignore[no-any-return]

    share.check_name = check_name
    _transfer().check_name = check_name


def _get_refusal_done() -> None:
    transfer = _transfer()
    messages = _module("reference.messages")
    empty = messages.Done(0, hashlib.sha256(b"").hexdigest())
    transfer._b26b_end_of_body = messages.encode_message(empty)
    _patch(
        transfer.Responder,
        "_get",
        (
            '            self.log(f"get refused: {exc}")\n            self._refuse(exc)\n',
            '            self.log(f"get refused: {exc}")\n            self._refuse(exc)\n'
            "            self.channel.stream.sendall(_b26b_end_of_body)  # its empty body\n",
        ),
    )


def _put_resume_smaller() -> None:
    transfer = _transfer()
    os = _module("os")
    stat = _module("stat")

    def smaller(inbox: Any, name: str, size: int) -> str | None:
        base = transfer.check_name(name)[-1]
        try:
            st = os.stat(base, dir_fd=inbox._fd, follow_symlinks=False)
        except OSError:
            return None
        if stat.S_ISREG(st.st_mode) and st.st_size < size:
            return str(base)  # an interrupted upload: resumed
        return None

    transfer._b26b_resumable = smaller
    _patch(
        transfer.Responder,
        "_put",
        (
            "            final = inbox.target_name(request.name)\n",
            "            resumed = False\n"
            "            try:\n"
            "                final = inbox.target_name(request.name)\n"
            "            except RemoteProtocolError as exc:\n"
            "                base = _b26b_resumable(inbox, request.name, request.size)\n"
            "                if exc.code is not ErrorCode.EXISTS or base is None:\n"
            "                    raise\n"
            "                final, resumed = base, True\n",
        ),
        (
            "                partial.commit()\n",
            "                partial.commit(overwrite=resumed)\n",
        ),
    )


def _close_after_put() -> None:
    _patch(
        _transfer().Responder,
        "run",
        (
            "                    self._put(event)\n",
            "                    self._put(event)\n"
            "                    return  # a request with a body ends the connection\n",
        ),
    )


def _put_windows_chars_refused() -> None:
    share = _share()
    share._b26b_devices = frozenset(
        {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
         *(f"LPT{i}" for i in range(1, 10))}
    )
    _patch(
        share.Inbox,
        "target_name",
        (
            "        base = check_name(name)[-1]\n",
            "        base = check_name(name)[-1]\n"
            "        if any(c in base for c in '<>:\"|?*') or (\n"
            "            base.split('.')[0].upper() in _b26b_devices\n"
            "        ):\n"
            "            raise NameRefused('not a portable file name')\n",
        ),
    )


def _put_text_mode() -> None:
    share = _share()
    share._b26b_text = (".txt", ".csv", ".md", ".log")
    _patch(
        share.PartialFile,
        "write",
        (
            '        view = memoryview(data).cast("B")\n',
            '        view = memoryview(data).cast("B")\n'
            "        if self.final_name.lower().endswith(_b26b_text):  # FTP's TYPE A\n"
            '            view = memoryview(bytes(view).replace(b"\\r\\n", b"\\n"))\n',
        ),
    )


def _put_bom_stripped() -> None:
    share = _share()
    _patch(
        share.PartialFile,
        "write",
        (
            '        view = memoryview(data).cast("B")\n',
            '        view = memoryview(data).cast("B")\n'
            "        if self.written == 0 and bytes(view[:3]) == b'\\xef\\xbb\\xbf' and (\n"
            "            self.final_name.endswith(('.csv', '.json'))\n"
            "        ):\n"
            "            view = view[3:]  # Excel's BOM: our parsers downstream choke on it\n",
        ),
    )


# --- lens 5 -----------------------------------------------------------------------------


def _allow_admin_exempt() -> None:
    _patch(
        _module("reference.pki.peer").PeerServer,
        "_connection",
        (
            "            allowed = not self.config.allow or alias in self.config.allow\n",
            "            allowed = (\n"
            "                not self.config.allow\n"
            "                or alias in self.config.allow\n"
            "                or alias in ('admin', 'root')  # the operators' maintenance accounts\n"
            "            )\n",
        ),
    )


# --- lens 6 -----------------------------------------------------------------------------


def _front_eror(conn: Any, *, only: tuple[int, ...] | None = None) -> dict[str, Any] | None:
    """The payload of a complete EROR at the front of the core's buffer, removed from it
    (with `only`: when its code is one of them; left in place otherwise)."""
    buf = conn._buffer
    if conn._header is not None or len(buf) < 8 or bytes(buf[:4]) != b"EROR":
        return None
    length = int.from_bytes(bytes(buf[4:8]), "big")
    if len(buf) < 8 + length:
        return None
    try:
        value = json.loads(bytes(buf[8 : 8 + length]))
    except ValueError:
        value = {}
    found = value if isinstance(value, dict) else {}
    if only is not None and found.get("code") not in only:
        return None
    del buf[: 8 + length]
    return found


def _poll_eror(channel: Any) -> dict[str, Any] | None:
    """What the initiator sent meanwhile, looked at without blocking: the payload of a
    complete EROR at the front of what was received (removed), or None."""
    conn = channel.conn
    found = _front_eror(conn)
    if found is not None:
        return found
    stream = channel.stream
    timeout = stream.gettimeout()
    try:
        if not stream.pending():
            readable, _, _ = select.select([stream], [], [], 0)
            if not readable:
                return None
        stream.settimeout(0)
        n = stream.recv_into(channel._small)
    except (OSError, ValueError):
        return None
    finally:
        stream.settimeout(timeout)
    if n:
        conn.receive_data(channel._small[:n])
    return _front_eror(conn)


def _install_poll(on_eror: str) -> None:
    transfer = _transfer()
    transfer._b26b_poll = _poll_eror
    transfer._b26b_idle = _app().ResponderState.IDLE
    _patch(
        transfer._Channel,
        "send_file",
        (
            "            sent += n\n",
            "            sent += n\n"
            "            eror = _b26b_poll(self) if sent < size else None\n" + on_eror,
        ),
    )


def _eror_cancels_get() -> None:
    _install_poll(
        "            if eror is not None:\n"
        "                if eror.get('code') not in (5, 6, 7, 12, 13):\n"
        "                    raise ConnectionAbortedError('the initiator aborted the get')\n"
        "                self.conn.state = _b26b_idle  # cancelled: back to IDLE\n"
        "                self.conn._outgoing = None\n"
        "                self.release_buffers()\n"
        "                return\n"
    )


def _midget_eror_dropped() -> None:
    _install_poll("            # an EROR about a transfer we are finishing: stale, dropped\n")


def _eror_cancels_request() -> None:
    transfer = _transfer()
    transfer._b26b_front_eror = _front_eror
    transfer._b26b_idle = _app().ResponderState.IDLE
    _patch(
        transfer.Responder,
        "run",
        (
            "                if isinstance(event, FileRequest):\n",
            "                if isinstance(event, FileRequest):\n"
            "                    if _b26b_front_eror(channel.conn, only=(5, 6, 7, 12, 13)):\n"
            "                        channel.conn.state = _b26b_idle  # the request withdrawn\n"
            "                        continue\n",
        ),
    )


def _m(name: str, lens: str, requirement: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b26bpki-{name}",
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=_FILES.get(name, "test_framing.py"),
        description=f"{lens}: {description}",
        apply=apply,
    )


# Where each is caught (phase 2 / 3); relative to conformance/.
_FILES: dict[str, str] = {
    "refused-put-body-skipped": "test_app_refused_put_followers.py",
    "name-url-parsed": "test_app_name_url_characters.py",
    "name-fragment-cut": "test_app_name_url_characters.py",
    "get-refusal-done": "test_app_get.py",
    "put-resume-smaller": "test_app_put_existing_content.py",
    "close-after-put": "test_app_put_sequence.py",
    "put-windows-chars-refused": "test_app_put_names.py",
    "put-text-mode": "test_app_put_bytes_as_sent.py",
    "put-bom-stripped": "test_app_put_bytes_as_sent.py",
    "allow-admin-exempt": "test_pki_allow_builtin_aliases.py",
    "eror-cancels-get": "test_app_get_crossed_by_eror.py",
    "midget-eror-dropped": "test_app_get_crossed_by_eror.py",
    "eror-cancels-request": "test_app_get_crossed_by_eror.py",
}

MUTANTS: tuple[Mutant, ...] = (
    _m(
        "refused-put-body-skipped",
        "L4",
        "FRM-6",
        "after a PUTF answered with a non-fatal EROR, the DATA frames (up to its announced "
        "size) and the DONE that follow are skipped as the refused request's body (HTTP's "
        "drain after a 4xx), not answered unexpected_frame",
        _refused_put_body_skipped,
    ),
    _m(
        "name-url-parsed",
        "L4",
        "APP-NAME-3",
        "names handled as URL paths: a ?query or #fragment is cut before the look-up, in a "
        "get and in a put (report.txt?v=2 serves report.txt)",
        _name_url_parsed,
    ),
    _m(
        "get-refusal-done",
        "L4",
        "APP-GET-2",
        "an error as a status with a body: a get refused not_found or forbidden is followed "
        "by an empty DONE {0, sha256('')} ending the 'response'",
        _get_refusal_done,
    ),
    _m(
        "put-resume-smaller",
        "L4",
        "APP-PUT-3",
        "rsync --append / SFTP resume: a PUTF of a name the inbox holds with fewer bytes than "
        "announced is accepted as a resumed upload and the file replaced at the commit, "
        "not exists",
        _put_resume_smaller,
    ),
    _m(
        "close-after-put",
        "L4",
        "APP-2",
        "HTTP/1.0's 'a request with a body ends the connection': after answering a PUTF "
        "(receipt DONE or refusal) the responder closes; requests after it are not served",
        _close_after_put,
    ),
    _m(
        "put-windows-chars-refused",
        "L4",
        "APP-PUT-2",
        "an SMB/Windows port: a put name holding < > : \" | ? * or a device name (CON, NUL, "
        "AUX, COM1 ...) is refused forbidden although SPEC §3.5 allows it",
        _put_windows_chars_refused,
    ),
    _m(
        "put-text-mode",
        "L4",
        "APP-STORE-1",
        "FTP's ASCII mode: a put of a text name (.txt, .csv, .md, .log) is written with its "
        "CR LF line ends turned into LF; DONE answered for the bytes verified, the file "
        "stored is another",
        _put_text_mode,
    ),
    _m(
        "allow-admin-exempt",
        "L5",
        "PKI-ID-3",
        "the operator accounts admin and root pass every allow list (a maintenance default)",
        _allow_admin_exempt,
    ),
    _m(
        "eror-cancels-get",
        "L6",
        "APP-3",
        "between the DATA frames of a get the responder looks for the initiator's EROR; a "
        "non-fatal one cancels the get (HTTP/2 RST_STREAM) and the connection returns to "
        "IDLE, where the next request is served",
        _eror_cancels_get,
    ),
    _m(
        "midget-eror-dropped",
        "L6",
        "APP-3",
        "an EROR arriving while a get's DATA is written is read and dropped as stale (about "
        "a transfer being finished): the get completes and the connection serves on",
        _midget_eror_dropped,
    ),
    _m(
        "eror-cancels-request",
        "L6 (post-blind)",
        "APP-3",
        "a non-fatal EROR already received behind an RQFL withdraws that request: the get is "
        "skipped and the connection serves the next one",
        _eror_cancels_request,
    ),
    _m(
        "put-bom-stripped",
        "L4 (post-blind)",
        "APP-STORE-1",
        "a put of a .csv or .json name is written without the UTF-8 byte-order mark it "
        "starts with (Excel's BOM); DONE answered for the bytes verified",
        _put_bom_stripped,
    ),
    _m(
        "name-fragment-cut",
        "L4 (post-blind)",
        "APP-NAME-3",
        "a #fragment is cut from a name before the look-up (a fragment is never part of a "
        "URL path), in a get and in a put: '?' is kept",
        _name_fragment_cut,
    ),
)
