"""Does every mutant still apply to the current reference? (`python -m
conformance.selftest.check_patches [NAME-PART...]`)

Most mutants edit a reference function's source (`_patch_source`): an edit of the
reference that changes a patched line makes such a mutant raise at launch, which the full
mutant regression (tens of minutes) shows only as an ERROR. This check imports the
reference once, applies each mutant in that process and puts back what it replaced (every
attribute of the reference's modules and classes, and the environment: ~3 ms a mutant);
a mutant that fails there is tried again alone in a forked child of the untouched process
(so one mutant's leftovers never count against the next), and the ones that fail there too
are listed. Exit 0 when all apply, 1 otherwise.
"""

from __future__ import annotations

import importlib
import inspect
import linecache
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["broken_mutants", "main"]


def _import_reference() -> None:
    """Every reference module, once, before forking (the children only patch)."""
    reference = importlib.import_module("reference")
    for info in pkgutil.walk_packages(reference.__path__, "reference."):
        if ".tests" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        # The children read patched functions' source (inspect.getsource): lines read and
        # module lookups cached here, before forking, are not redone ~3,000 times.
        if module.__file__:
            linecache.getlines(module.__file__)
    inspect.getmodule(_import_reference)


_Saved = tuple[list[tuple[Any, dict[str, Any]]], list[tuple[Any, Any]], dict[str, str]]


def _snapshot() -> _Saved:
    """What a mutant may replace: the reference's module and class attributes, the contents
    of its module-level dicts, lists and sets, and os.environ."""
    held: list[tuple[Any, dict[str, Any]]] = []
    contents: list[tuple[Any, Any]] = []
    for name, module in list(sys.modules.items()):
        if name != "reference" and not name.startswith("reference."):
            continue
        held.append((module, dict(vars(module))))
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == name:
                held.append((value, dict(vars(value))))
            elif type(value) in (dict, list, set):
                contents.append((value, value.copy()))
    return held, contents, dict(os.environ)


def _restore(saved: _Saved) -> None:
    held, contents, environ = saved
    for owner, attrs in held:
        now = vars(owner)
        for key in [k for k in now if k not in attrs]:
            delattr(owner, key)
        for key, value in attrs.items():
            if now.get(key) is not value:
                setattr(owner, key, value)
    for container, copy in contents:
        if container != copy:
            container.clear()
            container.update(copy) if isinstance(container, dict | set) else container.extend(copy)
    if os.environ != environ:
        os.environ.clear()
        os.environ.update(environ)


def _applies_in_place(mutant: Any, saved: _Saved) -> bool:
    try:
        mutant.apply()
    except BaseException:  # any failure is judged again in a fresh child
        return False
    finally:
        _restore(saved)
    return True


def _apply_in_child(mutant: Any) -> str | None:
    """The error of `mutant.apply()` in a forked child of this process, or None."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: apply, report, never return into the caller's code
        os.close(read_end)
        code = 0
        try:
            mutant.apply()
        except BaseException as exc:  # any failure to apply is the answer
            os.write(write_end, f"{type(exc).__name__}: {exc}".encode()[:900])
            code = 1
        os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        message = pipe.read(1000).decode("utf-8", "replace")
    _, status = os.waitpid(pid, 0)
    return (message or f"exit status {status}") if status != 0 else None


def broken_mutants(name_parts: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(name, error) of each selected mutant whose `apply` raises."""
    _import_reference()
    from conformance.selftest.mutants import MUTANTS

    saved = _snapshot()
    broken = []
    for mutant in MUTANTS:
        if name_parts and not any(part in mutant.name for part in name_parts):
            continue
        if _applies_in_place(mutant, saved):
            continue
        error = _apply_in_child(mutant)
        if error is not None:
            broken.append((mutant.name, error))
    return broken


def main(argv: Sequence[str] | None = None) -> int:
    broken = broken_mutants(sys.argv[1:] if argv is None else argv)
    for name, error in broken:
        print(f"{name}: {error}")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
