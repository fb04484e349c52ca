"""The sft-pki/0 CA (POST /verify): enrolment, refusals, and the seed's flaws (LEG-CA-*)."""

from __future__ import annotations

import base64
import http.client
import json

import pytest

from reference.legacy import _crypto, net
from reference.legacy.errors import LegacyLocalError, LegacyRemoteError
from reference.legacy.pki0_ca import LegacyCA, parse_accounts, verify_request_body
from reference.legacy.tests.conftest import Org


@pytest.fixture
def ca(org: Org) -> LegacyCA:
    return LegacyCA(org.root_key, org.root, {"alice": "correct horse", "bob": "pw-b"})


def test_enrolment_issues_a_certificate_for_the_alias_and_key(org: Org, ca: LegacyCA) -> None:
    key = _crypto.generate_rsa_key()
    response = ca.handle_verify(
        verify_request_body(org.root, "alice", "correct horse", key.public_key())
    )
    assert (response.status, response.content_type, response.alias) == (200, "text/plain", "alice")
    cert = _crypto.load_certificate(response.body)
    assert _crypto.certificate_alias(cert) == "alice"
    assert _crypto.signed_by(cert, org.root)
    assert _crypto.public_key_pem(_crypto.certificate_public_key(cert)) == _crypto.public_key_pem(
        key.public_key()
    )


@pytest.mark.parametrize(("alias", "password"), [("alice", "wrong"), ("nobody", "correct horse")])
def test_wrong_password_and_unknown_alias_get_the_same_401(
    org: Org, ca: LegacyCA, alias: str, password: str
) -> None:
    body = verify_request_body(org.root, alias, password, org.alice.key.public_key())
    response = ca.handle_verify(body)
    assert (response.status, response.body) == (401, b"invalid alias or password\n")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"payload": 1, "public_key": "x"}',
        b'{"payload": "!!", "public_key": "x"}',
        b'{"payload": "AAAA", "public_key": "x"}',
    ],
)
def test_malformed_requests_get_400(ca: LegacyCA, body: bytes) -> None:
    response = ca.handle_verify(body)
    assert response.status == 400
    assert response.body.startswith(b"bad request: ")


def test_the_credentials_travel_under_the_root_key(org: Org) -> None:
    body = json.loads(
        verify_request_body(org.root, "alice", "correct horse", org.alice.key.public_key())
    )
    sealed = base64.b64decode(body["payload"])
    assert len(sealed) == 256
    assert b"correct horse" not in sealed
    assert json.loads(_crypto.oaep_decrypt(org.root_key, sealed)) == {
        "name": "alice",
        "password": "correct horse",
    }


def test_leg_ca_3_replayed_payload_binds_the_alias_to_an_attackers_key(
    org: Org, ca: LegacyCA
) -> None:
    honest = json.loads(
        verify_request_body(org.root, "alice", "correct horse", org.alice.key.public_key())
    )
    mallory = _crypto.generate_rsa_key()
    replay = {
        "payload": honest["payload"],
        "public_key": _crypto.public_key_pem(mallory.public_key()).decode(),
    }
    response = ca.handle_verify(json.dumps(replay).encode())
    assert response.status == 200
    cert = _crypto.load_certificate(response.body)
    assert _crypto.certificate_alias(cert) == "alice"
    assert _crypto.public_key_pem(_crypto.certificate_public_key(cert)) == _crypto.public_key_pem(
        mallory.public_key()
    )


def test_leg_ca_6_certificates_lack_the_v1_extensions(org: Org, ca: LegacyCA) -> None:
    body = verify_request_body(org.root, "bob", "pw-b", org.bob.key.public_key())
    cert = _crypto.load_certificate(ca.handle_verify(body).body)
    assert list(cert.extensions) == []
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days >= 365


def test_parse_accounts() -> None:
    assert parse_accounts("# comment\nalice:pw:with:colons\n\nbob:x\n") == {
        "alice": "pw:with:colons",
        "bob": "x",
    }
    with pytest.raises(LegacyLocalError, match="line 1"):
        parse_accounts("no-colon\n")


def test_http_adapter_round_trip_and_refusals(org: Org, ca: LegacyCA, serve: object) -> None:
    port = serve(net.make_pki0_ca_server(ca, log=lambda _line: None)).port  # type: ignore[operator]
    key = _crypto.generate_rsa_key()
    cert = net.enrol_pki0(f"http://127.0.0.1:{port}", org.root, "bob", "pw-b", key)
    assert _crypto.certificate_alias(cert) == "bob"
    with pytest.raises(LegacyRemoteError, match="401"):
        net.enrol_pki0(f"http://127.0.0.1:{port}", org.root, "bob", "nope", key)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/elsewhere", b"{}")
    assert conn.getresponse().status == 404
    conn.close()
    with pytest.raises(ValueError, match="http://"):
        net.enrol_pki0(f"https://127.0.0.1:{port}", org.root, "bob", "pw-b", key)
