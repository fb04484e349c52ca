"""Fuzzing an initiator: the fuzzers play a malicious sft-eke/1 server.

With `--client-cmd 'TEMPLATE'` the client under test is the implementation's; without
it, the reference's own `sft eke get`. Every case launches the client once, answers
its get with a mutated response, and checks that a kept file is exactly the served
one and that the client ends within the deadline. Failures are shrunk and saved.
"""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, seed
from hypothesis import strategies as st

from fuzz.campaign import BudgetSpent, FindingRecorder
from fuzz.client_mode import ClientFuzzConfig, fuzz_client_once
from fuzz.mutators import Mutation
from fuzz.settings import current_profile, fuzz_settings, run_seed
from fuzz.strategies import Knowledge, mutations

_USER = "alice"


def _template(request: pytest.FixtureRequest) -> str:
    given_cmd = request.config.getoption("--client-cmd")
    if given_cmd:
        return str(given_cmd)
    return (
        f"{shlex.quote(sys.executable)} -m reference eke get {{host}}:{{port}} {{name}} "
        "--user {user} --password-file {password_file} -o {out} --quiet "
        "--connect-timeout 10 --handshake-timeout 10"
    )


@pytest.mark.req("APP-GET-3", "APP-GET-4", "APP-GET-5", "APP-GET-6", "EKE-REC-4")
def test_fuzz_initiator_as_malicious_server(
    request: pytest.FixtureRequest, tmp_path: Path, findings_dir: Path
) -> None:
    password_file = tmp_path / "client.pw"
    password_file.write_text("fuzz client password\n")
    password_file.chmod(0o600)
    config = ClientFuzzConfig(
        template=_template(request),
        user=_USER,
        password=password_file.read_text().rstrip("\n"),
        password_file=password_file,
    )
    knowledge = Knowledge(file_name=config.name, file_bytes=config.content)
    recorder = FindingRecorder()
    runs: list[str] = []
    # Each case starts a client process: a few per profile run (ci/deep: more).
    examples = max(3, current_profile().max_examples // 3)
    budget_end = time.monotonic() + current_profile().budget_seconds

    @seed(run_seed())
    @fuzz_settings(max_examples=examples, database=None)
    @given(muts=st.lists(mutations("eke", "channel", knowledge), min_size=1, max_size=2))
    def campaign(muts: list[Mutation]) -> None:
        if time.monotonic() > budget_end and recorder.last is None:
            raise BudgetSpent
        case, violations, described = fuzz_client_once(config, tuple(muts), tmp_path)
        runs.append(described)
        if violations and case is not None:
            recorder.record(case, violations)
        assert not violations, "\n".join(map(str, violations)) + f"\n{described}"

    try:
        campaign()
    except BudgetSpent:
        pass
    except AssertionError:
        path = recorder.save(findings_dir / "client")
        raise AssertionError(f"{runs[-1] if runs else ''}\nsaved: {path}") from None
    assert runs, "no client ran"
