"""`sft legacy ...` end to end: readiness lines, warnings, passwords never on argv, exit codes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from reference.legacy import INSECURE_WARNING
from reference.legacy.tests.conftest import Process, run_cli

pytestmark = pytest.mark.xdist_group("legacy-cli")


def test_pki_ca_enrol_peer_get_and_traversal(tmp_path: Path, processes: list[Process]) -> None:
    accounts = tmp_path / "accounts.txt"
    accounts.write_text("alice:alice-pw\nbob:bob-pw\n")
    ca = Process(["pki-ca", "--dir", str(tmp_path / "ca"), "--accounts", str(accounts)])
    processes.append(ca)
    root = tmp_path / "ca" / "root.pem"
    assert oct((tmp_path / "ca" / "root.key").stat().st_mode & 0o777) == "0o600"
    for alias in ("alice", "bob"):
        done = run_cli(
            [
                "pki-enrol",
                "--ca-url",
                f"http://127.0.0.1:{ca.port}",
                "--root",
                str(root),
                "--alias",
                alias,
                "--password-stdin",
                "--out-dir",
                str(tmp_path / "ids"),
            ],
            stdin=f"{alias}-pw\n".encode(),
        )
        assert done.returncode == 0, done.stderr
        assert INSECURE_WARNING.encode() in done.stderr
    share = tmp_path / "share"
    share.mkdir()
    (share / "report.txt").write_bytes(os.urandom(777))
    (tmp_path / "secret.txt").write_bytes(b"not in the share\n")
    ids = tmp_path / "ids"
    peer = Process(
        [
            "pki-peer",
            "--key",
            str(ids / "bob.key"),
            "--cert",
            str(ids / "bob.pem"),
            "--root",
            str(root),
            "--share",
            str(share),
        ]
    )
    processes.append(peer)
    for name, expected in [
        ("report.txt", share / "report.txt"),
        ("../secret.txt", tmp_path / "secret.txt"),
    ]:
        out = tmp_path / "dl" / Path(name).name
        got = run_cli(
            [
                "pki-get",
                "--key",
                str(ids / "alice.key"),
                "--cert",
                str(ids / "alice.pem"),
                "--peer",
                f"127.0.0.1:{peer.port}",
                "--name",
                name,
                "--out",
                str(out),
            ]
        )
        assert got.returncode == 0, got.stderr
        assert out.read_bytes() == expected.read_bytes()
        assert b"identity NOT verified" in got.stdout


def test_pki_enrol_wrong_password_is_one_line(tmp_path: Path, processes: list[Process]) -> None:
    accounts = tmp_path / "accounts.txt"
    accounts.write_text("alice:alice-pw\n")
    ca = Process(["pki-ca", "--dir", str(tmp_path / "ca"), "--accounts", str(accounts)])
    processes.append(ca)
    pw = tmp_path / "pw"
    pw.write_text("wrong\n")
    done = run_cli(
        [
            "pki-enrol",
            "--ca-url",
            f"http://127.0.0.1:{ca.port}",
            "--root",
            str(tmp_path / "ca" / "root.pem"),
            "--alias",
            "alice",
            "--password-file",
            str(pw),
            "--out-dir",
            str(tmp_path / "ids"),
        ]
    )
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr
    assert done.stderr.decode().strip().splitlines()[-1] == (
        "sft: the CA answered 401: invalid alias or password"
    )
    assert not (tmp_path / "ids").exists()


def test_eke_server_and_get(tmp_path: Path, processes: list[Process]) -> None:
    served = tmp_path / "testfile1.pdf"
    served.write_bytes(os.urandom(4000))
    server = Process(["eke-server", "--file", str(served), "--password-stdin"], stdin=b"niceday\n")
    processes.append(server)
    out = tmp_path / "got.pdf"
    done = run_cli(
        [
            "eke-get",
            "--server",
            f"127.0.0.1:{server.port}",
            "--user",
            "yash101",
            "--password-stdin",
            "--out",
            str(out),
        ],
        stdin=b"niceday\n",
    )
    assert done.returncode == 0, done.stderr
    assert INSECURE_WARNING.encode() in done.stderr
    assert out.read_bytes() == served.read_bytes()
    digest = hashlib.sha1(served.read_bytes(), usedforsecurity=False).hexdigest()
    assert digest.encode() in done.stdout
    bad = run_cli(
        [
            "eke-get",
            "--server",
            f"127.0.0.1:{server.port}",
            "--user",
            "yash101",
            "--password-stdin",
            "--out",
            str(tmp_path / "no.pdf"),
        ],
        stdin=b"guess\n",
    )
    assert bad.returncode == 1
    assert bad.stderr.decode().strip().splitlines()[-1] == (
        "sft: the server answered 'Not Authenticated'"
    )
    assert not (tmp_path / "no.pdf").exists()
    server_log = server.stop()
    assert server_log.startswith(INSECURE_WARNING)  # LEG-GEN-1: the server warns first
    assert "niceday" not in server_log  # the log names users, never the password


def test_unreachable_target_exits_2(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("x\n")
    done = run_cli(
        [
            "eke-get",
            "--server",
            "127.0.0.1:1",
            "--user",
            "u",
            "--password-file",
            str(pw),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert done.returncode == 2
    assert b"cannot reach 127.0.0.1:1" in done.stderr and b"Traceback" not in done.stderr


def test_password_is_never_an_argument() -> None:
    done = run_cli(
        ["eke-get", "--server", "127.0.0.1:1", "--user", "u", "--password", "x", "--out", "o"]
    )
    assert done.returncode == 2
    assert b"error: one of the arguments --password-file --password-stdin is required" in (
        done.stderr
    )
