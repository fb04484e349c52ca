"""The sft-eke/1 reference (docs/SPEC.md §5): EKE2 handshake and AES-256-GCM records.

`crypto` holds every primitive; `handshake` and `records` are sans-IO cores;
`store` and `throttle` are the server's state; `server` and `client` are thin
socket adapters.
"""

__all__: list[str] = []
