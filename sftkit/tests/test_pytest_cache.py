"""pytest's cache works with the project's settings: `--lf` reruns only what failed.

`-p no:cacheprovider` once kept the tree clean, but made `--lf` silently rerun
everything. The project's [tool.pytest.ini_options] are copied into a tiny temporary
project with one passing and one failing test; a second run with `--lf` must run the
failed one only, and the cache must land in `cache_dir`, not in the source tree.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pytest_settings() -> str:
    """The project's pytest section, as TOML text."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    settings = tomllib.loads(text)["tool"]["pytest"]["ini_options"]
    assert "cacheprovider" not in settings.get("addopts", ""), settings["addopts"]
    start = text.index("[tool.pytest.ini_options]")
    end = text.find("\n[", start + 1)
    return text[start : end if end != -1 else len(text)]


def _pytest(project: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:randomly", *argv],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_last_failed_reruns_only_the_failed_test(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(_pytest_settings() + "\n", encoding="utf-8")
    (project / "test_two.py").write_text(
        "def test_passes():\n    pass\n\n\ndef test_fails():\n    assert False\n",
        encoding="utf-8",
    )
    first = _pytest(project, "-q")
    assert first.returncode == 1 and "1 failed, 1 passed" in first.stdout, first.stdout
    again = _pytest(project, "-v", "--lf")
    assert again.returncode == 1, again.stdout
    assert "test_two.py::test_fails FAILED" in again.stdout, again.stdout
    assert "test_two.py::test_passes" not in again.stdout, "--lf reran the passing test"
    assert not (project / ".pytest_cache").exists(), "the cache went into the source tree"
    cache_dir = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["pytest"][
        "ini_options"
    ]["cache_dir"]
    assert (project / cache_dir / "v" / "cache" / "lastfailed").is_file()
