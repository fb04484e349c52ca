"""Loads the conformance plugin for everything under conformance/.

pytest only honours `pytest_plugins` in the rootdir's conftest, so the plugin's hooks and
fixtures are imported here by name (a conftest's module-level hooks and fixtures are
registered like a plugin's). See conformance/plugin.py for what each does.
"""

from conformance.plugin import (
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
