"""The kit's core: what every tester entry point (conformance, fuzz, legacy, audit, the
`sft` command) reads from, so that each thing is said once.

- `sftkit.hostport`: `parse_hostport`, the one HOST:PORT parser;
- `sftkit.password_file`: `read_password_file`, the one password-file reader (docs/SPEC.md
  PWF-1);
- `sftkit.outcomes`: the outcome vocabulary (case, requirement, part and audit verdicts)
  and the harness exceptions `HarnessError` / `TargetDown`;
- `sftkit.target_options`: the target options (`--target` and its siblings), registered
  once for argparse and for pytest, and `TargetOptions`, their parsed values;
- `sftkit.cli`: the `sft` command.

The reference implementation (reference/) imports nothing from here: see
docs/ARCHITECTURE.md.
"""

__all__: list[str] = []
