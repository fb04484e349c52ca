"""sft conformance suite: judges any implementation of sft-pki/1 and sft-eke/1 over the wire.

`pytest conformance` runs it against the embedded reference; `pytest conformance --target
HOST:PORT --profile pki|eke ...` against an implementation of yours (see README.md here).
The package never imports `reference`: it has its own frame layer and its own crypto
(pycryptodome), so that the tester and the tested share no code.
"""

__all__: list[str] = []
