"""Target files: what `write_target_file` writes, `load_target_file` reads back."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.target import (
    SHARE_FACTS,
    Account,
    KnownFile,
    Limits,
    Target,
    TargetConfigError,
    load_target_file,
)


def test_a_written_target_file_reads_back_the_same_target(tmp_path: Path) -> None:
    facts = {
        "directories": ["adir", "sub"],
        "escape_symlinks": ['a "quoted"/name', "escape"],
        "too_large": ["toolarge.bin"],
    }
    target = Target(
        profile="eke",
        host="127.0.0.1",
        port=7000,
        features=frozenset({"get", "put"}),
        limits=Limits(handshake_timeout=1.0, throttle_failures=3),
        files=(KnownFile("hello.txt", 13, "ab" * 32),),
        accounts=(Account("alice", "pw one"), Account("bob", "pw two")),
        client_cmd="cli get {host}:{port} {name} -o {out}",
        extra=dict(facts),
    )
    path = target.write_target_file(tmp_path / "t")
    loaded = Target(**load_target_file(path))
    assert loaded.address == target.address and loaded.profile == "eke"
    assert loaded.features == target.features and loaded.limits == target.limits
    assert loaded.files == target.files and loaded.client_cmd == target.client_cmd
    assert [(a.user, a.password) for a in loaded.accounts] == [
        ("alice", "pw one"),
        ("bob", "pw two"),
    ]
    assert {k: loaded.extra[k] for k in SHARE_FACTS} == facts
    # passwords live in their own 0600 files, never in the target file
    assert "pw one" not in path.read_text()
    assert all(p.stat().st_mode & 0o077 == 0 for p in path.parent.glob("*.password"))


def test_share_facts_must_be_lists_of_names(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('profile = "eke"\ntarget = "127.0.0.1:1"\ndirectories = "adir"\n')
    with pytest.raises(TargetConfigError, match="directories must be a list"):
        load_target_file(path)


def test_client_crl_cmd_reads_back_and_is_a_top_level_key(tmp_path: Path) -> None:
    template = 'cli get {alias}@{host}:{port} {name} --crl "{crl}" -o {out}'
    target = Target(profile="pki", host="127.0.0.1", port=7001, client_crl_cmd=template)
    path = target.write_target_file(tmp_path / "t")
    assert Target(**load_target_file(path)).client_crl_cmd == template
    misplaced = tmp_path / "m.toml"
    misplaced.write_text(
        'profile = "pki"\ntarget = "127.0.0.1:1"\n[pki]\nclient_crl_cmd = "cli {crl}"\n'
    )
    with pytest.raises(TargetConfigError, match=r"client_crl_cmd.*the top level"):
        load_target_file(misplaced)
