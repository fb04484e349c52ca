"""Blind red-team round 2, the CLIENTS (brief B2): bugs planted in the reference's
initiators (sft-eke/1 client, sft-pki/1 initiator), written from docs/SPEC.md and the
reference's client modules only, before looking at the suite's cases.

Every mutant is `client=True`: the embedded server stays honest and the suite judges the
mutated reference CLIENT through the target's `client_cmd` / `client_put_cmd`.

Blind list (phase 1), name -> requirement -> the implementer's mistake:

sft-eke/1 client
- b2cli-eke-c2-failure-ignored -> EKE-HS-4: C2 that does not open is "fine", Ns taken as
  zeros, EKE3 sent anyway (C2 seen as optional because EKE4 proves the server).
- b2cli-eke-no-eror-on-bad-c2 -> EKE-HS-4: a bad C2 closes silently ("tell an attacker
  nothing"), no EROR auth_failed.
- b2cli-eke-c4-na-unchecked -> EKE-HS-7: C4 must authenticate, but its plaintext is not
  compared with our Na.
- b2cli-eke-y-mod-p -> EKE-X-3: B's X' is reduced mod p instead of refused when >= p.
- b2cli-eke-y-unvalidated -> EKE-KS-2: the client validates no received element: Y' of
  0, 1, p-1 and Z of 0, 1, p-1 all go through.
- b2cli-eke-sign-bit-fixed -> EKE-X-2: X' = X always (the random ± forgotten).
- b2cli-eke-na-derived -> EKE-HS-10: Na = HMAC(pw, user), the same in every handshake.
- b2cli-eke-bad-record-skipped -> EKE-REC-4: a record that fails to authenticate is
  dropped and reading goes on, instead of closing.
- b2cli-eke-put-no-ack-wait -> APP-PUT-10: the put is reported done once our DONE is sent,
  without waiting for the server's DONE.
- b2cli-eke-put-exists-ok -> APP-PUT-10: the CLI exits 0 on `exists` ("already there").
- b2cli-eke-sweep-all-partials -> APP-STORE-3: at start the get sweeps EVERY .sft-partial-*
  in its output directory, also a live one of another initiator.
- b2cli-eke-rsfl-name-used -> APP-GET-7: when RSFL.name differs from the request, the
  client stores under the server's name ("the server renamed it").
- b2cli-eke-no-sigterm-cleanup -> APP-STORE-3: the get installs no SIGTERM handler: a
  SIGTERM mid-transfer leaves the temporary file behind.

both profiles (one mutant each: b2cli-eke-... and b2cli-pki-...)
- *-rsfl-sha-ignored -> APP-GET-3: RSFL.sha256 is not compared at DONE.
- *-rsfl-size-ignored -> APP-GET-3: DONE.size is compared with the bytes received but
  not with RSFL.size.
- *-put-accept-lenient -> APP-PUT-9: RSFL after PUTF parsed with `accept` an optional
  bool: `"accept": false` or no `accept` is taken as acceptance.
- *-writes-final-name -> APP-STORE-5: the get writes straight into the final name (no
  temporary file); a SIGKILL leaves a partial file under the final name.
- *-partial-world-readable -> APP-STORE-1: the temporary file is created 0644.
- *-partial-not-removed -> APP-STORE-3: a failed get leaves its temporary file behind.
- *-force-default -> APP-GET-6: the CLI passes overwrite=True: an existing output file is
  replaced without --force.

sft-pki/1 initiator
- b2cli-pki-alias-prefix -> PKI-ID-4: the responder's CN is accepted when it starts with
  the asked alias (`bob` accepts `bobby`).
- b2cli-pki-eku-client-checked -> PKI-CERT-5: the initiator checks the responder's EKU
  for clientAuth (the as_server flag inverted), not serverAuth.
- b2cli-pki-ca-true-accepted -> PKI-CERT-6: BasicConstraints CA:TRUE not refused.
- b2cli-pki-any-ec-curve -> PKI-CERT-9: any EC curve accepted (P-384 responder key).
- b2cli-pki-crl-not-checked -> PKI-CERT-7: the CRL is loaded but VERIFY_CRL_CHECK_LEAF is
  not set: a revoked responder is accepted.
- b2cli-pki-no-close-notify -> PKI-TLS-7: the initiator ends with a bare close (FIN, no
  close_notify).
- b2cli-pki-tls12-offered -> PKI-TLS-1: the initiator's context allows TLS 1.2.
- b2cli-pki-groups-unpinned -> PKI-TLS-9: the initiator also offers ffdhe2048 and x448.
- b2cli-pki-put-closed-is-success -> APP-PUT-10: the responder closing in place of its
  DONE is taken as success.
- b2cli-pki-eof-completes-get -> APP-GET-5: the end of the stream between DATA frames ends
  the get and the data is kept (the seed protocol's "EOF = end of file").
- b2cli-pki-chain-unverified -> PKI-CERT-4: verify_mode CERT_NONE; the alias/EKU checks
  on the presented certificate are taken as enough.

Phase 2 (the suite as it stood): 32 of the 38 detected (84 %). Survivors:
- b2cli-eke-rsfl-name-used (APP-GET-7): no eke client case for RSFL.name (pki had one).
- b2cli-pki-rsfl-sha-ignored (APP-GET-3): caught by test_app_integrity.py's default
  rsfl-sha256 lie (test_pki_initiator_transfer.py's is slow): test_file repointed.
- b2cli-pki-tls12-offered (PKI-TLS-1): nothing looked at the initiator's versions.
- b2cli-pki-put-closed-is-success (APP-PUT-10): as written blind it changed nothing (a
  close after DONE reaches the initiator as TruncatedStream, not TransferFailed): rewritten
  to catch that; then it survived too, no case closed in place of DONE.
- b2cli-pki-eku-client-checked (PKI-CERT-5) and b2cli-pki-any-ec-curve (PKI-CERT-9):
  EQUIVALENT on the reference, dropped: OpenSSL's sslserver purpose check refuses every
  responder certificate the inverted flag would let through, and the pinned signature
  algorithms (PKI-TLS-9) leave a P-384 responder no way to finish the handshake.
  Replaced by the observable members of their families (no-eku-any-purpose,
  sha2-family-accepted; both caught by the existing cases).

Phase 3: cases added (test_eke_client_transfer.py APP-GET-7, test_pki_hardening.py
PKI-TLS-1, test_client_put.py close in place of DONE, test_pki_initiator_transfer.py
PKI-TLS-7 after a fatal EROR, test_eke_client.py user name as given) and the mutants of
the families they close: pki-rsfl-name-used, eke-put-closed-is-success,
pki-failure-bare-close, eke-user-normalised; and digest-prefix on both profiles (the eke
lies now carry a digest wrong in its last hex digit only, as the pki ones do). Also
test_pki_initiator_transfer.py FRM-4 (frames cut across TLS records), which the
reference's buffered reader cannot get wrong in one line: shown on pki1 (fault
b2-initiator-recv-once) instead.
"""

from __future__ import annotations

import hmac
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _hs() -> Any:
    return _module("reference.eke.handshake")


def _crypto() -> Any:
    return _module("reference.eke.crypto")


# --- sft-eke/1 client ------------------------------------------------------------------


def _c2_failure_ignored() -> None:
    _patch_source(
        _hs().ClientHandshake,
        "_on_eke2",
        (
            'ns = crypto.open_confirm(keys.kcs, 2, _hex(obj, "c"), self._th)',
            "try:\n"
            '        ns = crypto.open_confirm(keys.kcs, 2, _hex(obj, "c"), self._th)\n'
            "    except AuthenticationFailed:\n"
            "        ns = bytes(crypto.NONCE_LEN)  # mutant: EKE4 will tell",
        ),
    )


def _no_eror_on_bad_c2() -> None:
    _patch_source(
        _hs().ClientHandshake,
        "_should_answer",
        (
            "return not isinstance(exc, ServerNotAuthenticated) and exc.code is not "
            "ErrorCode.TIMEOUT",
            "return exc.code not in (ErrorCode.TIMEOUT, ErrorCode.AUTH_FAILED)  # mutant",
        ),
    )


def _c4_na_unchecked() -> None:
    _patch_source(
        _hs().ClientHandshake,
        "_on_eke4",
        ("if not hmac.compare_digest(na, self._na):", "if not na:  # mutant: Na not compared"),
    )


def _y_mod_p() -> None:
    _patch_source(
        _crypto(),
        "pm_decode",
        ('value = int.from_bytes(encoded, "big")', 'value = int.from_bytes(encoded, "big") % P'),
    )


def _y_unvalidated() -> None:
    crypto = _crypto()
    _patch_source(
        crypto, "pm_decode", ("if value in (0, 1, P - 1) or value >= P:", "if value >= P:")
    )
    _patch_source(
        crypto,
        "shared_secret",
        ("if not 1 < peer_element < P - 1:", "if peer_element < 0:"),
        ("if z in (0, 1, P - 1):", "if z < 0:"),
    )


def _sign_bit_fixed() -> None:
    crypto = _crypto()

    def hide_element(pw: bytes, element: int) -> bytes:
        return bytes(crypto._hide_element_from_parts(pw, element, sign_bit=0))

    crypto.hide_element = hide_element


def _na_derived() -> None:
    hs = _hs()
    original = hs.ClientHandshake._setup

    def _setup(
        self: Any, user: str, pw: bytes, *, ephemeral: Any, sign_bit: Any, na: bytes
    ) -> None:
        na = hmac.new(pw, user.encode("utf-8"), "sha256").digest()
        original(self, user, pw, ephemeral=ephemeral, sign_bit=sign_bit, na=na)

    hs.ClientHandshake._setup = _setup


def _bad_record_skipped() -> None:
    _patch_source(
        _module("reference.eke.records").RecordReader,
        "_next_frame",
        (
            "inner = self._opener.open(header, sealed)",
            "try:\n"
            "        inner = self._opener.open(header, sealed)\n"
            "    except RemoteProtocolError:  # mutant: a bad record is dropped\n"
            "        self._have, self._length = 0, None\n"
            "        return self._next_frame()",
        ),
    )


def _put_no_ack_wait() -> None:
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "put",
        (
            "done = self._next(stream)\n"
            "        if not isinstance(done, Done):\n"
            '            raise TransferFailed("unexpected answer from the server")\n',
            "pass  # mutant: the server's DONE is not awaited\n",
        ),
    )


def _put_exists_ok() -> None:
    _patch_source(
        _module("reference.cli.eke"),
        "_put",
        (
            "except ClientError as exc:\n        bar.finish()\n",
            "except ClientError as exc:\n        bar.finish()\n"
            '        if exc.code is not None and exc.code.wire_name == "exists":\n'
            "            return 0  # mutant: already there\n",
        ),
    )


def _sweep_all_partials() -> None:
    _patch_source(
        _module("reference.cli.eke"),
        "_get",
        ("older_than=_STALE", "older_than=None"),
    )


def _rsfl_name_used() -> None:
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "get",
        (
            "return self._receive(stream, answer, destination, overwrite, progress)",
            "if answer.name != name:  # mutant: the server renamed it\n"
            "            destination = destination.parent / answer.name\n"
            "        return self._receive(stream, answer, destination, overwrite, progress)",
        ),
    )


def _no_sigterm_cleanup() -> None:
    _module("reference.cli.eke").stop_on_sigterm = lambda: None


# --- both profiles ---------------------------------------------------------------------


def _rsfl_sha_ignored() -> None:
    _patch_source(
        _module("reference.app")._Transfer,
        "check_done",
        ("if self.expected_sha256 is not None and self.expected_sha256 != sha:", "if False:"),
    )


def _rsfl_size_ignored() -> None:
    _patch_source(
        _module("reference.app")._Transfer,
        "check_done",
        ("done.size == self.announced == self.count", "done.size == self.count"),
    )


def _put_accept_lenient() -> None:
    messages = _module("reference.messages")
    messages._SCHEMAS["RSFL-put"] = {"accept": ("bool", False), "name": ("str", True)}


def _writes_final_name() -> None:
    share = _module("reference.share")
    _patch_source(
        share.PartialFile,
        "__init__",
        (
            'self.temp_name = f"{PARTIAL_PREFIX}{secrets.token_hex(12)}"',
            "self.temp_name = final_name",
        ),
    )
    _patch_source(
        share.PartialFile,
        "commit",
        ("if overwrite:", "if True:  # mutant: written in place"),
    )


def _partial_world_readable() -> None:
    _patch_source(_module("reference.share").PartialFile, "__init__", ("0o600,", "0o644,"))


def _partial_not_removed() -> None:
    _patch_source(
        _module("reference.share").PartialFile,
        "abort",
        ("os.unlink(self.temp_name, dir_fd=self._dir_fd)", "pass  # mutant"),
    )


def _force_default(profile: str) -> Any:
    def apply() -> None:
        _patch_source(
            _module(f"reference.cli.{profile}"),
            "_get",
            ("overwrite=args.force", "overwrite=True"),
        )

    return apply


# --- sft-pki/1 initiator ---------------------------------------------------------------


def _pki_client() -> Any:
    return _module("reference.pki.client")


def _tls() -> Any:
    return _module("reference.pki.tls")


def _alias_prefix() -> None:
    _patch_source(
        _pki_client().PkiSession,
        "_connect_once",
        ("if name != self.alias:", "if not name.startswith(self.alias):"),
    )


def _ca_true_accepted() -> None:
    _patch_source(
        _tls(),
        "check_peer_certificate",
        ("if bc.value.ca or not bc.critical:", "if not bc.critical:"),
    )


def _crl_not_checked() -> None:
    _patch_source(_tls(), "_load_trust", ("ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF", "pass"))


def _no_close_notify() -> None:
    _patch_source(
        _pki_client().PkiSession, "close", ("close_tls(self._sock)", "self._sock.close()")
    )


def _tls12_offered() -> None:
    _patch_source(
        _tls(),
        "client_context",
        (
            "ctx.check_hostname = False",
            "ctx.check_hostname = False\n    ctx.minimum_version = ssl.TLSVersion.TLSv1_2",
        ),
    )


def _groups_unpinned() -> None:
    _tls().TLS13_GROUPS = "X25519:P-256:P-384:X448:ffdhe2048"


def _put_closed_is_success() -> None:
    _patch_source(
        _module("reference.transfer").Initiator,
        "put",
        (
            "ack = self._answer()\n            assert isinstance(ack, Done)",
            "try:\n"
            "                self._answer()\n"
            "            except TruncatedStream:  # mutant: closed after our DONE = stored\n"
            "                pass",
        ),
    )


def _eof_completes_get() -> None:
    app = _module("reference.app")
    app._CLEAN_EOF = frozenset(app._CLEAN_EOF | {app.InitiatorState.RECEIVING})
    _patch_source(
        _module("reference.transfer")._Channel,
        "receive_file",
        (
            "elif isinstance(event, ErrorFrame):",
            "elif event is CLOSED:  # mutant: the end of the stream is the end of the file\n"
            '            return Done(received, "")\n'
            "        elif isinstance(event, ErrorFrame):",
        ),
    )


def _chain_unverified() -> None:
    _patch_source(
        _tls(),
        "client_context",
        ("ctx.verify_mode = ssl.CERT_REQUIRED", "ctx.verify_mode = ssl.CERT_NONE"),
    )


def _no_eku_any_purpose() -> None:
    """Phase 3 (replaces the blind `eku-client-checked`, masked by OpenSSL's purpose check):
    a certificate without ExtendedKeyUsage read as "any purpose" (RFC 5280, OpenSSL)."""
    _patch_source(
        _tls(),
        "check_peer_certificate",
        (
            'raise CertificateRefused(f"{alias}\'s certificate has no extended key usage") '
            "from None",
            "eku = [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]",
        ),
    )


def _sha2_family_accepted() -> None:
    """Phase 3 (replaces the blind `any-ec-curve`, masked by the pinned signature
    algorithms): "SHA-256 or better" — any SHA-2 signature hash accepted."""
    _patch_source(
        _tls(),
        "_check_algorithms",
        (
            "isinstance(cert.signature_hash_algorithm, hashes.SHA256)",
            "isinstance(cert.signature_hash_algorithm, hashes.SHA256 | hashes.SHA384 | "
            "hashes.SHA512)",
        ),
    )


def _pki_rsfl_name_used() -> None:
    _patch_source(
        _module("reference.transfer").Initiator,
        "get",
        (
            "with PartialFile.create(destination, response.size) as partial:",
            "if response.name != name:  # mutant: the responder renamed it\n"
            "            destination = destination.parent / response.name\n"
            "        with PartialFile.create(destination, response.size) as partial:",
        ),
    )


def _eke_put_closed_is_success() -> None:
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "put",
        (
            "done = self._next(stream)\n"
            "        if not isinstance(done, Done):\n"
            '            raise TransferFailed("unexpected answer from the server")\n',
            "try:\n"
            "            done = self._next(stream)\n"
            "        except TransferFailed as exc:  # mutant: only an EROR code is a failure\n"
            "            if exc.code is not None:\n"
            "                raise\n",
        ),
    )


def _failure_bare_close() -> None:
    """Phase 3: the session's clean end only on success; on an error the socket is
    dropped ("the connection is broken anyway"): a bare FIN after a fatal EROR."""
    _patch_source(
        _pki_client().PkiSession,
        "__exit__",
        (
            "self.close()",
            "if exc is None:\n        self.close()\n    else:\n        self._sock.close()",
        ),
    )


def _user_normalised() -> None:
    """Phase 3: the client "cleans" its user name (Unicode NFC) before EKE1 and scrypt."""
    _patch_source(
        _module("reference.cli.eke"),
        "_client",
        (
            "_check_user(args.user)",
            'args.user = __import__("unicodedata").normalize("NFC", args.user)\n'
            "    _check_user(args.user)",
        ),
    )


def _digest_prefix() -> None:
    """Phase 3: digests compared on their first 32 hex digits (the shortened form a
    client shows its user)."""
    _patch_source(
        _module("reference.app")._Transfer,
        "check_done",
        ("done.sha256 == sha", "done.sha256[:32] == sha[:32]"),
        ("self.expected_sha256 != sha", "self.expected_sha256[:32] != sha[:32]"),
    )


def _m(
    name: str, profile: str, requirement: str, test_file: str, description: str, apply: Any
) -> Mutant:
    return Mutant(
        name=f"b2cli-{profile}-{name}",
        group="blind2-client",
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=True,
    )


_EKE_CLIENT_FILE = "test_eke_client.py"
_EKE_TRANSFER_FILE = "test_eke_client_transfer.py"
_PKI_TRANSFER_FILE = "test_pki_initiator_transfer.py"
_PUT_FILE = "test_client_put.py"

_EKE: tuple[Mutant, ...] = (
    _m(
        "c2-failure-ignored",
        "eke",
        "EKE-HS-4",
        _EKE_CLIENT_FILE,
        "a C2 that does not open is ignored (Ns = zeros) and EKE3 sent",
        _c2_failure_ignored,
    ),
    _m(
        "no-eror-on-bad-c2",
        "eke",
        "EKE-HS-4",
        _EKE_CLIENT_FILE,
        "a bad C2 closes without EROR auth_failed",
        _no_eror_on_bad_c2,
    ),
    _m(
        "c4-na-unchecked",
        "eke",
        "EKE-HS-7",
        _EKE_CLIENT_FILE,
        "C4's plaintext is not compared with our Na",
        _c4_na_unchecked,
    ),
    _m(
        "y-mod-p",
        "eke",
        "EKE-X-3",
        _EKE_CLIENT_FILE,
        "B's X' >= p is reduced mod p instead of refused",
        _y_mod_p,
    ),
    _m(
        "y-unvalidated",
        "eke",
        "EKE-KS-2",
        _EKE_CLIENT_FILE,
        "Y' and Z of 0, 1, p-1 are not refused by the client",
        _y_unvalidated,
    ),
    _m(
        "sign-bit-fixed",
        "eke",
        "EKE-X-2",
        _EKE_TRANSFER_FILE,
        "the client always sends X' = X (no random sign)",
        _sign_bit_fixed,
    ),
    _m(
        "na-derived",
        "eke",
        "EKE-HS-10",
        _EKE_CLIENT_FILE,
        "Na = HMAC(pw, user): the same in every handshake",
        _na_derived,
    ),
    _m(
        "bad-record-skipped",
        "eke",
        "EKE-REC-4",
        _EKE_TRANSFER_FILE,
        "a record that fails to authenticate is dropped, reading goes on",
        _bad_record_skipped,
    ),
    _m(
        "put-no-ack-wait",
        "eke",
        "APP-PUT-10",
        _PUT_FILE,
        "a put is reported done without waiting for the server's DONE",
        _put_no_ack_wait,
    ),
    _m(
        "put-exists-ok",
        "eke",
        "APP-PUT-10",
        _PUT_FILE,
        "the CLI exits 0 when the put is refused `exists`",
        _put_exists_ok,
    ),
    _m(
        "sweep-all-partials",
        "eke",
        "APP-STORE-3",
        _EKE_TRANSFER_FILE,
        "a get sweeps every .sft-partial-* of its directory, live ones too",
        _sweep_all_partials,
    ),
    _m(
        "rsfl-name-used",
        "eke",
        "APP-GET-7",
        _EKE_TRANSFER_FILE,
        "a get is stored under RSFL.name when it differs from the request",
        _rsfl_name_used,
    ),
    _m(
        "no-sigterm-cleanup",
        "eke",
        "APP-STORE-3",
        _EKE_TRANSFER_FILE,
        "no SIGTERM handler: a terminated get leaves its temporary file",
        _no_sigterm_cleanup,
    ),
    _m(
        "user-normalised",
        "eke",
        "EKE-HS-1",
        _EKE_CLIENT_FILE,
        "the client NFC-normalises its user name before EKE1 and scrypt",
        _user_normalised,
    ),
    # Phase 3: the family of b2cli-pki-put-closed-is-success on the other profile.
    _m(
        "put-closed-is-success",
        "eke",
        "APP-PUT-10",
        _PUT_FILE,
        "the server closing instead of DONE is taken as success",
        _eke_put_closed_is_success,
    ),
)

_BOTH: tuple[Mutant, ...] = tuple(
    mutant
    for profile, transfer in (("eke", _EKE_TRANSFER_FILE), ("pki", _PKI_TRANSFER_FILE))
    for mutant in (
        _m(
            "rsfl-sha-ignored",
            profile,
            "APP-GET-3",
            # The pki initiator's default RSFL.sha256 lie is test_app_integrity.py's.
            transfer if profile == "eke" else "test_app_integrity.py",
            "RSFL.sha256 is not compared at DONE",
            _rsfl_sha_ignored,
        ),
        _m(
            "rsfl-size-ignored",
            profile,
            "APP-GET-3",
            transfer,
            "DONE.size is compared with the bytes received, not with RSFL.size",
            _rsfl_size_ignored,
        ),
        _m(
            "digest-prefix",
            profile,
            "APP-GET-3",
            transfer,
            "DONE's and RSFL's SHA-256 compared on their first 32 hex digits",
            _digest_prefix,
        ),
        _m(
            "put-accept-lenient",
            profile,
            "APP-PUT-9",
            _PUT_FILE,
            "RSFL after PUTF: `accept` an optional bool (false/missing accepted)",
            _put_accept_lenient,
        ),
        _m(
            "writes-final-name",
            profile,
            "APP-STORE-5",
            transfer,
            "a get writes straight into its final name",
            _writes_final_name,
        ),
        _m(
            "partial-world-readable",
            profile,
            "APP-STORE-1",
            transfer,
            "the temporary file is created 0644",
            _partial_world_readable,
        ),
        _m(
            "partial-not-removed",
            profile,
            "APP-STORE-3",
            transfer,
            "a failed get leaves its temporary file",
            _partial_not_removed,
        ),
        _m(
            "force-default",
            profile,
            "APP-GET-6",
            transfer,
            "the CLI replaces an existing output file without --force",
            _force_default(profile),
        ),
    )
)

_PKI: tuple[Mutant, ...] = (
    _m(
        "alias-prefix",
        "pki",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the responder's CN is accepted when it starts with the alias",
        _alias_prefix,
    ),
    # Phase 3: the blind `eku-client-checked` and `any-ec-curve` are equivalent on the
    # reference (OpenSSL's sslserver purpose check, the pinned signature algorithms):
    # replaced by the observable members of their families.
    _m(
        "no-eku-any-purpose",
        "pki",
        "PKI-CERT-5",
        "test_pki_certs.py",
        "a responder certificate without EKU is taken as valid for any purpose",
        _no_eku_any_purpose,
    ),
    _m(
        "ca-true-accepted",
        "pki",
        "PKI-CERT-6",
        "test_pki_certs.py",
        "a responder certificate with CA:TRUE is accepted",
        _ca_true_accepted,
    ),
    _m(
        "sha2-family-accepted",
        "pki",
        "PKI-CERT-9",
        "test_pki_certs.py",
        "a responder certificate signed with SHA-384 or SHA-512 is accepted",
        _sha2_family_accepted,
    ),
    _m(
        "crl-not-checked",
        "pki",
        "PKI-CERT-7",
        "test_pki_certs.py",
        "the CRL is loaded but not checked (no VERIFY_CRL_CHECK_LEAF)",
        _crl_not_checked,
    ),
    _m(
        "no-close-notify",
        "pki",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "the initiator closes without close_notify",
        _no_close_notify,
    ),
    _m(
        "tls12-offered",
        "pki",
        "PKI-TLS-1",
        "test_pki_hardening.py",
        "the initiator's context allows TLS 1.2",
        _tls12_offered,
    ),
    _m(
        "groups-unpinned",
        "pki",
        "PKI-TLS-9",
        "test_pki_hardening.py",
        "the initiator also offers x448 and ffdhe2048",
        _groups_unpinned,
    ),
    _m(
        "put-closed-is-success",
        "pki",
        "APP-PUT-10",
        _PUT_FILE,
        "the responder closing instead of DONE is taken as success",
        _put_closed_is_success,
    ),
    _m(
        "eof-completes-get",
        "pki",
        "APP-GET-5",
        _PKI_TRANSFER_FILE,
        "the end of the stream between DATA frames completes the get",
        _eof_completes_get,
    ),
    _m(
        "failure-bare-close",
        "pki",
        "PKI-TLS-7",
        _PKI_TRANSFER_FILE,
        "after a fatal EROR the initiator drops the socket (no close_notify)",
        _failure_bare_close,
    ),
    _m(
        "rsfl-name-used",
        "pki",
        "APP-GET-7",
        _PKI_TRANSFER_FILE,
        "a get is stored under RSFL.name when it differs from the request",
        _pki_rsfl_name_used,
    ),
    _m(
        "chain-unverified",
        "pki",
        "PKI-CERT-4",
        "test_pki_certs.py",
        "verify_mode CERT_NONE: only the alias/EKU checks on the certificate",
        _chain_unverified,
    ),
)

MUTANTS: tuple[Mutant, ...] = _EKE + _BOTH + _PKI
