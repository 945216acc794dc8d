"""A small sample generated once, its files written once, and an ENT key pair."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from imports.parsers import ParseContext
from imports.samples import Sample, SampleFiles, generate_sample, write_sample

PARTNER = "ENT-ECHANTILLON"
SEED = 7
START_YEAR = 2026


@dataclass(frozen=True)
class KeyPair:
    private_pem: bytes
    public_pem: bytes


@pytest.fixture(scope="session")
def keys() -> KeyPair:
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
def small() -> Sample:
    return generate_sample("small", seed=SEED, start_year=START_YEAR)


@pytest.fixture(scope="session")
def small_files(
    small: Sample, keys: KeyPair, tmp_path_factory: pytest.TempPathFactory
) -> SampleFiles:
    out: Path = tmp_path_factory.mktemp("small")
    return write_sample(small, out, encrypt_for=keys.public_pem, partner_name=PARTNER)


@pytest.fixture
def context(keys: KeyPair) -> ParseContext:
    return ParseContext(partner_name=PARTNER, private_key_pem=keys.private_pem)
