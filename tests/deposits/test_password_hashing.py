"""Depositor passwords: Argon2id at OWASP's minimum, earlier hashes upgraded at login."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, identify_hasher
from django.utils import timezone

from deposits import services
from deposits.models import DepositorAccount
from tests.conftest import Personas
from tests.deposits.conftest import make_depositor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("production_hashers")]

# argon2id, version 19, 7 MiB, 5 passes, 1 lane: one of OWASP's minimum configurations.
OWASP_ARGON2ID = "argon2_depositor$argon2id$v=19$m=7168,t=5,p=1$"


LEGACY_PASSWORD = "qAz8TOHpdf"


def _legacy_account(personas: Personas) -> DepositorAccount:
    """An account whose password was stored by Django's PBKDF2, before Argon2id."""
    legacy = PBKDF2PasswordHasher()
    account = make_depositor(personas.group_a, personas.charlie)
    DepositorAccount.objects.filter(pk=account.pk).update(
        password=legacy.encode(LEGACY_PASSWORD, legacy.salt())
    )
    account.refresh_from_db()
    assert check_password(LEGACY_PASSWORD, account.password)
    return account


def _authenticate(account: DepositorAccount, password: str) -> object:
    return services.depositor_authenticate(
        login=account.login, password=password, address="192.0.2.1", now=timezone.now()
    )


def test_a_new_depositor_password_is_stored_with_argon2id_at_the_owasp_minimum(
    initialised: Personas,
) -> None:
    account = make_depositor(initialised.group_a, initialised.charlie)

    assert account.password.startswith(OWASP_ARGON2ID)


def test_a_regenerated_depositor_password_is_stored_with_argon2id(initialised: Personas) -> None:
    account = make_depositor(initialised.group_a, initialised.charlie)

    account = services.depositor_account_regenerate_password(account=account, now=timezone.now())

    assert account.password.startswith(OWASP_ARGON2ID)


def test_an_account_hashed_with_pbkdf2_logs_in_and_its_hash_is_upgraded(
    initialised: Personas,
) -> None:
    account = _legacy_account(initialised)

    assert _authenticate(account, LEGACY_PASSWORD) is not None

    account.refresh_from_db()
    assert account.password.startswith(OWASP_ARGON2ID)
    assert check_password(LEGACY_PASSWORD, account.password)
    assert account.credentials_version == 1


def test_a_wrong_password_leaves_an_old_hash_as_it_is(initialised: Personas) -> None:
    account = _legacy_account(initialised)
    encoded = account.password

    assert _authenticate(account, "qAz8TOHpdX") is None

    account.refresh_from_db()
    assert account.password == encoded


def test_an_upgrade_never_overwrites_a_password_regenerated_meanwhile(
    initialised: Personas,
) -> None:
    account = _legacy_account(initialised)
    upgrade = services._password_upgrade(account)
    regenerated = services.depositor_account_regenerate_password(
        account=account, now=timezone.now()
    )

    upgrade(LEGACY_PASSWORD)

    account.refresh_from_db()
    assert account.password == regenerated.password
    assert not check_password(LEGACY_PASSWORD, account.password)


def test_people_keep_the_project_default_hasher_for_their_own_passwords(
    initialised: Personas,
) -> None:
    user = initialised.charlie
    user.set_password("un mot de passe choisi")
    user.save()

    assert identify_hasher(user.password).algorithm == "pbkdf2_sha256"


def test_an_unknown_login_is_checked_against_a_depositor_hash(initialised: Personas) -> None:
    assert identify_hasher(services._unknown_login_hash()).algorithm == "argon2_depositor"
    assert (
        services.depositor_authenticate(
            login="emp.personne.inconnue", password=LEGACY_PASSWORD, address="a", now=timezone.now()
        )
        is None
    )
