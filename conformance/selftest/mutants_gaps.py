"""Mutants of wrong implementations that the suite let through before (brief I5):

* LIM-8 against a target that does not DECLARE its per-address cap (the case used to be
  SKIP then, so a responder with no cap at all passed) — planted with `undeclared`;
* LIM-8 on sft-pki/1: a refusal that is not prompt (the socket is held until the
  handshake timeout, or sent down the TLS `busy` path that waits for a ClientHello);
* PKI-CERT-7: a responder that loads the CRL at start and never again (a SHOULD: run
  with pytest's strict mode);
* the sft-eke/1 CLIENT's key schedule and record protection (the suite as the server
  diagnoses the deviation: conformance/eke_diagnosis.py, test_eke_client_keys.py).

Each is one plausible mistake, planted by monkeypatching the reference inside the
mutant's own subprocess (conformance/selftest/mutants.py).
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_reliability import _patch_source

__all__ = ["MUTANTS"]

_LOCKOUT = "test_lockout.py"
_UNDECLARED = ("max_pending_per_address",)


def _admission() -> Any:
    return _module("reference.admission").Admission


# ---------------------------------------------------------------- LIM-8, undeclared cap


def _no_per_address_cap() -> None:
    # "max_connections is the limit": the per-address option is parsed, never checked.
    _patch_source(
        _admission(),
        "admit",
        ("if self.pending_from(address) >= self.max_pending_per_address:", "if False:"),
    )


def _per_address_cap_is_the_global_cap() -> None:
    # The per-address cap defaults to max_connections ("one setting fewer"): one address
    # can still hold every slot.
    _patch_source(
        _admission(),
        "admit",
        (
            "self.pending_from(address) >= self.max_pending_per_address",
            "self.pending_from(address) >= self.max_connections",
        ),
    )


def _per_address_counts_only_established() -> None:
    # The cap is checked against the address's ESTABLISHED connections (the ones that
    # "really" use the server): silent sockets are never counted.
    _patch_source(
        _admission(),
        "admit",
        (
            "if self.pending_from(address) >= self.max_pending_per_address:",
            "if 0 >= self.max_pending_per_address:",
        ),
    )


# ---------------------------------------------------------------- LIM-8, pki refusal promptness


def _pki_per_address_refusal_via_busy() -> None:
    # "Be polite: answer EROR busy" — so the refused connection takes the busy path, whose
    # TLS handshake waits for the silent flooder's ClientHello until the handshake timeout.
    _patch_source(
        _module("reference.pki.peer").PeerServer,
        "_dispatch",
        ("elif decision.refused is Refusal.PER_ADDRESS:", "elif False:"),
    )


def _pki_per_address_tarpit() -> None:
    # "Slow the flooder down": the refused socket is parked until the handshake timeout.
    _patch_source(
        _module("reference.pki.peer").PeerServer,
        "_dispatch",
        (
            "        raw.close()\n        return\n    elif self._busy_slots",
            "        threading.Timer(self.config.handshake_timeout, raw.close).start()\n"
            "        return\n    elif self._busy_slots",
        ),
    )


# ---------------------------------------------------------------- PKI-CERT-7, CRL refetch


def _peer() -> Any:
    return _module("reference.pki.peer")


def _crl_loaded_once() -> None:
    # "The CRL is loaded at start" — and the refresher thread was never written.
    _peer().PeerServer._refresh_crl = lambda self: None


def _crl_refresh_interval_ignored() -> None:
    # The option is parsed and printed, but the loop waits the SPEC's default.
    _patch_source(
        _peer().PeerServer,
        "_refresh_crl",
        ("self._stop.wait(self.config.crl_refresh)", "self._stop.wait(300.0)"),
    )


def _crl_source_cached() -> None:
    # The CRL getter memoises its first answer ("the CRL is valid until nextUpdate"):
    # the refresher runs, and reloads the same CRL every time.
    peer = _peer()
    original = peer.crl_from_ca

    def crl_from_ca(url: str, root_pem: bytes) -> Any:
        fetch = original(url, root_pem)
        cache: list[bytes] = []

        def crl() -> bytes:
            if not cache:
                cache.append(fetch())
            return cache[0]

        return crl

    peer.crl_from_ca = crl_from_ca


_CRL_MUTANTS = (
    ("crl-loaded-once", "the CRL is loaded at start and never refetched", _crl_loaded_once),
    (
        "crl-refresh-interval-ignored",
        "the CRL is refetched every 300 s whatever the configured interval",
        _crl_refresh_interval_ignored,
    ),
    (
        "crl-source-cached",
        "the CRL refetch returns the first CRL it fetched (memoised)",
        _crl_source_cached,
    ),
)


# ---------------------------------------------------------------- the eke CLIENT's key schedule
# The reference's key schedule and record layer are shared by its client and server: the
# same plantings as mutants_interop.py, judged on the CLIENT by the suite as the server.


def _client_c2s_copied_from_s2c() -> None:
    # The copy-paste the other way round: "c2s" labels read "s2c", so the client seals its
    # records with the server→client key and IV.
    crypto = _module("reference.eke.crypto")
    infos = list(crypto._KEY_INFOS)
    infos[2], infos[3] = infos[4], infos[5]
    crypto._KEY_INFOS = tuple(infos)


def _client_c3_nonces_swapped() -> None:
    # C3's plaintext built as Ns ‖ Na ("the server's nonce first, like in C2").
    crypto = _module("reference.eke.crypto")
    original = crypto.seal_confirm

    def seal_confirm(key: bytes, step: int, plaintext: bytes, th: bytes) -> bytes:
        if step == 3:
            half = len(plaintext) // 2
            plaintext = plaintext[half:] + plaintext[:half]
        result: bytes = original(key, step, plaintext, th)
        return result

    crypto.seal_confirm = seal_confirm


def _client_permutations_swapped() -> None:
    # E_pw and D_pw swapped (a mix-up of the Feistel's direction): A hidden with D_pw,
    # B revealed with E_pw. Its own server, built the same way, agrees.
    crypto = _module("reference.eke.crypto")
    crypto.feistel_encrypt, crypto.feistel_decrypt = (
        crypto.feistel_decrypt,
        crypto.feistel_encrypt,
    )


def _opener(*edits: tuple[str, str]) -> None:
    # The record OPENER computes its own nonce and AD (reference/eke/crypto.py): a bug
    # there leaves the client's own records right, and only the server's fail to open.
    _patch_source(_module("reference.eke.crypto").RecordOpener, "open", *edits)


def _opener_without_sequence() -> None:
    _opener(("nonce = (self._iv ^ seq)", "nonce = (self._iv ^ 0)"))


def _opener_counts_from_one() -> None:
    _opener(("nonce = (self._iv ^ seq)", "nonce = (self._iv ^ (seq + 1))"))


def _opener_empty_ad() -> None:
    _opener(("self._aead.decrypt_into(nonce, sealed, bytes(header), out)",
             "self._aead.decrypt_into(nonce, sealed, b\"\", out)"))  # fmt: skip


def _client_mutants() -> tuple[Mutant, ...]:
    interop = _module("conformance.selftest.mutants_interop")
    plantings = (
        ("transcript-without-length", "EKE-KS-1", "th leaves out u16be(len(U))",
         interop._transcript_without_length),
        ("hkdf-salt-and-key-swapped", "EKE-KS-3", "HKDF-Extract(salt = Z, IKM = th)",
         interop._hkdf_salt_and_key_swapped),
        ("z-little-endian", "EKE-KS-2", "Z is encoded little-endian", interop._z_little_endian),
        ("confirm-with-client-key", "EKE-KS-4", "the confirmations use Kcc (C2 checked with it)",
         interop._confirm_with_client_key),
        ("nonce-without-sequence", "EKE-REC-2", "the record nonce is the IV alone",
         interop._nonce_without_sequence),
        ("nonce-little-endian", "EKE-REC-2", "the sequence number is XORed in little-endian",
         interop._nonce_little_endian),
        ("sequence-starts-at-one", "EKE-REC-2", "record sequence numbers start at 1",
         interop._sequence_starts_at_one),
        ("header-not-authenticated", "EKE-REC-3", "records are sealed with empty associated data",
         interop._header_not_authenticated),
        ("c2s-copied-from-s2c", "EKE-KS-4", "the client seals records with the s2c key and IV",
         _client_c2s_copied_from_s2c),
        ("c3-nonces-swapped", "EKE-HS-5", "C3's plaintext is Ns ‖ Na",
         _client_c3_nonces_swapped),
        ("permutations-swapped", "EKE-FEI-2", "A hidden with D_pw, B revealed with E_pw",
         _client_permutations_swapped),
        ("one-key-both-directions", "EKE-KS-4",
         "s2c keys derived with the c2s labels: opens the server's records with its own key",
         interop._one_key_both_directions),
        ("opener-without-sequence", "EKE-REC-2",
         "opens the server's records with the IV as the nonce (its sealer is right)",
         _opener_without_sequence),
        ("opener-counts-from-one", "EKE-REC-2",
         "opens the server's records counting from 1 (its sealer is right)",
         _opener_counts_from_one),
        ("opener-empty-ad", "EKE-REC-3",
         "opens the server's records with empty associated data (its sealer is right)",
         _opener_empty_ad),
    )  # fmt: skip
    return tuple(
        Mutant(
            f"gaps-eke-client-{name}",
            "gaps",
            "eke",
            requirement,
            "test_eke_client_keys.py",
            f"the CLIENT: {description}",
            apply,
            client=True,
        )
        for name, requirement, description, apply in plantings
    )


MUTANTS: tuple[Mutant, ...] = (
    *(
        Mutant(
            f"gaps-{profile}-{name}-undeclared",
            "gaps",
            profile,
            "LIM-8",
            _LOCKOUT,
            f"{description}, and the target declares no per-address cap "
            f"({'EKE server' if profile == 'eke' else 'PKI peer'})",
            apply,
            undeclared=_UNDECLARED,
        )
        for profile in ("eke", "pki")
        for name, description, apply in (
            ("no-per-address-cap", "no per-address cap at all", _no_per_address_cap),
            (
                "per-address-cap-is-global",
                "the per-address cap is max_connections",
                _per_address_cap_is_the_global_cap,
            ),
            (
                "per-address-counts-established",
                "the per-address cap counts established connections, not pending ones",
                _per_address_counts_only_established,
            ),
        )
    ),
    Mutant(
        "gaps-pki-per-address-refused-via-busy",
        "gaps",
        "pki",
        "LIM-8",
        _LOCKOUT,
        "over the per-address cap the peer takes the TLS busy path: a silent socket is held "
        "until the handshake timeout",
        _pki_per_address_refusal_via_busy,
    ),
    Mutant(
        "gaps-pki-per-address-tarpit",
        "gaps",
        "pki",
        "LIM-8",
        _LOCKOUT,
        "over the per-address cap the peer parks the socket until the handshake timeout",
        _pki_per_address_tarpit,
    ),
    *(
        Mutant(
            f"gaps-pki-{name}",
            "gaps",
            "pki",
            "PKI-CERT-7",
            "test_pki_certs.py",
            description,
            apply,
            strict=True,  # the refetch is a SHOULD
        )
        for name, description, apply in _CRL_MUTANTS
    ),
)
MUTANTS += _client_mutants()
