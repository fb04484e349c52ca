"""`busy` with a retry_after longer than the client will wait: give up, never retry early.

EKE-THR-7: a client MUST NOT retry before retry_after; the reference's clients wait it
out (jittered 1–1.5 x) only up to a cap (eke 30 s, enrolment 10 s) and give up past it.
The old code slept min(cap, retry_after) and then retried — before retry_after.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reference.eke import client as eke_client
from reference.pki import enroll as enroll_mod
from reference.pki.ca import CertificateAuthority


def test_eke_client_gives_up_on_a_retry_after_beyond_its_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    attempts: list[int] = []
    monkeypatch.setattr(eke_client.time, "sleep", slept.append)

    def busy(self: object) -> object:
        attempts.append(1)
        raise eke_client.ServerBusy(100)

    monkeypatch.setattr(eke_client.EkeClient, "_connect_once", busy)
    config = eke_client.ClientConfig(host="127.0.0.1", port=1, user="alice")
    with pytest.raises(eke_client.ServerBusy):
        eke_client.EkeClient(config, b"\0" * 32).connect()
    assert attempts == [1] and slept == [], "retried before retry_after (100 s)"


def test_eke_client_waits_out_a_retry_after_within_its_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(eke_client.time, "sleep", slept.append)

    def busy(self: object) -> object:
        raise eke_client.ServerBusy(3)

    monkeypatch.setattr(eke_client.EkeClient, "_connect_once", busy)
    config = eke_client.ClientConfig(host="127.0.0.1", port=1, user="alice", busy_retries=2)
    with pytest.raises(eke_client.ServerBusy):
        eke_client.EkeClient(config, b"\0" * 32).connect()
    assert len(slept) == 2 and all(3.0 <= s <= 4.5 for s in slept), slept


def test_enrolment_gives_up_on_a_retry_after_beyond_its_cap(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    slept: list[float] = []
    calls: list[str] = []
    monkeypatch.setattr(enroll_mod.time, "sleep", slept.append)

    def request(self: object, method: str, path: str, body: object = None) -> object:
        calls.append(path)
        return 503, {"retry-after": "60"}, b'{"error": "busy"}'

    monkeypatch.setattr(enroll_mod.CaClient, "request", request)
    monkeypatch.setattr(enroll_mod.CaClient, "__init__", lambda self, *a, **k: None)
    with pytest.raises(enroll_mod.EnrollError, match="busy"):
        root = CertificateAuthority.init(tmp_path / "ca").root_pem()
        enroll_mod.enroll("https://127.0.0.1:1", root, "alice", "pw", tmp_path / "id")
    assert calls == ["/v1/enroll"] and slept == [], "retried before Retry-After (60 s)"
