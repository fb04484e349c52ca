"""Does every mutant still apply to the current reference? (`python -m
conformance.selftest.check_patches [NAME-PART...]`)

Most mutants edit a reference function's source (`_patch_source`): an edit of the
reference that changes a patched line makes such a mutant raise at launch, which the full
mutant regression (tens of minutes) shows only as an ERROR. This check applies each
mutant in a forked child of one process that imported the reference once (~15 ms a
mutant) and lists the ones that no longer apply. Exit 0 when all apply, 1 otherwise.
"""

from __future__ import annotations

import importlib
import inspect
import linecache
import os
import pkgutil
import sys
from collections.abc import Sequence

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


def broken_mutants(name_parts: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(name, error) of each selected mutant whose `apply` raises."""
    _import_reference()
    from conformance.selftest.mutants import MUTANTS

    broken = []
    for mutant in MUTANTS:
        if name_parts and not any(part in mutant.name for part in name_parts):
            continue
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
        if status != 0:
            broken.append((mutant.name, message or f"exit status {status}"))
    return broken


def main(argv: Sequence[str] | None = None) -> int:
    broken = broken_mutants(sys.argv[1:] if argv is None else argv)
    for name, error in broken:
        print(f"{name}: {error}")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
