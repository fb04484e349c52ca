"""sft reference implementation: sft-pki/1, sft-eke/1 and the legacy profiles.

The protocol logic is sans-IO (bytes in, events out); sockets, TLS, threads and
the command line are thin adapters around it. See docs/SPEC.md.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
