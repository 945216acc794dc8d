"""A small sample generated once, its files written once, and an ENT key pair."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.samples import Sample, SampleFiles, generate_sample, write_sample
from imports.parsers import ParseContext
from imports.pronote_keys import pronote_keys_create

PARTNER = "ENT-ECHANTILLON"
SEED = 7
START_YEAR = 2026


@dataclass(frozen=True)
class KeyPair:
    private_pem: bytes
    public_pem: bytes


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyPair:
    """The ENT's key pair, made as ``manage.py pronote_keys`` makes it."""
    path = tmp_path_factory.mktemp("keys") / "pronote_private.pem"
    public_pem = pronote_keys_create(private_key_path=path)
    return KeyPair(private_pem=path.read_bytes(), public_pem=public_pem)


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
