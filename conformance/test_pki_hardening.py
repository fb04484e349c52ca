"""sft-pki/1 hardening (docs/SPEC.md §4.1 PKI-TLS-9, §4.4 CA-ENR-16/17).

- TLS parameters [PKI-TLS-9]: `openssl s_client` (Python's ssl cannot restrict TLS 1.3
  suites, groups or signature algorithms) offers the responder, and the CA, exactly one
  forbidden suite / group / signature algorithm, all else honest (TLS 1.3, ALPN); the
  handshake must not complete. A control run offering the allowed lists must reach the
  server's Finished, so a refusal is the target's choice, not a broken probe. The
  initiator under test connects to a plain listener of the suite, whose ClientHello is
  parsed: it must offer no other suite, group, key share or signature algorithm.
- CRL age [CA-ENR-16]: the CA's CRL must have nextUpdate - thisUpdate <= 7 days.
- Alias / host-name namespace [CA-ENR-17]: the suite reads the CA's own names (its TLS
  certificate's subjectAltName and the host of its URL), and for each name that is a
  valid alias, and one DNS name with a trailing dot, asks the CA to add and enrol that
  alias: the administration command must fail or the enrolment must be refused.

Not observable here: the CRL freshness of a responder [PKI-CERT-12] (reference unit tests;
an initiator's is judged by test_pki_initiator_crl_file.py, given a CRL file through the
target's `client_crl_cmd`), the enrolment client's host-name check [CA-ENR-18] and the
AES-GCM usage limit [EKE-REC-7].

Fixtures (conformance/plugin.py): `pki_target`, `target` (pinned to pki by the file name).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance import ca_support as ca
from conformance._wire_fixtures import client_template, responder_alias
from conformance.pki_channel import ALPN, run_client_command
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

ALLOWED_SUITES = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
ALLOWED_GROUPS = "X25519:P-256:P-384"
ALLOWED_SIGALGS = (
    "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512"
)
MAX_CRL_VALIDITY = dt.timedelta(days=7)
ALIAS_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # PKI-CERT-2
PROBE_TIMEOUT = 10.0


@dataclass(frozen=True)
class Offer:
    """One ClientHello: the suites, groups and signature algorithms s_client offers."""

    what: str
    suites: str = ALLOWED_SUITES
    groups: str = ALLOWED_GROUPS
    sigalgs: str = ALLOWED_SIGALGS


# One forbidden value per run, everything else allowed: a server that refuses the
# offer can only be refusing that value.
FORBIDDEN: tuple[Offer, ...] = (
    Offer("suite TLS_AES_128_CCM_8_SHA256", suites="TLS_AES_128_CCM_8_SHA256"),
    Offer("suite TLS_AES_128_CCM_SHA256", suites="TLS_AES_128_CCM_SHA256"),
    Offer("group ffdhe2048", groups="ffdhe2048"),
    Offer("group ffdhe3072", groups="ffdhe3072"),
    Offer("group x448", groups="X448"),
    Offer("group secp521r1", groups="P-521"),
    Offer("sigalg rsa_pkcs1_sha256", sigalgs="rsa_pkcs1_sha256"),
    Offer("sigalg ecdsa_sha1", sigalgs="ECDSA+SHA1"),
    Offer("sigalg ed25519", sigalgs="ed25519"),
    Offer("sigalg ecdsa_secp384r1_sha384", sigalgs="ecdsa_secp384r1_sha384"),
)


@dataclass(frozen=True)
class Probe:
    argv: tuple[str, ...]
    completed: bool  # the server's Finished arrived: the parameters were accepted
    output: str

    def evidence(self) -> str:
        tail = " | ".join(line.strip() for line in self.output.splitlines()[-8:])
        return f"`{shlex.join(self.argv)}` -> {tail[:600]}"


def _openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        pytest.skip("PKI-TLS-9 needs the `openssl` command (s_client) to offer TLS 1.3 lists")
    return path


def _endpoint(target: Target, which: str) -> tuple[str, int, str]:
    if which == "ca":
        host, port = ca.ca_address(target)
        return host, port, "http/1.1"
    return target.host, target.port, ALPN


def _probe(target: Target, which: str, offer: Offer) -> Probe:
    host, port, alpn = _endpoint(target, which)
    argv = (
        _openssl(),
        "s_client",
        "-connect",
        f"{host}:{port}",
        "-tls1_3",
        "-alpn",
        alpn,
        "-ciphersuites",
        offer.suites,
        "-groups",
        offer.groups,
        "-sigalgs",
        offer.sigalgs,
        "-no_ticket",
        "-brief",
    )
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=PROBE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ConformanceFailure(
            f"PKI-TLS-9: {which} neither answered nor closed within {PROBE_TIMEOUT} s "
            f"offering {offer.what}: `{shlex.join(argv)}`"
        ) from exc
    output = (done.stdout + done.stderr).decode(errors="replace")
    if "unknown option" in output or "Call to SSL_CONF_cmd" in output:
        pytest.skip(f"this openssl cannot offer {offer.what}: {output[-200:]}")
    # -brief prints the negotiated suite once the handshake completed on the client side,
    # i.e. after the server's Certificate, CertificateVerify and Finished.
    completed = "CONNECTION ESTABLISHED" in output or "Ciphersuite:" in output
    return Probe(argv, completed, output)


# The control probe, once per endpoint and worker.
_CONTROLS: dict[tuple[str, int, str], Probe] = {}


def _require_control(target: Target, which: str) -> None:
    host, port, _alpn = _endpoint(target, which)
    key = (host, port, which)
    if key not in _CONTROLS:
        _CONTROLS[key] = _probe(target, which, Offer("the allowed lists"))
    control = _CONTROLS[key]
    if not control.completed:
        pytest.skip(
            f"the {which} did not complete a handshake offering the allowed lists of "
            f"PKI-TLS-9, so refusals say nothing: {control.evidence()}"
        )


@pytest.mark.req("PKI-TLS-9")
@pytest.mark.parametrize("which", ["responder", "ca"])
@pytest.mark.parametrize("offer", FORBIDDEN, ids=[o.what.replace(" ", "-") for o in FORBIDDEN])
def test_forbidden_tls13_parameter_is_refused(pki_target: Target, which: str, offer: Offer) -> None:
    _require_control(pki_target, which)
    probe = _probe(pki_target, which, offer)
    if probe.completed:
        raise ConformanceFailure(
            f"PKI-TLS-9: the {which} completed a TLS 1.3 handshake offering only the "
            f"forbidden {offer.what} (all else allowed): {probe.evidence()}"
        )


# --- the CA ---------------------------------------------------------------------------


def _fresh_revocation(target: Target) -> str | None:
    """A fresh user enrolled once and revoked (the CA's declared administration commands),
    so that the next CRL lists a certificate issued seconds ago; None without them.

    CA-ENR-16 is about EVERY CRL: a CA that dates its CRL's window from what it lists (a
    nextUpdate at the first listed certificate's notAfter, say) serves a lawful window while
    it lists nothing, or only certificates issued long enough ago — the revocations a
    target was provisioned with get older as a run goes on. A certificate issued now makes
    such a window as long as it can be."""
    if not (target.ca_user_add_cmd and target.ca_revoke_cmd):
        return None
    root = ca.root_info(target)
    alias = f"cw-{secrets.token_hex(5)}"
    account = Account(alias, secrets.token_urlsafe(15))
    ca.admin_command(target, "add", alias, stdin=account.password + "\n")
    key = ca.CsrKey.ec("P-256")
    try:
        cert, _problems = ca.enrol_and_read(
            target, account, key, ca.csr_pem(key, ca.name((ca.OID_CN, alias))), root
        )
    except ConformanceFailure as exc:  # CA-ENR-2's business, judged by its own cases
        pytest.skip(f"the fresh account {alias!r} did not enrol, so nothing was revoked: {exc}")
    ca.admin_command(target, "revoke", alias)
    return f"after {alias!r} was enrolled (serial {cert.serial:#x}) and revoked"


@pytest.mark.req("CA-ENR-16")
def test_ca_crl_lives_at_most_seven_days(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    _judge_crl_window("as the run found it", ca.fetch_crl(pki_target))
    when = _fresh_revocation(pki_target)  # (skips here when the commands fail)
    if when is not None:
        _judge_crl_window(when, ca.fetch_crl(pki_target))


def _judge_crl_window(what: str, crl: ca.CrlInfo) -> None:
    if crl.next_update is None:
        raise ConformanceFailure(f"CA-ENR-16: the CA's CRL ({what}) has no nextUpdate")
    lifetime = crl.next_update - crl.this_update
    if lifetime > MAX_CRL_VALIDITY:
        raise ConformanceFailure(
            f"CA-ENR-16: GET /v1/crl ({what}; {len(crl.serials)} entries): thisUpdate "
            f"{crl.this_update}, nextUpdate {crl.next_update}: valid for {lifetime}, "
            f"more than {MAX_CRL_VALIDITY}"
        )


def _ca_names(target: Target) -> list[str]:
    """The CA's host names: its TLS certificate's SAN (DNS, IP) and its URL's host."""
    host, port = ca.ca_address(target)
    ctx = ca.tls_context(target)
    with socket.create_connection((host, port), timeout=PROBE_TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            cert = tls.getpeercert()
    san = cert.get("subjectAltName", ()) if cert else ()
    names = [
        str(entry[1])
        for entry in san
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] in ("DNS", "IP Address")
    ]
    names.append(host)
    return sorted({n.lower() for n in names})


def _accounts_file(target: Target) -> Path:
    """Where the suite remembers the host-name accounts it made on this CA (mode 0600).

    The CA keeps its users, and an alias can be added only once: a second run against
    the same CA needs the password the first run chose to try the enrolment again.
    """
    assert target.root is not None
    tag = hashlib.sha256(target.root.read_bytes()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"sft-conformance-{os.getuid()}-{tag}-hostnames.json"


def _remembered(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _remember(path: Path, accounts: dict[str, str]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(accounts, f)


def _admin_add(target: Target, alias: str, password: str) -> subprocess.CompletedProcess[bytes]:
    assert target.ca_user_add_cmd is not None
    argv = [part.format(alias=alias) for part in shlex.split(target.ca_user_add_cmd)]
    return subprocess.run(
        argv, input=(password + "\n").encode(), capture_output=True, timeout=30, check=False
    )


@pytest.mark.req("CA-ENR-17")
def test_ca_refuses_alias_equal_to_its_host_name(pki_target: Target) -> None:
    names = _ca_names(pki_target)
    # Every name, and one DNS name with DNS's trailing dot (the same name to a resolver).
    dns = [n for n in names if not n.replace(".", "").isdigit() and ":" not in n]
    candidates = [n for n in names + [d + "." for d in dns[:1]] if ALIAS_RE.fullmatch(n)]
    if not candidates:
        pytest.skip(f"none of the CA's names {names} is a valid alias (PKI-CERT-2)")
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    state = _accounts_file(pki_target)
    accounts = _remembered(state)
    accepted: list[str] = []
    tried = 0
    for alias in candidates:
        password = secrets.token_urlsafe(15)
        if _admin_add(pki_target, alias, password).returncode == 0:
            accounts[alias] = password
            _remember(state, accounts)
        elif alias in accounts:
            password = accounts[alias]  # added by an earlier run against this CA
        else:
            continue  # refused at `user add` (CA-ENR-17 allows it): conformant
        tried += 1
        key = ca.CsrKey.ec("P-256")
        answer = ca.enrol(pki_target, alias, password, ca.csr_pem(key, ca.name((ca.OID_CN, alias))))
        if answer.status == 200:
            body = ca.json_body(answer, f"enrolment of {alias!r}")
            cert = ca.read_issued(body.get("certificate"))
            accepted.append(f"{alias!r} (HTTP 200, certificate serial {cert.serial:#x})")
    if tried == 0:
        # Refused at `user add` (CA-ENR-17 allows it) — if the command works at all.
        ca.admin_command(pki_target, "add", f"hn-{secrets.token_hex(5)}", "x" * 20 + "\n")
        return
    if accepted:
        raise ConformanceFailure(
            f"CA-ENR-17: the CA (names {names}) added and enrolled aliases equal to its own "
            f"host names: {'; '.join(accepted)} — such a certificate (CN = the CA's name, "
            "serverAuth) can pose as the CA to a client that checks the CN"
        )


# --- the initiator's offer [PKI-TLS-9] -----------------------------------------------------

# IANA code points of what PKI-TLS-9 allows an initiator to offer.
ALLOWED_SUITE_CODES = {0x1301: "AES_128_GCM", 0x1302: "AES_256_GCM", 0x1303: "CHACHA20"}
ALLOWED_GROUP_CODES = {0x001D: "x25519", 0x0017: "secp256r1", 0x0018: "secp384r1", 0x11EC: "mlkem"}
ALLOWED_SIGALG_CODES = {0x0403, 0x0804, 0x0805, 0x0806, 0x0401}  # 0x0401: certificates only
_EXT_GROUPS, _EXT_SIGALGS, _EXT_KEY_SHARE, _EXT_SUPPORTED_VERSIONS = 10, 13, 51, 43


def _grease(code: int) -> bool:
    """RFC 8701 GREASE values (0x?A?A): placeholders a client may always send."""
    return code & 0x0F0F == 0x0A0A and code >> 8 == code & 0xFF


def _u16s(data: bytes) -> list[int]:
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data) - 1, 2)]


@dataclass(frozen=True)
class ClientHelloOffer:
    suites: list[int]
    groups: list[int]
    sigalgs: list[int]
    key_shares: list[int]
    # supported_versions; None without the extension (TLS 1.2 at most: legacy_version)
    versions: list[int] | None = None


def _parse_client_hello(records: bytes) -> ClientHelloOffer:
    """The lists of one ClientHello, from the TLS records that carry it."""
    handshake = b""
    pos = 0
    while pos + 5 <= len(records) and records[pos] == 22:
        length = int.from_bytes(records[pos + 3 : pos + 5], "big")
        handshake += records[pos + 5 : pos + 5 + length]
        pos += 5 + length
    if len(handshake) < 4 or handshake[0] != 1:
        raise ValueError("not a ClientHello")
    body = handshake[4 : 4 + int.from_bytes(handshake[1:4], "big")]
    p = 2 + 32
    p += 1 + body[p]  # session id
    n = int.from_bytes(body[p : p + 2], "big")
    suites = _u16s(body[p + 2 : p + 2 + n])
    p += 2 + n
    p += 1 + body[p]  # compression methods
    end = p + 2 + int.from_bytes(body[p : p + 2], "big")
    p += 2
    groups: list[int] = []
    sigalgs: list[int] = []
    shares: list[int] = []
    versions: list[int] | None = None
    while p + 4 <= end:
        ext, n = int.from_bytes(body[p : p + 2], "big"), int.from_bytes(body[p + 2 : p + 4], "big")
        data = body[p + 4 : p + 4 + n]
        if ext == _EXT_GROUPS:
            groups = _u16s(data[2:])
        elif ext == _EXT_SIGALGS:
            sigalgs = _u16s(data[2:])
        elif ext == _EXT_KEY_SHARE:
            q = 2
            while q + 4 <= len(data):
                shares.append(int.from_bytes(data[q : q + 2], "big"))
                q += 4 + int.from_bytes(data[q + 2 : q + 4], "big")
        elif ext == _EXT_SUPPORTED_VERSIONS:
            versions = _u16s(data[1 : 1 + data[0]])
        p += 4 + n
    return ClientHelloOffer(suites, groups, sigalgs, shares, versions)


# TLS record: alert (21), legacy version 3.3, 2 bytes: fatal (2), handshake_failure (40).
_HANDSHAKE_FAILURE_ALERT = bytes([21, 3, 3, 0, 2, 2, 40])


def _capture_client_hello(listener: socket.socket, box: list[bytes]) -> None:
    try:
        conn, _ = listener.accept()
    except OSError:
        return
    with conn:
        conn.settimeout(PROBE_TIMEOUT)
        data = b""
        try:
            while len(data) < 65536:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
                if len(data) >= 9 and len(data) >= 9 + int.from_bytes(data[6:9], "big"):
                    break  # the whole handshake message is in (one record or more)
            # A fatal handshake_failure alert: the client ends now. A bare close would look
            # like a responder over its limits, which a client may retry for seconds.
            conn.sendall(_HANDSHAKE_FAILURE_ALERT)
        except OSError:
            pass
        box.append(data)


def _initiators_client_hello(target: Target, tmp_path: Path) -> bytes:
    """The first bytes the initiator under test sends to a listener of the suite's (which
    answers a handshake_failure alert); skips when it sends nothing."""
    template = client_template(target, tmp_path)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(PROBE_TIMEOUT)
    box: list[bytes] = []
    thread = threading.Thread(target=_capture_client_hello, args=(listener, box), daemon=True)
    thread.start()
    try:
        run_client_command(
            template,
            host="127.0.0.1",
            port=listener.getsockname()[1],
            name="file.bin",
            out=tmp_path / "received.bin",
            alias=responder_alias(target),
            timeout=PROBE_TIMEOUT,
        )
    finally:
        thread.join(PROBE_TIMEOUT)
        listener.close()
    if not box or not box[0]:
        pytest.skip("the initiator sent no ClientHello to the suite's listener")
    return box[0]


def _initiators_offer(target: Target, tmp_path: Path, requirement: str) -> ClientHelloOffer:
    hello = _initiators_client_hello(target, tmp_path)
    try:
        return _parse_client_hello(hello)
    except (ValueError, IndexError) as exc:
        raise ConformanceFailure(
            f"{requirement}: the initiator's first bytes are not a TLS ClientHello ({exc}): "
            f"{hello[:40].hex()}"
        ) from exc


@pytest.mark.req("PKI-TLS-9")
def test_initiator_offers_only_allowed_tls13_parameters(target: Target, tmp_path: Path) -> None:
    offer = _initiators_offer(target, tmp_path, "PKI-TLS-9")
    problems = []
    bad = [c for c in offer.suites if c >> 8 == 0x13 and c not in ALLOWED_SUITE_CODES]
    if bad:
        problems.append(f"cipher suites {[f'{c:#06x}' for c in bad]}")
    for what, codes in (("groups", offer.groups), ("key shares", offer.key_shares)):
        bad = [c for c in codes if c not in ALLOWED_GROUP_CODES and not _grease(c)]
        if bad:
            problems.append(f"{what} {[f'{c:#06x}' for c in bad]}")
    if problems:
        raise ConformanceFailure(
            "PKI-TLS-9: the initiator's ClientHello offers what it must never negotiate: "
            + "; ".join(problems)
            + f" (suites {[f'{c:#06x}' for c in offer.suites]}, groups "
            f"{[f'{c:#06x}' for c in offer.groups]})"
        )


@pytest.mark.req("PKI-TLS-11")
def test_initiator_offers_only_allowed_signature_algorithms(target: Target, tmp_path: Path) -> None:
    """A SHOULD (some TLS stacks cannot change the list they offer): NON-STRICT unless
    the run is --strict."""
    offer = _initiators_offer(target, tmp_path, "PKI-TLS-11")
    bad = [c for c in offer.sigalgs if c not in ALLOWED_SIGALG_CODES and not _grease(c)]
    if bad:
        raise ConformanceFailure(
            "PKI-TLS-11: the initiator's ClientHello offers signature algorithms outside "
            f"PKI-TLS-9's list: {[f'{c:#06x}' for c in bad]} (all offered: "
            f"{[f'{c:#06x}' for c in offer.sigalgs]})"
        )


# --- the initiator's versions [PKI-TLS-1] ------------------------------------------------

_TLS13 = 0x0304


@pytest.mark.req("PKI-TLS-1")
def test_initiator_offers_tls13_only(target: Target, tmp_path: Path) -> None:
    """The initiator's ClientHello must offer TLS 1.3 and nothing lower: a supported_versions
    extension listing 0x0304 alone (RFC 8701 GREASE aside). A client whose minimum version
    was left at the library's default (TLS 1.2) also lists 0x0303 and would complete a
    handshake with a TLS 1.2 responder (a downgrade an attacker can force); one without
    the extension speaks TLS 1.2 at most."""
    hello = _initiators_client_hello(target, tmp_path)
    try:
        versions = _parse_client_hello(hello).versions
    except (ValueError, IndexError) as exc:
        raise ConformanceFailure(
            f"PKI-TLS-1: the initiator's first bytes are not a TLS ClientHello ({exc}): "
            f"{hello[:40].hex()}"
        ) from exc
    offered = [v for v in versions or [] if not _grease(v)]
    if offered != [_TLS13]:
        shown = (
            "no supported_versions extension"
            if versions is None
            else f"supported_versions {[f'{v:#06x}' for v in versions]}"
        )
        raise ConformanceFailure.evidence(
            "PKI-TLS-1: the versions the initiator's ClientHello offers",
            "supported_versions with TLS 1.3 (0x0304) only",
            shown,
        )
