"""How `pytest conformance` as typed spreads over xdist workers (issue 17): how many
workers per core, and the provisioning the workers share (the CA with its enrolments and
the EKE store are made once per run, by whichever worker comes first, and copied)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from conformance.embedded import EmbeddedReference
from conformance.plugin import default_worker_count, run_shared_bytes, untagged_nodeid
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


def _worker_config(template: Path | None) -> pytest.Config:
    # What run_shared_bytes reads of a worker's config: the workerinput xdist gives it.
    workerinput = {"sft_embedded_template": str(template)} if template is not None else None
    return cast(pytest.Config, SimpleNamespace(workerinput=workerinput))


def test_a_shared_value_is_built_once_per_run_and_read_by_every_worker(tmp_path: Path) -> None:
    built: list[int] = []

    def build() -> bytes:
        built.append(1)
        return b"key-%d" % len(built)

    results: list[bytes] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                run_shared_bytes(_worker_config(tmp_path), "k.pem", build)
            )
        )
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert built == [1] and results == [b"key-1"] * 3
    assert (tmp_path / "shared" / "k.pem").stat().st_mode & 0o077 == 0


def test_without_workers_a_shared_value_is_built_in_place(tmp_path: Path) -> None:
    assert run_shared_bytes(_worker_config(None), "k.pem", lambda: b"here") == b"here"
    assert not (tmp_path / "shared").exists()


_GROUPED_CASES = """
import os
import pytest

def _note():
    with open(os.environ["SFT_GROUP_LOG"], "a") as log:
        log.write(os.environ.get("PYTEST_XDIST_WORKER", "-") + "\\n")

@pytest.mark.xdist_group("one")
@pytest.mark.parametrize("i", range(5))
def test_grouped(i):
    _note()

@pytest.mark.xdist_group("one")  # not parametrised: no [params] before its tag
def test_plain():
    _note()
"""


def test_a_group_runs_on_one_worker(tmp_path: Path) -> None:
    """`--dist loadgroup` keeps an `xdist_group` on one worker (the cases of a victim
    account, the CA's throttle, the timing samples must not overlap). pytest 9 dropped
    the id xdist 3.8 tags groups with; the plugin's `_GroupTags` puts it back."""
    pytest.importorskip("xdist")
    (tmp_path / "test_grouped.py").write_text(_GROUPED_CASES, encoding="utf-8")
    log = tmp_path / "workers.log"
    run = subprocess.run(
        [
            sys.executable, "-m", "pytest", "test_grouped.py", "-p", "conformance.plugin",
            "-n", "2", "--dist", "loadgroup", "-q", "-p", "no:cacheprovider",
            "--report-dir", str(tmp_path / "report"),
        ],
        cwd=tmp_path,
        env={**os.environ, "SFT_GROUP_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    workers = log.read_text(encoding="utf-8").split()
    assert len(workers) == 6
    assert len(set(workers)) == 1, f"the group's cases ran on {sorted(set(workers))}"


def _item(nodeid: str, *groups: pytest.MarkDecorator) -> pytest.Item:
    marks = [g.mark for g in groups]
    fake = SimpleNamespace(
        nodeid=nodeid, iter_markers=lambda name: iter(m for m in marks if m.name == name)
    )
    return cast(pytest.Item, fake)


@pytest.mark.parametrize(
    ("nodeid", "groups", "expected"),
    [
        ("f.py::test_a[x]@eke", (pytest.mark.xdist_group("eke"),), "f.py::test_a[x]"),
        ("f.py::test_a@ca", (pytest.mark.xdist_group(name="ca"),), "f.py::test_a"),
        ("f.py::test_a[x]", (pytest.mark.xdist_group("eke"),), "f.py::test_a[x]"),
        ("f.py::test_a[x@eke]", (), "f.py::test_a[x@eke]"),
        ("f.py::test_a@other", (pytest.mark.xdist_group("eke"),), "f.py::test_a@other"),
    ],
)
def test_files_are_named_without_the_group_tag(
    nodeid: str, groups: tuple[pytest.MarkDecorator, ...], expected: str
) -> None:
    """Transcript and timing files keep one name whether a run tags its groups (-n) or
    not; only the tag the group marker explains is removed."""
    assert untagged_nodeid(_item(nodeid, *groups)) == expected
