from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from captures.recorder import capture_unavailable_reason
from captures.tests.traffic import Throwaway, make_cert


@pytest.fixture(scope="session")
def capture_rights() -> None:
    reason = capture_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def tshark() -> str:
    path = shutil.which("tshark")
    if path is None:
        pytest.skip("tshark is not installed: apt-get install --no-install-recommends tshark")
    return path


@pytest.fixture
def cert(tmp_path: Path) -> Throwaway:
    return make_cert(tmp_path)
