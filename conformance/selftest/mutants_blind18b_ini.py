"""Blind red-team round 18, second pass (helper B98): the sft-pki/1 initiator (`sft get`,
`sft put`), planted through the six lenses of round 18.

Written blind, from docs/SPEC.md §3-§4 and the reference's pki/client.py, pki/tls.py,
transfer.py's Initiator and _Channel, app.py's send path and share.py's PartialFile only,
before any case file (and before mutants_blind18_client2.py) was opened. A short pass.

The first blind list (ten ideas) was checked against the names and descriptions of the
registered mutants: eight were there already and were replaced (r) before the run — TLS
1.2 let through (tls12-client), no ALPN accepted (alpn-any-selected), RSFL.sha256 never
compared (get-rsfl-sha-ignored, rsfl-sha-ignored), the alias checked after the first
request (id-after-get), `exists` in place of the receipt taken as stored
(put-exists-success, b10cli-put-exists-ok), the commit replacing a dangling link
(get-replace-commit), an initiator's temporary of mode 0644 (B94's list), KeyUsage
keyEncipherment taken for digitalSignature (ku-keyenc), the CRL loaded but not checked
(pki-no-crl). The registry holds ~500 pki client mutants: the initiator's space is
nearly mined out, so the replacements aim at the sibling paths of registered ideas.

lens 1 (negotiation and versions):
    groups-ffdhe          PKI-TLS-9   the initiator's group list gains ffdhe2048 ("for
                                      peers without ECDHE"), offered on the first try
    suites-ccm (r)        PKI-TLS-9   the initiator adds TLS_AES_128_CCM_SHA256 ("only
                                      CCM_8 has the short tag"): the responder side's twin
                                      (ccm8-allowed) is registered, the offer is not
lens 3 (out-of-order and early messages):
    get-eror-at-size-commits (r) APP-GET-3/6  all `size` bytes of a get arrived, then an
                                      EROR in place of DONE: "the bytes are all here", the
                                      file is committed and the get reported done
lens 4 (the deployment):
    put-reads-to-eof (r)  APP-PUT-4   the put sends the source until EOF, not `size`
                                      bytes: a source that grows during the put (a log
                                      being written) sends more DATA than PUTF announced,
                                      and a DONE with the larger size
lens 5 (distinguishers):
    cert-refusal-bye (r)  PKI-TLS-7   a responder certificate refused after the handshake
                                      (PKI-CERT-*, PKI-ID-4) is answered `EROR auth_failed`
                                      and then a polite `BYE_` (only the EROR is allowed)
lens 6 (sibling paths):
    put-empty-trailing-data (r) FRM-13/14 the put's send loop ends on a short read: a file
                                      whose size is a multiple of 1 MiB ends with an empty
                                      DATA frame (the eke responder's twin is registered)

(After the run, the two mutants aimed at `FRM-13` and `APP-GET-3` were re-cited to the
requirement their catching case judges: FRM-14, the sender's rule, and APP-GET-6.)

Blind measure (6 registered, each against the case file named blind): 1 caught —
put-reads-to-eof (test_client_run_put_source.py). Four more were caught by existing
files once aimed at them: groups-ffdhe and suites-ccm by test_pki_hardening.py (its
captured ClientHello; the blind guess test_pki_tls.py does not cite PKI-TLS-9),
put-empty-trailing-data by test_client_put.py (its close-in-place-of-DONE case puts
exactly 1 MiB; the FRM-13 boundary of test_client_pki_data_bounds.py is slow-marked),
cert-refusal-bye by test_pki_identity.py (its look-alike CN cases). test_client_pki_certs.py's
"sent it no request" case PASSES this mutant: of its kinds only no_basic_constraints
reaches the initiator's own check, and its hostile script (_wire_fixtures.py
honest_get_script) reads one frame and returns when it is not RQFL, so a BYE_ after the
EROR is never read nor judged (reported to the lead; not changed in this pass).

One was missed by every existing file citing APP-GET-3/APP-GET-5 (test_client_run_get_lies,
test_pki_initiator_transfer, test_client_lies, test_client_report_late_errors,
test_client_pki_unhappy_paths, test_client_run_before_data): get-eror-at-size-commits (the
files end a get with a close, a FIN or a wrong DONE after all bytes, or an EROR mid-way,
never an EROR after every byte). New case file, caught after the round (6 of 6):
  test_pki_initiator_get_ended_without_done.py   an EROR (non-fatal or fatal) in place of DONE after
                                       all announced bytes, boundary 0 bytes first: nothing
                                       under the final name (APP-GET-6), no temporary left
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _tls() -> Any:
    return _module("reference.pki.tls")


def _client() -> Any:
    return _module("reference.pki.client")


def _transfer() -> Any:
    return _module("reference.transfer")


def _messages() -> Any:
    return _module("reference.messages")


def _wrap_client_context(change: Callable[[Any], None]) -> None:
    tls = _tls()
    original = tls.client_context

    def client_context(identity: Any, crl_der: bytes) -> Any:
        ctx = original(identity, crl_der)
        change(ctx)
        return ctx

    tls.client_context = client_context
    _client().client_context = client_context


def _libssl(ctx: Any) -> tuple[Any, Any]:
    ctypes = _module("ctypes")
    lib = ctypes.CDLL(_module("_ssl").__file__)
    handle = ctypes.c_void_p.from_address(id(ctx) + object.__basicsize__).value
    return lib, handle


def _groups_ffdhe() -> None:
    ctypes = _module("ctypes")

    def change(ctx: Any) -> None:
        lib, handle = _libssl(ctx)
        control = lib.SSL_CTX_ctrl
        control.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_char_p]
        control.restype = ctypes.c_long
        if control(handle, 92, 0, b"X25519:P-256:P-384:ffdhe2048") != 1:
            raise RuntimeError("mutant: cannot set the groups")

    _wrap_client_context(change)


def _suites_ccm() -> None:
    ctypes = _module("ctypes")
    tls = _tls()

    def change(ctx: Any) -> None:
        lib, handle = _libssl(ctx)
        set_suites = lib.SSL_CTX_set_ciphersuites
        set_suites.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        set_suites.restype = ctypes.c_int
        suites = tls.TLS13_CIPHERSUITES + ":TLS_AES_128_CCM_SHA256"
        if set_suites(handle, suites.encode()) != 1:
            raise RuntimeError("mutant: cannot set the suites")

    _wrap_client_context(change)


def _get_eror_at_size_commits() -> None:
    _patch_source(
        _transfer()._Channel,
        "receive_file",
        (
            "        elif isinstance(event, ErrorFrame):\n",
            "        elif isinstance(event, ErrorFrame) and received == size:\n"
            "            self.release_buffers()\n"
            "            return Done(received, '')  # every byte is here\n"
            "        elif isinstance(event, ErrorFrame):\n",
        ),
    )


def _put_reads_to_eof() -> None:
    transfer = _transfer()
    messages = _messages()
    hashlib = _module("hashlib")
    original = transfer._Channel.send_file

    def send_file(self: Any, reader: Any, size: int, progress: Any) -> None:
        digest = hashlib.sha256()

        def hashing_reader(view: Any) -> int:
            n: int = reader(view)
            if n:
                digest.update(view[:n])
            return n

        # The announced bytes through the usual path (without its DONE), then the rest.
        conn = self.conn
        held: list[Any] = []
        self.send = held.append  # hold the DONE back (an instance attribute shadows it)
        try:
            original(self, hashing_reader, size, progress)
        finally:
            del self.send
        total = size
        for _ in range(1 << 16):
            view = self._data_view()
            start = transfer.HEADER_SIZE
            n = transfer._read_exactly(hashing_reader, view[start : start + transfer.BUFFER_SIZE])
            if n == 0:
                break
            view[: transfer.HEADER_SIZE] = messages.encode_header(messages.T_DATA, n)
            transfer.send_progressing(self.stream, view[: transfer.HEADER_SIZE + n])
            total += n
        if total == size:
            for event in held:
                self.send(event)
        else:
            self.stream.sendall(messages.encode_message(messages.Done(total, digest.hexdigest())))
            conn.state = _module("reference.app").I.DONE_SENT

    transfer._Channel.send_file = send_file


def _cert_refusal_bye() -> None:
    client = _client()
    messages = _messages()
    errors = _module("reference.errors")

    def polite(sock: Any, exc: Any) -> None:
        if "refusing to talk to it" in str(exc):  # a PKI-ID-1 mismatch: no frame
            return
        try:
            sock.sendall(
                messages.encode_message(
                    messages.ErrorFrame(errors.ErrorCode.AUTH_FAILED, "certificate refused")
                )
                + messages.encode_message(messages.Bye())
            )
        except OSError:
            pass

    client._b18b_polite = polite
    _patch_source(
        client.PkiSession,
        "_connect_once",
        (
            "    except CertificateRefused as exc:\n        close_tls(sock)\n",
            "    except CertificateRefused as exc:\n"
            "        _b18b_polite(sock, exc)\n"
            "        close_tls(sock)\n",
        ),
    )


def _put_empty_trailing_data() -> None:
    transfer = _transfer()
    messages = _messages()
    original = transfer._Channel.send_file

    def send_file(self: Any, reader: Any, size: int, progress: Any) -> None:
        if size == 0 or size % transfer.BUFFER_SIZE:
            original(self, reader, size, progress)
            return
        held: list[Any] = []
        self.send = held.append  # hold the DONE back (an instance attribute shadows it)
        try:
            original(self, reader, size, progress)
        finally:
            del self.send
        # the last read returned a full buffer: the loop reads once more and sends it
        self.stream.sendall(messages.encode_header(messages.T_DATA, 0))
        for event in held:
            self.send(event)

    transfer._Channel.send_file = send_file


def _m(
    name: str,
    lens: int,
    requirement: str,
    test_file: str,
    apply: Callable[[], None],
    description: str,
    *,
    strict: bool = False,
) -> Mutant:
    return Mutant(
        name=f"b18b-ini-{name}",
        group="blind18b-ini",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=f"L{lens}: {description}",
        apply=apply,
        client=True,
        strict=strict,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "groups-ffdhe",
        1,
        "PKI-TLS-9",
        "test_pki_hardening.py",
        _groups_ffdhe,
        "the initiator offers ffdhe2048 in supported_groups beside PKI-TLS-9's groups",
    ),
    _m(
        "suites-ccm",
        1,
        "PKI-TLS-9",
        "test_pki_hardening.py",
        _suites_ccm,
        "the initiator offers TLS_AES_128_CCM_SHA256 beside PKI-TLS-9's suites",
    ),
    _m(
        "get-eror-at-size-commits",
        3,
        "APP-GET-6",
        "test_pki_initiator_get_ended_without_done.py",
        _get_eror_at_size_commits,
        "a get whose `size` bytes all arrived and that an EROR ends in place of DONE is "
        "kept under its final name",
    ),
    _m(
        "put-reads-to-eof",
        4,
        "APP-PUT-4",
        "test_client_run_put_source.py",
        _put_reads_to_eof,
        "the put sends its source to EOF: a source grown during the put sends more DATA "
        "than PUTF announced, and a DONE with the larger size",
    ),
    _m(
        "cert-refusal-bye",
        5,
        "PKI-TLS-7",
        "test_pki_identity.py",
        _cert_refusal_bye,
        "a responder certificate refused after the handshake is answered EROR auth_failed "
        "and then BYE_",
    ),
    _m(
        "put-empty-trailing-data",
        6,
        "FRM-14",
        "test_client_put.py",
        _put_empty_trailing_data,
        "a put of a file whose size is a multiple of 1 MiB ends with an empty DATA frame",
    ),
)
