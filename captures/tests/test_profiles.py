"""Live captures of the reference's profiles through the `sft` CLI.

v1 profiles must be clean; legacy profiles must be caught (file readable, sft-eke/0
password recovered). Each test skips, saying why, when its commands are not built.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from captures.checker import LEAK, CheckConfig, check_capture
from captures.live import ServerProcess, sft_command, sft_has
from captures.recorder import RecorderConfig, record
from captures.secrets import Secret
from captures.tests.verdicts import assert_clean

pytestmark = [pytest.mark.xdist_group("capture"), pytest.mark.usefixtures("capture_rights")]


def test_legacy_eke0_is_caught_and_its_password_recovered(tmp_path: Path, tshark: str) -> None:
    if not sft_has("legacy", "eke-server"):
        pytest.skip("`sft legacy eke-server` is not available in this tree")
    content = os.urandom(20_000)
    (tmp_path / "file.bin").write_bytes(content)
    password = "tulip-" + os.urandom(4).hex()
    pw_file = tmp_path / "pw"
    pw_file.write_text(password + "\n")
    pw_file.chmod(0o600)
    words = tmp_path / "words.txt"
    words.write_text("\n".join(["123456", "password", password, "letmein"]) + "\n")
    sft = sft_command()
    server = [*sft, "legacy", "eke-server", "--file", str(tmp_path / "file.bin"),
              "--password-file", str(pw_file), "--port", "0"]
    with ServerProcess(server) as srv:
        client = [*sft, "legacy", "eke-get", "--server", f"127.0.0.1:{srv.port}",
                  "--user", "alice", "--password-file", str(pw_file),
                  "--out", str(tmp_path / "got.bin")]
        result = record(
            RecorderConfig((srv.port,), tmp_path / "eke0.pcapng"),
            lambda: subprocess.run(client, capture_output=True, timeout=60, check=True),
        )
    assert (tmp_path / "got.bin").read_bytes() == content
    report = check_capture(CheckConfig(
        result.path, (Secret("file.bin", content, is_file=True),), profile="eke0",
        wordlist=words,
    ))
    assert report.verdict == LEAK
    assert report.streams[0].protocol == "sft-eke/0"
    (attack,) = report.attacks
    assert attack["recovered"] == password and attack["source"] == "wordlist"
    leak = next(f for f in report.findings if f.secret == "file.bin")
    assert leak.direction == "backward" and leak.secret_offset == 0


def _check_v1(name: str, command: tuple[str, ...], tmp_path: Path) -> None:
    from captures.make_samples import SAMPLE_MAKERS

    if not sft_has(*command):
        pytest.skip(f"`sft {' '.join(command)}` is not available in this tree")
    _, maker = SAMPLE_MAKERS[name]
    work = tmp_path / "work"
    work.mkdir()
    entry = maker(work, tmp_path / f"{name}.pcapng")
    assert entry["complete"]
    secrets = tuple(Secret.from_file(Path(f)) for f in entry["_secret_files"])
    secrets += tuple(Secret(f"text{i}", t.encode()) for i, t in enumerate(entry["_secret_texts"]))
    secrets += tuple(Secret(f"marker{i}", m.encode()) for i, m in enumerate(entry["markers"]))
    words = tmp_path / "words.txt"
    words.write_text("\n".join([*entry["wordlist"], *entry["_secret_texts"]]) + "\n")
    report = check_capture(CheckConfig(tmp_path / f"{name}.pcapng", secrets,
                                       profile=entry["profile"], wordlist=words))
    if entry["profile"] == "eke":
        assert report.attacks and all(not a["testable"] for a in report.attacks)
        assert all(s.protocol == "sft-eke/1" for s in report.streams)
    else:
        assert all(s.protocol == "tls" for s in report.streams)
        assert sum("TLS version 1.3" in f.message for f in report.findings) == len(report.streams)
    assert_clean(report)


def test_v1_pki_get_and_put_are_clean(tmp_path: Path, tshark: str) -> None:
    _check_v1("pki", ("peer", "serve"), tmp_path)


def test_v1_pki_enrolment_shows_no_password(tmp_path: Path, tshark: str) -> None:
    _check_v1("pki-enrol", ("ca", "serve"), tmp_path)


def test_v1_eke_get_and_put_are_clean(tmp_path: Path, tshark: str) -> None:
    _check_v1("eke", ("eke", "serve"), tmp_path)
