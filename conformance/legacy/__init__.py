"""Conformance profiles `pki-legacy` and `eke-legacy`: the seeds' protocols under audit.

The suite's own client side of sft-pki/0 and sft-eke/0 (docs/SPEC.md §7), written
with pycryptodome and never importing `reference`. Run:

    pytest conformance/legacy --profile pki-legacy      # starts the legacy reference itself
    pytest conformance/legacy --profile eke-legacy --target HOST:PORT ...

Wire-format requirements (LEG-*-FMT-n) pass against a faithful legacy implementation;
the security requirements it violates (LEG-PKI-n, LEG-CA-n, LEG-EKE-n and the v1 IDs
they cite) FAIL with evidence from the wire.
"""

__all__: list[str] = []
