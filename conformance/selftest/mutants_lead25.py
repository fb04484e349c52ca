"""Round 25 (lead): a C2 whose plaintext is not 32 bytes (SPEC EKE-HS-4, clarified).

test_eke_client_login_values.py's C2 cases first FAILed only a client whose EKE3 `c`
was not 160 hex characters (C3 sealing Na and all of C2's plaintext). EKE-HS-4 now says
a C2 whose plaintext is not exactly 32 bytes is a failed verification: a client that
takes Ns from part of it — its first 32 bytes, as a fixed-size copy in C or Go does —
sends an EKE3 of the right length and passed. The case FAILs any EKE3 for such a C2:

- lead25-client-ns-first-32   the client takes C2's first 32 plaintext bytes as Ns (a
                              longer C2 accepted), refusing only a shorter one

A body past its announced length (CA-ENR-5): the reference CA, on http.server, quoted in
its 400 the request line it could not parse and logged that line — a body its client sent
after a head announcing `Content-Length: 0` (the password its last word) went into both
(found by B180, round 25; fixed). test_ca_misframed_body_not_quoted.py judges it:

- lead25-ca-unparsed-line-quoted   the 400 for a line that does not parse carries
                                   http.server's own message (which quotes it)
- lead25-ca-unparsed-line-logged   the access log writes such a line as it came

What the enrolment client passes on (PWF-2, "whatever the other side answers"): `sft
enroll` printed a refused enrolment's `error` and `message` as the CA sent them, so a CA
or proxy that echoes the login made the client print its password (B179, round 25;
fixed: a message or code holding 6 characters of the password is not shown).
test_client_output_secrets.py's CA now also answers with the login quoted:

- lead25-enrol-echo-shown          the enrolment client shows the CA's message and code
                                   whatever they hold
"""

from __future__ import annotations

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]


def _ns_first_32() -> None:
    handshake = _module("reference.eke.handshake")
    schema = dict(handshake._SCHEMAS[handshake.T_EKE2])
    schema["c"] = ("str", True)  # C2's length is left to the AEAD
    handshake._SCHEMAS[handshake.T_EKE2] = schema
    _patch_method(
        handshake.ClientHandshake,
        "_on_eke2",
        (
            "        if len(ns) != crypto.NONCE_LEN:\n",
            "        ns = ns[: crypto.NONCE_LEN]  # a fixed-size copy\n"
            "        if len(ns) != crypto.NONCE_LEN:\n",
        ),
    )


def _ca_handler() -> object:
    return _module("reference.pki.ca_server")._Handler


def _unparsed_line_quoted() -> None:
    _patch_source(
        _ca_handler(),
        "send_error",
        (
            '{"error": name, "message": status.phrase}',
            '{"error": name, "message": message or status.phrase}',
        ),
    )


def _unparsed_line_logged() -> None:
    _patch_source(
        _ca_handler(),
        "log_request",
        ("if getattr(self, \"command\", None) is None:", "if False:"),
    )


def _echo_shown() -> None:
    _patch_source(
        _module("reference.pki.enroll"),
        "_error_text",
        (
            "    if quotes_password(message, password):  # never shown",
            "    if False:  # never shown",
        ),
    )


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        name="lead25-client-ns-first-32",
        group="lead25",
        profile="eke",
        requirement="EKE-HS-4",
        test_file="test_eke_client_login_values.py",
        description="the client takes the first 32 bytes of C2's plaintext as Ns: a C2 "
        "sealing 33, 48 or 64 bytes is answered with an EKE3 of the right length",
        apply=_ns_first_32,
        client=True,
    ),
    Mutant(
        name="lead25-ca-unparsed-line-quoted",
        group="lead25",
        profile="pki",
        requirement="CA-ENR-5",
        test_file="test_ca_misframed_body_not_quoted.py",
        description="the CA's 400 for a request line it cannot parse quotes it, as "
        "http.server's message does: a body sent past a head announcing less, its password "
        "the last word, comes back in the answer",
        apply=_unparsed_line_quoted,
        ca=True,
    ),
    Mutant(
        name="lead25-ca-unparsed-line-logged",
        group="lead25",
        profile="pki",
        requirement="CA-ENR-5",
        test_file="test_ca_misframed_body_not_quoted.py",
        description="the CA logs a request line it cannot parse as it came: a body sent past "
        "a head announcing less goes into the log, password and all",
        apply=_unparsed_line_logged,
        ca=True,
    ),
    Mutant(
        name="lead25-enrol-echo-shown",
        group="lead25",
        profile="pki",
        requirement="PWF-2",
        test_file="test_client_output_secrets.py",
        description="the enrolment client prints a refused enrolment's error code and message "
        "as the CA sent them: a CA that echoes the login makes it print the password",
        apply=_echo_shown,
        client=True,
        enroll=True,
    ),
)
