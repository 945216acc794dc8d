"""Shared fixtures: fast hashers, a clean cache, and personas.

Personas: ``alice`` manages school group A, ``hugo`` heads school group A, ``bob`` manages
school group B, ``charlie`` is an ENT user with no role.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import cache

from accounts.models import Role, User
from ent import settings as project_settings
from ent.models import Establishment, SchoolGroup
from tests.factories import EstablishmentFactory, RoleFactory, SchoolGroupFactory, UserFactory

PASSWORD = "motdepasse-de-test"


@pytest.fixture(autouse=True)
def _fast_hashers_and_clean_cache(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    settings.ENT_DEPOSITOR_PASSWORD_HASHER = "md5"  # type: ignore[attr-defined]
    # The hashed-name manifest exists only after collectstatic; tests serve plain names.
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    cache.clear()


@dataclass
class Personas:
    group_a: SchoolGroup
    group_b: SchoolGroup
    college_a: Establishment
    lycee_a: Establishment
    college_b: Establishment
    alice: User
    hugo: User
    bob: User
    charlie: User


@pytest.fixture
def personas(db: None) -> Personas:
    group_a = SchoolGroupFactory(name="Cité scolaire A")
    group_b = SchoolGroupFactory(name="Cité scolaire B")
    return Personas(
        group_a=group_a,
        group_b=group_b,
        college_a=EstablishmentFactory(school_group=group_a, name="Collège A"),
        lycee_a=EstablishmentFactory(
            school_group=group_a, name="Lycée A", kind=Establishment.Kind.LYCEE
        ),
        college_b=EstablishmentFactory(school_group=group_b, name="Collège B"),
        alice=RoleFactory(user__username="alice", school_group=group_a).user,
        hugo=RoleFactory(user__username="hugo", school_group=group_a, name=Role.Name.HEAD).user,
        bob=RoleFactory(user__username="bob", school_group=group_b).user,
        charlie=UserFactory(username="charlie"),
    )


@pytest.fixture
def production_hashers(settings: object) -> None:
    """The project's own password hashers, for accounts a server process started by a test
    (or a test of the hashers themselves) must verify."""
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS  # type: ignore[attr-defined]
    settings.ENT_DEPOSITOR_PASSWORD_HASHER = project_settings.ENT_DEPOSITOR_PASSWORD_HASHER  # type: ignore[attr-defined]
