"""The import graph keeps the layers of docs/ARCHITECTURE.md, read with `ast`.

- the reference implementation imports nothing of the kit (it must stand alone as an
  implementation the kit judges);
- the tester (conformance, fuzz) imports nothing of the reference (independence: a
  shared bug would pass unseen);
- the kit's core (sftkit, but its `sft` command) imports only the standard library,
  pytest and itself, so every entry point can read from it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KIT_PACKAGES = ("conformance", "fuzz", "captures", "audit", "sftkit")
# sftkit modules that may reach the other packages: the `sft` command and its parts.
KIT_COMMAND_MODULES = frozenset({"cli.py", "capture_command.py", "__main__.py"})


def _imports(path: Path) -> set[str]:
    """Top-level package of every import in the file, including those inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value.split(".")[0])
    return found


# The self-tests plant mutants in the reference and run clean-room implementations: they
# test the tester, and are not part of it.
_NOT_THE_TOOL = {"tests", "selftest"}


def _violations(package: str, forbidden: set[str], skip: frozenset[str] = frozenset()) -> list[str]:
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT / package)
        if str(rel) in skip or _NOT_THE_TOOL & set(rel.parts[:-1]):
            continue
        bad = _imports(path) & forbidden
        if bad:
            out.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}")
    return out


def test_the_reference_imports_nothing_of_the_kit() -> None:
    # Its own tests included: the reference's test suite runs without the kit.
    found = [
        f"{p.relative_to(ROOT)} imports {', '.join(sorted(_imports(p) & set(KIT_PACKAGES)))}"
        for p in sorted((ROOT / "reference").rglob("*.py"))
        if _imports(p) & set(KIT_PACKAGES)
    ]
    assert found == []


@pytest.mark.parametrize("package", ["conformance", "fuzz"])
def test_the_tester_imports_nothing_of_the_reference(package: str) -> None:
    assert _violations(package, {"reference", "cryptography"}) == []


def test_the_kit_core_stands_below_every_entry_point() -> None:
    forbidden = {"reference", "conformance", "fuzz", "captures", "audit", "cryptography"}
    assert _violations("sftkit", forbidden, skip=KIT_COMMAND_MODULES) == []


def test_the_checker_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text(
        "def f():\n    from audit.cli import register\n"
        "import importlib\nimportlib.import_module('captures.checker')\n"
    )
    assert _imports(sample) == {"audit", "importlib", "captures"}
