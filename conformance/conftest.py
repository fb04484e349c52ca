"""Loads the conformance plugin for everything under conformance/.

pytest only honours `pytest_plugins` in the rootdir's conftest, so the plugin's hooks and
fixtures are imported here by name (a conftest's module-level hooks and fixtures are
registered like a plugin's). See conformance/plugin.py for what each does.

Before anything of the suite is imported, bytecode goes to a cache of its own (see
`_cache_bytecode_outside_the_checkout`): with PYTHONDONTWRITEBYTECODE set (tox sets it,
and so may the shell), every process of a run — pytest, each xdist worker, each
embedded server, and each launch of the client under test — compiled every module from
source again, seconds of CPU per run for nothing.
"""

import os
import stat
import sys
from pathlib import Path


def _cache_bytecode_outside_the_checkout() -> None:
    """Write bytecode under the user's cache directory instead of not at all.

    PYTHONDONTWRITEBYTECODE is there to keep __pycache__ out of the checkout;
    `sys.pycache_prefix` (PYTHONPYCACHEPREFIX for the processes the suite starts) keeps it
    out just as well. Only a directory of this user's that no one else can write is used
    (a bytecode cache others can write is code they can run); an explicit prefix is kept.

    SFT_BYTECODE_CACHE=0 keeps "write none": the mechanical mutation run
    (conformance/selftest/mutation.py) rewrites sources in place, and a timestamp-checked
    cache could serve a previous mutant's bytecode for a file of the same size and second.
    """
    if os.environ.get("SFT_BYTECODE_CACHE", "1") == "0":
        return
    if not sys.dont_write_bytecode or sys.pycache_prefix or os.environ.get("PYTHONPYCACHEPREFIX"):
        return
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    cache = Path(base) / "sft-kit" / "pycache"
    try:
        cache.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = cache.stat()
    except (OSError, RuntimeError):
        return
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return
    sys.pycache_prefix = str(cache)
    sys.dont_write_bytecode = False
    os.environ["PYTHONPYCACHEPREFIX"] = str(cache)
    # Empty, not removed: an empty value means "write" to Python, and the launchers'
    # `setdefault("PYTHONDONTWRITEBYTECODE", "1")` keeps it.
    os.environ["PYTHONDONTWRITEBYTECODE"] = ""


_cache_bytecode_outside_the_checkout()

from conformance.plugin import (  # noqa: E402  (after the bytecode cache is set up)
    app_channel,
    eke_channel_factory,
    eke_sources,
    eke_target,
    eke_victim,
    pki_target,
    pytest_addoption,
    pytest_cmdline_main,
    pytest_collection_finish,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_configure_node,
    pytest_generate_tests,
    pytest_report_header,
    pytest_runtest_logreport,
    pytest_runtest_makereport,
    pytest_runtest_protocol,
    pytest_sessionfinish,
    pytest_sessionstart,
    pytest_terminal_summary,
    sft_pool,
    sft_profile,
    target,
    transcripts,
)

__all__ = [
    "app_channel",
    "eke_channel_factory",
    "eke_sources",
    "eke_target",
    "eke_victim",
    "pki_target",
    "pytest_addoption",
    "pytest_cmdline_main",
    "pytest_collection_finish",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_configure_node",
    "pytest_generate_tests",
    "pytest_report_header",
    "pytest_runtest_logreport",
    "pytest_runtest_makereport",
    "pytest_runtest_protocol",
    "pytest_sessionfinish",
    "pytest_sessionstart",
    "pytest_terminal_summary",
    "sft_pool",
    "sft_profile",
    "target",
    "transcripts",
]
