"""sft-pki/1 INITIATOR: the retry after a busy refusal has a handshake deadline too
(docs/SPEC.md LIM-9).

test_client_pki_give_up.py tries a responder that is silent from its first connection and
one that refuses every connection. Between the two lies the path a client's own tests
never reach: the first connection is closed before any TLS byte (a responder over its
limits, LIM-4/LIM-8/LIM-9: a client MAY retry), and the retry's connection is accepted and
then never answered. A client whose retry path builds its socket apart from the first
attempt's — the handshake timeout set on the first connection only, a retry helper with
its own blocking socket, a timeout cleared "because the responder was there a moment ago"
— waits on that connection for ever.

The suite's listener closes the first `_REFUSED` connections at once and holds every later
one silent (reading the ClientHello, answering nothing). Judged as in
test_client_pki_give_up.py: the client ends by itself within `_GIVE_UP_WITHIN` seconds
(twice the SPEC's default handshake timeout, LIM-1, plus a process start and the retry's
wait), reports a failure (non-zero exit, nothing kept), and — when its last connection
was a silent one — says that the handshake timed out. A client that does not retry a busy
refusal fails at once, which is conforming too.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    _run_initiator_once,
    client_template,
    lab_pki,
    responder_alias,
)
from conformance.target import Target
from conformance.test_client_pki_give_up import _SAYS_TIMED_OUT, _RawResponder
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_REFUSED = 1  # connections closed before TLS; every later one is silent
_GIVE_UP_WITHIN = 26.0  # test_client_pki_give_up.py's 24 s, plus the retry's wait
_RUN_TIMEOUT = _GIVE_UP_WITHIN + 6.0


class _RefuseThenSilent(_RawResponder):
    """Closes the first `_REFUSED` connections before any TLS byte, then holds silent."""

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            if self.connections <= _REFUSED:
                conn.close()
                continue
            self._open.append(conn)
            thread = threading.Thread(target=self._silent, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)


@pytest.mark.req("LIM-9")
def test_pki_initiator_retry_after_a_busy_close_has_a_handshake_deadline(
    target: Target, tmp_path: Path
) -> None:
    lab_pki(target)
    outdir = tmp_path / "out"
    outdir.mkdir()
    with _RefuseThenSilent("silent") as raw:
        started = time.monotonic()
        run = _run_initiator_once(
            target,
            client_template(target, tmp_path),
            host=raw.host,
            port=raw.port,
            name="file.bin",
            out=outdir / "received.bin",
            alias=responder_alias(target),
            timeout=_RUN_TIMEOUT,
        )
        elapsed = time.monotonic() - started
        connections = raw.connections
    if connections == 0:
        raise RuntimeError(
            f"the client under test never connected (is --client-cmd right?): {run.describe()}"
        )
    situation = (
        f"LIM-9: the first {_REFUSED} connection(s) closed before any TLS byte (busy), every "
        "later one accepted and its ClientHello never answered"
    )
    expected = (
        f"the client gives up by itself within {_GIVE_UP_WITHIN:g} s and reports a failure "
        "(non-zero exit, nothing kept); a retried connection has a handshake deadline too"
    )
    if run.returncode is None or elapsed >= _GIVE_UP_WITHIN:
        raise ConformanceFailure.evidence(
            situation,
            expected,
            f"still running after {elapsed:.1f} s ({connections} connection(s)); "
            f"{run.describe()}",
        )
    if run.succeeded or run.kept_file:
        raise ConformanceFailure.evidence(
            situation, expected, f"reported success; {run.describe()}"
        )
    if connections > _REFUSED and not _SAYS_TIMED_OUT.search(run.stdout + run.stderr):
        raise ConformanceFailure.evidence(
            situation,
            f"{expected}; its report says the handshake timed out (its last connection was "
            "a silent one)",
            f"{connections} connection(s), no time-out in the report; {run.describe()}",
        )
