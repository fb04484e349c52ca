"""`sft legacy ...`: the INSECURE seed protocols sft-pki/0 and sft-eke/0, for auditing.

Every command prints a warning to stderr first. Servers print one readiness
line on stdout, ``listening on HOST:PORT``, once they accept connections.
Passwords come from a file or stdin, never from the command line.
"""

from __future__ import annotations

__all__ = ["register"]

import argparse
import os
import secrets
import socketserver
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from reference.cli import CommandError
from reference.cli.options import read_password_file, read_password_stdin
from reference.digits import decimal_at_most
from reference.legacy import _crypto, eke0, net, warn_insecure
from reference.legacy.errors import LegacyAuthError, LegacyError
from reference.legacy.pki0_ca import LegacyCA, parse_accounts


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = subparsers.add_parser(
        "legacy",
        help="INSECURE seed protocols sft-pki/0 and sft-eke/0 (auditing only)",
        description="The seeds' original, INSECURE protocols, for auditing existing "
        "deployments and producing known-bad traffic. Never use them for real data.",
    )
    sub = group.add_subparsers(dest="legacy_command", metavar="LEGACY_COMMAND")
    group.set_defaults(func=lambda _args: _usage(group))

    ca = sub.add_parser(
        "pki-ca", allow_abbrev=False, help="the sft-pki/0 CA: POST /verify over plain HTTP"
    )
    ca.add_argument(
        "--dir", type=Path, required=True, help="holds root.pem and root.key (created if missing)"
    )
    ca.add_argument(
        "--accounts",
        type=Path,
        required=True,
        help="file of ALIAS:PASSWORD lines (the seed kept passwords in clear)",
    )
    _listen_options(ca)
    ca.set_defaults(func=_pki_ca)

    enrol = sub.add_parser(
        "pki-enrol", allow_abbrev=False, help="get a certificate from a sft-pki/0 CA"
    )
    enrol.add_argument("--ca-url", required=True, help="http://HOST:PORT")
    enrol.add_argument("--root", type=Path, required=True, help="the CA's root.pem")
    enrol.add_argument("--alias", required=True, help="the alias to enrol")
    _password_options(enrol)
    enrol.add_argument(
        "--out-dir", type=Path, required=True, help="writes ALIAS.key (0600) and ALIAS.pem here"
    )
    enrol.set_defaults(func=_pki_enrol)

    peer = sub.add_parser(
        "pki-peer", allow_abbrev=False, help="a sft-pki/0 responder serving a directory"
    )
    _identity_options(peer)
    peer.add_argument("--root", type=Path, required=True, help="the CA's root.pem")
    peer.add_argument(
        "--share",
        type=Path,
        required=True,
        help="directory served; names are NOT confined to it (LEG-PKI-5)",
    )
    _listen_options(peer)
    peer.set_defaults(func=_pki_peer)

    get = sub.add_parser(
        "pki-get", allow_abbrev=False, help="request one file from a sft-pki/0 responder"
    )
    _identity_options(get)
    get.add_argument("--peer", required=True, help="HOST:PORT")
    get.add_argument("--name", required=True, help="file name to request")
    get.add_argument("--out", type=Path, required=True, help="where to save the file")
    get.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    get.set_defaults(func=_pki_get)

    server = sub.add_parser(
        "eke-server", allow_abbrev=False, help="the sft-eke/0 server: one password, one file"
    )
    server.add_argument("--file", type=Path, required=True, help="the one file it serves")
    _password_options(server)
    server.add_argument(
        "--random-exponent",
        action="store_true",
        help="a fresh secret exponent per session (the seed used 5516 every time)",
    )
    _listen_options(server)
    server.set_defaults(func=_eke_server)

    eke_get = sub.add_parser(
        "eke-get", allow_abbrev=False, help="fetch the file from a sft-eke/0 server"
    )
    eke_get.add_argument("--server", required=True, help="HOST:PORT")
    eke_get.add_argument("--user", required=True, help="the account name")
    _password_options(eke_get)
    eke_get.add_argument("--out", type=Path, required=True, help="where to save the file")
    eke_get.add_argument(
        "--random-exponent", action="store_true", help="fresh secret exponent (the seed used 4597)"
    )
    eke_get.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    eke_get.set_defaults(func=_eke_get)


def _usage(parser: argparse.ArgumentParser) -> int:
    warn_insecure()
    parser.print_help(sys.stderr)
    return 2


def _listen_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="0 = an ephemeral port")
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=30.0,
        help="seconds a silent peer may hold a connection (0 = forever, as the seeds did)",
    )


def _identity_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key", type=Path, required=True, help="PEM private key")
    parser.add_argument("--cert", type=Path, required=True, help="PEM certificate")


def _password_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--password-file", type=Path, help="file holding the password")
    source.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin",
    )


def _read_password(args: argparse.Namespace) -> str:
    # The reference's one password-file reader [PWF-1] (as `sft eke`, `sft ca`): a
    # second line or a stray CR is an error, not silently dropped; stdin's line loses
    # exactly its LF or CRLF, nothing else.
    if args.password_stdin:
        password = read_password_stdin()
    else:
        password = read_password_file(args.password_file)
    if not password:
        raise CommandError("the password is empty", 2)
    return password


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}", 2) from exc


def _read_text(path: Path) -> str:
    return _read_bytes(path).decode("utf-8", "replace")


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    number = decimal_at_most(port, 65535)
    if not sep or not host or number is None:
        raise CommandError(f"expected HOST:PORT, got {text!r}", 2)
    return host, number


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _serve(server: socketserver.TCPServer) -> int:
    host, port = server.socket.getsockname()[:2]
    print(f"listening on {host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        return 0
    finally:
        server.server_close()
    return 0


def _load_identity(args: argparse.Namespace) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    try:
        key = _crypto.load_private_key_pem(_read_bytes(args.key))
        cert = _crypto.load_certificate(_read_bytes(args.cert))
    except (LegacyError, ValueError) as exc:
        raise CommandError(f"cannot load the key or certificate: {exc}", 2) from exc
    return key, cert


def _load_root(path: Path) -> x509.Certificate:
    try:
        return _crypto.load_certificate(_read_bytes(path))
    except LegacyError as exc:
        raise CommandError(f"{path}: {exc}", 2) from exc


def _pki_ca(args: argparse.Namespace) -> int:
    warn_insecure()
    directory: Path = args.dir
    directory.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = directory / "root.key", directory / "root.pem"
    if key_path.exists() and cert_path.exists():
        try:
            root_key = _crypto.load_private_key_pem(_read_bytes(key_path))
            root = _crypto.load_certificate(_read_bytes(cert_path))
        except (LegacyError, ValueError) as exc:
            raise CommandError(f"cannot load the root in {directory}: {exc}", 2) from exc
    else:
        root_key, root = _crypto.make_root()
        _write_private(key_path, _crypto.private_key_pem(root_key))
        cert_path.write_bytes(_crypto.certificate_pem(root))
    try:
        accounts = parse_accounts(_read_text(args.accounts))
    except LegacyError as exc:
        raise CommandError(f"{args.accounts}: {exc}", 2) from exc
    try:
        server = net.make_pki0_ca_server(LegacyCA(root_key, root, accounts), args.host, args.port)
    except OSError as exc:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}", 2) from exc
    return _serve(server)


def _pki_enrol(args: argparse.Namespace) -> int:
    warn_insecure()
    password = _read_password(args)
    root = _load_root(args.root)
    key = _crypto.generate_rsa_key()
    try:
        cert = net.enrol_pki0(args.ca_url, root, args.alias, password, key)
    except ValueError as exc:
        raise CommandError(str(exc), 2) from exc
    except LegacyError as exc:
        raise CommandError(str(exc), 1) from exc
    except OSError as exc:
        raise CommandError(f"cannot reach the CA at {args.ca_url}: {exc}", 2) from exc
    args.out_dir.mkdir(parents=True, exist_ok=True)
    _write_private(args.out_dir / f"{args.alias}.key", _crypto.private_key_pem(key))
    (args.out_dir / f"{args.alias}.pem").write_bytes(_crypto.certificate_pem(cert))
    print(f"enrolled {args.alias!r}: {args.out_dir / (args.alias + '.pem')}")
    return 0


def _pki_peer(args: argparse.Namespace) -> int:
    warn_insecure()
    key, cert = _load_identity(args)
    root = _load_root(args.root)
    try:
        config = net.LegacyPeerConfig(
            key,
            cert,
            root,
            str(args.share),
            host=args.host,
            port=args.port,
            idle_timeout=args.idle_timeout,
        )
        server = net.make_pki0_peer_server(config)
    except ValueError as exc:
        raise CommandError(str(exc), 2) from exc
    except OSError as exc:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}", 2) from exc
    return _serve(server)


def _pki_get(args: argparse.Namespace) -> int:
    warn_insecure()
    key, cert = _load_identity(args)
    host, port = _host_port(args.peer)
    try:
        result = net.fetch_pki0(host, port, key, cert, args.name, args.out, timeout=args.timeout)
    except LegacyAuthError as exc:
        raise CommandError(str(exc), 1) from exc
    except LegacyError as exc:
        raise CommandError(f"transfer failed: {exc}", 1) from exc
    except OSError as exc:
        raise CommandError(f"cannot reach {args.peer}: {exc}", 2) from exc
    print(
        f"received {result.size} bytes in {result.pieces} pieces from {result.responder_alias!r} "
        f"(identity NOT verified; truncation undetectable) -> {result.path}"
    )
    return 0


def _eke_server(args: argparse.Namespace) -> int:
    warn_insecure()
    password = _read_password(args).encode("utf-8")
    exponent = None if args.random_exponent else eke0.SEED_SERVER_EXPONENT
    try:
        config = net.LegacyEkeServerConfig(
            password,
            args.file,
            host=args.host,
            port=args.port,
            idle_timeout=args.idle_timeout,
            exponent=exponent,
        )
        server = net.make_eke0_server(config)
    except ValueError as exc:
        raise CommandError(str(exc), 2) from exc
    except OSError as exc:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}", 2) from exc
    return _serve(server)


def _eke_get(args: argparse.Namespace) -> int:
    warn_insecure()
    password = _read_password(args).encode("utf-8")
    host, port = _host_port(args.server)
    exponent = (
        secrets.randbelow(eke0.SEED_P - 3) + 2
        if args.random_exponent
        else eke0.SEED_CLIENT_EXPONENT
    )
    try:
        result = net.fetch_eke0(
            host,
            port,
            args.user.encode("utf-8"),
            password,
            args.out,
            exponent=exponent,
            timeout=args.timeout,
        )
    except LegacyAuthError as exc:
        raise CommandError(str(exc), 1) from exc
    except LegacyError as exc:
        raise CommandError(f"transfer failed: {exc}", 1) from exc
    except OSError as exc:
        raise CommandError(f"cannot reach {args.server}: {exc}", 2) from exc
    print(
        f"received {result.size} bytes, SHA-1 {result.local_sha1} matches the server's "
        f"(sent in clear: no integrity) -> {result.path}"
    )
    return 0
