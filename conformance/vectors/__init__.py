"""Known-answer vectors of docs/SPEC.md §8, and the one helper that loads them.

The files are produced by `python -m conformance.vectors.generate` from fixed seeds;
`python -m conformance.vectors.generate --check` verifies they are reproduced byte for
byte. Each file is `{"profile", "description", "vectors": [{"id", "valid", ...}]}`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["VECTOR_DIR", "VECTOR_FILES", "load_vectors"]

VECTOR_DIR = Path(__file__).resolve().parent
VECTOR_FILES = (
    "frames.json",
    "eke_password_key.json",
    "eke_feistel.json",
    "eke_pm_encoding.json",
    "eke_handshake.json",
    "eke_records.json",
)


def load_vectors(name: str, *, valid: bool | None = None) -> list[dict[str, Any]]:
    """The vectors of one file (`name` with or without `.json`), optionally by validity."""
    file_name = name if name.endswith(".json") else f"{name}.json"
    document = json.loads((VECTOR_DIR / file_name).read_text(encoding="utf-8"))
    vectors: list[dict[str, Any]] = document["vectors"]
    if valid is None:
        return vectors
    return [v for v in vectors if v["valid"] is valid]
