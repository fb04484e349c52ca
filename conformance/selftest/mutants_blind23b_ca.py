"""Blind red-team round 23, second pass (helper B152): the CA (HTTP enrolment API, the
certificates it issues), through the six lenses of /work/briefs/s23/common.md.

Phase 1 (blind): written from docs/SPEC.md (§4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py, reference/cli/ca.py) before any case file, conformance
module or independent implementation was opened. Checked against the names and
descriptions of the registered CA mutants (the first pass's b23ca-* included); these
repeated a registered idea and were replaced by the ones marked (r): the user looked up
with SQL LIKE (blind-ca-alias-like), the client address from X-Forwarded-For / X-Real-IP
(b9ca-forwarded-for-trusted, b12ca-real-ip-trusted), a form-encoded body fallback
(b11ca-form-body-fallback). All run in the CA's server process (`ca=True`); the admin
commands (`user add`, `revoke`) run unmutated in their own processes.

Lens 1 — the seeds' flaws in disguise (the password in clear):
- b23bca-challenge-password-login (r): SCEP's habit: the CSR's challengePassword attribute
  (what `openssl req` prompts for) is a second enrolment secret, verified when the JSON
  password fails: the password travels inside the CSR, which CAs log and archive, and a
  login with a wrong JSON password is certified (CA-ENR-4: the CSR's attributes are
  ignored).
Lens 2 — only the common case of a MUST:
- b23bca-renewal-extends-validity: an alias that holds an unexpired certificate is
  "renewing": its new certificate's notAfter is the old one's plus the configured period
  (no time lost by renewing early): a second enrolment gets ~60 days (CA-ENR-10).
Lens 3 — cross-session replay:
- b23bca-session-cookie: a 200 sets a renewal cookie (Set-Cookie: sft_session=...); a
  later login of the same alias carrying it is not asked its password: a wrong password
  with the captured cookie is certified (CA-ENR-6: every request is a login of its own).
Lens 4 — silent degradation:
- b23bca-enrolled-alias-unthrottled: aliases that hold a live certificate are spared the
  per-alias count ("never lock an employee out of renewing"): guesses at an enrolled
  alias are throttled per address only, so from several addresses they are never throttled
  (CA-ENR-7).
Lens 5 — the SPEC's numbers:
- b23bca-validity-calendar-month: the configured 30 days read as one calendar month (Go's
  AddDate(0, 1, 0)): issued in a month of 31 days, a certificate is valid 31 days (in
  December, January, March, ...; a month of 30 days hides it) (CA-ENR-10). NOT JUDGED:
  the embedded CA runs with a 7-day validity; kept out of the registry (NOT_JUDGED).

Blind run (phase 2): renewal-extends-validity caught by test_ca_validity_per_key_type.py;
challenge-password-login (then under CA-ENR-4), session-cookie and enrolled-alias-unthrottled
missed by their named files; challenge and cookie missed by every file citing the
requirement. Phase 3 (each new file 3x PASS on the reference, PASS on ca1 and ca3):
- test_ca_no_second_secret.py (CA-ENR-6): challenge-password-login, session-cookie, and
  the post-blind siblings b23bca-challenge-password-if-empty (an empty JSON password read
  from the CSR) and b23bca-bearer-token (a renewal_token in the 200 honoured as Bearer).
- test_ca_enrolled_alias_throttled.py (CA-ENR-7): enrolled-alias-unthrottled and the
  post-blind b23bca-enrolled-alias-half-counted (every second failure of an enrolled alias
  counted).
"""

from __future__ import annotations

import calendar
import datetime as dt
import secrets
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


def _ca() -> Any:
    return _module("reference.pki.ca")


def _srv() -> Any:
    return _module("reference.pki.ca_server")


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(owner, attr, *edits)


def _patch_enroll_handler(*edits: tuple[str, str]) -> None:
    _patch(_srv()._Handler, "_enroll", *edits)


def _live_certificates(ca: Any, alias: str) -> list[dt.datetime]:
    """notAfter of the alias's unrevoked, unexpired certificates (the CA's own store)."""
    now = dt.datetime.now(dt.UTC)
    with ca._lock:
        rows = ca._db.execute(
            "SELECT not_after FROM certificates WHERE alias = ? AND revoked_at IS NULL",
            (alias,),
        ).fetchall()
    ends = [dt.datetime.fromisoformat(row[0]) for row in rows]
    return [end for end in ends if end > now]


# --- lens 1 -----------------------------------------------------------------------------


def _challenge_password_login() -> None:
    srv = _srv()
    x509 = _module("cryptography.x509")

    def challenge_login(ca: Any, alias: str, csr_text: str) -> bool:
        try:
            csr = x509.load_pem_x509_csr(csr_text.encode("utf-8"))
            value = csr.attributes.get_attribute_for_oid(
                x509.oid.AttributeOID.CHALLENGE_PASSWORD
            ).value
        except Exception:
            return False
        secret = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        return bool(secret) and bool(ca.authenticate(alias, secret))

    srv._b23b_challenge_login = challenge_login
    _patch_enroll_handler(
        (
            "    right = self.server.ca.authenticate(alias, password)\n",
            "    right = self.server.ca.authenticate(alias, password) or "
            "_b23b_challenge_login(self.server.ca, alias, csr)\n",
        )
    )


# --- lens 2 -----------------------------------------------------------------------------


def _renewal_extends_validity() -> None:
    ca = _ca()

    def remaining(authority: Any, alias: str) -> dt.timedelta:
        ends = _live_certificates(authority, alias)
        if not ends:
            return dt.timedelta(0)
        return max(ends) - dt.datetime.now(dt.UTC)

    ca._b23b_remaining = remaining
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "public_key, validity=validity, now=now",
            "public_key, validity=validity + _b23b_remaining(self, alias), now=now",
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _session_cookie() -> None:
    srv = _srv()
    sessions: dict[str, str] = {}

    def session_alias(handler: Any) -> str | None:
        for field in handler.headers.get_all("Cookie") or []:
            for part in field.split(";"):
                name, _, value = part.strip().partition("=")
                if name == "sft_session" and value in sessions:
                    return sessions[value]
        return None

    def new_session(alias: str) -> dict[str, str]:
        token = secrets.token_urlsafe(24)
        sessions[token] = alias
        return {"Set-Cookie": f"sft_session={token}; Secure; HttpOnly; Path=/v1"}

    srv._b23b_session_alias = session_alias
    srv._b23b_new_session = new_session
    _patch_enroll_handler(
        (
            "    right = self.server.ca.authenticate(alias, password)\n",
            "    right = _b23b_session_alias(self) == alias or "
            "self.server.ca.authenticate(alias, password)\n",
        ),
        (
            '{"certificate": cert.public_bytes(serialization.Encoding.PEM).decode()}\n',
            '{"certificate": cert.public_bytes(serialization.Encoding.PEM).decode()},\n'
            "        headers=_b23b_new_session(alias),\n",
        ),
    )


def _bearer_token() -> None:
    srv = _srv()
    tokens: dict[str, str] = {}

    def token_alias(handler: Any) -> str | None:
        field = handler.headers.get("Authorization") or ""
        scheme, _, value = field.partition(" ")
        return tokens.get(value.strip()) if scheme.lower() == "bearer" else None

    def answer(cert_pem: str, alias: str) -> dict[str, str]:
        token = secrets.token_urlsafe(24)
        tokens[token] = alias
        return {"certificate": cert_pem, "renewal_token": token}

    srv._b23b_token_alias = token_alias
    srv._b23b_answer = answer
    _patch_enroll_handler(
        (
            "    right = self.server.ca.authenticate(alias, password)\n",
            "    right = _b23b_token_alias(self) == alias or "
            "self.server.ca.authenticate(alias, password)\n",
        ),
        (
            '{"certificate": cert.public_bytes(serialization.Encoding.PEM).decode()}',
            "_b23b_answer(cert.public_bytes(serialization.Encoding.PEM).decode(), alias)",
        ),
    )


def _challenge_password_if_empty() -> None:
    srv = _srv()
    x509 = _module("cryptography.x509")

    def challenge(csr_text: str) -> str:
        try:
            csr = x509.load_pem_x509_csr(csr_text.encode("utf-8"))
            value = csr.attributes.get_attribute_for_oid(
                x509.oid.AttributeOID.CHALLENGE_PASSWORD
            ).value
        except Exception:
            return ""
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)

    srv._b23b_challenge = challenge
    _patch_enroll_handler(
        (
            "    throttle = self.server.throttle\n",
            "    password = password or _b23b_challenge(csr)\n"
            "    throttle = self.server.throttle\n",
        )
    )


# --- lens 4 -----------------------------------------------------------------------------


def _enrolled_alias_unthrottled() -> None:
    srv = _srv()

    def alias_key(ca: Any, alias: str) -> str:
        if _live_certificates(ca, alias):
            # An employee renewing: never locked out; the address still counts.
            return f"renewal:{alias[:64]}:{secrets.token_hex(8)}"
        return f"alias:{alias[:64]}"

    srv._b23b_alias_key = alias_key
    _patch_enroll_handler(
        (
            '    keys = (f"alias:{alias[:64]}", f"addr:{self.client_address[0]}")\n',
            "    keys = (_b23b_alias_key(self.server.ca, alias),"
            ' f"addr:{self.client_address[0]}")\n',
        )
    )


def _enrolled_alias_half_counted() -> None:
    srv = _srv()
    seen: dict[str, int] = {}

    def alias_key(ca: Any, alias: str) -> str:
        if _live_certificates(ca, alias):
            # A known-good employee: every second failure counts (typos happen).
            seen[alias] = seen.get(alias, 0) + 1
            if seen[alias] % 2:
                return f"typo:{alias[:64]}:{secrets.token_hex(8)}"
        return f"alias:{alias[:64]}"

    srv._b23b_alias_key = alias_key
    _patch_enroll_handler(
        (
            '    keys = (f"alias:{alias[:64]}", f"addr:{self.client_address[0]}")\n',
            "    keys = (_b23b_alias_key(self.server.ca, alias),"
            ' f"addr:{self.client_address[0]}")\n',
        )
    )


# --- lens 5 -----------------------------------------------------------------------------


def _validity_calendar_month() -> None:
    srv = _srv()

    def validity(days: int) -> dt.timedelta:
        if days % 30:
            return dt.timedelta(days=days)
        now = dt.datetime.now(dt.UTC)
        year, month0 = divmod(now.month - 1 + days // 30, 12)
        year += now.year
        day = min(now.day, calendar.monthrange(year, month0 + 1)[1])
        return now.replace(year=year, month=month0 + 1, day=day) - now

    srv._b23b_validity = validity
    _patch_enroll_handler(
        (
            "validity=dt.timedelta(days=self.server.config.validity_days),",
            "validity=_b23b_validity(self.server.config.validity_days),",
        )
    )


def _m(name: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        f"b23bca-{name}", "blind23b-ca", "pki", req, test_file, description, apply, ca=True
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "challenge-password-login",
        "CA-ENR-6",
        "test_ca_no_second_secret.py",
        "L1: SCEP's habit: the CSR's challengePassword is a second enrolment secret, verified "
        "when the JSON password fails: a wrong password with the right one in the CSR is "
        "certified (the password travels in the CSR, which CAs log and archive)",
        _challenge_password_login,
    ),
    _m(
        "challenge-password-if-empty",
        "CA-ENR-6",
        "test_ca_no_second_secret.py",
        "(post-blind) L1: an empty JSON password is taken from the CSR's challengePassword "
        "(openssl req's prompt): the password read from the CSR, a login with none certified",
        _challenge_password_if_empty,
    ),
    _m(
        "renewal-extends-validity",
        "CA-ENR-10",
        "test_ca_validity_per_key_type.py",
        "L2: an alias holding an unexpired certificate is renewing: the new notAfter is the "
        "old one's plus the configured period, a second enrolment valid twice as long",
        _renewal_extends_validity,
    ),
    _m(
        "session-cookie",
        "CA-ENR-6",
        "test_ca_no_second_secret.py",
        "L3: a 200 sets a renewal cookie (sft_session); a later login of that alias carrying "
        "it is not asked its password: a wrong password with the captured cookie is certified",
        _session_cookie,
    ),
    _m(
        "bearer-token",
        "CA-ENR-6",
        "test_ca_no_second_secret.py",
        "(post-blind) L3: the 200's JSON carries a renewal_token beside the certificate; "
        "Authorization: Bearer with it logs that alias in whatever password it sends",
        _bearer_token,
    ),
    _m(
        "enrolled-alias-unthrottled",
        "CA-ENR-7",
        "test_ca_enrolled_alias_throttled.py",
        "L4: an alias holding a live certificate is spared the per-alias count (never lock "
        "an employee out of renewing): guesses at it are throttled per address only",
        _enrolled_alias_unthrottled,
    ),
    _m(
        "enrolled-alias-half-counted",
        "CA-ENR-7",
        "test_ca_enrolled_alias_throttled.py",
        "(post-blind) L4: an alias holding a live certificate has every second failure "
        "counted (typos of a known-good employee forgiven): twice the threshold of guesses",
        _enrolled_alias_half_counted,
    ),
)

# Not judged against the embedded reference: the embedded CA runs with a 7-day validity
# (conformance/embedded.py, so that a CA ignoring its configuration shows), and the
# calendar-month reading only changes multiples of 30 days. Kept here, out of the registry.
NOT_JUDGED: tuple[Mutant, ...] = (
    _m(
        "validity-calendar-month",
        "CA-ENR-10",
        "test_ca_validity_per_key_type.py",
        "L5: the configured 30 days read as one calendar month (AddDate(0, 1, 0)): issued in "
        "a month of 31 days (December, January, ...) a certificate is valid 31 days",
        _validity_calendar_month,
    ),
)
