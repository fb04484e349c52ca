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

Debug and test leftovers (lens 5), for which no case looked: an account nobody added.
conformance/test_no_sample_accounts.py (EKE-HS-2 and CA-ENR-6 now say a server's accounts
are those its administrator added) tries the published vectors' users and passwords and
a few usual defaults, skipping the accounts the target declares:

- lead24-eke-admin-account               the eke server keeps the `admin`/`admin` login it
                                         was tried out with
- lead24-eke-vector-table                the eke server answers names it does not hold from
                                         the vectors' table of the interop tests (only the
                                         names the store lacks: the two the embedded
                                         target does not declare)
- lead24-ca-test-account                 the CA accepts `test`/`test` (a smoke-test login)
- lead24-ca-alias-as-password            the CA's "bootstrap" mode: an alias it does not
                                         hold logs in with itself as the password
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
            "        raise _fail(exc, quotes) from None\n",
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


_ENROL_REFUSED = "        raise EnrollError(_error_text(status, headers, data, password))\n"


def _enrol_refusal_quotes_request() -> None:
    _patch_source(
        _module("reference.pki.enroll"),
        "enroll",
        (
            _ENROL_REFUSED,
            '        raise EnrollError(_error_text(status, headers, data, password) + " (sent "'
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
            '            _error_text(status, headers, data, password) + f" (Authorization: Basic'
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


_KEY_FOR = "        return bytes(row[0]) if row is not None else fake\n"


def _eke_admin_account() -> None:
    _patch_method(
        _module("reference.eke.store").PasswordStore,
        "key_for",
        (
            _KEY_FOR,
            '        if row is None and name == "admin":  # the login it was tried out with\n'
            '            return crypto.password_key(name, "admin")\n' + _KEY_FOR,
        ),
    )


def _eke_vector_table() -> None:
    import json
    from pathlib import Path

    vectors = Path(__file__).resolve().parents[1] / "vectors" / "eke_password_key.json"
    table = {
        v["user"]: v["pw"]
        for v in json.loads(vectors.read_text(encoding="utf-8"))["vectors"]
        if v.get("kind") == "scrypt" and v.get("valid")
    }
    _patch_method(
        _module("reference.eke.store").PasswordStore,
        "key_for",
        (
            _KEY_FOR,
            f"        if row is None and name in {table!r}:  # the interop tests' users\n"
            f"            return bytes.fromhex({table!r}[name])\n" + _KEY_FOR,
        ),
    )


_AUTH_OK = "        return ok and row is not None and row[1] is None\n"


def _ca_test_account() -> None:
    _patch_method(
        _module("reference.pki.ca").CertificateAuthority,
        "authenticate",
        (
            _AUTH_OK,
            '        if alias == "test" and password == "test":  # smoke-test login\n'
            "            return True\n" + _AUTH_OK,
        ),
    )


def _ca_alias_as_password() -> None:
    _patch_method(
        _module("reference.pki.ca").CertificateAuthority,
        "authenticate",
        (
            _AUTH_OK,
            "        if row is None and password == alias:  # bootstrap: first login\n"
            "            return True\n" + _AUTH_OK,
        ),
    )


def _m(
    name: str,
    profile: str,
    description: str,
    apply: object,
    *,
    client: bool = False,
    enroll: bool = False,
    ca: bool = False,
    test_file: str = _FILE,
    requirement: str = "PWF-2",
) -> Mutant:
    return Mutant(
        name=f"lead24-{name}",
        group=_GROUP,
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,  # type: ignore[arg-type]
        client=client,
        enroll=enroll,
        ca=ca,
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
    _m(
        "eke-admin-account",
        "eke",
        "the eke server keeps the admin/admin login it was tried out with",
        _eke_admin_account,
        requirement="EKE-HS-2",
        test_file="test_no_sample_accounts.py",
    ),
    _m(
        "eke-vector-table",
        "eke",
        "the eke server answers names its store lacks from the vectors' table of users",
        _eke_vector_table,
        requirement="EKE-HS-2",
        test_file="test_no_sample_accounts.py",
    ),
    _m(
        "ca-test-account",
        "pki",
        "the CA accepts test/test, a smoke-test login",
        _ca_test_account,
        ca=True,
        requirement="CA-ENR-6",
        test_file="test_no_sample_accounts.py",
    ),
    _m(
        "ca-alias-as-password",
        "pki",
        "the CA logs in an alias it does not hold with the alias itself as the password",
        _ca_alias_as_password,
        ca=True,
        requirement="CA-ENR-6",
        test_file="test_no_sample_accounts.py",
    ),
)
