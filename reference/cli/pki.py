"""`sft peer serve`, `sft get`, `sft put` (docs/SPEC.md §3, §4).

Exit codes: 0 done, 1 refused or failed (certificate, authorisation, integrity),
2 usage or environment (bad arguments, peer unreachable, no CRL).
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from reference.cli import CommandError
from reference.cli.ca import inherited_listener, parse_listen, restart_on, stop_on_sigterm
from reference.cli.logs import configure_logging
from reference.cli.options import check_output_directory, deprecated_alias, parse_size, wire_name

if TYPE_CHECKING:  # the real imports are lazy: `sft --help` must not load TLS and crypto
    from reference.pki.client import ClientConfig, PkiSession

__all__ = ["ProgressBar", "register"]


class ProgressBar:
    """A one-line progress bar on stderr, only on a terminal and after one second."""

    WIDTH = 30

    def __init__(self, label: str, stream: TextIO = sys.stderr, *, enabled: bool = True) -> None:
        self.label = label
        self.stream = stream
        self.enabled = enabled and stream.isatty()
        self.start = time.monotonic()
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < 1.0 or (now - self._last < 0.1 and done < total):
            return
        self._last = now
        fraction = done / total if total else 1.0
        filled = int(fraction * self.WIDTH)
        rate = done / max(now - self.start, 1e-9) / 1e6
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{' ' * (self.WIDTH - filled)}] "
            f"{fraction * 100:5.1f}% {rate:8.1f} MB/s"
        )
        self.stream.flush()
        self._drawn = True

    def finish(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


# A size with an optional K/M/G/T suffix (powers of 1024), as every command reads it.
_size = parse_size


def _serve(args: argparse.Namespace) -> int:
    from reference.pki.enroll import EnrollError
    from reference.pki.peer import PeerConfig, PeerServer, crl_from_ca, crl_from_file
    from reference.pki.tls import CertificateRefused, Identity

    host, port = parse_listen(args.listen)
    configure_logging()  # before the peer starts: its sweep of the inbox logs
    identity = Identity(Path(args.id))
    try:
        identity.check()
        config = PeerConfig(
            host=host,
            port=port,
            handshake_timeout=args.handshake_timeout,
            idle_timeout=args.idle_timeout,
            max_file_size=args.max_file_size,
            max_connections=args.max_connections,
            max_pending_per_address=args.max_pending_per_address,
            max_frame_payload=args.max_frame,
            crl_refresh=args.crl_refresh,
            allow=tuple(args.allow or ()),
        )
    except (ValueError, FileNotFoundError) as exc:
        raise CommandError(str(exc), 2) from None
    root_pem = identity.root.read_bytes()
    if args.crl:
        source = crl_from_file(Path(args.crl), root_pem)
    else:
        url = args.ca or identity.ca_url()
        if url is None:
            raise CommandError("give --ca URL or --crl FILE: the peer needs a CRL", 2)
        source = crl_from_ca(url, root_pem)
    try:
        server = PeerServer(
            identity,
            config,
            source,
            Path(args.share) if args.share else None,
            Path(args.inbox) if args.inbox else None,
            listener=inherited_listener(_LISTEN_FD_VARIABLE),
        )
    except (EnrollError, CertificateRefused, ValueError) as exc:
        raise CommandError(f"no usable CRL or identity, refusing to start: {exc}", 2) from None
    except OSError as exc:
        raise CommandError(f"cannot start the peer: {exc.strerror or exc}", 2) from None
    logging.getLogger("sft.pki.peer").info(f"{server.alias}: {config.describe()}")
    bound_host, bound_port = server.address
    stop_on_sigterm()  # before the readiness line: a SIGTERM right after it ends cleanly
    kept: list[socket.socket] = []

    def restart(_signum: int, _frame: FrameType | None) -> None:
        kept.append(server.detach_listener())
        raise _Restart

    signal.signal(signal.SIGHUP, restart)
    try:
        print(f"listening on {bound_host}:{bound_port}", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    except _Restart:
        logging.getLogger("sft.pki.peer").info("restarting (SIGHUP)")
    finally:
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        server.close()
    if kept:
        restart_on(kept[0], _LISTEN_FD_VARIABLE)
    return 0


class _Restart(Exception):
    """SIGHUP: re-execute `peer serve` on the same listening socket."""


# SIGHUP restarts `peer serve`: a new process image (the identity, the CRL and the inbox's
# leftovers read again from disk) on the same listening socket, passed down in this
# variable (set only by the restart itself, read once at start).
_LISTEN_FD_VARIABLE = "SFT_PKI_LISTEN_FD"


def _client_config(args: argparse.Namespace) -> ClientConfig:
    from reference.pki.client import ClientConfig

    try:
        return ClientConfig(
            connect_timeout=args.connect_timeout,
            handshake_timeout=args.handshake_timeout,
            idle_timeout=args.idle_timeout,
            max_file_size=args.max_file_size,
            max_frame_payload=args.max_frame,
            crl_max_age=args.crl_max_age,
            busy_retries=args.busy_retries,
        )
    except ValueError as exc:
        raise CommandError(str(exc), 2) from None


def _session(args: argparse.Namespace) -> PkiSession:
    import ssl

    from reference.pki.client import PkiSession, load_crl
    from reference.pki.tls import Identity

    identity = Identity(Path(args.id))
    config = _client_config(args)
    if args.verbose:
        print(f"sft: {config.describe()}", file=sys.stderr)
    # Environment errors are one line and exit 2, never a traceback: a missing
    # identity directory, an unreadable file, a corrupt or mismatched key/certificate.
    try:
        identity.check()
        crl = load_crl(identity, config, Path(args.crl) if args.crl else None)
        return PkiSession(identity, args.target, config, crl=crl)
    except ssl.SSLError as exc:
        reason = exc.reason or exc.strerror or str(exc)
        raise CommandError(
            f"the identity in {args.id} is unusable (corrupt or mismatched key and "
            f"certificate: {reason})",
            2,
        ) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise CommandError(f"{where}{exc.strerror or exc}", 2) from None
    except ValueError as exc:  # a file that parses as no certificate or key
        raise CommandError(f"the identity in {args.id} is unusable: {exc}", 2) from None


# A temporary nobody has written to for this long belongs to no live transfer: the
# responder's idle timeout (LIM-2) would have ended it [APP-STORE-3].
_STALE = 600.0


def _get(args: argparse.Namespace) -> int:
    from reference.pki.client import PkiClientError
    from reference.transfer import remove_stale_partials

    wire_name(args.name)
    destination = Path(args.output) if args.output else Path(args.name.rsplit("/", 1)[-1])
    if destination.is_dir():
        destination = destination / args.name.rsplit("/", 1)[-1]
    check_output_directory(destination)
    # [APP-STORE-3]: SIGTERM unwinds like Ctrl-C (the temporary file is removed, exit
    # 130), and temporaries a killed run left here long ago are swept.
    stop_on_sigterm()
    remove_stale_partials(
        destination.parent if str(destination.parent) else Path("."),
        older_than=max(_STALE, args.idle_timeout),
    )
    bar = ProgressBar(f"get {args.name}", enabled=not args.quiet)
    try:
        with _session(args) as session:
            size = session.get(args.name, destination, overwrite=args.force, progress=bar)
    except PkiClientError as exc:
        bar.finish()
        raise CommandError(str(exc), exc.exit_code) from None
    bar.finish()
    if not args.quiet:
        print(f"saved {destination} ({size} bytes)", file=sys.stderr)
    return 0


def _put(args: argparse.Namespace) -> int:
    from reference.pki.client import PkiClientError

    source = Path(args.file)
    if not source.is_file():
        raise CommandError(f"{source} is not a regular file", 2)
    wire_name(args.remote_name or source.name, hint="" if args.remote_name else "; give --as NAME")
    stop_on_sigterm()
    bar = ProgressBar(f"put {source.name}", enabled=not args.quiet)
    try:
        with _session(args) as session:
            stored = session.put(source, args.remote_name, progress=bar)
    except PkiClientError as exc:
        bar.finish()
        raise CommandError(str(exc), exc.exit_code) from None
    bar.finish()
    if not args.quiet:
        print(f"stored as {stored!r} in the inbox of {args.target.split('@')[0]}", file=sys.stderr)
    return 0


def _limits(parser: argparse.ArgumentParser, *, server: bool) -> None:
    from reference.frames import DEFAULT_MAX_PAYLOAD
    from reference.transfer import DEFAULT_MAX_FILE_SIZE

    parser.add_argument(
        "--handshake-timeout",
        type=float,
        default=10.0,
        help="seconds for the TLS handshake (default %(default)s)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=60.0,
        help="seconds without a byte before the connection is closed (default %(default)s)",
    )
    parser.add_argument(
        "--max-file-size",
        type=_size,
        default=DEFAULT_MAX_FILE_SIZE,
        help="bytes, K/M/G suffixes allowed (default 4G)",
    )
    parser.add_argument(
        "--max-frame",
        type=int,
        default=DEFAULT_MAX_PAYLOAD,
        metavar="BYTES",
        help="largest frame payload accepted, bytes (default %(default)s)",
    )
    deprecated_alias(parser, "--frame-limit", dest="max_frame", replacement="--max-frame", type=int)
    parser.add_argument(
        "--crl", metavar="FILE", help="read the CRL from this file instead of the CA"
    )
    if server:
        parser.add_argument(
            "--max-connections",
            type=int,
            default=64,
            help="connections served at once; more wait or are refused (default %(default)s)",
        )
        parser.add_argument(
            "--max-pending-per-address",
            type=int,
            default=8,
            help="connections still in their TLS handshake from one address (default 8)",
        )
        parser.add_argument(
            "--crl-refresh", type=float, default=300.0, help="seconds between CRL refetches"
        )
    else:
        parser.add_argument(
            "--connect-timeout",
            type=float,
            default=10.0,
            help="seconds to open the TCP connection (default %(default)s)",
        )
        parser.add_argument(
            "--crl-max-age",
            type=float,
            default=300.0,
            help="refetch the cached CRL when older than this, seconds",
        )
        parser.add_argument(
            "--busy-retries",
            type=int,
            default=10,
            metavar="N",
            help="times a responder that closes before the TLS handshake (over its limits) "
            "is tried again, with backoff (default %(default)s)",
        )
        parser.add_argument("--quiet", "-q", action="store_true", help="no progress, no summary")
        parser.add_argument("--verbose", "-v", action="store_true", help="print the limits")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    peer = subparsers.add_parser("peer", help="the sft-pki/1 peer (responder)")
    peer_sub = peer.add_subparsers(dest="peer_command", metavar="COMMAND", required=True)
    serve = peer_sub.add_parser("serve", help="serve a share and an inbox over TLS 1.3")
    serve.add_argument("--id", required=True, help="identity directory from `sft enroll`")
    serve.add_argument("--listen", default="127.0.0.1:7443", help="HOST:PORT (port 0: any)")
    serve.add_argument("--share", help="directory whose files others may get")
    serve.add_argument("--inbox", help="directory where others' puts are stored")
    serve.add_argument(
        "--allow",
        action="append",
        metavar="ALIAS",
        help="only these employees may make requests (repeatable)",
    )
    serve.add_argument("--ca", help="CA URL for CRL refetches (default: from the identity)")
    _limits(serve, server=True)
    serve.set_defaults(func=_serve)

    get = subparsers.add_parser("get", help="fetch a file from a peer's share")
    get.add_argument("target", metavar="ALIAS@HOST:PORT", help="the peer's alias and address")
    get.add_argument("name", help="file name in the peer's share")
    get.add_argument("--id", required=True, help="your identity directory")
    get.add_argument("-o", "--output", help="where to save (default: the name's last part)")
    get.add_argument("--force", action="store_true", help="replace an existing file")
    _limits(get, server=False)
    get.set_defaults(func=_get)

    put = subparsers.add_parser("put", help="send a file to a peer's inbox")
    put.add_argument("target", metavar="ALIAS@HOST:PORT", help="the peer's alias and address")
    put.add_argument("file", help="the file to send")
    put.add_argument("--id", required=True, help="your identity directory")
    put.add_argument(
        "--as",
        dest="remote_name",
        metavar="NAME",
        help="name to store it under (default: basename)",
    )
    deprecated_alias(put, "--name", dest="remote_name", replacement="--as")
    _limits(put, server=False)
    put.set_defaults(func=_put)
