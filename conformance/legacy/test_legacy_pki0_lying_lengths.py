"""Profile pki-legacy: a frame's length is its 4 big-endian bytes, read no other way (§7.1.1).

Every message is one frame: "a 4-byte ASCII type, a 4-byte big-endian unsigned length and
exactly `length` payload bytes" (LEG-PKI-FMT-1); a receiver MAY close at a length it
cannot handle (LEG-PKI-FMT-2: the reference closes above 64 KiB, the seed reads on).
test_legacy_pki0*.py send honest headers, and the suite's own reader takes a byte-swapped
length from a little-endian WRITER (so that one deviation is reported once). A responder
can read every honest header right and still read a lying one another way:
- a compatibility fallback ("peers that wrote the length little-endian"): a big-endian
  length over its limit re-read little-endian;
- fewer bits than the header has: the length read as a 16-bit or 24-bit number
  (`readUInt16BE(6)`, a `& 0xFFFFFF`), or as a signed 32-bit one masked to 31 bits.
Here SECE carries the suite's certificate (L bytes) after a header whose big-endian length
is NOT L but reads as L in one of those ways: L little-endian, L + 2^16, L + 2^24, L + 2^31.
However the responder handles such a length (it waits for the rest, or closes), it MUST
NOT answer: an RSCV or RSCI within the wait means it took L payload bytes for a frame that
announced another number.
"""

from __future__ import annotations

import pytest

from conformance.legacy import pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.stream import Closed, LegacyStream, TimedOut, hexdump

pytestmark = pytest.mark.xdist_group("pki-legacy")

PATIENCE = 1.5  # seconds without an answer after the lying SECE: it was not misread


def _lying_lengths(size: int) -> dict[str, bytes]:
    """Length fields whose big-endian value is not `size`, each read as `size` another way."""
    fields = {
        "the length little-endian": size.to_bytes(4, "little"),
        "the length + 2^16 (a 16-bit read sees it)": (size + (1 << 16)).to_bytes(4, "big"),
        "the length + 2^24 (a 24-bit read sees it)": (size + (1 << 24)).to_bytes(4, "big"),
        "the length + 2^31 (a 31-bit read sees it)": (size + (1 << 31)).to_bytes(4, "big"),
    }
    return {k: v for k, v in fields.items() if int.from_bytes(v, "big") != size}


@pytest.mark.req("LEG-PKI-FMT-1")
def test_a_length_read_another_way_gets_no_answer(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    certificate = suite_identity.certificate_pem
    # The control: the same SECE with its honest header is answered RSCV.
    with LegacyStream(pki_legacy.host, pki_legacy.port) as stream:
        stream.send(pki0.frame(b"SECE", certificate))
        try:
            control = pki0.read_frame(stream, lenient=[])
        except (Closed, TimedOut, ValueError) as exc:
            pytest.skip(f"not judged: the honest SECE got no frame ({type(exc).__name__})")
    if control.type != b"RSCV":
        pytest.skip(f"not judged: the honest SECE got {control.type!r}, not RSCV")
    wrong = []
    for what, field in _lying_lengths(len(certificate)).items():
        with LegacyStream(pki_legacy.host, pki_legacy.port) as stream:
            stream.send(b"SECE" + field + certificate)
            try:
                head = stream.read_exact(8, timeout=PATIENCE)
            except (Closed, TimedOut):
                continue
            announced = int.from_bytes(field, "big")
            wrong.append(
                f"{what} ({announced} = 0x{announced:08x} announced, {len(certificate)} sent): "
                f"answered {hexdump(head)}"
            )
    assert not wrong, (
        "LEG-PKI-FMT-1 (the length is a 4-byte big-endian unsigned integer and the payload "
        "exactly that many bytes) violated: SECE with the suite's certificate after a header "
        "announcing another length, each answered as if it announced the certificate's: "
        + "; ".join(wrong)
    )
