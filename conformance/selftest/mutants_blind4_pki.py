"""Blind round 4 (brief B11): sft-pki/1 responder and initiator, app layer, framing, limits.

Written from docs/SPEC.md §1-§4, §6 and the reference alone, before reading any case file.
Each mutant is one implementer's mistake of a kind rounds 1-3 had not tried: state kept
in the wrong place (a), numbers and types (b), time (c), error and cleanup paths (d),
order of operations (e).

Responder (server) mutants:
  b4pki-inbox-absent-cache        APP-PUT-3   (a) names once found absent are cached: a
                                              second put of a stored name is accepted
  b4pki-allow-cache-by-address    PKI-ID-3    (a) the allow-list verdict cached per source
                                              address, not per alias
  b4pki-cert-check-cache-by-alias PKI-CERT-5  (a) certificate checks cached by CN: a second
                                              certificate of a known alias skips them
  b4pki-pending-cap-keyed-by-port LIM-8       (a) the per-address handshake cap counts
                                              host:port, so it never triggers
  b4pki-int-integral-float        FRM-11      (b) 5.0 accepted as the integer 5
  b4pki-int-u64-bound             FRM-11      (b) integers up to 2^64-1 (u64) accepted
  b4pki-dup-keys-top-level-only   FRM-9       (b) duplicate keys refused at the top level only
  b4pki-sha256-prefix-match       FRM-12      (b) sha256 checked with re.match: 65+ chars pass
  b4pki-control-limit-in-chars    FRM-8       (b) the 64 KiB control limit counts decoded
                                              characters, after the payload was buffered
  b4pki-handshake-deadline-per-read LIM-1     (c) the handshake deadline is a per-read
                                              timeout: a trickle never times out. DROPPED:
                                              equivalent on CPython, whose do_handshake
                                              turns the socket timeout into one deadline
                                              for the whole handshake (the slow-sender case
                                              of test_limits.py saw it time out at once)
  b4pki-no-idle-timeout-during-put LIM-2      (c) no idle timeout while a put is received
  b4pki-get-send-no-timeout       LIM-10      (c) no send timeout while a get is sent
  b4pki-abort-unlinks-final       APP-STORE-3 (d) cleanup unlinks the final name, not the
                                              temporary
  b4pki-pending-slot-leak         LIM-4       (d) a connection that ends in its handshake is
                                              never released from the admission count
  b4pki-truncated-put-committed   APP-STORE-3 (d) a put cut by EOF is committed ("resume")
  b4pki-putf-sha-mismatch-bad-frame APP-PUT-5 (d) PUTF.sha256 mismatch answered bad_frame
  b4pki-put-name-trailing-dot-trim APP-NAME-3 (e) the exists check on the name as sent, the
                                              store under the name stripped of ". "
  b4pki-get-nfkc-after-check      APP-NAME-3  (e) the name is checked, then NFKC-normalised
                                              before it is opened
  b4pki-too-large-after-data      APP-PUT-7   (e) the size limit enforced while writing, not
                                              at PUTF
  b4pki-auth-failed-bare-fin      PKI-TLS-7   (d) after `EROR auth_failed` for a refused
                                              certificate the socket is shut without
                                              close_notify

Initiator (client=True) mutants:
  b4pki-client-alias-unchecked-on-retry PKI-ID-1 (a) the alias is checked on the first
                                              connection attempt only, not after a busy retry
  b4pki-client-unknown-code-unsupported ERR-4  (b) an unknown EROR code read as
                                              `unsupported` (non-fatal)
  b4pki-client-accept-one         APP-PUT-9   (b) `"accept": 1` taken as true (== True)
  b4pki-client-int-accepts-bool   FRM-11      (b) isinstance(value, int): true is 1
  b4pki-client-put-eof-after-done-ok APP-PUT-10 (d) the end of the connection in place of
                                              the responder's DONE reported as success
  b4pki-client-keep-truncated-get APP-GET-5   (d) a get cut by EOF is kept ("resume")
  b4pki-client-alias-after-request PKI-ID-1   (e) the alias is compared after the transfer
  b4pki-client-trusts-announced-sha APP-GET-3 (e) the announced SHA-256 used in place of
                                              the computed one

Phase 2 (the blind list against the suite as it was): 27 of the 27 real bugs detected (two
only once their `test_file` guess was corrected); the 28th was equivalent (dropped above).

Waves 2 and 3, written AFTER phase 1 (not blind), aimed at what the blind list suggested
the suite might still miss; "before" is the suite before this session's case changes:
  b4pki-malformed-eror-ignored    ERR-8 (new) an EROR without an integer code is dropped
                                              and the next request served     before: no
  b4pki-idle-timeout-ms           LIM-2       seconds read as milliseconds     before: yes
  b4pki-rsfl-sha-of-head          APP-GET-2   RSFL.sha256 of the first MiB     before: yes
  b4pki-get-too-large-at-max      LIM-3       a file of exactly the maximum is too_large
                                                                               before: yes
  b4pki-empty-put-not-stored      APP-PUT-5   a 0-byte put acknowledged, not stored
                                                                               before: yes
  b4pki-buffer-cleared-after-put  APP-2       requests pipelined behind a put's DONE lost
                                                                               before: no
  b4pki-client-temp-in-tmpdir     APP-STORE-1 the initiator's temporary in /tmp before: yes
  b4pki-client-judges-whole-frames FRM-3      the initiator reads a whole frame before
                                              judging its length              before: no
  b4pki-client-skips-stray-frames FRM-6       the initiator drops control frames its state
                                              does not allow (slow cases only) before: no
  b4pki-client-any-type-bytes     FRM-2       any 4 bytes are a type (slow cases only)
                                                                               before: no
  b4pki-no-timeout-inside-a-frame LIM-2       no idle timeout once a frame has begun
                                                                               before: no
  b4pki-refusal-clears-timeout    LIM-2       the idle timeout not restored after a refusal
                                                                               before: yes
  b4pki-client-int-no-lower-bound FRM-11      RSFL size -1 taken (slow cases only)
                                                                               before: no
  b4pki-bye-unparsed              FRM-9       BYE_'s payload never parsed      before: no
  b4pki-done-sha256-optional      FRM-9       DONE without sha256 stores the put unverified
                                                                   before: no (test_framing)
(A first "b4pki-eror-unvalidated" — a malformed EROR closed without `bad_frame` — turned
out to be what four of the seven independent implementations do: ERR-8 now says both
answers conform, and the mutant was replaced by b4pki-malformed-eror-ignored.)
"""

from __future__ import annotations

import unicodedata
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


# --- (a) state in the wrong place ---------------------------------------------------------


def _inbox_absent_cache() -> None:
    """A negative cache: a name found absent once is never looked up again."""
    share = _module("reference.share")
    original = share.Inbox.target_name
    absent: set[str] = set()

    def target_name(self: Any, name: str) -> str:
        base = share.check_name(name)[-1]
        if base in absent:
            return str(base)
        stored = str(original(self, name))
        absent.add(stored)
        return stored

    share.Inbox.target_name = target_name


def _allow_cache_by_address() -> None:
    """The allow-list verdict computed once per source address (one per employee's host)."""
    peer = _module("reference.pki.peer")
    peer._ALLOWED_BY_ADDRESS = {}
    _patch_source(
        peer.PeerServer,
        "_connection",
        (
            "allowed = not self.config.allow or alias in self.config.allow",
            "allowed = _ALLOWED_BY_ADDRESS.setdefault("
            "addr[0], not self.config.allow or alias in self.config.allow)",
        ),
    )


def _cert_check_cache_by_alias() -> None:
    """Certificate checks cached by alias: the second certificate of an alias is trusted."""
    tls = _module("reference.pki.tls")
    x509 = _module("cryptography.x509")
    original = tls.check_peer_certificate
    checked: set[tuple[str, bool]] = set()

    def check_peer_certificate(der: bytes | None, *, as_server: bool) -> str:
        if der is not None:
            alias = str(tls._common_name(x509.load_der_x509_certificate(der)))
            if (alias, as_server) in checked:
                return alias
        alias = str(original(der, as_server=as_server))
        checked.add((alias, as_server))
        return alias

    tls.check_peer_certificate = check_peer_certificate


def _pending_cap_keyed_by_port() -> None:
    peer = _module("reference.pki.peer")
    _patch_source(
        peer.PeerServer,
        "_dispatch",
        (
            "decision = self._admission.admit(key, addr[0])",
            'decision = self._admission.admit(key, f"{addr[0]}:{addr[1]}")',
        ),
    )


# --- (b) numbers and types ----------------------------------------------------------------


def _int_integral_float() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "_has_kind",
        (
            "return type(value) is int and 0 <= value <= MAX_INT",
            "return type(value) in (int, float) and value == int(value) and 0 <= value <= MAX_INT",
        ),
    )


def _int_u64_bound() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "_has_kind",
        (
            "return type(value) is int and 0 <= value <= MAX_INT",
            "return type(value) is int and 0 <= value < 2**64",
        ),
    )


def _dup_keys_top_level_only() -> None:
    """Duplicates found by re-reading the top-level pairs; nested objects are not looked at."""
    frames = _module("reference.frames")
    messages = _module("reference.messages")
    json = _module("json")
    errors = _module("reference.errors")
    original = frames.loads_control

    def loads_control(payload: bytes | bytearray | memoryview) -> dict[str, Any]:
        if len(payload) <= frames.MAX_CONTROL_PAYLOAD:
            try:
                text = bytes(payload).decode("utf-8")
                value = json.loads(text, parse_constant=frames._reject_constant)
            except (ValueError, RecursionError):
                return dict(original(payload))
            if isinstance(value, dict):
                top = json.loads(text, object_pairs_hook=lambda pairs: pairs)
                keys = [key for key, _ in top]
                if len(keys) != len(set(keys)):
                    raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "duplicate key")
                return value
        return dict(original(payload))

    frames.loads_control = loads_control
    messages.loads_control = loads_control


def _sha256_prefix_match() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "_has_kind",
        ("_SHA256_RE.fullmatch(value)", "_SHA256_RE.match(value)"),
    )


def _control_limit_in_chars() -> None:
    app = _module("reference.app")
    frames = _module("reference.frames")
    messages = _module("reference.messages")
    _patch_source(
        app.ApplicationConnection,
        "_check_header",
        ("if frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:", "if False:"),
    )
    _patch_source(
        frames,
        "loads_control",
        (
            "if len(payload) > MAX_CONTROL_PAYLOAD:",
            'if len(bytes(payload).decode("utf-8", "replace")) > MAX_CONTROL_PAYLOAD:',
        ),
    )
    messages.loads_control = frames.loads_control


# --- (c) time -----------------------------------------------------------------------------


def _no_idle_timeout_during_put() -> None:
    """A big put "may stall on a slow disk": the read timeout is lifted while receiving."""
    transfer = _module("reference.transfer")
    _patch_source(
        transfer.Responder,
        "_put",
        (
            "self.receiving = True",
            "self.receiving = True; _saved = self.channel.stream.gettimeout(); "
            "self.channel.stream.settimeout(None)",
        ),
        (
            "self.receiving = False",
            "self.receiving = False; self.channel.stream.settimeout(_saved)",
        ),
    )


def _get_send_no_timeout() -> None:
    """A slow reader "is not idle": the socket timeout is lifted while a get is sent."""
    transfer = _module("reference.transfer")
    _patch_source(
        transfer.Responder,
        "_get",
        (
            "self.channel.send_file(shared.file.readinto, shared.size, None)",
            "_saved = self.channel.stream.gettimeout(); self.channel.stream.settimeout(None); "
            "self.channel.send_file(shared.file.readinto, shared.size, None); "
            "self.channel.stream.settimeout(_saved)",
        ),
    )


# --- (d) error and cleanup paths ----------------------------------------------------------


def _abort_unlinks_final() -> None:
    share = _module("reference.share")
    _patch_source(
        share.PartialFile,
        "abort",
        (
            "os.unlink(self.temp_name, dir_fd=self._dir_fd)",
            "os.unlink(self.final_name, dir_fd=self._dir_fd)",
        ),
    )


def _pending_slot_leak() -> None:
    """release() forgets only established connections: one that dies in its handshake
    keeps its slot (and its address's pending count) for ever."""
    admission = _module("reference.admission")
    _patch_source(admission.Admission, "release", ("if key in self._pending:", "if False:"))


def _truncated_put_committed() -> None:
    transfer = _module("reference.transfer")
    _patch_source(
        transfer.Responder,
        "_put",
        (
            "self.channel.receive_file(partial, request.size, None)",
            "try:\n"
            + " " * 16
            + "self.channel.receive_file(partial, request.size, None)\n"
            + " " * 12
            + "except TruncatedStream:\n"
            + " " * 16
            + "partial.commit()  # keep what arrived: the sender may resume\n"
            + " " * 16
            + "raise",
        ),
    )


def _putf_sha_mismatch_bad_frame() -> None:
    app = _module("reference.app")
    _patch_source(
        app._Transfer,
        "check_done",
        (
            'ErrorCode.INTEGRITY_FAILED, "SHA-256 differs from the one announced"',
            'ErrorCode.BAD_FRAME, "SHA-256 differs from the one announced"',
        ),
    )


def _auth_failed_bare_fin() -> None:
    peer = _module("reference.pki.peer")
    peer._raw_socket = _module("socket")
    _patch_source(
        peer.PeerServer,
        "_connection",
        (
            'encode_message(ErrorFrame(ErrorCode.AUTH_FAILED, "authentication failed"))\n'
            + " " * 16
            + ")",
            'encode_message(ErrorFrame(ErrorCode.AUTH_FAILED, "authentication failed"))\n'
            + " " * 16
            + ")\n"
            + " " * 12
            + "_raw_socket.socket.shutdown(tls, _raw_socket.SHUT_RDWR)",
        ),
    )


# --- (e) order of operations --------------------------------------------------------------


def _put_name_trailing_dot_trim() -> None:
    share = _module("reference.share")
    _patch_source(
        share.Inbox,
        "target_name",
        ("return base\n", 'return base.rstrip(". ") or base\n'),
    )


def _get_nfkc_after_check() -> None:
    share = _module("reference.share")
    share.unicodedata = unicodedata
    _patch_source(
        share.ShareDirectory,
        "open",
        (
            "parts = check_name(name)",
            'check_name(name); parts = unicodedata.normalize("NFKC", name).split("/")',
        ),
    )


def _too_large_after_data() -> None:
    transfer = _module("reference.transfer")
    _patch_source(
        transfer.Responder,
        "_put",
        ("if request.size > self.policy.max_file_size:  # [APP-PUT-7]", "if False:"),
        (
            "partial = inbox.begin(final, request.size)",
            "partial = inbox.begin(final, min(request.size, self.policy.max_file_size))",
        ),
    )


# --- the initiator ------------------------------------------------------------------------


def _client_alias_unchecked_on_retry() -> None:
    client = _module("reference.pki.client")
    _patch_source(
        client.PkiSession,
        "_connect_once",
        ("if name != self.alias:  # [PKI-ID-1]", "if name != self.alias and not reached:"),
    )


def _client_unknown_code_unsupported() -> None:
    errors = _module("reference.errors")
    _patch_source(errors.ErrorCode, "from_wire", ("return cls.INTERNAL", "return cls.UNSUPPORTED"))


def _client_accept_one() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames, "_has_kind", ("return value is True", "return value == True  # noqa: E712")
    )


def _client_int_accepts_bool() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "_has_kind",
        (
            "return type(value) is int and 0 <= value <= MAX_INT",
            "return isinstance(value, int) and 0 <= value <= MAX_INT",
        ),
    )


def _client_put_eof_after_done_ok() -> None:
    transfer = _module("reference.transfer")
    _patch_source(
        transfer.Initiator,
        "put",
        (
            "ack = self._answer()",
            "try:\n"
            + " " * 16
            + "ack = self._answer()\n"
            + " " * 12
            + "except TruncatedStream:  # every byte was sent: the responder just hung up\n"
            + " " * 16
            + "return accepted.name",
        ),
    )


def _client_keep_truncated_get() -> None:
    transfer = _module("reference.transfer")
    _patch_source(
        transfer.Initiator,
        "get",
        (
            "done = self.channel.receive_file(partial, response.size, progress)",
            "try:\n"
            + " " * 16
            + "done = self.channel.receive_file(partial, response.size, progress)\n"
            + " " * 12
            + "except TruncatedStream:\n"
            + " " * 16
            + "partial.commit(overwrite=overwrite)  # keep the part: a rerun may resume\n"
            + " " * 16
            + "raise",
        ),
    )


def _client_alias_after_request() -> None:
    """The alias is remembered at connect time and compared once the transfer is done."""
    client = _module("reference.pki.client")
    _patch_source(
        client.PkiSession,
        "_connect_once",
        ("if name != self.alias:  # [PKI-ID-1]", "self._peer_name = name\n        if False:"),
    )
    for method in ("get", "put"):
        original = getattr(client.PkiSession, method)

        def checked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            try:
                return _original(self, *args, **kwargs)
            finally:
                if self._peer_name != self.alias:
                    raise client.PkiClientError(f"the peer is {self._peer_name}, not {self.alias}")

        setattr(client.PkiSession, method, checked)


def _client_trusts_announced_sha() -> None:
    app = _module("reference.app")
    _patch_source(
        app._Transfer,
        "check_done",
        ("sha = self.digest.hexdigest()", "sha = self.expected_sha256 or self.digest.hexdigest()"),
    )


# --- wave 2: written after phase 1 had measured the blind list (not blind) -----------------


def _malformed_eror_ignored() -> None:
    """An EROR without an integer `code` is "not a valid error": dropped, and the
    connection goes on with the next frame."""
    app = _module("reference.app")
    errors = _module("reference.errors")
    original = app.ApplicationConnection._on_control

    def _on_control(self: Any, frame: Any) -> Any:
        if frame.type != b"EROR":
            return original(self, frame)
        try:
            return original(self, frame)
        except errors.RemoteProtocolError:
            return self._next_event()

    app.ApplicationConnection._on_control = _on_control


def _idle_timeout_ms() -> None:
    peer = _module("reference.pki.peer")
    _patch_source(
        peer.PeerServer,
        "_connection",
        (
            "tls.settimeout(self.config.idle_timeout)",
            "tls.settimeout(self.config.idle_timeout * 1000)  # ms, like the config file",
        ),
    )


def _rsfl_sha_of_head() -> None:
    """RSFL carries a "quick" SHA-256 of the first MiB, not of the file."""
    transfer = _module("reference.transfer")
    _patch_source(
        transfer.Responder,
        "_get",
        (
            "self.channel.send(FileResponse(request.name, shared.size))",
            "self.channel.send(FileResponse(request.name, shared.size, hashlib.sha256("
            "os.pread(shared.file.fileno(), 1048576, 0)).hexdigest()))",
        ),
    )


def _get_too_large_at_max() -> None:
    transfer = _module("reference.transfer")
    _patch_source(
        transfer.Responder,
        "_get",
        (
            "if shared.size > self.policy.max_file_size:",
            "if shared.size >= self.policy.max_file_size:",
        ),
    )


def _empty_put_not_stored() -> None:
    """A 0-byte put is acknowledged, not stored: "nothing was written, nothing to store"."""
    transfer = _module("reference.transfer")
    _patch_source(
        transfer.Responder,
        "_put",
        ("partial.commit()", "if partial.written:\n" + " " * 16 + "partial.commit()"),
    )


def _buffer_cleared_after_put() -> None:
    """The read buffer is reset after each put: a request pipelined behind its DONE is lost."""
    transfer = _module("reference.transfer")
    _patch_source(
        transfer.Responder,
        "_put",
        (
            "self.channel.send(self.channel.conn.stored_done())",
            "self.channel.send(self.channel.conn.stored_done()); self.channel.conn._buffer.clear()",
        ),
    )


def _client_temp_in_tmpdir() -> None:
    """The initiator's temporary is made in the system temporary directory, linked at the end."""
    share = _module("reference.share")
    share.tempfile = _module("tempfile")
    _patch_source(
        share.PartialFile,
        "create",
        (
            "dir_fd = os.open(destination.parent,",
            "dir_fd = os.open(tempfile.gettempdir(),",
        ),
        ("destination.name,", "str(destination.absolute()),"),
    )


def _client_judges_whole_frames() -> None:
    """The initiator reads a frame's header, then its payload, and only then judges it: no
    limit on the announced length at the header (a hostile header makes it wait for 4 GiB)."""
    app = _module("reference.app")
    frames = _module("reference.frames")

    def parse_header(header: Any, max_payload: int) -> tuple[bytes, int]:
        return frames.parse_header(header, 0xFFFFFFFF)  # type: ignore[no-any-return]

    app.parse_header = parse_header
    _patch_source(
        app.ApplicationConnection,
        "_check_header",
        ("if frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:", "if False:"),
    )


def _client_skips_stray_frames() -> None:
    """The initiator drops a control frame its state does not expect ("a duplicate, or a
    keep-alive") instead of failing with unexpected_frame."""
    app = _module("reference.app")
    original_lookup = app.ApplicationConnection._lookup
    original = app.ApplicationConnection._on_control

    def _lookup(self: Any, frame_type: bytes) -> Any:
        if (self.state, frame_type) not in app._TRANSITIONS and frame_type != b"DATA":
            return self.state  # dropped once its payload is here
        return original_lookup(self, frame_type)

    def _on_control(self: Any, frame: Any) -> Any:
        if (self.state, frame.type) not in app._TRANSITIONS:
            return self._next_event()
        return original(self, frame)

    app.ApplicationConnection._lookup = _lookup
    app.ApplicationConnection._on_control = _on_control


def _client_any_type_bytes() -> None:
    """The initiator takes any 4 bytes for a type: bytes outside A-Z 0-9 _ make an
    "unknown type" (unexpected_frame), not bad_frame."""
    app = _module("reference.app")
    frames = _module("reference.frames")

    def parse_header(header: Any, max_payload: int) -> tuple[bytes, int]:
        frame_type, length = frames.HEADER.unpack(header)
        if length > max_payload:
            return frames.parse_header(b"AAAA" + bytes(header[4:]), max_payload)  # type: ignore[no-any-return]
        return frame_type, length

    app.parse_header = parse_header


def _no_timeout_inside_a_frame() -> None:
    """The idle timeout guards the wait between frames only: once a frame has begun, the
    rest of it is read without a deadline ("it is on its way")."""
    transfer = _module("reference.transfer")
    original_recv = transfer._Channel.next_event
    original_payload = transfer._Channel._read_payload

    def next_event(self: Any) -> Any:
        conn = self.conn
        inside = bool(conn._buffer) or conn._header is not None or conn._payload_left
        if not inside:
            return original_recv(self)
        saved = self.stream.gettimeout()
        self.stream.settimeout(None)
        try:
            return original_recv(self)
        finally:
            self.stream.settimeout(saved)

    def _read_payload(self: Any, view: Any, size: int) -> int:
        saved = self.stream.gettimeout()
        self.stream.settimeout(None)
        try:
            return int(original_payload(self, view, size))
        finally:
            self.stream.settimeout(saved)

    transfer._Channel.next_event = next_event
    transfer._Channel._read_payload = _read_payload


def _refusal_clears_timeout() -> None:
    """A refusal is sent blocking ("the EROR must get out") and the idle timeout is never
    restored: after a not_found the connection may stay silent for ever."""
    transfer = _module("reference.transfer")
    _patch_source(
        transfer.Responder,
        "_refuse",
        (
            "self.channel.send(ErrorFrame(exc.code, exc.message))",
            "self.channel.stream.settimeout(None); "
            "self.channel.send(ErrorFrame(exc.code, exc.message))",
        ),
    )


def _client_int_no_lower_bound() -> None:
    """The initiator bounds integers above only (a signed/unsigned mix-up): size -1 passes."""
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "_has_kind",
        (
            "return type(value) is int and 0 <= value <= MAX_INT",
            "return type(value) is int and value <= MAX_INT",
        ),
    )


def _bye_unparsed() -> None:
    """BYE_'s payload is never parsed ("it carries nothing"), so any bytes end the connection
    politely instead of as bad_frame."""
    messages = _module("reference.messages")
    _patch_source(
        messages,
        "decode_message",
        (
            "    if t == T_DATA:\n",
            "    if t == T_BYE:\n        return Bye()\n    if t == T_DATA:\n",
        ),
    )


def _done_sha256_optional() -> None:
    """DONE's schema copied from PUTF's: its sha256 is optional, and when it is absent only
    the size is compared — the put is stored unverified."""
    messages = _module("reference.messages")
    app = _module("reference.app")
    messages._SCHEMAS["DONE"] = {"size": ("int", True), "sha256": ("sha256", False)}
    _patch_source(
        messages,
        "decode_message",
        ('return Done(obj["size"], obj["sha256"])', 'return Done(obj["size"], obj.get("sha256"))'),
    )
    _patch_source(app._Transfer, "check_done", ("done.sha256 == sha", "done.sha256 in (None, sha)"))


def _m(
    name: str, requirement: str, test_file: str, description: str, apply: Any, **kw: Any
) -> Mutant:
    return Mutant(
        name=f"b4pki-{name}",
        group="blind4-pki",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        **kw,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "inbox-absent-cache",
        "APP-PUT-3",
        "test_app_put.py",
        "names found absent once are cached: a second put of a stored name is accepted",
        _inbox_absent_cache,
    ),
    _m(
        "allow-cache-by-address",
        "PKI-ID-3",
        "test_pki_identity.py",
        "the allow-list verdict is cached per source address, not per alias",
        _allow_cache_by_address,
    ),
    _m(
        "cert-check-cache-by-alias",
        "PKI-CERT-5",
        "test_pki_certs.py",
        "certificate checks cached by CN: a second certificate of a known alias skips them",
        _cert_check_cache_by_alias,
    ),
    _m(
        "pending-cap-keyed-by-port",
        "LIM-8",
        "test_lockout.py",
        "the per-address handshake cap is keyed by host:port and never triggers",
        _pending_cap_keyed_by_port,
    ),
    _m(
        "int-integral-float",
        "FRM-11",
        "test_framing.py",
        "an integral float (5.0) is accepted as an integer member",
        _int_integral_float,
    ),
    _m(
        "int-u64-bound",
        "FRM-11",
        "test_framing.py",
        "integer members bounded by 2^64-1 (u64), not 2^63-1",
        _int_u64_bound,
    ),
    _m(
        "dup-keys-top-level-only",
        "FRM-9",
        "test_framing.py",
        "duplicate keys refused at the top level only, not in nested objects",
        _dup_keys_top_level_only,
    ),
    _m(
        "sha256-prefix-match",
        "FRM-12",
        "test_framing.py",
        "sha256 members checked with re.match: 64 hex digits followed by anything pass",
        _sha256_prefix_match,
    ),
    _m(
        "control-limit-in-chars",
        "FRM-8",
        "test_framing.py",
        "the 64 KiB control limit counts decoded characters, after buffering the payload",
        _control_limit_in_chars,
    ),
    _m(
        "no-idle-timeout-during-put",
        "LIM-2",
        "test_limits.py",
        "the idle timeout is lifted while a put is received",
        _no_idle_timeout_during_put,
    ),
    _m(
        "get-send-no-timeout",
        "LIM-10",
        "test_limits.py",
        "no send timeout while a get is being sent to a peer that stopped reading",
        _get_send_no_timeout,
    ),
    _m(
        "abort-unlinks-final",
        "APP-STORE-3",
        "test_app_put.py",
        "cleanup unlinks the final name instead of the temporary file",
        _abort_unlinks_final,
    ),
    _m(
        "pending-slot-leak",
        "LIM-4",
        "test_limits.py",
        "a connection that ends in its handshake is never released from the admission count",
        _pending_slot_leak,
    ),
    _m(
        "truncated-put-committed",
        "APP-STORE-3",
        "test_app_put.py",
        "a put cut by the end of the stream is committed under its final name",
        _truncated_put_committed,
    ),
    _m(
        "putf-sha-mismatch-bad-frame",
        "APP-PUT-5",
        "test_app_put.py",
        "data not matching PUTF.sha256 is answered bad_frame, not integrity_failed",
        _putf_sha_mismatch_bad_frame,
    ),
    _m(
        "auth-failed-bare-fin",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "after EROR auth_failed for a refused certificate the socket is shut without close_notify",
        _auth_failed_bare_fin,
    ),
    _m(
        "put-name-trailing-dot-trim",
        "APP-NAME-3",
        "test_app_put.py",
        "a put is checked for `exists` as sent, then stored with trailing dots/spaces stripped",
        _put_name_trailing_dot_trim,
    ),
    _m(
        "get-nfkc-after-check",
        "APP-NAME-3",
        "test_app_names.py",
        "a get's name is checked, then NFKC-normalised before it is opened",
        _get_nfkc_after_check,
    ),
    _m(
        "too-large-after-data",
        "APP-PUT-7",
        "test_app_put.py",
        "the size limit is enforced while writing (integrity_failed), not at PUTF (too_large)",
        _too_large_after_data,
    ),
    _m(
        "client-alias-unchecked-on-retry",
        "PKI-ID-1",
        "test_pki_identity.py",
        "the initiator checks the alias on its first connection attempt only",
        _client_alias_unchecked_on_retry,
        client=True,
    ),
    _m(
        "client-unknown-code-unsupported",
        "ERR-4",
        "test_client_fatal_errors.py",
        "the initiator reads an unknown EROR code as unsupported (non-fatal)",
        _client_unknown_code_unsupported,
        client=True,
    ),
    _m(
        "client-accept-one",
        "APP-PUT-9",
        "test_client_put.py",
        'the initiator takes "accept": 1 as acceptance (value == True)',
        _client_accept_one,
        client=True,
    ),
    _m(
        "client-int-accepts-bool",
        "FRM-11",
        "test_pki_initiator_transfer.py",
        "the initiator takes true as the integer 1 (isinstance(value, int))",
        _client_int_accepts_bool,
        client=True,
    ),
    _m(
        "client-put-eof-after-done-ok",
        "APP-PUT-10",
        "test_client_put.py",
        "the end of the connection in place of the responder's DONE is reported as success",
        _client_put_eof_after_done_ok,
        client=True,
    ),
    _m(
        "client-keep-truncated-get",
        "APP-GET-5",
        "test_pki_initiator_transfer.py",
        "a get cut by the end of the stream is kept under its final name",
        _client_keep_truncated_get,
        client=True,
    ),
    _m(
        "client-alias-after-request",
        "PKI-ID-1",
        "test_pki_identity.py",
        "the initiator compares the responder's alias only after its transfer",
        _client_alias_after_request,
        client=True,
    ),
    _m(
        "client-trusts-announced-sha",
        "APP-GET-3",
        "test_pki_initiator_transfer.py",
        "the initiator checks DONE against the announced RSFL.sha256 instead of its own hash",
        _client_trusts_announced_sha,
        client=True,
    ),
    # wave 2 (after phase 1)
    _m(
        "malformed-eror-ignored",
        "ERR-8",
        "test_framing.py",
        "an EROR without an integer code is dropped and the next request served",
        _malformed_eror_ignored,
    ),
    _m(
        "idle-timeout-ms",
        "LIM-2",
        "test_limits.py",
        "the idle timeout is applied in milliseconds read as seconds (x1000)",
        _idle_timeout_ms,
    ),
    _m(
        "rsfl-sha-of-head",
        "APP-GET-2",
        "test_app_get.py",
        "RSFL carries the SHA-256 of the file's first MiB only",
        _rsfl_sha_of_head,
    ),
    _m(
        "get-too-large-at-max",
        "LIM-3",
        "test_app_get.py",
        "a get of a file of exactly the maximum size is answered too_large",
        _get_too_large_at_max,
    ),
    _m(
        "empty-put-not-stored",
        "APP-PUT-5",
        "test_app_put.py",
        "a 0-byte put is acknowledged with DONE but never stored",
        _empty_put_not_stored,
    ),
    _m(
        "buffer-cleared-after-put",
        "APP-2",
        "test_framing.py",
        "the read buffer is reset after a put: a request pipelined behind its DONE is lost",
        _buffer_cleared_after_put,
    ),
    _m(
        "client-temp-in-tmpdir",
        "APP-STORE-1",
        "test_pki_initiator_transfer.py",
        "the initiator writes its temporary in the system temporary directory",
        _client_temp_in_tmpdir,
        client=True,
    ),
    _m(
        "client-judges-whole-frames",
        "FRM-3",
        "test_pki_initiator_transfer.py",
        "the initiator reads a whole frame before judging its length: a 4 GiB header stalls it",
        _client_judges_whole_frames,
        client=True,
    ),
    _m(
        "client-skips-stray-frames",
        "FRM-6",
        "test_pki_initiator_transfer.py",
        "the initiator drops a control frame its state does not allow (a second RSFL, a DONE)",
        _client_skips_stray_frames,
        client=True,
    ),
    _m(
        "client-any-type-bytes",
        "FRM-2",
        "test_pki_initiator_transfer.py",
        "the initiator takes any 4 bytes for a frame type (unknown: unexpected_frame)",
        _client_any_type_bytes,
        client=True,
    ),
    _m(
        "no-timeout-inside-a-frame",
        "LIM-2",
        "test_limits.py",
        "the idle timeout guards the wait between frames only, not the rest of a begun frame",
        _no_timeout_inside_a_frame,
    ),
    _m(
        "refusal-clears-timeout",
        "LIM-2",
        "test_limits.py",
        "a refusal is sent blocking and the idle timeout is not restored afterwards",
        _refusal_clears_timeout,
    ),
    _m(
        "client-int-no-lower-bound",
        "FRM-11",
        "test_pki_initiator_transfer.py",
        "the initiator bounds integer members above only: RSFL size -1 is taken",
        _client_int_no_lower_bound,
        client=True,
    ),
    _m(
        "bye-unparsed",
        "FRM-9",
        "test_framing.py",
        "BYE_'s payload is never parsed: any bytes end the connection politely",
        _bye_unparsed,
    ),
    _m(
        "done-sha256-optional",
        "FRM-9",
        "test_framing.py",
        "DONE's sha256 is optional (schema copied from PUTF): a DONE without it stores the "
        "put unverified",
        _done_sha256_optional,
    ),
)
