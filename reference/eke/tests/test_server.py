"""The EKE server and client on loopback (in-process server, ephemeral ports)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reference.eke import crypto
from reference.eke.client import (
    ClientConfig,
    ClientError,
    EkeClient,
    LoginFailed,
    Throttled,
    TransferFailed,
    TransferRefused,
)
from reference.eke.handshake import ClientHandshake, HandshakeEvent
from reference.eke.records import InnerFrame, RecordChannel
from reference.eke.server import EkeServer, ServerConfig
from reference.eke.store import PasswordStore
from reference.eke.throttle import ThrottleConfig
from reference.eke.transport import close_gracefully, run_handshake
from reference.errors import ErrorCode
from reference.frames import NEED_DATA, encode_frame
from reference.messages import ErrorFrame, decode_message
from reference.share import PARTIAL_PREFIX
from reference.tests.close_watcher import CloseWatcher

PASSWORDS = {"alice": "alice's password", "bob": "bob's password"}
FILE_SIZE = 8 * 1024 * 1024 + 12345  # not a multiple of the record size


@pytest.fixture(scope="session")
def pw() -> Callable[[str, str], bytes]:
    """scrypt costs ~0.1 s: each (user, password) is derived once per session."""
    cache: dict[tuple[str, str], bytes] = {}

    def key(user: str, password: str) -> bytes:
        if (user, password) not in cache:
            cache[(user, password)] = crypto.password_key(user, password)
        return cache[(user, password)]

    return key


@dataclass
class Running:
    server: EkeServer
    host: str
    port: int
    share: Path
    inbox: Path


@contextlib.contextmanager
def running_server(
    tmp_path: Path, pw: Callable[[str, str], bytes], **options: object
) -> Iterator[Running]:
    share, inbox = tmp_path / "share", tmp_path / "inbox"
    share.mkdir()
    inbox.mkdir()
    store = PasswordStore(tmp_path / "users.db", create=True)
    for user, password in PASSWORDS.items():
        store.add_user(user, pw(user, password))
    defaults: dict[str, object] = {
        "share": share,
        "inbox": inbox,
        "handshake_timeout": 5.0,
        "idle_timeout": 5.0,
        "throttle": ThrottleConfig(failures=3, base=60.0, cap=60.0),
    }
    defaults.update(options)
    server = EkeServer(ServerConfig(**defaults), store)  # type: ignore[arg-type]
    host, port = server.start()
    try:
        yield Running(server, host, port, share, inbox)
    finally:
        server.shutdown()
        store.close()


@pytest.fixture
def srv(tmp_path: Path, pw: Callable[[str, str], bytes]) -> Iterator[Running]:
    with running_server(tmp_path, pw) as running:
        yield running


def client(
    r: Running,
    pw: Callable[[str, str], bytes],
    user: str = "alice",
    password: str | None = None,
    source: str | None = None,
) -> EkeClient:
    password = PASSWORDS.get(user, "x") if password is None else password
    config = ClientConfig(r.host, r.port, user, idle_timeout=10, source_address=source)
    return EkeClient(config, pw(user, password))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.req("APP-GET-3", "APP-PUT-5", "EKE-REC-1")
def test_get_and_put_a_file_both_ways(
    srv: Running, pw: Callable[[str, str], bytes], tmp_path: Path
) -> None:
    source = srv.share / "big.bin"
    source.write_bytes(os.urandom(FILE_SIZE))
    got = tmp_path / "got.bin"
    seen: list[int] = []
    with client(srv, pw) as c:
        done = c.get("big.bin", got, progress=lambda n, _t: seen.append(n))
        assert c.put(got, name="back.bin") == "back.bin"
        with pytest.raises(TransferRefused) as refused:
            c.get("missing.bin", tmp_path / "missing.bin")  # non-fatal: connection lives on
        assert refused.value.code is ErrorCode.NOT_FOUND
        with pytest.raises(TransferRefused) as exists:
            c.put(got, name="back.bin")
        assert exists.value.code is ErrorCode.EXISTS
    assert done.size == FILE_SIZE and done.sha256 == sha(source)
    assert sha(got) == sha(source) == sha(srv.inbox / "back.bin")
    assert seen[-1] == FILE_SIZE and len(seen) == 9
    assert leftovers(srv.inbox) == ["back.bin"]
    assert not (tmp_path / "missing.bin").exists()


# --- a hand-driven client: for attacks on the record stream ---------------------------


@dataclass
class RawSession:
    sock: socket.socket
    channel: RecordChannel

    def send(self, frame: bytes) -> bytes:
        record = bytes(self.channel.seal(frame))
        self.sock.sendall(record)
        return record

    def receive(self) -> InnerFrame | None:
        """The next frame from the server, or None at EOF / reset."""
        reader = self.channel.reader
        while True:
            frame = reader.next_frame()
            if frame is not NEED_DATA:
                return frame if isinstance(frame, InnerFrame) else None
            try:
                n = self.sock.recv_into(reader.get_buffer())
            except ConnectionResetError:
                return None
            if n == 0:
                reader.eof_received()
            else:
                reader.buffer_updated(n)

    def closed_by_server(self) -> bool:
        try:
            return self.sock.recv(65536) == b""
        except ConnectionResetError:
            return True


def raw_session(r: Running, pw: Callable[[str, str], bytes], user: str = "alice") -> RawSession:
    sock = socket.create_connection((r.host, r.port), timeout=10)
    hs = ClientHandshake(user, pw(user, PASSWORDS[user]))

    def unexpected(event: HandshakeEvent) -> None:
        raise AssertionError(f"unexpected {event}")

    est = run_handshake(sock, hs, time.monotonic() + 10, unexpected)
    sock.settimeout(10)
    return RawSession(sock, RecordChannel(est.keys, is_client=True))


def put_request(size: int) -> bytes:
    return encode_frame(b"PUTF", json.dumps({"name": "victim.bin", "size": size}).encode())


@pytest.mark.req("EKE-REC-4", "APP-STORE-3")
@pytest.mark.parametrize("attack", ["tampered", "replayed", "reordered", "dropped", "truncated"])
def test_attacked_put_closes_and_saves_nothing(
    srv: Running, pw: Callable[[str, str], bytes], attack: str
) -> None:
    chunks = [os.urandom(4096) for _ in range(3)]
    session = raw_session(srv, pw)
    session.send(put_request(sum(map(len, chunks))))
    answer = session.receive()
    assert answer is not None and answer.type == b"RSFL"
    records = [bytes(session.channel.seal(encode_frame(b"DATA", c))) for c in chunks]
    if attack == "tampered":
        bad = bytearray(records[1])
        bad[100] ^= 0x01
        wire = [records[0], bytes(bad), records[2]]
    elif attack == "replayed":
        wire = [records[0], records[0], records[1], records[2]]
    elif attack == "reordered":
        wire = [records[0], records[2], records[1]]
    elif attack == "dropped":
        wire = [records[0], records[2]]
    else:
        wire = [records[0], records[1], records[2][:-5]]
    session.sock.sendall(b"".join(wire))
    if attack == "truncated":
        session.sock.shutdown(socket.SHUT_WR)
    else:
        done = {"size": 12288, "sha256": hashlib.sha256(b"".join(chunks)).hexdigest()}
        with contextlib.suppress(OSError):
            session.send(encode_frame(b"DONE", json.dumps(done).encode()))
    assert session.closed_by_server()  # and nothing was answered in clear or sealed
    session.sock.close()
    assert leftovers(srv.inbox) == []  # no final file, no partial file


@pytest.mark.req("APP-PUT-6", "APP-STORE-4")
def test_more_data_than_announced_is_integrity_failed(
    srv: Running, pw: Callable[[str, str], bytes]
) -> None:
    session = raw_session(srv, pw)
    session.send(put_request(10))
    assert (answer := session.receive()) is not None and answer.type == b"RSFL"
    session.send(encode_frame(b"DATA", b"x" * 11))
    reply = session.receive()
    assert reply is not None
    error = decode_message(reply.to_frame())
    assert isinstance(error, ErrorFrame) and error.code is ErrorCode.INTEGRITY_FAILED
    assert session.receive() is None
    session.sock.close()
    assert leftovers(srv.inbox) == []


def _wire_attempt(r: Running, user: str, a_pw: bytes) -> list[bytes]:
    """A client that does not check EKE2 and sends junk EKE3: what comes back."""
    sock = socket.create_connection((r.host, r.port), timeout=10)
    with sock:
        sock.sendall(ClientHandshake(user, a_pw).data_to_send())
        got = b""
        while len(got) < 8 + 879:
            data = sock.recv(65536)
            assert data
            got += data
        sock.sendall(encode_frame(b"EKE3", json.dumps({"c": "cd" * 80}).encode()))
        rest = b""
        while data := sock.recv(65536):
            rest += data
    return [got[:8], rest]


def test_a_failed_login_closes_before_its_counters_are_written(
    srv: Running, pw: Callable[[str, str], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """[EKE-HS-3] A known user's failure is written to the store, an unknown user's is
    not: the connection must be closed before, or the time to the FIN tells them apart."""
    store = srv.server.store
    original = store.record_login
    released = threading.Event()
    waited_out: list[bool] = []

    def slow_record_login(name: str, *, success: bool, now: float | None = None) -> None:
        waited_out.append(not released.wait(10))  # a slow disk, as long as the test likes
        original(name, success=success, now=now)

    monkeypatch.setattr(store, "record_login", slow_record_login)
    answer = _wire_attempt(srv, "alice", pw("alice", "guess"))  # returns at the FIN
    released.set()
    assert json.loads(answer[1][8:])["name"] == "auth_failed"
    assert _wait_until(lambda: bool(waited_out))
    assert waited_out == [False], "the FIN waited for the failure to be recorded"


@pytest.mark.req("EKE-HS-3", "EKE-HS-8", "ERR-6")
def test_unknown_user_and_wrong_password_look_the_same_on_the_wire(
    srv: Running, pw: Callable[[str, str], bytes]
) -> None:
    wrong = _wire_attempt(srv, "alice", pw("alice", "guess"))
    unknown = _wire_attempt(srv, "zed", pw("zed", "guess"))
    assert wrong == unknown
    assert wrong[0] == b"EKE2" + (879).to_bytes(4, "big")
    assert json.loads(wrong[1][8:])["name"] == "auth_failed"


@pytest.mark.req("EKE-HS-4")
def test_client_reports_wrong_password_and_unknown_user_alike(
    srv: Running, pw: Callable[[str, str], bytes]
) -> None:
    for user, password in (("alice", "nope"), ("nobody", "alice's password")):
        with pytest.raises(LoginFailed, match="wrong password or unknown user"):
            client(srv, pw, user, password).connect()


@pytest.mark.req("EKE-THR-1", "EKE-THR-2", "LIM-5")
def test_server_keeps_serving_honest_clients_while_one_address_hammers(
    srv: Running, pw: Callable[[str, str], bytes], tmp_path: Path
) -> None:
    (srv.share / "small.txt").write_bytes(b"hello\n")
    outcomes: list[str] = []
    for attempt in range(8):  # bounded: 3 failures, then throttled
        try:
            client(srv, pw, "alice", f"guess {attempt % 2}", source="127.0.0.3").connect()
        except LoginFailed:
            outcomes.append("failed")
        except Throttled as exc:
            assert exc.retry_after is not None and exc.retry_after > 0
            outcomes.append("throttled")
        # An honest client of another user, from another address, still gets in.
        with client(srv, pw, "bob", source="127.0.0.2") as honest:
            honest.get("small.txt", tmp_path / f"small-{attempt}.txt")
    assert outcomes == ["failed"] * 3 + ["throttled"] * 5
    assert srv.server.throttle.failures(address="127.0.0.3") == 3
    assert all((tmp_path / f"small-{i}.txt").read_bytes() == b"hello\n" for i in range(8))


def _wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Bounded wait for server-side bookkeeping (a thread ending after a close)."""
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while time.monotonic() < deadline:
        if predicate():
            return True
        tick.wait(0.01)
    return predicate()


@pytest.mark.req("LIM-8", "LIM-1", "EKE-HS-11")
def test_busy_and_handshake_timeout(tmp_path: Path, pw: Callable[[str, str], bytes]) -> None:
    # Two pending connections from one address fill its share [LIM-8]: the third is
    # refused with EROR busy (other addresses would still get in: test_reliability.py).
    options = {"max_connections": 2, "max_pending_per_address": 2, "handshake_timeout": 0.5}
    with running_server(tmp_path, pw, **options) as r:
        idle = [socket.create_connection((r.host, r.port), timeout=5) for _ in range(2)]
        assert _wait_until(lambda: r.server.active_connections == 2)
        with socket.create_connection((r.host, r.port), timeout=5) as third:
            answer = third.recv(65536)
        assert answer[:4] == b"EROR" and json.loads(answer[8:])["name"] == "busy"
        for sock in idle:  # silent clients get EROR timeout, then the close
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
            assert json.loads(data[8:])["name"] == "timeout"
            sock.close()
        assert _wait_until(lambda: r.server.active_connections == 0)
        with client(r, pw) as c:  # accepting again [LIM-4]
            assert c is not None


@pytest.mark.req("LIM-2")
def test_idle_timeout_sends_a_sealed_timeout(
    tmp_path: Path, pw: Callable[[str, str], bytes]
) -> None:
    with running_server(tmp_path, pw, idle_timeout=0.3) as r:
        session = raw_session(r, pw)
        frame = session.receive()
        assert frame is not None
        error = decode_message(frame.to_frame())
        assert isinstance(error, ErrorFrame) and error.code is ErrorCode.TIMEOUT
        assert session.receive() is None
        session.sock.close()


# --- attacks on the server -> client direction, through an in-test proxy ---------------

_HANDSHAKE_FROM_SERVER = (8 + 879, 8 + 104)  # EKE2, EKE4


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class RecordMangler:
    """A loopback proxy that forwards everything but applies `attack` to record #2
    (the first DATA record of a get) of the server's stream."""

    def __init__(self, upstream: tuple[str, int], attack: str) -> None:
        self.attack = attack
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = self.listener.getsockname()[:2]
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        client, _ = self.listener.accept()
        server = socket.create_connection(self.upstream, timeout=10)
        client.settimeout(10)
        up = threading.Thread(target=self._pipe, args=(client, server), daemon=True)
        up.start()
        with contextlib.suppress(OSError):
            self._mangle(server, client)
        for sock in (client, server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        up.join(timeout=10)
        client.close()
        server.close()
        self.listener.close()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:  # the client is gone (EOF or reset): let the server see it at once
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    def _mangle(self, server: socket.socket, client: socket.socket) -> None:
        for size in _HANDSHAKE_FROM_SERVER:  # forwarded one by one: EKE3 comes between
            frame = _recv_exact(server, size)
            assert frame is not None
            client.sendall(frame)
        records: list[bytes] = []
        for _ in range(4):  # RSFL, DATA, DATA, ... : bounded
            header = _recv_exact(server, 8)
            body = _recv_exact(server, int.from_bytes(header[4:], "big")) if header else None
            if header is None or body is None:
                break
            records.append(header + body)
        first, second, rest = records[0], records[1], records[2:]
        if self.attack == "tampered":
            out = [first, second[:50] + bytes([second[50] ^ 1]) + second[51:], *rest]
        elif self.attack == "replayed":
            out = [first, second, second, *rest]
        elif self.attack == "reordered":
            out = [first, rest[0], second, *rest[1:]]
        else:  # dropped
            out = [first, *rest]
        client.sendall(b"".join(out))
        while data := server.recv(65536):
            client.sendall(data)


@pytest.mark.req("EKE-REC-4", "APP-GET-5", "APP-STORE-3")
@pytest.mark.parametrize("attack", ["tampered", "replayed", "reordered", "dropped"])
def test_attacked_get_fails_and_saves_nothing(
    srv: Running, pw: Callable[[str, str], bytes], tmp_path: Path, attack: str
) -> None:
    (srv.share / "big.bin").write_bytes(os.urandom(4 * 1024 * 1024))
    proxy = RecordMangler((srv.host, srv.port), attack)
    config = ClientConfig(proxy.address[0], proxy.address[1], "alice", idle_timeout=10)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with EkeClient(config, pw("alice", PASSWORDS["alice"])) as c:
        with pytest.raises(TransferFailed, match="nothing was saved"):
            c.get("big.bin", out_dir / "big.bin")
    proxy.thread.join(timeout=10)
    assert leftovers(out_dir) == []


@pytest.mark.req("EKE-THR-5", "EKE-THR-7", "EKE-SEC-3")
def test_parallel_guesses_are_capped_and_count_when_they_end(
    srv: Running, pw: Callable[[str, str], bytes]
) -> None:
    """P EKE1s held open (an EKE2 each: P guesses in flight), the next is `busy` (not
    counted); once they end, all P are failures and the next EKE1 is throttled."""
    cap = srv.server.throttle.config.pending_per_user
    held = []
    # The guesses' keys (scrypt each) are derived before any connection opens: derived
    # in between, on a loaded machine, they outlast the first handshakes' timeout.
    keys = [pw("alice", f"guess {i}") for i in range(cap + 2)]

    def eke1(i: int) -> tuple[bytes, bytes]:
        sock = socket.create_connection(
            (srv.host, srv.port), timeout=10, source_address=(f"127.0.0.{4 + i}", 0)
        )
        held.append(sock)
        sock.sendall(ClientHandshake("alice", keys[i]).data_to_send())
        header = _recv_exact(sock, 8)
        assert header is not None
        body = _recv_exact(sock, int.from_bytes(header[4:], "big"))
        assert body is not None
        return header[:4], body

    try:
        for i in range(cap):
            assert eke1(i)[0] == b"EKE2"
        kind, body = eke1(cap)
        assert kind == b"EROR" and json.loads(body)["name"] == "busy", body
        assert json.loads(body)["retry_after"] >= 1
        assert srv.server.throttle.failures(user="alice") == 0  # pending is not failure
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 5
    while srv.server.throttle.failures(user="alice") < cap and time.monotonic() < deadline:
        time.sleep(0.01)
    assert srv.server.throttle.failures(user="alice") == cap  # the busy one not counted
    held.clear()
    try:
        kind, body = eke1(cap + 1)
        assert kind == b"EROR" and json.loads(body)["name"] == "throttled", body
    finally:
        for sock in held:
            sock.close()


# --- ending a connection: FIN both ways, never a reset --------------------------------


def _watched_client(pw: Callable[[str, str], bytes], watcher: CloseWatcher) -> EkeClient:
    host, port = watcher.address
    config = ClientConfig(host, port, "alice", idle_timeout=10)
    return EkeClient(config, pw("alice", PASSWORDS["alice"]))


@pytest.mark.req("APP-BYE-1")
@pytest.mark.parametrize("last", ["get", "put", "nothing"])
def test_an_honest_session_ends_with_fin_both_ways(
    srv: Running, pw: Callable[[str, str], bytes], tmp_path: Path, last: str
) -> None:
    """After a get the server's BYE_ echo crosses our BYE_; after a put the client's
    FIN does: either way no side may close with the other's last record unread."""
    (srv.share / "small.bin").write_bytes(os.urandom(5000))
    watcher = CloseWatcher((srv.host, srv.port))
    with _watched_client(pw, watcher) as c:
        if last == "get":
            c.get("small.bin", tmp_path / "got.bin")
        elif last == "put":
            c.put(srv.share / "small.bin", name="back.bin")
    assert watcher.ended() == {"client": "fin", "server": "fin"}
    assert _wait_until(lambda: srv.server.active_connections == 0)


def test_close_gracefully_reads_what_the_peer_sent_last() -> None:
    """The peer's last bytes sit unread when we close: a plain close would reset."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        ours = socket.create_connection(listener.getsockname()[:2], timeout=5)
        theirs, _ = listener.accept()
        theirs.settimeout(5)
        with theirs:
            theirs.sendall(b"BYE_ echo")
            time.sleep(0.05)  # in our receive buffer now, unread
            closing = threading.Thread(target=close_gracefully, args=(ours, 5.0))
            started = time.monotonic()
            closing.start()
            assert theirs.recv(100) == b""  # our FIN, not a reset
            theirs.close()  # our drain sees this FIN and returns at once
            closing.join(timeout=5)
            assert not closing.is_alive() and time.monotonic() - started < 2.0
            assert ours.fileno() == -1


@pytest.mark.req("LIM-2", "LIM-5")
def test_a_client_that_never_closes_after_bye_cannot_hold_a_thread(
    tmp_path: Path, pw: Callable[[str, str], bytes]
) -> None:
    with running_server(tmp_path, pw, close_linger=0.3) as r:
        session = raw_session(r, pw)
        session.send(encode_frame(b"BYE_", b"{}"))
        echo = session.receive()
        assert echo is not None and bytes(echo.type) == b"BYE_"
        assert session.closed_by_server()  # the FIN follows the echo at once
        started = time.monotonic()
        assert _wait_until(lambda: r.server.active_connections == 0, timeout=3.0)
        assert time.monotonic() - started < 2.0
        session.sock.close()


def test_close_linger_is_validated() -> None:
    with pytest.raises(ValueError, match="linger"):
        ServerConfig(close_linger=-1)
    with pytest.raises(ValueError, match="linger"):
        ClientConfig("127.0.0.1", 1, "alice", close_linger=-1)


@pytest.mark.req("LIM-9")
@pytest.mark.parametrize("ending", ["fin", "reset"])
def test_a_close_during_the_login_is_reported_as_server_busy(
    pw: Callable[[str, str], bytes], ending: str
) -> None:
    # A server over its limits closes a pending login without a word (LIM-9): the client
    # says "server busy?", not a protocol error of its own making — whether the close is
    # a FIN or a reset (a close with unread bytes queued resets the connection).
    listener = socket.create_server(("127.0.0.1", 0))

    def read_eke1_then_close() -> None:
        conn = listener.accept()[0]
        conn.settimeout(5)
        with contextlib.suppress(OSError):
            conn.recv(65536)  # its EKE1
        if ending == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    closer = threading.Thread(target=read_eke1_then_close, daemon=True)
    closer.start()
    try:
        config = ClientConfig("127.0.0.1", listener.getsockname()[1], "alice", busy_retries=0)
        with pytest.raises(TransferFailed, match=r"server busy\?"):
            EkeClient(config, pw("alice", PASSWORDS["alice"])).connect()
    finally:
        closer.join(5)
        listener.close()


@pytest.mark.req("APP-STORE-3", "APP-STORE-5")
def test_a_server_stopped_mid_put_keeps_client_and_disk_consistent(
    tmp_path: Path, pw: Callable[[str, str], bytes]
) -> None:
    """SIGTERM's shutdown with a short grace while a large put is arriving: the client is
    told promptly (a DONE, an EROR or a reset — never left sending into a closed window
    until its idle timeout), and what it was told matches the inbox [APP-STORE-5]."""
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(1024 * 1024) * 96)
    (tmp_path / "srv").mkdir()
    with running_server(
        tmp_path / "srv", pw, max_file_size=256 * 1024 * 1024, shutdown_grace=0.1
    ) as srv:
        outcome: list[object] = []

        def put() -> None:
            try:
                with client(srv, pw) as c:
                    outcome.append(c.put(big))
            except (ClientError, OSError) as exc:
                outcome.append(exc)

        sender = threading.Thread(target=put, daemon=True)
        sender.start()
        deadline = time.monotonic() + 20.0
        tick = threading.Event()
        while not leftovers(srv.inbox) and sender.is_alive() and time.monotonic() < deadline:
            tick.wait(0.02)
        assert leftovers(srv.inbox) or not sender.is_alive(), "no put started"
        srv.server.shutdown()
        sender.join(8.0)  # the client's idle timeout is 10 s: it must not be what ends it
        assert outcome, "the client was not told in time that the put ended"
        stored = (srv.inbox / "big.bin").exists()
        assert stored == (outcome[0] == "big.bin"), (stored, outcome)
        assert not [n for n in leftovers(srv.inbox) if n.startswith(PARTIAL_PREFIX)]
