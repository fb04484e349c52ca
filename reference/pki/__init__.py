"""sft-pki/1 (docs/SPEC.md §4): the organisation CA, enrolment, TLS contexts, the peer.

The application protocol itself is sans-IO (reference.app); this package holds
the certificate recipes and the socket/TLS adapters around it.
"""

__all__: list[str] = []
