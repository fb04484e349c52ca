"""`sft audit`: the kit's main job. The orchestration lives in the `audit` package."""

from __future__ import annotations

__all__ = ["register"]

from audit.cli import register
