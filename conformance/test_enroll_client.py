"""sft-pki/1: the ENROLMENT client under test (docs/SPEC.md §4.4, §4.2, PWF-1), run against
a hostile CA the suite serves over HTTPS on loopback.

The target declares its enrolment command (`enroll_cmd`, a template with `{ca_url}
{root} {alias} {password_file} {out}`; the embedded run uses the reference's `sft
enroll`). The suite mints the CA's TLS certificates with the organisation root key (lab
mode; SKIP without it), serves `POST /v1/enroll`, `GET /v1/crl` and `GET /v1/root` at
`https://localhost:PORT` itself, records every decrypted byte the client sends, and
judges by the client's exit status, what it stored under `{out}`, and what the CA
received:

- honest control: a root-issued CA certificate for `localhost` (subjectAltName) and an
  honest answer (a root-issued certificate for the CSR's key). The client MUST exit 0,
  its CSR's key MUST be the private key it stored, stored without group or other access,
  and nothing it sent holds that private key [CA-ENR-12]; so a client that does nothing,
  or sends a key made elsewhere, cannot pass the cases below by refusing everything;
- the CA's certificate: CN = localhost with no subjectAltName (an employee certificate
  posing as the CA, CA-ENR-18), a subjectAltName for another host (CA-ENR-18), issued by
  a foreign root, by an impostor copying the root's DN and key identifier, self-signed
  (PKI-TLS-4), expired or not yet valid (PKI-CERT-3); a CA that speaks only TLS 1.2, and
  one that speaks plain HTTP (CA-ENR-1): the password MUST NOT reach that CA (no
  decrypted or plaintext byte holds it) and the client MUST fail (non-zero exit);
- the password file [PWF-1]: exactly one trailing LF or CRLF removed, nothing else (no
  trim, no BOM dropped, no normalisation): the CA MUST receive exactly that password; a
  file with a second line, a lone CR, an empty password or bytes that are not UTF-8 MUST
  be refused before anything is sent, with an error that does not show the password;
- the CA's answer [CA-ENR-12]: a certificate for another key, a 401, a 429 with
  Retry-After, a 500, a body that is not a certificate, a truncated PEM: a client that
  nevertheless exits 0 MUST have stored its own locally generated key (the CSR's) with a
  certificate for that key: an enrolment that "succeeds" with a certificate for a key
  it did not make, or with no certificate at all, did not enrol the local key.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from Crypto.PublicKey import ECC, RSA

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure
from conformance.x509 import (
    EKU_CLIENT_AUTH,
    EKU_SERVER_AUTH,
    Certificate,
    CertProfile,
    KeyPair,
    LabPKI,
    _children,
    _split,
    pem_decode,
)
from sftkit.launch import LaunchError, python_env, run_command
from sftkit.target_options import client_launch

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CA_HOST = "localhost"  # the CA's host name in its URL and (honest) subjectAltName
ALIAS = "e1-enrolee"
PASSWORD = "Enrol-Zq7 pw"  # noqa: S105 - a test password, distinctive: searched for in every byte the CA received
_RUN_TIMEOUT = 40.0  # the command's whole run (a CA refused at once ends it in seconds)
_IO_TIMEOUT = 10.0  # the hostile CA's wait for a handshake, a request head or body
_MAX_REQUEST = 1 << 17

Answer = Callable[[dict[str, Any] | None], tuple[int, dict[str, str], bytes]]


# --- the hostile CA ---------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    body: bytes

    def json(self) -> dict[str, Any] | None:
        try:
            value = json.loads(self.body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


@dataclass
class HostileCa:
    """An HTTPS CA on 127.0.0.1 (`https://localhost:PORT`), one request per connection."""

    context: ssl.SSLContext | None  # None: plain HTTP on the https URL's port
    answer: Answer
    crl_der: bytes
    root_pem: bytes
    requests: list[Request] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # every decrypted byte, per connection
    connections: int = 0
    handshakes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _listener: socket.socket | None = None
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def url(self) -> str:
        assert self._listener is not None
        return f"https://{CA_HOST}:{self._listener.getsockname()[1]}"

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.settimeout(0.2)
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, name="hostile-ca", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(_IO_TIMEOUT + 2)
        if self._listener is not None:
            self._listener.close()

    def password_seen(self, password: str) -> bool:
        """The password in any decrypted byte, as is or JSON-escaped."""
        forms = {password.encode(), json.dumps(password).strip('"').encode()}
        with self._lock:
            return any(form in data for data in self.raw for form in forms if form)

    def enrolments(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and "enroll" in r.path]

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(_IO_TIMEOUT)
        first = b""
        try:
            if self.context is None:
                # A plain HTTP server: a TLS ClientHello gets its 400 and the close, as
                # from any HTTP server; a plaintext request is read and answered.
                first = sock.recv(65536)
                if first[:1] == b"\x16":
                    sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                    sock.close()
                    return
                tls: socket.socket = sock
            else:
                tls = self.context.wrap_socket(sock, server_side=True)
        except (OSError, ssl.SSLError):
            sock.close()
            return
        with self._lock:
            self.handshakes += 1
            index = len(self.raw)
            self.raw.append(first)
        try:
            data = first
            while b"\r\n\r\n" not in data and len(data) < _MAX_REQUEST:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                data += chunk
                with self._lock:
                    self.raw[index] = data
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) < 2:
                return
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length" and value.strip().isdigit():
                    length = int(value.strip())
            while len(body) < min(length, _MAX_REQUEST):
                chunk = tls.recv(65536)
                if not chunk:
                    break
                body += chunk
                with self._lock:
                    self.raw[index] = head + b"\r\n\r\n" + body
            request = Request(parts[0], parts[1], body)
            with self._lock:
                self.requests.append(request)
            status, headers, payload = self._respond(request)
            reason = {200: "OK", 401: "Unauthorized", 429: "Too Many Requests"}.get(status, "Error")
            out = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(payload)}"]
            out += [f"{k}: {v}" for k, v in headers.items()]
            out.append("Connection: close")
            tls.sendall(("\r\n".join(out) + "\r\n\r\n").encode() + payload)
            if isinstance(tls, ssl.SSLSocket):
                try:
                    tls.unwrap()
                except (OSError, ssl.SSLError, ValueError):
                    pass
        except (OSError, ssl.SSLError, UnicodeError):
            pass
        finally:
            tls.close()

    def _respond(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        json_type = {"Content-Type": "application/json"}
        if request.method == "GET" and request.path.startswith("/v1/crl"):
            return 200, {"Content-Type": "application/pkix-crl"}, self.crl_der
        if request.method == "GET" and request.path.startswith("/v1/root"):
            return 200, {"Content-Type": "application/x-pem-file"}, self.root_pem
        if request.method == "POST" and request.path.startswith("/v1/enroll"):
            return self.answer(request.json())
        return 404, json_type, b'{"error": "not_found", "message": "no such path"}'


def _server_context(tmp: Path, cert: Certificate, *, tls12_only: bool = False) -> ssl.SSLContext:
    cert_path, key_path = cert.write(tmp, "hostile-ca")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if tls12_only:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(cert_path, key_path)
    return ctx


def _ca_certificate(lab: LabPKI, **changes: Any) -> Certificate:
    """The CA's TLS certificate: root-issued, serverAuth, for `localhost` (SAN)."""
    profile = CertProfile(
        common_name="sft conformance hostile ca",
        dns_names=(CA_HOST,),
        eku=(EKU_SERVER_AUTH, EKU_CLIENT_AUTH),
    )
    for name, value in changes.items():
        profile = _replace(profile, name, value)
    return lab.root.issue(profile)


def _replace(profile: CertProfile, name: str, value: Any) -> CertProfile:
    from dataclasses import replace

    return replace(profile, **{name: value})


# --- the CSR and what the client stored ---------------------------------------------------


def _csr_spki(csr_pem: object) -> bytes | None:
    """The SubjectPublicKeyInfo (DER) of a PEM CSR, or None."""
    if not isinstance(csr_pem, str):
        return None
    try:
        der = pem_decode(csr_pem, "CERTIFICATE REQUEST")
        info = _children(_split(der)[1])[0]
        fields = _children(_split(info)[1])
        return fields[2]  # version, subject, subjectPKInfo, attributes
    except (ValueError, IndexError):
        return None


def _cert_spki(der: bytes) -> bytes | None:
    try:
        tbs = _children(_split(_children(_split(der)[1])[0])[1])
        return tbs[6] if _split(tbs[0])[0] == 0xA0 else tbs[5]
    except (ValueError, IndexError):
        return None


def _public_key(spki: bytes) -> KeyPair | None:
    for importer in (ECC.import_key, RSA.import_key):
        try:
            return KeyPair(importer(spki))
        except (ValueError, IndexError, TypeError):
            continue
    return None


def _honest(lab: LabPKI) -> Answer:
    """A root-issued certificate for the CSR's key, CN = the alias asked for."""

    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        spki = _csr_spki((body or {}).get("csr"))
        key = _public_key(spki) if spki is not None else None
        alias = (body or {}).get("alias")
        if key is None or not isinstance(alias, str):
            return (
                400,
                {"Content-Type": "application/json"},
                (b'{"error": "bad_csr", "message": "not a CSR"}'),
            )
        cert = lab.root.issue(CertProfile(common_name=alias), key=key)
        payload = json.dumps({"certificate": cert.pem}).encode()
        return 200, {"Content-Type": "application/json"}, payload

    return answer


@dataclass
class Stored:
    """The private keys and certificates found under {out}."""

    keys: list[tuple[Path, KeyPair | None, int]]  # path, key (None: encrypted), mode
    certs: list[tuple[Path, bytes]]  # path, DER
    files: list[str]


_PEM_BLOCK = "-----BEGIN "


def _stored(out: Path) -> Stored:
    keys: list[tuple[Path, KeyPair | None, int]] = []
    certs: list[tuple[Path, bytes]] = []
    files: list[str] = []
    if not out.exists():
        return Stored(keys, certs, files)
    for path in sorted(p for p in out.rglob("*") if p.is_file() and not p.is_symlink()):
        mode = path.stat().st_mode & 0o777
        files.append(f"{path.relative_to(out)} ({mode:o})")
        try:
            content = path.read_bytes()[: 1 << 20]
        except OSError:
            continue
        if content[:1] == b"\x30" and _cert_spki(content) is not None:
            certs.append((path, content))  # a DER certificate
            continue
        text = content.decode("ascii", errors="replace")
        for block in text.split(_PEM_BLOCK)[1:]:
            label = block.split("-----", 1)[0]
            whole = _PEM_BLOCK + block.split("-----END", 1)[0] + f"-----END {label}-----"
            if label.endswith("PRIVATE KEY"):
                key: KeyPair | None = None
                if "ENCRYPTED" not in label:
                    try:
                        key = KeyPair.from_pem(whole)
                    except (ValueError, IndexError, TypeError):
                        key = None
                keys.append((path, key, mode))
            elif label == "CERTIFICATE":
                try:
                    certs.append((path, pem_decode(whole)))
                except ValueError:
                    continue
    return Stored(keys, certs, files)


def _private_forms(key: KeyPair) -> list[bytes]:
    """Byte strings that would show the private key in what the client sent."""
    forms = [b"PRIVATE KEY"]
    secret: int | None = None
    if isinstance(key.key, ECC.EccKey):
        secret = int(key.key.d)
    elif isinstance(key.key, RSA.RsaKey) and key.key.has_private():
        secret = int(key.key.d)
    if secret is not None:
        raw = secret.to_bytes((secret.bit_length() + 7) // 8, "big")
        forms += [raw[-24:], raw.hex()[-40:].encode(), base64.b64encode(raw)[4:36]]
    return forms


# --- running the client -------------------------------------------------------------------


@dataclass
class Run:
    returncode: int
    output: str
    out: Path
    ca: HostileCa

    def describe(self) -> str:
        stored = _stored(self.out)
        requests = [f"{r.method} {r.path}" for r in self.ca.requests]
        return (
            f"exit {self.returncode}; connections {self.ca.connections}, TLS handshakes "
            f"completed {self.ca.handshakes}, requests {requests or 'none'}; stored under "
            f"{{out}}: {', '.join(stored.files) or 'nothing'}; output: "
            f"{self.output.strip()[-400:]!r}"
        )


def _enroll_cmd(target: Target) -> str:
    if not target.enroll_cmd:
        unsupported("testing an enrolment client needs the target file's enroll_cmd")
    assert target.enroll_cmd is not None
    return target.enroll_cmd


def _run(
    target: Target,
    tmp: Path,
    ca_cert: Certificate,
    answer: Answer,
    *,
    lab: LabPKI,
    password_file: bytes = (PASSWORD + "\n").encode(),
    tls12_only: bool = False,
    plain: bool = False,
    env: dict[str, str] | None = None,
) -> Run:
    assert target.root is not None
    ca = HostileCa(
        None if plain else _server_context(tmp, ca_cert, tls12_only=tls12_only),
        answer,
        lab.root.crl_der(),
        target.root.read_bytes(),
    )
    return run_against(target, tmp, ca, password_file=password_file, env=env)


def run_against(
    target: Target,
    tmp: Path,
    ca: HostileCa,
    *,
    password_file: bytes = (PASSWORD + "\n").encode(),
    env: dict[str, str] | None = None,
    also: HostileCa | None = None,
) -> Run:
    """The enrolment client under test run once against `ca` (started and stopped here,
    with `also`: a second listener its answers point to)."""
    template = _enroll_cmd(target)
    assert target.root is not None
    pw = tmp / "enrol.password"
    pw.touch(mode=0o600)
    pw.write_bytes(password_file)
    out = tmp / "identity"
    ca.start()
    try:
        values = {
            "ca_url": ca.url,
            "root": str(target.root),
            "alias": ALIAS,
            "password_file": str(pw),
            "out": str(out),
        }
        launch = client_launch(template, values, success="exit")
        try:
            done = run_command(
                list(launch.argv),
                stdin=launch.stdin or b"",
                timeout=_RUN_TIMEOUT,
                env=python_env(env),
                cwd=tmp,
            )
        except LaunchError as exc:
            inconclusive(f"the enrolment command did not end: {exc}")
            raise AssertionError("unreachable") from exc
    finally:
        ca.stop()
        if also is not None:
            also.stop()
    output = (done.stdout + done.stderr).decode(errors="replace")
    return Run(done.returncode, output, out, ca)


def _fail(context: str, expected: str, run: Run, note: str = "", *, req: str = "") -> None:
    failure = ConformanceFailure.evidence(context, expected, run.describe(), note)
    if req:
        failure.violates = (req,)
    raise failure


def _judge_own_key(run: Run, context: str, *, must_succeed: bool) -> None:
    """CA-ENR-12: an enrolment the client reports as done stored the locally generated
    key (the one its CSR holds), 0600 or stricter, with a certificate for that key, and
    sent nothing that holds the private key."""
    if run.returncode != 0:
        if must_succeed:
            _fail(context, "exit 0 (an honest CA answered with a root-issued certificate)", run)
        return
    enrolments = run.ca.enrolments()
    if not enrolments:
        _fail(context, "exit 0 only after a POST /v1/enroll with a CSR", run)
    spkis = [s for s in (_csr_spki((r.json() or {}).get("csr")) for r in enrolments) if s]
    if not spkis:
        _fail(context, "a POST /v1/enroll whose `csr` is a PEM CSR", run)
    stored = _stored(run.out)
    if not stored.keys:
        # The SPEC fixes no file format: a key kept in another form (DER, PKCS#12, a
        # token) cannot be found here, which is no evidence against the client.
        inconclusive(f"no PEM private key under {{out}} to judge ({run.describe()})")
    readable = [k for k in stored.keys if k[1] is not None]
    loose = [f"{p.name} mode {m:o}" for p, _, m in stored.keys if m & 0o077]
    if loose:
        _fail(
            context,
            "the private key stored with mode 0600 (no group or other access)",
            run,
            f"readable by others: {', '.join(loose)}",
        )
    if not readable:
        return  # an encrypted key: its public half cannot be compared here
    own = {k.public_der(): (p, k) for p, k, _ in readable if k is not None}
    matched = [own[s] for s in spkis if s in own]
    if not matched:
        _fail(
            context,
            "the CSR's public key is that of the private key stored (made here)",
            run,
            "no stored private key matches the key of any CSR sent",
        )
    for _path, key in matched:
        for form in _private_forms(key):
            if any(form in data for data in run.ca.raw):
                _fail(
                    context,
                    "the private key never leaves the machine",
                    run,
                    f"the CA received bytes of the stored private key ({form[:12]!r}...)",
                )
    cert_keys = {_cert_spki(der) for _, der in stored.certs}
    if not any(key.public_der() in cert_keys for _, key in matched):
        _fail(
            context,
            "a certificate for the stored (locally generated) key under {out}",
            run,
            "exit 0, but no stored certificate holds the key of the CSR sent",
        )


# --- cases --------------------------------------------------------------------------------


@pytest.mark.req("CA-ENR-12")
def test_enrolment_client_honest_ca_stores_own_key(target: Target, tmp_path: Path) -> None:
    lab = lab_pki(target)
    run = _run(target, tmp_path, _ca_certificate(lab), _honest(lab), lab=lab)
    context = "CA-ENR-12: enrolment at an honest CA (root-issued certificate for localhost)"
    _judge_own_key(run, context, must_succeed=True)
    if not run.ca.password_seen(PASSWORD):
        _fail(context, f"the password {PASSWORD!r} sent to the CA inside TLS", run)


# The CA's certificate (or TLS version) the client MUST refuse before sending the password.
_REFUSED = {
    "cn_only": ("CA-ENR-18", "root-issued, CN = localhost, no subjectAltName"),
    "other_host": ("CA-ENR-18", "root-issued, subjectAltName ca.invalid only"),
    "foreign_root": ("PKI-TLS-4", "issued by a foreign root, SAN localhost"),
    "impostor_root": ("PKI-TLS-4", "issued by a CA copying the root's DN and key id"),
    "self_signed": ("PKI-TLS-4", "self-signed, SAN localhost"),
    "expired": ("PKI-CERT-3", "root-issued, SAN localhost, expired yesterday"),
    "not_yet_valid": ("PKI-CERT-3", "root-issued, SAN localhost, valid from tomorrow"),
    "tls12": ("CA-ENR-1", "root-issued, SAN localhost, but the CA speaks TLS 1.2 only"),
    "plain_http": ("CA-ENR-1", "absent: the CA's port speaks plain HTTP (no TLS)"),
}


def _refused_certificate(lab: LabPKI, kind: str) -> Certificate:
    server = CertProfile(
        common_name="sft conformance hostile ca",
        dns_names=(CA_HOST,),
        eku=(EKU_SERVER_AUTH, EKU_CLIENT_AUTH),
    )
    if kind == "cn_only":
        return lab.employee(CA_HOST)  # an employee certificate whose alias is the host
    if kind == "other_host":
        return _ca_certificate(lab, dns_names=("ca.invalid",))
    if kind == "foreign_root":
        return lab.foreign.issue(server)
    if kind == "impostor_root":
        return lab.impostor_root().issue(server)
    if kind == "self_signed":
        from conformance.x509 import _name, _now, _signed, _tbs_certificate

        key = KeyPair.generate()
        tbs, serial = _tbs_certificate(
            server, key, _name(server.common_name), key.key_id(), key, _now()
        )
        return Certificate(_signed(tbs, key), key, serial, server.common_name)
    if kind == "expired":
        return _ca_certificate(lab, days_before=40, days_after=-1)
    if kind == "not_yet_valid":
        return _ca_certificate(lab, days_before=-1, days_after=30)
    return _ca_certificate(lab)


@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, marks=pytest.mark.req(v[0]), id=k) for k, v in _REFUSED.items()],
)
def test_enrolment_client_refuses_ca(target: Target, tmp_path: Path, kind: str) -> None:
    lab = lab_pki(target)
    requirement, what = _REFUSED[kind]
    run = _run(
        target,
        tmp_path,
        _refused_certificate(lab, kind),
        _honest(lab),
        lab=lab,
        tls12_only=kind == "tls12",
        plain=kind == "plain_http",
    )
    context = f"{requirement}: the CA's TLS certificate is {what}"
    if run.ca.connections == 0:
        inconclusive(f"the enrolment client never connected to the CA ({run.describe()})")
    if run.ca.password_seen(PASSWORD) or run.ca.enrolments():
        _fail(
            context,
            "the connection refused before the password is sent",
            run,
            "the CA received the enrolment request (the password)",
        )
    if run.returncode == 0:
        _fail(context, "a non-zero exit status (enrolment failed)", run)


# Password files the client MUST read as PWF-1 says: the bytes, and the password sent
# (None: refused before anything is sent).
_PASSWORD_FILES: dict[str, tuple[bytes, str | None]] = {
    "lf": (b"Zq7 spaces kept  \n", "Zq7 spaces kept  "),
    "crlf": (b"Zq7-crlf pw\r\n", "Zq7-crlf pw"),
    "no_newline": (b"  Zq7 lead and trail ", "  Zq7 lead and trail "),
    "bom_kept": ("\ufeffZq7-bom\n".encode(), "\ufeffZq7-bom"),
    "not_normalised": ("Zq7-cafe\u0301\n".encode(), "Zq7-cafe\u0301"),
    "second_line": (b"Zq7-first-half\nZq7-second-half\n", None),
    "two_newlines": (b"Zq7-double-lf\n\n", None),
    "lone_cr": (b"Zq7-lone-cr\r", None),
    "empty": (b"\n", None),
    "not_utf8": (b"Zq7-\xff\xfe-latin\n", None),
}


@pytest.mark.req("PWF-1")
@pytest.mark.parametrize("kind", list(_PASSWORD_FILES))
def test_enrolment_client_password_file(target: Target, tmp_path: Path, kind: str) -> None:
    lab = lab_pki(target)
    content, expected = _PASSWORD_FILES[kind]
    run = _run(target, tmp_path, _ca_certificate(lab), _honest(lab), lab=lab, password_file=content)
    context = f"PWF-1: enrolment with the password file {content!r}"
    sent = [(r.json() or {}).get("password") for r in run.ca.enrolments()]
    if expected is None:
        if sent:
            _fail(
                context,
                "the file refused before anything is sent (non-zero exit)",
                run,
                f"the CA received the password(s) {sent!r}",
            )
        if run.returncode == 0:
            _fail(context, "a non-zero exit status (the file refused)", run)
        shown = [p for p in content.decode("utf-8", "replace").splitlines() if len(p) >= 6]
        if any(p in run.output for p in shown):
            _fail(context, "an error that does not show the password", run)
        return
    if run.returncode != 0 or not sent:
        _fail(context, f"exit 0 and the password {expected!r} sent", run)
    if any(p != expected for p in sent):
        _fail(context, f"the password {expected!r} exactly", run, f"the CA received {sent!r}")


def _other_key(lab: LabPKI) -> Answer:
    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        alias = str((body or {}).get("alias") or ALIAS)
        cert = lab.root.issue(CertProfile(common_name=alias))  # a key the CA made
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps({"certificate": cert.pem}).encode(),
        )

    return answer


def _fixed(status: int, headers: dict[str, str], body: bytes) -> Answer:
    def answer(_body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "application/json", **headers}, body

    return answer


def _truncated(lab: LabPKI) -> Answer:
    honest = _honest(lab)

    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        status, headers, payload = honest(body)
        if status != 200:
            return status, headers, payload
        pem = json.loads(payload)["certificate"]
        return 200, headers, json.dumps({"certificate": pem[: len(pem) // 2]}).encode()

    return answer


def _other_key_first(lab: LabPKI) -> Answer:
    """`certificate` holding two PEM blocks: first a root-issued certificate for another
    key, then the one for the CSR's key. A client that takes the last block (or any block
    for its key) but stores the text as received leaves the other key's certificate first,
    where every TLS stack takes its leaf from."""
    honest = _honest(lab)

    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        status, headers, payload = honest(body)
        if status != 200:
            return status, headers, payload
        alias = str((body or {}).get("alias") or ALIAS)
        other = lab.root.issue(CertProfile(common_name=alias))
        both = other.pem + json.loads(payload)["certificate"]
        return 200, headers, json.dumps({"certificate": both}).encode()

    return answer


def _mismatched_identity(run: Run, root_der: bytes) -> str:
    """Empty unless {out} pairs a stored private key with a certificate not its own: a
    file whose first employee certificate (the root skipped: it holds no employee key)
    holds none of the stored keys. What CA-ENR-12 forbids whatever the exit status: "no
    identity is left that pairs the key with a certificate not its own"."""
    stored = _stored(run.out)
    keys = {k.public_der() for _p, k, _m in stored.keys if k is not None}
    if not keys:
        return ""
    firsts: dict[Path, bytes] = {}
    for path, der in stored.certs:
        if der != root_der and path not in firsts:
            firsts[path] = der
    wrong = [p.name for p, der in firsts.items() if _cert_spki(der) not in keys]
    if not wrong:
        return ""
    return (
        f"the first certificate of {wrong} holds none of the stored private keys "
        f"({[p.name for p, _k, _m in stored.keys]})"
    )


_ANSWERS: dict[str, Callable[[LabPKI], Answer]] = {
    "other_key": _other_key,
    "other_key_first": _other_key_first,
    "auth_failed_401": lambda _lab: _fixed(
        401, {}, b'{"error": "auth_failed", "message": "wrong alias or password"}'
    ),
    "throttled_429": lambda _lab: _fixed(
        429, {"Retry-After": "1"}, b'{"error": "throttled", "message": "retry later"}'
    ),
    "server_error_500": lambda _lab: _fixed(
        500, {}, b'{"error": "internal", "message": "try again"}'
    ),
    "not_pem": lambda _lab: _fixed(200, {}, b'{"certificate": "not a certificate"}'),
    "not_json": lambda _lab: _fixed(200, {"Content-Type": "text/plain"}, b"enrolled!\n"),
    "truncated_pem": _truncated,
}


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize("kind", list(_ANSWERS))
def test_enrolment_client_judges_the_answer(target: Target, tmp_path: Path, kind: str) -> None:
    lab = lab_pki(target)
    started = time.monotonic()
    run = _run(target, tmp_path, _ca_certificate(lab), _ANSWERS[kind](lab), lab=lab)
    if not run.ca.enrolments():
        inconclusive(f"the client sent no enrolment request ({run.describe()})")
    context = (
        f"CA-ENR-12: the CA answers the enrolment with {kind} "
        f"(run of {time.monotonic() - started:.1f} s)"
    )
    _judge_own_key(run, context, must_succeed=False)
    # Whatever the exit status: a client that writes the answer before judging it, or
    # stores the body as received, leaves a key beside a certificate not its own.
    assert target.root is not None
    mismatch = _mismatched_identity(run, pem_decode(target.root.read_bytes()))
    if mismatch:
        _fail(
            context,
            "no identity left that pairs the locally made key with a certificate not its "
            "own (the answer refused and nothing kept, or only a certificate for the key)",
            run,
            mismatch,
        )


def _issued_for_key(issue: Callable[[str, KeyPair], Certificate]) -> Answer:
    """A 200 whose certificate holds the CSR's own key, made by `issue(alias, key)`."""

    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        spki = _csr_spki((body or {}).get("csr"))
        key = _public_key(spki) if spki is not None else None
        alias = (body or {}).get("alias")
        if key is None or not isinstance(alias, str):
            return 400, {"Content-Type": "application/json"}, b'{"error": "bad_csr"}'
        payload = json.dumps({"certificate": issue(alias, key).pem}).encode()
        return 200, {"Content-Type": "application/json"}, payload

    return answer


# Certificates for the CSR's OWN key that are still not the enrolment's [CA-ENR-12]: the
# key matches, so a client that checks only "does it hold my key" keeps them.
_NOT_OURS: dict[str, Callable[[LabPKI], Answer]] = {
    # issued by another CA: a client that never verifies the signature with its root
    "foreign_issuer": lambda lab: _issued_for_key(
        lambda alias, key: lab.foreign.issue(CertProfile(common_name=alias), key=key)
    ),
    # the root's name and key identifier copied, another key signed: a client that
    # compares the issuer's name (or AKI) with the root's instead of the signature
    "impostor_issuer": lambda lab: _issued_for_key(
        lambda alias, key: lab.impostor_root().issue(CertProfile(common_name=alias), key=key)
    ),
    # root-issued for the key, for another employee: a client that never reads the CN
    "other_alias": lambda lab: _issued_for_key(
        lambda alias, key: lab.root.issue(CertProfile(common_name=f"x{alias}"[:64]), key=key)
    ),
}


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize("kind", list(_NOT_OURS))
def test_enrolment_client_refuses_its_key_certified_by_another(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    run = _run(target, tmp_path, _ca_certificate(lab), _NOT_OURS[kind](lab), lab=lab)
    if not run.ca.enrolments():
        inconclusive(f"the client sent no enrolment request ({run.describe()})")
    if run.returncode == 0:
        _fail(
            f"CA-ENR-12: the CA answers 200 with a certificate for the CSR's own key, {kind} "
            "(issued by another CA / by an impostor copying the root's name and key "
            "identifier / for another alias)",
            "the enrolment fails (non-zero exit): a certificate is kept only if it holds "
            "the key, names the alias asked for and verifies with the organisation root",
            run,
            "exit 0: the enrolment was reported done",
        )


_REFUSALS: dict[str, Answer] = {
    "auth_failed_401": _fixed(
        401, {}, b'{"error": "auth_failed", "message": "wrong alias or password"}'
    ),
    "server_error_500": _fixed(500, {}, b'{"error": "internal", "message": "try again"}'),
}


@pytest.mark.req("PWF-1", "CA-ENR-12")
@pytest.mark.parametrize("answer", list(_REFUSALS))
def test_enrolment_client_sends_the_password_exactly_when_refused(
    target: Target, tmp_path: Path, answer: str
) -> None:
    """A CA that answers every login `401` (or `500`): the client MAY try again, but every
    password it sends is the file's, exactly (PWF-1: nothing trimmed). A client that
    retries a refused password "cleaned" (stripped of the spaces a paste may have added)
    sends a password the file does not hold."""
    lab = lab_pki(target)
    content, expected = b"  Zq7 padded pw  \n", "  Zq7 padded pw  "
    refused = _REFUSALS[answer]
    run = _run(target, tmp_path, _ca_certificate(lab), refused, lab=lab, password_file=content)
    sent = [(r.json() or {}).get("password") for r in run.ca.enrolments()]
    if not sent:
        inconclusive(f"the client sent no enrolment request ({run.describe()})")
    context = f"PWF-1: enrolment with the password file {content!r}, every login answered {answer}"
    if any(p != expected for p in sent):
        _fail(
            context,
            f"every password sent is {expected!r} exactly",
            run,
            f"sent {sent!r}",
            req="PWF-1",
        )
    if run.returncode == 0:
        _fail(context, "a non-zero exit status (the CA refused the password)", run, req="CA-ENR-12")
