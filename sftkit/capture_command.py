"""`sft capture record|check`: thin argument parsing around the `captures` package."""

from __future__ import annotations

__all__ = ["register"]

import argparse
import sys
from pathlib import Path

from sftkit.cli import CommandError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = subparsers.add_parser(
        "capture", help="record loopback traffic and check it for leaks (tshark/pyshark)"
    )
    sub = group.add_subparsers(dest="capture_command", metavar="SUBCOMMAND")
    group.set_defaults(func=lambda _a: _usage(group))

    rec = sub.add_parser(
        "record",
        help="capture TCP ports on loopback while a command runs",
        description="Start dumpcap on lo for the given ports, wait until it captures, run "
        "COMMAND, stop cleanly. Exit 0 when the capture is complete, 2 when not "
        "(drops) or when capturing is impossible; COMMAND's own failure gives 1.",
    )
    rec.add_argument("--port", type=int, action="append", required=True, metavar="P",
                     help="TCP port to capture (repeat for several)")
    rec.add_argument("--out", type=Path, required=True, metavar="FILE.pcapng",
                     help="the capture file to write")
    rec.add_argument("--interface", default="lo", help="capture interface (default lo)")
    rec.add_argument("--buffer-mib", type=int, default=256,
                     help="dumpcap kernel buffer in MiB (default 256; 2 MiB drops packets)")
    rec.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND...",
                     help="the command whose traffic is recorded")
    rec.set_defaults(func=_record)

    chk = sub.add_parser(
        "check",
        help="check a capture: complete? secrets readable? protocol facts",
        description="Exit 0 clean, 1 leak, 2 incomplete or unreadable capture.",
    )
    chk.add_argument("capture", type=Path, metavar="FILE.pcapng", help="the capture to check")
    chk.add_argument("--secret-file", type=Path, action="append", default=[], metavar="F",
                     help="a file whose every 16-byte window must not be readable")
    chk.add_argument("--secret-text-file", type=Path, action="append", default=[], metavar="F",
                     help="a file holding one secret text per line (e.g. a password)")
    chk.add_argument("--secret-text", action="append", default=[], metavar="S",
                     help="a non-secret marker text to look for (secrets: use "
                     "--secret-text-file, never the command line)")
    chk.add_argument("--profile", default="auto", choices=["auto", "pki", "eke", "pki0", "eke0"],
                     help="the protocol in the capture (default: recognised)")
    chk.add_argument("--wordlist", type=Path, metavar="W",
                     help="words for the offline dictionary attack (one per line)")
    chk.add_argument("--expect-bytes", type=int, metavar="N",
                     help="the size the transfer reported; fewer bytes on the wire = incomplete")
    chk.add_argument("--report", type=Path, metavar="OUT.html", help="write the HTML report")
    chk.add_argument("--json", type=Path, metavar="OUT.json", help="write the JSON report")
    chk.add_argument("--markdown", type=Path, metavar="OUT.md", help="write the Markdown report")
    chk.add_argument("--no-facts", action="store_true",
                     help="skip tshark/pyshark protocol facts (faster; TLS cannot be proven)")
    chk.set_defaults(func=_check)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _record(args: argparse.Namespace) -> int:
    from captures.recorder import RecorderConfig, RecorderError, record

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise CommandError("give the command to run after --, e.g. "
                           "sft capture record --port 4000 --out f.pcapng -- sft get ...", 2)
    try:
        config = RecorderConfig(tuple(args.port), args.out, interface=args.interface,
                                buffer_mib=args.buffer_mib)
        result = record(config, command)
    except RecorderError as exc:
        raise CommandError(str(exc), 2) from exc
    status = "complete" if result.complete else f"INCOMPLETE ({result.reason})"
    print(f"capture {result.path}: {result.received} packets received, "
          f"{result.dropped} dropped: {status}")
    if not result.complete:
        return 2
    return 0 if result.command_exit in (0, None) else 1


def _check(args: argparse.Namespace) -> int:
    from captures.checker import CheckConfig, check_capture
    from captures.reports import to_html, to_json, to_markdown
    from captures.secrets import Secret

    secrets: list[Secret] = []
    try:
        for f in args.secret_file:
            secrets.append(Secret.from_file(f))
        for f in args.secret_text_file:
            for i, line in enumerate(f.read_bytes().splitlines(), 1):
                if line:
                    secrets.append(Secret(f"{f.name}:{i}", line))
    except OSError as exc:
        raise CommandError(
            f"cannot read a secret file: {exc.strerror} ({exc.filename})", 2
        ) from exc
    for i, text in enumerate(args.secret_text, 1):
        secrets.append(Secret(f"text{i}", text.encode("utf-8")))
    if args.wordlist is not None and not args.wordlist.is_file():
        raise CommandError(f"wordlist {args.wordlist} is not a readable file", 2)
    config = CheckConfig(
        args.capture, tuple(secrets), profile=args.profile, wordlist=args.wordlist,
        expect_bytes=args.expect_bytes, facts=not args.no_facts,
    )
    report = check_capture(config)
    try:
        if args.json:
            args.json.write_text(to_json(report), encoding="utf-8")
        if args.markdown:
            args.markdown.write_text(to_markdown(report), encoding="utf-8")
        if args.report:
            args.report.write_text(to_html(report), encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write the report: {exc.strerror} ({exc.filename})", 2) from exc
    print(report.summary)
    for f in report.findings:
        if f.severity != "info":
            print(f"  {f.severity}: {f.message}")
    return report.exit_code
