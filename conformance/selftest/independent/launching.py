"""How the independent implementations' tests start them: the kit's one launcher
(sftkit.launch: own process group, readiness from the `listening on HOST:PORT` line,
output drained to a log, group stopped at the end), with exactly the planted faults asked."""

from __future__ import annotations

from sftkit.launch import python_env

__all__ = ["FAULTS_VARIABLE", "fault_env"]

FAULTS_VARIABLE = "SFT_INDEPENDENT_FAULTS"


def fault_env(faults: str) -> dict[str, str]:
    """This environment for a child with exactly `faults` planted (none when empty): a
    fault variable the caller happens to have must not leak into a clean run."""
    env = python_env()
    env.pop(FAULTS_VARIABLE, None)
    if faults:
        env[FAULTS_VARIABLE] = faults
    return env
