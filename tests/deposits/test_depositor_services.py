from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Message
from deposits import services
from deposits.models import CredentialReveal, DepositorAccount
from ent.models import Person
from tests.conftest import Personas
from tests.deposits.conftest import make_depositor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_login_is_emp_first_name_last_name_in_lower_case_ascii(initialised: Personas) -> None:
    user = UserFactory(first_name="Éloïse", last_name="Le Guérec-Œuvre")

    account = make_depositor(initialised.group_a, user)

    assert account.login == "emp.eloise.le-guerec-oeuvre"


def test_homonyms_get_a_numeric_suffix(initialised: Personas) -> None:
    first = UserFactory(first_name="Jean", last_name="Martin")
    second = UserFactory(first_name="Jean", last_name="Martin")
    third = UserFactory(first_name="Jean", last_name="Martin")

    logins = [make_depositor(initialised.group_a, user).login for user in (first, second, third)]

    assert logins == ["emp.jean.martin", "emp.jean.martin2", "emp.jean.martin3"]


def test_the_password_is_stored_hashed_and_delivered_only_through_the_reveal_link(
    initialised: Personas,
) -> None:
    account = make_depositor(initialised.group_a, initialised.charlie)
    message = Message.objects.get(recipient=initialised.charlie)
    token = message.link.rstrip("/").rsplit("/", 1)[-1]

    revealed = services.credential_reveal_consume(
        token=token, user=initialised.charlie, now=timezone.now()
    )

    assert re.fullmatch(r"[A-Za-z0-9]{10}", revealed.password)
    assert revealed.password not in account.password
    assert revealed.password not in message.body
    assert account.login in message.body
    assert not CredentialReveal.objects.exclude(encrypted_password="").exists()
    assert revealed.urls[0].url.startswith(f"http://{account.login}:{revealed.password}@")


def test_the_reveal_link_works_once(initialised: Personas) -> None:
    make_depositor(initialised.group_a, initialised.charlie)
    token = Message.objects.get(recipient=initialised.charlie).link.rstrip("/").rsplit("/", 1)[-1]
    services.credential_reveal_consume(token=token, user=initialised.charlie, now=timezone.now())

    with pytest.raises(services.CredentialRevealUnavailable):
        services.credential_reveal_consume(
            token=token, user=initialised.charlie, now=timezone.now()
        )


def test_the_reveal_link_expires_after_seven_days(initialised: Personas) -> None:
    make_depositor(initialised.group_a, initialised.charlie)
    token = Message.objects.get(recipient=initialised.charlie).link.rstrip("/").rsplit("/", 1)[-1]
    later = timezone.now() + services.REVEAL_VALIDITY

    with pytest.raises(services.CredentialRevealUnavailable):
        services.credential_reveal_consume(token=token, user=initialised.charlie, now=later)


def test_the_reveal_link_is_only_for_the_account_holder(initialised: Personas) -> None:
    make_depositor(initialised.group_a, initialised.charlie)
    token = Message.objects.get(recipient=initialised.charlie).link.rstrip("/").rsplit("/", 1)[-1]

    with pytest.raises(services.CredentialRevealUnavailable):
        services.credential_reveal_consume(token=token, user=initialised.bob, now=timezone.now())


def test_the_message_lists_one_deposit_url_per_establishment(initialised: Personas) -> None:
    make_depositor(initialised.group_a, initialised.charlie)

    body = Message.objects.get(recipient=initialised.charlie).body

    group_id = initialised.group_a.pk
    assert f"Tous les établissements :\n  http://127.0.0.1:8000/webdav/{group_id}/" in body
    assert f"/webdav/{group_id}/{initialised.college_a.pk}/" in body
    assert f"/webdav/{group_id}/{initialised.lycee_a.pk}/" in body
    assert "Établissement Lycée A" in body


def test_credentials_are_emailed_when_the_user_has_an_address(
    initialised: Personas, django_capture_on_commit_callbacks: object, settings: object
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]
    user = UserFactory(first_name="Ana", last_name="Lopez", email="ana@example.org")

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        make_depositor(initialised.group_a, user)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@example.org"]
    assert "emp.ana.lopez" in mail.outbox[0].body


def test_a_sixth_account_is_refused(initialised: Personas) -> None:
    for _ in range(5):
        make_depositor(initialised.group_a, UserFactory())

    with pytest.raises(services.DepositorAccountError) as error:
        make_depositor(initialised.group_a, UserFactory())

    assert error.value.code == "limit_reached"
    assert DepositorAccount.objects.filter(school_group=initialised.group_a).count() == 5


def test_the_database_refuses_a_sixth_slot_and_a_reused_slot(initialised: Personas) -> None:
    account = make_depositor(initialised.group_a, UserFactory())
    now = timezone.now()

    with pytest.raises(IntegrityError), transaction.atomic():
        DepositorAccount.objects.create(
            school_group=initialised.group_a,
            user=UserFactory(),
            slot=6,
            login="emp.x.six",
            password="!",
            created_at=now,
            password_changed_at=now,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        DepositorAccount.objects.create(
            school_group=initialised.group_a,
            user=UserFactory(),
            slot=account.slot,
            login="emp.x.same",
            password="!",
            created_at=now,
            password_changed_at=now,
        )


def test_a_deleted_account_frees_its_slot(initialised: Personas) -> None:
    accounts = [make_depositor(initialised.group_a, UserFactory()) for _ in range(5)]
    services.depositor_account_delete(account=accounts[2])

    replacement = make_depositor(initialised.group_a, UserFactory())

    assert replacement.slot == accounts[2].slot


def test_the_same_user_cannot_hold_two_accounts_in_one_school_group(
    initialised: Personas,
) -> None:
    make_depositor(initialised.group_a, initialised.charlie)

    with pytest.raises(services.DepositorAccountError) as error:
        make_depositor(initialised.group_a, initialised.charlie)

    assert error.value.code == "already_depositor"


def test_regenerating_invalidates_the_old_password_and_the_old_link(
    initialised: Personas,
) -> None:
    account = make_depositor(initialised.group_a, initialised.charlie)
    old_token = Message.objects.get(recipient=initialised.charlie).link.rsplit("/", 2)[-2]

    services.depositor_account_regenerate_password(account=account, now=timezone.now())

    with pytest.raises(services.CredentialRevealUnavailable):
        services.credential_reveal_consume(
            token=old_token, user=initialised.charlie, now=timezone.now()
        )
    new_message = Message.objects.filter(recipient=initialised.charlie).latest("pk")
    assert "régénéré" in new_message.body
    account.refresh_from_db()
    assert account.credentials_version == 2


def test_authentication_accepts_the_password_and_refuses_others(initialised: Personas) -> None:
    account = make_depositor(initialised.group_a, initialised.charlie)
    password = _reveal(initialised)

    good = services.depositor_authenticate(
        login=account.login, password=password, address="a", now=timezone.now()
    )
    bad = services.depositor_authenticate(
        login=account.login, password="nope", address="a", now=timezone.now()
    )
    unknown = services.depositor_authenticate(
        login="emp.x.y", password=password, address="a", now=timezone.now()
    )

    assert good is not None
    assert good.school_group_id == initialised.group_a.pk
    assert good.establishment_ids == {initialised.college_a.pk, initialised.lycee_a.pk}
    assert bad is None
    assert unknown is None


def test_a_cached_success_does_not_survive_regeneration(initialised: Personas) -> None:
    account = make_depositor(initialised.group_a, initialised.charlie)
    password = _reveal(initialised)
    assert services.depositor_authenticate(
        login=account.login, password=password, address="a", now=timezone.now()
    )

    services.depositor_account_regenerate_password(account=account, now=timezone.now())

    assert (
        services.depositor_authenticate(
            login=account.login, password=password, address="a", now=timezone.now()
        )
        is None
    )


def test_repeated_failures_block_that_login_from_that_address_only(
    initialised: Personas,
) -> None:
    account = make_depositor(initialised.group_a, initialised.charlie)
    password = _reveal(initialised)
    now = timezone.now()
    for _ in range(5):
        services.depositor_authenticate(login=account.login, password="faux", address="b", now=now)

    from_b = services.depositor_authenticate(
        login=account.login, password=password, address="b", now=now
    )
    from_c = services.depositor_authenticate(
        login=account.login, password=password, address="c", now=now
    )

    assert from_b is None
    assert from_c is not None


def _reveal(personas: Personas) -> str:
    token = Message.objects.filter(recipient=personas.charlie).latest("pk").link.rsplit("/", 2)[-2]
    return services.credential_reveal_consume(
        token=token, user=personas.charlie, now=timezone.now()
    ).password


def test_a_holder_is_foreign_only_when_they_belong_elsewhere(personas: Personas) -> None:
    staff_a = UserFactory(username="staff-a")
    person = Person.objects.create(
        kind=Person.Kind.STAFF, last_name="Durand", first_name="Anne", user=staff_a
    )
    person.establishments.add(personas.college_a)
    staff_b = UserFactory(username="staff-b")
    Person.objects.create(
        kind=Person.Kind.STAFF, last_name="Morel", first_name="Paul", user=staff_b
    ).establishments.add(personas.college_b)

    def foreign(user: object) -> bool:
        return services.depositor_holder_is_foreign(school_group=personas.group_a, user=user)  # type: ignore[arg-type]

    assert not foreign(personas.hugo)  # a role in group A
    assert not foreign(staff_a)  # in the directory of one of group A's establishments
    assert foreign(personas.bob)  # a role in group B only
    assert foreign(staff_b)  # in group B's directory only
    assert foreign(UserFactory(username="root", is_superuser=True))
