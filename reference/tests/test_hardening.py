"""Hardening of issue 16 that the wire cannot show (docs/SPEC.md PKI-TLS-9, PKI-CERT-12,
CA-ENR-16/17/18, EKE-REC-7): TLS parameter pins, CRL age, the alias / host-name
namespace on both the CA and its client, and the AES-GCM usage limit."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from reference.eke import crypto
from reference.eke.records import InnerFrame, RecordChannel
from reference.errors import AuthenticationFailed, LocalProtocolError
from reference.frames import NEED_DATA
from reference.pki import ca as ca_module
from reference.pki import tls
from reference.pki.enroll import CaClient, EnrollError

# --- PKI-TLS-9 ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def root_and_key() -> tuple[x509.Certificate, ca_module.PrivateKey]:
    key = ca_module.generate_key("ec")
    return ca_module.make_root(key, "Hardening Test Org"), key


def _server_files(
    tmp_path: Path, root: x509.Certificate, root_key: ca_module.PrivateKey, *, as_ca: bool
) -> tuple[Path, Path]:
    key = ca_module.generate_key("ec")
    if as_ca:
        cert = ca_module.issue_tls_server(root_key, root, ["localhost"], key.public_key())
    else:  # an employee enrolled as "localhost": CN only, serverAuth, no SAN
        cert = ca_module.issue_employee(root_key, root, "localhost", key.public_key())
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    ca_module.write_private(key_path, ca_module.private_key_pem(key))
    return cert_path, key_path


def _memory_handshake(server: ssl.SSLContext, client: ssl.SSLContext) -> bool:
    """A TLS handshake through memory BIOs; True if both sides completed it."""
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    c = client.wrap_bio(c_in, c_out, server_hostname="localhost")
    s = server.wrap_bio(s_in, s_out, server_side=True)
    done = {"c": False, "s": False}
    for _ in range(20):
        for name, side in (("c", c), ("s", s)):
            if done[name]:
                continue
            try:
                side.do_handshake()
                done[name] = True
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            except ssl.SSLError:
                return False
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            return True
    return False


def test_contexts_pin_the_tls13_suites() -> None:
    for protocol in (ssl.PROTOCOL_TLS_SERVER, ssl.PROTOCOL_TLS_CLIENT):
        ctx = tls._base_context(protocol)
        suites = [c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.3"]
        assert ":".join(suites) == tls.TLS13_CIPHERSUITES
        assert not any("CCM" in s for s in suites)


@pytest.mark.parametrize(
    ("curve", "accepted"),
    [("prime256v1", True), ("secp384r1", True), ("secp521r1", False), ("ffdhe2048", False)],
)
def test_responder_accepts_only_the_pinned_groups(
    tmp_path: Path,
    root_and_key: tuple[x509.Certificate, ca_module.PrivateKey],
    curve: str,
    accepted: bool,
) -> None:
    root, root_key = root_and_key
    cert, key = _server_files(tmp_path, root, root_key, as_ca=True)
    server = tls.https_server_context(cert, key)
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # a client pinned to one group
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    client.minimum_version = ssl.TLSVersion.TLSv1_3
    try:
        client.set_ecdh_curve(curve)
    except ValueError:
        pytest.skip(f"this Python cannot offer {curve} alone")
    assert _memory_handshake(server, client) is accepted


# --- CA-ENR-18: the enrolment client never takes a CN for the CA's host name -------------------


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[list[ssl.SSLContext], int]]:
    """A loopback TLS server that only handshakes, with the context put in the list."""
    contexts: list[ssl.SSLContext] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                try:
                    with contexts[0].wrap_socket(conn, server_side=True):
                        pass
                except (OSError, ssl.SSLError):
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield contexts, listener.getsockname()[1]
    stop.set()
    # A close alone leaves the thread in accept() until its timeout; shutdown wakes it.
    with contextlib.suppress(OSError):
        listener.shutdown(socket.SHUT_RDWR)
    listener.close()
    thread.join(5)


def test_https_client_context_ignores_the_common_name() -> None:
    root_key = ca_module.generate_key("ec")
    root = ca_module.make_root(root_key, "X")
    context = tls.https_client_context(root.public_bytes(serialization.Encoding.PEM))
    assert context.check_hostname
    assert context.hostname_checks_common_name is False


@pytest.mark.parametrize("as_ca", [True, False])
def test_enrolment_client_refuses_an_employee_posing_as_the_ca(
    tmp_path: Path,
    root_and_key: tuple[x509.Certificate, ca_module.PrivateKey],
    tls_server: tuple[list[ssl.SSLContext], int],
    as_ca: bool,
) -> None:
    root, root_key = root_and_key
    contexts, port = tls_server
    cert, key = _server_files(tmp_path, root, root_key, as_ca=as_ca)
    contexts.append(tls.https_server_context(cert, key))
    client = CaClient(
        f"https://localhost:{port}", root.public_bytes(serialization.Encoding.PEM), 5.0
    )
    with pytest.raises(EnrollError) as refused:
        client.request("GET", "/v1/root")  # the test server never answers HTTP
    assert ("not certified by this root" in str(refused.value)) is (not as_ca)


# --- CA-ENR-17: the CA does not enrol its own host names ----------------------------------------


def _csr(alias: str) -> bytes:
    key = ca_module.generate_key("ec")
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, alias)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> ca_module.CertificateAuthority:
    directory = tmp_path_factory.mktemp("ca") / "ca"
    return ca_module.CertificateAuthority.init(
        directory, hostnames=("localhost", "127.0.0.1", "CA.Example.org")
    )


@pytest.mark.parametrize(
    "alias",
    ["localhost", "localhost.", "127.0.0.1", "127.0.0.1.", "ca.example.org", "ca.example.org."],
)
def test_ca_refuses_to_enrol_its_host_names(
    authority: ca_module.CertificateAuthority, alias: str
) -> None:
    with pytest.raises(ca_module.CaError, match="host name of the CA"):
        authority.enroll(alias, _csr(alias))


@pytest.mark.parametrize("alias", ["alice", "localhost2", "127.0.0.2", "example.org"])
def test_ca_enrols_other_aliases(authority: ca_module.CertificateAuthority, alias: str) -> None:
    cert = authority.enroll(alias, _csr(alias))
    with pytest.raises(x509.ExtensionNotFound):  # CA-ENR-17: employees carry no SAN
        cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)


# --- PKI-CERT-12 / CA-ENR-16: CRL age -------------------------------------------------------


def test_ca_crl_lives_exactly_the_maximum(authority: ca_module.CertificateAuthority) -> None:
    crl = authority.crl()
    assert crl.next_update_utc is not None
    assert crl.next_update_utc - crl.last_update_utc == tls.MAX_CRL_VALIDITY
    tls.check_crl(crl.public_bytes(serialization.Encoding.DER), authority.root_pem())


@pytest.mark.parametrize(
    ("validity", "age", "refused"),
    [
        (dt.timedelta(days=7), dt.timedelta(days=6), False),
        (dt.timedelta(days=7), dt.timedelta(days=7, minutes=1), True),  # past nextUpdate
        (dt.timedelta(days=7, seconds=1), dt.timedelta(0), True),  # lives too long
        (dt.timedelta(days=30), dt.timedelta(0), True),
    ],
)
def test_endpoints_fail_closed_on_a_stale_or_long_crl(
    authority: ca_module.CertificateAuthority,
    validity: dt.timedelta,
    age: dt.timedelta,
    refused: bool,
) -> None:
    issued = dt.datetime.now(dt.UTC)
    crl = ca_module.make_crl(authority.root_key, authority.root, [], now=issued, validity=validity)
    der = crl.public_bytes(serialization.Encoding.DER)
    if refused:
        with pytest.raises(tls.CertificateRefused):
            tls.check_crl(der, authority.root_pem(), now=issued + age)
    else:
        tls.check_crl(der, authority.root_pem(), now=issued + age)


# --- EKE-REC-7: the AES-GCM usage limit ---------------------------------------------------


KEYS = crypto.derive_keys(b"\x05" * 384, b"\x07" * 32)


def test_record_blocks_counted_per_record() -> None:
    sender = RecordChannel(KEYS, is_client=True, block_limit=1000)
    sender.seal_frame(b"DATA", b"")  # 8-byte inner frame: 1 block + tag
    assert sender.sealer.blocks == 2
    sender.seal_frame(b"DATA", b"x" * 8)  # 16 bytes: 1 block + tag
    assert sender.sealer.blocks == 4
    sender.seal_frame(b"DATA", b"x" * 9)  # 17 bytes: 2 blocks + tag
    assert sender.sealer.blocks == 7


def test_sender_stops_before_the_limit_and_receiver_refuses_past_it() -> None:
    limit = 10  # five records of one block + tag
    sender = RecordChannel(KEYS, is_client=True, block_limit=limit)
    receiver = RecordChannel(KEYS, is_client=False, block_limit=limit)
    for i in range(5):
        receiver.reader.receive_data(bytes(sender.seal_frame(b"DATA", bytes([i]))))
        frame = receiver.reader.next_frame()
        assert isinstance(frame, InnerFrame) and bytes(frame.payload) == bytes([i])
    with pytest.raises(LocalProtocolError):
        sender.seal_frame(b"DATA", b"!")
    assert sender.sealer.blocks == limit  # the refused record was not counted
    # A peer without the limit seals a sixth record: the limited receiver closes.
    unlimited = RecordChannel(KEYS, is_client=True)
    records = [bytes(unlimited.seal_frame(b"DATA", bytes([i]))) for i in range(6)]
    fresh = RecordChannel(KEYS, is_client=False, block_limit=limit)
    for record in records[:5]:
        fresh.reader.receive_data(record)
        assert isinstance(fresh.reader.next_frame(), InnerFrame)
    assert fresh.reader.next_frame() is NEED_DATA
    fresh.reader.receive_data(records[5])
    with pytest.raises(AuthenticationFailed):
        fresh.reader.next_frame()


def test_block_limit_cannot_be_raised() -> None:
    with pytest.raises(ValueError):
        RecordChannel(KEYS, is_client=True, block_limit=crypto.MAX_RECORD_BLOCKS + 1)
    assert crypto.MAX_RECORD_BLOCKS == 2**34


# --- an identity's public files -------------------------------------------------------------


def test_public_files_are_never_written_through_a_planted_link(tmp_path: Path) -> None:
    """`sft enroll` and the CRL cache wrote through fixed temporary names (`.cert.pem.tmp`,
    `.crl.der.tmp`) with a plain open: a symbolic link planted there was written through.
    Now a fresh name, opened exclusively without following links, then renamed."""
    from reference.pki.enroll import write_public

    victim = tmp_path / "victim"
    victim.write_bytes(b"untouched")
    for fixed in (".cert.pem.tmp", ".crl.der.tmp"):
        (tmp_path / fixed).symlink_to(victim)
    target = tmp_path / "cert.pem"
    write_public(target, b"certificate")
    assert victim.read_bytes() == b"untouched"
    assert target.read_bytes() == b"certificate" and not target.is_symlink()
    assert target.stat().st_mode & 0o022 == 0  # nobody else may write it
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [".cert.pem.tmp", ".crl.der.tmp", "cert.pem", "victim"]
