"""Mutants of the reference, for the suite's self-tests: `python -m conformance.selftest.mutants
NAME -- SFT-ARGS...` applies one monkeypatch to the reference in THIS process, then runs the
`sft` command line with SFT-ARGS (e.g. `eke serve ...`).

This is the only place under conformance/ that touches `reference`, and only inside the
subprocess a self-test launches: the toolkit itself never imports it. Each mutant breaks
one requirement the way a plausible implementation bug would (a dropped check, a reused
nonce); the shipped reference has no flag for any of them.
"""

from __future__ import annotations

import sys
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_ambig import MUTANTS as _AMBIG
from conformance.selftest.mutants_app import MUTANTS as _APP
from conformance.selftest.mutants_blind2_app import MUTANTS as _BLIND2_APP
from conformance.selftest.mutants_blind2_ca import MUTANTS as _BLIND2_CA
from conformance.selftest.mutants_blind2_client import MUTANTS as _BLIND2_CLIENT
from conformance.selftest.mutants_blind2_eke import MUTANTS as _BLIND2_EKE
from conformance.selftest.mutants_blind3_ca import MUTANTS as _BLIND3_CA
from conformance.selftest.mutants_blind3_eke import MUTANTS as _BLIND3_EKE
from conformance.selftest.mutants_blind3_pki import MUTANTS as _BLIND3_PKI
from conformance.selftest.mutants_blind4_ca import MUTANTS as _BLIND4_CA
from conformance.selftest.mutants_blind4_eke import MUTANTS as _BLIND4_EKE
from conformance.selftest.mutants_blind4_pki import MUTANTS as _BLIND4_PKI
from conformance.selftest.mutants_blind5_ca import MUTANTS as _BLIND5_CA
from conformance.selftest.mutants_blind5_eke import MUTANTS as _BLIND5_EKE
from conformance.selftest.mutants_blind5_pki import MUTANTS as _BLIND5_PKI
from conformance.selftest.mutants_blind6_ca import MUTANTS as _BLIND6_CA
from conformance.selftest.mutants_blind6_client import MUTANTS as _BLIND6_CLIENT
from conformance.selftest.mutants_blind6_eke import MUTANTS as _BLIND6_EKE
from conformance.selftest.mutants_blind6_pki import MUTANTS as _BLIND6_PKI
from conformance.selftest.mutants_blind7_client import MUTANTS as _BLIND7_CLIENT
from conformance.selftest.mutants_blind8_client import MUTANTS as _BLIND8_CLIENT
from conformance.selftest.mutants_blind8_eke import MUTANTS as _BLIND8_EKE
from conformance.selftest.mutants_blind9_ca import MUTANTS as _BLIND9_CA
from conformance.selftest.mutants_blind9_caops import MUTANTS as _BLIND9_CAOPS
from conformance.selftest.mutants_blind9_client import MUTANTS as _BLIND9_CLIENT
from conformance.selftest.mutants_blind9_client2 import MUTANTS as _BLIND9_CLIENT2
from conformance.selftest.mutants_blind9_cliops import MUTANTS as _BLIND9_CLIOPS
from conformance.selftest.mutants_blind9_eke import MUTANTS as _BLIND9_EKE
from conformance.selftest.mutants_blind9_idioms import MUTANTS as _BLIND9_IDIOMS
from conformance.selftest.mutants_blind9_ops import MUTANTS as _BLIND9_OPS
from conformance.selftest.mutants_blind9_ops2 import MUTANTS as _BLIND9_OPS2
from conformance.selftest.mutants_blind9_pki import MUTANTS as _BLIND9_PKI
from conformance.selftest.mutants_blind10_ca import MUTANTS as _BLIND10_CA
from conformance.selftest.mutants_blind10_ca2 import MUTANTS as _BLIND10_CA2
from conformance.selftest.mutants_blind10_client import MUTANTS as _BLIND10_CLIENT
from conformance.selftest.mutants_blind10_client2 import MUTANTS as _BLIND10_CLIENT2
from conformance.selftest.mutants_blind10_eke import MUTANTS as _BLIND10_EKE
from conformance.selftest.mutants_blind10_ops import MUTANTS as _BLIND10_OPS
from conformance.selftest.mutants_blind10_pki import MUTANTS as _BLIND10_PKI
from conformance.selftest.mutants_blind11_app import MUTANTS as _BLIND11_APP
from conformance.selftest.mutants_blind11_ca import MUTANTS as _BLIND11_CA
from conformance.selftest.mutants_blind11_ca2 import MUTANTS as _BLIND11_CA2
from conformance.selftest.mutants_blind11_client import MUTANTS as _BLIND11_CLIENT
from conformance.selftest.mutants_blind11_client2 import MUTANTS as _BLIND11_CLIENT2
from conformance.selftest.mutants_blind11_client3 import MUTANTS as _BLIND11_CLIENT3
from conformance.selftest.mutants_blind11_client4 import MUTANTS as _BLIND11_CLIENT4
from conformance.selftest.mutants_blind11_eke import MUTANTS as _BLIND11_EKE
from conformance.selftest.mutants_blind11_ops import MUTANTS as _BLIND11_OPS
from conformance.selftest.mutants_blind11_pki import MUTANTS as _BLIND11_PKI
from conformance.selftest.mutants_blind12_ca import MUTANTS as _BLIND12_CA
from conformance.selftest.mutants_blind12_client import MUTANTS as _BLIND12_CLIENT
from conformance.selftest.mutants_blind12_client2 import MUTANTS as _BLIND12_CLIENT2
from conformance.selftest.mutants_blind12_client3 import MUTANTS as _BLIND12_CLIENT3
from conformance.selftest.mutants_blind12_eke import MUTANTS as _BLIND12_EKE
from conformance.selftest.mutants_blind12_ops import MUTANTS as _BLIND12_OPS
from conformance.selftest.mutants_blind12_pki import MUTANTS as _BLIND12_PKI
from conformance.selftest.mutants_blind13_ca import MUTANTS as _BLIND13_CA
from conformance.selftest.mutants_blind13_client import MUTANTS as _BLIND13_CLIENT
from conformance.selftest.mutants_blind13_client2 import MUTANTS as _BLIND13_CLIENT2
from conformance.selftest.mutants_blind13_client3 import MUTANTS as _BLIND13_CLIENT3
from conformance.selftest.mutants_blind13_client4 import MUTANTS as _BLIND13_CLIENT4
from conformance.selftest.mutants_blind13_eke import MUTANTS as _BLIND13_EKE
from conformance.selftest.mutants_blind13_ops import MUTANTS as _BLIND13_OPS
from conformance.selftest.mutants_blind13_pki import MUTANTS as _BLIND13_PKI
from conformance.selftest.mutants_blind14_ca import MUTANTS as _BLIND14_CA
from conformance.selftest.mutants_blind14_client import MUTANTS as _BLIND14_CLIENT
from conformance.selftest.mutants_blind14_client2 import MUTANTS as _BLIND14_CLIENT2
from conformance.selftest.mutants_blind14_client3 import MUTANTS as _BLIND14_CLIENT3
from conformance.selftest.mutants_blind14_eke import MUTANTS as _BLIND14_EKE
from conformance.selftest.mutants_blind14_ops import MUTANTS as _BLIND14_OPS
from conformance.selftest.mutants_blind14_pki import MUTANTS as _BLIND14_PKI
from conformance.selftest.mutants_blind15_ca import MUTANTS as _BLIND15_CA
from conformance.selftest.mutants_blind15_client import MUTANTS as _BLIND15_CLIENT
from conformance.selftest.mutants_blind15_client2 import MUTANTS as _BLIND15_CLIENT2
from conformance.selftest.mutants_blind15_client3 import MUTANTS as _BLIND15_CLIENT3
from conformance.selftest.mutants_blind15_eke import MUTANTS as _BLIND15_EKE
from conformance.selftest.mutants_blind15_ops import MUTANTS as _BLIND15_OPS
from conformance.selftest.mutants_blind15_pki import MUTANTS as _BLIND15_PKI
from conformance.selftest.mutants_blind16_ca import MUTANTS as _BLIND16_CA
from conformance.selftest.mutants_blind16_client import MUTANTS as _BLIND16_CLIENT
from conformance.selftest.mutants_blind16_client2 import MUTANTS as _BLIND16_CLIENT2
from conformance.selftest.mutants_blind16_eke import MUTANTS as _BLIND16_EKE
from conformance.selftest.mutants_blind16_ops import MUTANTS as _BLIND16_OPS
from conformance.selftest.mutants_blind16_pki import MUTANTS as _BLIND16_PKI
from conformance.selftest.mutants_blind17_ca import MUTANTS as _BLIND17_CA
from conformance.selftest.mutants_blind17_client import MUTANTS as _BLIND17_CLIENT
from conformance.selftest.mutants_blind17_client2 import MUTANTS as _BLIND17_CLIENT2
from conformance.selftest.mutants_blind17_eke import MUTANTS as _BLIND17_EKE
from conformance.selftest.mutants_blind17_ops import MUTANTS as _BLIND17_OPS
from conformance.selftest.mutants_blind17_pki import MUTANTS as _BLIND17_PKI
from conformance.selftest.mutants_blind18_ca import MUTANTS as _BLIND18_CA
from conformance.selftest.mutants_blind18_client import MUTANTS as _BLIND18_CLIENT
from conformance.selftest.mutants_blind18_client2 import MUTANTS as _BLIND18_CLIENT2
from conformance.selftest.mutants_blind18_eke import MUTANTS as _BLIND18_EKE
from conformance.selftest.mutants_blind18_ops import MUTANTS as _BLIND18_OPS
from conformance.selftest.mutants_blind18_pki import MUTANTS as _BLIND18_PKI
from conformance.selftest.mutants_blind18b_ca import MUTANTS as _BLIND18B_CA
from conformance.selftest.mutants_blind18b_client import MUTANTS as _BLIND18B_CLIENT
from conformance.selftest.mutants_blind18b_ini import MUTANTS as _BLIND18B_INI
from conformance.selftest.mutants_blind19_ca import MUTANTS as _BLIND19_CA
from conformance.selftest.mutants_blind19_client import MUTANTS as _BLIND19_CLIENT
from conformance.selftest.mutants_blind19_eke import MUTANTS as _BLIND19_EKE
from conformance.selftest.mutants_blind19_ini import MUTANTS as _BLIND19_INI
from conformance.selftest.mutants_blind19_ops import MUTANTS as _BLIND19_OPS
from conformance.selftest.mutants_blind19_pki import MUTANTS as _BLIND19_PKI
from conformance.selftest.mutants_blind19b_client import MUTANTS as _BLIND19B_CLIENT
from conformance.selftest.mutants_blind19b_ini import MUTANTS as _BLIND19B_INI
from conformance.selftest.mutants_blind19c_ca import MUTANTS as _BLIND19C_CA
from conformance.selftest.mutants_blind19c_eke import MUTANTS as _BLIND19C_EKE
from conformance.selftest.mutants_blind19c_pki import MUTANTS as _BLIND19C_PKI
from conformance.selftest.mutants_blind20_ca import MUTANTS as _BLIND20_CA
from conformance.selftest.mutants_blind20_client import MUTANTS as _BLIND20_CLIENT
from conformance.selftest.mutants_blind20_eke import MUTANTS as _BLIND20_EKE
from conformance.selftest.mutants_blind20_ini import MUTANTS as _BLIND20_INI
from conformance.selftest.mutants_blind20_ops import MUTANTS as _BLIND20_OPS
from conformance.selftest.mutants_blind20_pki import MUTANTS as _BLIND20_PKI
from conformance.selftest.mutants_blind20b_ca import MUTANTS as _BLIND20B_CA
from conformance.selftest.mutants_blind20b_client import MUTANTS as _BLIND20B_CLIENT
from conformance.selftest.mutants_blind20b_eke import MUTANTS as _BLIND20B_EKE
from conformance.selftest.mutants_blind21_ca import MUTANTS as _BLIND21_CA
from conformance.selftest.mutants_blind21_client import MUTANTS as _BLIND21_CLIENT
from conformance.selftest.mutants_blind21_eke import MUTANTS as _BLIND21_EKE
from conformance.selftest.mutants_blind21_ini import MUTANTS as _BLIND21_INI
from conformance.selftest.mutants_blind21_ops import MUTANTS as _BLIND21_OPS
from conformance.selftest.mutants_blind21_pki import MUTANTS as _BLIND21_PKI
from conformance.selftest.mutants_blind21b_ca import MUTANTS as _BLIND21B_CA
from conformance.selftest.mutants_blind21b_client import MUTANTS as _BLIND21B_CLIENT
from conformance.selftest.mutants_blind21b_ini import MUTANTS as _BLIND21B_INI
from conformance.selftest.mutants_blind22_ca import MUTANTS as _BLIND22_CA
from conformance.selftest.mutants_blind22_client import MUTANTS as _BLIND22_CLIENT
from conformance.selftest.mutants_blind22_eke import MUTANTS as _BLIND22_EKE
from conformance.selftest.mutants_blind22_ini import MUTANTS as _BLIND22_INI
from conformance.selftest.mutants_blind22_ops import MUTANTS as _BLIND22_OPS
from conformance.selftest.mutants_blind22_pki import MUTANTS as _BLIND22_PKI
from conformance.selftest.mutants_blind22b_ca import MUTANTS as _BLIND22B_CA
from conformance.selftest.mutants_blind22b_eke import MUTANTS as _BLIND22B_EKE
from conformance.selftest.mutants_blind22b_ini import MUTANTS as _BLIND22B_INI
from conformance.selftest.mutants_blind22b_ops import MUTANTS as _BLIND22B_OPS
from conformance.selftest.mutants_blind22b_pki import MUTANTS as _BLIND22B_PKI
from conformance.selftest.mutants_blind23_ca import MUTANTS as _BLIND23_CA
from conformance.selftest.mutants_blind23_client import MUTANTS as _BLIND23_CLIENT
from conformance.selftest.mutants_blind23_eke import MUTANTS as _BLIND23_EKE
from conformance.selftest.mutants_blind23_ini import MUTANTS as _BLIND23_INI
from conformance.selftest.mutants_blind23_ops import MUTANTS as _BLIND23_OPS
from conformance.selftest.mutants_blind23_pki import MUTANTS as _BLIND23_PKI
from conformance.selftest.mutants_blind23b_ca import MUTANTS as _BLIND23B_CA
from conformance.selftest.mutants_blind23b_client import MUTANTS as _BLIND23B_CLIENT
from conformance.selftest.mutants_blind23b_eke import MUTANTS as _BLIND23B_EKE
from conformance.selftest.mutants_blind23b_ini import MUTANTS as _BLIND23B_INI
from conformance.selftest.mutants_blind23b_pki import MUTANTS as _BLIND23B_PKI
from conformance.selftest.mutants_blind24_ca import MUTANTS as _BLIND24_CA
from conformance.selftest.mutants_blind24_client import MUTANTS as _BLIND24_CLIENT
from conformance.selftest.mutants_blind24_eke import MUTANTS as _BLIND24_EKE
from conformance.selftest.mutants_blind24_ini import MUTANTS as _BLIND24_INI
from conformance.selftest.mutants_blind24_ops import MUTANTS as _BLIND24_OPS
from conformance.selftest.mutants_blind24_pki import MUTANTS as _BLIND24_PKI
from conformance.selftest.mutants_blind25_ca import MUTANTS as _BLIND25_CA
from conformance.selftest.mutants_blind25_client import MUTANTS as _BLIND25_CLIENT
from conformance.selftest.mutants_blind25_eke import MUTANTS as _BLIND25_EKE
from conformance.selftest.mutants_blind25_ini import MUTANTS as _BLIND25_INI
from conformance.selftest.mutants_blind25_ops import MUTANTS as _BLIND25_OPS
from conformance.selftest.mutants_blind25_pki import MUTANTS as _BLIND25_PKI
from conformance.selftest.mutants_blind25b_ca import MUTANTS as _BLIND25B_CA
from conformance.selftest.mutants_blind25b_client import MUTANTS as _BLIND25B_CLIENT
from conformance.selftest.mutants_blind25b_eke import MUTANTS as _BLIND25B_EKE
from conformance.selftest.mutants_blind25b_ini import MUTANTS as _BLIND25B_INI
from conformance.selftest.mutants_blind25b_ops import MUTANTS as _BLIND25B_OPS
from conformance.selftest.mutants_blind25b_pki import MUTANTS as _BLIND25B_PKI
from conformance.selftest.mutants_blind26_ca import MUTANTS as _BLIND26_CA
from conformance.selftest.mutants_blind26_client import MUTANTS as _BLIND26_CLIENT
from conformance.selftest.mutants_blind26_eke import MUTANTS as _BLIND26_EKE
from conformance.selftest.mutants_blind26_ini import MUTANTS as _BLIND26_INI
from conformance.selftest.mutants_blind26_pki import MUTANTS as _BLIND26_PKI
from conformance.selftest.mutants_blind26b_eke import MUTANTS as _BLIND26B_EKE
from conformance.selftest.mutants_blind26b_ini import MUTANTS as _BLIND26B_INI
from conformance.selftest.mutants_blind26b_pki import MUTANTS as _BLIND26B_PKI
from conformance.selftest.mutants_blind27_ca import MUTANTS as _BLIND27_CA
from conformance.selftest.mutants_blind27_client import MUTANTS as _BLIND27_CLIENT
from conformance.selftest.mutants_blind27_eke import MUTANTS as _BLIND27_EKE
from conformance.selftest.mutants_blind27_ini import MUTANTS as _BLIND27_INI
from conformance.selftest.mutants_blind27_pki import MUTANTS as _BLIND27_PKI
from conformance.selftest.mutants_blind27b_ca import MUTANTS as _BLIND27B_CA
from conformance.selftest.mutants_blind27b_client import MUTANTS as _BLIND27B_CLIENT
from conformance.selftest.mutants_blind27b_ini import MUTANTS as _BLIND27B_INI
from conformance.selftest.mutants_blind27c_ca import MUTANTS as _BLIND27C_CA
from conformance.selftest.mutants_blind27c_client import MUTANTS as _BLIND27C_CLIENT
from conformance.selftest.mutants_blind27c_ini import MUTANTS as _BLIND27C_INI
from conformance.selftest.mutants_blind28_ca import MUTANTS as _BLIND28_CA
from conformance.selftest.mutants_blind28_client import MUTANTS as _BLIND28_CLIENT
from conformance.selftest.mutants_blind28_ini import MUTANTS as _BLIND28_INI
from conformance.selftest.mutants_blind28_srv import MUTANTS as _BLIND28_SRV
from conformance.selftest.mutants_blind28b_ca import MUTANTS as _BLIND28B_CA
from conformance.selftest.mutants_blind28b_client import MUTANTS as _BLIND28B_CLIENT
from conformance.selftest.mutants_blind28b_ini import MUTANTS as _BLIND28B_INI
from conformance.selftest.mutants_blind_ca import MUTANTS as _BLIND_CA
from conformance.selftest.mutants_blind_client import MUTANTS as _BLIND_CLIENT
from conformance.selftest.mutants_blind_eke import MUTANTS as _BLIND_EKE
from conformance.selftest.mutants_blind_frames import MUTANTS as _BLIND_FRAMES
from conformance.selftest.mutants_blind_pki import MUTANTS as _BLIND_PKI
from conformance.selftest.mutants_ca import MUTANTS as _CA
from conformance.selftest.mutants_caps import MUTANTS as _CAPS
from conformance.selftest.mutants_client_put import MUTANTS as _CLIENT_PUT
from conformance.selftest.mutants_coverage import MUTANTS as _COVERAGE
from conformance.selftest.mutants_eke_client import MUTANTS as _EKE_CLIENT

# One planting in the shared record opener: the server's mutant and the client's are the same.
from conformance.selftest.mutants_eke_client import _tolerates_replay as _eke_record_replay
from conformance.selftest.mutants_eke_server import MUTANTS as _EKE_SERVER
from conformance.selftest.mutants_enroll import MUTANTS as _ENROLL
from conformance.selftest.mutants_foreign import MUTANTS as _FOREIGN
from conformance.selftest.mutants_gaps import MUTANTS as _GAPS
from conformance.selftest.mutants_hardening import MUTANTS as _HARDENING
from conformance.selftest.mutants_i26 import MUTANTS as _I26
from conformance.selftest.mutants_interop import MUTANTS as _INTEROP
from conformance.selftest.mutants_lead import MUTANTS as _LEAD
from conformance.selftest.mutants_lead17 import MUTANTS as _LEAD17
from conformance.selftest.mutants_lead18 import MUTANTS as _LEAD18
from conformance.selftest.mutants_lead19 import MUTANTS as _LEAD19
from conformance.selftest.mutants_lead20 import MUTANTS as _LEAD20
from conformance.selftest.mutants_lead21 import MUTANTS as _LEAD21
from conformance.selftest.mutants_lead22 import MUTANTS as _LEAD22
from conformance.selftest.mutants_lead23 import MUTANTS as _LEAD23
from conformance.selftest.mutants_lead24 import MUTANTS as _LEAD24
from conformance.selftest.mutants_lead25 import MUTANTS as _LEAD25
from conformance.selftest.mutants_lead25_crl import MUTANTS as _LEAD25_CRL
from conformance.selftest.mutants_lead26 import MUTANTS as _LEAD26
from conformance.selftest.mutants_lead26_cut import MUTANTS as _LEAD26_CUT
from conformance.selftest.mutants_lead26_oracles import MUTANTS as _LEAD26_ORACLES
from conformance.selftest.mutants_lead26_oracles2 import MUTANTS as _LEAD26_ORACLES2
from conformance.selftest.mutants_lead26_sm import MUTANTS as _LEAD26_SM
from conformance.selftest.mutants_lead27_hs import MUTANTS as _LEAD27_HS
from conformance.selftest.mutants_lead27_oracles import MUTANTS as _LEAD27_ORACLES
from conformance.selftest.mutants_lead28_cm import MUTANTS as _LEAD28_CM
from conformance.selftest.mutants_lead28_pm import MUTANTS as _LEAD28_PM
from conformance.selftest.mutants_observable import MUTANTS as _OBSERVABLE
from conformance.selftest.mutants_pki import MUTANTS as _PKI
from conformance.selftest.mutants_reliability import MUTANTS as _RELIABILITY
from conformance.selftest.mutants_spec import MUTANTS as _SPEC
from conformance.selftest.mutants_symmetry import MUTANTS as _SYMMETRY
from conformance.selftest.mutants_throttle import MUTANTS as _THROTTLE
from conformance.selftest.mutants_timing import MUTANTS as _TIMING

__all__ = ["MUTANTS", "Mutant", "main"]


# ---------------------------------------------------------------- sft-eke/1


def _eke_invalid_x_accepted() -> None:
    crypto = _module("reference.eke.crypto")
    p = int(crypto.P)

    def pm_decode(encoded: bytes) -> int:  # the residue mapping, without the range check
        value = int.from_bytes(encoded, "big") % p
        return value if crypto.jacobi(value, p) == 1 else p - value

    def shared_secret(ours: Any, peer_element: int) -> bytes:  # no degenerate-Z check
        return bytes(pow(peer_element, ours.exponent, p).to_bytes(crypto.ELEMENT_LEN, "big"))

    crypto.pm_decode = pm_decode
    crypto.shared_secret = shared_secret


def _eke_no_fresh_randomness() -> None:
    crypto = _module("reference.eke.crypto")
    fixed = crypto.new_ephemeral()
    nonce = crypto.new_nonce()
    crypto.new_ephemeral = lambda: fixed
    crypto.new_nonce = lambda: nonce
    crypto.hide_element = lambda pw, element: crypto._hide_element_from_parts(
        pw, element, sign_bit=0
    )


def _eke_no_random_sign() -> None:
    crypto = _module("reference.eke.crypto")
    # "X' = X always: the ± step looked redundant."
    crypto.hide_element = lambda pw, element: crypto._hide_element_from_parts(
        pw, element, sign_bit=0
    )


def _eke_unknown_user_revealed() -> None:
    store = _module("reference.eke.store")
    errors = _module("reference.errors")
    original = store.PasswordStore.key_for

    def key_for(self: Any, name: str) -> bytes:
        if name not in {user.name for user in self.users()}:
            raise errors.RemoteProtocolError(errors.ErrorCode.AUTH_FAILED, "no such user")
        result: bytes = original(self, name)
        return result

    store.PasswordStore.key_for = key_for


def _eke_no_throttling() -> None:
    throttle = _module("reference.eke.throttle")
    throttle.Throttle.retry_after = lambda self, user, address: None


def _eke_client_skips_eke4_check() -> None:
    handshake = _module("reference.eke.handshake")

    def on_eke4(self: Any, obj: dict[str, Any]) -> Any:  # "the server must be fine"
        return handshake.Established(self.user, self._keys)

    handshake.ClientHandshake._on_eke4 = on_eke4


def _pki_initiator_no_alias_check() -> None:
    client = _module("reference.pki.client")

    class _AnyAlias(str):  # compares equal to every alias: the check always passes
        def __eq__(self, other: object) -> bool:
            return True

        def __ne__(self, other: object) -> bool:
            return False

        __hash__ = str.__hash__

    client.peer_alias = lambda *args, **kwargs: _AnyAlias("anyone")


def _initiator_no_integrity_check() -> None:
    app = _module("reference.app")
    app._Transfer.check_done = lambda self, done: None


def _ca_unknown_alias_revealed() -> None:
    ca = _module("reference.pki.ca")
    server = _module("reference.pki.ca_server")
    http = _module("http")
    original = ca.CertificateAuthority.authenticate

    def authenticate(self: Any, alias: str, password: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM users WHERE alias = ?", (alias,)).fetchone()
        if row is None:  # "helpful": tells the user the alias is wrong
            raise server._HttpError(http.HTTPStatus.UNAUTHORIZED, "auth_failed", "unknown alias")
        result: bool = original(self, alias, password)
        return result

    ca.CertificateAuthority.authenticate = authenticate


# ---------------------------------------------------------------- frames and application


def _frames_no_length_limit() -> None:
    frames = _module("reference.frames")
    original = frames.parse_header

    def parse_header(header: Any, max_payload: int) -> tuple[bytes, int]:
        result: tuple[bytes, int] = original(header, 2**32)  # the limit is never enforced
        return result

    frames.parse_header = parse_header


def _app_dotdot_allowed() -> None:
    share = _module("reference.share")

    def check_name(name: str) -> list[str]:  # only absolute names refused
        if name.startswith("/") or not name:
            raise share.NameRefused("absolute names are not allowed")
        return name.split("/")

    share.check_name = check_name
    for module in list(sys.modules.values()):
        if getattr(module, "check_name", None) is not None and module is not share:
            if getattr(module, "__name__", "").startswith("reference."):
                setattr(module, "check_name", check_name)  # noqa: B010 (module is untyped)


# ---------------------------------------------------------------- sft-pki/1


def _pki_tls12_allowed() -> None:
    tls = _module("reference.pki.tls")
    ssl = _module("ssl")
    original = tls._base_context

    def base_context(protocol: int) -> Any:
        ctx = original(protocol)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # "compatibility with older clients"
        return ctx

    tls._base_context = base_context


def _pki_no_crl() -> None:
    tls = _module("reference.pki.tls")
    original = tls._load_trust

    def load_trust(ctx: Any, root_pem: bytes, crl_der: bytes | None) -> None:
        original(ctx, root_pem, None)  # the CRL is fetched, then ignored

    tls._load_trust = load_trust


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "eke-invalid-x-accepted",
        "eke-handshake",
        "eke",
        "EKE-X-3",
        "test_eke_handshake.py",
        "X' is neither range-checked nor mapped to a residue; degenerate Z accepted",
        _eke_invalid_x_accepted,
        default=True,
    ),
    Mutant(
        "eke-no-fresh-randomness",
        "eke-handshake",
        "eke",
        "EKE-HS-10",
        "test_eke_handshake.py",
        "the server reuses its exponent y, sign bit and Ns",
        _eke_no_fresh_randomness,
    ),
    Mutant(
        "eke-unknown-user-revealed",
        "eke-handshake",
        "eke",
        "EKE-HS-3",
        "test_eke_handshake.py",
        "unknown users are refused at EKE1",
        _eke_unknown_user_revealed,
    ),
    Mutant(
        "eke-record-replay",
        "eke-records",
        "eke",
        "EKE-REC-4",
        "test_eke_records.py",
        "a record that fails is retried with the previous sequence number (accepts replays)",
        _eke_record_replay,
        default=True,
    ),
    Mutant(
        "eke-no-throttling",
        "eke-throttling",
        "eke",
        "EKE-THR-1",
        "test_eke_throttling.py",
        "failed handshakes are never throttled",
        _eke_no_throttling,
        default=True,
    ),
    Mutant(
        "frames-no-length-limit",
        "framing",
        "eke",
        "FRM-3",
        "test_framing.py",
        "the announced length is never compared with the limit",
        _frames_no_length_limit,
        default=True,
    ),
    Mutant(
        "app-dotdot-allowed",
        "application",
        "eke",
        "APP-NAME-2",
        "test_app_names.py",
        "names are only checked for a leading '/'",
        _app_dotdot_allowed,
        default=True,
    ),
    Mutant(
        "pki-tls12-allowed",
        "pki",
        "pki",
        "PKI-TLS-1",
        "test_pki_tls.py",
        "the responder also negotiates TLS 1.2",
        _pki_tls12_allowed,
        default=True,
    ),
    Mutant(
        "pki-no-crl",
        "pki",
        "pki",
        "PKI-CERT-7",
        "test_pki_certs.py",
        "the CRL is fetched but not used",
        _pki_no_crl,
    ),
)
MUTANTS += (
    Mutant(
        "eke-no-random-sign",
        "eke-handshake",
        "eke",
        "EKE-SEC-1",
        "test_eke_handshake.py",
        "the server always sends Y' = Y (no random sign): a passive partition attack",
        _eke_no_random_sign,
    ),
    Mutant(
        "ca-unknown-alias-revealed",
        "ca",
        "pki",
        "CA-ENR-6",
        "test_ca.py",
        "the CA answers an unknown alias differently from a wrong password",
        _ca_unknown_alias_revealed,
        default=True,
        ca=True,
    ),
)

# The client side: the suite's hostile server against the reference's `sft eke get`.
MUTANTS += (
    Mutant(
        "eke-client-skips-eke4-check",
        "eke-client",
        "eke",
        "EKE-HS-7",
        "test_eke_client.py",
        "the client never verifies EKE4 (an impostor server is not detected)",
        _eke_client_skips_eke4_check,
        default=True,
        client=True,
    ),
    Mutant(
        "pki-initiator-no-alias-check",
        "pki-client",
        "pki",
        "PKI-ID-1",
        "test_pki_tls.py",
        "the initiator accepts whatever alias the responder's certificate names",
        _pki_initiator_no_alias_check,
        default=True,
        client=True,
    ),
    Mutant(
        "initiator-no-integrity-check",
        "application",
        "pki",
        "APP-GET-3",
        "test_app_integrity.py",
        "the initiator never compares size and SHA-256 at DONE",
        _initiator_no_integrity_check,
        client=True,
    ),
)
MUTANTS += _EKE_SERVER + _EKE_CLIENT + _PKI + _CA + _APP + _TIMING + _SPEC + _RELIABILITY
MUTANTS += _INTEROP + _SYMMETRY + _HARDENING
MUTANTS += _GAPS
MUTANTS += _LEAD
MUTANTS += _THROTTLE
MUTANTS += _BLIND_PKI
MUTANTS += _BLIND_CA
MUTANTS += _BLIND_FRAMES
MUTANTS += _BLIND_CLIENT
MUTANTS += _BLIND_EKE
MUTANTS += _AMBIG
MUTANTS += _CLIENT_PUT
MUTANTS += _COVERAGE
MUTANTS += _BLIND2_CA
MUTANTS += _BLIND2_CLIENT
MUTANTS += _BLIND2_APP
MUTANTS += _BLIND2_EKE
MUTANTS += _BLIND3_EKE
MUTANTS += _BLIND3_PKI
MUTANTS += _BLIND3_CA
MUTANTS += _BLIND4_CA
MUTANTS += _BLIND5_CA
MUTANTS += _BLIND4_EKE
MUTANTS += _BLIND5_EKE
MUTANTS += _BLIND4_PKI
MUTANTS += _OBSERVABLE
MUTANTS += _FOREIGN
MUTANTS += _BLIND5_PKI
MUTANTS += _BLIND6_EKE + _BLIND6_PKI + _BLIND6_CA + _BLIND6_CLIENT
MUTANTS += _BLIND7_CLIENT
MUTANTS += _BLIND8_EKE + _BLIND8_CLIENT
MUTANTS += _BLIND9_EKE + _BLIND9_PKI + _BLIND9_CA + _BLIND9_CLIENT + _BLIND9_CLIENT2
MUTANTS += _BLIND9_OPS + _BLIND9_IDIOMS + _BLIND9_CAOPS
MUTANTS += _BLIND9_OPS2 + _BLIND9_CLIOPS
MUTANTS += _BLIND10_EKE + _BLIND10_PKI + _BLIND10_CLIENT + _BLIND10_OPS + _BLIND10_CA
MUTANTS += _BLIND10_CA2 + _BLIND10_CLIENT2
MUTANTS += _BLIND11_EKE + _BLIND11_PKI + _BLIND11_CLIENT + _BLIND11_CLIENT2 + _BLIND11_CA
MUTANTS += _BLIND11_CLIENT3 + _BLIND11_CA2 + _BLIND11_APP + _BLIND11_OPS
MUTANTS += _BLIND11_CLIENT4
MUTANTS += _BLIND12_EKE + _BLIND12_PKI + _BLIND12_CLIENT + _BLIND12_CLIENT2 + _BLIND12_CA
MUTANTS += _BLIND12_OPS
MUTANTS += _BLIND12_CLIENT3
MUTANTS += _BLIND13_EKE + _BLIND13_PKI + _BLIND13_CLIENT + _BLIND13_CLIENT2 + _BLIND13_CA
MUTANTS += _BLIND13_OPS + _BLIND13_CLIENT3 + _BLIND13_CLIENT4
MUTANTS += _BLIND14_EKE + _BLIND14_PKI + _BLIND14_CLIENT + _BLIND14_CLIENT2 + _BLIND14_CA
MUTANTS += _BLIND14_OPS + _BLIND14_CLIENT3
MUTANTS += _BLIND15_EKE + _BLIND15_PKI + _BLIND15_CLIENT + _BLIND15_CLIENT2 + _BLIND15_CA
MUTANTS += _BLIND15_OPS + _BLIND15_CLIENT3
MUTANTS += _CAPS
MUTANTS += _ENROLL
MUTANTS += _BLIND16_CLIENT2
MUTANTS += _BLIND16_EKE
MUTANTS += _BLIND16_PKI
MUTANTS += _BLIND16_OPS
MUTANTS += _BLIND17_OPS
MUTANTS += _BLIND18_OPS
MUTANTS += _BLIND19_OPS
MUTANTS += _BLIND17_EKE
MUTANTS += _BLIND18_EKE
MUTANTS += _BLIND19_EKE
MUTANTS += _BLIND19C_EKE
MUTANTS += _BLIND17_CLIENT
MUTANTS += _BLIND18_CLIENT
MUTANTS += _BLIND17_CLIENT2
MUTANTS += _BLIND18_CLIENT2
MUTANTS += _BLIND18B_CLIENT
MUTANTS += _BLIND18B_INI
MUTANTS += _BLIND19_CLIENT
MUTANTS += _BLIND19B_CLIENT
MUTANTS += _BLIND17_CA
MUTANTS += _BLIND18_CA
MUTANTS += _BLIND18B_CA
MUTANTS += _BLIND19_CA
MUTANTS += _BLIND19C_CA
MUTANTS += _BLIND20_CA
MUTANTS += _BLIND21_CA
MUTANTS += _BLIND21B_CA
MUTANTS += _BLIND22_CA
MUTANTS += _BLIND22B_CA
MUTANTS += _BLIND22B_EKE
MUTANTS += _BLIND20_EKE
MUTANTS += _BLIND20B_EKE
MUTANTS += _BLIND21_EKE
MUTANTS += _BLIND20B_CA
MUTANTS += _BLIND20_CLIENT
MUTANTS += _BLIND20B_CLIENT
MUTANTS += _BLIND21_CLIENT
MUTANTS += _BLIND21B_CLIENT
MUTANTS += _BLIND22_CLIENT
MUTANTS += _BLIND22_EKE
MUTANTS += _BLIND20_OPS
MUTANTS += _BLIND21_OPS
MUTANTS += _BLIND17_PKI
MUTANTS += _BLIND18_PKI
MUTANTS += _BLIND19_PKI
MUTANTS += _BLIND19C_PKI
MUTANTS += _BLIND20_PKI
MUTANTS += _BLIND21_PKI
MUTANTS += _BLIND22_PKI
MUTANTS += _BLIND22B_PKI
MUTANTS += _BLIND19_INI
MUTANTS += _BLIND20_INI
MUTANTS += _BLIND21_INI
MUTANTS += _BLIND21B_INI
MUTANTS += _BLIND22_INI
MUTANTS += _BLIND22B_INI
MUTANTS += _BLIND22_OPS
MUTANTS += _BLIND22B_OPS
MUTANTS += _BLIND19B_INI
MUTANTS += _I26
MUTANTS += _LEAD17
MUTANTS += _LEAD18
MUTANTS += _LEAD19
MUTANTS += _LEAD20
MUTANTS += _LEAD21
MUTANTS += _LEAD22
MUTANTS += _BLIND23_EKE
MUTANTS += _BLIND23_PKI
MUTANTS += _BLIND23_CLIENT
MUTANTS += _BLIND23_INI
MUTANTS += _BLIND23_CA
MUTANTS += _BLIND23_OPS
MUTANTS += _LEAD23
MUTANTS += _BLIND23B_EKE
MUTANTS += _BLIND23B_PKI
MUTANTS += _BLIND23B_CLIENT
MUTANTS += _BLIND23B_INI
MUTANTS += _BLIND23B_CA
MUTANTS += _BLIND24_EKE
MUTANTS += _BLIND24_PKI
MUTANTS += _BLIND24_CLIENT
MUTANTS += _BLIND24_INI
MUTANTS += _BLIND24_CA
MUTANTS += _BLIND24_OPS
MUTANTS += _LEAD24
MUTANTS += _LEAD25
MUTANTS += _LEAD25_CRL
MUTANTS += _BLIND25_EKE
MUTANTS += _BLIND25_PKI
MUTANTS += _BLIND25_CLIENT
MUTANTS += _BLIND25_INI
MUTANTS += _BLIND25_CA
MUTANTS += _BLIND25_OPS
MUTANTS += _BLIND25B_EKE
MUTANTS += _BLIND25B_PKI
MUTANTS += _BLIND26_CA
MUTANTS += _BLIND26_CLIENT
MUTANTS += _BLIND26_EKE
MUTANTS += _BLIND26_INI
MUTANTS += _BLIND26B_INI
MUTANTS += _BLIND26_PKI
MUTANTS += _LEAD26
MUTANTS += _BLIND26B_PKI
MUTANTS += _BLIND26B_EKE
MUTANTS += _LEAD26_SM
MUTANTS += _LEAD26_ORACLES
MUTANTS += _LEAD26_ORACLES2
MUTANTS += _LEAD26_CUT
MUTANTS += _BLIND27_EKE
MUTANTS += _BLIND27_PKI
MUTANTS += _BLIND27_CLIENT
MUTANTS += _BLIND27_INI
MUTANTS += _BLIND27_CA
MUTANTS += _LEAD27_HS
MUTANTS += _BLIND27B_CA
MUTANTS += _BLIND27B_CLIENT
MUTANTS += _BLIND27B_INI
MUTANTS += _LEAD27_ORACLES
MUTANTS += _BLIND27C_CA
MUTANTS += _BLIND27C_CLIENT
MUTANTS += _BLIND27C_INI
MUTANTS += _BLIND28_CA
MUTANTS += _BLIND28_CLIENT
MUTANTS += _BLIND28_INI
MUTANTS += _BLIND28_SRV
MUTANTS += _LEAD28_CM
MUTANTS += _BLIND28B_CA
MUTANTS += _BLIND28B_CLIENT
MUTANTS += _BLIND28B_INI
MUTANTS += _LEAD28_PM
MUTANTS += _BLIND25B_CLIENT
MUTANTS += _BLIND25B_INI
MUTANTS += _BLIND25B_CA
MUTANTS += _BLIND25B_OPS
MUTANTS += _BLIND16_CLIENT
MUTANTS += _BLIND16_CA
_BY_NAME = {m.name: m for m in MUTANTS}
if len(_BY_NAME) != len(MUTANTS):  # two families must not plant under one name
    raise RuntimeError("duplicate mutant names in conformance/selftest/mutants*.py")


class _NeverTracked(set[str]):
    def add(self, element: str) -> None:
        pass


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[1] != "--" or args[0] not in _BY_NAME:
        names = ", ".join(_BY_NAME)
        print(
            f"usage: python -m conformance.selftest.mutants NAME -- SFT-ARGS ({names})",
            file=sys.stderr,
        )
        return 2
    _BY_NAME[args[0]].apply()
    # A mutant models an implementation without the reference's exit sweep of
    # interrupted temporaries (reference/share.py `_UNFINISHED`): one that keeps its
    # temporary file on a failure must show it, not have the sweep remove it at exit.
    _module("reference.share")._UNFINISHED = _NeverTracked()
    cli = _module("reference.cli")
    code: int = cli.main(args[2:])
    return code


if __name__ == "__main__":
    sys.exit(main())
