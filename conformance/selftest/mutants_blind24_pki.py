"""Blind red-team round 24 (helper B154): the sft-pki/1 responder and the application
protocol it serves, through the six lenses of /work/briefs/s24/common.md.

Phase 1 (blind): written from docs/SPEC.md (§1-§3, §4.1-§4.3, §6) and the reference
(reference/pki/peer.py, tls.py, reference/app.py, transfer.py, share.py, messages.py)
before any case file or independent implementation was opened, then checked against the
names and descriptions of the 3,972 registered mutants. Replaced as repeats (r): the DONE
digest compared with PUTF.sha256 (b2app-eke-done-sha-trusts-putf), the allow verdict
cached per address (b4pki-allow-cache-by-address), validity against the start-up clock
(b11pki-validity-clock-at-start), a put's name reservation kept after a failure
(b13ops-pki-reservation-kept-after-drop), a clear-text answer on the TLS port
(b11pki-plaintext-sniffed), an identity member in frames (b6pki-identity-from-frame),
the alias read with the pattern's `match` (b12cl2-cn-regex-prefix, initiator side);
dropped as not plantable on Python 3.11 (no `get_unverified_chain`): a chain of exactly
one certificate required (PKI-CERT-10).

Lens 1 — what the authenticator does not cover:
- b24pki-put-deferred-writes: a put's DATA is hashed as it arrives but written to disk
  at DONE from the views it was read into; the two receive buffers alternate, so a put
  of three or more large frames stores other bytes than the ones verified (APP-PUT-5).
Lens 2 — legacy and downgrade bleed:
- b24pki-legacy-raw-name: an RQFL whose payload is not JSON is taken as a bare UTF-8 name
  (sft-pki/0's RQFL carried the bare name) instead of bad_frame (FRM-9).
- b24pki-legacy-sece-rsci: a legacy SECE frame on the modern service is answered with
  sft-pki/0's refusal RSCI and a close, not EROR unexpected_frame (FRM-5).
Lens 3 — the scanner's checklist:
- b24pki-alpn-server-preference: http/1.1 listed before sft-pki/1 in the responder's ALPN
  (for a scanner's health probe): a client offering both is given http/1.1, then refused
  (PKI-TLS-2).
Lens 4 — the second-order fix:
- b24pki-exists-casefold: to stop look-alike names in the inbox, `exists` is judged
  case-blind: a put of Notes.txt is refused while only notes.txt is held (APP-PUT-1).
Lens 5 — debug and test leftovers:
- b24pki-own-alias-bypass: the responder's own alias passes its allow list (a loop-back
  test hook): a client certificate naming it is served (PKI-ID-3).
- b24pki-noop-keepalive: a NOOP frame (a development keep-alive) is skipped, not
  answered unexpected_frame (FRM-5).
Lens 6 — fitted to the examples:
- b24pki-done-hex-short: the DONE of a get carries the SHA-256 as a number in hex
  (Java's BigInteger.toString(16)): a digest starting with 0 loses its leading zeros
  (APP-GET-2).
- b24pki-put-hex-short: the same spelling for the digest a put is checked against: an
  honest put whose digest starts with 0 is refused integrity_failed (APP-PUT-5).

Blind run (phase 2): 3 of 9 detected by the named file — legacy-raw-name (test_framing.py),
alpn-server-preference (test_pki_tls.py), own-alias-bypass
(test_pki_allow_list_verdicts.py). Caught by another citing file: put-deferred-writes
(test_app_put_sequence.py, test_framing.py::test_put_in_data_frames_of_any_size...),
exists-casefold (test_app_put_name_folds.py), done-hex-short (test_app_put_digest_digits.py),
put-hex-short (test_app_put_digest_digits.py, test_app_put.py's 1 MiB frames). Missed by
every citing file: legacy-sece-rsci, noop-keepalive.

Phase 3, cases for their CLASS (each PASSes the reference three times, pki1, pki2, eke1):
  legacy-sece-rsci, noop-keepalive
                  test_app_leftover_frame_types.py: development and sft-pki/0 types (NOOP,
      PING, PONG, KEEP, ECHO, HELO, LIST, STAT, INFO, DBUG, TEST, VERS, SECE, RSCV, RSCI)
      between requests, and three in the middle of a put: EROR unexpected_frame and the
      close — sibling: ping-echo
  done-hex-short, put-hex-short (caught elsewhere; the class made explicit)
                  test_app_digest_leading_zeros.py: gets of files whose digest starts with
      0, 00, 000 (one and two frames), puts whose digest starts with 00 (DONE only, PUTF
      too) — sibling: rsfl-sha-short
  put-deferred-writes, exists-casefold (caught elsewhere; the class made explicit)
                  test_app_put_stored_bytes.py: puts in uneven and large DATA frames compared
      with the inbox file; a name differing only in case from a held one is accepted
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind24-pki"


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


# --- lens 1 -----------------------------------------------------------------------------


def _put_deferred_writes() -> None:
    _patch(
        _transfer()._Channel,
        "receive_file",
        (
            "        received = 0\n",
            "        received = 0\n        pending = []  # written at DONE: one batch, one fsync\n",
        ),
        (
            "                sink.write(event.data)\n",
            "                pending.append(event.data)\n",
        ),
        (
            "            elif isinstance(event, Done):\n                self.release_buffers()\n",
            "            elif isinstance(event, Done):\n"
            "                for piece in pending:\n"
            "                    sink.write(piece)\n"
            "                self.release_buffers()\n",
        ),
    )


# --- lens 2 -----------------------------------------------------------------------------


def _legacy_raw_name() -> None:
    messages = _module("reference.messages")

    def legacy_name(frame: Any, exc: Exception) -> Any:
        if frame.type != messages.T_RQFL:
            raise exc
        try:
            name = bytes(frame.payload).decode("utf-8")
        except UnicodeDecodeError:
            raise exc from None
        return {"name": name}

    messages._b24_legacy_name = legacy_name
    _patch_function(
        messages,
        "decode_message",
        (
            "    obj = loads_control(frame.payload)\n",
            "    try:\n"
            "        obj = loads_control(frame.payload)\n"
            "    except RemoteProtocolError as exc:  # an sft-pki/0 requester: the bare name\n"
            "        obj = _b24_legacy_name(frame, exc)\n",
        ),
    )


def _legacy_sece_rsci() -> None:
    app = _app()
    _patch(
        app.ApplicationConnection,
        "_check_header",
        (
            "        if frame_type not in _KNOWN_TYPES:\n",
            "        if frame_type == b'SECE':\n"
            "            raise RemoteProtocolError(ErrorCode.UNEXPECTED_FRAME, 'legacy SECE')\n"
            "        if frame_type not in _KNOWN_TYPES:\n",
        ),
    )
    _patch(
        _transfer()._Channel,
        "fail",
        (
            "        code = exc.code if exc.code.fatal else ErrorCode.INTERNAL\n",
            "        if exc.message == 'legacy SECE':  # an sft-pki/0 requester: its refusal\n"
            "            try:\n"
            "                self.stream.sendall(b'RSCI' + bytes(4))\n"
            "            except OSError:\n"
            "                pass\n"
            "            return\n"
            "        code = exc.code if exc.code.fatal else ErrorCode.INTERNAL\n",
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _alpn_server_preference() -> None:
    _patch_function(
        _module("reference.pki.tls"),
        "server_context",
        (
            "    ctx.set_alpn_protocols([ALPN])\n",
            "    ctx.set_alpn_protocols(['http/1.1', ALPN])  # health probes of the scanner\n",
        ),
    )


# --- lens 4 -----------------------------------------------------------------------------


def _exists_casefold() -> None:
    share = _module("reference.share")
    os = _module("os")

    def casefold_exists(fd: int, base: str) -> None:
        folded = base.casefold()
        for entry in os.listdir(fd):
            if entry.casefold() == folded:
                raise FileExistsError(entry)
        raise FileNotFoundError(base)

    share._b24_casefold_exists = casefold_exists
    _patch(
        share.Inbox,
        "target_name",
        (
            "            os.stat(base, dir_fd=self._fd, follow_symlinks=False)\n",
            "            _b24_casefold_exists(self._fd, base)\n",
        ),
        (
            "        except FileNotFoundError:\n            return base\n",
            "        except FileNotFoundError:\n            return base\n"
            "        except FileExistsError:\n            pass\n",
        ),
    )


# --- lens 5 -----------------------------------------------------------------------------


def _own_alias_bypass() -> None:
    peer = _module("reference.pki.peer")
    _patch(
        peer.PeerServer,
        "_connection",
        (
            "            allowed = not self.config.allow or alias in self.config.allow\n",
            "            allowed = not self.config.allow or alias in self.config.allow\n"
            "            allowed = allowed or alias == self.alias  # loop-back tests\n",
        ),
    )


def _noop_keepalive() -> None:
    app = _app()
    _patch(
        app.ApplicationConnection,
        "_check_header",
        (
            "        if frame_type not in _KNOWN_TYPES:\n",
            "        if frame_type not in _KNOWN_TYPES and frame_type != b'NOOP':\n",
        ),
    )
    _patch(
        app.ApplicationConnection,
        "_next_event",
        (
            "        nxt = self._lookup(frame_type)\n",
            "        if frame_type == b'NOOP':  # keep-alive of the development builds\n"
            "            if len(buf) < length:\n"
            "                return self._starved()\n"
            "            del buf[:length]\n"
            "            self._header = None\n"
            "            return self._next_event()\n"
            "        nxt = self._lookup(frame_type)\n",
        ),
    )


# --- lens 6 -----------------------------------------------------------------------------


def _done_hex_short() -> None:
    _patch(
        _app().ApplicationConnection,
        "outgoing_done",
        (
            "        return Done(self._outgoing.count, self._outgoing.digest.hexdigest())\n",
            "        digest = int(self._outgoing.digest.hexdigest(), 16)\n"
            "        return Done(self._outgoing.count, format(digest, 'x'))\n",
        ),
    )
    # The core's own check of what it sends uses the same spelling.
    _patch(
        _app().ApplicationConnection,
        "send",
        (
            "                if event.sha256 != transfer.digest.hexdigest():\n",
            "                short = format(int(transfer.digest.hexdigest(), 16), 'x')\n"
            "                if event.sha256 != short:\n",
        ),
    )


def _put_hex_short() -> None:
    _patch(
        _app()._Transfer,
        "check_done",
        (
            "        sha = self.digest.hexdigest()\n",
            "        sha = format(int(self.digest.hexdigest(), 16), 'x')\n",
        ),
    )


# --- post-blind siblings (phase 3) ----------------------------------------------------


def _ping_echo() -> None:
    app = _app()
    _patch(
        app.ApplicationConnection,
        "_check_header",
        (
            "        if frame_type not in _KNOWN_TYPES:\n",
            "        if frame_type == b'PING':\n"
            "            raise RemoteProtocolError(ErrorCode.UNEXPECTED_FRAME, 'b24 PING')\n"
            "        if frame_type not in _KNOWN_TYPES:\n",
        ),
    )
    _patch(
        _transfer()._Channel,
        "fail",
        (
            "        code = exc.code if exc.code.fatal else ErrorCode.INTERNAL\n",
            "        if exc.message == 'b24 PING':  # the debug build's liveness probe\n"
            "            try:\n"
            "                self.stream.sendall(b'PONG' + bytes(4))\n"
            "            except OSError:\n"
            "                pass\n"
            "            return\n"
            "        code = exc.code if exc.code.fatal else ErrorCode.INTERNAL\n",
        ),
    )


def _rsfl_sha_short() -> None:
    hashlib = _module("hashlib")

    def short_digest(file: Any) -> str:
        digest = hashlib.file_digest(file, "sha256").hexdigest()
        file.seek(0)
        return format(int(digest, 16), "x")

    _transfer()._b24_short_digest = short_digest
    _patch(
        _transfer().Responder,
        "_get",
        (
            "            self.channel.send(FileResponse(request.name, shared.size))\n",
            "            sha = _b24_short_digest(shared.file)\n"
            "            self.channel.send(FileResponse(request.name, shared.size, sha))\n",
        ),
    )


def _m(
    name: str, requirement: str, test_file: str, description: str, apply: Any, **kw: Any
) -> Mutant:
    return Mutant(
        name=f"b24pki-{name}",
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
        "put-deferred-writes",
        "APP-PUT-5",
        "test_app_put_stored_bytes.py",
        "L1: a put's DATA is hashed as it arrives but written at DONE from the views it was "
        "read into; the receive buffers alternate, so a put of three or more large frames "
        "stores other bytes than those verified",
        _put_deferred_writes,
    ),
    # lens 2
    _m(
        "legacy-raw-name",
        "FRM-9",
        "test_framing.py",
        "L2: an RQFL whose payload is not JSON is read as a bare UTF-8 name (sft-pki/0's "
        "RQFL) instead of bad_frame",
        _legacy_raw_name,
    ),
    _m(
        "legacy-sece-rsci",
        "FRM-5",
        "test_app_leftover_frame_types.py",
        "L2: a legacy SECE frame is answered with sft-pki/0's refusal RSCI and a close, not "
        "EROR unexpected_frame",
        _legacy_sece_rsci,
    ),
    # lens 3
    _m(
        "alpn-server-preference",
        "PKI-TLS-2",
        "test_pki_tls.py",
        "L3: http/1.1 listed before sft-pki/1 in the responder's ALPN (a scanner's health "
        "probe): a client offering both is given http/1.1 and refused",
        _alpn_server_preference,
    ),
    # lens 4
    _m(
        "exists-casefold",
        "APP-PUT-1",
        "test_app_put_stored_bytes.py",
        "L4: exists judged case-blind against look-alikes: a put of Notes.txt is refused "
        "exists while the inbox holds only notes.txt",
        _exists_casefold,
    ),
    # lens 5
    _m(
        "own-alias-bypass",
        "PKI-ID-3",
        "test_pki_allow_list_verdicts.py",
        "L5: the responder's own alias passes its allow list (a loop-back test hook): a "
        "client certificate naming it is served",
        _own_alias_bypass,
    ),
    _m(
        "noop-keepalive",
        "FRM-5",
        "test_app_leftover_frame_types.py",
        "L5: a NOOP frame (a development keep-alive) is skipped, not answered "
        "unexpected_frame",
        _noop_keepalive,
    ),
    # lens 6
    _m(
        "done-hex-short",
        "APP-GET-2",
        "test_app_digest_leading_zeros.py",
        "L6: a get's DONE carries the SHA-256 as a hex number (BigInteger.toString(16)): a "
        "digest starting with 0 loses its leading zeros",
        _done_hex_short,
    ),
    _m(
        "put-hex-short",
        "APP-PUT-5",
        "test_app_digest_leading_zeros.py",
        "L6: a put is checked against its SHA-256 spelt as a hex number: an honest put whose "
        "digest starts with 0 is refused integrity_failed",
        _put_hex_short,
    ),
    # post-blind siblings
    _m(
        "ping-echo",
        "FRM-5",
        "test_app_leftover_frame_types.py",
        "(post-blind) L5: a PING frame (the debug build's liveness probe) is answered PONG "
        "and a close, not EROR unexpected_frame",
        _ping_echo,
    ),
    _m(
        "rsfl-sha-short",
        "APP-GET-2",
        "test_app_digest_leading_zeros.py",
        "(post-blind) L6: a get's RSFL carries the optional sha256, spelt as a hex number: "
        "a digest starting with 0 loses its leading zeros (DONE is right)",
        _rsfl_sha_short,
    ),
)
