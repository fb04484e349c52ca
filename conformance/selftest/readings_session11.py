"""Conforming variants aimed at the cases the tenth session added late (helper FP6).

Session 10 added case files after its false-FAIL hunters had started (several written
against a faulty FOREIGN implementation): test_app_json_nulls.py, test_client_json_nulls.py,
test_client_pki_cert_variants.py, test_client_put_renamed.py, test_eke_restart.py,
test_eke_tables.py, test_enroll_answers.py, test_enroll_client.py and the test_interop_*
files of the CA and the initiators. Each `Reading` plants an allowed choice the reference
does not make, aimed at those cases; the suite must PASS it
(conformance/selftest/test_ambig_readings.py). Every description quotes the SPEC sentence
that allows the choice. Planted like the mutants: a monkeypatch of the reference inside
the subprocess that runs it; reference modules are reached only through `_module`, at
apply time. Where an earlier session wrote the variant, its function is reused and only
the case files are new.

`EnrollReading`s plant the choice in the reference's ENROLMENT client (`sft enroll`, run
through the target's `enroll_cmd` against test_enroll_client.py's hostile CA), as
`Mutant(enroll=True)` does; test_ambig_readings.py must pass the launcher as the target's
`enroll_cmd` for them (`getattr(reading, "enroll", False)`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.selftest import readings_clients as fp2
from conformance.selftest import readings_servers as fp1
from conformance.selftest import readings_session9 as s9
from conformance.selftest import readings_session10 as s10
from conformance.selftest import readings_session10b as s10b
from conformance.selftest.mutant import _module
from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS", "EnrollReading"]


@dataclasses.dataclass(frozen=True)
class EnrollReading(Reading):
    """A conforming variant of the reference's enrolment client (`sft enroll`)."""

    enroll: bool = True


# The case files this session aims at.
_NULLS = "test_app_json_nulls.py"
_CLIENT_NULLS = "test_client_json_nulls.py"
_CERT_VARIANTS = "test_client_pki_cert_variants.py"
_PUT_RENAMED = "test_client_put_renamed.py"
_CLIENT_PUT = "test_client_put.py"  # its harness, which test_client_put_renamed.py reuses
_RESTART = "test_eke_restart.py"
_TABLES = "test_eke_tables.py"
_ENROLL = "test_enroll_client.py"
_ENROLL_ANSWERS = "test_enroll_answers.py"
_CA_BODIES = "test_interop_ca_error_bodies.py"
_CA_THROTTLE = "test_interop_ca_throttle_state.py"
_CA_UNFRAMED = "test_interop_ca_unframed_routes.py"
_IGNORED_EROR = "test_interop_client_ignored_eror.py"
_SWEEP = "test_interop_client_sweep.py"

_CA_FILES = (_CA_BODIES, _CA_THROTTLE, _CA_UNFRAMED)
_CA_REQS = ("CA-ENR-9", "CA-ENR-7", "CA-ENR-21", "CA-ENR-14")
_NULLS_REQS = ("FRM-9", "FRM-11", "FRM-12")
_EKE_STATE_REQS = ("EKE-THR-8", "EKE-THR-4", "EKE-THR-11", "EKE-THR-9", "APP-STORE-3")
_CLIENT_FILES = (_CLIENT_NULLS, _IGNORED_EROR, _SWEEP)
_CLIENT_REQS = ("FRM-9", "FRM-12", "ERR-3", "ERR-4", "APP-STORE-3")
_PUT_REQS = ("APP-PUT-9", "APP-PUT-4", "APP-PUT-10")
_ENROLL_REQS = ("CA-ENR-12", "CA-ENR-18", "PKI-TLS-4", "PKI-CERT-3", "CA-ENR-1", "PWF-1")


# ---------------------------------------------------------------- the responders


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({key for key, _ in pairs}) != len(pairs):
        raise ValueError("duplicate key")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _done_members_typed(obj: dict[str, Any]) -> bool:
    size, digest = obj.get("size"), obj.get("sha256")
    sized = isinstance(size, int) and not isinstance(size, bool) and 0 <= size < 2**63
    hexed = isinstance(digest, str) and len(digest) == 64
    return sized and hexed and all(c in "0123456789abcdef" for c in str(digest))


def _done_malformed_is_integrity_failed() -> None:
    # FRM-16: "When one frame breaks several rules, a receiver MAY answer with the code of
    # any rule it breaks"; APP-PUT-5: "verify size and SHA-256 ... otherwise EROR
    # integrity_failed". A put's DONE that is a JSON object (no duplicate key, no NaN)
    # whose `size` or `sha256` is missing or of the wrong type (null) verifies nothing:
    # this responder answers `integrity_failed` (fatal) instead of `bad_frame`. (Only in
    # RECEIVING: the state is checked before the payload, so a DONE anywhere else is still
    # unexpected_frame.)
    app = _module("reference.app")
    errors = _module("reference.errors")
    original = app.decode_message

    def decode_message(frame: Any, **kwargs: Any) -> Any:
        try:
            return original(frame, **kwargs)
        except errors.RemoteProtocolError as exc:
            if bytes(frame.type) != b"DONE" or exc.code != errors.ErrorCode.BAD_FRAME:
                raise
            try:
                obj = json.loads(
                    bytes(frame.payload).decode("utf-8"),
                    object_pairs_hook=_no_duplicates,
                    parse_constant=_no_constant,
                )
            except ValueError:
                raise exc from None
            if not isinstance(obj, dict) or _done_members_typed(obj):
                raise  # malformed otherwise: bad_frame, as the reference answers
            raise errors.RemoteProtocolError(
                errors.ErrorCode.INTEGRITY_FAILED, "the DONE does not verify the data received"
            ) from None

    app.decode_message = decode_message


_SLOW_START = 3.5  # seconds a restarted image takes before it serves


def _eke_slow_restart() -> None:
    # EKE-THR-8 asks counts to survive a restart, and sets no time for one; the README
    # promises the suite "waits up to 30 s for it to accept connections". This server's
    # restarted image takes 3.5 s to start (a JVM, a large throttle database to load)
    # while its listening socket, kept across the restart as the reference keeps it (or as
    # systemd's socket activation holds it), already queues connections.
    os = _module("os")
    if os.environ.get("SFT_EKE_LISTEN_FD"):  # a restarted image (reference.cli.eke)
        time.sleep(_SLOW_START)


# ---------------------------------------------------------------- the CA


def _ca_close_delimited(*, every_answer: bool) -> None:
    # RFC 9112 §6.3 (8): a response "without a declared message body length" has the body
    # "determined by the number of octets received prior to the server closing the
    # connection"; RFC 9112 §9.6: a server MAY close after any response. This CA sends the
    # answers it closes after without Content-Length (and not chunked): their body ends
    # at the close, as many hand-written and HTTP/1.0-minded servers do.
    handler = fp2._ca_handler()
    original = handler._send

    def send(
        self: Any,
        status: Any,
        body: bytes,
        content_type: str,
        *,
        close: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        if not (close or every_answer):
            original(self, status, body, content_type, close=close, headers=headers)
            return
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-store")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    handler._send = send


def _ca_close_delimited_when_closing() -> None:
    _ca_close_delimited(every_answer=False)


def _ca_close_delimited_every_answer() -> None:
    _ca_close_delimited(every_answer=True)


def _ca_501_unknown_coding_any_route() -> None:
    # CA-ENR-9: "a Transfer-Encoding the CA does not read makes the length unknown too ...
    # After answering a request whose body's length is unknown ... the CA MUST close";
    # RFC 9112 §6.1: "A server that receives a request message with a transfer coding it
    # does not understand SHOULD respond with 501 (Not Implemented)". This CA answers 501
    # (a JSON error object) and closes for any coding but chunked, on every route, before
    # it looks at the path.
    handler = fp2._ca_handler()
    http = _module("http")
    original = handler._dispatch

    def dispatch(self: Any) -> None:
        codings = [v.strip().lower() for v in self.headers.get_all("Transfer-Encoding") or []]
        if codings and codings[-1].rsplit(",", 1)[-1].strip() != "chunked":
            self._body_read = False
            self._send_json(
                http.HTTPStatus.NOT_IMPLEMENTED,
                {"error": "not_implemented", "message": "transfer coding not implemented"},
                close=True,
            )
            return
        original(self)

    handler._dispatch = dispatch
    # The verbs are bound to the original at class creation (do_GET = _dispatch): rebind.
    for verb in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        setattr(handler, f"do_{verb}", dispatch)


# ---------------------------------------------------------------- the initiators


def _pki_initiator_auth_failed_after_handshake() -> None:
    # PKI-TLS-7: an endpoint ends a connection "after sending or receiving a fatal EROR
    # (including auth_failed for a certificate refused after the handshake)" with
    # close_notify; PKI-TLS-10: checks of PKI-CERT-1/5/9 may be made "in its own code once
    # its TLS stack has completed". This initiator refuses a responder certificate that
    # fails PKI-CERT-* after the handshake as a responder may: EROR auth_failed, then
    # close_notify and the close, exit non-zero. (An alias mismatch, PKI-ID-1, still
    # ends without any frame: "it sends no frame".)
    client = _module("reference.pki.client")
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    ssl = _module("ssl")
    original = client.peer_alias

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        try:
            alias: str = original(sock, as_server=as_server)
        except client.CertificateRefused:
            eror = messages.ErrorFrame(
                errors.ErrorCode.AUTH_FAILED, "the responder's certificate is refused"
            )
            with contextlib.suppress(OSError, ssl.SSLError):
                sock.sendall(messages.encode_message(eror))
            raise
        return alias

    client.peer_alias = peer_alias


_OWN_IDLE = 1.0  # this initiator's own idle timeout, the stale age of its sweep
_SWEEP_EVERY = 0.2


def _sweeping(sweep: Callable[..., int]) -> Callable[..., int]:
    """`sweep(directory, older_than=...)` run at once with this initiator's own idle
    timeout, then again every _SWEEP_EVERY s in a daemon thread for the whole run."""

    def sweep_often(directory: Any, older_than: float | None = None) -> int:
        removed = sweep(directory, older_than=_OWN_IDLE)

        def again() -> None:
            while True:
                time.sleep(_SWEEP_EVERY)
                with contextlib.suppress(OSError):
                    sweep(directory, older_than=_OWN_IDLE)

        threading.Thread(target=again, daemon=True).start()
        return removed

    return sweep_often


def _client_sweeps_often_by_own_idle() -> None:
    # APP-STORE-3: "An initiator removes those in its output directory that nobody has
    # written to for longer than the idle timeout (LIM-2)"; LIM-2's idle timeout is
    # "configurable": this initiator's own is 1 s, and it sweeps at start and then every
    # 0.2 s while it runs (a long-lived client that cleans up as it goes).
    transfer = _module("reference.transfer")
    original = transfer.remove_stale_partials
    cli_eke = _module("reference.cli.eke")
    cli_eke.remove_stale_partials = _sweeping(original)
    transfer.remove_stale_partials = _sweeping(original)  # the pki CLI imports it late


# ---------------------------------------------------------------- the enrolment client


Around = Callable[[Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any]


def _wrap_enroll(around: Around) -> None:
    """`around(original, args, kwargs)` replaces reference.pki.enroll.enroll (the CLI
    imports it when it runs, so the module attribute is what it calls)."""
    module = _module("reference.pki.enroll")
    original = module.enroll

    def enroll(*args: Any, **kwargs: Any) -> Any:
        return around(original, args, kwargs)

    module.enroll = enroll


def _enroll_rsa_key() -> None:
    # PKI-CERT-1: "The key is ECDSA on P-256 only ... or RSA" (RSA >= 2048); CA-ENR-12:
    # "The enrolling employee MUST generate its private key locally": this enrolment client
    # makes an RSA key (the reference's own --key-type rsa) and stores it PEM, 0600.
    def around(original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        kwargs["key_type"] = "rsa"
        return original(*args, **kwargs)

    _wrap_enroll(around)


def _enroll_extra_files() -> None:
    # CA-ENR-12 fixes what must hold (the key made here, 0600, a certificate for it), not
    # what else an identity directory holds: this client also stores the full chain
    # (certificate + root, as TLS servers load it), a JSON record of the enrolment and a
    # README, all beside the key and certificate.
    def around(original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        identity = original(*args, **kwargs)
        directory = Path(identity.directory)
        cert = Path(identity.cert).read_bytes()
        root = Path(identity.root).read_bytes()
        (directory / "chain.pem").write_bytes(cert + root)
        record = {"alias": args[2] if len(args) > 2 else kwargs.get("alias"), "ca": args[0]}
        (directory / "enrolment.json").write_text(json.dumps(record) + "\n")
        (directory / "README").write_text("key.pem is secret; chain.pem is cert + root\n")
        return identity

    _wrap_enroll(around)


def _enroll_retries_once() -> None:
    # CA-ENR-12: "any other answer — an error status ... — fails the enrolment (non-zero
    # exit)"; nothing forbids asking again first. RFC 9110 §10.2.3 (Retry-After) for 429
    # and 5xx: this client retries a 429 or a 500 once, after the Retry-After (at most
    # 2 s; 1 s without one), and fails if the second answer is no better.
    enroll = _module("reference.pki.enroll")
    ca_client = enroll.CaClient
    original = ca_client.request

    def request(
        self: Any, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        status, headers, data = original(self, method, path, body)
        if method == "POST" and status in (429, 500):
            wait = headers.get("retry-after", "1")
            time.sleep(min(2.0, float(wait)) if wait.isdigit() else 1.0)
            status, headers, data = original(self, method, path, body)
        return status, headers, data

    ca_client.request = request


def _enroll_checks_root_first() -> None:
    # CA-ENR-8: "GET /v1/root MUST return the root certificate (PEM)": this client fetches
    # it first (over the TLS connection verified against the root it was given) and stops
    # unless it is that root, before it makes a key or sends the password.
    enroll = _module("reference.pki.enroll")
    x509 = _module("cryptography.x509")

    def around(original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        ca_url, root_pem = args[0], args[1]
        status, _, data = enroll.CaClient(ca_url, root_pem).request("GET", "/v1/root")
        try:
            same = status == 200 and x509.load_pem_x509_certificate(
                data
            ) == x509.load_pem_x509_certificate(root_pem)
        except ValueError:
            same = False
        if not same:
            raise enroll.EnrollError(f"the CA does not serve this root (HTTP {status})")
        return original(*args, **kwargs)

    _wrap_enroll(around)


# ---------------------------------------------------------------- the list


def _r(
    name: str,
    profile: str,
    requirements: tuple[str, ...],
    test_files: tuple[str, ...],
    description: str,
    apply: Callable[[], None],
    *,
    client: bool = False,
    ca: bool = False,
) -> Reading:
    return Reading(
        name, profile, requirements, test_files, description, apply, client=client, ca=ca
    )


def _e(
    name: str, test_files: tuple[str, ...], description: str, apply: Callable[[], None]
) -> Reading:
    return EnrollReading(name, "pki", _ENROLL_REQS, test_files, description, apply, client=True)


def _both(*applies: Callable[[], None]) -> Callable[[], None]:
    """Several variants planted together (one server start, one run)."""

    def apply() -> None:
        for each in applies:
            each()

    return apply


_FRM10 = (
    "FRM-10: 'A receiver MUST ignore members of a control object that the schema does not "
    "define (extensibility). A sender MAY add such members'"
)
_CLOSE_ANY = "RFC 9112 §9.6: a server MAY close after any answer (Connection: close)"

READINGS: tuple[Reading, ...] = (
    # --- the responders: JSON nulls (FRM-9/11/12)
    _r(
        "s11-eke-done-malformed-integrity-failed",
        "eke",
        _NULLS_REQS,
        (_NULLS,),
        "FRM-16: 'a receiver MAY answer with the code of any rule it breaks'; APP-PUT-5 "
        "'otherwise EROR integrity_failed': a put's DONE object with a null size or sha256 "
        "is answered integrity_failed",
        _done_malformed_is_integrity_failed,
    ),
    _r(
        "s11-pki-done-malformed-integrity-failed",
        "pki",
        _NULLS_REQS,
        (_NULLS,),
        "FRM-16: 'a receiver MAY answer with the code of any rule it breaks'; APP-PUT-5 "
        "'otherwise EROR integrity_failed': a put's DONE object with a null size or sha256 "
        "is answered integrity_failed",
        _done_malformed_is_integrity_failed,
    ),
    _r(
        "s11-pki-slow-close-after-fatal-nulls",
        "pki",
        _NULLS_REQS,
        (_NULLS,),
        "ERR-3: 'The close follows the EROR at once ... (the conformance suite allows 2 s': "
        "every close after the responder's fatal EROR 0.6 s later",
        s9._pki_slow_close_after_every_fatal_eror,
    ),
    # --- the eke server's state across restarts and full tables
    _r(
        "s11-eke-generic-eror-message-restart-tables",
        "eke",
        _EKE_STATE_REQS,
        (_RESTART, _TABLES),
        "ERR-1: 'A receiver MUST act on code only; name and message are for people': every "
        "EROR (throttled included) says only 'request refused'",
        fp1._eror_generic_message,
    ),
    _r(
        "s11-eke-sweep-later-by-age-restart",
        "eke",
        ("APP-STORE-3",),
        (_RESTART,),
        "APP-STORE-3: 'A responder MUST also remove, when it starts, the .sft-partial-* "
        "files that an earlier run left': the start-up sweep runs 1 s after the start, in "
        "the background, and takes the files that were there at the start (any age)",
        s9._eke_sweep_later_by_age,
    ),
    _r(
        "s11-eke-slow-restart",
        "eke",
        ("EKE-THR-8", "EKE-THR-4", "EKE-THR-11", "APP-STORE-3"),
        (_RESTART,),
        "EKE-THR-8 sets no time for a restart (the README: the suite 'waits up to 30 s for it "
        "to accept connections'): the restarted image serves 3.5 s after the restart, its "
        "listening socket kept and queueing meanwhile",
        _eke_slow_restart,
    ),
    # --- the CA (CA-ENR-9, CA-ENR-7, CA-ENR-21, CA-ENR-14)
    _r(
        "s11-ca-close-delimited-when-closing",
        "pki",
        ("CA-ENR-9",),
        (_CA_UNFRAMED, _CA_BODIES, "test_ca.py"),
        "RFC 9112 §6.3 (8): without a declared length the body ends at the close; §9.6 a "
        "server MAY close: every answer the CA closes after has no Content-Length",
        _ca_close_delimited_when_closing,
        ca=True,
    ),
    _r(
        "s11-ca-close-delimited-every-answer",
        "pki",
        _CA_REQS,
        (_CA_BODIES, _CA_THROTTLE),
        f"{_CLOSE_ANY}; RFC 9112 §6.3 (8): every answer closes, its body delimited by the "
        "close (no Content-Length)",
        _ca_close_delimited_every_answer,
        ca=True,
    ),
    _r(
        "s11-ca-501-unknown-coding-any-route",
        "pki",
        ("CA-ENR-9",),
        (_CA_UNFRAMED,),
        "CA-ENR-9: 'a Transfer-Encoding the CA does not read makes the length unknown' (then "
        "the close); RFC 9112 §6.1: such a request SHOULD get 501: 501 and the close, any "
        "route",
        _ca_501_unknown_coding_any_route,
        ca=True,
    ),
    _r(
        "s11-ca-close-every-answer-interop",
        "pki",
        _CA_REQS,
        _CA_FILES,
        _CLOSE_ANY,
        fp2._ca_close_every_answer,
        ca=True,
    ),
    _r(
        "s11-ca-chunked-answers-interop",
        "pki",
        _CA_REQS,
        _CA_FILES,
        "RFC 9112 §7.1: an HTTP/1.1 server MAY send any answer chunked",
        fp2._ca_chunked_answers,
        ca=True,
    ),
    _r(
        "s11-ca-http10-interop",
        "pki",
        _CA_REQS,
        _CA_FILES,
        "RFC 9110 §2.5: an HTTP/1.0 server (it closes after every answer); the SPEC asks "
        "HTTPS and JSON bodies",
        s10._ca_http10,
        ca=True,
    ),
    _r(
        "s11-ca-lowercase-headers-interop",
        "pki",
        _CA_REQS,
        _CA_FILES,
        "RFC 9110 §5.1: field names are case-insensitive; every header in lower case",
        fp2._ca_lowercase_headers,
        ca=True,
    ),
    _r(
        "s11-ca-json-pretty-reordered-interop",
        "pki",
        _CA_REQS,
        (_CA_BODIES, _CA_THROTTLE),
        "RFC 8259: the CA's JSON answers indented, members in another order",
        fp2._ca_json_pretty_reordered,
        ca=True,
    ),
    _r(
        "s11-ca-extra-members-charset-interop",
        "pki",
        _CA_REQS,
        (_CA_BODIES, _CA_THROTTLE),
        'CA-ENR-9: \'a JSON object {"error": code, "message": str}\' (members of its own '
        "beside them); RFC 8259 §11: a charset parameter has no effect",
        _both(fp2._ca_extra_members, fp2._ca_json_charset),
        ca=True,
    ),
    _r(
        "s11-ca-csr-checked-first-throttle-state",
        "pki",
        _CA_REQS,
        (_CA_THROTTLE, _CA_BODIES),
        "CA-ENR-21: '400 bad_csr (the CSR is checked first and the password is not "
        "verified: nothing counts ...)'",
        s10b._ca_csr_checked_first,
        ca=True,
    ),
    _r(
        "s11-ca-parse-first-throttle-state",
        "pki",
        _CA_REQS,
        (_CA_THROTTLE, _CA_BODIES),
        "CA-ENR-21: 'MAY be answered either way ... Whatever the order': an unparseable csr "
        "400 before the password, a parseable one with a bad signature after it",
        s10b._ca_parse_first_profile_later,
        ca=True,
    ),
    _r(
        "s11-ca-slow-logins-throttle-state",
        "pki",
        _CA_REQS,
        (_CA_THROTTLE, _CA_BODIES),
        "CA-ENR-5/6 set no time for a login: every password check takes 0.3 s more",
        fp2._ca_slow_logins,
        ca=True,
    ),
    _r(
        "s11-ca-501-unknown-methods-400-unknown-length",
        "pki",
        ("CA-ENR-9",),
        (_CA_UNFRAMED, _CA_BODIES),
        "CA-ENR-9: 'A method the CA implements on no path ... MAY be answered 501 instead of "
        "405'; 'a request without Content-Length 411 or 400'",
        _both(fp2._ca_501_for_unknown_methods, fp2._ca_400_for_unknown_length),
        ca=True,
    ),
    # --- the initiators as senders (APP-PUT-9) and receivers
    _r(
        "s11-eke-client-json-extra-members-put-renamed",
        "eke",
        (*_PUT_REQS, "APP-PUT-1", "FRM-14"),
        (_PUT_RENAMED, _CLIENT_PUT),
        f"{_FRM10}: every control payload of the client (PUTF, DONE) carries undefined members",
        fp2._json_extra_members,
        client=True,
    ),
    _r(
        "s11-pki-initiator-json-extra-members-put-renamed",
        "pki",
        (*_PUT_REQS, "APP-PUT-1", "FRM-14"),
        (_PUT_RENAMED, _CLIENT_PUT),
        f"{_FRM10}: every control payload of the initiator (PUTF, DONE) carries undefined members",
        fp2._json_extra_members,
        client=True,
    ),
    _r(
        "s11-eke-client-json-other-style-new",
        "eke",
        (*_PUT_REQS, *_CLIENT_REQS),
        (_PUT_RENAMED, *_CLIENT_FILES),
        "RFC 8259 (FRM-8): the client's control payloads with members reversed, white "
        "space and \\u escapes",
        fp2._json_other_style,
        client=True,
    ),
    _r(
        "s11-pki-initiator-no-bye-new",
        "pki",
        (*_PUT_REQS, *_CLIENT_REQS),
        (_PUT_RENAMED, *_CLIENT_FILES),
        "APP-BYE-2: 'A connection closed without BYE_ between transfers is not an error for "
        "a completed transfer': close_notify, no BYE_",
        fp2._pki_no_bye,
        client=True,
    ),
    _r(
        "s11-eke-client-no-bye-write-at-end",
        "eke",
        (*_PUT_REQS, *_CLIENT_REQS),
        (_PUT_RENAMED, *_CLIENT_FILES),
        "APP-BYE-2 (no BYE_ after a completed transfer); APP-GET-6 'rename it to its final "
        "name only after APP-GET-3 succeeded': the get kept in memory until DONE verifies",
        _both(fp2._eke_client_no_bye, fp2._eke_write_at_end),
        client=True,
    ),
    _r(
        "s11-pki-initiator-write-at-end-uuid-partials",
        "pki",
        _CLIENT_REQS,
        _CLIENT_FILES,
        "APP-GET-6: the get written to its temporary file only once DONE verifies; "
        "APP-STORE-1: '.sft-partial- followed by a random part' (a UUID)",
        _both(fp2._pki_write_at_end, fp2._uuid_partial_names),
        client=True,
    ),
    _r(
        "s11-eke-client-exit-3-other-words",
        "eke",
        _CLIENT_REQS,
        _CLIENT_FILES,
        "a failed get exits non-zero (no value fixed); ERR-1: 'name and message are for "
        "people': its own EROR messages in its own words",
        _both(fp2._eke_exit_code_3, fp2._other_error_messages),
        client=True,
    ),
    _r(
        "s11-eke-client-sweeps-often-own-idle",
        "eke",
        ("APP-STORE-3",),
        (_SWEEP,),
        "APP-STORE-3: 'An initiator removes those ... that nobody has written to for longer "
        "than the idle timeout'; LIM-2's is configurable: its own 1 s, swept at start and "
        "every 0.2 s",
        _client_sweeps_often_by_own_idle,
        client=True,
    ),
    _r(
        "s11-pki-initiator-sweeps-often-own-idle",
        "pki",
        ("APP-STORE-3",),
        (_SWEEP,),
        "APP-STORE-3: 'An initiator removes those ... that nobody has written to for longer "
        "than the idle timeout'; LIM-2's is configurable: its own 1 s, swept at start and "
        "every 0.2 s",
        _client_sweeps_often_by_own_idle,
        client=True,
    ),
    # --- the pki initiator and the responder's certificate
    _r(
        "s11-pki-initiator-auth-failed-after-handshake",
        "pki",
        ("PKI-CERT-6", "PKI-CERT-9"),
        (_CERT_VARIANTS,),
        "PKI-TLS-7: 'after sending ... a fatal EROR (including auth_failed for a certificate "
        "refused after the handshake)'; PKI-TLS-10: checks 'in its own code once its TLS "
        "stack has completed': EROR auth_failed, close_notify, exit non-zero",
        _pki_initiator_auth_failed_after_handshake,
        client=True,
    ),
    _r(
        "s11-pki-initiator-mismatch-bare-close-variants",
        "pki",
        ("PKI-ID-1", "PKI-ID-4"),
        (_CERT_VARIANTS,),
        "PKI-ID-1: 'How it ends that connection (a TLS alert, close_notify, or a TCP close) "
        "is its choice': a bare TCP close on a look-alike alias",
        s10._initiator_mismatch_bare_close,
        client=True,
    ),
    _r(
        "s11-pki-initiator-sha256-sigalgs-x509-strict",
        "pki",
        ("PKI-CERT-9", "PKI-CERT-1", "PKI-CERT-6", "PKI-TLS-1"),
        (_CERT_VARIANTS,),
        "PKI-TLS-9 bounds what is negotiated (ecdsa_secp256r1_sha256 and rsa_pss_rsae_sha256 "
        "only still cover RSA-2048/3072, PKI-CERT-9); PKI-CERT-13: a strict X.509 verifier",
        _both(s10b._pki_sha256_sigalgs_only, s10._initiator_x509_strict),
        client=True,
    ),
    # --- the enrolment client (CA-ENR-12, CA-ENR-18, PKI-TLS-4)
    _e(
        "s11-enroll-rsa-key",
        (_ENROLL, _ENROLL_ANSWERS),
        "PKI-CERT-1: 'The key is ECDSA on P-256 only ... or RSA' (>= 2048); CA-ENR-12: made "
        "locally: this enrolment client makes an RSA key",
        _enroll_rsa_key,
    ),
    _e(
        "s11-enroll-extra-files",
        (_ENROLL, _ENROLL_ANSWERS),
        "CA-ENR-12 fixes the key (0600) and a certificate for it, not the rest of the "
        "identity directory: a chain file (certificate + root), a JSON record, a README",
        _enroll_extra_files,
    ),
    _e(
        "s11-enroll-retries-once",
        (_ENROLL, _ENROLL_ANSWERS),
        "CA-ENR-12: 'any other answer ... fails the enrolment (non-zero exit)'; RFC 9110 "
        "§10.2.3: a 429 or 500 retried once after Retry-After (at most 2 s), then failed",
        _enroll_retries_once,
    ),
    _e(
        "s11-enroll-checks-root-first",
        (_ENROLL, _ENROLL_ANSWERS),
        "CA-ENR-8: 'GET /v1/root MUST return the root certificate': fetched first, over the "
        "verified connection, and compared with the root given, before the password",
        _enroll_checks_root_first,
    ),
)
