"""sft fuzzers: structure-aware mutation of frames and sessions against any target.

The fuzzers drive a target over sockets only (they never import `reference`), with the
conformance toolkit's vocabulary (`conformance.wire`, `conformance.eke`, the embedded
reference launcher). Modules:

* `cases` — a fuzz case as data (hex writes, timing, seal faults), saved as JSON;
* `strategies` — valid-by-construction frames and honest scripts (hypothesis);
* `mutators` — composable mutators (flip, truncate, split, tiny writes, duplicate,
  reorder, splice, lying lengths, wrong JSON, wrong state, records sealed wrongly);
* `runner` — runs a case (TLS / EKE channel, half-close, bounded reads);
* `oracles` — the invariant of docs/ARCHITECTURE.md §5 rule 6, one requirement ID per violation;
* `campaign` — runs, judges, probes liveness, keeps statistics, saves shrunk failures;
* `machines` — stateful `RuleBasedStateMachine` that injects a mutation at any state;
* `client_mode` — the fuzzers as a malicious server against an initiator (--client-cmd);
* `legacy` — the same oracles over the legacy profiles (which must fail them);
* `db` — `--fuzz-db redis://HOST:PORT/N` (hypothesis' RedisExampleDatabase);
* `bench` — sessions/s per profile with 1 and 2 workers (`python -m fuzz.bench`).

`pytest fuzz` (profiles quick/ci/deep via HYPOTHESIS_PROFILE), `python -m fuzz campaign`
and `python -m fuzz replay CASE` are the entry points.
"""

__all__: list[str] = []
