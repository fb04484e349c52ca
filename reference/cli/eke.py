"""`sft eke ...`: the sft-eke/1 password store, server and client (docs/SPEC.md §5).

    sft eke user add NAME --store FILE [--password-stdin | --password-file F]
    sft eke user del NAME --store FILE
    sft eke user list --store FILE
    sft eke user unlock NAME --store FILE
    sft eke serve --store FILE --listen HOST:PORT --share DIR --inbox DIR [limits...]
    sft eke get HOST:PORT NAME --user U [--password-stdin] [-o PATH] [--force]
    sft eke put HOST:PORT FILE --user U [--password-stdin] [--as NAME] [-q]

Passwords come from stdin, a file or a no-echo prompt, never from the command line.
`serve` prints the effective limits on stderr, then exactly one readiness line
``listening on HOST:PORT`` on stdout. Exit codes: 0 done, 1 refused or failed
(authentication, integrity, a refused name), 2 usage or environment (unreachable
server, unreadable store), 130 interrupted.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from reference.cli import CommandError

# The same progress bar as the PKI client (a tty only, and only after one second).
from reference.cli.ca import inherited_listener, restart_on, stop_on_sigterm
from reference.cli.logs import configure_logging
from reference.cli.options import (
    check_output_directory,
    deprecated_alias,
    parse_size,
    read_password_file,
    read_password_stdin,
    wire_name,
)
from reference.cli.pki import ProgressBar
from reference.digits import decimal_at_most
from reference.eke import crypto
from reference.eke.client import (
    ClientConfig,
    ClientError,
    EkeClient,
    LoginFailed,
    ServerImpostor,
    Throttled,
    TransferRefused,
    Unreachable,
)
from reference.eke.server import EkeServer, ServerConfig
from reference.eke.store import PasswordStore, StoreError
from reference.eke.throttle import Throttle, ThrottleConfig, throttle_path_for
from reference.frames import DEFAULT_MAX_PAYLOAD
from reference.redact import password_quoter
from reference.transfer import remove_stale_partials

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = subparsers.add_parser(
        "eke",
        help="sft-eke/1: password-authenticated transfers (server, client, password store)",
        description="sft-eke/1: EKE2 password-authenticated key exchange and AES-256-GCM "
        "records. The password never leaves the client.",
    )
    group.set_defaults(func=lambda _args: _usage(group))
    sub = group.add_subparsers(dest="eke_command", metavar="EKE_COMMAND")

    user = sub.add_parser("user", help="manage the server's password store")
    user.set_defaults(func=lambda _args: _usage(user))
    users = user.add_subparsers(dest="user_command", metavar="USER_COMMAND")
    add = users.add_parser("add", help="add a user (asks for the password)")
    add.add_argument("name", help="the user name (what clients give with --user)")
    _store_option(add)
    _password_options(add)
    add.set_defaults(func=_user_add)
    delete = users.add_parser("del", help="delete a user")
    delete.add_argument("name", help="the user name")
    _store_option(delete)
    delete.set_defaults(func=_user_del)
    listing = users.add_parser("list", help="list users, last logins and failures")
    _store_option(listing)
    listing.set_defaults(func=_user_list)
    unlock = users.add_parser(
        "unlock", help="clear a user's failed logins (after the hard lock) [EKE-THR-11]"
    )
    unlock.add_argument("name", help="the user name")
    _store_option(unlock)
    unlock.add_argument(
        "--throttle-db",
        type=Path,
        metavar="FILE",
        help="the failure counts (default: STORE.throttle)",
    )
    unlock.set_defaults(func=_user_unlock)

    serve = sub.add_parser("serve", help="run the sft-eke/1 server")
    _store_option(serve)
    serve.add_argument("--listen", required=True, metavar="HOST:PORT", help="port 0: any free")
    serve.add_argument("--share", type=Path, required=True, help="directory served to gets")
    serve.add_argument("--inbox", type=Path, required=True, help="directory receiving puts")
    d = ServerConfig()
    t = ThrottleConfig()
    serve.add_argument(
        "--handshake-timeout",
        type=float,
        default=d.handshake_timeout,
        help="seconds to complete the login (default %(default)s)",
    )
    serve.add_argument(
        "--idle-timeout",
        type=float,
        default=d.idle_timeout,
        help="seconds without a byte before the connection is closed (default %(default)s)",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        default=d.max_connections,
        help="connections served at once; more wait or are refused (default %(default)s)",
    )
    serve.add_argument(
        "--max-pending-per-address",
        type=int,
        default=d.max_pending_per_address,
        help="connections still in their handshake from one address (default %(default)s)",
    )
    serve.add_argument(
        "--max-file-size",
        type=parse_size,
        default=d.max_file_size,
        metavar="BYTES",
        help="largest put accepted, bytes, K/M/G suffixes allowed (default %(default)s)",
    )
    serve.add_argument(
        "--max-frame",
        dest="frame_limit",
        type=int,
        default=d.frame_limit,
        metavar="BYTES",
        help="largest frame payload accepted, bytes (default %(default)s)",
    )
    deprecated_alias(
        serve, "--frame-limit", dest="frame_limit", replacement="--max-frame", type=int
    )
    serve.add_argument(
        "--throttle-after",
        type=int,
        default=t.failures,
        metavar="N",
        help="failed logins per user or address before backoff (default %(default)s)",
    )
    serve.add_argument(
        "--throttle-base",
        type=float,
        default=t.base,
        metavar="SECONDS",
        help="first backoff, doubled per further failure (default %(default)s)",
    )
    serve.add_argument(
        "--throttle-cap",
        type=float,
        default=t.cap,
        metavar="SECONDS",
        help="longest backoff (default %(default)s)",
    )
    serve.add_argument(
        "--max-pending-logins-per-user",
        type=int,
        default=t.pending_per_user,
        metavar="P",
        help="logins of one user between EKE2 and EKE3; more are told busy (default %(default)s)",
    )
    serve.add_argument(
        "--max-pending-logins-per-address",
        type=int,
        default=t.pending_per_address,
        metavar="Q",
        help="logins from one address between EKE2 and EKE3 (default %(default)s)",
    )
    serve.add_argument(
        "--lock-after",
        type=int,
        default=t.lock_after,
        metavar="L",
        help="consecutive failures that lock a user until `user unlock` (default %(default)s)",
    )
    serve.add_argument(
        "--throttle-table-size",
        type=int,
        default=t.max_entries,
        metavar="E",
        help="entries of each failure table, user names and addresses apart; only entries "
        "whose lock has run out are evicted (default %(default)s)",
    )
    serve.add_argument(
        "--throttle-db",
        type=Path,
        metavar="FILE",
        help="where failure counts survive restarts (default: STORE.throttle; "
        "':memory:' keeps them in memory only)",
    )
    serve.add_argument(
        "--secret",
        type=Path,
        metavar="FILE",
        help="server_secret for unknown users' fake keys (64 hex digits; default: the store's)",
    )
    serve.set_defaults(func=_serve)

    get = sub.add_parser("get", help="fetch a file from a server")
    get.add_argument("server", metavar="HOST:PORT", help="the server's address")
    get.add_argument("name", help="file name in the server's share")
    get.add_argument(
        "-o", "--output", type=Path, help="where to save (default: the name's basename)"
    )
    get.add_argument("--force", action="store_true", help="replace an existing output file")
    _client_options(get)
    get.set_defaults(func=_get)

    put = sub.add_parser("put", help="send a file to a server's inbox")
    put.add_argument("server", metavar="HOST:PORT", help="the server's address")
    put.add_argument("file", type=Path, help="the file to send")
    put.add_argument(
        "--as",
        dest="remote_name",
        metavar="NAME",
        help="name to store it under (default: basename)",
    )
    deprecated_alias(put, "--name", dest="remote_name", replacement="--as")
    _client_options(put)
    put.set_defaults(func=_put)


# A temporary nobody has written to for this long belongs to no live transfer: every
# responder's idle timeout (LIM-2, default 60 s) would have ended it [APP-STORE-3].
_STALE = 600.0


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", type=Path, required=True, help="the SQLite password store")


def _password_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin's first line"
    )
    source.add_argument("--password-file", type=Path, help="read the password from this file")


def _client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", required=True, help="the user name to log in as")
    _password_options(parser)
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress, no summary")
    parser.add_argument("--verbose", "-v", action="store_true", help="print the limits")
    d = ClientConfig("", 0, "")
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=d.connect_timeout,
        help="seconds to open the TCP connection (default %(default)s)",
    )
    parser.add_argument(
        "--handshake-timeout",
        type=float,
        default=d.handshake_timeout,
        help="seconds to complete the login (default %(default)s)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=d.idle_timeout,
        help="seconds without a byte before the connection is closed (default %(default)s)",
    )
    deprecated_alias(
        parser,
        "--timeout",
        dest="connect_timeout",
        also=("handshake_timeout",),
        replacement="--connect-timeout and --handshake-timeout",
        type=float,
    )
    parser.add_argument(
        "--max-frame",
        dest="frame_limit",
        type=int,
        default=DEFAULT_MAX_PAYLOAD,
        metavar="BYTES",
        help="largest frame payload accepted, bytes (default %(default)s)",
    )
    deprecated_alias(
        parser, "--frame-limit", dest="frame_limit", replacement="--max-frame", type=int
    )
    parser.add_argument(
        "--busy-retries",
        type=int,
        default=d.busy_retries,
        metavar="N",
        help="times a `busy` server is tried again, after its retry_after (default %(default)s)",
    )


# -- passwords ----------------------------------------------------------------------------


# One reader for every command that takes --password-file [PWF-1].
_read_password_file = read_password_file


def _read_password(args: argparse.Namespace, *, confirm: bool = False) -> str:
    if args.password_stdin:
        password = read_password_stdin()
    elif args.password_file is not None:
        password = _read_password_file(args.password_file)
    elif sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if confirm and getpass.getpass("password again: ") != password:
            raise CommandError("the passwords differ", 2)
    else:
        raise CommandError("give the password with --password-stdin or --password-file", 2)
    if not password:
        raise CommandError("the password is empty", 2)
    return password


def _check_user(name: str) -> None:
    try:
        crypto.check_user_name(name)
    except ValueError as exc:
        raise CommandError(f"invalid user name: {exc}", 2) from None


# -- user management ------------------------------------------------------------------------


def _open_store(path: Path, *, create: bool = False) -> PasswordStore:
    try:
        return PasswordStore(path, create=create)
    except StoreError as exc:
        raise CommandError(str(exc), 2) from None


def _user_add(args: argparse.Namespace) -> int:
    _check_user(args.name)
    password = _read_password(args, confirm=True)
    pw = crypto.password_key(args.name, password)
    with _open_store(args.store, create=True) as store:
        try:
            store.add_user(args.name, pw)
        except StoreError as exc:
            raise CommandError(str(exc), 1) from None
    print(f"added user {args.name!r} to {args.store}", file=sys.stderr)
    return 0


def _user_del(args: argparse.Namespace) -> int:
    with _open_store(args.store) as store:
        try:
            store.delete_user(args.name)
        except StoreError as exc:
            raise CommandError(str(exc), 1) from None
    print(f"deleted user {args.name!r}", file=sys.stderr)
    return 0


def _user_unlock(args: argparse.Namespace) -> int:
    path = args.throttle_db or throttle_path_for(args.store)
    with _open_store(args.store):
        pass  # the store must exist: a typo in --store should not pass silently
    try:
        throttle = Throttle(path=path)
        try:
            had = throttle.unlock(args.name)
        finally:
            throttle.close()
    except sqlite3.Error as exc:
        raise CommandError(f"cannot open {path}: {exc}", 1) from None
    state = "unlocked" if had else "had no failed logins; nothing to unlock for"
    print(f"{state} user {args.name!r}", file=sys.stderr)
    return 0


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user_list(args: argparse.Namespace) -> int:
    with _open_store(args.store) as store:
        records = store.users()
    try:
        print(f"{'user':<24} {'created':<20} {'last login':<20} {'failures':>8} {'total':>6}")
        for r in records:
            print(
                f"{r.name:<24} {_when(r.created):<20} {_when(r.last_login):<20} "
                f"{r.failures:>8} {r.total_failures:>6}"
            )
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`| head -1`): it has what it wanted. Quietly, exit 0;
        # stdout goes to /dev/null so that the flush at exit does not fail again.
        _silence_stdout()
    return 0


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


# -- serve --------------------------------------------------------------------------------


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    number = decimal_at_most(port, 65535)
    if not sep or not host or number is None:
        raise CommandError(f"expected HOST:PORT, got {text!r}", 2)
    return host.strip("[]"), number


def _read_secret(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read the secret file: {exc.strerror}", 2) from None
    text = raw.strip()
    try:
        if len(text) == 64:
            return bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        pass
    if len(raw) == 32:
        return raw
    raise CommandError("the secret file must hold 64 hex digits (32 bytes)", 2)


class _Stop(Exception):
    pass


def _raise_stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop()


class _Restart(Exception):
    pass


def _raise_restart(_signum: int, _frame: FrameType | None) -> None:
    raise _Restart()


# SIGHUP restarts `serve` [EKE-THR-8]: a new process image whose state comes only from
# disk (the store, the throttle database), on the same listening socket, passed down in
# this variable (set only by the restart itself, read once at start).
_LISTEN_FD_VARIABLE = "SFT_EKE_LISTEN_FD"


def _serve(args: argparse.Namespace) -> int:
    host, port = _host_port(args.listen)
    for directory in (args.share, args.inbox):
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory", 2)
    try:
        config = ServerConfig(
            host=host,
            port=port,
            share=args.share,
            inbox=args.inbox,
            handshake_timeout=args.handshake_timeout,
            idle_timeout=args.idle_timeout,
            max_connections=args.max_connections,
            max_pending_per_address=args.max_pending_per_address,
            max_file_size=args.max_file_size,
            frame_limit=args.frame_limit,
            throttle=ThrottleConfig(
                failures=args.throttle_after,
                base=args.throttle_base,
                cap=args.throttle_cap,
                pending_per_user=args.max_pending_logins_per_user,
                pending_per_address=args.max_pending_logins_per_address,
                lock_after=args.lock_after,
                max_entries=args.throttle_table_size,
            ),
            throttle_db=(
                None
                if str(args.throttle_db) == ":memory:"
                else args.throttle_db or throttle_path_for(args.store)
            ),
        )
    except ValueError as exc:
        raise CommandError(f"invalid option: {exc}", 2) from None
    configure_logging()
    store = _open_store(args.store)
    if args.secret is not None:
        store.use_server_secret(_read_secret(args.secret))
    server = EkeServer(config, store)
    try:
        bound_host, bound_port = server.listen(inherited_listener(_LISTEN_FD_VARIABLE))
    except OSError as exc:
        raise CommandError(f"cannot listen on {args.listen}: {exc.strerror}", 2) from None
    logging.getLogger("sft.eke.serve").info(config.describe())
    # The handlers first, then the readiness line inside the try: a supervisor's
    # SIGTERM right after "listening on" stops the server cleanly, never by default action.
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGHUP, _raise_restart)
    kept: socket.socket | None = None
    try:
        print(f"listening on {bound_host}:{bound_port}", flush=True)
        server.serve_forever()
    except _Stop:
        logging.getLogger("sft.eke.serve").info("shutting down")
    except _Restart:
        logging.getLogger("sft.eke.serve").info("restarting (SIGHUP)")
        kept = server.detach_listener()
    finally:
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        server.shutdown()
        server.throttle.close()
        store.close()
    if kept is not None:
        restart_on(kept, _LISTEN_FD_VARIABLE)
    return 0


# -- client -------------------------------------------------------------------------------


def _client(args: argparse.Namespace) -> tuple[EkeClient, Callable[[str], bool]]:
    """The client, and the test of a text for a run of 6 of the password's characters: a
    message the server sends is shown only without the password [PWF-2]."""
    _check_user(args.user)
    host, port = _host_port(args.server)
    password = _read_password(args)
    pw = crypto.password_key(args.user, password)
    quotes = password_quoter(password)
    del password
    try:
        config = ClientConfig(
            host,
            port,
            args.user,
            connect_timeout=args.connect_timeout,
            handshake_timeout=args.handshake_timeout,
            idle_timeout=args.idle_timeout,
            frame_limit=args.frame_limit,
            busy_retries=args.busy_retries,
        )
    except ValueError as exc:
        raise CommandError(f"invalid option: {exc}", 2) from None
    if args.verbose:
        print(
            f"sft: connect timeout {config.connect_timeout:g} s, handshake timeout "
            f"{config.handshake_timeout:g} s, idle timeout {config.idle_timeout:g} s, "
            f"max frame {config.frame_limit} bytes",
            file=sys.stderr,
        )
    return EkeClient(config, pw), quotes


def _fail(exc: ClientError, quotes: Callable[[str], bool]) -> CommandError:
    text = str(exc)
    if quotes(text):  # a server's message that quotes the password is never shown [PWF-2]
        name = exc.code.wire_name if exc.code is not None else "error"
        text = f"{name}: (the server's message is not shown: it quotes the password)"
    if isinstance(exc, LoginFailed | ServerImpostor | Throttled | TransferRefused):
        return CommandError(text, 1)
    if isinstance(exc, Unreachable):
        return CommandError(text, 2)
    return CommandError(text, 1)


def _get(args: argparse.Namespace) -> int:
    wire_name(args.name)
    output: Path = args.output or Path(args.name.rsplit("/", 1)[-1] or "download")
    if output.is_dir():
        output = output / args.name.rsplit("/", 1)[-1]
    check_output_directory(output)
    client, quotes = _client(args)
    # [APP-STORE-3]: SIGTERM unwinds like Ctrl-C (the temporary file is removed, exit
    # 130), and temporaries a killed run left here long ago are swept.
    stop_on_sigterm()
    remove_stale_partials(output.parent if str(output.parent) else Path("."), older_than=_STALE)
    bar = ProgressBar(f"get {args.name[:40]}", enabled=not args.quiet)
    try:
        with client.connect():
            done = client.get(args.name, output, overwrite=args.force, progress=bar)
    except ClientError as exc:
        bar.finish()
        raise _fail(exc, quotes) from None
    bar.finish()
    if not args.quiet:
        print(f"saved {output} ({done.size} bytes, sha256 {done.sha256})", file=sys.stderr)
    return 0


def _put(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise CommandError(f"{args.file} is not a readable file", 2)
    wire_name(
        args.remote_name or args.file.name, hint="" if args.remote_name else "; give --as NAME"
    )
    client, quotes = _client(args)
    stop_on_sigterm()
    bar = ProgressBar(f"put {args.file.name[:40]}", enabled=not args.quiet)
    try:
        with client.connect():
            stored = client.put(args.file, name=args.remote_name, progress=bar)
    except ClientError as exc:
        bar.finish()
        raise _fail(exc, quotes) from None
    bar.finish()
    if not args.quiet:
        print(f"sent {args.file}: stored as {stored!r}", file=sys.stderr)
    return 0
