"""The servers' log: one line per event, timestamped in UTC, never interleaved.

Every serving command (`sft eke serve`, `sft peer serve`, `sft ca serve`) logs through
the `sft` logger with the one handler configured here:

    2026-12-04T17:40:00.123Z INFO sft.eke.server: get user='alice' name='a.txt' size=5 sent

- ISO 8601 in UTC with milliseconds and a `Z`: logs of machines in different zones
  sort and merge as text.
- One handler, one `write` per record under the handler's lock, on a line-buffered
  stream: threads never write partial lines into each other's (`print` writes the text
  and its newline in two calls, which is how the peer's lines used to interleave).
- A record never spans lines: a CR or LF inside it (an exception's traceback, a
  hostile name) is escaped, so a log reader can rely on one event per line.
- Transfers are logged with user or alias, name, size and outcome; never a password,
  key or file content [EKE-THR-3].
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import TextIO

__all__ = ["LOG_LINE", "configure_logging"]

# What every line of a server's log matches (the tests and log readers rely on it).
LOG_LINE = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) "
    r"sft(\.[\w-]+)*: [^\r\n]*"
)


class _OneLineUtcFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace("\r", "\\r").replace("\n", "\\n")


def configure_logging(stream: TextIO | None = None, level: int = logging.INFO) -> None:
    """Send the `sft` loggers' records to `stream` (default stderr), one line each."""
    target = stream if stream is not None else sys.stderr
    # stderr is line-buffered already; a redirected stream may not be: each record is
    # then still one write, flushed by the handler.
    handler = logging.StreamHandler(target)
    handler.setFormatter(_OneLineUtcFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("sft")
    for old in list(logger.handlers):
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False  # one handler: a root handler would print each line twice
