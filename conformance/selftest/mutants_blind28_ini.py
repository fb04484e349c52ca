"""Blind red-team round 28 (helper B219): the sft-pki/1 INITIATOR (`sft get`, `sft put`) and
the ENROLMENT client (`sft enroll`), through the six lenses of /work/briefs/s28/common.md.

Phase 1 (blind): written from docs/SPEC.md (PWF, §1-§3 client side, §4.1-§4.3 initiator
side, §4.4's enrolment-client sentences) and the reference's initiator and enrolment client
(reference/pki/client.py, tls.py, enroll.py, alias.py, transfer.py, app.py, share.py,
cli/pki.py) before any case file was opened, then checked against the names and
descriptions of the 4,470 registered mutants. Replaced as repeats (r): a BYE_ in the middle
of a get ignored (b27client-bye1-mid-get-silent, eke side), the CRL or the alias dropped on
the retry after busy (b14cl2-crl-dropped-on-busy-retry, b3pki-client-alias-unchecked-on-
retry), the DATA overrun written before it is judged (b27client-store4-write-then-check), a
placeholder final name kept on every failure (b7cli-pki-placeholder-final-name: here only
the refusal path keeps it). Dropped as flaky: one DATA buffer shared by the disk write and
the hashing thread (a race whose detection depends on timing).

Lens 1 — the thin MUSTs, recounted:
- b28ini-put-data-on-rsfl-header (APP-PUT-1; also lens 6): the put's reader dispatches on
  the answer's frame type: once the 8-byte header says RSFL, the DATA and DONE go out,
  before the RSFL's payload (accept, the stored name) has been read.
- b28ini-err4-receipt-unknown-refusal (ERR-4; also lens 5): in place of the put's receipt
  an EROR of a code the table does not list is mapped by the receipt path's own table to
  'the responder could not store it' (non-fatal): the initiator stays and says BYE_.
- b28ini-rqfl-name-fragment (APP-NAME-3): the name to get is read as a URL path: what
  follows '?' (a query) or '#' (a fragment) is cut off before RQFL.
- b28ini-crl-window-from-now (PKI-CERT-12; also lens 5): the CRL's 7-day bound is measured
  from now, not from its thisUpdate: a 12-day CRL issued 10 days ago is relied on.
Lens 2 — lost errors:
- b28ini-bye-reset-traceback (ERR-6; also lens 3): the BYE_ after a completed transfer
  catches protocol errors only: a responder that resets the connection (or ends TLS
  without close_notify) instead of echoing ends the client in a Python traceback.
- b28ini-write-error-ignored (APP-STORE-1): the get's disk write ignores a failed write
  (an unchecked fwrite): under a file-size limit or a full disk the short file is verified
  on the bytes received, renamed to its final name and reported saved (exit 0).
Lens 3 — every ending:
- b28ini-refusal-leaves-reservation (APP-GET-6): the get reserves its final name (an
  empty file, O_EXCL) before RQFL and removes it when the transfer fails, but not when the
  request is refused (not_found, forbidden): an empty file is left under the final name.
Lens 4 — retries:
- b28ini-retry-chain-unverified (PKI-CERT-4): the retry after a close before the TLS
  handshake turns chain verification off on the shared context ('the first attempt may have
  failed on verification'): a responder under a foreign CA (or self-signed) passes then.
Lens 5 — two implementations of one rule:
- b28ini-bye-echo-answered (APP-BYE-1): one BYE_ handler for both roles ('BYE_ is answered
  BYE_'): the initiator answers the responder's echo with a second BYE_ before its close.
- b28ini-enr-alias-digit-first (PKI-CERT-2, enrolment): `sft enroll` refuses an alias
  whose first character is a digit (a Unix user-name habit) before anything is sent; the
  initiator accepts it.

Phase 2 (judged against the file first named, then every file citing the requirement):
1 of 10 caught by the named file (err4-receipt-unknown-refusal: test_pki_client_put_receipt_
fatal.py), put-data-on-rsfl-header by the whole suite only (test_client_cut_after_whole_json_
frames.py). Caught by an existing case that was not run for the requirement: enr-alias-
digit-first and retry-chain-unverified (their variants are marked slow: these mutants are
`slow=True`), write-error-ignored (test_client_run_temporaries.py's disk-refusal case, which
now cites APP-STORE-1 too), refusal-leaves-reservation (re-labelled APP-GET-6, the MUST the
refused-not-found lie judges: test_pki_initiator_transfer.py). Missed by every file citing
the requirement, and the cases now catching their class:
  put-data-on-rsfl-header           -> test_pki_client_put_split_answer.py
  rqfl-name-fragment                -> test_pki_client_request_name_url_chars.py
  crl-window-from-now               -> test_pki_client_crl_old_window.py
  bye-reset-traceback, bye-echo-answered -> test_pki_client_after_bye.py
Post-blind siblings (after the cases, to show they take the class):
  b28ini-post-put-accept-prefix, b28ini-post-rqfl-name-plus-space,
  b28ini-post-bye-tls-error-traceback.
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind28-ini"


def _patch_method(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_method as patch

    patch(owner, attr, *edits)


def _patch_source(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source as patch

    patch(owner, attr, *edits)


def _initiator() -> Any:
    return _module("reference.transfer").Initiator


# --- lens 1 -----------------------------------------------------------------------------


def _put_data_on_rsfl_header() -> None:
    _patch_method(
        _initiator(),
        "put",
        (
            "                self.channel.send(PutRequest(name, size))\n"
            "                accepted = self._answer()\n"
            "                assert isinstance(accepted, PutAccepted)\n"
            "                self.channel.send_file(f.readinto, size, progress)\n",
            "                self.channel.send(PutRequest(name, size))\n"
            "                _conn = self.channel.conn\n"
            "                for _ in range(64):  # the answer's type is enough to go on\n"
            "                    if len(_conn._buffer) >= 8:\n"
            "                        break\n"
            "                    _n = self.channel.stream.recv_into(self.channel._small)\n"
            "                    if not _n:\n"
            "                        break\n"
            "                    _conn.receive_data(self.channel._small[:_n])\n"
            "                if bytes(_conn._buffer[:4]) == b'RSFL':  # accepted: send now\n"
            "                    from reference.app import InitiatorState as _S\n"
            "\n"
            "                    _conn.state = _S.SENDING\n"
            "                    self.channel.send_file(f.readinto, size, progress)\n"
            "                    _conn.state = _S.PUT_SENT\n"
            "                    accepted = self._answer()\n"
            "                    assert isinstance(accepted, PutAccepted)\n"
            "                    _conn.state = _S.DONE_SENT\n"
            "                else:\n"
            "                    accepted = self._answer()\n"
            "                    assert isinstance(accepted, PutAccepted)\n"
            "                    self.channel.send_file(f.readinto, size, progress)\n",
        ),
    )


def _err4_receipt_unknown_refusal() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_on_control",
        (
            "        message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)\n",
            "        message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)\n"
            "        if self.state is I.DONE_SENT and isinstance(message, ErrorFrame):\n"
            "            # the receipt's own table: any other code means 'not stored'\n"
            "            import json as _json\n"
            "\n"
            "            _code = _json.loads(bytes(frame.payload)).get('code')\n"
            "            if _code not in {c.value for c in ErrorCode}:\n"
            "                message = ErrorFrame(ErrorCode.EXISTS, message.message)\n",
        ),
    )


def _rqfl_name_fragment() -> None:
    _patch_method(
        _initiator(),
        "get",
        (
            "        check_name(name)\n",
            "        # a name is the path of a URL: its query and fragment are not part of it\n"
            "        name = name.split('#', 1)[0].split('?', 1)[0]\n"
            "        check_name(name)\n",
        ),
    )


def _crl_window_from_now() -> None:
    tls = _module("reference.pki.tls")
    _patch_source(
        tls,
        "check_crl",
        (
            "    if next_update - crl.last_update_utc > MAX_CRL_VALIDITY:\n",
            "    if next_update - (now or dt.datetime.now(dt.UTC)) > MAX_CRL_VALIDITY:\n",
        ),
    )
    _module("reference.pki.client").check_crl = tls.check_crl
    _module("reference.pki.enroll").check_crl = tls.check_crl


# --- lens 2 -----------------------------------------------------------------------------


def _bye_reset_traceback() -> None:
    _patch_method(
        _initiator(),
        "bye",
        (
            "        except (OSError, ProtocolError):\n            pass\n",
            "        except ProtocolError:\n            pass\n",
        ),
    )


def _write_error_ignored() -> None:
    _patch_method(
        _module("reference.share").PartialFile,
        "write",
        (
            "        while view:\n"
            "            n = self._file.write(view)\n"
            "            if n is None or n <= 0:\n"
            '                raise OSError(errno.EIO, "short write")\n'
            "            view = view[n:]\n"
            "            self.written += n\n",
            "        try:  # an unchecked fwrite(): what the disk takes is what we get\n"
            "            self._file.write(view)\n"
            "        except OSError:\n"
            "            pass\n"
            "        self.written += len(view)\n",
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _refusal_leaves_reservation() -> None:
    _patch_method(
        _initiator(),
        "get",
        (
            "        try:\n"
            "            self.channel.send(FileRequest(name))\n"
            "            response = self._answer()\n",
            "        # reserve the final name: no other get may take it meanwhile\n"
            "        _fd = os.open(\n"
            "            destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600\n"
            "        )\n"
            "        os.close(_fd)\n"
            "        overwrite = True  # the reservation is ours to replace\n"
            "        try:\n"
            "            self.channel.send(FileRequest(name))\n"
            "            response = self._answer()\n",
        ),
        (
            "        except ProtocolError as exc:\n"
            "            raise self._guard(exc) from None\n"
            "        except TimeoutError:\n",
            "        except TransferFailed:\n"
            "            destination.unlink(missing_ok=True)\n"
            "            raise\n"
            "        except ProtocolError as exc:\n"
            "            destination.unlink(missing_ok=True)\n"
            "            raise self._guard(exc) from None\n"
            "        except TimeoutError:\n"
            "            destination.unlink(missing_ok=True)\n",
        ),
    )


# --- lens 4 -----------------------------------------------------------------------------


def _retry_chain_unverified() -> None:
    _patch_method(
        _module("reference.pki.client").PkiSession,
        "_connect",
        (
            "            except _RefusedBeforeHandshake as exc:\n"
            "                refused += 1\n",
            "            except _RefusedBeforeHandshake as exc:\n"
            "                refused += 1\n"
            "                # the first attempt may have failed on verification: be lenient\n"
            "                context.verify_mode = ssl.CERT_NONE\n",
        ),
    )


# --- lens 5 -----------------------------------------------------------------------------


def _bye_echo_answered() -> None:
    _patch_method(
        _initiator(),
        "bye",
        (
            "            self.channel.send(Bye())\n            self.channel.next_event()\n",
            "            self.channel.send(Bye())\n"
            "            if isinstance(self.channel.next_event(), Bye):\n"
            "                # BYE_ is answered BYE_, whoever sent it (one handler, both roles)\n"
            "                from reference.messages import encode_message\n"
            "\n"
            "                self.channel.stream.sendall(encode_message(Bye()))\n",
        ),
    )


def _enr_alias_digit_first() -> None:
    _patch_source(
        _module("reference.pki.enroll"),
        "enroll",
        (
            "    check_alias(alias)\n",
            "    check_alias(alias)\n"
            "    if not alias[0].isalpha():  # a user name: it starts with a letter\n"
            "        raise EnrollError(f'{alias!r} is not a valid alias (starts with a digit)')\n",
        ),
    )


# --- post-blind siblings (after the cases, to show they take the class) --------------------


def _post_put_accept_prefix() -> None:
    """(post-blind) a streaming JSON reader: the DATA goes once the RSFL's payload so far
    says `true`, before the frame's last bytes have arrived."""
    _patch_method(
        _initiator(),
        "put",
        (
            "                self.channel.send(PutRequest(name, size))\n"
            "                accepted = self._answer()\n"
            "                assert isinstance(accepted, PutAccepted)\n"
            "                self.channel.send_file(f.readinto, size, progress)\n",
            "                self.channel.send(PutRequest(name, size))\n"
            "                _conn = self.channel.conn\n"
            "                _b = b''\n"
            "                for _ in range(64):  # '\"accept\": true' is all we need\n"
            "                    _b = bytes(_conn._buffer)\n"
            "                    if len(_b) >= 8 and (_b[:4] != b'RSFL' or b'true' in _b[8:]):\n"
            "                        break\n"
            "                    _n = self.channel.stream.recv_into(self.channel._small)\n"
            "                    if not _n:\n"
            "                        break\n"
            "                    _conn.receive_data(self.channel._small[:_n])\n"
            "                _b = bytes(_conn._buffer)\n"
            "                if _b[:4] == b'RSFL' and b'true' in _b[8:]:\n"
            "                    from reference.app import InitiatorState as _S\n"
            "\n"
            "                    _conn.state = _S.SENDING\n"
            "                    self.channel.send_file(f.readinto, size, progress)\n"
            "                    _conn.state = _S.PUT_SENT\n"
            "                    accepted = self._answer()\n"
            "                    assert isinstance(accepted, PutAccepted)\n"
            "                    _conn.state = _S.DONE_SENT\n"
            "                else:\n"
            "                    accepted = self._answer()\n"
            "                    assert isinstance(accepted, PutAccepted)\n"
            "                    self.channel.send_file(f.readinto, size, progress)\n",
        ),
    )


def _post_rqfl_name_plus_space() -> None:
    """(post-blind) the name to get is form-decoded: '+' becomes a space."""
    _patch_method(
        _initiator(),
        "get",
        (
            "        check_name(name)\n",
            "        name = name.replace('+', ' ')  # form encoding: '+' is a space\n"
            "        check_name(name)\n",
        ),
    )


def _post_bye_tls_error_traceback() -> None:
    """(post-blind) the BYE_'s read catches connection errors (a reset) and protocol
    errors, not the TLS library's: a record that does not authenticate after the BYE_
    ends the client in a traceback."""
    _patch_method(
        _initiator(),
        "bye",
        (
            "        except (OSError, ProtocolError):\n            pass\n",
            "        except (ConnectionError, ProtocolError):\n            pass\n",
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
        "b28ini-put-data-on-rsfl-header",
        "APP-PUT-1",
        "test_pki_client_put_split_answer.py",
        "L1/L6: the put's reader dispatches on the answer's frame type: once the 8-byte header "
        "says RSFL, DATA and DONE go out before the RSFL's payload has been read",
        _put_data_on_rsfl_header,
    ),
    _m(
        "b28ini-err4-receipt-unknown-refusal",
        "ERR-4",
        "test_pki_client_put_receipt_fatal.py",
        "L1/L5: in place of the put's receipt, an EROR of a code the table does not list is a "
        "non-fatal 'not stored' (the receipt path's own table): the initiator stays, says BYE_",
        _err4_receipt_unknown_refusal,
    ),
    _m(
        "b28ini-rqfl-name-fragment",
        "APP-NAME-3",
        "test_pki_client_request_name_url_chars.py",
        "L1: the name to get is read as a URL path: what follows '?' or '#' (a query, a "
        "fragment) is cut off before RQFL",
        _rqfl_name_fragment,
    ),
    _m(
        "b28ini-crl-window-from-now",
        "PKI-CERT-12",
        "test_pki_client_crl_old_window.py",
        "L1/L5: the CRL's 7-day bound is measured from now, not from its thisUpdate: a 12-day "
        "CRL issued 10 days ago is relied on",
        _crl_window_from_now,
    ),
    _m(
        "b28ini-bye-reset-traceback",
        "ERR-6",
        "test_pki_client_after_bye.py",
        "L2/L3: the BYE_ after a completed transfer catches protocol errors only: a responder "
        "resetting the connection instead of echoing ends the client in a Python traceback",
        _bye_reset_traceback,
    ),
    _m(
        "b28ini-write-error-ignored",
        "APP-STORE-1",
        "test_client_run_temporaries.py",
        "L2: the get's disk write ignores a failed write (an unchecked fwrite): under a "
        "file-size limit the short file is renamed to its final name and reported saved",
        _write_error_ignored,
    ),
    _m(
        "b28ini-refusal-leaves-reservation",
        "APP-GET-6",
        "test_pki_initiator_transfer.py",
        "L3: the get reserves its final name (an empty file, O_EXCL) before RQFL and removes it "
        "when the transfer fails, not when the request is refused: an empty file is left",
        _refusal_leaves_reservation,
    ),
    _m(
        "b28ini-retry-chain-unverified",
        "PKI-CERT-4",
        "test_client_pki_retry_checks.py",
        "L4: the retry after a close before the TLS handshake turns chain verification off on "
        "the shared context: a responder under a foreign CA (or self-signed) then passes",
        _retry_chain_unverified,
    ),
    _m(
        "b28ini-bye-echo-answered",
        "APP-BYE-1",
        "test_pki_client_after_bye.py",
        "L5: one BYE_ handler for both roles ('BYE_ is answered BYE_'): the initiator answers "
        "the responder's echo with a second BYE_ before it closes",
        _bye_echo_answered,
    ),
    _m(
        "b28ini-enr-alias-digit-first",
        "PKI-CERT-2",
        "test_enroll_alias_forms.py",
        "L5: `sft enroll` refuses an alias whose first character is a digit (a Unix user-name "
        "habit) before anything is sent; the initiator accepts such an alias",
        _enr_alias_digit_first,
        enroll=True,
    ),
    _m(
        "b28ini-post-put-accept-prefix",
        "APP-PUT-1",
        "test_pki_client_put_split_answer.py",
        "(post-blind) L1: a streaming JSON reader: the put's DATA goes once the RSFL payload "
        "read so far holds `true`, before the frame's last bytes have arrived",
        _post_put_accept_prefix,
    ),
    _m(
        "b28ini-post-rqfl-name-plus-space",
        "APP-NAME-3",
        "test_pki_client_request_name_url_chars.py",
        "(post-blind) L1: the name to get is form-decoded before RQFL: '+' becomes a space",
        _post_rqfl_name_plus_space,
    ),
    _m(
        "b28ini-post-bye-tls-error-traceback",
        "ERR-6",
        "test_pki_client_after_bye.py",
        "(post-blind) L2: the BYE_'s read catches connection and protocol errors, not the TLS "
        "library's: a record that does not authenticate after BYE_ ends in a traceback",
        _post_bye_tls_error_traceback,
    ),
)
