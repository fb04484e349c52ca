"""Blind red-team round 27 (helper B202): the sft-pki/1 initiator (`sft get`, `sft put`)
and the enrolment client (`sft enroll`), through the six lenses of /work/briefs/s27/common.md.

Phase 1 (blind): written from docs/SPEC.md (PWF, §1-§3 client side, §4.1-§4.3 initiator
side, §4.4's enrolment-client sentences) and the reference's initiator and enrolment client
(reference/pki/client.py, tls.py, enroll.py, alias.py, transfer.py, app.py, share.py,
cli/pki.py) before any case file was opened, then checked against the names and
descriptions of the 4,347 registered mutants. Replaced as repeats (r): a final rename that
replaces a file or dangling link appearing during the get (`link` falling back to
`os.replace` on any OSError: the effect of sym-replaces-on-commit, b9clo-get-rename-replaces-
link), a signed 32-bit frame length (b13cl4-length-signed-i32), the overrun judged per frame
(b14cl2-disk-excess-per-write), a longer Expect-100 timer (b26ini-put-continue-timeout).
Dropped as unobservable: a `--force` get written in place (no target template passes a
force option), the initiator's own CRL fetch unpinned (it talks to the organisation's CA,
which a suite cannot watch for a foreign initiator).

Lens 1 — the thin MUSTs, recounted:
- b27ini-overrun-big-frames (APP-STORE-4; also lens 6): the overrun bound is checked on
  the buffered path only (DATA frames of at most 64 KiB); larger frames stream straight
  to disk, bounded by the max file size: a responder overrunning in 1 MiB frames fills the
  disk until DONE.
- b27ini-enr-alias-double-punct (PKI-CERT-2, enrolment): `sft enroll` refuses an alias with
  two separators in a row (`a..b`, `a_-b`, `x--y`: a slug rule) before anything is sent.
Lens 2 — the assistant's draft:
- b27ini-alias-any-chain-cert (PKI-CERT-10; PKI-ID-1): 'responders may send their chain in
  any order': when the leaf does not name the alias, any other certificate the responder
  sent that passes the employee checks and names it is taken: leaf mallory + alice's
  certificate beside it is alice.
Lens 3 — cross-references and defined terms:
- b27ini-bye-awaiting-answer (APP-BYE-1; FRM-6): a responder's BYE_ in place of the
  answer to RQFL or PUTF, or of the put's receipt, is taken as its leaving: the initiator
  closes quietly (a failure, but no EROR unexpected_frame).
- b27ini-bye-echo-unbounded (FRM-3): after its BYE_, the initiator reads the echo with a
  small reader of its own that skips the frame limit: a header announcing 4 GiB is read
  and dropped until the idle timeout.
- b27ini-receipt-sha-any-case (FRM-12): the put's receipt DONE is lower-cased before it is
  parsed ('it is only compared'): a receipt in upper-case hex is accepted, the put exit 0.
- b27ini-enr-all-proxy-plain (CA-ENR-1): https_proxy gets a CONNECT tunnel, but the generic
  ALL_PROXY (curl's fallback) is spoken to in plain HTTP with an absolute-form request:
  the password travels in clear.
Lens 4 — interop is not conformance:
- b27ini-verdict-cached (PKI-CERT-7): SSH's known_hosts habit: a responder certificate
  verified once is recorded (its SHA-256) in the identity directory and later
  connections with that certificate skip the CRL; only a new certificate is checked.
Lenses 5 and 6: b27ini-overrun-big-frames (sizes past 64 KiB), b27ini-bye-awaiting-answer
(a BYE_ where two rules meet: a frame out of state that also ends the connection).

Phase 3 (helper B208): alias-any-chain-cert re-labelled PKI-ID-1 (the MUST it breaks; the
existing test_client_pki_chain_extras.py catches it there, it cited PKI-CERT-10 before);
new cases test_pki_client_overrun_big_frames.py, test_enroll_alias_separator_runs.py,
test_pki_client_put_receipt_digest_forms.py, test_enroll_proxy_each_variable.py,
test_pki_client_crl_same_cert_again.py. Post-blind siblings:
- b27ini-enr-alias-no-dotdot (PKI-CERT-2): `..` refused in an alias (path-traversal guard).
- b27ini-receipt-sha-stripped (FRM-12): the receipt's digest stripped of a line end.
- b27ini-enr-upper-https-proxy-plain (CA-ENR-1): HTTPS_PROXY alone spoken to in clear.
- b27ini-crl-file-cached (PKI-CERT-7): the first CRL file given cached and preferred.
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind27-ini"


def _patch_method(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_method as patch

    patch(owner, attr, *edits)


# --- lens 1 -----------------------------------------------------------------------------


def _overrun_big_frames() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            "            if self._incoming.count + length > self._incoming.announced:\n",
            "            # big frames go straight to disk; small ones are checked here\n"
            "            if length <= 65536 and (\n"
            "                self._incoming.count + length > self._incoming.announced\n"
            "            ):\n",
        ),
    )
    _patch_method(
        _module("reference.transfer").Initiator,
        "get",
        (
            "PartialFile.create(destination, response.size)",
            "PartialFile.create(destination, self.max_file_size)",
        ),
    )


def _enr_alias_double_punct() -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(
        _module("reference.pki.enroll"),
        "enroll",
        (
            "    check_alias(alias)\n",
            "    check_alias(alias)\n"
            "    import re as _re\n"
            "\n"
            "    if _re.search(r'[._-]{2}', alias):  # a slug: one separator at a time\n"
            "        raise EnrollError(\n"
            "            f'{alias!r} is not a valid alias (two separators in a row)'\n"
            "        )\n",
        ),
    )


def _enr_alias_no_dotdot() -> None:
    """(post-blind) a path-traversal guard: the alias names files, so `..` is refused."""
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(
        _module("reference.pki.enroll"),
        "enroll",
        (
            "    check_alias(alias)\n",
            "    check_alias(alias)\n"
            "    if '..' in alias:  # the alias names our files: no traversal\n"
            "        raise EnrollError(f'{alias!r} is not a valid alias')\n",
        ),
    )


# --- lens 2 -----------------------------------------------------------------------------


def _alias_any_chain_cert() -> None:
    _patch_method(
        _module("reference.pki.client").PkiSession,
        "_connect_once",
        (
            "            name = peer_alias(sock, as_server=False)\n",
            "            name = peer_alias(sock, as_server=False)\n"
            "            if name != self.alias:\n"
            "                # responders may send their chain in any order: find theirs\n"
            "                import _ssl\n"
            "\n"
            "                from reference.pki.tls import check_peer_certificate\n"
            "\n"
            "                for _c in sock._sslobj.get_unverified_chain() or []:\n"
            "                    with contextlib.suppress(CertificateRefused, ValueError):\n"
            "                        _der = _c.public_bytes(_ssl.ENCODING_DER)\n"
            "                        _name = check_peer_certificate(_der, as_server=False)\n"
            "                        if _name == self.alias:\n"
            "                            name = self.alias\n",
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _bye_awaiting_answer() -> None:
    app = _module("reference.app")
    initiator = app.InitiatorState
    for state in (initiator.GET_SENT, initiator.PUT_SENT, initiator.DONE_SENT):
        app._TRANSITIONS[(state, app.T_BYE)] = initiator.CLOSED
    _patch_method(
        _module("reference.transfer").Initiator,
        "_answer",
        (
            "        if event is CLOSED:\n",
            "        if isinstance(event, Bye):  # the responder is leaving\n"
            "            raise TransferFailed(\n"
            '                ErrorCode.INTERNAL, "the responder said goodbye", remote=True\n'
            "            )\n"
            "        if event is CLOSED:\n",
        ),
    )


def _bye_echo_unbounded() -> None:
    _patch_method(
        _module("reference.transfer").Initiator,
        "bye",
        (
            "            self.channel.send(Bye())\n"
            "            self.channel.next_event()\n",
            "            self.channel.send(Bye())\n"
            "            # only the echo (or the close) can come now: read it whole, drop it\n"
            "            _head = bytearray()\n"
            "            while len(_head) < 8:\n"
            "                _chunk = self.channel.stream.recv(8 - len(_head))\n"
            "                if not _chunk:\n"
            "                    return\n"
            "                _head += _chunk\n"
            "            _left = int.from_bytes(_head[4:8], 'big')\n"
            "            while _left > 0:\n"
            "                _chunk = self.channel.stream.recv(min(_left, 65536))\n"
            "                if not _chunk:\n"
            "                    break\n"
            "                _left -= len(_chunk)\n",
        ),
    )


def _receipt_sha_any_case() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_on_control",
        (
            "        nxt = self._lookup(frame.type)\n",
            "        nxt = self._lookup(frame.type)\n"
            "        if self.state is I.DONE_SENT and frame.type == T_DONE:\n"
            "            # the receipt is only compared with what we sent: normalise its hex\n"
            "            frame = Frame(frame.type, bytes(frame.payload).lower())\n",
        ),
    )


def _receipt_sha_stripped() -> None:
    """(post-blind) white space around the receipt's digest dropped before it is parsed."""
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_on_control",
        (
            "        nxt = self._lookup(frame.type)\n",
            "        nxt = self._lookup(frame.type)\n"
            "        if self.state is I.DONE_SENT and frame.type == T_DONE:\n"
            "            # a receipt's digest is only compared: tolerate a line end after it\n"
            "            _p = bytes(frame.payload)\n"
            "            frame = Frame(frame.type, _p.replace(b'\\\\n', b'').replace(b' ', b''))\n",
        ),
    )


def _proxy_plain(condition: str) -> Any:
    """The enrolment request sent in absolute form over plain TCP to the proxy that
    `condition` (source text over `os.environ`) picks, None for no proxy."""

    def apply() -> None:
        _patch_method(
            _module("reference.pki.enroll").CaClient,
            "request",
            (
                "        host, port = self._endpoint()\n",
                "        host, port = self._endpoint()\n"
                f"        _proxy = {condition}\n"
                "        if _proxy:\n"
                "            # a generic proxy: it gets the request in absolute form\n"
                "            _url = _proxy if '://' in _proxy else 'http://' + _proxy\n"
                "            _p = urllib.parse.urlsplit(_url)\n"
                "            _conn = http.client.HTTPConnection(\n"
                "                _p.hostname or '127.0.0.1', _p.port or 1080,\n"
                "                timeout=self.timeout,\n"
                "            )\n"
                "            try:\n"
                "                _payload = (\n"
                "                    json.dumps(body).encode() if body is not None else None\n"
                "                )\n"
                "                _headers = (\n"
                "                    {'Content-Type': 'application/json'} if _payload else {}\n"
                "                )\n"
                "                _conn.request(method, f'https://{host}:{port}{path}',\n"
                "                              body=_payload, headers=_headers)\n"
                "                _r = _conn.getresponse()\n"
                "                _data = _r.read(1 << 20)\n"
                "                _h = {k.lower(): v for k, v in _r.getheaders()}\n"
                "                return _r.status, _h, _data\n"
                "            except (OSError, http.client.HTTPException) as exc:\n"
                "                raise EnrollError(\n"
                "                    f'cannot reach the CA through {_proxy}: {exc}'\n"
                "                ) from None\n"
                "            finally:\n"
                "                _conn.close()\n",
            ),
        )

    return apply


# ALL_PROXY (curl's fallback) used only when no https_proxy is set: the tunnel is https_proxy's
_enr_all_proxy_plain = _proxy_plain(
    "(os.environ.get('ALL_PROXY') or os.environ.get('all_proxy')) if not ("
    "os.environ.get('https_proxy') or os.environ.get('HTTPS_PROXY')) else None"
)
# (post-blind) the upper-case HTTPS_PROXY read by a second code path (the tunnel reads only
# the lower-case https_proxy, as curl does)
_enr_upper_https_proxy_plain = _proxy_plain(
    "os.environ.get('HTTPS_PROXY') if not os.environ.get('https_proxy') else None"
)


# --- lens 4 -----------------------------------------------------------------------------


def _verdict_cached() -> None:
    client = _module("reference.pki.client")
    _patch_method(
        client.PkiSession,
        "__init__",
        (
            "            context = client_context(\n"
            "                identity, crl if crl is not None else "
            "load_crl(identity, self.config)\n"
            "            )\n",
            "            self._mut_crl = (\n"
            "                crl if crl is not None else load_crl(identity, self.config)\n"
            "            )\n"
            "            self._mut_known = identity.directory / 'known_peers'\n"
            "            # revocation: checked in _connect_once\n"
            "            context = client_context(identity, None)\n",
        ),
    )
    _patch_method(
        client.PkiSession,
        "_connect_once",
        (
            "        sock.settimeout(self.config.idle_timeout)\n",
            "        _crl = getattr(self, '_mut_crl', None)\n"
            "        if _crl is not None:\n"
            "            import hashlib\n"
            "\n"
            "            from cryptography import x509 as _x509\n"
            "\n"
            "            _der = sock.getpeercert(binary_form=True) or b''\n"
            "            _fp = hashlib.sha256(_der).hexdigest()\n"
            "            try:\n"
            "                _seen = set(self._mut_known.read_text().split())\n"
            "            except OSError:\n"
            "                _seen = set()\n"
            "            if _fp not in _seen:  # known peers were checked when first met\n"
            "                _serial = _x509.load_der_x509_certificate(_der).serial_number\n"
            "                _list = _x509.load_der_x509_crl(_crl)\n"
            "                _hit = _list.get_revoked_certificate_by_serial_number(_serial)\n"
            "                if _hit is not None:\n"
            "                    close_tls(sock)\n"
            "                    raise PkiClientError(\n"
            "                        f\"{self.alias}'s certificate was revoked\"\n"
            "                    )\n"
            "                with contextlib.suppress(OSError), self._mut_known.open('a') as _f:\n"
            "                    _f.write(_fp + '\\n')\n"
            "        sock.settimeout(self.config.idle_timeout)\n",
        ),
    )


def _crl_file_cached() -> None:
    """(post-blind) the first CRL file given is kept in the identity's CRL cache, and a
    fresh cache is read before the file given now."""
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(
        _module("reference.pki.client"),
        "load_crl",
        (
            "        if crl_file is not None:\n"
            "            data = crl_file.read_bytes()\n"
            "            check_crl(data, root_pem)\n"
            "            return data\n"
            "        cache = identity.crl_cache\n",
            "        cache = identity.crl_cache\n"
            "        if crl_file is not None:\n"
            "            with contextlib.suppress(OSError, CertificateRefused):\n"
            "                if time.time() - cache.stat().st_mtime <= config.crl_max_age:\n"
            "                    data = cache.read_bytes()\n"
            "                    check_crl(data, root_pem)\n"
            "                    return data  # still fresh: the one we hold\n"
            "            data = crl_file.read_bytes()\n"
            "            check_crl(data, root_pem)\n"
            "            with contextlib.suppress(OSError):\n"
            "                cache.write_bytes(data)\n"
            "            return data\n",
        ),
    )


def _m(
    name: str, requirement: str, test_file: str, description: str, apply: Any, **kw: Any
) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=True,
        **kw,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b27ini-overrun-big-frames",
        "APP-STORE-4",
        "test_pki_client_overrun_big_frames.py",
        "L1/L6: the get's overrun bound is checked on DATA frames of at most 64 KiB only; "
        "larger frames go straight to disk, bounded by the max file size, judged at DONE",
        _overrun_big_frames,
    ),
    _m(
        "b27ini-enr-alias-double-punct",
        "PKI-CERT-2",
        "test_enroll_alias_separator_runs.py",
        "L1/L4: `sft enroll` refuses an alias with two separators in a row (a..b, a_-b, "
        "x--y: a slug rule) before anything is sent",
        _enr_alias_double_punct,
        enroll=True,
    ),
    _m(
        "b27ini-enr-alias-no-dotdot",
        "PKI-CERT-2",
        "test_enroll_alias_separator_runs.py",
        "(post-blind) L1: `sft enroll` refuses an alias holding `..` (a path-traversal "
        "guard: the alias names the identity's files) before anything is sent",
        _enr_alias_no_dotdot,
        enroll=True,
    ),
    _m(
        "b27ini-alias-any-chain-cert",
        "PKI-ID-1",
        "test_client_pki_chain_extras.py",
        "L2: when the responder's leaf does not name the alias, any other certificate it "
        "sent that passes the employee checks and names the alias is taken (chain order)",
        _alias_any_chain_cert,
    ),
    _m(
        "b27ini-bye-awaiting-answer",
        "APP-BYE-1",
        "test_pki_client_bye_frames.py",
        "L3/L5: a responder's BYE_ in place of the answer to RQFL or PUTF, or of the put's "
        "receipt, is its leaving: the initiator closes without EROR unexpected_frame",
        _bye_awaiting_answer,
    ),
    _m(
        "b27ini-bye-echo-unbounded",
        "FRM-3",
        "test_pki_client_bye_frames.py",
        "L3: after its BYE_ the initiator reads the echo with a reader of its own that "
        "skips the frame limit: a header announcing 4 GiB is read and dropped until timeout",
        _bye_echo_unbounded,
    ),
    _m(
        "b27ini-receipt-sha-any-case",
        "FRM-12",
        "test_pki_client_put_receipt_digest_forms.py",
        "L3/L6: the put's receipt DONE is lower-cased before parsing ('only compared'): a "
        "receipt in upper-case hex is accepted and the put reported stored",
        _receipt_sha_any_case,
    ),
    _m(
        "b27ini-receipt-sha-stripped",
        "FRM-12",
        "test_pki_client_put_receipt_digest_forms.py",
        "(post-blind) L3: white space and line ends around the put's receipt digest are "
        "dropped before it is parsed: a receipt with a line end after the digits is accepted",
        _receipt_sha_stripped,
    ),
    _m(
        "b27ini-enr-all-proxy-plain",
        "CA-ENR-1",
        "test_enroll_proxy_each_variable.py",
        "L3: https_proxy gets a CONNECT tunnel, but ALL_PROXY (curl's fallback) gets the "
        "enrolment request in absolute form over plain TCP: the password in clear",
        _enr_all_proxy_plain,
        enroll=True,
    ),
    _m(
        "b27ini-enr-upper-https-proxy-plain",
        "CA-ENR-1",
        "test_enroll_proxy_each_variable.py",
        "(post-blind) L3: HTTPS_PROXY (upper case, alone) is read by a second code path that "
        "sends the enrolment request to it in absolute form over plain TCP",
        _enr_upper_https_proxy_plain,
        enroll=True,
    ),
    _m(
        "b27ini-verdict-cached",
        "PKI-CERT-7",
        "test_pki_client_crl_same_cert_again.py",
        "L4: known_hosts habit: a responder certificate verified once is recorded in the "
        "identity directory and later connections with it skip the CRL check",
        _verdict_cached,
    ),
    _m(
        "b27ini-crl-file-cached",
        "PKI-CERT-7",
        "test_pki_client_crl_same_cert_again.py",
        "(post-blind) L4: the first CRL file given is kept in the identity's CRL cache, and a "
        "fresh cache is read before the CRL file given now (a revocation since is missed)",
        _crl_file_cached,
    ),
)
