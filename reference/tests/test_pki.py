"""sft-pki/1 on loopback: enrolment, peers, transfers both ways, refusals, limits.

One organisation (CA served over HTTPS, alice, bob, carol enrolled through it) per
module; bad certificates are minted here with `cryptography`. Synchronisation is by
events (readiness, log lines, sockets that answer), never by sleeping.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from reference.errors import ErrorCode
from reference.frames import CLOSED, NEED_DATA, FrameDecoder, encode_frame, encode_header
from reference.messages import ErrorFrame, decode_message
from reference.pki import ca as ca_mod
from reference.pki.ca import CertificateAuthority, generate_key, private_key_pem
from reference.pki.ca_server import CaServer, CaServerConfig, LoginThrottle
from reference.pki.client import ClientConfig, PkiClientError, PkiSession
from reference.pki.enroll import CaClient, EnrollError, enroll
from reference.pki.peer import PeerConfig, PeerServer, crl_from_ca
from reference.pki.tls import ALPN, Identity, client_context, server_context
from reference.share import PARTIAL_PREFIX
from reference.tests.close_watcher import CloseWatcher

pytestmark = pytest.mark.xdist_group("pki")

TIMEOUT = 10.0


@dataclass
class Org:
    root: Path
    ca: CertificateAuthority
    url: str
    base: Path
    ids: dict[str, Identity]

    def crl(self) -> bytes:
        return self.ca.crl().public_bytes(serialization.Encoding.DER)

    def enrol_direct(self, alias: str) -> Identity:
        """A user enrolled through the CA's store in-process (not throttled by HTTP tests)."""
        self.ca.add_user(alias, f"pw-{alias}")
        key = generate_key()
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, alias)]))
            .sign(key, hashes.SHA256())
        )
        cert = self.ca.enroll(alias, csr.public_bytes(serialization.Encoding.PEM))
        directory = self.base / f"id-{alias}"
        directory.mkdir()
        (directory / "key.pem").write_bytes(private_key_pem(key))
        (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        shutil.copy(self.root, directory / "root.pem")
        (directory / "ca-url").write_text(self.url)
        return Identity(directory)

    def make_identity(self, alias: str, **cert_kwargs: object) -> Identity:
        """An identity whose certificate is built here (good or deliberately bad)."""
        directory = self.base / f"id-{alias}-{len(os.listdir(self.base))}"
        directory.mkdir()
        key = generate_key()
        cert = build_cert(self.ca, alias, key.public_key(), **cert_kwargs)
        (directory / "key.pem").write_bytes(private_key_pem(key))
        (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        shutil.copy(self.root, directory / "root.pem")
        (directory / "crl.der").write_bytes(self.crl())
        (directory / "ca-url").write_text(self.url)
        return Identity(directory)


def build_cert(
    ca: CertificateAuthority,
    alias: str,
    public_key: object,
    *,
    expired: bool = False,
    ca_true: bool = False,
    eku: tuple[x509.ObjectIdentifier, ...] = (
        ExtendedKeyUsageOID.CLIENT_AUTH,
        ExtendedKeyUsageOID.SERVER_AUTH,
    ),
    issuer_key: object = None,
    issuer_name: x509.Name | None = None,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    start, end = (
        (now - dt.timedelta(days=10), now - dt.timedelta(days=1))
        if expired
        else (
            now - dt.timedelta(minutes=5),
            now + dt.timedelta(days=1),
        )
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, alias)]))
        .issuer_name(issuer_name or ca.root.subject)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca_true, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, ca_true, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    )
    return builder.sign(issuer_key or ca.root_key, hashes.SHA256())  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    base = tmp_path_factory.mktemp("org")
    ca = CertificateAuthority.init(base / "ca", org="Test Org")
    server = CaServer(ca, CaServerConfig(throttle_after=3, throttle_base=30, throttle_cap=60))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    host, port = server.address
    url = f"https://{host}:{port}"
    root = base / "ca" / "root.pem"
    ids = {}
    for alias in ("alice", "bob", "carol"):
        ca.add_user(alias, f"pw-{alias}")
        ids[alias] = enroll(url, root.read_bytes(), alias, f"pw-{alias}", base / f"id-{alias}")
    try:
        yield Org(root, ca, url, base, ids)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)


class LogWatch:
    """Collects a peer's log lines; tests wait for a line instead of sleeping."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._cond = threading.Condition()

    def __call__(self, line: str) -> None:
        with self._cond:
            self.lines.append(line)
            self._cond.notify_all()

    def wait_for(self, text: str) -> str:
        with self._cond:
            ok = self._cond.wait_for(lambda: any(text in line for line in self.lines), TIMEOUT)
            assert ok, f"no log line with {text!r} in {self.lines}"
            return next(line for line in self.lines if text in line)


@dataclass
class RunningPeer:
    server: PeerServer
    share: Path
    inbox: Path
    log: LogWatch

    def target(self, alias: str | None = None) -> str:
        host, port = self.server.address
        return f"{alias or self.server.alias}@{host}:{port}"


@pytest.fixture
def start_peer(org: Org, tmp_path: Path) -> Iterator[Callable[..., RunningPeer]]:
    started: list[tuple[PeerServer, threading.Thread]] = []

    def start(
        alias: str = "bob", identity: Identity | None = None, **config: object
    ) -> RunningPeer:
        identity = identity or org.ids[alias]
        share, inbox = tmp_path / f"share-{alias}", tmp_path / f"inbox-{alias}"
        share.mkdir(exist_ok=True)
        inbox.mkdir(exist_ok=True)
        log = LogWatch()
        server = PeerServer(
            identity,
            PeerConfig(**config),  # type: ignore[arg-type]
            crl_from_ca(org.url, org.root.read_bytes()),
            share,
            inbox,
            log,
        )
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        started.append((server, thread))
        return RunningPeer(server, share, inbox, log)

    yield start
    for server, thread in started:
        server.close()
        thread.join(TIMEOUT)


def session(identity: Identity, target: str, **config: object) -> PkiSession:
    return PkiSession(identity, target, ClientConfig(**config))  # type: ignore[arg-type]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- transfers -----------------------------------------------------------------------


@pytest.mark.req("APP-GET-2", "APP-PUT-5", "APP-2", "PKI-TLS-1", "PKI-TLS-3")
def test_get_and_put_both_ways(
    org: Org, start_peer: Callable[..., RunningPeer], tmp_path: Path
) -> None:
    bob = start_peer("bob")
    alice = start_peer("alice")
    content = os.urandom(3 * 1024 * 1024 + 17)  # several DATA frames, a ragged end
    (bob.share / "from-bob.bin").write_bytes(content)
    (tmp_path / "from-alice.bin").write_bytes(content[::-1])
    progress: list[tuple[int, int]] = []
    with session(org.ids["alice"], bob.target()) as s:
        assert s.get(
            "from-bob.bin", tmp_path / "got.bin", progress=lambda d, t: progress.append((d, t))
        ) == len(content)
        assert s.put(tmp_path / "from-alice.bin") == "from-alice.bin"
        (bob.share / "sub").mkdir()
        (bob.share / "sub" / "empty").write_bytes(b"")
        s.get("sub/empty", tmp_path / "empty")  # a zero-byte file, same connection
    assert sha(tmp_path / "got.bin") == hashlib.sha256(content).hexdigest()
    assert sha(bob.inbox / "from-alice.bin") == hashlib.sha256(content[::-1]).hexdigest()
    assert (tmp_path / "empty").read_bytes() == b""
    assert progress[-1] == (len(content), len(content))
    (alice.share / "a.txt").write_bytes(b"from alice")
    with session(org.ids["bob"], alice.target()) as s:
        s.get("a.txt", tmp_path / "a.txt")
        s.put(tmp_path / "got.bin", "back.bin")
    assert (tmp_path / "a.txt").read_bytes() == b"from alice"
    assert sha(alice.inbox / "back.bin") == hashlib.sha256(content).hexdigest()


@pytest.mark.req("PKI-ID-1")
def test_wrong_alias_is_refused_before_any_frame(
    org: Org, start_peer: Callable[..., RunningPeer]
) -> None:
    bob = start_peer("bob")
    with pytest.raises(PkiClientError, match="is bob, not carol"):
        session(org.ids["alice"], bob.target("carol"))
    bob.log.wait_for("alice connected")
    assert not any("get" in line or "put" in line for line in bob.log.lines)


@pytest.mark.req("PKI-ID-3")
def test_allow_list(org: Org, start_peer: Callable[..., RunningPeer], tmp_path: Path) -> None:
    bob = start_peer("bob", allow=("alice",))
    (bob.share / "f").write_bytes(b"x")
    with pytest.raises(PkiClientError, match=r"^carol is not allowed by bob's peer$"):
        with session(org.ids["carol"], bob.target()) as s:
            s.get("f", tmp_path / "f")
    assert not (tmp_path / "f").exists()
    with session(org.ids["alice"], bob.target()) as s:
        s.get("f", tmp_path / "f")


@pytest.mark.req("PKI-CERT-7", "CA-ENR-11")
def test_revoked_client_and_revoked_responder(
    org: Org, start_peer: Callable[..., RunningPeer]
) -> None:
    mallory = org.enrol_direct("mallory")
    bob = start_peer("bob")
    evil_peer = start_peer("mallory", identity=mallory)
    org.ca.revoke("mallory")
    bob.server.refresh_crl()
    with pytest.raises(PkiClientError, match="your certificate was revoked") as info:
        with session(mallory, bob.target(), crl_max_age=0) as s:
            s.get("x", org.base / "never")
    assert info.value.exit_code == 1
    bob.log.wait_for("client certificate refused: certificate revoked")
    # And the other way round: alice refuses a revoked responder.
    with pytest.raises(PkiClientError, match=r"^mallory's certificate was revoked$"):
        session(org.ids["alice"], evil_peer.target(), crl_max_age=0)


@pytest.mark.req("PKI-CERT-3", "PKI-CERT-4", "PKI-CERT-5", "PKI-CERT-6")
@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("expired", "certificate has expired"),
        ("foreign", "does not trust your certificate"),
        ("self-signed", "does not trust your certificate"),
        ("ca-true", "refused your certificate"),
        ("server-only", "refused your certificate|not valid for this purpose|refused"),
    ],
)
def test_bad_client_certificates_are_refused(
    org: Org, start_peer: Callable[..., RunningPeer], kind: str, message: str
) -> None:
    bob = start_peer("bob")
    (bob.share / "f").write_bytes(b"secret")
    identity = _bad_identity(org, kind)
    with pytest.raises(PkiClientError, match=message):
        with session(identity, bob.target()) as s:
            s.get("f", org.base / f"leak-{kind}")
    assert not (org.base / f"leak-{kind}").exists()
    assert not any("get 'f'" in line for line in bob.log.lines)


def _bad_identity(org: Org, kind: str) -> Identity:
    if kind == "expired":
        return org.make_identity("eve", expired=True)
    if kind == "ca-true":
        return org.make_identity("eve", ca_true=True)
    if kind == "server-only":
        return org.make_identity("eve", eku=(ExtendedKeyUsageOID.SERVER_AUTH,))
    other_key = generate_key()
    if kind == "foreign":
        other_root = ca_mod.make_root(other_key, "Other Org")
        return org.make_identity("alice", issuer_key=other_key, issuer_name=other_root.subject)
    identity = org.make_identity("alice")  # self-signed: issuer = subject, own key
    key = serialization.load_pem_private_key(identity.key.read_bytes(), None)
    cert = build_cert(
        org.ca,
        "alice",
        key.public_key(),
        issuer_key=key,
        issuer_name=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "alice")]),
    )
    identity.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return identity


@pytest.mark.req("PKI-CERT-3", "PKI-CERT-5", "PKI-CERT-6")
@pytest.mark.parametrize(
    ("kind", "message"),
    [("expired", "expired"), ("ca-true", "CA certificate"), ("client-only", "serverAuth|purpose")],
)
def test_initiator_refuses_bad_responder_certificates(
    org: Org, start_peer: Callable[..., RunningPeer], kind: str, message: str
) -> None:
    if kind == "client-only":
        identity = org.make_identity("dave", eku=(ExtendedKeyUsageOID.CLIENT_AUTH,))
    else:
        identity = org.make_identity("dave", **{kind.replace("-", "_"): True})
    dave = start_peer("dave", identity=identity)
    with pytest.raises(PkiClientError, match=message):
        session(org.ids["alice"], dave.target())


# --- raw frames against the responder ---------------------------------------------------


def raw_tls(org: Org, peer: RunningPeer, alias: str = "alice", alpn: bool = True) -> ssl.SSLSocket:
    ctx = client_context(org.ids[alias], org.crl())
    if not alpn:
        ctx.set_alpn_protocols(["http/1.1"])
    sock = ctx.wrap_socket(socket.create_connection(peer.server.address, timeout=TIMEOUT))
    sock.settimeout(TIMEOUT)
    return sock


def read_frames(sock: ssl.SSLSocket, count: int = 1, *, put: bool = False) -> list[object]:
    """Up to `count` decoded frames, or fewer if the stream ends (then CLOSED last)."""
    decoder = FrameDecoder()
    frames: list[object] = []
    for _ in range(10_000):
        frame = decoder.next_frame()
        if frame is NEED_DATA:
            try:
                decoder.receive_data(sock.recv(65536))
            except (ConnectionResetError, ssl.SSLError):
                decoder.receive_data(b"")
            continue
        if frame is CLOSED:
            frames.append(CLOSED)
            return frames
        frames.append(decode_message(frame, rsfl_for_put=put))  # type: ignore[arg-type]
        if len(frames) == count:
            return frames
    raise AssertionError("no end")


@pytest.mark.req("APP-NAME-2", "APP-NAME-4", "APP-NAME-6", "LIM-5")
@pytest.mark.parametrize(
    "name", ["/etc/passwd", "../secret", "a/../../secret", "link-out", "dir-out/secret"]
)
def test_path_escapes_are_forbidden(
    org: Org, start_peer: Callable[..., RunningPeer], name: str
) -> None:
    bob = start_peer("bob")
    (bob.share.parent / "secret").write_bytes(b"outside")
    os.symlink(bob.share.parent / "secret", bob.share / "link-out")
    os.symlink(bob.share.parent, bob.share / "dir-out")
    (bob.share / "ok").write_bytes(b"ok")
    with raw_tls(org, bob) as sock:
        sock.sendall(encode_frame(b"RQFL", json.dumps({"name": name}).encode()))
        sock.sendall(encode_frame(b"RQFL", b'{"name":"ok"}'))  # the connection goes on
        frames = read_frames(sock, 4)
    assert isinstance(frames[0], ErrorFrame) and frames[0].code is ErrorCode.FORBIDDEN
    assert "outside" not in frames[0].message
    assert [type(f).__name__ for f in frames[1:]] == ["FileResponse", "Data", "Done"]


@pytest.mark.req("FRM-3", "LIM-5", "LIM-6")
def test_oversize_frame_gets_frame_too_large_and_peer_lives_on(
    org: Org, start_peer: Callable[..., RunningPeer], tmp_path: Path
) -> None:
    bob = start_peer("bob", max_frame_payload=4096)
    with raw_tls(org, bob) as sock:
        sock.sendall(encode_header(b"PUTF", 0xFFFFFFFF))
        frames = read_frames(sock, 2)
    assert isinstance(frames[0], ErrorFrame) and frames[0].code is ErrorCode.FRAME_TOO_LARGE
    assert frames[1] is CLOSED
    (bob.share / "f").write_bytes(b"still serving")
    with session(org.ids["alice"], bob.target(), max_frame_payload=4096) as s:
        s.get("f", tmp_path / "f")
    assert (tmp_path / "f").read_bytes() == b"still serving"


@pytest.mark.req("APP-STORE-3", "APP-GET-5", "PKI-TLS-6")
def test_killed_sender_leaves_nothing(org: Org, start_peer: Callable[..., RunningPeer]) -> None:
    bob = start_peer("bob")
    sock = raw_tls(org, bob)
    sock.sendall(encode_frame(b"PUTF", b'{"name":"big.bin","size":10000000}'))
    assert type(read_frames(sock, 1, put=True)[0]).__name__ == "PutAccepted"
    sock.sendall(encode_frame(b"DATA", os.urandom(1 << 20)))
    bob.log.wait_for("alice connected")
    assert [n for n in os.listdir(bob.inbox) if n.startswith(PARTIAL_PREFIX)]  # receiving
    # Vanish without close_notify, mid-transfer.
    socket.socket.shutdown(sock, socket.SHUT_RDWR)
    sock.close()
    bob.log.wait_for("closed during a transfer")
    assert os.listdir(bob.inbox) == []


@pytest.mark.req("LIM-4")
def test_busy_above_max_connections_and_accepts_again(
    org: Org, start_peer: Callable[..., RunningPeer], tmp_path: Path
) -> None:
    bob = start_peer("bob", max_connections=1)
    (bob.share / "f").write_bytes(b"x")
    holder = raw_tls(org, bob)
    bob.log.wait_for("alice connected")
    with pytest.raises(PkiClientError, match="busy"):
        with session(org.ids["carol"], bob.target()) as s:
            s.get("f", tmp_path / "f")
    holder.sendall(encode_frame(b"BYE_", b"{}"))
    assert read_frames(holder, 2)[-1] is CLOSED
    holder.close()
    bob.log.wait_for("connection ended")
    with session(org.ids["carol"], bob.target()) as s:  # a slot is free again
        s.get("f", tmp_path / "f")


@pytest.mark.req("LIM-1")
def test_handshake_timeout_closes_a_silent_client(
    org: Org, start_peer: Callable[..., RunningPeer]
) -> None:
    bob = start_peer("bob", handshake_timeout=0.3)
    with socket.create_connection(bob.server.address, timeout=TIMEOUT) as silent:
        assert silent.recv(1) == b""  # the peer closed it
    bob.log.wait_for("handshake failed")


@pytest.mark.req("LIM-2")
def test_idle_timeout_sends_eror_timeout(org: Org, start_peer: Callable[..., RunningPeer]) -> None:
    bob = start_peer("bob", idle_timeout=0.3)
    with raw_tls(org, bob) as sock:
        frames = read_frames(sock, 2)
    assert isinstance(frames[0], ErrorFrame) and frames[0].code is ErrorCode.TIMEOUT


@pytest.mark.req("PKI-TLS-1", "PKI-TLS-2")
def test_tls12_and_missing_alpn_are_refused(
    org: Org, start_peer: Callable[..., RunningPeer]
) -> None:
    bob = start_peer("bob")
    ctx = client_context(org.ids["alice"], org.crl())
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises(ssl.SSLError):
        ctx.wrap_socket(socket.create_connection(bob.server.address, timeout=TIMEOUT))
    with raw_tls(org, bob, alpn=False) as sock:
        sock.sendall(encode_frame(b"RQFL", b'{"name":"f"}'))
        frames = read_frames(sock, 2)
    assert isinstance(frames[0], ErrorFrame) and frames[0].code is ErrorCode.AUTH_FAILED


@pytest.mark.req("PKI-TLS-2", "PKI-TLS-3")
def test_openssl_s_client_completes_the_handshake(
    org: Org, start_peer: Callable[..., RunningPeer]
) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (./sft tox installs it)")
    bob = start_peer("bob")
    host, port = bob.server.address
    alice = org.ids["alice"]
    result = subprocess.run(
        [
            "openssl",
            "s_client",
            "-connect",
            f"{host}:{port}",
            "-alpn",
            ALPN,
            "-tls1_3",
            "-cert",
            str(alice.cert),
            "-key",
            str(alice.key),
            "-CAfile",
            str(alice.root),
            "-verify_return_error",
        ],
        input=encode_frame(b"BYE_", b"{}"),
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    out = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
    assert "TLSv1.3" in out and f"ALPN protocol: {ALPN}" in out, out
    assert "Verify return code: 0 (ok)" in out, out
    bob.log.wait_for("alice connected")


# --- the CA service ---------------------------------------------------------------------


def ca_request(
    org: Org, method: str, path: str, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    ctx = ssl.create_default_context(cafile=str(org.root))
    host, port = org.url.removeprefix("https://").split(":")
    conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=TIMEOUT)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.mark.req("CA-ENR-8", "CA-ENR-9")
@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("GET", "/nope", None, 404, "not_found"),
        ("DELETE", "/v1/crl", None, 405, "method_not_allowed"),
        ("GET", "/v1/enroll", None, 405, "method_not_allowed"),
        ("POST", "/v1/enroll", b"{not json", 400, "bad_request"),
        ("POST", "/v1/enroll", b"[1]", 400, "bad_request"),
        ("POST", "/v1/enroll", b"[" * 30000 + b"]" * 30000, 400, "bad_request"),
        ("POST", "/v1/enroll", b'{"alias":1}', 400, "bad_request"),
        ("POST", "/v1/enroll", b"x" * 70000, 413, "too_large"),
    ],
)
def test_ca_errors_are_json(
    org: Org, method: str, path: str, body: bytes | None, status: int, error: str
) -> None:
    got, headers, data = ca_request(org, method, path, body)
    assert got == status
    assert headers["Content-Type"] == "application/json"
    assert json.loads(data)["error"] == error


@pytest.mark.req("CA-ENR-8")
def test_ca_serves_root_and_crl(org: Org) -> None:
    status, _, pem = ca_request(org, "GET", "/v1/root")
    assert status == 200 and pem == org.root.read_bytes()
    status, headers, der = ca_request(org, "GET", "/v1/crl")
    crl = x509.load_der_x509_crl(der)
    assert headers["Content-Type"] == "application/pkix-crl"
    assert crl.is_signature_valid(org.ca.root.public_key())  # type: ignore[arg-type]
    assert crl.next_update_utc is not None and crl.next_update_utc > dt.datetime.now(dt.UTC)


@pytest.mark.req("CA-ENR-3", "CA-ENR-4", "CA-ENR-6", "CA-ENR-7")
def test_enrolment_checks(org: Org) -> None:
    org.ca.add_user("frank", "pw-f")
    key = generate_key()
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ceo")]))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = csr.public_bytes(serialization.Encoding.PEM).decode()
    # CN and extensions are the CA's, not the CSR's [CA-ENR-4].
    status, _, data = ca_request(
        org,
        "POST",
        "/v1/enroll",
        json.dumps({"alias": "frank", "password": "pw-f", "csr": pem}).encode(),
    )
    cert = x509.load_pem_x509_certificate(json.loads(data)["certificate"].encode())
    assert status == 200
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "frank"
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert cert.serial_number.bit_length() >= 64
    assert cert.not_valid_after_utc - cert.not_valid_before_utc <= dt.timedelta(days=30, minutes=5)
    # A CSR whose signature does not verify [CA-ENR-3].
    tampered = pem.replace(pem.splitlines()[3], pem.splitlines()[3][:-4] + "AAAA")
    status, _, data = ca_request(
        org,
        "POST",
        "/v1/enroll",
        json.dumps({"alias": "frank", "password": "pw-f", "csr": tampered}).encode(),
    )
    assert status == 400 and json.loads(data)["error"] == "bad_csr"
    # Wrong password and unknown alias: the same answer [CA-ENR-6] ...
    answers = []
    for alias, password in (("frank", "wrong"), ("nobody", "pw-f")):
        status, _, data = ca_request(
            org,
            "POST",
            "/v1/enroll",
            json.dumps({"alias": alias, "password": password, "csr": pem}).encode(),
        )
        answers.append((status, data))
    assert answers[0] == answers[1] and answers[0][0] == 401
    # ... and after three failures for frank, throttled with Retry-After [CA-ENR-7].
    ca_request(
        org,
        "POST",
        "/v1/enroll",
        json.dumps({"alias": "frank", "password": "wrong", "csr": pem}).encode(),
    )
    status, headers, data = ca_request(
        org,
        "POST",
        "/v1/enroll",
        json.dumps({"alias": "frank", "password": "pw-f", "csr": pem}).encode(),
    )
    assert status == 429 and json.loads(data)["error"] == "throttled"
    assert int(headers["Retry-After"]) > 0
    with pytest.raises(EnrollError, match="too many failed logins"):
        enroll(org.url, org.root.read_bytes(), "frank", "pw-f", org.base / "id-frank")


def test_login_throttle_backoff_with_a_fake_clock() -> None:
    now = [1000.0]
    throttle = LoginThrottle(after=2, base=1.0, cap=8.0, clock=lambda: now[0])
    throttle.failure("a")
    assert throttle.retry_after("a") == 0
    waits = []
    for _ in range(6):
        throttle.failure("a")
        waits.append(throttle.retry_after("a"))
    assert waits == [1, 2, 4, 8, 8, 8]  # exponential, capped
    assert throttle.retry_after("b") == 0  # other keys are not affected
    now[0] += 8
    assert throttle.retry_after("a") == 0
    throttle.success("a")
    throttle.failure("a")
    assert throttle.retry_after("a") == 0  # the count was reset


@pytest.mark.req("CA-ENR-5", "CA-ENR-12", "PKI-CERT-8")
def test_stored_secrets(org: Org) -> None:
    for path in (
        org.base / "ca" / "root.key",
        org.base / "ca" / "ca-tls.key",
        org.base / "ca" / "ca.db",
        org.ids["alice"].key,
    ):
        assert os.stat(path).st_mode & 0o077 == 0, path
    raw = (org.base / "ca" / "ca.db").read_bytes()
    assert b"pw-alice" not in raw
    root = org.ca.root
    bc = root.extensions.get_extension_for_class(x509.BasicConstraints).value
    ku = root.extensions.get_extension_for_class(x509.KeyUsage).value
    assert bc.ca and bc.path_length == 0 and ku.key_cert_sign and ku.crl_sign


# --- the command line ---------------------------------------------------------------------


def _start(argv: list[str], cwd: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference", *argv],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the readiness line
    assert line.startswith("listening on "), (
        line,
        proc.stderr.read() if proc.poll() is not None else "",
    )
    return proc, line.removeprefix("listening on ").strip()


def _sft(argv: list[str], cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reference", *argv],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.req("LIM-7", "PKI-CERT-7")
def test_cli_enrol_serve_get_put_revoke(tmp_path: Path) -> None:
    assert _sft(["ca", "init", "--dir", "ca", "--unencrypted-key"], tmp_path).returncode == 0
    for alias in ("alice", "bob"):
        assert (
            _sft(
                ["ca", "user", "add", alias, "--dir", "ca", "--password-stdin"],
                tmp_path,
                f"pw {alias}\n",
            ).returncode
            == 0
        )
    ca, ca_addr = _start(["ca", "serve", "--dir", "ca", "--listen", "127.0.0.1:0"], tmp_path)
    procs = [ca]
    try:
        for alias in ("alice", "bob"):
            done = _sft(
                [
                    "enroll",
                    "--ca",
                    f"https://{ca_addr}",
                    "--root",
                    "ca/root.pem",
                    "--alias",
                    alias,
                    "--password-stdin",
                    "--out",
                    f"id-{alias}",
                ],
                tmp_path,
                f"pw {alias}\n",
            )
            assert done.returncode == 0, done.stderr
        bad = _sft(
            [
                "enroll",
                "--ca",
                f"https://{ca_addr}",
                "--root",
                "ca/root.pem",
                "--alias",
                "alice",
                "--password-stdin",
                "--out",
                "id-x",
            ],
            tmp_path,
            "nope\n",
        )
        assert bad.returncode == 1 and bad.stderr.strip() == "sft: wrong alias or password"
        (tmp_path / "share").mkdir()
        (tmp_path / "inbox").mkdir()
        (tmp_path / "share" / "f.bin").write_bytes(os.urandom(200_000))
        peer, peer_addr = _start(
            [
                "peer",
                "serve",
                "--id",
                "id-bob",
                "--listen",
                "127.0.0.1:0",
                "--share",
                "share",
                "--inbox",
                "inbox",
                "--idle-timeout",
                "5",
            ],
            tmp_path,
        )
        procs.append(peer)
        got = _sft(
            ["get", f"bob@{peer_addr}", "f.bin", "--id", "id-alice", "-o", "got.bin"], tmp_path
        )
        assert got.returncode == 0, got.stderr
        assert sha(tmp_path / "got.bin") == sha(tmp_path / "share" / "f.bin")
        put = _sft(["put", f"bob@{peer_addr}", "got.bin", "--id", "id-alice", "--quiet"], tmp_path)
        assert put.returncode == 0 and put.stderr == ""
        assert sha(tmp_path / "inbox" / "got.bin") == sha(tmp_path / "got.bin")
        missing = _sft(["get", f"bob@{peer_addr}", "nope", "--id", "id-alice"], tmp_path)
        assert missing.returncode == 1 and missing.stderr.count("\n") == 1
        unreachable = _sft(["get", "bob@127.0.0.1:1", "f", "--id", "id-alice"], tmp_path)
        assert unreachable.returncode == 2 and "Traceback" not in unreachable.stderr
        assert _sft(["ca", "revoke", "bob", "--dir", "ca"], tmp_path).returncode == 0
        revoked = _sft(
            [
                "get",
                f"bob@{peer_addr}",
                "f.bin",
                "--id",
                "id-alice",
                "--crl-max-age",
                "0",
                "-o",
                "r",
            ],
            tmp_path,
        )
        assert (
            revoked.returncode == 1
            and revoked.stderr.strip() == "sft: bob's certificate was revoked"
        )
    finally:
        for proc in procs:
            proc.terminate()
            proc.communicate(timeout=TIMEOUT)
    assert peer.returncode == 0 and ca.returncode == 0


# --- a lying or vanishing responder (the initiator's side of APP-GET-3/5/6) ---------------


def fake_responder(
    org: Org, script: Callable[[ssl.SSLSocket], None]
) -> tuple[str, threading.Thread]:
    """A one-connection TLS responder with bob's certificate that follows `script`."""
    ctx = server_context(org.ids["bob"], org.crl())
    listener = socket.create_server(("127.0.0.1", 0))
    host, port = listener.getsockname()[:2]

    def serve() -> None:
        with listener:
            raw, _ = listener.accept()
            with ctx.wrap_socket(raw, server_side=True) as tls:
                tls.settimeout(TIMEOUT)
                decoder = FrameDecoder()
                while decoder.next_frame() is NEED_DATA:  # wait for the request
                    decoder.receive_data(tls.recv(65536))
                script(tls)

    thread = threading.Thread(target=serve)
    thread.start()
    return f"bob@{host}:{port}", thread


@pytest.mark.req("APP-GET-3", "APP-GET-5", "APP-GET-6", "APP-STORE-3")
@pytest.mark.parametrize("lie", ["truncated", "wrong-sha", "too-much"])
def test_initiator_keeps_nothing_from_a_bad_get(org: Org, tmp_path: Path, lie: str) -> None:
    content = os.urandom(100_000)
    digest = hashlib.sha256(content).hexdigest()

    def script(tls: ssl.SSLSocket) -> None:
        tls.sendall(encode_frame(b"RSFL", json.dumps({"name": "f", "size": len(content)}).encode()))
        if lie == "truncated":
            tls.sendall(encode_frame(b"DATA", content[:50_000]))
            socket.socket.shutdown(tls, socket.SHUT_RDWR)  # vanish, no close_notify
            return
        if lie == "too-much":
            tls.sendall(encode_frame(b"DATA", content + b"x"))
        else:
            tls.sendall(encode_frame(b"DATA", content))
            wrong = hashlib.sha256(content[::-1]).hexdigest()
            tls.sendall(
                encode_frame(b"DONE", json.dumps({"size": len(content), "sha256": wrong}).encode())
            )
        with contextlib.suppress(OSError):
            tls.recv(65536)  # the initiator's EROR, then its close

    target, thread = fake_responder(org, script)
    with pytest.raises(PkiClientError) as info:
        with session(org.ids["alice"], target) as s:
            s.get("f", tmp_path / "f")
    thread.join(TIMEOUT)
    if lie == "truncated":
        assert str(info.value) == (
            "bob's peer closed the connection during the transfer: nothing was saved"
        )
    else:
        assert str(info.value) == "integrity check failed: nothing was saved"
    assert os.listdir(tmp_path) == []  # neither the final name nor a partial file
    assert digest  # the content was real


@pytest.mark.req("PKI-CERT-7")
def test_the_peer_refetches_the_crl_periodically(
    org: Org, start_peer: Callable[..., RunningPeer]
) -> None:
    zed = org.enrol_direct("zed")
    bob = start_peer("bob", crl_refresh=0.1)
    with session(zed, bob.target()):
        pass  # accepted before the revocation
    org.ca.revoke("zed")
    bob.log.wait_for("CRL refreshed")  # by the refresher thread, not by the test
    with pytest.raises(PkiClientError, match="your certificate was revoked"):
        with session(zed, bob.target()) as s:
            s.get("x", org.base / "never-zed")


@pytest.mark.req("LIM-1")
def test_ca_handshake_deadline_closes_a_trickling_client(org: Org) -> None:
    server = CaServer(org.ca, CaServerConfig(handshake_timeout=0.3))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        with socket.create_connection(server.address, timeout=TIMEOUT) as slow:
            slow.sendall(b"\x16\x03\x01")  # the start of a ClientHello, then nothing
            assert slow.recv(1) == b""  # closed by the deadline, not by our timeout
        ctx = ssl.create_default_context(cafile=str(org.root))
        host, port = server.address
        conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=TIMEOUT)
        conn.request("GET", "/v1/root")
        assert conn.getresponse().status == 200  # and the CA serves on
        conn.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)


# --- ending connections: close_notify both ways, then FIN, never a reset -------------


@pytest.mark.req("PKI-TLS-6", "APP-BYE-1")
def test_a_pki_session_ends_with_fin_both_ways(
    org: Org, start_peer: Callable[..., RunningPeer], tmp_path: Path
) -> None:
    bob = start_peer("bob")
    (bob.share / "small.bin").write_bytes(os.urandom(5000))
    for last in ("get", "put"):
        watcher = CloseWatcher(bob.server.address)
        host, port = watcher.address
        with session(org.ids["alice"], f"bob@{host}:{port}") as s:
            if last == "get":
                s.get("small.bin", tmp_path / "got.bin")
            else:
                s.put(tmp_path / "got.bin", "back.bin")
        assert watcher.ended() == {"client": "fin", "server": "fin"}, last


@pytest.mark.req("CA-ENR-1")
def test_a_ca_request_ends_with_fin_both_ways(org: Org) -> None:
    """The enrolment client sends close_notify and reads the CA's before closing."""
    host, port = org.url.removeprefix("https://").rsplit(":", 1)
    watcher = CloseWatcher((host, int(port)))
    proxied = "https://{}:{}".format(*watcher.address)
    CaClient(proxied, org.root.read_bytes()).crl()
    assert watcher.ended() == {"client": "fin", "server": "fin"}
