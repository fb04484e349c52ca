"""Blind round 5 (brief B14): bugs of the sft-pki/1 responder and initiator, written from
docs/SPEC.md §1-§4 and §6 and the reference modules only, before reading any case file.

The blind list (name -> requirement -> the bug; group of /work/briefs/s7/blind5_common.md):

Responder (planted in `sft peer serve`):
- b5pki-get-name-stripped -> APP-NAME-3 -> (a) the share strips the requested name
  (`name.strip()`): a get of "hello.txt " serves hello.txt.
- b5pki-controls-by-isprintable -> APP-NAME-8 -> (a) control characters tested with
  `not c.isprintable()`: U+00A0, U+202F (not C0/C1/bidi) are refused.
- b5pki-json-decode-replace -> FRM-9 -> (a) control payloads decoded with
  `errors="replace"`: invalid UTF-8 becomes U+FFFD instead of `bad_frame`.
- b5pki-sha256-any-case -> FRM-12 -> (a) sha256 members matched case-insensitively (and
  compared lowercased): an uppercase digest is accepted.
- b5pki-alpn-none-accepted -> PKI-TLS-2 -> (a) the ALPN check lets a ClientHello without
  ALPN through (`not in (ALPN, None)`).
- b5pki-last-component-unchecked -> APP-NAME-2 -> (b) '', '.', '..' are checked on every
  component but the last (`parts[:-1]`): "sub/.." is `not_found`/`exists`, not forbidden.
- b5pki-bidi-range-short -> APP-NAME-8 -> (b) the bidi set is range(0x202A, 0x202E): U+202E
  (RIGHT-TO-LEFT OVERRIDE) itself is let through.
- b5pki-del-accepted -> APP-NAME-2 -> (b) the control check starts the C1 range at 0x80:
  DEL (U+007F) is accepted in a name.
- b5pki-putf-sha-ignored -> APP-PUT-5 -> (b) of the two digests only DONE's is compared;
  PUTF.sha256 is never checked.
- b5pki-control-buffered-first -> FRM-3 -> (c) a control frame is read whole before its
  header is judged: an oversize announcement gets no answer until its payload came.
- b5pki-pending-slot-leaked -> LIM-5 -> (c) a connection whose TLS handshake failed never
  gives its pending slot back: after 8 failed handshakes the address is locked out.
- b5pki-pending-cap-global -> LIM-8 -> (c) the per-address cap counts every pending
  handshake, whatever its address.
- b5pki-put-sha-prefix -> APP-PUT-5 -> (d) DONE.sha256 compared on its first 16 hex digits.
- b5pki-ku-key-agreement -> PKI-CERT-9 -> (d) a client certificate whose KeyUsage is
  keyAgreement (no digitalSignature) is accepted.
- b5pki-sig-any-sha2 -> PKI-CERT-9 -> (d) a certificate signed with SHA-384/512 passes the
  "SHA-256" check (`isinstance(.., SHA256 | SHA384 | SHA512)`).
- b5pki-put-commit-replaces -> APP-PUT-8 -> (e) the put commits with os.replace: of two
  concurrent puts of one name the later silently replaces the earlier.
- b5pki-put-exists-swallowed -> APP-PUT-8 -> (e) the FileExistsError of the no-replace link
  is swallowed: the losing put is answered DONE though nothing of it was stored.
- b5pki-partial-named-after-final -> APP-PUT-8 -> (e) the temporary is
  `.sft-partial-<final name>`: a second concurrent put of one name hits O_EXCL and the
  connection is dropped without an answer.
- b5pki-data-in-idle-drained -> FRM-6 -> (f) DATA in IDLE (after a refused put) is drained
  silently instead of `unexpected_frame`.
- b5pki-done-in-idle-drained -> APP-1 -> (f) DONE in IDLE is drained silently.
- b5pki-bye-aborts-put -> APP-BYE-1 -> (f) BYE_ during a put ends it quietly (close_notify,
  no `unexpected_frame`).
- b5pki-integrity-resets -> ERR-3 -> (f) after EROR integrity_failed the responder starts
  afresh on the same connection instead of closing.

Initiator (`client=True`, the reference's `sft get`/`sft put` mutated):
- b5pki-client-no-crl-flag -> PKI-CERT-7 -> (a) the initiator loads the CRL into its store
  but never sets VERIFY_CRL_CHECK_LEAF: a revoked responder is accepted.
- (dropped after phase 2) b5pki-client-eku-wrong-purpose -> PKI-CERT-5 -> (d) the initiator
  checks clientAuth (the wrong variable) on the responder's certificate: equivalent under
  OpenSSL, whose purpose check refuses every server certificate without serverAuth
  (anyExtendedKeyUsage included) before the reference's own check runs.
- b5pki-client-rsfl-sha-ignored -> APP-GET-3 -> (b) RSFL.sha256 is never compared.
- b5pki-client-sha-prefix -> APP-GET-3 -> (d) DONE.sha256 compared on its first 16 digits.
- b5pki-client-accept-any-bool -> APP-PUT-9 -> (a) `accept` checked as a JSON boolean:
  `"accept": false` starts the put.
- b5pki-client-alias-prefix -> PKI-ID-4 -> (b) the responder's CN is matched with
  `startswith(alias)`: alice2 passes for alice.
- b5pki-client-tls12-offered -> PKI-TLS-1 -> (a) the initiator's minimum version is TLS 1.2.
- b5pki-client-size-vs-done-only -> APP-GET-3 -> (b) at DONE the count is compared with
  DONE.size only, not with RSFL.size: a short file with a matching DONE is kept.

Phase 2 (the suite as it was): 27 of the 29 valid bugs caught (93 %; the client EKU bug is
equivalent under OpenSSL and was dropped). Escaped: b5pki-put-sha-prefix (every put
lie changed the whole digest: a truncated comparison passed) and
b5pki-client-rsfl-sha-ignored (the case with a wrong RSFL.sha256 ran only in the slow
tier). Three test_file guesses were wrong and are corrected (integrity-resets,
client-tls12-offered, pending-slot-leaked: caught by test_app_put.py,
test_pki_hardening.py, test_limits.py). Phase 3: test_app_put.py
`test_put_digest_compared_on_every_digit` (one wrong hex digit at the start, middle and
end of DONE.sha256 and PUTF.sha256), the RSFL.sha256 lie in the default tier, more
failed handshakes than the per-address cap in test_limits.py's abuse case, and an
initiator case for a clientAuth + anyExtendedKeyUsage responder certificate.

Added after phase 2, written knowing the cases (all caught as planted): pending-cap-per-port,
allow-refusal-keeps-open, pipelined-rest-dropped, dir-components-followed,
last-component-followed.
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _app() -> Any:
    return _module("reference.app")


def _share() -> Any:
    return _module("reference.share")


def _tls() -> Any:
    return _module("reference.pki.tls")


# --- (a) library and API misuse ---------------------------------------------------------


def _get_name_stripped() -> None:
    _patch_source(
        _share().ShareDirectory,
        "open",
        ("parts = check_name(name)", "name = name.strip()\n    parts = check_name(name)"),
    )


def _controls_by_isprintable() -> None:
    _patch_source(
        _share(),
        "check_name",
        (
            "if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in name):",
            "if any(not c.isprintable() for c in name):",
        ),
    )


def _json_decode_replace() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "loads_control",
        ('bytes(payload).decode("utf-8")', 'bytes(payload).decode("utf-8", errors="replace")'),
    )
    _module("reference.messages").loads_control = frames.loads_control


def _sha256_any_case() -> None:
    re = _module("re")
    _module("reference.frames")._SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")
    _patch_source(
        _app()._Transfer,
        "check_done",
        ("done.sha256 == sha", "done.sha256.lower() == sha"),
        ("self.expected_sha256 != sha", "self.expected_sha256.lower() != sha"),
    )


def _alpn_none_accepted() -> None:
    tls = _tls()
    _patch_source(
        tls,
        "peer_alias",
        ("!= ALPN:", "not in (ALPN, None):"),
    )
    _module("reference.pki.peer").peer_alias = tls.peer_alias


# --- (b) only part of a list checked ----------------------------------------------------


def _last_component_unchecked() -> None:
    _patch_source(_share(), "check_name", ("for part in parts:", "for part in parts[:-1]:"))


def _bidi_range_short() -> None:
    share = _share()
    share._BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202E), *range(0x2066, 0x206A)]))


def _del_accepted() -> None:
    _patch_source(_share(), "check_name", ("0x7F <= ord(c) <= 0x9F", "0x80 <= ord(c) <= 0x9F"))


def _putf_sha_ignored() -> None:
    _patch_source(
        _app()._Transfer,
        "check_done",
        ("if self.expected_sha256 is not None and", "if False and"),
    )


def _size_vs_done_only() -> None:
    _patch_source(
        _app()._Transfer,
        "check_done",
        ("done.size == self.announced == self.count", "done.size == self.count"),
    )


def _alias_prefix() -> None:
    _patch_source(
        _module("reference.pki.client").PkiSession,
        "_connect_once",
        ("if name != self.alias:", "if not name.startswith(self.alias):"),
    )


# --- (c) resources ----------------------------------------------------------------------


def _control_buffered_first() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_next_event",
        (
            "if len(buf) < HEADER_SIZE:\n            return self._starved()\n",
            "if len(buf) < HEADER_SIZE:\n            return self._starved()\n"
            "        if bytes(buf[:4]) != T_DATA and len(buf) < HEADER_SIZE + "
            'int.from_bytes(buf[4:8], "big"):\n'
            "            return self._starved()\n",
        ),
    )


def _pending_slot_leaked() -> None:
    _patch_source(
        _module("reference.admission").Admission,
        "release",
        ("if key in self._pending:", "if False:"),
    )


def _pending_cap_global() -> None:
    _patch_source(
        _module("reference.admission").Admission,
        "pending_from",
        ("return self._pending_by_address.get(address, 0)", "return len(self._pending)"),
    )


# --- (d) cryptographic details ----------------------------------------------------------


def _sha_prefix() -> None:
    _patch_source(
        _app()._Transfer,
        "check_done",
        ("done.sha256 == sha", "done.sha256[:16] == sha[:16]"),
    )


def _ku_key_agreement() -> None:
    _patch_source(
        _tls(),
        "check_peer_certificate",
        ("if not ku.digital_signature:", "if not (ku.digital_signature or ku.key_agreement):"),
    )


def _sig_any_sha2() -> None:
    _patch_source(
        _tls(),
        "_check_algorithms",
        ("hashes.SHA256)", "hashes.SHA256 | hashes.SHA384 | hashes.SHA512)"),
    )


def _client_no_crl_flag() -> None:
    _patch_source(_tls(), "_load_trust", ("ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF", "pass"))


def _client_tls12_offered() -> None:
    tls = _tls()
    ssl = _module("ssl")
    client = _module("reference.pki.client")
    original = tls.client_context

    def client_context(identity: Any, crl_der: bytes) -> Any:
        ctx = original(identity, crl_der)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx

    client.client_context = client_context


def _accept_any_bool() -> None:
    schemas = _module("reference.messages")._SCHEMAS
    schemas["RSFL-put"] = {"accept": ("bool", True), "name": ("str", True)}


# --- (e) concurrency --------------------------------------------------------------------


def _put_commit_replaces() -> None:
    _patch_source(
        _module("reference.transfer").Responder,
        "_put",
        ("partial.commit()", "partial.commit(overwrite=True)"),
    )


def _put_exists_swallowed() -> None:
    _patch_source(
        _share().PartialFile,
        "commit",
        (
            "except FileExistsError:\n        self.abort()\n        raise",
            "except FileExistsError:\n        self.abort()\n        return\n        raise",
        ),
    )


def _partial_named_after_final() -> None:
    _patch_source(
        _share().PartialFile,
        "__init__",
        ("{secrets.token_hex(12)}", "{final_name}"),
    )


# --- (f) the state machine --------------------------------------------------------------


def _drained_in_idle(frame_type: str) -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_next_event",
        (
            "frame_type, length = self._header\n",
            "frame_type, length = self._header\n"
            "    if self.role is RESPONDER and self.state is R.IDLE"
            f" and frame_type == {frame_type}:\n"
            "        if len(buf) < length:\n"
            "            return self._starved()\n"
            "        del buf[:length]\n"
            "        self._header = None\n"
            "        return self._next_event()\n",
        ),
    )


def _bye_aborts_put() -> None:
    app = _app()
    app._TRANSITIONS[(app.R.RECEIVING, app.T_BYE)] = app.R.CLOSED
    _patch_source(
        _module("reference.transfer")._Channel,
        "receive_file",
        (
            "elif isinstance(event, ErrorFrame):",
            "elif isinstance(event, Bye):\n"
            '            raise TransferFailed(ErrorCode.INTERNAL, "bye", remote=True)\n'
            "        elif isinstance(event, ErrorFrame):",
        ),
    )


def _integrity_resets() -> None:
    app = _app()
    transfer = _module("reference.transfer")
    errors = _module("reference.errors")
    original_run = transfer.Responder.run
    original_fail = transfer._Channel.fail

    def fail(self: Any, exc: Any) -> None:
        original_fail(self, exc)
        if getattr(exc, "code", None) is errors.ErrorCode.INTEGRITY_FAILED:
            # "the transfer failed, the connection is fine": start afresh
            self.conn = app.ApplicationConnection(
                app.RESPONDER, self.conn.config, digest_factory=transfer.PipelinedSha256
            )
            self.restart = True

    def run(self: Any) -> None:
        for _ in range(64):
            self.channel.restart = False
            original_run(self)
            if not self.channel.restart:
                return

    transfer._Channel.fail = fail
    transfer.Responder.run = run


# --- added after phase 2 (not blind: written after reading the case files) -------------


def _pending_cap_per_port() -> None:
    _patch_source(
        _module("reference.pki.peer").PeerServer,
        "_dispatch",
        ("admit(key, addr[0])", 'admit(key, f"{addr[0]}:{addr[1]}")'),
    )


def _allow_refusal_keeps_open() -> None:
    _patch_source(
        _module("reference.transfer").Responder,
        "run",
        (
            "self.policy.refusal))\n                return",
            "self.policy.refusal))\n                continue",
        ),
    )


def _pipelined_rest_dropped() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "send",
        (
            "data = encode_message(event)\n",
            "data = encode_message(event)\n"
            "    if nxt is R.IDLE and self.role is RESPONDER:\n"
            "        self._buffer.clear()  # a fresh start for the next request\n",
        ),
    )


def _nofollow_dropped(flags: str) -> None:
    share = _share()
    setattr(share, flags, getattr(share, flags) & ~_module("os").O_NOFOLLOW)


def _m(
    name: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
    *,
    client: bool = False,
) -> Mutant:
    return Mutant(
        name=f"b5pki-{name}",
        group="b5pki-client" if client else "b5pki",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=client,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "get-name-stripped",
        "APP-NAME-3",
        "test_app_names.py",
        "the share strips the requested name before opening it",
        _get_name_stripped,
    ),
    _m(
        "controls-by-isprintable",
        "APP-NAME-8",
        "test_app_names_controls.py",
        "names refused when not str.isprintable(): U+00A0 and U+202F refused",
        _controls_by_isprintable,
    ),
    _m(
        "json-decode-replace",
        "FRM-9",
        "test_framing.py",
        "control payloads decoded with errors='replace'",
        _json_decode_replace,
    ),
    _m(
        "sha256-any-case",
        "FRM-12",
        "test_framing.py",
        "sha256 members accepted in upper case and compared lowercased",
        _sha256_any_case,
    ),
    _m(
        "alpn-none-accepted",
        "PKI-TLS-2",
        "test_pki_tls.py",
        "a connection without ALPN is served",
        _alpn_none_accepted,
    ),
    _m(
        "last-component-unchecked",
        "APP-NAME-2",
        "test_app_names.py",
        "'', '.' and '..' refused in every component but the last",
        _last_component_unchecked,
    ),
    _m(
        "bidi-range-short",
        "APP-NAME-8",
        "test_app_names_controls.py",
        "the bidi range stops before U+202E",
        _bidi_range_short,
    ),
    _m(
        "del-accepted",
        "APP-NAME-2",
        "test_app_names.py",
        "DEL (U+007F) accepted in names",
        _del_accepted,
    ),
    _m(
        "putf-sha-ignored",
        "APP-PUT-5",
        "test_app_put.py",
        "PUTF.sha256 never compared with the received data",
        _putf_sha_ignored,
    ),
    _m(
        "control-buffered-first",
        "FRM-3",
        "test_framing.py",
        "a control frame is buffered whole before its length is judged",
        _control_buffered_first,
    ),
    _m(
        "pending-slot-leaked",
        "LIM-5",
        "test_limits.py",
        "a failed TLS handshake never gives its pending slot back",
        _pending_slot_leaked,
    ),
    _m(
        "pending-cap-global",
        "LIM-8",
        "test_lockout.py",
        "the per-address pending cap counts every address",
        _pending_cap_global,
    ),
    _m(
        "put-sha-prefix",
        "APP-PUT-5",
        "test_app_put.py",
        "DONE.sha256 compared on its first 16 hex digits",
        _sha_prefix,
    ),
    _m(
        "ku-key-agreement",
        "PKI-CERT-9",
        "test_pki_certs.py",
        "KeyUsage keyAgreement accepted in place of digitalSignature",
        _ku_key_agreement,
    ),
    _m(
        "sig-any-sha2",
        "PKI-CERT-9",
        "test_pki_certs.py",
        "certificates signed with SHA-384/512 accepted",
        _sig_any_sha2,
    ),
    _m(
        "put-commit-replaces",
        "APP-PUT-8",
        "test_app_put.py",
        "a put is committed with os.replace (concurrent puts replace each other)",
        _put_commit_replaces,
    ),
    _m(
        "put-exists-swallowed",
        "APP-PUT-8",
        "test_app_put.py",
        "the losing put of a race is answered DONE",
        _put_exists_swallowed,
    ),
    _m(
        "partial-named-after-final",
        "APP-PUT-8",
        "test_app_put.py",
        "the temporary is named after the final name: a concurrent put is dropped",
        _partial_named_after_final,
    ),
    _m(
        "data-in-idle-drained",
        "FRM-6",
        "test_framing.py",
        "DATA in IDLE is drained silently",
        lambda: _drained_in_idle("T_DATA"),
    ),
    _m(
        "done-in-idle-drained",
        "APP-1",
        "test_framing.py",
        "DONE in IDLE is drained silently",
        lambda: _drained_in_idle("T_DONE"),
    ),
    _m(
        "bye-aborts-put",
        "APP-BYE-1",
        "test_app_put.py",
        "BYE_ during a put ends it quietly",
        _bye_aborts_put,
    ),
    _m(
        "integrity-resets",
        "ERR-3",
        "test_app_put.py",
        "after EROR integrity_failed the connection starts afresh",
        _integrity_resets,
    ),
    _m(
        "client-no-crl-flag",
        "PKI-CERT-7",
        "test_pki_certs.py",
        "the initiator never sets VERIFY_CRL_CHECK_LEAF",
        _client_no_crl_flag,
        client=True,
    ),
    _m(
        "client-rsfl-sha-ignored",
        "APP-GET-3",
        "test_pki_initiator_transfer.py",
        "the initiator never compares RSFL.sha256",
        _putf_sha_ignored,
        client=True,
    ),
    _m(
        "client-sha-prefix",
        "APP-GET-3",
        "test_pki_initiator_transfer.py",
        "the initiator compares DONE.sha256 on 16 hex digits",
        _sha_prefix,
        client=True,
    ),
    _m(
        "client-accept-any-bool",
        "APP-PUT-9",
        "test_client_put.py",
        'the initiator takes "accept": false as an acceptance',
        _accept_any_bool,
        client=True,
    ),
    _m(
        "client-alias-prefix",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the responder's CN matched with startswith(alias)",
        _alias_prefix,
        client=True,
    ),
    _m(
        "client-tls12-offered",
        "PKI-TLS-1",
        "test_pki_hardening.py",
        "the initiator's minimum TLS version is 1.2",
        _client_tls12_offered,
        client=True,
    ),
    _m(
        "client-size-vs-done-only",
        "APP-GET-3",
        "test_pki_initiator_transfer.py",
        "at DONE the count is compared with DONE.size only",
        _size_vs_done_only,
        client=True,
    ),
    _m(
        "pending-cap-per-port",
        "LIM-8",
        "test_lockout.py",
        "connections counted per (address, port): the per-address cap never applies",
        _pending_cap_per_port,
    ),
    _m(
        "allow-refusal-keeps-open",
        "PKI-ID-3",
        "test_pki_identity.py",
        "an initiator off the allow list gets forbidden per request, never the close",
        _allow_refusal_keeps_open,
    ),
    _m(
        "pipelined-rest-dropped",
        "APP-2",
        "test_framing.py",
        "the receive buffer is cleared after each answer: pipelined requests are lost",
        _pipelined_rest_dropped,
    ),
    _m(
        "dir-components-followed",
        "APP-NAME-4",
        "test_app_names.py",
        "directory components opened without O_NOFOLLOW (only the last one has it)",
        lambda: _nofollow_dropped("_DIR_FLAGS"),
    ),
    _m(
        "last-component-followed",
        "APP-NAME-4",
        "test_app_names.py",
        "the file itself opened without O_NOFOLLOW (only the directories have it)",
        lambda: _nofollow_dropped("_FILE_FLAGS"),
    ),
)
