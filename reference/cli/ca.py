"""`sft ca init|user add|user list|revoke|serve` and `sft enroll` (docs/SPEC.md §4.4).

Passwords come only from standard input (`--password-stdin`), a password file
(`--password-file`, docs/SPEC.md PWF-1) or a no-echo prompt, never from the command
line [CA-ENR-5 context: argv is visible to every user]. The CA's signing key is
encrypted at rest under a passphrase read the same ways, from a file that must lie
outside the CA's directory [CA-ENR-22]; `--unencrypted-key` is for throwaway test CAs.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from reference.cli import CommandError
from reference.cli.logs import configure_logging
from reference.digits import decimal_at_most

if TYPE_CHECKING:  # the real imports are lazy: `sft --help` must not load cryptography
    from reference.pki.ca import CertificateAuthority

__all__ = [
    "inherited_listener",
    "parse_listen",
    "read_password",
    "register",
    "restart_on",
    "stop_on_sigterm",
]


def parse_listen(text: str) -> tuple[str, int]:
    """HOST:PORT (IPv6 as [::1]:PORT); port 0 picks a free port."""
    host, sep, port = text.rpartition(":")
    number = decimal_at_most(port, 65535)
    if not sep or number is None or not host:
        raise CommandError(f"--listen wants HOST:PORT, not {text!r}", 2)
    return host.strip("[]"), number


def read_password(args: argparse.Namespace, *, confirm: bool = False) -> str:
    if args.password_stdin:
        from reference.cli.options import read_password_stdin

        password = read_password_stdin()
    elif getattr(args, "password_file", None) is not None:
        from reference.cli.options import read_password_file

        password = read_password_file(Path(args.password_file))
    elif sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if confirm and getpass.getpass("password again: ") != password:
            raise CommandError("the passwords differ", 2)
    else:
        raise CommandError(
            "no terminal to ask for the password: use --password-stdin or --password-file", 2
        )
    if not password:
        raise CommandError("the password is empty", 2)
    return password


def stop_on_sigterm() -> None:
    """SIGTERM ends a server like Ctrl-C does (cleanly, exit code 0)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _open_ca(directory: str) -> CertificateAuthority:
    from reference.pki.ca import CaError, CertificateAuthority

    try:
        return CertificateAuthority(Path(directory))
    except CaError as exc:
        raise CommandError(str(exc), 2) from None


def _read_passphrase(args: argparse.Namespace, directory: Path, *, confirm: bool) -> bytes:
    """The CA key's passphrase [CA-ENR-22]: from a file outside the CA's directory (a
    service's credential; re-read by a SIGHUP restart) or a no-echo prompt."""
    if args.passphrase_file is not None:
        from reference.cli.options import read_password_file

        path = Path(args.passphrase_file)
        if path.resolve().is_relative_to(directory.resolve()):
            raise CommandError(
                f"the passphrase file {path} is inside the CA directory: keep it elsewhere "
                "(a copy of the directory must not hold both the key and its passphrase)",
                2,
            )
        passphrase = read_password_file(path)
    elif sys.stdin.isatty():
        passphrase = getpass.getpass("CA key passphrase: ")
        if confirm and getpass.getpass("passphrase again: ") != passphrase:
            raise CommandError("the passphrases differ", 2)
    else:
        raise CommandError(
            "no terminal to ask for the CA key's passphrase: use --passphrase-file FILE", 2
        )
    if not passphrase:
        raise CommandError("the passphrase is empty", 2)
    return passphrase.encode("utf-8")


def _init(args: argparse.Namespace) -> int:
    from reference.pki.ca import CaError, CertificateAuthority

    directory = Path(args.dir)
    passphrase = None if args.unencrypted_key else _read_passphrase(args, directory, confirm=True)
    try:
        ca = CertificateAuthority.init(
            directory,
            org=args.org,
            hostnames=args.hostname or ["localhost", "127.0.0.1"],
            passphrase=passphrase,
        )
    except CaError as exc:
        raise CommandError(str(exc), 2) from None
    print(f"CA created in {ca.directory}; root certificate: {ca.directory / ca.ROOT_CERT}")
    if passphrase is None:
        print(
            f"warning: the CA's signing key {ca.directory / ca.ROOT_KEY} is NOT encrypted "
            "(--unencrypted-key): use this CA for tests only",
            file=sys.stderr,
        )
    ca.close()
    return 0


def _user_add(args: argparse.Namespace) -> int:
    from reference.pki.ca import CaError, check_alias

    try:
        check_alias(args.alias)
    except CaError as exc:
        raise CommandError(str(exc), 2) from None
    ca = _open_ca(args.dir)
    password = read_password(args, confirm=True)
    try:
        ca.add_user(args.alias, password)
    except CaError as exc:
        raise CommandError(str(exc), 1) from None
    finally:
        ca.close()
    print(f"user {args.alias} added")
    return 0


def _user_list(args: argparse.Namespace) -> int:
    ca = _open_ca(args.dir)
    try:
        for user in ca.list_users():
            state = "revoked" if user.revoked else "active"
            print(
                f"{user.alias}\t{state}\tcertificates={user.certificates}\tcreated={user.created}"
            )
    finally:
        ca.close()
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from reference.pki.ca import CaError

    ca = _open_ca(args.dir)
    try:
        count = ca.revoke(args.alias)
    except CaError as exc:
        raise CommandError(str(exc), 1) from None
    finally:
        ca.close()
    print(f"{args.alias}: {count} certificate(s) revoked; peers see it at their next CRL refresh")
    return 0


def _user_unlock(args: argparse.Namespace) -> int:
    from reference.pki.ca_server import LoginThrottle, login_locks_path

    directory = Path(args.dir)
    if not (directory / "ca.db").is_file():
        raise CommandError(f"{directory} is not a CA directory (no ca.db)", 2)
    throttle = LoginThrottle(locks=login_locks_path(directory))
    found = throttle.unlock(args.alias)
    print(f"{args.alias}: {'unlocked' if found else 'was not locked'}", file=sys.stderr)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from reference.pki.ca import CaError
    from reference.pki.ca_server import CaServer, CaServerConfig

    host, port = parse_listen(args.listen)
    try:
        config = CaServerConfig(
            host=host,
            port=port,
            validity_days=args.validity_days,
            max_connections=args.max_connections,
            handshake_timeout=args.handshake_timeout,
            idle_timeout=args.idle_timeout,
            throttle_after=args.throttle_after,
            throttle_base=args.throttle_base,
            throttle_cap=args.throttle_cap,
            lock_after=args.lock_after,
            throttle_table_size=args.throttle_table_size,
        )
    except ValueError as exc:
        raise CommandError(str(exc), 2) from None
    ca = _open_ca(args.dir)
    try:  # the signing key is unlocked before listening: a wrong passphrase fails now
        ca.unlock(_read_passphrase(args, ca.directory, confirm=False) if ca.key_encrypted else None)
    except (CaError, CommandError) as exc:
        ca.close()
        raise CommandError(str(exc), 2) from None
    try:
        server = CaServer(ca, config, inherited_listener(_CA_LISTEN_FD_VARIABLE))
    except OSError as exc:
        raise CommandError(f"cannot listen on {args.listen}: {exc.strerror}", 2) from None
    configure_logging()  # one timestamped line per event (reference/cli/logs.py)
    logging.getLogger("sft.ca").info(config.describe())
    bound_host, bound_port = server.address
    # The handlers first, then the readiness line inside the try: a supervisor's
    # SIGTERM right after "listening on" ends the CA cleanly, never by default action.
    stop_on_sigterm()
    signal.signal(signal.SIGHUP, _raise_restart)
    kept: socket.socket | None = None
    try:
        print(f"listening on {bound_host}:{bound_port}", flush=True)
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    except _Restart:
        logging.getLogger("sft.ca").info("restarting (SIGHUP)")
        kept = server.detach_socket()
    finally:
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        server.server_close()
        ca.close()
    if kept is not None:
        restart_on(kept, _CA_LISTEN_FD_VARIABLE)
    return 0


class _Restart(Exception):
    pass


def _raise_restart(_signum: int, _frame: FrameType | None) -> None:
    raise _Restart()


# SIGHUP restarts `serve` [CA-ENR-20]: a new process image whose state comes only from
# disk (the CA's database, its login locks and counts), on the same listening socket.
_CA_LISTEN_FD_VARIABLE = "SFT_CA_LISTEN_FD"


def inherited_listener(variable: str) -> socket.socket | None:
    """The listening socket a restart passed down in `variable` (read once, at start)."""
    fd = os.environ.pop(variable, None)
    number = None if fd is None else decimal_at_most(fd, 2**31 - 1)
    if number is None:
        return None
    listener = socket.socket(fileno=number)
    os.set_inheritable(listener.fileno(), False)
    return listener


def restart_on(listener: socket.socket, variable: str) -> None:
    """Re-execute this very command line (a mutant launcher included) with `listener`."""
    os.set_inheritable(listener.fileno(), True)
    os.environ[variable] = str(listener.fileno())
    sys.stdout.flush()
    sys.stderr.flush()
    # Our own interpreter and the arguments we were started with: nothing injected.
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])  # noqa: S606


def _enroll(args: argparse.Namespace) -> int:
    from reference.pki.ca import CaError
    from reference.pki.enroll import EnrollError, enroll

    try:
        root_pem = Path(args.root).read_bytes()
    except OSError as exc:
        raise CommandError(
            f"cannot read the root certificate {args.root}: {exc.strerror}", 2
        ) from None
    password = read_password(args)
    try:
        identity = enroll(
            args.ca, root_pem, args.alias, password, Path(args.out), key_type=args.key_type
        )
    except (EnrollError, CaError) as exc:
        raise CommandError(str(exc), 1) from None
    print(f"enrolled {args.alias}: key and certificate in {identity.directory}")
    return 0


def _password_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin's first line"
    )
    source.add_argument(
        "--password-file", metavar="FILE", help="read the password from this file (PWF-1)"
    )


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ca = subparsers.add_parser("ca", help="the organisation CA of sft-pki/1")
    sub = ca.add_subparsers(dest="ca_command", metavar="COMMAND", required=True)

    init = sub.add_parser("init", help="create the root and the CA's TLS certificate")
    init.add_argument("--dir", required=True, help="CA directory (created, mode 0700)")
    init.add_argument("--org", default="Example Org", help="organisation name in the root")
    init.add_argument(
        "--hostname",
        action="append",
        help="host name or address of the CA (repeatable; default localhost, 127.0.0.1)",
    )
    key = init.add_mutually_exclusive_group()
    key.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help="encrypt the CA's signing key under the passphrase in FILE (one line, kept "
        "outside the CA directory; default: ask on the terminal)",
    )
    key.add_argument(
        "--unencrypted-key",
        action="store_true",
        help="store the signing key in clear: a throwaway test CA only",
    )
    init.set_defaults(func=_init)

    user = sub.add_parser("user", help="manage enrolment accounts")
    user_sub = user.add_subparsers(dest="user_command", metavar="COMMAND", required=True)
    add = user_sub.add_parser("add", help="add a user (password from stdin or a prompt)")
    add.add_argument("alias", help="the employee's alias (what peers see in certificates)")
    add.add_argument("--dir", required=True, help="the CA directory")
    _password_options(add)
    add.set_defaults(func=_user_add)
    lst = user_sub.add_parser("list", help="list users")
    lst.add_argument("--dir", required=True, help="the CA directory")
    lst.set_defaults(func=_user_list)
    unlock = user_sub.add_parser("unlock", help="unlock an alias locked by too many failed logins")
    unlock.add_argument("alias", help="the alias to unlock")
    unlock.add_argument("--dir", required=True, help="the CA directory")
    unlock.set_defaults(func=_user_unlock)

    revoke = sub.add_parser("revoke", help="revoke every certificate of an alias")
    revoke.add_argument("alias", help="the alias whose certificates are revoked")
    revoke.add_argument("--dir", required=True, help="the CA directory")
    revoke.set_defaults(func=_revoke)

    serve = sub.add_parser("serve", help="serve enrolment, root and CRL over HTTPS")
    serve.add_argument("--dir", required=True, help="the CA directory")
    serve.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help="the signing key's passphrase (default: ask on the terminal); re-read on SIGHUP",
    )
    serve.add_argument(
        "--listen", default="127.0.0.1:8443", help="HOST:PORT (port 0: any free port)"
    )
    serve.add_argument(
        "--validity-days",
        type=int,
        default=30,
        help="lifetime of the certificates it issues (default %(default)s)",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        default=64,
        help="connections served at once (default %(default)s)",
    )
    serve.add_argument(
        "--handshake-timeout",
        type=float,
        default=10.0,
        help="seconds for the TLS handshake (default %(default)s)",
    )
    serve.add_argument(
        "--idle-timeout",
        type=float,
        default=30.0,
        help="seconds without a byte before the connection is closed (default %(default)s)",
    )
    serve.add_argument("--throttle-after", type=int, default=5, help="failures before backoff")
    serve.add_argument("--throttle-base", type=float, default=1.0, help="first backoff, seconds")
    serve.add_argument("--throttle-cap", type=float, default=300.0, help="longest backoff, seconds")
    serve.add_argument(
        "--lock-after",
        type=int,
        default=100,
        help="consecutive failures that lock an alias until `user unlock` (default %(default)s)",
    )
    serve.add_argument(
        "--throttle-table-size",
        type=int,
        default=100_000,
        metavar="E",
        help="entries of each failure table, aliases and addresses apart; only entries whose "
        "backoff has run out are evicted, hard locks never and uncounted (default %(default)s)",
    )
    serve.set_defaults(func=_serve)

    enrol = subparsers.add_parser("enroll", help="get a certificate from the organisation CA")
    enrol.add_argument("--ca", required=True, help="https://HOST:PORT of the CA")
    enrol.add_argument("--root", required=True, help="the organisation root certificate (PEM)")
    enrol.add_argument("--alias", required=True, help="your alias, as the CA knows it")
    _password_options(enrol)
    enrol.add_argument("--out", required=True, help="identity directory to write")
    enrol.add_argument(
        "--key-type",
        choices=("ec", "rsa"),
        default="ec",
        help="the key made locally (default %(default)s)",
    )
    enrol.set_defaults(func=_enroll)
