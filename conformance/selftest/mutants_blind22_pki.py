"""Blind red-team round 22 (helper B132): the sft-pki/1 RESPONDER and the application
protocol it serves, through the six lenses of round 22 (/work/briefs/s22/common.md).

Phase 1 (blind): written from docs/SPEC.md (§0-§3, §4.1-§4.3, §6) and the reference's
responder code (reference/pki/peer.py, tls.py, alias.py, reference/app.py, transfer.py,
share.py, frames.py, messages.py, admission.py, closing.py) before any case file or
independent implementation was opened. Every idea was checked against the names and
descriptions of the 3 705 registered mutants; those repeating a registered idea were
replaced before any code was written (r) (dropped: a refusal kept and repeated, the refused
PUTF's announcement inherited, a forbidden name banning the peer, the exists probe
case-folded, the get's name NFC-normalised, a get read to EOF, ECDSA-only signature
algorithms, a 0-byte put committed at PUTF, a DONE in IDLE dropped, a non-fatal EROR from
the initiator leaving the connection open, the commit clearing "debris" under the final
name (a replacing commit), a resume of a cut put, the BYE_ echo followed by a wait).

Lens 1 — residue after an aborted request:
  b22pki-late-exists-digest-carried   one SHA-256 object for the puts of a connection,
                                      replaced only when a put is stored: after a put refused
                                      `exists` at its DONE (the name came to exist meanwhile),
                                      the next put's digest includes the refused put's bytes
  b22pki-late-exists-put-in-progress  (r) a "put in progress" flag cleared when the put is
                                      stored or the connection fails: after a late `exists`
                                      the next PUTF of the connection is unexpected_frame
  b22pki-refused-get-bye-unexpected   (r) an "in transfer" flag set by each request and cleared
                                      on its success path: after a refused get or put, BYE_ is
                                      "BYE_ during a transfer" (unexpected_frame)
  b22pki-refusal-drain-timeout-kept   (r) after a refused PUTF the socket timeout is lowered to
                                      1 s ("an initiator that pipelined its DATA sends it at
                                      once") and never restored: the next request after a
                                      pause of more than 1 s finds EROR timeout
Lens 2 — the peer's freedom:
  b22pki-putf-members-positional      RQFL and PUTF members are expected in the order the
                                      reference writes them (name first, then size): another
                                      valid order is bad_frame
  b22pki-put-frame-count-assumed      a put must come in full 1 MiB DATA frames but the last
                                      (the frame count is ceil(size / 1 MiB)): a put in smaller
                                      or uneven frames is integrity_failed at DONE
  b22pki-bye-payload-exact-bytes      BYE_ is recognised by its payload bytes `{}`: `{ }` or a
                                      BYE_ with an extension member is bad_frame
  b22pki-json-leading-space-refused   a control payload must start with `{` and end with `}`:
                                      JSON's insignificant whitespace around the object is
                                      bad_frame
  b22pki-client-chain-needs-root      (r) the client's issuer is looked up in the chain it sent:
                                      a client sending its own certificate only (Go, rustls, a
                                      leaf-only identity) is refused
Lens 3 — check-then-act between sessions:
  b22pki-race-loser-renamed           the loser of a put race (its name taken after its PUTF)
                                      is stored under `NAME (1).EXT` and answered DONE ("never
                                      lose an upload") instead of `exists`
  b22pki-race-loser-same-bytes-ok     (r) a loser whose bytes equal the winner's is answered
                                      DONE ("the same file: an idempotent retry"), not `exists`
Lens 4 — two spellings of one value:
  b22pki-exists-probe-nfc             the exists probe compares the NFC forms of the offered
                                      name and of the inbox's entries: an NFD name is `exists`
                                      because of its NFC twin
  b22pki-nul-escape-truncates         a NUL is looked for as a raw byte only (which JSON never
                                      carries raw): a name with the escape \\u0000 is used as a
                                      C string, up to its first NUL
  b22pki-crl-serial-spelling          revocation checked by the application, comparing the
                                      certificate's serial as upper-case hex (an X509 API's
                                      spelling) with the CRL's as lower-case hex: no revoked
                                      certificate is refused
Lens 5 — half-done actions:
  b22pki-putf-sha-checked-after-commit  DONE's size and SHA-256 are verified, the file is
                                      committed, and only then is PUTF.sha256 compared: a
                                      mismatch is integrity_failed with the file left in place
  b22pki-put-temp-outside-inbox       the put is received in a private spool directory and
                                      copied into the inbox at commit (O_EXCL, then the bytes):
                                      no temporary in the inbox, and the final name fills
                                      in place
  b22pki-restart-sweep-by-age         the start-up sweep removes only temporaries older than
                                      the idle timeout (the initiator's rule): what a killed run
                                      left seconds ago survives the restart
Lens 6 — reflection and role confusion:
  b22pki-get-receipt-accepted         a DONE in IDLE repeating the DONE that ended the last get
                                      is taken as the initiator's receipt (as a put's is the
                                      responder's) and ignored, not unexpected_frame
  b22pki-put-accept-get-shape         the RSFL answering a PUTF is written with the get's schema
                                      {name, size}: no `accept: true`
  b22pki-idle-timeout-bye             at the idle timeout the responder says BYE_ (the
                                      initiator's ending) instead of EROR timeout

Blind result (each mutant against the file first named, with the requirement first cited,
--only-req, --no-rerun): 7 of 20 detected by the file named — race-loser-renamed
(test_app_put_race_loser.py), crl-serial-spelling (test_pki_certs.py),
putf-sha-checked-after-commit (test_app_later_put_checks.py), put-temp-outside-inbox
(test_app_put_temporary_modes.py), restart-sweep-by-age (test_pki_restart_sweep.py),
put-accept-get-shape (test_app_put.py), idle-timeout-bye (test_limits.py).
Caught by another file (every server-side file citing the requirement was run; test_file
and, where the first citation was wrong, the requirement now point there), 8:
refused-get-bye-unexpected (test_app_bye_behind_requests.py, test_interop_answer_frames.py),
put-frame-count-assumed (test_app_put.py's 300 KiB put in 64 KiB frames, and four other
APP-PUT-5 files), bye-payload-exact-bytes (test_app_foreign_members.py, test_framing.py),
exists-probe-nfc (test_app_put.py test_put_names_are_stored_literally; the named
test_app_put_name_folds.py passes it), nul-escape-truncates (test_app_names.py,
test_app_name_boundary_characters.py), get-receipt-accepted (test_app_late_repeats.py
get-done-echoed), putf-members-positional and json-leading-space-refused (the named
test_app_json_encodings.py, which cites VEC-2, not FRM-9 as first cited: every FRM-9 file
passes both; under VEC-2 its "members reversed" and "white space" encodings catch them).
Missed by every file citing the requirement, 5:
- late-exists-digest-carried, late-exists-put-in-progress (APP-PUT-8 / ERR-3): the only
  case making a late `exists` (test_app_put_race_loser.py) follows it with a GET when the
  target serves gets; no case puts again on the loser's connection;
- race-loser-same-bytes-ok (APP-PUT-8): every race case gives the two puts different bytes;
- refusal-drain-timeout-kept (LIM-2): the idle floor is timed after a refused get
  (test_ops_idle_floor.py) and after answers, never after a refused put;
- client-chain-needs-root (PKI-CERT-10): every suite connection is an OpenSSL client, which
  sends the root after its certificate; no case sends the employee certificate alone.
After (the cases of this round): 21 of 21 registered detected (with the post-blind class
check late-exists-count-carried), by three new files:
- test_app_put_race_aftermath.py (APP-PUT-8, APP-PUT-5, ERR-3; both profiles): the loser
  of a put race — same bytes as the winner, other bytes of the same size — is told `exists`,
  then its connection takes a fresh put in uneven frames (its own DONE), a get and BYE_
  as a fresh connection would; late-exists-digest-carried, -put-in-progress,
  -count-carried, race-loser-same-bytes-ok;
- test_app_idle_after_put_refusals.py (LIM-2, LIM-7; both profiles): after a refused PUTF
  (too_large by default; `..` and exists with the slow cases) the idle close comes no
  earlier than the declared idle timeout; refusal-drain-timeout-kept;
- test_pki_client_chain_layouts.py (PKI-CERT-10, PKI-TLS-3): an employee is served whether
  its chain is its certificate alone or followed by the root; client-chain-needs-root.
"""

from __future__ import annotations

import os
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind22-pki"


def _transfer() -> Any:
    return _module("reference.transfer")


def _share() -> Any:
    return _module("reference.share")


def _tls() -> Any:
    return _module("reference.pki.tls")


def _peer() -> Any:
    return _module("reference.pki.peer")


def _frames() -> Any:
    return _module("reference.frames")


def _messages() -> Any:
    return _module("reference.messages")


def _app() -> Any:
    return _module("reference.app")


def _errors() -> Any:
    return _module("reference.errors")


# --- lens 1: residue after an aborted request -------------------------------------------------


def _late_exists_digest_carried() -> None:
    app = _app()
    _patch_source(
        app.ApplicationConnection,
        "_on_control",
        (
            "        self._incoming = _Transfer(message.size, message.sha256, "
            "self._digest_factory)\n"
            "    elif isinstance(message, FileResponse):",
            "        self._incoming = _Transfer(message.size, message.sha256, "
            "self._digest_factory)\n"
            "        carried = getattr(self, '_put_digest', None)\n"
            "        if carried is not None:  # one hash per connection's puts\n"
            "            self._incoming.digest = carried\n"
            "        self._put_digest = self._incoming.digest\n"
            "    elif isinstance(message, FileResponse):",
        ),
    )
    _patch_source(
        app.ApplicationConnection,
        "stored_done",
        (
            "    return self._verified_put\n",
            "    self._put_digest = None  # stored: the next put starts a new hash\n"
            "    return self._verified_put\n",
        ),
    )


def _late_exists_count_carried() -> None:
    app = _app()
    _patch_source(
        app.ApplicationConnection,
        "_on_control",
        (
            "        self._incoming = _Transfer(message.size, message.sha256, "
            "self._digest_factory)\n"
            "    elif isinstance(message, FileResponse):",
            "        self._incoming = _Transfer(message.size, message.sha256, "
            "self._digest_factory)\n"
            "        carried = getattr(self, '_put_received', 0)\n"
            "        self._incoming.count = carried  # bytes of the connection's open put\n"
            "        self._put_transfer = self._incoming\n"
            "    elif isinstance(message, FileResponse):",
        ),
    )
    _patch_source(
        app.ApplicationConnection,
        "stored_done",
        (
            "    return self._verified_put\n",
            "    self._put_transfer = None  # stored: the next put counts from zero\n"
            "    return self._verified_put\n",
        ),
    )

    def _put_received(self: Any) -> int:
        transfer = getattr(self, "_put_transfer", None)
        return 0 if transfer is None else int(transfer.count)

    app.ApplicationConnection._put_received = property(_put_received)


def _late_exists_put_in_progress() -> None:
    _patch_source(
        _transfer().Responder,
        "_put",
        (
            "    inbox = self.policy.inbox\n",
            "    if getattr(self, '_put_open', False):\n"
            "        raise RemoteProtocolError(\n"
            "            ErrorCode.UNEXPECTED_FRAME, 'PUTF while a put is in progress'\n"
            "        )\n"
            "    inbox = self.policy.inbox\n",
        ),
        (
            "        self.channel.send(PutAccepted(final))\n",
            "        self.channel.send(PutAccepted(final))\n        self._put_open = True\n",
        ),
        (
            "    self.channel.send(self.channel.conn.stored_done())\n",
            "    self.channel.send(self.channel.conn.stored_done())\n    self._put_open = False\n",
        ),
    )


def _refused_get_bye_unexpected() -> None:
    transfer = _transfer()
    errors = _errors()
    responder = transfer.Responder
    get, put, refuse = responder._get, responder._put, responder._refuse

    def _refuse(self: Any, exc: Any) -> None:
        self._refused_now = True
        refuse(self, exc)

    def _wrap(serve: Any) -> Any:
        def request(self: Any, message: Any) -> None:
            self._in_transfer = True
            self._refused_now = False
            serve(self, message)
            if not self._refused_now:  # cleared on the success path only
                self._in_transfer = False

        return request

    def _check_bye(self: Any) -> None:
        if getattr(self, "_in_transfer", False):
            raise errors.RemoteProtocolError(
                errors.ErrorCode.UNEXPECTED_FRAME, "BYE_ during a transfer"
            )

    responder._refuse = _refuse
    responder._get = _wrap(get)
    responder._put = _wrap(put)
    responder._check_bye = _check_bye
    _patch_source(
        responder,
        "run",
        ("channel.send(Bye())", "self._check_bye(); channel.send(Bye())"),
    )


def _refusal_drain_timeout_kept() -> None:
    responder = _transfer().Responder
    refuse = responder._refuse
    put = responder._put

    def _put(self: Any, request: Any) -> None:
        self._in_put_request = True
        try:
            put(self, request)
        finally:
            self._in_put_request = False

    def _refuse(self: Any, exc: Any) -> None:
        refuse(self, exc)
        if getattr(self, "_in_put_request", False):
            # An initiator that pipelined DATA behind its PUTF sends it at once.
            settimeout = getattr(self.channel.stream, "settimeout", None)
            if settimeout is not None:
                settimeout(1.0)

    responder._put = _put
    responder._refuse = _refuse


# --- lens 2: the peer's freedom ---------------------------------------------------------------


def _putf_members_positional() -> None:
    messages = _messages()
    errors = _errors()
    decode = messages.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        message = decode(frame, rsfl_for_put=rsfl_for_put)
        if frame.type in (b"RQFL", b"PUTF"):
            keys = list(messages.loads_control(frame.payload))
            wanted = ["name"] if frame.type == b"RQFL" else ["name", "size"]
            if keys[: len(wanted)] != wanted:
                raise errors.RemoteProtocolError(
                    errors.ErrorCode.BAD_FRAME,
                    f"{frame.type.decode()}: expected the members {', '.join(wanted)} first",
                )
        return message

    messages.decode_message = decode_message
    _app().decode_message = decode_message


def _put_frame_count_assumed() -> None:
    app = _app()
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        (
            "    if frame_type == T_DATA:\n",
            "    if frame_type == T_DATA:\n"
            "        self._data_frames = getattr(self, '_data_frames', 0) + 1\n",
        ),
    )
    _patch_source(
        app.ApplicationConnection,
        "_on_control",
        (
            "    elif isinstance(message, PutRequest):\n",
            "    elif isinstance(message, PutRequest):\n        self._data_frames = 0\n",
        ),
        (
            "            assert self._incoming is not None\n"
            "            self._incoming.check_done(message)\n",
            "            assert self._incoming is not None\n"
            "            if self.role is RESPONDER:  # full frames but the last\n"
            "                frames = -(-self._incoming.announced // MAX_DATA_PAYLOAD)\n"
            "                if getattr(self, '_data_frames', 0) != frames:\n"
            "                    raise RemoteProtocolError(\n"
            "                        ErrorCode.INTEGRITY_FAILED,\n"
            "                        f'{self._data_frames} DATA frames, {frames} expected',\n"
            "                    )\n"
            "            self._incoming.check_done(message)\n",
        ),
    )


def _bye_payload_exact_bytes() -> None:
    messages = _messages()
    errors = _errors()
    decode = messages.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        if frame.type == b"BYE_" and bytes(frame.payload) != b"{}":
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "BYE_ must be {}")
        return decode(frame, rsfl_for_put=rsfl_for_put)

    messages.decode_message = decode_message
    _app().decode_message = decode_message


def _json_leading_space_refused() -> None:
    frames = _frames()
    errors = _errors()
    loads = frames.loads_control

    def loads_control(payload: Any) -> Any:
        raw = bytes(payload)
        if len(raw) <= frames.MAX_CONTROL_PAYLOAD and not (
            raw.startswith(b"{") and raw.endswith(b"}")
        ):
            raise errors.RemoteProtocolError(
                errors.ErrorCode.BAD_FRAME, "payload is not a JSON object"
            )
        return loads(payload)

    frames.loads_control = loads_control
    _messages().loads_control = loads_control


def _client_chain_needs_root() -> None:
    tls = _tls()
    x509 = _module("cryptography.x509")
    original = tls.peer_alias

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        alias: str = original(sock, as_server=as_server)
        if as_server:
            sent = sock._sslobj.get_unverified_chain() or []
            leaf = x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))
            issuers = [
                c
                for c in sent
                if x509.load_der_x509_certificate(c.public_bytes(2)).subject == leaf.issuer
            ]
            if not issuers:
                raise tls.CertificateRefused(f"{alias} sent no issuer certificate")
        return alias

    tls.peer_alias = peer_alias
    _peer().peer_alias = peer_alias


# --- lens 3: check-then-act between sessions --------------------------------------------------


def _race_loser_renamed() -> None:
    share = _share()
    commit = share.PartialFile.commit

    def _commit(self: Any, *, overwrite: bool = False) -> None:
        if not overwrite and self._tracked is None:  # the responder's inbox
            stem, dot, ext = self.final_name.rpartition(".")
            if not dot or not stem:
                stem, dot, ext = self.final_name, "", ""
            candidate = self.final_name
            for n in range(1, 100):
                try:
                    os.stat(candidate, dir_fd=self._dir_fd, follow_symlinks=False)
                except FileNotFoundError:
                    break
                candidate = f"{stem} ({n}){dot}{ext}"
            self.final_name = candidate
        commit(self, overwrite=overwrite)

    share.PartialFile.commit = _commit


def _race_loser_same_bytes_ok() -> None:
    share = _share()
    hashlib = _module("hashlib")
    errors = _errors()
    commit = share.PartialFile.commit

    def _digest_at(dir_fd: int, name: str) -> str | None:
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
        except OSError:
            return None
        sha = hashlib.sha256()
        with os.fdopen(fd, "rb") as f:
            for block in iter(lambda: f.read(1 << 16), b""):
                sha.update(block)
        return str(sha.hexdigest())

    def _commit(self: Any, *, overwrite: bool = False) -> None:
        if overwrite or self._tracked is not None or self._file is None:
            commit(self, overwrite=overwrite)
            return
        self._file.flush()
        mine = _digest_at(self._dir_fd, self.temp_name)
        try:
            commit(self, overwrite=overwrite)
        except errors.RemoteProtocolError as exc:
            if exc.code is errors.ErrorCode.EXISTS and mine is not None:
                if _digest_at(self._dir_fd, self.final_name) == mine:
                    return  # the same bytes are stored: an idempotent retry succeeded
            raise

    share.PartialFile.commit = _commit


# --- lens 4: two spellings of one value -------------------------------------------------------


def _exists_probe_nfc() -> None:
    share = _share()
    unicodedata = _module("unicodedata")
    errors = _errors()

    def target_name(self: Any, name: str) -> str:
        base: str = share.check_name(name)[-1]
        if base.startswith(share.PARTIAL_PREFIX):
            raise share.NameRefused("names starting with .sft-partial- are reserved")
        wanted = unicodedata.normalize("NFC", base)
        for entry in os.listdir(self._fd):
            if unicodedata.normalize("NFC", entry) == wanted:
                raise errors.RemoteProtocolError(
                    errors.ErrorCode.EXISTS, f"{base[:64]!r} already exists in the inbox"
                )
        return base

    share.Inbox.target_name = target_name


def _nul_escape_truncates() -> None:
    share = _share()
    check = share.check_name

    def check_name(name: str) -> list[str]:
        parts: list[str] = check(name.split("\x00", 1)[0])  # a C string
        return parts

    share.check_name = check_name


def _crl_serial_spelling() -> None:
    tls = _tls()
    peer = _peer()
    x509 = _module("cryptography.x509")
    _patch_source(
        tls,
        "_load_trust",
        ("ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF", "pass  # checked by the peer"),
    )

    def _b22_revocation(server: Any, sock: Any) -> None:
        cert = x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))
        serial = format(cert.serial_number, "X")  # as the certificate API spells it
        listed = {format(s, "x") for s in server._revoked}  # as the CRL parser spells it
        if serial in listed:
            raise tls.CertificateRefused("the certificate was revoked")

    peer._b22_revocation = _b22_revocation
    _patch_source(
        peer.PeerServer,
        "_connection",
        (
            "alias = peer_alias(tls, as_server=True)",
            "alias = peer_alias(tls, as_server=True); _b22_revocation(self, tls)",
        ),
    )


# --- lens 5: half-done actions ----------------------------------------------------------------


def _putf_sha_checked_after_commit() -> None:
    app = _app()
    _patch_source(
        app._Transfer,
        "check_done",
        (
            "if self.expected_sha256 is not None and self.expected_sha256 != sha:",
            "if False:  # the announced digest is the responder's to compare",
        ),
    )
    _patch_source(
        _transfer().Responder,
        "_put",
        (
            "    self.channel.send(self.channel.conn.stored_done())\n",
            "    announced = request.sha256\n"
            "    stored = self.channel.conn._verified_put\n"
            "    if announced is not None and announced != stored.sha256:\n"
            "        raise RemoteProtocolError(\n"
            "            ErrorCode.INTEGRITY_FAILED, 'SHA-256 differs from the one announced'\n"
            "        )\n"
            "    self.channel.send(self.channel.conn.stored_done())\n",
        ),
    )


def _put_temp_outside_inbox() -> None:
    share = _share()
    errors = _errors()
    tempfile = _module("tempfile")
    spool = tempfile.mkdtemp(prefix="sft-spool-")
    spool_fd = os.open(spool, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)

    class SpooledPartial(share.PartialFile):  # type: ignore[misc, name-defined]
        def __init__(self, inbox_fd: int, final_name: str, limit: int) -> None:
            super().__init__(spool_fd, final_name, limit)
            self._inbox_fd = inbox_fd

        def commit(self, *, overwrite: bool = False) -> None:
            file: Any = self.__dict__.get("_file")
            if file is None:
                raise ValueError("the partial file is closed")
            os.fsync(file.fileno())
            file.close()
            self._file = None
            try:
                out = os.open(
                    self.final_name,
                    os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                    0o644,
                    dir_fd=self._inbox_fd,
                )
            except FileExistsError:
                self.abort()
                raise errors.RemoteProtocolError(
                    errors.ErrorCode.EXISTS, f"{self.final_name[:64]!r} already exists"
                ) from None
            src = os.open(self.temp_name, os.O_RDONLY, dir_fd=spool_fd)
            try:
                while block := os.read(src, 1 << 20):
                    os.write(out, block)
                os.fsync(out)
            finally:
                os.close(src)
                os.close(out)
            os.unlink(self.temp_name, dir_fd=spool_fd)
            self._done = True

    def begin(self: Any, final_name: str, size: int) -> Any:
        return SpooledPartial(self._fd, final_name, size)

    share.Inbox.begin = begin


def _restart_sweep_by_age() -> None:
    _patch_source(
        _peer().PeerServer,
        "__init__",
        (
            "swept = remove_stale_partials(inbox)",
            "swept = remove_stale_partials(inbox, older_than=config.idle_timeout)",
        ),
    )


# --- lens 6: reflection and role confusion ----------------------------------------------------


def _get_receipt_accepted() -> None:
    app = _app()
    transfer = _transfer()
    messages = _messages()
    errors = _errors()
    R = app.ResponderState
    app._TRANSITIONS[(R.IDLE, messages.T_DONE)] = R.IDLE
    send = app.ApplicationConnection.send
    on_control = app.ApplicationConnection._on_control

    def _send(self: Any, event: Any) -> bytes:
        if isinstance(event, messages.Done) and self.state is R.SENDING:
            self._last_get_done = event
        data: bytes = send(self, event)
        return data

    def _on_control(self: Any, frame: Any) -> Any:
        if self.role is app.RESPONDER and self.state is R.IDLE and frame.type == b"DONE":
            message = messages.decode_message(frame)
            if message == getattr(self, "_last_get_done", None):
                self._last_get_done = None
                return message  # the initiator's receipt of our get
            raise errors.RemoteProtocolError(
                errors.ErrorCode.UNEXPECTED_FRAME, "DONE is not allowed in state IDLE"
            )
        return on_control(self, frame)

    app.ApplicationConnection.send = _send
    app.ApplicationConnection._on_control = _on_control
    next_event = transfer._Channel.next_event

    def _next_event(self: Any) -> Any:
        for _ in range(1000):
            event = next_event(self)
            if not isinstance(event, messages.Done) or self.conn.state is not R.IDLE:
                return event
        raise errors.RemoteProtocolError(errors.ErrorCode.UNEXPECTED_FRAME, "DONE flood")

    transfer._Channel.next_event = _next_event


def _put_accept_get_shape() -> None:
    transfer = _transfer()
    frames = _frames()

    def _b22_rsfl(name: str, size: int) -> bytes:
        body = frames.dumps_control({"name": name, "size": size})
        data: bytes = frames.encode_frame(b"RSFL", body)
        return data

    transfer._b22_rsfl = _b22_rsfl
    _patch_source(
        transfer.Responder,
        "_put",
        (
            "self.channel.send(PutAccepted(final))",
            "self.channel.conn.send(PutAccepted(final)); "
            "self.channel.stream.sendall(_b22_rsfl(final, request.size))",
        ),
    )


def _idle_timeout_bye() -> None:
    transfer = _transfer()
    messages = _messages()

    def _b22_bye(channel: Any) -> None:
        try:
            channel.stream.sendall(messages.encode_message(messages.Bye()))
        except OSError:
            pass

    transfer._b22_bye = _b22_bye
    _patch_source(
        transfer.Responder,
        "run",
        (
            'channel.fail(RemoteProtocolError(ErrorCode.TIMEOUT, "idle timeout"))',
            "_b22_bye(channel)",
        ),
    )


def _m(
    name: str, requirement: str, test_file: str, description: str, apply: Any, **kw: Any
) -> Mutant:
    return Mutant(
        name=name,
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
        "b22pki-late-exists-digest-carried",
        "APP-PUT-5",
        "test_app_put_race_aftermath.py",
        "L1: one SHA-256 object for a connection's puts, replaced when a put is stored: after "
        "a put answered `exists` at its DONE, the next put's digest includes its bytes",
        _late_exists_digest_carried,
    ),
    _m(
        "b22pki-late-exists-count-carried",
        "APP-PUT-5",
        "test_app_put_race_aftermath.py",
        "L1 (post-blind class check): the byte count of a connection's put is reset when a "
        "put is stored: after a put answered `exists` at its DONE, the next put counts on "
        "from the refused put's bytes and is refused integrity_failed",
        _late_exists_count_carried,
    ),
    _m(
        "b22pki-late-exists-put-in-progress",
        "ERR-3",
        "test_app_put_race_aftermath.py",
        "L1: a 'put in progress' flag cleared only when a put is stored: after a put answered "
        "`exists` at its DONE the next PUTF of the connection is unexpected_frame",
        _late_exists_put_in_progress,
    ),
    _m(
        "b22pki-refused-get-bye-unexpected",
        "APP-BYE-1",
        "test_app_bye_behind_requests.py",
        "L1: an 'in transfer' flag set by each request and cleared on its success path: "
        "after a refused get or put, BYE_ is answered unexpected_frame",
        _refused_get_bye_unexpected,
    ),
    _m(
        "b22pki-refusal-drain-timeout-kept",
        "LIM-2",
        "test_app_idle_after_put_refusals.py",
        "L1: after a refused PUTF the socket timeout is lowered to 1 s for pipelined DATA and "
        "never restored: a request after a pause of over 1 s finds EROR timeout",
        _refusal_drain_timeout_kept,
    ),
    # lens 2
    _m(
        "b22pki-putf-members-positional",
        "VEC-2",
        "test_app_json_encodings.py",
        "L2: RQFL and PUTF members expected in the reference's order (name, then size): a "
        "valid object in another order is bad_frame",
        _putf_members_positional,
    ),
    _m(
        "b22pki-put-frame-count-assumed",
        "APP-PUT-5",
        "test_app_put.py",
        "L2: a put must come in full 1 MiB DATA frames but the last (ceil(size / 1 MiB) "
        "frames): smaller or uneven frames are integrity_failed at DONE",
        _put_frame_count_assumed,
    ),
    _m(
        "b22pki-bye-payload-exact-bytes",
        "FRM-10",
        "test_app_foreign_members.py",
        "L2: BYE_ recognised by its payload bytes `{}`: `{ }` or a BYE_ with an extension "
        "member is bad_frame",
        _bye_payload_exact_bytes,
    ),
    _m(
        "b22pki-json-leading-space-refused",
        "VEC-2",
        "test_app_json_encodings.py",
        "L2: a control payload must start with `{` and end with `}`: JSON whitespace around "
        "the object is bad_frame",
        _json_leading_space_refused,
    ),
    _m(
        "b22pki-client-chain-needs-root",
        "PKI-CERT-10",
        "test_pki_client_chain_layouts.py",
        "L2: the client's issuer is looked up in the chain it sent: a client sending its own "
        "certificate only (Go, rustls) is refused",
        _client_chain_needs_root,
    ),
    # lens 3
    _m(
        "b22pki-race-loser-renamed",
        "APP-PUT-8",
        "test_app_put_race_loser.py",
        "L3: the loser of a put race is stored under `NAME (1).EXT` and answered DONE instead "
        "of `exists`",
        _race_loser_renamed,
    ),
    _m(
        "b22pki-race-loser-same-bytes-ok",
        "APP-PUT-8",
        "test_app_put_race_aftermath.py",
        "L3: the loser of a put race whose bytes equal the winner's is answered DONE (an "
        "idempotent retry), not `exists`",
        _race_loser_same_bytes_ok,
    ),
    # lens 4
    _m(
        "b22pki-exists-probe-nfc",
        "APP-NAME-3",
        "test_app_put.py",
        "L4: the exists probe compares NFC forms with the inbox's entries: an NFD name is "
        "`exists` because of its NFC twin",
        _exists_probe_nfc,
    ),
    _m(
        "b22pki-nul-escape-truncates",
        "APP-NAME-2",
        "test_app_names.py",
        "L4: NUL looked for as a raw byte only: a name with the escape \\u0000 is used up to "
        "its first NUL (a C string)",
        _nul_escape_truncates,
    ),
    _m(
        "b22pki-crl-serial-spelling",
        "PKI-CERT-7",
        "test_pki_certs.py",
        "L4: revocation checked by the application, the certificate's serial in upper-case "
        "hex against the CRL's in lower-case hex: no revoked certificate is refused",
        _crl_serial_spelling,
    ),
    # lens 5
    _m(
        "b22pki-putf-sha-checked-after-commit",
        "APP-PUT-5",
        "test_app_later_put_checks.py",
        "L5: DONE is verified, the file committed, and only then PUTF.sha256 compared: a "
        "mismatch is integrity_failed with the file left under its final name",
        _putf_sha_checked_after_commit,
    ),
    _m(
        "b22pki-put-temp-outside-inbox",
        "APP-STORE-1",
        "test_app_put_temporary_modes.py",
        "L5: the put is received in a private spool directory and copied into the inbox at "
        "commit: no temporary in the inbox, the final name filled in place",
        _put_temp_outside_inbox,
    ),
    _m(
        "b22pki-restart-sweep-by-age",
        "APP-STORE-3",
        "test_pki_restart_sweep.py",
        "L5: the start-up sweep removes only temporaries older than the idle timeout: what a "
        "killed run left seconds ago survives the restart",
        _restart_sweep_by_age,
    ),
    # lens 6
    _m(
        "b22pki-get-receipt-accepted",
        "APP-1",
        "test_app_late_repeats.py",
        "L6: a DONE in IDLE repeating the DONE that ended the last get is taken as the "
        "initiator's receipt and ignored, not unexpected_frame",
        _get_receipt_accepted,
    ),
    _m(
        "b22pki-put-accept-get-shape",
        "APP-PUT-1",
        "test_app_put.py",
        "L6: the RSFL answering a PUTF has the get's schema {name, size}: no accept: true",
        _put_accept_get_shape,
    ),
    _m(
        "b22pki-idle-timeout-bye",
        "LIM-2",
        "test_limits.py",
        "L6: at the idle timeout the responder sends BYE_ (the initiator's ending) instead of "
        "EROR timeout",
        _idle_timeout_bye,
    ),
)
