"""The reliability campaign (issue 18): a real CA, PKI peer and EKE server under load,
faults and hostile clients; `python -m reliability` or `tox -e reliability`."""

from __future__ import annotations

__all__: list[str] = []
