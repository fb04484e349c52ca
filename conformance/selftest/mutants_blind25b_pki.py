"""Blind red-team round 25, second pass (helper B177): the sft-pki/1 responder and the
application protocol it serves, through the six lenses of /work/briefs/s25/common.md.

Phase 1 (blind): written from docs/SPEC.md (§1-§3, §4.1-§4.3, §6) and the reference
(reference/pki/peer.py, tls.py, reference/app.py, frames.py, messages.py, transfer.py,
share.py) before any case file or independent implementation was opened, then checked
against the names and descriptions of the 4,143 registered mutants and the first pass's
docstring (mutants_blind25_pki.py). Replaced as repeats (r) before planting: the client's
alias checked as a host name (lead18-pki-alias-host-name), the busy path without a client
certificate (b25pki-busy-no-cert), the alias from SNI (cov-pki-identity-from-sni), the
reserved prefix on the whole name (b6pki-put-reserved-prefix-fullname), a put committed at
EOF once its bytes are in (b2app-pki-commit-on-eof), surrogateescape names
(b6app-surrogate-escape-name), BYE_ ending a put (b3pki-bye-during-put), a get read whole
(lead18-pki-get-read-whole), a non-fatal EROR in IDLE kept open
(b10pki-nonfatal-eror-continues), the DONE digest compared case-blind
(b18pki-done-sha-case-blind), a self-signed client let through by the verify callback
(b6pki-selfsigned-allowed), a DONE without sha256 (b4pki-done-sha256-optional), names
of puts in progress reserved after a drop (b13ops-pki-reservation-kept-after-drop).

Lens 1 — the thin MUSTs (the shapes the registered ones do not take):
- b25bpki-eror-cancels-put (APP-3): an EROR with a non-fatal code received during a put
  cancels that put (its temporary removed) and returns the connection to IDLE, where the
  next request is served; the table's row is "any | EROR | discard, close".
- b25bpki-put-size-shared (APP-STORE-4): the size a put announced is one server-wide value
  (the last PUTF of any connection): a put's DATA beyond its own size is written to disk
  while a larger put is in progress on another connection, refused only at DONE.
- b25bpki-excess-unchecked-with-digest (APP-PUT-6): the header-time excess check is skipped
  for a put whose PUTF carries sha256 ("DONE's digest will catch it"): the excess is found
  only by the disk write, once its payload came.
Lens 2 — the first draft:
- b25bpki-chain-checks-every-cert (PKI-CERT-10): the post-handshake employee checks run on
  every certificate the client sent: a client sending the root after its certificate (which
  RFC 8446 allows) is refused for the root's CA:TRUE.
- b25bpki-refusal-says-bye (APP-1): a connection refused by the allow list gets
  `forbidden`, then a BYE_ from the responder ("the session ends politely"), then the close.
- b25bpki-escaped-pair-refused (FRM-15): every `\\uD800`-`\\uDFFF` escape in a control
  payload is refused bad_frame, those of a valid surrogate pair (an escaped emoji) too.
- b25bpki-short-put-accepted (APP-PUT-5): APP-PUT-4's "the source changed during the put"
  read as "a shorter put is fine": a DONE whose size and digest match the bytes received,
  fewer than PUTF announced, stores the put.
Lens 3 — compatibility shims:
- b25bpki-done-sha-sha256sum-line (FRM-16): DONE.sha256 is taken as `sha256sum` output:
  its first white-space separated word ("<hex>  -\\n" or "<hex>\\n" accepted).
Lens 5 — the platform underneath:
- b25bpki-flush-after-refusal (FRM-1): after a non-fatal refusal the responder discards
  its pending input (a line protocol's resynchronisation): a request pipelined behind a
  refused one is never answered.

Phase 2 (blind run): 3 of 9 detected — chain-checks-every-cert by the named file
(test_pki_client_chain_layouts.py), short-put-accepted by test_app_put.py (fewer-bytes),
flush-after-refusal by another file citing APP-2 (test_app_bye_behind_requests.py; it was
first named test_app_refusals.py). Missed by the named file AND every file citing the
requirement: eror-cancels-put, put-size-shared, excess-unchecked-with-digest,
refusal-says-bye, escaped-pair-refused (test_app_json_escape_forms.py catches it, but cited
VEC-2/APP-PUT-2 only), done-sha-sha256sum-line.

Phase 3, cases for their class (each PASSes the reference three times and pki1, pki2, pki6,
pki7; the app files also eke1, eke2, eke3):
  eror-cancels-put      test_app_put_cut_by_eror.py: an EROR of each non-fatal code, a
      fatal one and an unknown one, right after the accept / after half / after all the
      bytes, with an RQFL behind it in the same write: the close, never RSFL; the name then
      free for an honest put — sibling: eror-after-all-data-commits
  put-size-shared, excess-unchecked-with-digest
                        test_app_put_excess_conditions.py: the excess (its header only over
      pki) of a put whose PUTF carries sha256 (right and wrong), and of a put beside a larger
      put in progress on another connection announced after / before it: integrity_failed at
      once, the other put completed
  done-sha-sha256sum-line
                        test_app_put_done_digest_forms.py: the right digest in eight wrong
      forms (line end, sha256sum's lines, leading space, upper case, 0x, 63/65 digits):
      bad_frame or integrity_failed, nothing stored — sibling: done-sha-stripped
  refusal-says-bye      test_pki_allow_refusal_last_frame.py: after the allow list's
      forbidden (a get, a put) the next event is the end of the stream
  escaped-pair-refused  test_app_json_escape_forms.py's put case now also cites FRM-15
      (one marker edited)
Post-blind siblings (marked so): b25bpki-eror-after-all-data-commits,
b25bpki-done-sha-stripped. Final: 11 of 11 detected (-k b25bpki).
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind25b-pki"


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


def _tls() -> Any:
    return _module("reference.pki.tls")


# --- lens 1 -----------------------------------------------------------------------------


def _eror_cancels_put() -> None:
    app = _app()
    app._TRANSITIONS[(app.ResponderState.RECEIVING, app.T_EROR)] = app.ResponderState.IDLE
    _patch(
        _transfer().Responder,
        "_put",
        (
            "            try:\n"
            "                self.channel.receive_file(partial, request.size, None)\n"
            "            finally:\n",
            "            try:\n"
            "                try:\n"
            "                    self.channel.receive_file(partial, request.size, None)\n"
            "                except TransferFailed as exc:\n"
            "                    if exc.code.fatal:\n"
            "                        raise\n"
            "                    self.log(f'put cancelled by the initiator: {exc}')\n"
            "                    return\n"
            "            finally:\n",
        ),
    )


def _put_size_shared() -> None:
    app = _app()
    share = _share()
    shared: dict[str, int] = {}
    app._b25b_shared = shared
    share._b25b_shared = shared
    _patch(
        app.ApplicationConnection,
        "_on_control",
        (
            "        elif isinstance(message, PutRequest):\n"
            "            self._incoming = _Transfer("
            "message.size, message.sha256, self._digest_factory)\n",
            "        elif isinstance(message, PutRequest):\n"
            "            self._incoming = _Transfer("
            "message.size, message.sha256, self._digest_factory)\n"
            "            _b25b_shared['size'] = message.size  # the one 'expected size'\n",
        ),
    )
    _patch(
        app.ApplicationConnection,
        "_next_event",
        (
            "            if self._incoming.count + length > self._incoming.announced:\n",
            "            expected = self._incoming.announced\n"
            "            if self.role is RESPONDER:\n"
            "                expected = _b25b_shared.get('size', expected)\n"
            "            if self._incoming.count + length > expected:\n",
        ),
    )
    _patch(
        share.PartialFile,
        "write",
        (
            "        if self.written + len(view) > self.limit:\n",
            "        if self.written + len(view) > _b25b_shared.get('size', self.limit):\n",
        ),
    )


def _excess_unchecked_with_digest() -> None:
    _patch(
        _app().ApplicationConnection,
        "_next_event",
        (
            "            if self._incoming.count + length > self._incoming.announced:\n",
            "            if (\n"
            "                self._incoming.expected_sha256 is None\n"
            "                and self._incoming.count + length > self._incoming.announced\n"
            "            ):\n",
        ),
    )


# --- lens 2 -----------------------------------------------------------------------------


def _chain_checks_every_cert() -> None:
    tls = _tls()
    original = tls.peer_alias

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        alias: str = original(sock, as_server=as_server)
        if as_server:
            # "the chain must be an employee's": every certificate sent gets the checks
            for cert in sock._sslobj.get_unverified_chain() or []:
                tls.check_peer_certificate(cert.public_bytes(2), as_server=True)
        return alias

    tls.peer_alias = peer_alias
    _module("reference.pki.peer").peer_alias = peer_alias


def _refusal_says_bye() -> None:
    _patch(
        _transfer().Responder,
        "run",
        (
            "                    channel.send("
            "ErrorFrame(ErrorCode.FORBIDDEN, self.policy.refusal))\n"
            "                    return\n",
            "                    channel.send("
            "ErrorFrame(ErrorCode.FORBIDDEN, self.policy.refusal))\n"
            "                    channel.stream.sendall(b'BYE_\\x00\\x00\\x00\\x02{}')\n"
            "                    return\n",
        ),
    )


def _escaped_pair_refused() -> None:
    frames = _module("reference.frames")
    _patch_function(
        frames,
        "loads_control",
        (
            "        text = bytes(payload).decode(\"utf-8\")\n",
            "        text = bytes(payload).decode(\"utf-8\")\n"
            "        if re.search(r'\\\\u[dD][89a-fA-F][0-9a-fA-F]{2}', text):\n"
            "            raise ValueError('surrogate escapes are not Unicode text')\n",
        ),
    )
    _module("reference.messages").loads_control = frames.loads_control


def _short_put_accepted() -> None:
    _patch(
        _app()._Transfer,
        "check_done",
        (
            "        if not (done.size == self.announced == self.count and done.sha256 == sha):\n",
            "        if not (done.size == self.count <= self.announced and done.sha256 == sha):\n",
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _done_sha_sha256sum_line() -> None:
    messages = _module("reference.messages")
    messages._SCHEMAS["DONE"] = {"size": ("int", True), "sha256": ("str", True)}
    _patch_function(
        messages,
        "decode_message",
        (
            '        return Done(obj["size"], obj["sha256"])\n',
            '        return Done(obj["size"], (obj["sha256"].split() or [""])[0])\n',
        ),
    )
    _app().decode_message = messages.decode_message


# --- post-blind siblings (phase 3) -------------------------------------------------------


def _eror_after_all_data_commits() -> None:
    _patch(
        _transfer().Responder,
        "_put",
        (
            "            try:\n"
            "                self.channel.receive_file(partial, request.size, None)\n"
            "            finally:\n",
            "            try:\n"
            "                try:\n"
            "                    self.channel.receive_file(partial, request.size, None)\n"
            "                except TransferFailed:\n"
            "                    if partial.written != request.size:\n"
            "                        raise\n"
            "                    partial.commit()  # every byte is in: its error is its own\n"
            "                    return\n"
            "            finally:\n",
        ),
    )


def _done_sha_stripped() -> None:
    messages = _module("reference.messages")
    messages._SCHEMAS["DONE"] = {"size": ("int", True), "sha256": ("str", True)}
    _patch_function(
        messages,
        "decode_message",
        (
            '        return Done(obj["size"], obj["sha256"])\n',
            '        return Done(obj["size"], obj["sha256"].strip())\n',
        ),
    )
    _app().decode_message = messages.decode_message


# --- lens 5 -----------------------------------------------------------------------------


def _flush_after_refusal() -> None:
    _patch(
        _transfer().Responder,
        "_refuse",
        (
            "        self.channel.send(ErrorFrame(exc.code, exc.message))\n",
            "        self.channel.send(ErrorFrame(exc.code, exc.message))\n"
            "        self.channel.conn._buffer.clear()  # resynchronise after an error\n",
        ),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b25bpki-eror-cancels-put",
        "APP-3",
        "test_app_put_cut_by_eror.py",
        "L1: an EROR with a non-fatal code received during a put cancels the put (temporary "
        "removed) and returns the connection to IDLE, where the next request is served",
        _eror_cancels_put,
    ),
    _m(
        "b25bpki-put-size-shared",
        "APP-STORE-4",
        "test_app_put_excess_conditions.py",
        "L1: the size a put announced is one server-wide value (the last PUTF of any "
        "connection): DATA beyond a put's own size is written while a larger put is in "
        "progress elsewhere, refused only at DONE",
        _put_size_shared,
    ),
    _m(
        "b25bpki-excess-unchecked-with-digest",
        "APP-PUT-6",
        "test_app_put_excess_conditions.py",
        "L1: the header-time excess check is skipped for a put whose PUTF carries sha256: "
        "DATA beyond the announced size is refused only once its payload reaches the disk",
        _excess_unchecked_with_digest,
    ),
    _m(
        "b25bpki-chain-checks-every-cert",
        "PKI-CERT-10",
        "test_pki_client_chain_layouts.py",
        "L2: the employee checks run on every certificate the client sent: a client sending "
        "the root after its certificate is refused for the root's CA:TRUE",
        _chain_checks_every_cert,
    ),
    _m(
        "b25bpki-refusal-says-bye",
        "APP-1",
        "test_pki_allow_refusal_last_frame.py",
        "L2: a connection refused by the allow list gets forbidden, then a BYE_ of the "
        "responder's own, then the close",
        _refusal_says_bye,
    ),
    _m(
        "b25bpki-escaped-pair-refused",
        "FRM-15",
        "test_app_json_escape_forms.py",
        "L2: every \\uD800-\\uDFFF escape in a control payload is refused bad_frame, those of "
        "a valid surrogate pair (an escaped emoji in a name) too",
        _escaped_pair_refused,
    ),
    _m(
        "b25bpki-short-put-accepted",
        "APP-PUT-5",
        "test_app_put.py",
        "L2: a DONE whose size and digest match the bytes received, fewer than PUTF "
        "announced, stores the put (APP-PUT-4's changed source misread)",
        _short_put_accepted,
    ),
    _m(
        "b25bpki-done-sha-sha256sum-line",
        "FRM-16",
        "test_app_put_done_digest_forms.py",
        "L3: DONE.sha256 taken as sha256sum output, its first white-space separated word: "
        "'<hex>  -' or '<hex>\\n' accepted instead of bad_frame or integrity_failed",
        _done_sha_sha256sum_line,
    ),
    _m(
        "b25bpki-flush-after-refusal",
        "APP-2",
        "test_app_bye_behind_requests.py",
        "L5: after a non-fatal refusal the responder discards its pending input: a request "
        "pipelined behind a refused one is never answered",
        _flush_after_refusal,
    ),
    _m(
        "b25bpki-eror-after-all-data-commits",
        "APP-3",
        "test_app_put_cut_by_eror.py",
        "(post-blind) an EROR from the initiator once every announced byte of its put is in "
        "commits the put (the error taken as the initiator's own) before the close",
        _eror_after_all_data_commits,
    ),
    _m(
        "b25bpki-done-sha-stripped",
        "FRM-16",
        "test_app_put_done_digest_forms.py",
        "(post-blind) DONE.sha256 stripped of white space before it is compared: a digest "
        "with a line end after it, or a space before, stores the put",
        _done_sha_stripped,
    ),
)
