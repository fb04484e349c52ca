"""A second, clean-room sft-eke/1 implementation (server and client) written from
docs/SPEC.md alone, with planted faults: the conformance suite is proven on code it was not
written beside (test_eke1.py)."""
