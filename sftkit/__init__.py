"""The kit's core: what every tester entry point (conformance, fuzz, legacy, audit, the
`sft` command) reads from, so that each thing is said once.

- `sftkit.hostport`: `parse_hostport`, the one HOST:PORT parser;
- `sftkit.password_file`: `read_password_file`, the one password-file reader (docs/SPEC.md
  PWF-1);
- `sftkit.outcomes`: the outcome vocabulary (case, requirement, part and audit verdicts)
  and the harness exceptions `HarnessError` / `TargetDown`;
- `sftkit.target_options`: the target options (`--target` and its siblings), registered
  once for argparse and for pytest, and `TargetOptions`, their parsed values;
- `sftkit.launch`: the one launcher of reference processes (and any server the kit
  starts): own process group, readiness by a line, SIGTERM then SIGKILL, logs;
- `sftkit.client_run`: `run_client`, one run of a client under test (`client_launch`);
- `sftkit.cli`: the `sft` command.

The reference implementation (reference/) imports nothing from here: see
docs/ARCHITECTURE.md.
"""

__all__: list[str] = []
