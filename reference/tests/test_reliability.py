"""Reliability of the reference under hostile clients and faults (PKI side and shared parts).

The admission rule (reference/admission.py: LIM-4, LIM-8, LIM-9), the sweep of stale
temporaries (APP-STORE-3), the peer's sweep at start, and the `sft get`/`sft put`
command line's one-line environment errors (exit 2, never a traceback).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reference.admission import Admission, Refusal
from reference.pki.peer import PeerConfig, PeerServer
from reference.pki.tls import Identity
from reference.share import PARTIAL_PREFIX
from reference.transfer import TransferFailed, remove_stale_partials, storage_failure

TIMEOUT = 20.0


# -- the admission rule ---------------------------------------------------------------------


@pytest.mark.req("LIM-8")
def test_pending_connections_are_capped_per_address() -> None:
    rule = Admission(max_connections=10, max_pending_per_address=2)
    assert rule.admit(1, "a").admitted and rule.admit(2, "a").admitted
    assert rule.admit(3, "a").refused is Refusal.PER_ADDRESS
    assert rule.admit(4, "b").admitted  # another address is not affected
    assert rule.established(1)  # an established connection no longer counts...
    assert rule.admit(5, "a").admitted  # ...so the address may start another handshake
    rule.release(2)  # a pending one that ends gives its place back
    assert rule.admit(6, "a").admitted
    assert rule.admit(7, "a").refused is Refusal.PER_ADDRESS


@pytest.mark.req("LIM-9", "LIM-4")
def test_the_oldest_pending_connection_makes_room_never_an_established_one() -> None:
    rule = Admission(max_connections=3, max_pending_per_address=3)
    for key, address in ((1, "a"), (2, "b"), (3, "c")):
        assert rule.admit(key, address).admitted
    assert rule.established(1)
    decision = rule.admit(4, "d")
    assert decision.admitted and decision.evict == 2  # the oldest PENDING one
    assert not rule.established(2)  # evicted: its late handshake does not count
    rule.release(2)  # a no-op for the evicted one
    assert rule.open_connections == 3 and rule.pending_from("b") == 0
    assert rule.established(3) and rule.established(4)
    assert rule.admit(5, "e").refused is Refusal.FULL  # all established: busy [LIM-4]
    rule.release(1)
    assert rule.admit(5, "e").admitted  # accepting again once one ends


def test_limits_are_validated() -> None:
    for bad in ((0, 1), (1, 0)):
        with pytest.raises(ValueError):
            Admission(*bad)
    with pytest.raises(ValueError):
        PeerConfig(max_pending_per_address=0)


# -- temporaries left behind --------------------------------------------------------------


@pytest.mark.req("APP-STORE-3")
def test_stale_partials_are_swept_fresh_ones_and_other_files_kept(tmp_path: Path) -> None:
    old, fresh = tmp_path / f"{PARTIAL_PREFIX}old", tmp_path / f"{PARTIAL_PREFIX}fresh"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    (tmp_path / "final.txt").write_bytes(b"z")
    (tmp_path / f"{PARTIAL_PREFIX}dir").mkdir()
    # An initiator: only what nobody wrote to for longer than its idle timeout.
    assert remove_stale_partials(tmp_path, older_than=600) == 1
    assert not old.exists() and fresh.exists()
    # A responder at start: every temporary in its own inbox, files only.
    assert remove_stale_partials(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{PARTIAL_PREFIX}dir", "final.txt"]
    assert remove_stale_partials(tmp_path / "missing") == 0


def test_storage_failures_are_told_apart_from_connection_failures() -> None:
    assert storage_failure(OSError(28, "No space left on device")) == "No space left on device"
    assert storage_failure(ConnectionResetError(104, "Connection reset by peer")) is None


def _identity(directory: Path, *, matching_key: bool = True) -> Identity:
    """A self-made identity directory: root, a leaf for `alice`, its key (or another)."""
    directory.mkdir(parents=True)
    root_key, leaf_key, other_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    now = dt.datetime.now(dt.UTC)
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Root")])

    def cert(subject: x509.Name, key: ec.EllipticCurvePrivateKey, ca: bool) -> x509.Certificate:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(root_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(root_key, hashes.SHA256())
        )

    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "alice")])
    pem = serialization.Encoding.PEM
    (directory / "root.pem").write_bytes(cert(root_name, root_key, True).public_bytes(pem))
    (directory / "cert.pem").write_bytes(cert(leaf_name, leaf_key, False).public_bytes(pem))
    key = leaf_key if matching_key else other_key
    (directory / "key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root_name)
        .last_update(now - dt.timedelta(minutes=1))
        .next_update(now + dt.timedelta(days=1))
        .sign(root_key, hashes.SHA256())
    )
    (directory / "crl.der").write_bytes(crl.public_bytes(serialization.Encoding.DER))
    return Identity(directory)


@pytest.mark.req("APP-STORE-3")
def test_the_peer_sweeps_its_inbox_at_start(tmp_path: Path) -> None:
    identity = _identity(tmp_path / "id")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / f"{PARTIAL_PREFIX}killed-run").write_bytes(b"half a file")
    (inbox / "stored.txt").write_bytes(b"a whole file")
    lines: list[str] = []
    crl = (identity.directory / "crl.der").read_bytes()
    server = PeerServer(identity, PeerConfig(), lambda: crl, None, inbox, lines.append)
    try:
        assert [p.name for p in inbox.iterdir()] == ["stored.txt"]
        assert any("removed 1 partial file" in line for line in lines), lines
    finally:
        server.close(grace=0.5)


# -- one-line environment errors ------------------------------------------------------------


def _sft(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reference", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        cwd=cwd,
    )


def _one_line(done: subprocess.CompletedProcess[str], code: int) -> str:
    assert done.returncode == code, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize("command", ["get", "put"])
def test_a_mistyped_identity_directory_is_one_line(tmp_path: Path, command: str) -> None:
    (tmp_path / "f.txt").write_bytes(b"x")
    done = _sft(command, "--id", "./typo", "alice@127.0.0.1:9", "f.txt", cwd=tmp_path)
    assert "typo" in _one_line(done, 2)


@pytest.mark.parametrize("damage", ["mismatched", "corrupt"])
def test_an_unusable_key_or_certificate_is_one_line(tmp_path: Path, damage: str) -> None:
    identity = _identity(tmp_path / "id", matching_key=damage != "mismatched")
    if damage == "corrupt":
        identity.key.write_bytes(b"-----BEGIN PRIVATE KEY-----\nnot a key\n")
    crl = str(identity.directory / "crl.der")
    done = _sft(
        "get", "--id", str(identity.directory), "--crl", crl, "alice@127.0.0.1:9", "f.txt",
        cwd=tmp_path,
    )  # fmt: skip
    assert "unusable" in _one_line(done, 2)


def test_a_full_disk_during_a_put_reaches_the_initiator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The responder's disk fills mid-put: the initiator is told `cannot store: …` (the
    responder drains the rest instead of resetting the connection), nothing is left."""
    import errno
    import socket
    import threading

    from reference import share as share_module
    from reference.share import Inbox
    from reference.transfer import BUFFER_SIZE, Initiator, Responder, ResponderPolicy

    original = share_module.PartialFile.write

    def write(self: share_module.PartialFile, data: bytes | bytearray | memoryview) -> None:
        if self.written + len(data) > 2 * BUFFER_SIZE:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        original(self, data)

    monkeypatch.setattr(share_module.PartialFile, "write", write)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(6 * BUFFER_SIZE + 7))
    left, right = socket.socketpair()
    left.settimeout(10)
    right.settimeout(10)
    log: list[str] = []
    policy = ResponderPolicy(None, Inbox(inbox), max_file_size=10 * BUFFER_SIZE)
    thread = threading.Thread(target=Responder(right, policy, log=log.append).run)
    thread.start()
    try:
        with pytest.raises(TransferFailed) as failure:
            Initiator(left).put(source)
        assert failure.value.remote and "cannot store" in failure.value.message
    finally:
        left.close()
        thread.join(10)
        right.close()
        assert policy.inbox is not None
        policy.inbox.close()
    assert list(inbox.iterdir()) == []
    assert any("cannot store: No space left on device" in line for line in log), log


def test_an_inbox_removed_while_serving_is_told_not_a_bare_close(tmp_path: Path) -> None:
    """An administrator removes the inbox while the responder serves: the next put is
    answered `EROR internal` (`cannot store: …`), not a close the initiator must guess at."""
    import socket
    import threading

    from reference.share import Inbox
    from reference.transfer import Initiator, Responder, ResponderPolicy

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    source = tmp_path / "f.bin"
    source.write_bytes(b"x" * 1000)
    policy = ResponderPolicy(None, Inbox(inbox), max_file_size=1 << 20)
    inbox.rmdir()  # the descriptor the responder holds now names a removed directory
    left, right = socket.socketpair()
    left.settimeout(10)
    right.settimeout(10)
    log: list[str] = []
    thread = threading.Thread(target=Responder(right, policy, log=log.append).run)
    thread.start()
    try:
        with pytest.raises(TransferFailed) as failure:
            Initiator(left).put(source)
        assert failure.value.remote and "cannot store" in failure.value.message, failure.value
    finally:
        left.close()
        thread.join(10)
        right.close()
        assert policy.inbox is not None
        policy.inbox.close()
    assert any("cannot store" in line for line in log), log
