"""`HOST:PORT`, parsed one way for every tool of the kit."""

from __future__ import annotations

import re

from sftkit.outcomes import TargetConfigError

__all__ = ["HostPortError", "parse_hostport"]

_PORT_RE = re.compile(r"[0-9]{1,5}")


class HostPortError(TargetConfigError):
    """Not a usable HOST:PORT (one line for the user)."""


def parse_hostport(value: str, *, option: str = "--target") -> tuple[str, int]:
    """`host:port`, `[v6addr]:port` -> (host, port); port 1..65535.

    Port 0 is refused: for a target it means "any port", which names no server. A host
    holding ':' must be bracketed, so that `::1:7000` is not silently read as host `::1`.
    """
    host, sep, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        host = ""
    ok = (
        bool(sep)
        and bool(host)
        and host.strip() == host
        and _PORT_RE.fullmatch(port) is not None
        and 0 < int(port) < 65536
    )
    if not ok:
        raise HostPortError(
            f"{option} must be HOST:PORT (port 1-65535, IPv6 as [ADDR]:PORT), got {value!r}"
        )
    return host, int(port)
