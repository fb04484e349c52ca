"""sft-pki/0: the first seed's peer-to-peer wire format, sans-IO (INSECURE).

Frames are ``struct.pack("!4sL", type, len(payload)) + payload``. One session:

    requester                                   responder
    SECE  requester's PEM certificate   ->
                                        <-   RSCV  responder's PEM certificate
                                             (or RSCI, empty, then close)
    RQFL  RSA-OAEP-SHA256(responder key, name) ->
                                        <-   RSFL  RSA-OAEP-SHA256(requester key, piece)
                                             ... one per 100-byte piece ...
                                        <-   close  (= end of file)

The cores follow h2's shape: ``receive_data(bytes) -> list[event]`` and
``data_to_send() -> bytes``; an empty ``receive_data(b"")`` means the peer
closed. Their flaws are the seed's, on purpose (docs/SPEC.md §7, LEG-PKI-*).
"""

from __future__ import annotations

__all__ = [
    "SECE",
    "RSCV",
    "RSCI",
    "RQFL",
    "RSFL",
    "FRAME_TYPES",
    "HEADER",
    "PIECE_SIZE",
    "MAX_PAYLOAD",
    "Frame",
    "encode_frame",
    "FrameDecoder",
    "PeerCertified",
    "PeerRefused",
    "FileRequested",
    "ResponderCertificate",
    "CertificateRefused",
    "FilePiece",
    "TransferEnded",
    "Event",
    "Pki0Responder",
    "Pki0Requester",
    "legacy_share_path",
    "iter_pieces",
]

import enum
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from reference.legacy import _crypto
from reference.legacy.errors import LegacyAuthError, LegacyLocalError, LegacyRemoteError

SECE = b"SECE"  # requester -> responder: "secure connection", the requester's certificate
RSCV = b"RSCV"  # responder -> requester: certificate valid + the responder's certificate
RSCI = b"RSCI"  # responder -> requester: certificate invalid (empty payload), then close
RQFL = b"RQFL"  # requester -> responder: the file name, RSA-OAEP under the responder's key
RSFL = b"RSFL"  # responder -> requester: one 100-byte piece, RSA-OAEP under the requester's key
FRAME_TYPES = frozenset({SECE, RSCV, RSCI, RQFL, RSFL})

HEADER = struct.Struct("!4sL")
PIECE_SIZE = 100
# The seed had no limit at all (it read whatever length was announced). The
# reference caps frames so that a lying length closes the session instead of
# eating memory; a PEM certificate or an RSA-2048 block is far below this.
MAX_PAYLOAD = 64 * 1024


@dataclass(frozen=True)
class Frame:
    type: bytes
    payload: bytes


def encode_frame(frame_type: bytes, payload: bytes) -> bytes:
    if len(frame_type) != 4:
        raise LegacyLocalError("a frame type is 4 bytes")
    return HEADER.pack(frame_type, len(payload)) + payload


class FrameDecoder:
    """Incremental ``!4sL`` decoder; the length is checked as soon as the header is in."""

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self._buffer = bytearray()
        self._max_payload = max_payload

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def receive_data(self, data: bytes) -> None:
        self._buffer += data
        self._check_header()

    def _check_header(self) -> None:
        if len(self._buffer) < HEADER.size:
            return
        frame_type, length = HEADER.unpack_from(self._buffer)
        if frame_type not in FRAME_TYPES:
            raise LegacyRemoteError(f"unknown frame type {bytes(frame_type)!r}")
        if length > self._max_payload:
            raise LegacyRemoteError(f"frame announces {length} bytes (limit {self._max_payload})")

    def next_frame(self) -> Frame | None:
        """The next whole frame, or None if more bytes are needed."""
        if len(self._buffer) < HEADER.size:
            return None
        frame_type, length = HEADER.unpack_from(self._buffer)
        end = HEADER.size + length
        if len(self._buffer) < end:
            return None
        payload = bytes(self._buffer[HEADER.size : end])
        del self._buffer[:end]
        self._check_header()
        return Frame(bytes(frame_type), payload)


# --- events ---------------------------------------------------------------


@dataclass(frozen=True)
class PeerCertified:
    """Responder: the SECE certificate carries the root's signature; RSCV is queued."""

    alias: str
    certificate_pem: bytes


@dataclass(frozen=True)
class PeerRefused:
    """Responder: the SECE certificate is not signed by the root; RSCI is queued."""

    reason: str


@dataclass(frozen=True)
class FileRequested:
    """Responder: RQFL decrypted. `name` is exactly what the requester sent."""

    name: str


@dataclass(frozen=True)
class ResponderCertificate:
    """Requester: RSCV arrived (NOT verified: the seed's requester trusts it)."""

    alias: str
    certificate_pem: bytes


@dataclass(frozen=True)
class CertificateRefused:
    """Requester: the responder answered RSCI."""


@dataclass(frozen=True)
class FilePiece:
    data: bytes


@dataclass(frozen=True)
class TransferEnded:
    """The peer closed. For the requester this is the seed's end of file."""

    pieces: int
    size: int


Event = (
    PeerCertified
    | PeerRefused
    | FileRequested
    | ResponderCertificate
    | CertificateRefused
    | FilePiece
    | TransferEnded
)


class _State(enum.Enum):
    AWAIT_SECE = "await SECE"
    AWAIT_RSCV = "await RSCV"
    AWAIT_RQFL = "await RQFL"
    READY_TO_REQUEST = "ready to request"
    SENDING = "sending"
    RECEIVING = "receiving"
    CLOSED = "closed"


class _Core:
    def __init__(self, state: _State) -> None:
        self._decoder = FrameDecoder()
        self._out = bytearray()
        self._state = state
        self._broken = False

    @property
    def state(self) -> str:
        return self._state.value

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def _queue(self, frame_type: bytes, payload: bytes) -> None:
        self._out += encode_frame(frame_type, payload)

    def receive_data(self, data: bytes) -> list[Event]:
        if self._broken:
            raise LegacyLocalError("this session already failed")
        try:
            return self._receive(data)
        except LegacyRemoteError:
            self._broken = True
            self._state = _State.CLOSED
            raise

    def _receive(self, data: bytes) -> list[Event]:
        if not data:
            return [self._on_close()]
        self._decoder.receive_data(data)
        events: list[Event] = []
        while (frame := self._decoder.next_frame()) is not None:
            events.append(self._on_frame(frame))
        return events

    # Each role has one transition table, (state, frame type) -> handler: any pair
    # not in it is a protocol error (_RESPONDER_TRANSITIONS, _REQUESTER_TRANSITIONS).
    _TRANSITIONS: ClassVar[dict[tuple[_State, bytes], Callable[[Any, Frame], Event]]] = {}

    def _on_frame(self, frame: Frame) -> Event:
        handler = self._TRANSITIONS.get((self._state, frame.type))
        if handler is None:
            raise LegacyRemoteError(
                f"unexpected {frame.type.decode('ascii', 'replace')} in state {self.state}"
            )
        return handler(self, frame)

    def _on_close(self) -> Event:  # pragma: no cover - overridden
        raise NotImplementedError


class Pki0Responder(_Core):
    """The listening peer (the seed's "client 2"): checks SECE, serves one RQFL."""

    def __init__(
        self, key: rsa.RSAPrivateKey, certificate: x509.Certificate, root: x509.Certificate
    ) -> None:
        super().__init__(_State.AWAIT_SECE)
        self._key = key
        self._certificate_pem = _crypto.certificate_pem(certificate)
        self._root = root
        self._peer_key: rsa.RSAPublicKey | None = None
        self.pieces_sent = 0

    def _on_sece(self, frame: Frame) -> Event:
        cert = _crypto.load_certificate(frame.payload)
        # LEG-PKI-2/3: the root's signature is the whole check. No proof that
        # the sender holds the key, no dates, no alias, no revocation.
        if not _crypto.signed_by(cert, self._root):
            self._queue(RSCI, b"")
            self._state = _State.CLOSED
            return PeerRefused("certificate not signed by the root")
        self._peer_key = _crypto.certificate_public_key(cert)
        self._queue(RSCV, self._certificate_pem)
        self._state = _State.AWAIT_RQFL
        return PeerCertified(_crypto.certificate_alias(cert), frame.payload)

    def _on_rqfl(self, frame: Frame) -> Event:
        raw = _crypto.oaep_decrypt(self._key, frame.payload)
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LegacyRemoteError("RQFL name is not UTF-8") from exc
        self._state = _State.SENDING
        return FileRequested(name)

    def _on_close(self) -> Event:
        self._state = _State.CLOSED
        return TransferEnded(self.pieces_sent, 0)

    def send_piece(self, piece: bytes) -> None:
        """Queue one RSFL: at most PIECE_SIZE bytes, RSA-OAEP under the requester's key."""
        if self._state is not _State.SENDING or self._peer_key is None:
            raise LegacyLocalError(f"cannot send a piece in state {self.state}")
        if not 0 < len(piece) <= PIECE_SIZE:
            raise LegacyLocalError(f"a piece is 1..{PIECE_SIZE} bytes")
        self._queue(RSFL, _crypto.oaep_encrypt(self._peer_key, piece))
        self.pieces_sent += 1


class Pki0Requester(_Core):
    """The initiating peer (the seed's "client 1"): SECE, then one RQFL."""

    def __init__(self, key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> None:
        super().__init__(_State.AWAIT_RSCV)
        self._key = key
        self._responder_key: rsa.RSAPublicKey | None = None
        self.pieces = 0
        self.size = 0
        self._queue(SECE, _crypto.certificate_pem(certificate))

    def _on_rscv(self, frame: Frame) -> Event:
        cert = _crypto.load_certificate(frame.payload)
        # LEG-PKI-4: the seed's requester never checks the responder's
        # certificate (no root signature, no alias): anyone can answer.
        self._responder_key = _crypto.certificate_public_key(cert)
        self._state = _State.READY_TO_REQUEST
        return ResponderCertificate(_crypto.certificate_alias(cert), frame.payload)

    def _on_rsci(self, frame: Frame) -> Event:
        self._state = _State.CLOSED
        raise LegacyAuthError("the responder refused our certificate (RSCI)")

    def _on_rsfl(self, frame: Frame) -> Event:
        piece = _crypto.oaep_decrypt(self._key, frame.payload)
        self.pieces += 1
        self.size += len(piece)
        return FilePiece(piece)

    def _on_close(self) -> Event:
        if self._state is not _State.RECEIVING:
            raise LegacyRemoteError(f"connection closed in state {self.state}")
        if self._decoder.buffered:
            raise LegacyRemoteError("connection closed inside a frame")
        self._state = _State.CLOSED
        # LEG-PKI-7: a close is the end of file; a truncated transfer looks complete.
        return TransferEnded(self.pieces, self.size)

    def request_file(self, name: str) -> None:
        if self._state is not _State.READY_TO_REQUEST or self._responder_key is None:
            raise LegacyLocalError(f"cannot request a file in state {self.state}")
        self._queue(RQFL, _crypto.oaep_encrypt(self._responder_key, name.encode("utf-8")))
        self._state = _State.RECEIVING


Pki0Responder._TRANSITIONS = {
    (_State.AWAIT_SECE, SECE): Pki0Responder._on_sece,
    (_State.AWAIT_RQFL, RQFL): Pki0Responder._on_rqfl,
}
Pki0Requester._TRANSITIONS = {
    (_State.AWAIT_RSCV, RSCV): Pki0Requester._on_rscv,
    (_State.AWAIT_RSCV, RSCI): Pki0Requester._on_rsci,
    (_State.RECEIVING, RSFL): Pki0Requester._on_rsfl,
}


def legacy_share_path(share: str, name: str) -> str:
    """Where the seed's responder opens a requested name: joined, never confined.

    LEG-PKI-5 (path confinement), reproduced on purpose: ``..`` components and
    absolute names are honoured, so any file the process can read is served.
    """
    return os.path.join(share, name)


def iter_pieces(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), PIECE_SIZE):
        yield data[start : start + PIECE_SIZE]
