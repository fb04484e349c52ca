"""Regenerate captures/samples/: `python -m captures.make_samples [--only NAME]`.

Each sample is a small live capture of the reference (`sft` CLI) on loopback, plus
an entry in samples/manifest.json saying what the checker must conclude. The
transferred files are random bytes around a fixed non-secret marker text, so the
tests can look for the marker without committing the files. Passwords are
throwaway values drawn here, on purpose visible in the legacy captures (that is
what the legacy samples demonstrate); no key or certificate is kept.

Profiles whose commands are not built in this tree are skipped with a message. A
sample is kept only if the checker, run on it with the run's files and passwords,
concludes what its entry expects (v1: strictly "clean", no RST; legacy: "leak").
Needs dumpcap with capture rights.
"""

from __future__ import annotations

__all__ = ["main", "SAMPLES", "MANIFEST"]

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from captures.live import ServerProcess, sft_command, sft_has
from captures.recorder import RecorderConfig, record

SAMPLES = Path(__file__).with_name("samples")
MANIFEST = SAMPLES / "manifest.json"
MARKER = "SFT-SAMPLE-MARKER-not-a-secret"
_FILE_SIZE = 6000


def _file(directory: Path, name: str = "report.bin") -> Path:
    data = os.urandom(1000) + MARKER.encode() + os.urandom(_FILE_SIZE - 1000 - len(MARKER))
    path = directory / name
    path.write_bytes(data)
    return path


def _secret(directory: Path, name: str, value: str) -> Path:
    path = directory / name
    path.write_text(value + "\n")
    path.chmod(0o600)
    return path


def _run(argv: list[str], stdin: bytes | None = None) -> None:
    proc = subprocess.run(argv, input=stdin, capture_output=True, timeout=120, check=False)
    if proc.returncode != 0:
        last = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"{' '.join(argv[1:3])} failed: {last[-1] if last else proc.returncode}")


def _legacy_eke0(work: Path, out: Path) -> dict[str, Any]:
    sft = sft_command()
    password = "tulip-" + secrets.token_hex(3)
    pw = _secret(work, "pw", password)
    served = _file(work)
    with ServerProcess([*sft, "legacy", "eke-server", "--file", str(served),
                        "--password-file", str(pw), "--port", "0"]) as srv:
        client = [*sft, "legacy", "eke-get", "--server", f"127.0.0.1:{srv.port}",
                  "--user", "alice", "--password-file", str(pw), "--out", str(work / "got")]
        result = record(RecorderConfig((srv.port,), out), lambda: _run(client))
    return {"profile": "eke0", "expect": "leak", "complete": result.complete,
            "markers": [MARKER], "wordlist": ["123456", "password", password],
            "password": password, "legacy": True,
            # the file travels in clear; the password is recovered offline
            "expect_messages": ["marker1 readable (raw)", "password recovered"]}


def _legacy_pki0(work: Path, out: Path) -> dict[str, Any]:
    sft = sft_command()
    share = work / "share"
    share.mkdir()
    _file(share)
    alice_pw, bob_pw = secrets.token_hex(6), secrets.token_hex(6)
    accounts = _secret(work, "accounts", f"alice:{alice_pw}\nbob:{bob_pw}")
    cadir = work / "ca"
    with ServerProcess([*sft, "legacy", "pki-ca", "--dir", str(cadir), "--accounts",
                        str(accounts), "--port", "0"]) as ca:
        url = f"http://127.0.0.1:{ca.port}"

        def enrol(alias: str, password: str) -> None:
            pwf = _secret(work, f"{alias}.pw", password)
            _run([*sft, "legacy", "pki-enrol", "--ca-url", url, "--root",
                  str(cadir / "root.pem"), "--alias", alias, "--password-file", str(pwf),
                  "--out-dir", str(work)])

        enrol("bob", bob_pw)
        with ServerProcess([*sft, "legacy", "pki-peer", "--key", str(work / "bob.key"),
                            "--cert", str(work / "bob.pem"), "--root",
                            str(cadir / "root.pem"), "--share", str(share), "--port",
                            "0"]) as peer:

            def traffic() -> None:
                enrol("alice", alice_pw)  # the CA login, over plain HTTP
                _run([*sft, "legacy", "pki-get", "--key", str(work / "alice.key"), "--cert",
                      str(work / "alice.pem"), "--peer", f"127.0.0.1:{peer.port}",
                      "--name", "report.bin", "--out", str(work / "got")])

            result = record(RecorderConfig((ca.port, peer.port), out), traffic)
    # file pieces and the CA login are RSA-OAEP encrypted: what leaks is identities
    return {"profile": "pki0", "expect": "leak", "complete": result.complete,
            "markers": [MARKER], "wordlist": [], "password": None, "legacy": True,
            "expect_messages": ["certificate readable on the wire", "CN=alice", "CN=bob",
                                "HTTP readable"]}


def _v1_ca(work: Path) -> tuple[Path, dict[str, str]]:
    sft = sft_command()
    ca = work / "ca"
    _run([*sft, "ca", "init", "--dir", str(ca), "--unencrypted-key"])
    passwords = {alias: "pw-" + secrets.token_hex(6) for alias in ("alice", "bob")}
    for alias, pw in passwords.items():
        _run_stdin([*sft, "ca", "user", "add", "--dir", str(ca), "--password-stdin", alias], pw)
    return ca, passwords


def _v1_pki_enrol(work: Path, out: Path) -> dict[str, Any]:
    """sft-pki/1 enrolment: alice's CSR and password to the CA over HTTPS (TLS 1.3)."""
    sft = sft_command()
    ca, passwords = _v1_ca(work)
    with ServerProcess([*sft, "ca", "serve", "--dir", str(ca), "--listen", "127.0.0.1:0"]) as c:
        argv = [*sft, "enroll", "--ca", f"https://127.0.0.1:{c.port}", "--root",
                str(ca / "root.pem"), "--alias", "alice", "--password-stdin", "--out",
                str(work / "alice")]
        result = record(RecorderConfig((c.port,), out),
                        lambda: _run_stdin(argv, passwords["alice"]))
    return {"profile": "pki", "expect": "clean", "complete": result.complete,
            "markers": ["POST /", "BEGIN CERTIFICATE"], "wordlist": [], "password": None,
            "legacy": False, "expect_messages": ["TLS version 1.3"],
            "_secret_files": [], "_secret_texts": [passwords["alice"]]}


def _v1_pki(work: Path, out: Path) -> dict[str, Any]:
    """sft-pki/1: a get and a put between two enrolled peers (TLS 1.3, mutual auth)."""
    sft = sft_command()
    ca, passwords = _v1_ca(work)
    alice_pw, bob_pw = passwords["alice"], passwords["bob"]
    share, inbox = work / "share", work / "inbox"
    share.mkdir()
    inbox.mkdir()
    served = _file(share)
    offered = _file(work, "offered.bin")
    with ServerProcess([*sft, "ca", "serve", "--dir", str(ca), "--listen", "127.0.0.1:0"]) as c:
        url = f"https://127.0.0.1:{c.port}"

        def enrol(alias: str, pw: str) -> None:
            _run_stdin([*sft, "enroll", "--ca", url, "--root", str(ca / "root.pem"), "--alias",
                        alias, "--password-stdin", "--out", str(work / alias)], pw)

        enrol("bob", bob_pw)
        enrol("alice", alice_pw)
        with ServerProcess([*sft, "peer", "serve", "--id", str(work / "bob"), "--listen",
                            "127.0.0.1:0", "--share", str(share), "--inbox",
                            str(inbox)]) as peer:
            target = f"bob@127.0.0.1:{peer.port}"

            def traffic() -> None:
                _run([*sft, "get", "--id", str(work / "alice"), target, served.name, "-o",
                      str(work / "got.bin")])
                _run([*sft, "put", "--id", str(work / "alice"), target, str(offered)])

            result = record(RecorderConfig((peer.port,), out), traffic)
    if (work / "got.bin").read_bytes() != served.read_bytes():
        raise RuntimeError("sft get did not deliver the file")
    return {"profile": "pki", "expect": "clean", "complete": result.complete,
            "markers": [MARKER, served.name, offered.name], "wordlist": [], "password": None,
            "legacy": False, "expect_messages": ["TLS version 1.3"],
            "_secret_files": [str(served), str(offered)],
            "_secret_texts": [alice_pw, bob_pw, "alice", "bob"]}


def _v1_eke(work: Path, out: Path) -> dict[str, Any]:
    """sft-eke/1: a get and a put with a password-authenticated channel."""
    sft = sft_command()
    password = "pw-" + secrets.token_hex(6)
    pw = _secret(work, "pw", password)
    store = work / "users.db"
    _run([*sft, "eke", "user", "add", "--store", str(store), "--password-file", str(pw),
          "alice"])
    share, inbox = work / "share", work / "inbox"
    share.mkdir()
    inbox.mkdir()
    served = _file(share)
    offered = _file(work, "offered.bin")
    with ServerProcess([*sft, "eke", "serve", "--store", str(store), "--listen",
                        "127.0.0.1:0", "--share", str(share), "--inbox", str(inbox)]) as srv:
        addr = f"127.0.0.1:{srv.port}"

        def traffic() -> None:
            _run([*sft, "eke", "get", addr, served.name, "--user", "alice", "--password-file",
                  str(pw), "-o", str(work / "got.bin"), "--quiet"])
            _run([*sft, "eke", "put", addr, str(offered), "--user", "alice", "--password-file",
                  str(pw), "--quiet"])

        result = record(RecorderConfig((srv.port,), out), traffic)
    if (work / "got.bin").read_bytes() != served.read_bytes():
        raise RuntimeError("sft eke get did not deliver the file")
    return {"profile": "eke", "expect": "clean", "complete": result.complete,
            "markers": [MARKER, served.name, offered.name], "wordlist": ["123456", password],
            "password": None, "legacy": False,
            "expect_messages": [], "_secret_files": [str(served), str(offered)],
            "_secret_texts": [password]}


def _run_stdin(argv: list[str], text: str) -> None:
    _run(argv, (text + "\n").encode())


SAMPLE_MAKERS: dict[str, tuple[tuple[str, ...], Callable[[Path, Path], dict[str, Any]]]] = {
    "legacy-eke0": (("legacy", "eke-server"), _legacy_eke0),
    "legacy-pki0": (("legacy", "pki-peer"), _legacy_pki0),
    "pki": (("peer", "serve"), _v1_pki),
    "pki-enrol": (("ca", "serve"), _v1_pki_enrol),
    "eke": (("eke", "serve"), _v1_eke),
}


def _verdict(out: Path, entry: dict[str, Any], work: Path) -> str:
    """The checker's verdict on a fresh sample, with every secret of its run."""
    from captures.checker import CheckConfig, check_capture
    from captures.secrets import Secret

    texts: list[str] = entry.get("_secret_texts", [])
    found = tuple(Secret(f"marker{i}", m.encode()) for i, m in enumerate(entry["markers"], 1))
    found += tuple(Secret.from_file(Path(f)) for f in entry.get("_secret_files", []))
    found += tuple(Secret(f"text{i}", t.encode()) for i, t in enumerate(texts, 1))
    words = work / "verdict-words.txt"
    words.write_text("\n".join([*entry["wordlist"], *texts]) + "\n")
    report = check_capture(CheckConfig(out, found, profile=entry["profile"], wordlist=words))
    if report.verdict != entry["expect"]:
        for finding in report.findings:
            print(f"make_samples:   {finding.severity}: {finding.message}", file=sys.stderr)
    return report.verdict


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m captures.make_samples", description=__doc__)
    ap.add_argument("--only", action="append", choices=sorted(SAMPLE_MAKERS))
    args = ap.parse_args(argv)
    from captures.recorder import capture_unavailable_reason

    reason = capture_unavailable_reason()
    if reason is not None:
        print(f"make_samples: {reason}", file=sys.stderr)
        return 2
    SAMPLES.mkdir(exist_ok=True)
    manifest: dict[str, Any] = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    failed: list[str] = []
    for name, (command, maker) in SAMPLE_MAKERS.items():
        if args.only and name not in args.only:
            continue
        if not sft_has(*command):
            print(f"make_samples: skip {name}: `sft {' '.join(command)}` is not built yet")
            continue
        out = SAMPLES / f"{name}.pcapng"
        with tempfile.TemporaryDirectory(prefix="sft-sample-") as tmp:
            # Recorded aside: a failed run leaves the committed sample as it was.
            fresh = Path(tmp) / out.name
            entry = maker(Path(tmp), fresh)
            if not entry["complete"]:
                print(f"make_samples: {name}: the capture is incomplete; not kept",
                      file=sys.stderr)
                failed.append(name)
                continue
            verdict = _verdict(fresh, entry, Path(tmp))
            if verdict != entry["expect"]:
                print(f"make_samples: {name}: the checker says {verdict!r}, not "
                      f"{entry['expect']!r}; not kept", file=sys.stderr)
                failed.append(name)
                continue
            shutil.copyfile(fresh, out)
        out.chmod(0o644)  # dumpcap writes 0600; samples are public test data
        entry["file"] = out.name
        # the files and passwords of the run are not kept (they were in the temp dir)
        manifest[name] = {k: v for k, v in entry.items() if not k.startswith("_")}
        print(f"make_samples: {name}: {out} ({out.stat().st_size} bytes)")
    MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
