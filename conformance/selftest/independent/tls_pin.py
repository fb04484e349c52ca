"""PKI-TLS-9 for the independent pki1 and ca1, through OpenSSL's own configuration
(Python 3.11 has no API for the TLS 1.3 groups and signature algorithms).

OpenSSL reads its configuration once, when hashlib or ssl is first imported: a program
calls `pin_tls_parameters` before those imports, and only when run as a program
(importing pki1 or ca1 for their FAULTS must not change the importer's TLS). This module
imports neither.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["pin_tls_parameters"]

_OPENSSL_CONF = """openssl_conf = sft_init
[sft_init]
ssl_conf = sft_ssl
[sft_ssl]
system_default = sft_defaults
[sft_defaults]
Ciphersuites = TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256
Groups = X25519:P-256:P-384
SignatureAlgorithms = ECDSA+SHA256:rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512
"""


def pin_tls_parameters(program: str) -> None:
    """Points OPENSSL_CONF at a file holding the pinned parameters (one per program)."""
    conf = Path(tempfile.gettempdir()) / f"sft-{program}-openssl-{os.getuid()}.cnf"
    if not conf.is_file() or conf.read_text() != _OPENSSL_CONF:
        scratch = conf.with_name(f"{conf.name}.{os.getpid()}")
        scratch.write_text(_OPENSSL_CONF)
        scratch.replace(conf)
    os.environ["OPENSSL_CONF"] = str(conf)
