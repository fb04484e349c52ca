"""Blind red-team round 18 (client2, helper B94): the sft-pki/1 initiator (`sft get/put`)
and the enrolment client (`sft enroll`), planted through the six lenses of round 18.

Written blind, from docs/SPEC.md §0-§2, §4 and §6 and the reference's pki/client.py,
enroll.py, tls.py, transfer.py, app.py, messages.py, frames.py, share.py and cli/*.py
only, before any case file was opened. Each idea was then checked against the names and
descriptions of the 494 registered pki client mutants; ideas found there were replaced
before the run (r): an ALPN of none or of sft-pki/0 accepted, SHA-384 certificates, a
CRL serial compared by hand, an initiator's temporary of mode 0644, a commit over a
dangling link, `exists` at PUTF or in place of DONE reported a success, a bare close
after a refused put, EROR auth_failed on a PKI-ID-1 mismatch, a BasicConstraints or
KeyUsage left unchecked, a receipt DONE without its sha256, the enrolment's key written
before the answer, an IP-address CA URL skipping the host name check, a PEM bundle kept
whole, an unpinned enrolment context.

lens 1 (negotiation and versions: a feature the peer did not ask for):
    ext-mode-honoured       FRM-10      the get honours undefined RSFL members `mode` and
                                        `mtime` (scp -p style): the saved file is chmod'ed /
                                        utime'd as the responder says
    put-accept-offset       FRM-10      the put honours an undefined `offset` member of
                                        RSFL{accept} (a resume): the first bytes are never sent
    crl-fetch-unpinned      PKI-TLS-9   the initiator's CRL fetch from the CA uses a plain TLS
                                        1.3 context: the library's groups and suites
    enr-key-p384            PKI-CERT-1  the enrolment key is ECDSA P-384 ("stronger"), which no
                                        employee certificate may hold
lens 2 (round trips and inverses):
    put-name-nfc            APP-NAME-3  the put's name (basename or --as) NFC-normalised
    putf-hand-json          FRM-14      RQFL/PUTF written printf-style without escaping: a
                                        name holding `"` makes the payload invalid JSON
    output-name-unquoted    APP-NAME-3  the default output file name is the request's last
                                        component percent-decoded (`%2e%2e%2fx` saved as ../x)
    enr-csr-new-label       CA-ENR-2    the CSR goes out under the old PEM label NEW
                                        CERTIFICATE REQUEST (openssl req's pre-1.0 output)
    enr-rsa-modulus-compare CA-ENR-12   the answer's RSA key compared by its modulus only (the
                                        admin recipe `openssl x509 -modulus`): another exponent
                                        passes
lens 3 (out-of-order and early messages):
    put-bye-as-receipt      APP-PUT-10  a BYE_ in place of the responder's receipt DONE is the
                                        responder leaving after storing: success
    put-early-done-dedupe   APP-PUT-10  a DONE answering PUTF with the file's own size and digest
                                        is "already stored" (a dedupe): success, no DATA sent
    fatal-close-reset       PKI-TLS-7   after its own fatal EROR the initiator calls shutdown
                                        once and closes: unread bytes turn its close into a RST
lens 4 (the deployment is not the developer's machine):
    sweep-utcnow-local      APP-STORE-3 the stale sweep's cutoff is datetime.utcnow().timestamp()
                                        (naive UTC read as local time): west of UTC a live
                                        temporary is swept, east of it stale ones stay
    sweep-ignores-idle-option APP-STORE-3 the sweep's age is a fixed 600 s, whatever a longer
                                        --idle-timeout says
    enr-pwf-locale-codeset  PWF-1       the password file decoded with the locale's codeset (as
                                        mbstowcs does): under LC_ALL=C a UTF-8 password is refused
lens 5 (distinguishers):
    get-refused-bare-close  PKI-TLS-7   a get refused non-fatally (not_found, forbidden,
                                        too_large, unsupported) ends the program at once: no
                                        BYE_, no close_notify
lens 6 (sibling paths):
    crl-fetch-no-hostname   CA-ENR-18   the initiator's CRL fetch skips the CA's host name check
                                        ("the CRL is signed anyway"), unlike the enrolment's
    put-source-mode-locked  APP-PUT-10  the put makes its source read-only while sending and
                                        restores the mode on success only
    enr-rsa-key-mode        CA-ENR-12   --key-type rsa writes key.pem with the default mode (the
                                        EC path's 0600 writer not used on the RSA path)

Blind measure (19 written, each against the case file named blind): 2 caught —
get-refused-bare-close (test_client_pki_unhappy_paths.py) and put-source-mode-locked
(test_client_run_put_source.py). Two more were caught by existing files once aimed at
them: put-name-nfc by test_client_put_wire.py (its NFD put name) and put-bye-as-receipt by
test_interop_put_receipt_frames.py (its BYE_ receipt).

Eight are not registered (NOT_JUDGED below):
  - not observable through a target's declared commands: crl-fetch-unpinned and
    crl-fetch-no-hostname (an initiator's CRL source is its own configuration: the
    `client_cmd` template has no {ca_url}, so the suite cannot put a CA of its own in
    front of an initiator's CRL fetch; the enrolment command is the only CA client it
    drives), output-name-unquoted (every template names the output: `{out}`),
    sweep-ignores-idle-option (the suite cannot give a client a longer idle timeout),
    enr-rsa-key-mode and enr-rsa-modulus-compare (the enrolment template has no key type;
    the embedded `sft enroll` makes an EC key);
  - no MUST on the enrolment client's CSR: enr-key-p384 and enr-csr-new-label (CA-ENR-2
    and CA-ENR-13 say what the CA accepts; PKI-CERT-1 what a certificate holds; nothing
    says the client MUST send a CSR a conforming CA accepts — a SPEC sentence is proposed
    in the round's report).

The other seven were missed by every existing file citing their requirement; the round's
new case files catch them (11 of 11 registered blind mutants caught after the round, each
confirmed with `SFT_SELFTEST=all pytest conformance/selftest/test_mutants.py`):
  test_pki_initiator_feature_members.py  ext-mode-honoured, put-accept-offset (no case
                                         sent an extension member naming a feature an
                                         initiator might implement: mode, mtime, an
                                         encoding, a resume offset)
  test_pki_initiator_json_names.py       putf-hand-json (no pki request name needed a
                                         JSON escape; the eke client's twin had one)
  test_client_put_early_receipt.py       put-early-done-dedupe (no case answered PUTF with
                                         a DONE; both profiles)
  test_pki_initiator_close_with_unread.py fatal-close-reset (every close case provoked the
                                         EROR when nothing more was on its way)
  test_client_sweep_time_zones.py        sweep-utcnow-local (every sweep case ran in the
                                         machine's zone; both profiles)
  test_enroll_password_locale.py         pwf-locale-codeset (every password case ran in the
                                         suite's own, UTF-8, locale)
Four class checks written after the blind run (marked so in their descriptions) are
caught by the same files' default cases: ext-mtime-honoured, put-resume-from
(test_pki_initiator_feature_members.py), sweep-naive-mix (test_client_sweep_time_zones.py)
and pwf-locale-replace (test_enroll_password_locale.py). The six files add about 15 s to
the default run (ten cases of about 1.5 s; the slow run adds the east-of-UTC sweep, the
whole-file resume and two more quoted names).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _tls() -> Any:
    return _module("reference.pki.tls")


def _client() -> Any:
    return _module("reference.pki.client")


def _enroll() -> Any:
    return _module("reference.pki.enroll")


def _app() -> Any:
    return _module("reference.app")


def _messages() -> Any:
    return _module("reference.messages")


def _transfer() -> Any:
    return _module("reference.transfer")


def _cli_pki() -> Any:
    return _module("reference.cli.pki")


_SEEN_RSFL: dict[str, dict[str, Any]] = {}


def _record_rsfl() -> None:
    """Keeps the last RSFL object of each kind (get/put), undefined members included, as an
    implementation whose message layer hands them on would."""
    app = _app()
    original = app.decode_message
    if getattr(original, "_b18_recording", False):
        return

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        message = original(frame, rsfl_for_put=rsfl_for_put)
        if frame.type == b"RSFL":
            try:
                obj = json.loads(bytes(frame.payload))
            except ValueError:
                obj = {}
            _SEEN_RSFL["put" if rsfl_for_put else "get"] = obj if isinstance(obj, dict) else {}
        return message

    decode_message._b18_recording = True  # type: ignore[attr-defined]
    app.decode_message = decode_message


# --- lens 1 ---------------------------------------------------------------------------


def _ext_mode_honoured() -> None:
    _record_rsfl()
    transfer = _transfer()
    original = transfer.Initiator.get

    def get(self: Any, name: str, destination: Any, **kwargs: Any) -> Any:
        _SEEN_RSFL.pop("get", None)
        done = original(self, name, destination, **kwargs)
        obj = _SEEN_RSFL.get("get", {})
        mode = obj.get("mode")
        if isinstance(mode, str):  # "0755"
            try:
                mode = int(mode, 8)
            except ValueError:
                mode = None
        if type(mode) is int:
            os.chmod(destination, mode & 0o7777)  # preserve the sender's permissions
        mtime = obj.get("mtime")
        if isinstance(mtime, int | float) and not isinstance(mtime, bool):
            os.utime(destination, (float(mtime), float(mtime)))
        return done

    transfer.Initiator.get = get


def _put_accept_offset() -> None:
    _record_rsfl()
    transfer = _transfer()
    transfer._b18_seen = _SEEN_RSFL
    _patch_source(
        transfer.Initiator,
        "put",
        (
            "            self.channel.send_file(f.readinto, size, progress)\n",
            "            offset = _b18_seen.get('put', {}).get('offset')\n"
            "            if type(offset) is int and 0 < offset <= size:\n"
            "                # a resume: the responder already holds the first bytes\n"
            "                self.channel.conn._outgoing.add(f.read(offset))\n"
            "                self.channel.send_file(f.readinto, size - offset, progress)\n"
            "            else:\n"
            "                self.channel.send_file(f.readinto, size, progress)\n",
        ),
    )


def _fetch_crl(url: str, root_pem: bytes, timeout: float, *, pinned: bool, hostname: bool) -> bytes:
    """The initiator's own CRL fetch: GET /v1/crl over HTTPS, the CRL then checked."""
    import http.client
    import ssl
    import urllib.parse

    tls = _tls()
    enroll = _enroll()
    parsed = urllib.parse.urlsplit(url)
    host, port = parsed.hostname or "", parsed.port or 443
    if pinned:
        ctx = tls._base_context(ssl.PROTOCOL_TLS_CLIENT)
    else:  # a plain TLS 1.3 client context: the library's suites and groups
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = hostname
    ctx.hostname_checks_common_name = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    tls._load_trust(ctx, root_pem, None)
    conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ctx)
    try:
        conn.request("GET", "/v1/crl")
        response = conn.getresponse()
        data = response.read(1 << 20)
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        raise enroll.EnrollError(f"cannot reach the CA at {host}:{port}: {exc}") from None
    finally:
        conn.close()
    if status != 200:
        raise enroll.EnrollError(f"the CA refused to send its CRL (HTTP {status})")
    try:
        tls.check_crl(data, root_pem)
    except tls.CertificateRefused as exc:
        raise enroll.EnrollError(str(exc)) from None
    return data


def _crl_fetch(*, pinned: bool, hostname: bool) -> Callable[[], None]:
    def apply() -> None:
        client = _client()

        def fetch(url: str, root_pem: bytes, timeout: float) -> bytes:
            return _fetch_crl(url, root_pem, timeout, pinned=pinned, hostname=hostname)

        client._b18_fetch = fetch
        _patch_source(
            client,
            "load_crl",
            (
                "data = CaClient(url, root_pem, timeout=config.connect_timeout).crl()",
                "data = _b18_fetch(url, root_pem, config.connect_timeout)",
            ),
        )

    return apply


def _enr_key_p384() -> None:
    _patch_source(
        _module("reference.pki.ca"),
        "generate_key",
        ("ec.generate_private_key(ec.SECP256R1())", "ec.generate_private_key(ec.SECP384R1())"),
    )


# --- lens 2 ---------------------------------------------------------------------------


def _put_name_nfc() -> None:
    _patch_source(
        _transfer().Initiator,
        "put",
        (
            "    name = name or source.name\n",
            '    name = __import__("unicodedata").normalize("NFC", name or source.name)\n',
        ),
    )


def _hand_control(frame_type: bytes, obj: dict[str, object]) -> bytes:
    """A request payload written printf-style: strings between quotes, nothing escaped."""
    frames = _module("reference.frames")
    parts = []
    for key, value in obj.items():
        if isinstance(value, str):
            parts.append(f'"{key}":"{value}"')
        else:
            parts.append(f'"{key}":{json.dumps(value)}')
    wire: bytes = frames.encode_frame(frame_type, ("{" + ",".join(parts) + "}").encode("utf-8"))
    return wire


def _putf_hand_json() -> None:
    messages = _messages()
    original = messages._control

    def control(frame_type: bytes, obj: dict[str, object]) -> bytes:
        if frame_type in (messages.T_RQFL, messages.T_PUTF):
            return _hand_control(frame_type, obj)
        result: bytes = original(frame_type, obj)
        return result

    messages._control = control


def _output_name_unquoted() -> None:
    _patch_source(
        _cli_pki(),
        "_get",
        (
            'else Path(args.name.rsplit("/", 1)[-1])',
            'else Path(__import__("urllib.parse").parse.unquote(args.name.rsplit("/", 1)[-1]))',
        ),
    )


def _enr_csr_new_label() -> None:
    _patch_source(
        _enroll(),
        "enroll",
        (
            '"csr": csr.public_bytes(serialization.Encoding.PEM).decode(),',
            '"csr": csr.public_bytes(serialization.Encoding.PEM).decode()'
            '.replace("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"),',
        ),
    )


def _same_key(theirs: Any, ours: Any) -> bool:
    rsa = _module("cryptography.hazmat.primitives.asymmetric.rsa")
    if isinstance(theirs, rsa.RSAPublicKey) and isinstance(ours, rsa.RSAPublicKey):
        return bool(theirs.public_numbers().n == ours.public_numbers().n)
    return bool(theirs == ours)


def _enr_rsa_modulus_compare() -> None:
    enroll = _enroll()
    enroll._b18_same_key = _same_key
    _patch_source(
        enroll,
        "enroll",
        (
            "    if cert.public_key() != key.public_key():\n",
            "    if not _b18_same_key(cert.public_key(), key.public_key()):\n",
        ),
    )


# --- lens 3 ---------------------------------------------------------------------------


def _put_bye_as_receipt() -> None:
    app = _app()
    app._TRANSITIONS[(app.InitiatorState.DONE_SENT, app.T_BYE)] = app.InitiatorState.CLOSED
    _patch_source(
        _transfer().Initiator,
        "put",
        (
            "            assert isinstance(ack, Done)\n",
            "            if not isinstance(ack, Bye):  # BYE_: it stored and left\n"
            "                assert isinstance(ack, Done)\n",
        ),
    )


def _put_early_done_dedupe() -> None:
    app = _app()
    app._TRANSITIONS[(app.InitiatorState.PUT_SENT, app.T_DONE)] = app.InitiatorState.IDLE
    transfer = _transfer()
    _patch_source(
        app.ApplicationConnection,
        "_on_control",
        (
            "        if self.state is I.DONE_SENT:\n",
            "        if self.state is I.PUT_SENT:\n"
            "            pass  # an early receipt: judged by the put itself\n"
            "        elif self.state is I.DONE_SENT:\n",
        ),
    )
    _patch_source(
        transfer.Initiator,
        "put",
        (
            "            accepted = self._answer()\n"
            "            assert isinstance(accepted, PutAccepted)\n",
            "            accepted = self._answer()\n"
            "            if isinstance(accepted, Done):  # it already holds this file\n"
            '                digest = __import__("hashlib").sha256(f.read()).hexdigest()\n'
            "                if accepted.size == size and accepted.sha256 == digest:\n"
            "                    return name\n"
            "                raise RemoteProtocolError(\n"
            '                    ErrorCode.INTEGRITY_FAILED, "a receipt for other bytes"\n'
            "                )\n"
            "            assert isinstance(accepted, PutAccepted)\n",
        ),
    )


def _abrupt_close(sock: Any) -> None:
    """SSL_shutdown once (our close_notify, no wait for the peer's), then close(fd)."""
    socket = _module("socket")
    try:
        sock.settimeout(0.0)
        sock.unwrap()
    except (OSError, ValueError):
        pass
    try:
        socket.socket.close(sock)
    except OSError:
        pass


def _fatal_close_reset() -> None:
    client = _client()
    client._b18_abrupt_close = _abrupt_close
    _patch_source(
        client.PkiSession,
        "close",
        (
            "    self._initiator.bye()\n    close_tls(self._sock)\n",
            "    if self._initiator.channel.conn._error is not None:\n"
            "        _b18_abrupt_close(self._sock)  # our fatal EROR said it all\n"
            "        return\n"
            "    self._initiator.bye()\n    close_tls(self._sock)\n",
        ),
    )


# --- lens 4 ---------------------------------------------------------------------------


def _sweep_utcnow_local() -> None:
    _patch_source(
        _transfer(),
        "remove_stale_partials",
        (
            "cutoff = None if older_than is None else time.time() - older_than",
            "cutoff = (\n"
            "        None\n"
            "        if older_than is None\n"
            '        else __import__("datetime").datetime.utcnow().timestamp() - older_than\n'
            "    )",
        ),
    )


def _sweep_ignores_idle_option() -> None:
    _patch_source(
        _cli_pki(),
        "_get",
        ("older_than=max(_STALE, args.idle_timeout),", "older_than=_STALE,"),
    )


def _codeset_decode(data: bytes) -> str:
    import locale

    locale.setlocale(locale.LC_CTYPE, "")
    return data.decode(locale.nl_langinfo(locale.CODESET))


def _enr_pwf_locale_codeset() -> None:
    options = _module("reference.cli.options")
    options._b18_decode = _codeset_decode
    _patch_source(
        options,
        "read_password_file",
        ('text = path.read_bytes().decode("utf-8")', "text = _b18_decode(path.read_bytes())"),
    )


# --- lens 5 ---------------------------------------------------------------------------


def _get_refused_bare_close() -> None:
    client = _client()
    transfer = _transfer()

    def refused_exit(message: str) -> None:
        import sys

        print(f"sft: {message}", file=sys.stderr, flush=True)
        os._exit(1)  # nothing was received: nothing to clean up

    client._b18_refused_exit = refused_exit
    client._b18_refused = transfer.TransferRefused
    _patch_source(
        client.PkiSession,
        "get",
        (
            "    except (TransferRefused, TransferFailed, ProtocolError, OSError, ValueError)"
            " as exc:\n",
            "    except _b18_refused as exc:\n"
            "        _b18_refused_exit(str(self._translate(exc, f'get {name}')))\n"
            "        raise\n"
            "    except (TransferRefused, TransferFailed, ProtocolError, OSError, ValueError)"
            " as exc:\n",
        ),
    )


# --- lens 6 ---------------------------------------------------------------------------


def _put_source_mode_locked() -> None:
    client = _client()
    original = client.PkiSession.put

    def put(self: Any, source: Any, name: Any = None, **kwargs: Any) -> Any:
        mode = os.stat(source).st_mode & 0o7777
        os.chmod(source, 0o400)  # nobody changes it while it is sent (APP-PUT-4)
        result = original(self, source, name, **kwargs)
        os.chmod(source, mode)
        return result

    client.PkiSession.put = put


def _write_plain(path: Any, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _enr_rsa_key_mode() -> None:
    enroll = _enroll()
    enroll._b18_write_plain = _write_plain
    _patch_source(
        enroll,
        "enroll",
        (
            "    write_private(identity.key, private_key_pem(key))\n",
            '    (write_private if key_type == "ec" else _b18_write_plain)(\n'
            "        identity.key, private_key_pem(key)\n"
            "    )\n",
        ),
    )


# --- after the blind run: class checks of the new cases (not blind) ---------------------


def _ext_mtime_honoured() -> None:
    """Only the time is preserved (`modified`, an RFC 3339 string, as HTTP clients do)."""
    _record_rsfl()
    transfer = _transfer()
    original = transfer.Initiator.get

    def get(self: Any, name: str, destination: Any, **kwargs: Any) -> Any:
        _SEEN_RSFL.pop("get", None)
        done = original(self, name, destination, **kwargs)
        modified = _SEEN_RSFL.get("get", {}).get("modified")
        if isinstance(modified, str):
            import datetime as dt

            try:
                when = dt.datetime.fromisoformat(modified.replace("Z", "+00:00")).timestamp()
            except ValueError:
                return done
            os.utime(destination, (when, when))
        return done

    transfer.Initiator.get = get


def _put_resume_from() -> None:
    _record_rsfl()
    transfer = _transfer()
    transfer._b18_seen = _SEEN_RSFL
    _patch_source(
        transfer.Initiator,
        "put",
        (
            "            self.channel.send_file(f.readinto, size, progress)\n",
            "            offset = _b18_seen.get('put', {}).get('resume_from')\n"
            "            if type(offset) is int and 0 < offset <= size:\n"
            "                self.channel.conn._outgoing.add(f.read(offset))\n"
            "                self.channel.send_file(f.readinto, size - offset, progress)\n"
            "            else:\n"
            "                self.channel.send_file(f.readinto, size, progress)\n",
        ),
    )


def _sweep_naive_mix() -> None:
    _patch_source(
        _transfer(),
        "remove_stale_partials",
        (
            "            if cutoff is not None and info.st_mtime > cutoff:\n",
            "            if cutoff is not None and (\n"
            '                __import__("datetime").datetime.utcnow()\n'
            '                - __import__("datetime").datetime.fromtimestamp(info.st_mtime)\n'
            "            ).total_seconds() < older_than:  # naive UTC minus naive local\n",
        ),
    )


def _codeset_decode_escaped(data: bytes) -> str:
    import locale

    locale.setlocale(locale.LC_CTYPE, "")
    return data.decode(locale.nl_langinfo(locale.CODESET), "replace")


def _enr_pwf_locale_replace() -> None:
    options = _module("reference.cli.options")
    options._b18_decode = _codeset_decode_escaped
    _patch_source(
        options,
        "read_password_file",
        ('text = path.read_bytes().decode("utf-8")', "text = _b18_decode(path.read_bytes())"),
    )


# --- registry -------------------------------------------------------------------------


def _m(
    name: str,
    lens: int,
    requirement: str,
    test_file: str,
    apply: Callable[[], None],
    description: str,
    *,
    enroll: bool = False,
    strict: bool = False,
) -> Mutant:
    prefix = "b18enr" if enroll else "b18ini"
    return Mutant(
        name=f"{prefix}-{name}",
        group="blind18-client2",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=f"L{lens}: {description}",
        apply=apply,
        client=True,
        enroll=enroll,
        strict=strict,
    )


_WRITTEN: tuple[Mutant, ...] = (
    _m(
        "ext-mode-honoured",
        1,
        "FRM-10",
        "test_pki_initiator_feature_members.py",
        _ext_mode_honoured,
        "the get honours RSFL members the schema does not define, `mode` and `mtime` (scp -p "
        "style): the saved file is chmod'ed and utime'd as the responder says",
    ),
    _m(
        "put-accept-offset",
        1,
        "FRM-10",
        "test_pki_initiator_feature_members.py",
        _put_accept_offset,
        "the put honours an `offset` member of RSFL{accept} that the schema does not define (a "
        "resume): the first `offset` bytes are counted as sent and never sent",
    ),
    _m(
        "crl-fetch-unpinned",
        1,
        "PKI-TLS-9",
        "test_pki_hardening.py",
        _crl_fetch(pinned=False, hostname=True),
        "the initiator's CRL fetch from the CA uses a plain TLS 1.3 client context: its "
        "ClientHello offers the TLS library's groups and suites (ffdhe*, x448, P-521)",
    ),
    _m(
        "key-p384",
        1,
        "PKI-CERT-1",
        "test_enroll_client.py",
        _enr_key_p384,
        "the enrolment client's EC key is ECDSA P-384 ('stronger'): its CSR asks for a "
        "certificate on a curve no employee certificate may hold",
        enroll=True,
    ),
    _m(
        "put-name-nfc",
        2,
        "APP-NAME-3",
        "test_client_put_wire.py",
        _put_name_nfc,
        "the put's name (the source's basename or --as) is NFC-normalised before PUTF (names "
        "made on macOS are NFD)",
    ),
    _m(
        "putf-hand-json",
        2,
        "FRM-14",
        "test_pki_initiator_json_names.py",
        _putf_hand_json,
        "RQFL and PUTF payloads are written printf-style, strings between quotes and nothing "
        'escaped: a name holding `"` makes the payload invalid JSON',
    ),
    _m(
        "output-name-unquoted",
        2,
        "APP-NAME-3",
        "test_client_run_output_dir.py",
        _output_name_unquoted,
        "the default output file is the request's last component percent-decoded: a get of "
        "`%2e%2e%2fx` is saved as ../x, one of `a%20b` as `a b`",
    ),
    _m(
        "csr-new-label",
        2,
        "CA-ENR-2",
        "test_enroll_client.py",
        _enr_csr_new_label,
        "the CSR is sent under the PEM label NEW CERTIFICATE REQUEST (openssl req's old "
        "output), which is not the CERTIFICATE REQUEST of CA-ENR-2/13",
        enroll=True,
    ),
    _m(
        "rsa-modulus-compare",
        2,
        "CA-ENR-12",
        "test_enroll_answer_edges.py",
        _enr_rsa_modulus_compare,
        "the answer's RSA key is compared with ours by its modulus only (`openssl x509 "
        "-modulus`): a certificate for (n, e') with another exponent is kept",
        enroll=True,
    ),
    _m(
        "put-bye-as-receipt",
        3,
        "APP-PUT-10",
        "test_interop_put_receipt_frames.py",
        _put_bye_as_receipt,
        "a BYE_ in place of the responder's receipt DONE is taken as the responder leaving "
        "after storing: the put is reported a success",
    ),
    _m(
        "put-early-done-dedupe",
        3,
        "APP-PUT-10",
        "test_client_put_early_receipt.py",
        _put_early_done_dedupe,
        "a DONE answering PUTF (before any DATA) with the file's own size and digest means "
        "'already stored' (a dedupe): the put is reported a success, nothing sent",
    ),
    _m(
        "fatal-close-reset",
        3,
        "PKI-TLS-7",
        "test_pki_initiator_close_with_unread.py",
        _fatal_close_reset,
        "after its own fatal EROR the initiator calls SSL_shutdown once and close(): what the "
        "responder still sends is unread, so the close is a TCP reset",
    ),
    _m(
        "sweep-utcnow-local",
        4,
        "APP-STORE-3",
        "test_client_sweep_time_zones.py",
        _sweep_utcnow_local,
        "the stale sweep's cutoff is datetime.utcnow().timestamp() (naive UTC read as local "
        "time): west of UTC live temporaries are swept, east of it stale ones stay",
    ),
    _m(
        "sweep-ignores-idle-option",
        4,
        "APP-STORE-3",
        "test_client_sweep_upper_age.py",
        _sweep_ignores_idle_option,
        "the stale sweep's age is a fixed 600 s whatever a longer --idle-timeout says: another "
        "initiator's temporary idle for 20 minutes goes under a 1 h idle timeout",
    ),
    _m(
        "pwf-locale-codeset",
        4,
        "PWF-1",
        "test_enroll_password_locale.py",
        _enr_pwf_locale_codeset,
        "the password file is decoded with the locale's codeset (nl_langinfo, as mbstowcs "
        "does): under LC_ALL=C a UTF-8 password with a non-ASCII character is refused",
        enroll=True,
    ),
    _m(
        "get-refused-bare-close",
        5,
        "PKI-TLS-7",
        "test_client_pki_unhappy_paths.py",
        _get_refused_bare_close,
        "a get refused non-fatally (not_found, forbidden, too_large, unsupported) ends the "
        "program at once ('nothing received, nothing to clean up'): no BYE_, no close_notify",
    ),
    _m(
        "crl-fetch-no-hostname",
        6,
        "CA-ENR-18",
        "test_pki_certs.py",
        _crl_fetch(pinned=True, hostname=False),
        "the initiator's CRL fetch does not check the CA's host name ('the CRL is signed "
        "anyway'), unlike the enrolment: any certificate the root issued passes for the CA",
    ),
    _m(
        "put-source-mode-locked",
        6,
        "APP-PUT-10",
        "test_client_run_put_source.py",
        _put_source_mode_locked,
        "the put makes its source read-only (0400) while sending and restores its mode on "
        "success only: a refused or failed put leaves the local file's mode changed",
    ),
    _m(
        "rsa-key-mode",
        6,
        "CA-ENR-12",
        "test_enroll_client.py",
        _enr_rsa_key_mode,
        "the RSA path (--key-type rsa) writes key.pem with the default mode (0644 under umask "
        "022): the EC path's 0600 writer is not used on it",
        enroll=True,
    ),
    _m(
        "ext-mtime-honoured",
        1,
        "FRM-10",
        "test_pki_initiator_feature_members.py",
        _ext_mtime_honoured,
        "(after the blind run, a class check) the get preserves the responder's `modified` "
        "member (an RFC 3339 time) as the saved file's modification time",
    ),
    _m(
        "put-resume-from",
        1,
        "FRM-10",
        "test_pki_initiator_feature_members.py",
        _put_resume_from,
        "(after the blind run, a class check) the put honours a `resume_from` member of "
        "RSFL{accept}: the first bytes are counted as sent and never sent",
    ),
    _m(
        "sweep-naive-mix",
        4,
        "APP-STORE-3",
        "test_client_sweep_time_zones.py",
        _sweep_naive_mix,
        "(after the blind run, a class check) the stale sweep's age is naive utcnow() minus "
        "the naive local fromtimestamp(mtime): off by the zone's offset",
    ),
    _m(
        "pwf-locale-replace",
        4,
        "PWF-1",
        "test_enroll_password_locale.py",
        _enr_pwf_locale_replace,
        "(after the blind run, a class check) the password file decoded with the locale's "
        "codeset, undecodable bytes replaced: under LC_ALL=C a non-ASCII password is sent "
        "garbled",
        enroll=True,
    ),
)

# Written blind and measured, then judged not observable through a target's declared
# commands, or no MUST the suite may FAIL (see the top docstring): not registered.
_NOT_JUDGED_NAMES = frozenset(
    {
        "b18ini-crl-fetch-unpinned",
        "b18ini-crl-fetch-no-hostname",
        "b18ini-output-name-unquoted",
        "b18ini-sweep-ignores-idle-option",
        "b18enr-key-p384",
        "b18enr-csr-new-label",
        "b18enr-rsa-modulus-compare",
        "b18enr-rsa-key-mode",
    }
)
MUTANTS: tuple[Mutant, ...] = tuple(m for m in _WRITTEN if m.name not in _NOT_JUDGED_NAMES)
NOT_JUDGED: tuple[Mutant, ...] = tuple(m for m in _WRITTEN if m.name in _NOT_JUDGED_NAMES)
