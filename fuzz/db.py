"""`--fuzz-db redis://HOST:PORT/N`: share hypothesis' example database through Redis.

Many machines fuzzing the same target then replay each other's failing and
interesting examples first. It is hypothesis' own `RedisExampleDatabase`; this module
only parses and checks the URL so that a typo is one clear line, not a traceback.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from hypothesis.database import ExampleDatabase

__all__ = ["FuzzDbError", "open_example_db"]


class FuzzDbError(Exception):
    """The --fuzz-db URL is unusable (one line for the user)."""


def open_example_db(url: str, *, key_prefix: bytes = b"sft-fuzz:") -> ExampleDatabase:
    """A RedisExampleDatabase for `redis://HOST:PORT/N` (the server is pinged once)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise FuzzDbError(f"--fuzz-db must look like redis://HOST:PORT/N, got {url!r}")
    db_path = parts.path.lstrip("/") or "0"
    if not db_path.isdigit():
        raise FuzzDbError(f"--fuzz-db database number must be an integer, got {db_path!r}")
    try:
        import redis
        from hypothesis.extra.redis import RedisExampleDatabase
    except ImportError as exc:  # pragma: no cover - redis is a declared dependency
        raise FuzzDbError(f"--fuzz-db needs the redis package: {exc}") from exc
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise FuzzDbError(f"cannot reach the Redis example database at {url}: {exc}") from exc
    return RedisExampleDatabase(client, key_prefix=key_prefix)
