"""The suite's own client side of sft-pki/0 and its CA (docs/SPEC.md §7.1-7.2), pycryptodome."""

from __future__ import annotations

__all__ = [
    "TYPES",
    "PIECE_SIZE",
    "frame",
    "oaep_encrypt",
    "oaep_decrypt",
    "Frame",
    "read_frame",
    "PkiSession",
    "run_session",
    "verify_body",
    "post_verify",
    "suite_key",
    # re-exported for callers that speak only pki/0 (fuzz/legacy.py)
    "CertificateInfo",
    "read_certificate",
]

import base64
import functools
import http.client
import json
import struct
import urllib.parse
from dataclasses import dataclass, field

from Crypto.Cipher import PKCS1_OAEP
from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA

from conformance.legacy.der import CertificateInfo, read_certificate, read_certificate_leniently
from conformance.legacy.stream import Closed, LegacyStream, TimedOut

TYPES = (b"SECE", b"RSCV", b"RSCI", b"RQFL", b"RSFL")
PIECE_SIZE = 100
_HEADER = struct.Struct("!4sL")
# Only to talk to a responder that reads lengths little-endian (run_session).
_HEADER_LE = struct.Struct("<4sL")
_MAX_PAYLOAD = 1 << 20  # the suite's own bound on what it buffers from a target


def frame(frame_type: bytes, payload: bytes, *, little_endian: bool = False) -> bytes:
    return (_HEADER_LE if little_endian else _HEADER).pack(frame_type, len(payload)) + payload


def oaep_encrypt(key: RSA.RsaKey, message: bytes) -> bytes:
    return PKCS1_OAEP.new(key.public_key(), hashAlgo=SHA256).encrypt(message)


def oaep_decrypt(key: RSA.RsaKey, ciphertext: bytes) -> bytes:
    return PKCS1_OAEP.new(key, hashAlgo=SHA256).decrypt(ciphertext)


@dataclass(frozen=True)
class Frame:
    type: bytes
    payload: bytes


def read_frame(
    stream: LegacyStream, timeout: float | None = None, *, lenient: list[str] | None = None
) -> Frame:
    """One `!4sL` frame; raises Closed / TimedOut, ValueError for a length over 1 MiB.

    `lenient`: a length over 1 MiB that is a plausible one byte-swapped (a little-endian
    writer, LEG-PKI-FMT-1's case reports it) is read as such and described in `lenient`,
    so that one header deviation does not turn every case into a harness ERROR."""
    frame_type, length = _HEADER.unpack(stream.read_exact(_HEADER.size, timeout))
    swapped = int.from_bytes(length.to_bytes(4, "big"), "little")
    if length > _MAX_PAYLOAD and lenient is not None and swapped <= _MAX_PAYLOAD:
        lenient.append(
            f"frame {frame_type!r} announces {length} bytes (0x{length:08x}): its {swapped} "
            "payload bytes follow, the length little-endian"
        )
        length = swapped
    if length > _MAX_PAYLOAD:
        raise ValueError(
            f"frame {frame_type!r} announces {length} bytes (0x{length:08x}; {swapped} "
            "little-endian): no plausible length, not a '!4sL' header"
        )
    return Frame(frame_type, stream.read_exact(length, timeout))


@dataclass
class PkiSession:
    """What one requester session saw."""

    answer: Frame | None = None  # RSCV or RSCI
    responder: CertificateInfo | None = None
    rsfl_payloads: list[bytes] = field(default_factory=list)
    pieces: list[bytes] = field(default_factory=list)
    other_frames: list[Frame] = field(default_factory=list)
    closed: bool = False
    requested: bool = False  # RQFL was sent (only after an RSCV)
    hung: bool = False  # after the request, neither a frame nor a close within `patience`
    stream: LegacyStream | None = None
    # Indexes of RSFL payloads that are no RSA-OAEP (SHA-256) block under the suite's
    # key (a LEG-PKI-FMT-6 deviation): counted, not read.
    undecryptable: list[int] = field(default_factory=list)
    # Frame headers read leniently (read_frame): LEG-PKI-FMT-1's case reports them.
    header_deviations: list[str] = field(default_factory=list)
    # A frame header whose length is no plausible one in either byte order (a writer of
    # another header shape: a 2-byte length, a length-prefixed type, …): where the
    # session stopped reading, for LEG-PKI-FMT-1's case; empty when every header was read.
    misframed: str = ""

    @property
    def content(self) -> bytes:
        return b"".join(self.pieces)


def run_session(
    host: str,
    port: int,
    certificate_pem: bytes,
    key: RSA.RsaKey | None,
    name: str | None,
    *,
    timeout: float = 10.0,
    patience: float | None = None,
) -> PkiSession:
    """SECE, then (if RSCV and a name) RQFL, then read RSFL until the close.

    `key` may be None: the suite then presents a certificate whose key it does not hold
    and cannot read the pieces (they are still counted). With `patience`, a responder
    that sends nothing and keeps the connection open that long after the request is
    recorded as `hung` (a finding for the caller) instead of raising TimedOut.

    A responder that closes without a word on the suite's SECE is asked once more with
    the length little-endian: one that reads (and writes) every length that way answers
    it, and is then audited in its byte order, the deviation in `header_deviations`
    (LEG-PKI-FMT-1's case reports it), instead of every case being a harness ERROR.
    """
    session = _run_session(host, port, certificate_pem, key, name, timeout, patience, False)
    if session.answer is None and session.closed:
        swapped = _run_session(host, port, certificate_pem, key, name, timeout, patience, True)
        if swapped.answer is not None:
            swapped.header_deviations.insert(
                0,
                f"SECE with its length big-endian ({len(certificate_pem)} bytes) got a close "
                f"and no answer; the same SECE with the length little-endian got "
                f"{swapped.answer.type!r}",
            )
            return swapped
    return session


def _run_session(
    host: str,
    port: int,
    certificate_pem: bytes,
    key: RSA.RsaKey | None,
    name: str | None,
    timeout: float,
    patience: float | None,
    little_endian: bool,
) -> PkiSession:
    session = PkiSession()
    with LegacyStream(host, port, timeout) as stream:
        session.stream = stream
        stream.send(frame(b"SECE", certificate_pem, little_endian=little_endian))
        try:
            session.answer = read_frame(stream, lenient=session.header_deviations)
        except Closed:
            session.closed = True
            return session
        except ValueError as exc:
            session.misframed = f"the answer to SECE: {exc}"
            return session
        if session.answer.type != b"RSCV":
            session.closed = stream.expect_close()
            return session
        try:  # leniently: LEG-PKI-FMT-4's case judges the encoding, not every case
            session.responder = read_certificate_leniently(session.answer.payload)
        except ValueError:
            return session
        if name is None:
            return session
        rqfl = oaep_encrypt(session.responder.public_key, name.encode())
        stream.send(frame(b"RQFL", rqfl, little_endian=little_endian))
        session.requested = True
        for _ in range(1 << 20):  # bounded by the read limit below
            try:
                received = read_frame(stream, patience, lenient=session.header_deviations)
            except Closed:
                session.closed = True
                break
            except TimedOut:
                if patience is None:
                    raise
                session.hung = True
                break
            except ValueError as exc:
                session.misframed = f"frame {len(session.rsfl_payloads) + 1} after RQFL: {exc}"
                break
            if received.type != b"RSFL":
                session.other_frames.append(received)
                continue
            session.rsfl_payloads.append(received.payload)
            if key is not None:
                try:
                    session.pieces.append(oaep_decrypt(key, received.payload))
                except ValueError:
                    session.undecryptable.append(len(session.rsfl_payloads) - 1)
    return session


def verify_body(root_pem: bytes, alias: str, password: str, public_key_pem: bytes) -> bytes:
    root = RSA.import_key(root_pem)
    credentials = json.dumps({"name": alias, "password": password}).encode()
    return json.dumps(
        {
            "payload": base64.b64encode(oaep_encrypt(root, credentials)).decode(),
            "public_key": public_key_pem.decode(),
        }
    ).encode()


def post_verify(ca_url: str, body: bytes, timeout: float = 10.0) -> tuple[int, bytes]:
    url = urllib.parse.urlsplit(ca_url)
    if url.scheme != "http" or not url.hostname:
        raise ValueError(f"the legacy CA URL is http://HOST:PORT, got {ca_url!r}")
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=timeout)
    try:
        conn.request("POST", "/verify", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read(1 << 20)
    finally:
        conn.close()


@functools.cache
def suite_key(slot: int) -> RSA.RsaKey:
    """RSA-2048 key number `slot` of this run, generated once: pycryptodome takes about
    a second per key (several on a loaded machine), and no case needs a key of its own,
    only one that differs from another case's key (slot 0 is the suite's identity)."""
    return RSA.generate(2048)
