"""Blind red-team round 26, second helper (B191): the sft-pki/1 initiator (`sft get`, `sft put`)
and the enrolment client (`sft enroll`), through the six lenses of /work/briefs/s26/common.md.

Phase 1 (blind): written from docs/SPEC.md (PWF, §1-§3 client side, §4.1-§4.3 initiator
side, §4.4's enrolment client sentences) and the reference's initiator and enrolment
client, before any case file or the first helper's report was opened, then checked against
the ~500 registered client mutants. Replaced as repeats (r): Expect-100 put timer
(b26ini-put-continue-timeout), type case-folding (b11cl3-pki-type-case-folded), signed
32-bit length (b13cl4-length-signed-i32), stale --crl fail-open (b16pcl-crl-bad-file-fail-open),
source made read-only during a put (b18ini-put-source-mode-locked), put to EOF of a grown
source (b18b-ini-put-reads-to-eof), BYE_ of the responder mid-get (b13cl4-bye-mid-get-quiet),
placeholder under the final name (b25client-store5-placeholder), CRL fetch honouring
SSLKEYLOGFILE (b25bini-enr-keylog-crl-only).

Lens 1 — the thin MUSTs:
- b26bini-put-shrink-assert: a source that shrank after PUTF trips an `assert` in the send
  loop: the put ends in a Python traceback (ERR-6).
- b26bini-accept-eof-partial: EOF inside the put's RSFL{accept}: the payload bytes that
  arrived are the frame (a read loop that stops at EOF): DATA and DONE are sent (FRM-7).
Lens 2 — the second half of the sentence:
- b26bini-type-lax-while-receiving: the type syntax is checked on the answer to a request,
  not on the headers that follow RSFL during a get (a fast DATA path): bad type bytes
  there are answered unexpected_frame, not bad_frame (FRM-2).
- b26bini-done-header-unbounded: the frame limit and the 64 KiB control limit are skipped
  for DONE ("a DONE is small"): a DONE header announcing 2 GiB is waited for (FRM-3).
- b26bini-enr-error-member-shown: the enrolment client hides a CA message that quotes the
  password, but prints the CA's `error` member as sent (PWF-2).
Lens 3 — passing the vectors:
- b26bini-empty-data-skipped: an empty DATA frame during a get is skipped (no bytes, no
  harm) instead of answered bad_frame (FRM-13).
Lens 4 — neighbouring-protocol habits:
- b26bini-enr-chain-trusted: certbot's fullchain habit: further CERTIFICATE blocks in the
  answer's `certificate` member (the "chain") are appended to root.pem (PKI-TLS-4).
- b26bini-enr-proxy-plain: an https_proxy / HTTPS_PROXY set in the environment gets the
  enrolment request in absolute form over plain TCP (a hand-rolled proxy path): the
  password travels outside TLS (CA-ENR-1).
Lens 5 — insecure defaults:
- b26bini-enr-chain-trusted (above) is also one: trust grows from what the CA sends.
Lens 6 — crossing frames:
- b26bini-enr-retry-default-context: the first POST to the CA is pinned; its retries after
  503 busy use ssl.create_default_context (library groups offered, SSLKEYLOGFILE
  honoured) (PKI-TLS-9).
- (dropped, not registered) bye-reply-ignored: after its BYE_, whatever the responder sends
  before its close is dropped without EROR unexpected_frame (FRM-6). Not judgeable: an
  initiator MAY close right after its BYE_ without reading, and then owes no answer; one
  that reads and drops looks the same on the wire.
- b26bini-eror-after-done-sent-bye: a fatal EROR crossing the put's DONE (the responder's
  answer to it) is read as a refusal: the initiator says BYE_ after it (ERR-3).

Blind run (phase 2): caught by the named file — type-lax-while-receiving
(test_pki_client_frame_types.py, round 26's first helper), empty-data-skipped
(test_pki_initiator_transfer.py); by another citing file — enr-error-member-shown
(test_client_output_secrets.py, "an error code quoting the password"). Missed by every
citing file: put-shrink-assert, accept-eof-partial, done-header-unbounded,
enr-chain-trusted, enr-proxy-plain, enr-retry-default-context, eror-after-done-sent-bye.

Phase 3, cases for their class (each 3x PASS on the reference; pki1, pki2, pki6, pki7):
  test_pki_client_control_limits_mid_get.py  DONE 2^31 / DONE of 70 000 bytes sent whole /
      EROR 2^32-1 / RSFL 2^31 after RSFL and two DATA frames: the owed EROR, the close
      within 2.5 s — done-header-unbounded; sibling done-control-limit-skipped
  test_pki_client_put_early_ends.py  RSFL{accept} 1 or 64 bytes short of its header, then
      close_notify or a FIN, read on: no DATA/DONE, put failed — accept-eof-partial;
      the source cut after PUTF: no stack trace, put failed — put-shrink-assert
  test_pki_client_put_receipt_fatal.py  the put's DONE answered EROR 8, 11 or 99: nothing
      after it, the close within 2.5 s, put failed — eror-after-done-sent-bye
  test_enroll_answer_chain.py  a foreign or impostor root after the leaf in `certificate`
      or in a `chain` member: stored nowhere under {out} — enr-chain-trusted; sibling
      enr-chain-member-trusted
  test_enroll_busy_retry_hellos.py  503 busy once, then honest: every ClientHello within
      PKI-TLS-9, no SSLKEYLOGFILE written — enr-retry-default-context
  test_enroll_proxy_env.py  https_proxy/HTTPS_PROXY/ALL_PROXY naming a recording TCP
      listener: the password never reaches it — enr-proxy-plain
Post-blind siblings:
- b26bini-done-control-limit-skipped: FRM-8's 64 KiB bound skipped for DONE (FRM-8).
- b26bini-enr-chain-member-trusted: the answer's `chain` member appended to root.pem
  (PKI-TLS-4).
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind26b-ini"


def _app() -> Any:
    return _module("reference.app")


# --- lens 1 -----------------------------------------------------------------------------


def _put_shrink_assert() -> None:
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(
        _module("reference.transfer")._Channel,
        "send_file",
        (
            "            if n == 0:\n"
            '                raise OSError("the file shrank while it was being sent")\n',
            '            assert n > 0, "the file shrank while it was being sent"\n',
        ),
    )


def _accept_eof_partial() -> None:
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(
        _app().ApplicationConnection,
        "_next_event",
        (
            "        if len(buf) < length:\n            return self._starved()\n",
            "        if len(buf) < length:\n"
            "            if not (self._eof and self.state is I.PUT_SENT and buf):\n"
            "                return self._starved()\n"
            "            length = len(buf)\n",
        ),
    )


# --- lens 2 -----------------------------------------------------------------------------


def _lax_parse(check_type: bool, limit_done: bool) -> None:
    """parse_header in the core replaced by one that skips a check in some states."""
    app = _app()
    frames = _module("reference.frames")
    original = frames.parse_header

    def parse_header(header: Any, max_payload: int) -> Any:
        frame_type, length = frames.HEADER.unpack(header)
        if not check_type and frame_type != b"DATA" and frame_type != b"DONE":
            if not frames._TYPE_RE.fullmatch(frame_type):
                return frame_type, min(length, max_payload)
        if not limit_done and frame_type == b"DONE":
            return original(header, 0xFFFFFFFF)
        return original(header, max_payload)

    app._b26b_parse = parse_header


def _type_lax_while_receiving() -> None:
    from conformance.selftest.mutants_app import _patch_method

    _lax_parse(check_type=False, limit_done=True)
    _patch_method(
        _app().ApplicationConnection,
        "_next_event",
        (
            "            self._header = self._check_header(\n"
            "                *parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)\n"
            "            )\n",
            "            self._header = self._check_header(\n"
            "                *(\n"
            "                    _b26b_parse if self.state is I.RECEIVING else parse_header\n"
            "                )(buf[:HEADER_SIZE], self.config.max_frame_payload)\n"
            "            )\n",
        ),
    )


def _done_header_unbounded() -> None:
    from conformance.selftest.mutants_app import _patch_method

    _lax_parse(check_type=True, limit_done=False)
    app = _app()
    _patch_method(
        app.ApplicationConnection,
        "_next_event",
        (
            "*parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)",
            "*_b26b_parse(buf[:HEADER_SIZE], self.config.max_frame_payload)",
        ),
    )
    _patch_method(
        app.ApplicationConnection,
        "_check_header",
        (
            "if frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:",
            "if frame_type not in (T_DATA, b'DONE') and length > MAX_CONTROL_PAYLOAD:",
        ),
    )


def _enr_error_member_shown() -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(
        _module("reference.pki.enroll"),
        "_error_text",
        ("    if quotes_password(code, password):\n        code = \"(not shown)\"\n", ""),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _empty_data_skipped() -> None:
    from conformance.selftest.mutants_app import _patch_method

    app = _app()
    _patch_method(
        app.ApplicationConnection,
        "_check_header",
        (
            "if frame_type == T_DATA and not 1 <= length <= MAX_DATA_PAYLOAD:",
            "if frame_type == T_DATA and not 0 <= length <= MAX_DATA_PAYLOAD:",
        ),
    )
    _patch_method(
        app.ApplicationConnection,
        "_next_event",
        (
            "            self._header = None\n"
            "            self.state = nxt\n"
            "            self._payload_left = length\n",
            "            self._header = None\n"
            "            self.state = nxt\n"
            "            if length == 0:\n"
            "                return self._next_event()\n"
            "            self._payload_left = length\n",
        ),
    )


# --- lens 4 -----------------------------------------------------------------------------


def _enr_chain_trusted() -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(
        _module("reference.pki.enroll"),
        "enroll",
        (
            "        (identity.root, root_pem),\n",
            "        (identity.root, root_pem + b''.join(\n"
            "            c.public_bytes(serialization.Encoding.PEM)\n"
            "            for c in x509.load_pem_x509_certificates(cert_pem)[1:]\n"
            "        )),\n",
        ),
    )


def _enr_proxy_plain() -> None:
    enroll = _module("reference.pki.enroll")
    os, http_client, json = _module("os"), _module("http.client"), _module("json")
    urllib_parse = _module("urllib.parse")
    original = enroll.CaClient.request

    def request(self: Any, method: str, path: str, body: Any = None) -> Any:
        proxy = os.environ.get("https_proxy") or os.environ.get("HTTPS_PROXY")
        if not proxy:
            return original(self, method, path, body)
        parsed = urllib_parse.urlsplit(proxy if "//" in proxy else "http://" + proxy)
        conn = http_client.HTTPConnection(
            parsed.hostname or "127.0.0.1", parsed.port or 3128, timeout=self.timeout
        )
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, self.url.rstrip("/") + path, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read(1 << 20)
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        except (OSError, http_client.HTTPException) as exc:
            raise enroll.EnrollError(f"cannot reach the CA through {proxy}: {exc}") from None
        finally:
            conn.close()

    enroll.CaClient.request = request


def _enr_retry_default_context() -> None:
    enroll = _module("reference.pki.enroll")
    ssl, tls = _module("ssl"), _module("reference.pki.tls")
    original = enroll.CaClient.request

    def request(self: Any, method: str, path: str, body: Any = None) -> Any:
        tries = getattr(enroll, "_b26b_tries", 0)
        if method == "POST":
            enroll._b26b_tries = tries + 1
        if tries == 0 or method != "POST":
            return original(self, method, path, body)
        # "the retry": the library's default context, trusting the root, host name checked
        saved = tls.https_client_context

        def default(root_pem: bytes) -> Any:
            return ssl.create_default_context(cadata=root_pem.decode())

        enroll.https_client_context = default
        try:
            return original(self, method, path, body)
        finally:
            enroll.https_client_context = saved

    enroll.CaClient.request = request


# --- lens 6 -----------------------------------------------------------------------------


def _eror_after_done_sent_bye() -> None:
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(
        _app().ApplicationConnection,
        "_on_control",
        (
            "            self.state = nxt if not message.fatal else self._closed()\n",
            "            self.state = (\n"
            "                nxt\n"
            "                if not message.fatal or self.state is I.DONE_SENT\n"
            "                else self._closed()\n"
            "            )\n",
        ),
    )


# --- post-blind siblings ----------------------------------------------------------------


def _enr_chain_member_trusted() -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(
        _module("reference.pki.enroll"),
        "enroll",
        (
            "        (identity.root, root_pem),\n",
            "        (identity.root, root_pem + ''.join(\n"
            "            c for c in (json.loads(data).get('chain') or []) if isinstance(c, str)\n"
            "        ).encode()),\n",
        ),
    )


def _done_control_limit_skipped() -> None:
    from conformance.selftest.mutants_app import _patch_method, _patch_source

    messages = _module("reference.messages")
    messages._b26b_loads = _module("json").loads
    _patch_source(
        messages,
        "decode_message",
        (
            "    obj = loads_control(frame.payload)\n",
            "    obj = (\n"
            "        _b26b_loads(bytes(frame.payload))\n"
            "        if t == T_DONE\n"
            "        else loads_control(frame.payload)\n"
            "    )\n",
        ),
    )
    app = _app()
    if getattr(app, "decode_message", None) is not None:
        app.decode_message = messages.decode_message
    _patch_method(
        _app().ApplicationConnection,
        "_check_header",
        (
            "if frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:",
            "if frame_type not in (T_DATA, b'DONE') and length > MAX_CONTROL_PAYLOAD:",
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
        "b26bini-put-shrink-assert",
        "ERR-6",
        "test_pki_client_put_early_ends.py",
        "L1/L6: a source that shrank after PUTF trips an assert in the send loop: the put "
        "ends in a Python traceback",
        _put_shrink_assert,
    ),
    _m(
        "b26bini-accept-eof-partial",
        "FRM-7",
        "test_pki_client_put_early_ends.py",
        "L1/L2: EOF inside the put's RSFL{accept}: the payload bytes that arrived are taken "
        "as the frame (a read loop that stops at EOF), and DATA and DONE are sent",
        _accept_eof_partial,
    ),
    _m(
        "b26bini-type-lax-while-receiving",
        "FRM-2",
        "test_pki_client_frame_types.py",
        "L2/L6: the type syntax is checked on the answer to a request, not on the headers "
        "that follow RSFL during a get: bad type bytes there are answered unexpected_frame",
        _type_lax_while_receiving,
    ),
    _m(
        "b26bini-done-header-unbounded",
        "FRM-3",
        "test_pki_client_control_limits_mid_get.py",
        "L2: the frame limit and the 64 KiB control limit are skipped for DONE ('a DONE is "
        "small'): a DONE header announcing 2 GiB during a get is waited for",
        _done_header_unbounded,
    ),
    _m(
        "b26bini-enr-error-member-shown",
        "PWF-2",
        "test_client_output_secrets.py",
        "L2: a refused enrolment hides a CA message quoting the password but prints the "
        "CA's `error` member as sent, password included",
        _enr_error_member_shown,
        enroll=True,
    ),
    _m(
        "b26bini-empty-data-skipped",
        "FRM-13",
        "test_pki_initiator_transfer.py",
        "L3: an empty DATA frame during a get is skipped (no bytes, no harm) instead of "
        "answered bad_frame",
        _empty_data_skipped,
    ),
    _m(
        "b26bini-enr-chain-trusted",
        "PKI-TLS-4",
        "test_enroll_answer_chain.py",
        "L4/L5: certbot's fullchain habit: CERTIFICATE blocks after the first in the "
        "answer's `certificate` (the chain) are appended to root.pem as trust anchors",
        _enr_chain_trusted,
        enroll=True,
    ),
    _m(
        "b26bini-enr-proxy-plain",
        "CA-ENR-1",
        "test_enroll_proxy_env.py",
        "L4: an https_proxy / HTTPS_PROXY in the environment gets the enrolment request in "
        "absolute form over plain TCP: the password travels outside TLS",
        _enr_proxy_plain,
        enroll=True,
    ),
    _m(
        "b26bini-enr-retry-default-context",
        "PKI-TLS-9",
        "test_enroll_busy_retry_hellos.py",
        "L6/L2: the enrolment's first POST is pinned; its retries after 503 busy use "
        "ssl.create_default_context(cadata=root): the library's groups (x448, P-521, "
        "ffdhe*) offered, SSLKEYLOGFILE honoured",
        _enr_retry_default_context,
        enroll=True,
    ),
    _m(
        "b26bini-enr-chain-member-trusted",
        "PKI-TLS-4",
        "test_enroll_answer_chain.py",
        "L4 (post-blind): the PEM certificates of the answer's `chain` member (EST/ACME's "
        "CA certificates) are appended to root.pem as trust anchors",
        _enr_chain_member_trusted,
        enroll=True,
    ),
    _m(
        "b26bini-done-control-limit-skipped",
        "FRM-8",
        "test_pki_client_control_limits_mid_get.py",
        "L2 (post-blind): FRM-8's 64 KiB bound skipped for DONE (the frame limit kept): a "
        "DONE of 70 000 bytes, the honest members padded with white space, ends the get",
        _done_control_limit_skipped,
    ),
    _m(
        "b26bini-eror-after-done-sent-bye",
        "ERR-3",
        "test_pki_client_put_receipt_fatal.py",
        "L6: a fatal EROR answering the put's DONE is read as a refusal: the initiator "
        "returns to IDLE and says BYE_ after it",
        _eror_after_done_sent_bye,
    ),
)
