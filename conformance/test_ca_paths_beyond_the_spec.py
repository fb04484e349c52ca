"""What an HTTP scanner tries first against the CA: old routes, files, admin pages, TRACE
(docs/SPEC.md §4.4, CA-ENR-9; §7.2 for the legacy route).

CA-ENR-9: unknown paths are answered `404`, wrong methods `405` (a method the CA
implements on no path MAY be `501`), every error as a JSON object `{"error", "message"}`.
The CA serves three routes (`POST /v1/enroll`, `GET /v1/root`, `GET /v1/crl`); every other
path is unknown to it. test_ca.py probes near misses of those routes (a suffix, a case, a
version); this file probes what a scanner (nikto, a directory brute-forcer) and a migrating
implementer leave reachable:

- the sft-pki/0 route `POST /verify` (§7.2), kept "for old clients" and pointed at the
  modern enrolment — a second door to the login, whatever throttle the first one has;
- the CA's own files under the API's prefix or the root ("root.pem for mirrors"):
  private keys, the account store (scrypt hashes), the throttle's table;
- an administration or debug page left routed (`/v1/users` listing the accounts CA-ENR-6
  hides, `/debug`, `/.git/config`);
- `TRACE` on the CA's routes, which echoes the request head (cookies, authorisation) when
  a framework implements it: `405` or `501` here.

Each answer MUST be the JSON error of CA-ENR-9 with the status above; the evidence says
when a 2xx body looked like a secret (a private key, an SQLite file, a password hash).
"""

from __future__ import annotations

import http.client
import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-paths-beyond-the-spec"),
]

# The files a CA directory holds (the reference's names, then common ones), asked for under
# the API's prefix and at the root.
_FILES = (
    "root.pem",
    "root.key",
    "ca-tls.pem",
    "ca-tls.key",
    "ca.db",
    "login-locks.sqlite",
    "ca.key",
    "ca.pem",
    "ca.crt",
    "key.pem",
    "users.db",
    "passwords",
    "crl.der",
    "crl.pem",
)
_PAGES = (
    "/",
    "/v1",
    "/v1/",
    "/v1/users",
    "/v1/accounts",
    "/v1/certificates",
    "/v1/debug",
    "/admin",
    "/debug",
    "/server-status",
    "/.git/config",
    "/.env",
)
_SECRETS = (b"PRIVATE KEY", b"SQLite format 3", b"scrypt$", b"$argon2")


def _probe(target: Target, method: str, path: str, body: bytes | None = None) -> ca.CaAnswer:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    try:
        return ca.request(
            target, method, path, body, source=ca.sources(target).fresh(), headers=headers
        )
    except (OSError, http.client.HTTPException) as exc:
        raise ConformanceFailure(
            f"CA-ENR-9: {method} {path} got no answer ({type(exc).__name__}: {exc})"
        ) from exc


def _fault(answer: ca.CaAnswer, want: tuple[int, ...]) -> str | None:
    """What is wrong with `answer` as a CA-ENR-9 error of a status in `want` (None: right)."""
    if answer.status not in want:
        leaked = [s.decode() for s in _SECRETS if s in answer.body]
        return f"{answer.status} {answer.body[:120]!r}" + (
            f" (the body holds {', '.join(leaked)})" if leaked else ""
        )
    try:
        obj = json.loads(answer.body)
    except ValueError:
        return f"{answer.status} with a body that is not JSON: {answer.body[:120]!r}"
    if not (
        isinstance(obj, dict)
        and isinstance(obj.get("error"), str)
        and isinstance(obj.get("message"), str)
    ):
        return f"{answer.status} whose body is not {{error, message}}: {answer.body[:120]!r}"
    return None


@pytest.mark.req("CA-ENR-9")
def test_the_legacy_route_is_an_unknown_path(pki_target: Target) -> None:
    """sft-pki/0's `POST /verify`, with a modern body (an unknown alias, a wrong password)
    and with the legacy one (§7.2), and `GET /verify`: `404` each."""
    ca.ca_address(pki_target)
    alias = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    modern = ca.enrol_body(alias, f"legacy-{secrets.token_hex(4)}", csr)
    public_key = ca.CsrKey.ec("P-256").key.public_key().export_key(format="PEM")
    legacy = json.dumps({"payload": "A" * 344, "public_key": public_key}).encode()
    bad = []
    for what, method, body in (
        ("POST /verify with a modern enrolment body", "POST", modern),
        ("POST /verify with an sft-pki/0 body", "POST", legacy),
        ("GET /verify", "GET", None),
    ):
        fault = _fault(_probe(pki_target, method, "/verify", body), (404,))
        if fault:
            bad.append(f"{what}: {fault}")
    if bad:
        raise ConformanceFailure.evidence(
            "CA-ENR-9: the sft-pki/0 route /verify asked of the sft-pki/1 CA",
            "404 with a JSON error: the CA serves /v1/enroll, /v1/root and /v1/crl only",
            "; ".join(bad),
            note="a 401 means the legacy route is a second door to the login",
        )


@pytest.mark.req("CA-ENR-9")
def test_files_and_admin_pages_are_unknown_paths(pki_target: Target) -> None:
    """Each CA file name under /v1/ and at the root, and the usual admin and debug
    pages: `404` with a JSON error each."""
    ca.ca_address(pki_target)
    paths = [f"/v1/{name}" for name in _FILES] + [f"/{name}" for name in _FILES]
    paths += list(_PAGES)
    bad = []
    for path in paths:
        fault = _fault(_probe(pki_target, "GET", path), (404,))
        if fault:
            bad.append(f"GET {path}: {fault}")
    if bad:
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: GET of {len(paths)} paths no SPEC route names (the CA's files, "
            "admin and debug pages)",
            "404 with a JSON error for each",
            "; ".join(bad[:8]) + (f" (and {len(bad) - 8} more)" if len(bad) > 8 else ""),
        )


@pytest.mark.req("CA-ENR-9")
def test_trace_is_a_wrong_method(pki_target: Target) -> None:
    """TRACE on each route, with a marker header: `405` or `501` with a JSON error, never
    the request head echoed."""
    ca.ca_address(pki_target)
    marker = f"trace-{secrets.token_hex(6)}"
    bad = []
    for path in ("/v1/root", "/v1/crl", "/v1/enroll"):
        try:
            answer = ca.request(
                pki_target,
                "TRACE",
                path,
                source=ca.sources(pki_target).fresh(),
                headers={"X-Sft-Marker": marker},
            )
        except (OSError, http.client.HTTPException) as exc:
            raise ConformanceFailure(
                f"CA-ENR-9: TRACE {path} got no answer ({type(exc).__name__}: {exc})"
            ) from exc
        fault = _fault(answer, (405, 501))
        if marker.encode() in answer.body:
            fault = (fault or f"{answer.status}") + " (the request head echoed)"
        if fault:
            bad.append(f"TRACE {path}: {fault}")
    if bad:
        raise ConformanceFailure.evidence(
            "CA-ENR-9: TRACE on the CA's three routes",
            "405 (or 501: a method the CA implements nowhere) with a JSON error",
            "; ".join(bad),
        )
