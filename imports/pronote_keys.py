"""The ENT's RSA key pair for Index Education's encrypted exports.

Index Education encrypts each export's AES key with the public key of every partner ENT
(:mod:`imports.parsers.container`); the ENT keeps the private key in
``settings.PRONOTE_PRIVATE_KEY_PATH``, readable by its owner only.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_BITS = 2048
PUBLIC_EXPONENT = 65537


class PronoteKeyExists(Exception):
    """A private key is already there and overwriting it was not asked for."""


def public_key_pem(private_key_pem: bytes) -> bytes:
    """Return the public key (SubjectPublicKeyInfo PEM) of an RSA private key in PEM."""
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("La clé privée n'est pas une clé RSA.")
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def pronote_keys_create(*, private_key_path: Path, overwrite: bool = False) -> bytes:
    """Create an RSA key pair, write the private key (mode 0600), return the public PEM.

    Raises :class:`PronoteKeyExists` if ``private_key_path`` exists and ``overwrite`` is
    false: replacing the key makes every export encrypted for the old one unreadable.
    """
    if private_key_path.exists() and not overwrite:
        raise PronoteKeyExists(
            f"Une clé privée existe déjà dans {private_key_path} : la remplacer rendrait "
            "illisibles les exports chiffrés pour l'ancienne clé."
        )
    key = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_BITS)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    private_key_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = private_key_path.with_name(private_key_path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(private_pem)
    os.chmod(temporary, 0o600)
    os.replace(temporary, private_key_path)
    return public_key_pem(private_pem)
