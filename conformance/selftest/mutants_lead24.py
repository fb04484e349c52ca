"""Round 24 (lead): what a client prints (SPEC PWF-2, new).

The seeds' first flaw, the password in clear, had cases for the wire (EKE-PW-3, CA-ENR-1),
a server's log (EKE-THR-3, CA-ENR-5) and a refused password file (PWF-1), but none for
what a client writes to its own output on a normal run: a client could print its
password or a "key id" on every refusal and pass the whole suite.
conformance/test_client_output_secrets.py runs the declared eke client and enrolment
client against the suite's servers, once per way a session ends, and searches what they
printed:

- lead24-eke-client-password-on-failure  `sft eke get` reports a failed transfer with the
                                         user and the password it used ("check them")
- lead24-eke-client-key-id               the client prints a "session" id after its login:
                                         the first 4 bytes of its c2s record key in hex
- lead24-eke-client-pw-fingerprint       the client prints a fingerprint of its password
                                         key at start ("which password file was read"):
                                         the first 8 hex digits of SHA-256(pw)
- lead24-enrol-refusal-quotes-request    a refused enrolment's error quotes the request it
                                         sent, its JSON body (password escaped) included
- lead24-enrol-masked-password           a successful enrolment is reported with the
                                         password "masked": its first 8 characters shown
- lead24-enrol-refusal-basic-credentials a refused enrolment's error shows the
                                         credentials as an HTTP Basic value,
                                         base64("alias:password"), for support tickets
"""

from __future__ import annotations

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]

_GROUP = "lead24"
_FILE = "test_client_output_secrets.py"


def _eke_client_password_on_failure() -> None:
    cli = _module("reference.cli.eke")
    _patch_source(cli, "_client", ("    del password\n", "    args.shown_password = password\n"))
    _patch_source(
        cli,
        "_get",
        (
            "        raise _fail(exc) from None\n",
            "        raise CommandError(\n"
            '            f"{exc} (user {args.user!r}, password {args.shown_password!r})", 1\n'
            "        ) from None\n",
        ),
    )


def _eke_client_key_id() -> None:
    _patch_method(
        _module("reference.eke.client").EkeClient,
        "_connect_once",
        (
            "        sock.settimeout(cfg.idle_timeout)\n",
            "        sock.settimeout(cfg.idle_timeout)\n"
            '        print(f"sft: session {established.keys.key_c2s[:4].hex()}",'
            ' file=__import__("sys").stderr)\n',
        ),
    )


def _eke_client_pw_fingerprint() -> None:
    _patch_source(
        _module("reference.cli.eke"),
        "_client",
        (
            "    del password\n",
            "    del password\n"
            '    print("sft: password key " + __import__("hashlib").sha256(pw).hexdigest()[:8],'
            " file=sys.stderr)\n",
        ),
    )


_ENROL_REFUSED = "        raise EnrollError(_error_text(status, headers, data))\n"


def _enrol_refusal_quotes_request() -> None:
    _patch_source(
        _module("reference.pki.enroll"),
        "enroll",
        (
            _ENROL_REFUSED,
            '        raise EnrollError(_error_text(status, headers, data) + " (sent "'
            ' + json.dumps(body) + ")")\n',
        ),
    )


def _enrol_refusal_basic_credentials() -> None:
    _patch_source(
        _module("reference.pki.enroll"),
        "enroll",
        (
            _ENROL_REFUSED,
            "        basic = __import__('base64').b64encode(f'{alias}:{password}'.encode())\n"
            "        raise EnrollError(\n"
            '            _error_text(status, headers, data) + f" (Authorization: Basic'
            ' {basic.decode()})"\n'
            "        )\n",
        ),
    )


def _enrol_masked_password() -> None:
    _patch_source(
        _module("reference.cli.ca"),
        "_enroll",
        (
            '    print(f"enrolled {args.alias}: key and certificate in {identity.directory}")\n',
            '    print(f"enrolled {args.alias} (password {password[:8]}...): key and '
            'certificate in {identity.directory}")\n',
        ),
    )


def _m(
    name: str, profile: str, description: str, apply: object, *, client: bool, enroll: bool = False
) -> Mutant:
    return Mutant(
        name=f"lead24-{name}",
        group=_GROUP,
        profile=profile,
        requirement="PWF-2",
        test_file=_FILE,
        description=description,
        apply=apply,  # type: ignore[arg-type]
        client=client,
        enroll=enroll,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "eke-client-password-on-failure",
        "eke",
        "`sft eke get` reports a failed transfer with the user and the password it used",
        _eke_client_password_on_failure,
        client=True,
    ),
    _m(
        "eke-client-key-id",
        "eke",
        "the eke client prints a session id after its login: the first 4 bytes of its c2s "
        "record key in hex",
        _eke_client_key_id,
        client=True,
    ),
    _m(
        "eke-client-pw-fingerprint",
        "eke",
        "the eke client prints a fingerprint of its password key at start: the first 8 hex "
        "digits of SHA-256(pw)",
        _eke_client_pw_fingerprint,
        client=True,
    ),
    _m(
        "enrol-refusal-quotes-request",
        "pki",
        "a refused enrolment's error quotes the JSON body it sent, password included",
        _enrol_refusal_quotes_request,
        client=True,
        enroll=True,
    ),
    _m(
        "enrol-refusal-basic-credentials",
        "pki",
        "a refused enrolment's error shows base64('alias:password') as an HTTP Basic value",
        _enrol_refusal_basic_credentials,
        client=True,
        enroll=True,
    ),
    _m(
        "enrol-masked-password",
        "pki",
        "a successful enrolment is reported with the password's first 8 characters",
        _enrol_masked_password,
        client=True,
        enroll=True,
    ),
)
