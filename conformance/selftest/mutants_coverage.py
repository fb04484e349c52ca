"""Mutants for the MUSTs no other family plants a bug against.

The registry's coverage by intended requirement (conformance/selftest/mutants*.py) left
observable MUSTs with no mutant at all: a case citing them could be unable to fail and
nobody would know. Each mutant here is an implementer's plausible mistake against one of
them, planted in the code both profiles share where the mistake would be made there:

- APP-1: stray RSFL/DONE frames in IDLE skipped ("be liberal in what you accept");
- APP-3: DATA in IDLE skipped (left over from a refused put, "harmless");
- APP-2: one transfer per connection (closes after the first, like the seeds); bytes
  buffered behind a request dropped when the transfer ends (a pipelined request lost);
- APP-STORE-4: "more data than announced" found only at DONE, after writing it all;
- FRM-15: a lone-surrogate name not refused, so the filesystem call fails: `internal`;
- FRM-1: CR/LF between frames skipped, as a line protocol would;
- ERR-5: the EKE3 failure message carries key material (a debugging leftover);
- EKE-THR-2: the throttle keyed on one bucket for every address (the server's own
  address taken for the peer's);
- PKI-ID-2: the initiator's identity taken from the TLS SNI it sends, when it sends one;
- ERR-4 / ERR-1 (the pki initiator): an unknown code, or a known `name`, read as a
  non-fatal refusal, so the client says BYE_ and waits for the echo;
- APP-STORE-5 (both clients): stopped by SIGTERM mid-get, the client keeps what it has
  under the final name.

Tried and dropped, because the wire cannot tell them from the reference: the same skips
in sft-eke/1 (its record layer hands over one frame per record), the eke client's
reading of unknown codes (its one-get run ends at any error without waiting). (Counts
not reloaded at start, EKE-THR-8, are mutants_observable.py's: the embedded reference
now declares a restart command.)
"""

from __future__ import annotations

import struct
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_PROFILES = ("eke", "pki")


def _skip_in_idle(types: frozenset[bytes]) -> None:
    """The responder drops whole frames of `types` that arrive in IDLE."""
    app = _module("reference.app")
    original = app.ApplicationConnection._next_event

    def _next_event(self: Any) -> Any:
        buf = self._buffer
        while (
            self.role is app.RESPONDER
            and self.state is app.ResponderState.IDLE
            and self._header is None
            and not self._payload_left
            and len(buf) >= 8
        ):
            frame_type, length = struct.unpack("!4sI", bytes(buf[:8]))
            if frame_type not in types or length > 65536:
                break
            if len(buf) < 8 + length:
                if self._eof:
                    break
                return app.NEED_DATA
            del buf[: 8 + length]
        return original(self)

    app.ApplicationConnection._next_event = _next_event


def _stray_answers_skipped() -> None:
    _skip_in_idle(frozenset({b"RSFL", b"DONE"}))


def _stale_data_skipped() -> None:
    _skip_in_idle(frozenset({b"DATA"}))


def _one_transfer_per_connection() -> None:
    """After the first get or put the responder ends the connection (no BYE_)."""
    server = _module("reference.eke.server").EkeServer
    for attr in ("_serve_get", "_finish_put"):
        served = getattr(server, attr)

        def then_close(self: Any, stream: Any, arg: Any, _served: Any = served) -> str:
            _served(self, stream, arg)
            raise ConnectionError("one transfer per connection")

        setattr(server, attr, then_close)
    transfer = _module("reference.transfer")
    errors = _module("reference.errors")
    responder = transfer.Responder
    for attr in ("_get", "_put"):
        original = getattr(responder, attr)

        def once(self: Any, request: Any, _original: Any = original) -> None:
            _original(self, request)
            raise transfer.TransferFailed(
                errors.ErrorCode.INTERNAL, "one per connection", remote=False
            )

        setattr(responder, attr, once)


def _pipelined_bytes_dropped() -> None:
    """Each transfer starts from an empty buffer: what arrived behind it is lost. (The
    eke server's record reader reads one record at a time, so only the pki responder
    can hold bytes behind a request: the mutant is planted there.)"""
    transfer = _module("reference.transfer")
    responder = transfer.Responder
    for attr in ("_get", "_put"):
        original = getattr(responder, attr)

        def reset(self: Any, request: Any, _original: Any = original) -> None:
            _original(self, request)
            self.channel.conn._buffer.clear()

        setattr(responder, attr, reset)


def _overflow_found_at_done() -> None:
    """No running count against the announced size: the DONE check finds the excess,
    after every byte was written to the temporary (whose own limit is gone too)."""
    _patch_source(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            "if self._incoming.count + length > self._incoming.announced:",
            "if False:  # mutant: checked at DONE only",
        ),
    )
    _patch_source(
        _module("reference.share").PartialFile,
        "write",
        ("if self.written + len(view) > self.limit:", "if False:  # mutant: no limit"),
    )


def _surrogate_name_reaches_disk() -> None:
    """No check for lone surrogates: Python's json gives them as str, the name check
    measures the name with them, and the filesystem call then fails (internal)."""
    _module("reference.frames")._is_encodable = lambda value: True
    _patch_source(
        _module("reference.share"),
        "check_name",
        ('size = len(name.encode("utf-8"))', 'size = len(name.encode("utf-8", "surrogatepass"))'),
    )


def _crlf_between_frames() -> None:
    """CR and LF before a frame header are skipped (a line-protocol habit)."""
    app = _module("reference.app")
    original = app.ApplicationConnection._next_event

    def _next_event(self: Any) -> Any:
        if self._header is None and not self._payload_left:
            buf = self._buffer
            while buf[:1] in (b"\r", b"\n"):
                del buf[:1]
        return original(self)

    app.ApplicationConnection._next_event = _next_event


def _key_in_auth_error() -> None:
    """The EKE3 failure says which key it tried (a debugging leftover)."""
    handshake = _module("reference.eke.handshake")
    errors = _module("reference.errors")
    original = handshake.ServerHandshake._on_eke3

    def _on_eke3(self: Any, obj: dict[str, Any]) -> Any:
        try:
            return original(self, obj)
        except errors.AuthenticationFailed:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.AUTH_FAILED,
                f"authentication failed (EKE3 does not open under kcc={self._keys.kcc.hex()})",
            ) from None

    handshake.ServerHandshake._on_eke3 = _on_eke3
    handshake._public_message = lambda exc: exc.message


def _one_bucket_for_all_addresses() -> None:
    """Every address counted as one: the throttle keys on the server's own side."""
    _module("reference.eke.throttle").address_key = lambda address: "local"


def _identity_from_sni() -> None:
    """The responder takes the alias the initiator names in its SNI, when it names one."""
    tls = _module("reference.pki.tls")
    peer = _module("reference.pki.peer")
    original_context = tls.server_context
    original_alias = peer.peer_alias

    def server_context(identity: Any, crl_der: bytes) -> Any:
        ctx = original_context(identity, crl_der)

        def remember(sock: Any, server_name: str | None, _ctx: Any) -> None:
            sock.sft_sni = server_name

        ctx.sni_callback = remember
        return ctx

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        alias = str(original_alias(sock, as_server=as_server))
        return str(getattr(sock, "sft_sni", None) or alias)

    peer.server_context = server_context
    peer.peer_alias = peer_alias


def _one(
    profile: str,
    name: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
    *,
    client: bool = False,
) -> Mutant:
    return Mutant(
        name=f"cov-{profile}-{name}",
        group="coverage",
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=client,
    )


def _both(
    name: str, requirement: str, test_file: str, description: str, apply: Any
) -> tuple[Mutant, ...]:
    return tuple(
        _one(profile, name, requirement, test_file, description, apply) for profile in _PROFILES
    )


MUTANTS: tuple[Mutant, ...] = (
    *_both(
        "stray-rsfl-done-skipped",
        "APP-1",
        "test_framing.py",
        "a responder drops RSFL/DONE received in IDLE instead of unexpected_frame",
        _stray_answers_skipped,
    ),
    *_both(
        "data-in-idle-skipped",
        "APP-3",
        "test_framing.py",
        "a responder drops DATA received in IDLE instead of unexpected_frame",
        _stale_data_skipped,
    ),
    *_both(
        "one-transfer-per-connection",
        "APP-2",
        "test_framing.py",
        "the responder closes the connection after its first transfer",
        _one_transfer_per_connection,
    ),
    _one(
        "pki",
        "pipelined-request-dropped",
        "APP-2",
        "test_framing.py",
        "bytes buffered behind a request are dropped when its transfer ends",
        _pipelined_bytes_dropped,
    ),
    *_both(
        "overflow-found-at-done",
        "APP-STORE-4",
        "test_app_put.py",
        "a put's DATA beyond the announced size is written, refused only at DONE",
        _overflow_found_at_done,
    ),
    *_both(
        "surrogate-name-internal",
        "FRM-15",
        "test_framing.py",
        "a lone-surrogate name passes the name check and fails in the filesystem (internal)",
        _surrogate_name_reaches_disk,
    ),
    # pki only: sft-eke/1's record layer hands the application one frame per record,
    # so the same skip there is unreachable (a record "\r\nRQFL…" fails EKE-REC-1 first).
    _one(
        "pki",
        "crlf-between-frames",
        "FRM-1",
        "test_error_disclosure.py",
        "CR/LF bytes between frames are skipped instead of read as a header",
        _crlf_between_frames,
    ),
    _one(
        "eke",
        "key-in-auth-error",
        "ERR-5",
        "test_error_disclosure.py",
        "the EKE3 failure's EROR message carries the confirmation key kcc",
        _key_in_auth_error,
    ),
    _one(
        "eke",
        "one-throttle-bucket",
        "EKE-THR-2",
        "test_eke_throttling.py",
        "every client address is counted in one throttle bucket",
        _one_bucket_for_all_addresses,
    ),
    _one(
        "pki",
        "identity-from-sni",
        "PKI-ID-2",
        "test_pki_identity.py",
        "the responder takes the initiator's alias from its TLS SNI",
        _identity_from_sni,
    ),
)


def _unknown_codes_refusals() -> None:
    """A received code the client does not know is taken for a refusal (not_found)."""
    errors = _module("reference.errors")

    def from_wire(cls: Any, value: int) -> Any:
        try:
            return cls(value)
        except ValueError:
            return cls.NOT_FOUND

    errors.ErrorCode.from_wire = classmethod(from_wire)


def _code_from_name() -> None:
    """The client reads the error from `name` when it knows it, the number otherwise."""
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    original = messages.decode_message

    def decode_message(frame: Any, **kwargs: Any) -> Any:
        message = original(frame, **kwargs)
        if isinstance(message, messages.ErrorFrame):
            name = (messages.loads_control(frame.payload).get("name") or "").upper()
            if name in errors.ErrorCode.__members__:
                return messages.ErrorFrame(
                    errors.ErrorCode[name], message.message, message.retry_after
                )
        return message

    messages.decode_message = decode_message
    _module("reference.app").decode_message = decode_message


# pki only: the reference's eke client ends its one-get run at any error without waiting,
# so taking a fatal error for a refusal changes nothing it does on the wire; the pki
# initiator says BYE_ and waits for the echo, which a fatal error forbids.
MUTANTS += (
    _one(
        "pki",
        "client-unknown-code-non-fatal",
        "ERR-4",
        "test_client_fatal_errors.py",
        "the client maps an unknown EROR code to not_found (non-fatal) and says BYE_",
        _unknown_codes_refusals,
        client=True,
    ),
    _one(
        "pki",
        "client-code-from-name",
        "ERR-1",
        "test_client_fatal_errors.py",
        "the client acts on the EROR's name when it knows it, not on its code",
        _code_from_name,
        client=True,
    ),
)


def _keep_partial_on_interrupt() -> None:
    """Stopped by a signal mid-get, the client keeps what it has under the final name
    ("so the user can resume"): only an exception that is an error aborts."""
    share = _module("reference.share")
    original = share.PartialFile.__exit__

    def __exit__(self: Any, exc_type: Any, exc: Any, tb: Any) -> None:
        stopped = exc_type is not None and not issubclass(exc_type, Exception)
        if stopped and not self._done and self.written:
            self.commit()
            return
        original(self, exc_type, exc, tb)

    share.PartialFile.__exit__ = __exit__


MUTANTS += tuple(
    _one(
        profile,
        "client-keeps-partial-on-signal",
        "APP-STORE-5",
        test_file,
        "a client stopped by SIGTERM mid-get renames what it has to the final name",
        _keep_partial_on_interrupt,
        client=True,
    )
    for profile, test_file in (
        ("eke", "test_eke_client_transfer.py"),
        ("pki", "test_pki_initiator_transfer.py"),
    )
)


def _name_limits_in_characters() -> None:
    """The name and component limits counted in characters, not UTF-8 bytes."""
    _patch_source(
        _module("reference.share"),
        "check_name",
        ('size = len(name.encode("utf-8"))', 'size = len(name.encode("utf-8")) and len(name)'),
        (
            'if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:',
            "if len(part) > MAX_COMPONENT_BYTES:",
        ),
    )


def _name_limits_off_by_one() -> None:
    """`<=` where the limit is exclusive: a 4097-byte name and 256-byte components pass."""
    _patch_source(
        _module("reference.share"),
        "check_name",
        ("if not 1 <= size <= MAX_NAME_BYTES:", "if not 1 <= size <= MAX_NAME_BYTES + 1:"),
        (
            'if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:',
            'if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES + 1:',
        ),
    )


MUTANTS += (
    *_both(
        "name-limits-in-characters",
        "APP-NAME-1",
        "test_app_names.py",
        "name (4096) and component (255) limits counted in characters, not UTF-8 bytes",
        _name_limits_in_characters,
    ),
    *_both(
        "name-limits-off-by-one",
        "APP-NAME-1",
        "test_app_names.py",
        "a 4097-byte name and 256-byte components accepted",
        _name_limits_off_by_one,
    ),
)


def _empty_data_for_empty_file() -> None:
    """A get of an empty file sends one DATA frame of 0 bytes before DONE ("always at
    least one DATA"): FRM-13 forbids it, and a sender must not emit it (FRM-14)."""
    transfer = _module("reference.transfer")
    original_send_file = transfer._Channel.send_file

    def send_file(self: Any, reader: Any, size: int, progress: Any) -> None:
        if size == 0:
            self.stream.sendall(b"DATA\x00\x00\x00\x00")
        original_send_file(self, reader, size, progress)

    transfer._Channel.send_file = send_file
    transport = _module("reference.eke.transport")
    original_send = transport.SecureStream.send
    done_type = _module("reference.messages").Done

    def send(self: Any, message: Any) -> None:
        if isinstance(message, done_type) and message.size == 0:
            self.sock.sendall(self.channel.seal(b"DATA\x00\x00\x00\x00"))
        original_send(self, message)

    transport.SecureStream.send = send


MUTANTS += _both(
    "empty-data-frame-sent",
    "FRM-14",
    "test_framing.py",
    "a get of an empty file sends a DATA frame of 0 bytes before DONE",
    _empty_data_for_empty_file,
)


def _eke2_upper_case_hex() -> None:
    """EKE2's `b` and `c` in upper-case hex ("%X"): a lenient client reads them anyway."""
    _patch_source(
        _module("reference.eke.handshake").ServerHandshake,
        "accept",
        ('{"b": b.hex(), "c": c2.hex()}', '{"b": b.hex().upper(), "c": c2.hex().upper()}'),
    )


MUTANTS += (
    _one(
        "eke",
        "eke2-upper-case-hex",
        "EKE-HS-2",
        "test_eke_handshake.py",
        "EKE2's b and c sent in upper-case hex",
        _eke2_upper_case_hex,
    ),
)

# The MUSTs no mutant here or in another family plants a bug against, and why; the
# self-test (test_mutant_coverage.py) fails when an observable MUST is in neither list.
UNPLANTED: dict[str, str] = {
    "PKI-TLS-5": "Python's ssl offers no TLS 1.3 early data on the server side: the "
    "reference cannot be made to accept 0-RTT (the case still checks any target)",
}


def _eke1_upper_case_hex() -> None:
    """The client writes EKE1's `a` in upper-case hex."""
    _patch_source(
        _module("reference.eke.handshake").ClientHandshake,
        "_setup",
        ('{"user": user, "a": self._a.hex()}', '{"user": user, "a": self._a.hex().upper()}'),
    )


MUTANTS += (
    _one(
        "eke",
        "client-eke1-upper-case-hex",
        "EKE-HS-1",
        "test_eke_client.py",
        "the client's EKE1 carries `a` in upper-case hex",
        _eke1_upper_case_hex,
        client=True,
    ),
)


def _refusal_echoes_the_data_in_idle() -> None:
    """`unexpected_frame` formats what follows the header (the DATA payload) into its
    message, as `f"unexpected {frame!r}"` does: file content in an error [ERR-5]."""
    _patch_source(
        _module("reference.app").ApplicationConnection,
        "_lookup",
        (
            "f\"{frame_type.decode('ascii')} is not allowed in state {self.state.value}\",",
            "f\"{frame_type.decode('ascii')} is not allowed in state {self.state.value}: \""
            " f\"{bytes(self._buffer[:64])!r}\",",
        ),
    )


def _refusal_echoes_the_data_beyond_size() -> None:
    """`integrity_failed` for DATA past the announced size shows the bytes that arrived
    with it [ERR-5]."""
    _patch_source(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            'f"more data than the {self._incoming.announced} bytes announced",',
            'f"more data than the {self._incoming.announced} bytes announced: "'
            ' f"{bytes(buf[:64])!r}",',
        ),
    )


# pki only: the reference's eke transport hands DATA payloads past the sans-IO core (the
# zero-copy path), so the same edit there has no payload to show (an equivalent mutant).
MUTANTS += (
    _one(
        "pki",
        "eror-echoes-data-in-idle",
        "ERR-5",
        "test_error_disclosure.py",
        "the unexpected_frame message for DATA in IDLE shows the DATA payload",
        _refusal_echoes_the_data_in_idle,
    ),
    _one(
        "pki",
        "eror-echoes-data-beyond-size",
        "ERR-5",
        "test_error_disclosure.py",
        "the integrity_failed message for DATA past the announced size shows its payload",
        _refusal_echoes_the_data_beyond_size,
    ),
)

# The same mistake in the eke client's put (the pki initiator's is cput-pki-empty-data-
# frame): the suite plays the server and records every frame the client sends.
MUTANTS += (
    _one(
        "eke",
        "client-put-empty-data-frame",
        "FRM-14",
        "test_client_put.py",
        "the eke client's put of an empty file sends a DATA frame of 0 bytes before DONE",
        _empty_data_for_empty_file,
        client=True,
    ),
)


def _initiator_sigalgs_unpinned() -> None:
    """The initiator pins suites and groups but leaves OpenSSL's default
    signature_algorithms (Ed25519, rsa_pkcs1_*, SHA-1...) in its ClientHello."""
    _patch_source(
        _module("reference.pki.tls"),
        "_pin_tls13_parameters",
        ("(_SSL_CTRL_SET_SIGALGS_LIST, TLS13_SIGALGS),\n", ""),
    )


MUTANTS += (
    Mutant(
        name="cov-pki-initiator-sigalgs-unpinned",
        group="coverage",
        profile="pki",
        requirement="PKI-TLS-11",
        test_file="test_pki_hardening.py",
        description="the initiator offers OpenSSL's default signature_algorithms",
        apply=_initiator_sigalgs_unpinned,
        client=True,
        strict=True,  # PKI-TLS-11 is a SHOULD
    ),
)
