"""How `pytest conformance` as typed spreads over xdist workers (issue 17): how many
workers per core, and the provisioning the workers share (the CA with its enrolments and
the EKE store are made once per run, by whichever worker comes first, and copied)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from conformance.embedded import EmbeddedReference
from conformance.plugin import default_worker_count
from conformance.target import Account


@pytest.mark.parametrize(("cores", "workers"), [(1, 1), (2, 3), (3, 4), (4, 4), (64, 4)])
def test_more_workers_than_cores_for_a_run_that_waits(cores: int, workers: int) -> None:
    assert default_worker_count(cores) == workers


def test_the_template_is_provisioned_once_and_copied_to_every_worker(tmp_path: Path) -> None:
    template = tmp_path / "template"
    template.mkdir()
    made: list[Path] = []

    def provision(into: Path) -> tuple[Account, ...]:
        made.append(into)
        (into / "ca").mkdir()
        (into / "ca" / "db").write_text("issued")
        (into / "users.db").write_text("store")
        return (Account("alice", "pw-1"), Account("zo\u00eb", " \u00c9te\u0301 "))

    bases = [tmp_path / f"gw{i}" for i in range(3)]
    results: list[tuple[Account, ...]] = []

    def worker(base: Path) -> None:
        base.mkdir()
        ref = EmbeddedReference(base, template=template)
        results.append(ref._provisioned("pki", base, provision))

    threads = [threading.Thread(target=worker, args=(b,)) for b in bases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert made == [template / "pki"]
    assert len(results) == 3 and all(r == results[0] for r in results)
    assert results[0] == (Account("alice", "pw-1"), Account("zo\u00eb", " \u00c9te\u0301 "))
    for base in bases:
        assert (base / "ca" / "db").read_text() == "issued"
        assert (base / "users.db").read_text() == "store"
        assert not (base / "accounts.json").exists()  # the passwords stay in the template


def test_a_failed_provisioning_is_redone_by_the_next_worker(tmp_path: Path) -> None:
    template = tmp_path / "template"
    template.mkdir()
    calls: list[int] = []

    def provision(into: Path) -> tuple[Account, ...]:
        calls.append(1)
        (into / "half-made").write_text("debris")
        if len(calls) == 1:
            raise OSError("the first worker's CA did not start")
        return (Account("alice", "pw"),)

    first = EmbeddedReference(tmp_path / "a", template=template)
    with pytest.raises(OSError):
        first._provisioned("eke", tmp_path / "a", provision)
    (tmp_path / "b").mkdir()
    second = EmbeddedReference(tmp_path / "b", template=template)
    assert second._provisioned("eke", tmp_path / "b", provision) == (Account("alice", "pw"),)
    assert len(calls) == 2


def test_without_a_template_each_reference_provisions_its_own(tmp_path: Path) -> None:
    def provision(into: Path) -> tuple[Account, ...]:
        (into / "mine").write_text(into.name)
        return (Account("bob", "pw"),)

    ref = EmbeddedReference(tmp_path)
    assert ref._provisioned("eke", tmp_path, provision) == (Account("bob", "pw"),)
    assert (tmp_path / "mine").read_text() == tmp_path.name
