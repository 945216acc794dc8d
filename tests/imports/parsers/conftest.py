"""RSA key pairs for the encrypted-container tests (real 2048-bit keys, made once)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from imports.parsers import Limits, ParseContext

PARTNER = "ENT-TEST"


@dataclass(frozen=True)
class KeyPair:
    private_pem: bytes
    public_pem: bytes


def _key_pair() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return KeyPair(
        private_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        public_pem=key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )


@pytest.fixture(scope="session")
def ent_keys() -> KeyPair:
    """The ENT's own key pair."""
    return _key_pair()


@pytest.fixture(scope="session")
def other_keys() -> KeyPair:
    """Someone else's key pair (Index Education, another ENT)."""
    return _key_pair()


@pytest.fixture
def context(ent_keys: KeyPair) -> ParseContext:
    return ParseContext(partner_name=PARTNER, private_key_pem=ent_keys.private_pem, limits=Limits())
