"""Blind red-team round 26 (helper B185): the sft-pki/1 initiator (`sft get`, `sft put`)
and the enrolment client (`sft enroll`), through the six lenses of /work/briefs/s26/common.md.

Phase 1 (blind): written from docs/SPEC.md (PWF, §1-§3 client side, §4.1-§4.3 initiator
side, §4.4's enrolment-client sentences) and the reference's initiator and enrolment
client (reference/pki/client.py, tls.py, enroll.py, alias.py, transfer.py, app.py,
share.py, cli/pki.py) before any case file was opened, then checked against the names and
descriptions of the registered client and enrolment mutants. Replaced as repeats (r): a
BYE_ from the responder mid-get taken as its leaving (b13cl4-bye-mid-get-quiet), the
socket closed after BYE_ without close_notify (blind-cli-pki-no-close-notify), a --crl
file refused by the checks used as "no revocation" (b16pcl-crl-bad-file-fail-open), a
placeholder under the final name (b7cli-pki-placeholder-final-name), a temporary made
0644 (sym-temp-file-0644).

Lens 1 — the thin MUSTs, recounted:
- b26ini-disk-bound-max-size (APP-STORE-4): the get's excess is judged against the
  initiator's max file size, not RSFL's size: bytes beyond the announced size reach the
  temporary file, and the get fails only at DONE.
- b26ini-auth-eror-says-why (ERR-6): a responder certificate refused after the handshake
  (PKI-CERT-5/6/9, ALPN) is told EROR auth_failed whose message names the cause (EKU,
  CA:TRUE, key usage...): the message differs by the internal cause.
- b26ini-tls-error-traceback (ERR-6): get and put catch only the transfer's own
  exceptions: a TLS alert or a reset mid-transfer (ssl.SSLError, ConnectionResetError)
  ends the client with a Python traceback.
- b26ini-hs-timeout-as-busy (LIM-9): a TLS handshake that times out is reported like a
  responder closing it ("closed the connection abruptly (server busy?)"), never as a
  timeout.
Lens 2 — the second half of the sentence:
- b26ini-too-large-drain (FRM-3 "... and then close the connection"): after EROR
  frame_too_large the initiator reads and drops what follows (the announced payload,
  "so that the close is not a reset") until EOF or its idle timeout, before closing.
- b26ini-commit-careful-copy (APP-STORE-2 "a copy of it, however careful, is not a
  rename"): the verified temporary is copied into a final name opened O_EXCL|O_NOFOLLOW,
  fsynced, then the temporary unlinked.
- b26ini-bye-on-abort (APP-BYE-1 "BYE_ during a transfer is unexpected_frame"): a get or
  put that ends mid-transfer for a local reason (Ctrl-C, SIGTERM, a disk error) says
  goodbye: BYE_ is written whatever the state, then the close.
- b26ini-enr-crl-fetch-unpinned (PKI-TLS-9, enrolment): the POST runs on the pinned
  context; the CRL fetch that follows a successful enrolment builds its own plain TLS 1.3
  context, which offers the TLS library's default groups (x448, P-521, ffdhe*).
Lens 3 — passing the vectors:
- b26ini-type-prefix-match (FRM-2): the frame type is checked with a prefix match
  (re.match of [A-Z0-9_]+, no anchor): a type whose first byte is valid (`RSF `, `DON\\n`)
  is an unknown type, answered unexpected_frame, not bad_frame.
Lens 4 — neighbouring-protocol habits:
- b26ini-put-continue-timeout (APP-PUT-1; also lens 6): HTTP's `Expect: 100-continue`:
  the put waits one second for RSFL, then sends its DATA and DONE anyway and reads the
  acceptance after them.
- b26ini-keepalive-skipped (FRM-5): NOOP and PING frames from the responder are skipped
  as keep-alives (other unknown types are still answered unexpected_frame).
Lens 5 — insecure defaults: nothing new found that is not registered (system trust,
  SSLKEYLOGFILE, CRL fail-open, temporary modes, TLS 1.2 to the CA, http:// CA URLs).
Lens 6 — crossing frames: the put's DATA before its RSFL was read (put-continue-timeout
  above); the others found (BYE_ mid-get, EROR mid-batch) are registered.
Post-blind siblings (phase 3, proving the new cases catch the class):
- b26ini-type-isalnum (FRM-2): each type byte checked with isalnum() or '_' on its
  Latin-1 character: lower case and 0xC1 pass as unknown types.
- b26ini-empty-unknown-skipped (FRM-5): a frame of an unknown type with an empty payload
  is skipped.

Phase 2 (judge: the named file, then every file citing the requirement, before the new
cases existed): caught by the named file — disk-bound-max-size
(test_client_pki_data_bounds.py, the running total checked on disk). Missed by the named
file and by every pre-existing citing file — the ten others (the citing runs of
auth-eror-says-why, tls-error-traceback, commit-careful-copy, type-prefix-match,
put-continue-timeout and keepalive-skipped already held this round's new files, which
were the only ones in their failing cases).

Phase 3, cases for their CLASS (each PASSes the reference three times, pki1, pki2, pki6,
pki7):
  auth-eror-says-why        test_pki_client_refusal_words.py: six refusals (no serverAuth,
      no EKU, CA:TRUE, no BasicConstraints, SHA-384, another ALPN); every EROR auth_failed
      message the initiator sends must be the same
  tls-error-traceback       test_pki_client_transport_faults.py: a forged TLS record and a
      TCP reset mid-get: failed get, no stack trace (Python, JVM, Node.js, Go, Rust, C++)
  hs-timeout-as-busy        test_client_pki_give_up.py (edited): the silent responder's
      run must report a time-out
  too-large-drain           test_pki_client_oversize_close.py: RSFL 2^31, DATA and EROR
      2^32-1, the suite's side held open: the owed EROR, then the close within 2.5 s
  commit-careful-copy       test_pki_client_commit_inode.py: the final name is the inode
      that held the bytes before DONE
  bye-on-abort              test_pki_client_stop_no_bye.py: SIGTERM mid-get, no BYE_
  enr-crl-fetch-unpinned    test_enroll_every_hello.py: every ClientHello of a completed
      enrolment (POST, then the CRL fetch) peeked and judged
  type-prefix-match, keepalive-skipped  test_pki_client_frame_types.py: a bad byte in each
      position 1-3 (space, LF, '-', NUL, 0xC1, lower case), NOOP/PING/SECE in place of
      RSFL and mid-get, an empty NOOP — siblings type-isalnum, empty-unknown-skipped
  put-continue-timeout      test_pki_client_put_slow_accept.py: the acceptance 4 s after
      PUTF; nothing before it
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind26-ini"


def _patch_method(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_method as patch

    patch(owner, attr, *edits)


# --- lens 1 -----------------------------------------------------------------------------


def _disk_bound_max_size() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            "            if self._incoming.count + length > self._incoming.announced:\n",
            "            if self.role is RESPONDER and (\n"
            "                self._incoming.count + length > self._incoming.announced\n"
            "            ):\n",
        ),
    )
    _patch_method(
        _module("reference.transfer").Initiator,
        "get",
        (
            "PartialFile.create(destination, response.size)",
            "PartialFile.create(destination, self.max_file_size)",
        ),
    )


def _auth_eror_says_why() -> None:
    _patch_method(
        _module("reference.pki.client").PkiSession,
        "_connect_once",
        (
            "        except CertificateRefused as exc:\n"
            "            close_tls(sock)\n",
            "        except CertificateRefused as exc:\n"
            "            if not str(exc).startswith('the peer at'):  # PKI-ID-1: no frame\n"
            "                _m = __import__('reference.messages', fromlist=['x'])\n"
            "                with contextlib.suppress(OSError):\n"
            "                    sock.sendall(_m.encode_message(\n"
            "                        _m.ErrorFrame(ErrorCode.AUTH_FAILED, str(exc)[:200])))\n"
            "            close_tls(sock)\n",
        ),
    )


def _tls_error_traceback() -> None:
    session = _module("reference.pki.client").PkiSession
    narrow = (
        "except (TransferRefused, TransferFailed, ProtocolError, OSError, ValueError) as exc:",
        "except (TransferRefused, TransferFailed, ProtocolError) as exc:",
    )
    _patch_method(session, "get", narrow)
    _patch_method(session, "put", narrow)


def _hs_timeout_as_busy() -> None:
    _patch_method(
        _module("reference.pki.client").PkiSession,
        "_connect_once",
        (
            "        except OSError as exc:\n"
            "            raw.close()\n",
            "        except OSError as exc:\n"
            "            raw.close()\n"
            "            if isinstance(exc, TimeoutError):  # 'no answer: it is overloaded'\n"
            "                raise PkiClientError(\n"
            "                    f\"{self.alias}'s peer closed the connection abruptly \"\n"
            "                    '(server busy?): try again later'\n"
            "                ) from None\n",
        ),
    )


# --- lens 2 -----------------------------------------------------------------------------


def _too_large_drain() -> None:
    _patch_method(
        _module("reference.transfer").Initiator,
        "_guard",
        (
            "        self.channel.fail(exc)\n",
            "        self.channel.fail(exc)\n"
            "        if exc.code is ErrorCode.FRAME_TOO_LARGE:\n"
            "            # read what the peer still sends, so that our close is no reset\n"
            "            _buf = bytearray(65536)\n"
            "            with contextlib.suppress(OSError, ValueError):\n"
            "                while self.channel.stream.recv_into(_buf):\n"
            "                    pass\n",
        ),
    )


def _commit_careful_copy() -> None:
    _patch_method(
        _module("reference.share").PartialFile,
        "commit",
        (
            "                os.link(\n"
            "                    self.temp_name,\n"
            "                    self.final_name,\n"
            "                    src_dir_fd=self._dir_fd,\n"
            "                    dst_dir_fd=self._dir_fd,\n"
            "                    follow_symlinks=False,\n"
            "                )\n",
            "                _src = os.open(self.temp_name, os.O_RDONLY, dir_fd=self._dir_fd)\n"
            "                try:\n"
            "                    _dst = os.open(\n"
            "                        self.final_name,\n"
            "                        os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,\n"
            "                        0o600,\n"
            "                        dir_fd=self._dir_fd,\n"
            "                    )\n"
            "                    try:\n"
            "                        while _chunk := os.read(_src, 1 << 20):\n"
            "                            _view = memoryview(_chunk)\n"
            "                            while _view:\n"
            "                                _view = _view[os.write(_dst, _view):]\n"
            "                        os.fsync(_dst)\n"
            "                    finally:\n"
            "                        os.close(_dst)\n"
            "                finally:\n"
            "                    os.close(_src)\n",
        ),
    )


def _bye_on_abort() -> None:
    _patch_method(
        _module("reference.transfer").Initiator,
        "bye",
        (
            "        try:\n"
            "            self.channel.send(Bye())\n",
            "        if self.channel.conn.state.value not in ('IDLE', 'CLOSED', 'BYE_SENT'):\n"
            "            # interrupted mid-transfer: say goodbye anyway, then close\n"
            "            _m = __import__('reference.messages', fromlist=['x'])\n"
            "            with contextlib.suppress(OSError):\n"
            "                self.channel.stream.sendall(_m.encode_message(Bye()))\n"
            "            return\n"
            "        try:\n"
            "            self.channel.send(Bye())\n",
        ),
    )


def _enr_crl_fetch_unpinned() -> None:
    _patch_method(
        _module("reference.pki.enroll").CaClient,
        "crl",
        (
            '        status, _, data = self.request("GET", "/v1/crl")\n',
            "        # a fresh context for a public document (no password travels here)\n"
            "        _ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
            "        _ctx.minimum_version = ssl.TLSVersion.TLSv1_3\n"
            "        _ctx.hostname_checks_common_name = False\n"
            "        _ctx.load_verify_locations(cadata=self.root_pem.decode())\n"
            "        _host, _port = self._endpoint()\n"
            "        _conn = http.client.HTTPSConnection(\n"
            "            _host, _port, timeout=self.timeout, context=_ctx\n"
            "        )\n"
            "        try:\n"
            '            _conn.request("GET", "/v1/crl")\n'
            "            _response = _conn.getresponse()\n"
            "            status, data = _response.status, _response.read(1 << 20)\n"
            "        except (OSError, http.client.HTTPException) as exc:\n"
            "            raise EnrollError(f'cannot reach the CA: {exc}') from None\n"
            "        finally:\n"
            "            _conn.close()\n",
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _type_prefix_match() -> None:
    frames, app = _module("reference.frames"), _module("reference.app")
    original = frames.parse_header
    _patch_method(
        frames,
        "parse_header",
        (
            "    if not _TYPE_RE.fullmatch(frame_type):\n",
            '    if not re.match(rb"[A-Z0-9_]+", frame_type):\n',
        ),
    )
    if getattr(app, "parse_header", None) is original:
        app.parse_header = frames.parse_header


# --- lens 4 -----------------------------------------------------------------------------


def _put_continue_timeout() -> None:
    _patch_method(
        _module("reference.transfer").Initiator,
        "put",
        (
            "                self.channel.send(PutRequest(name, size))\n"
            "                accepted = self._answer()\n"
            "                assert isinstance(accepted, PutAccepted)\n"
            "                self.channel.send_file(f.readinto, size, progress)\n",
            "                self.channel.send(PutRequest(name, size))\n"
            "                _stream = self.channel.stream\n"
            "                _old = _stream.gettimeout()\n"
            "                _stream.settimeout(1.0)  # Expect: 100-continue\n"
            "                try:\n"
            "                    accepted = self._answer()\n"
            "                    _early = False\n"
            "                except TimeoutError:\n"
            "                    _early = True\n"
            "                finally:\n"
            "                    _stream.settimeout(_old)\n"
            "                _conn = self.channel.conn\n"
            "                _states = type(_conn.state)\n"
            "                if _early:  # no answer in time: send the body anyway\n"
            "                    _conn.state = _states.SENDING\n"
            "                    self.channel.send_file(f.readinto, size, progress)\n"
            "                    _conn.state = _states.PUT_SENT\n"
            "                    accepted = self._answer()\n"
            "                    _conn.state = _states.DONE_SENT\n"
            "                else:\n"
            "                    self.channel.send_file(f.readinto, size, progress)\n"
            "                assert isinstance(accepted, PutAccepted)\n",
        ),
    )


def _keepalive_skipped() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            "        if self._header is None:\n"
            "            if len(buf) < HEADER_SIZE:\n"
            "                return self._starved()\n",
            "        if self._header is None:\n"
            "            if len(buf) < HEADER_SIZE:\n"
            "                return self._starved()\n"
            "            _t, _n = parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)\n"
            "            if _t in (b'NOOP', b'PING'):  # keep-alives: nothing to answer\n"
            "                if len(buf) < HEADER_SIZE + _n:\n"
            "                    return self._starved()\n"
            "                del buf[: HEADER_SIZE + _n]\n"
            "                return self._next_event()\n",
        ),
    )


# --- post-blind siblings ----------------------------------------------------------------


def _type_isalnum() -> None:
    frames, app = _module("reference.frames"), _module("reference.app")
    original = frames.parse_header
    _patch_method(
        frames,
        "parse_header",
        (
            "    if not _TYPE_RE.fullmatch(frame_type):\n",
            "    if not all(chr(b).isalnum() or b == 0x5F for b in frame_type):\n",
        ),
    )
    if getattr(app, "parse_header", None) is original:
        app.parse_header = frames.parse_header


def _empty_unknown_skipped() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            "        if self._header is None:\n"
            "            if len(buf) < HEADER_SIZE:\n"
            "                return self._starved()\n",
            "        if self._header is None:\n"
            "            if len(buf) < HEADER_SIZE:\n"
            "                return self._starved()\n"
            "            _t, _n = parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)\n"
            "            if _n == 0 and _t not in _KNOWN_TYPES:  # an empty extension frame\n"
            "                del buf[:HEADER_SIZE]\n"
            "                return self._next_event()\n",
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
        client=True,
        **kw,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b26ini-disk-bound-max-size",
        "APP-STORE-4",
        "test_client_pki_data_bounds.py",
        "L1: the get's excess is judged against the initiator's max file size, not RSFL's "
        "size: bytes beyond the announced size reach the temporary, refused only at DONE",
        _disk_bound_max_size,
    ),
    _m(
        "b26ini-auth-eror-says-why",
        "ERR-6",
        "test_pki_client_refusal_words.py",
        "L1: a responder certificate refused after the handshake is told EROR auth_failed "
        "whose message names the cause (EKU, CA:TRUE, key usage, ALPN)",
        _auth_eror_says_why,
    ),
    _m(
        "b26ini-tls-error-traceback",
        "ERR-6",
        "test_pki_client_transport_faults.py",
        "L1: get and put catch only the transfer's own exceptions: a TLS alert or a reset "
        "mid-transfer ends the client with a Python traceback",
        _tls_error_traceback,
    ),
    _m(
        "b26ini-hs-timeout-as-busy",
        "LIM-9",
        "test_client_pki_give_up.py",
        "L1: a TLS handshake that times out is reported as the responder closing it "
        "('closed the connection abruptly (server busy?)'), never as a timeout",
        _hs_timeout_as_busy,
    ),
    _m(
        "b26ini-too-large-drain",
        "FRM-3",
        "test_pki_client_oversize_close.py",
        "L2: after EROR frame_too_large the initiator reads and drops what follows until "
        "EOF or its idle timeout before closing: the close waits for the peer",
        _too_large_drain,
    ),
    _m(
        "b26ini-commit-careful-copy",
        "APP-STORE-2",
        "test_pki_client_commit_inode.py",
        "L2: the verified temporary is copied into a final name opened O_EXCL|O_NOFOLLOW, "
        "fsynced, and the temporary unlinked: a copy, not a rename",
        _commit_careful_copy,
    ),
    _m(
        "b26ini-bye-on-abort",
        "APP-BYE-1",
        "test_pki_client_stop_no_bye.py",
        "L2: a get or put ended mid-transfer for a local reason (SIGTERM, Ctrl-C, a disk "
        "error) writes BYE_ whatever the state before the close",
        _bye_on_abort,
    ),
    _m(
        "b26ini-enr-crl-fetch-unpinned",
        "PKI-TLS-9",
        "test_enroll_every_hello.py",
        "L2: the enrolment's POST is pinned; the CRL fetch after it builds a plain TLS 1.3 "
        "context offering the library's default groups (x448, P-521, ffdhe*)",
        _enr_crl_fetch_unpinned,
        enroll=True,
    ),
    _m(
        "b26ini-type-prefix-match",
        "FRM-2",
        "test_pki_client_frame_types.py",
        "L3: the frame type is checked with an unanchored re.match of [A-Z0-9_]+: a type "
        "whose first byte is valid ('RSF ', 'DON\\n') is answered unexpected_frame",
        _type_prefix_match,
    ),
    _m(
        "b26ini-put-continue-timeout",
        "APP-PUT-1",
        "test_pki_client_put_slow_accept.py",
        "L4/L6: Expect: 100-continue: the put waits one second for RSFL, then sends its "
        "DATA and DONE anyway and reads the acceptance after them",
        _put_continue_timeout,
    ),
    _m(
        "b26ini-keepalive-skipped",
        "FRM-5",
        "test_pki_client_frame_types.py",
        "L4: NOOP and PING frames from the responder are skipped as keep-alives; other "
        "unknown types are still answered unexpected_frame",
        _keepalive_skipped,
    ),
    _m(
        "b26ini-type-isalnum",
        "FRM-2",
        "test_pki_client_frame_types.py",
        "L3 (post-blind): each type byte is checked with str.isalnum() or '_' on its Latin-1 "
        "character: lower-case letters and bytes such as 0xC1 ('Á') pass as unknown types",
        _type_isalnum,
    ),
    _m(
        "b26ini-empty-unknown-skipped",
        "FRM-5",
        "test_pki_client_frame_types.py",
        "L4 (post-blind): a frame of an unknown type with an empty payload is skipped "
        "(an empty extension or keep-alive frame: nothing to answer)",
        _empty_unknown_skipped,
    ),
)
