"""An sft-eke/1 CLIENT opens the server's records with the server->client key and IV only
(SPEC §5.4, §5.5): a whole get answer sealed with another key or IV is not the server's.

The suite plays the server (test_eke_client_transfer.py's lying server: an honest
handshake, then the client's `RQFL`) and answers the get with the right frames — `RSFL`,
six `DATA`, `DONE`, sizes and digests true — every record sealed at the sequence number
the server->client stream gives it, but with:

* the client->server key and IV: the client's own direction, what a reflecting server
  or a key mix-up produces (default variant);
* the client->server key with the server->client IV, the server->client key with the
  client->server IV, the server's confirmation key Kcs with the server->client IV (slow
  variants): each a fallback key a lax opener might try.

Every record fails to open, so the client MUST close and deliver nothing [EKE-REC-4]; a
record key is never the other direction's nor a confirmation key [EKE-KS-4]. A client
that retries a record that does not open with another key it holds ("the peer mixed up
the directions") assembles the whole file. The one existing case of this kind seals one
DATA record with the client's key and runs only as a slow variant; here the whole
answer is sealed so, and the default run keeps one variant.

Judged: non-zero exit, nothing under the final name, no temporary file left, nothing
sent in clear (test_eke_client_transfer.py's judge).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import eke
from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import control, frame_bytes

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

_CHUNK = 1000

# variant: the (key, IV) every record of the answer is sealed with
_WRONG_KEYS: dict[str, Callable[[eke.SessionKeys], tuple[bytes, bytes]]] = {
    "client-key-and-iv": lambda k: (k.key_c2s, k.iv_c2s),
    "client-key-server-iv": lambda k: (k.key_c2s, k.iv_s2c),
    "server-key-client-iv": lambda k: (k.key_s2c, k.iv_c2s),
    "confirmation-key": lambda k: (k.kcs, k.iv_s2c),
}
_SLOW = {"client-key-server-iv", "server-key-client-iv", "confirmation-key"}


def _answer_sealed_with(variant: str) -> lies.Lie:
    pick = _WRONG_KEYS[variant]

    def lie(s: lies.LyingServer) -> None:
        content = lies.CONTENT
        digest = hashlib.sha256(content).hexdigest()
        inner = [
            frame_bytes("RSFL", control({"name": lies.NAME, "size": len(content)})),
            *(frame_bytes("DATA", content[o : o + _CHUNK]) for o in range(0, len(content), _CHUNK)),
            frame_bytes("DONE", control({"size": len(content), "sha256": digest})),
        ]
        key, iv = pick(s.channel.keys)
        # The sequence numbers the server->client stream would give them: 0, 1, 2, ...
        s.raw(b"".join(eke.seal_record(key, iv, seq, f) for seq, f in enumerate(inner)))
        s.await_reaction()

    return lie


@pytest.mark.req("EKE-REC-4", "EKE-KS-4")
@pytest.mark.parametrize(
    "variant",
    [pytest.param(v, marks=[pytest.mark.slow] if v in _SLOW else []) for v in _WRONG_KEYS],
)
def test_client_opens_no_record_sealed_with_another_key(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    variant: str,
    request: pytest.FixtureRequest,
) -> None:
    """The whole answer to the client's get (true sizes and digests) sealed with a key or
    IV other than the server->client pair: no record opens, so the client
    fails the get and keeps nothing [EKE-REC-4, EKE-KS-4]."""
    skip_slow_variant(request)
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _answer_sealed_with(variant))
    lies._judge_failed_get(
        case,
        f"EKE-REC-4: every record of the get's answer sealed with {variant}",
        server=server,
        own=("EKE-REC-4",),
    )
