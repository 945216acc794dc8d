"""The holder of a depositor account is chosen among the staff of the group in the annuaire."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Message, User
from deposits.models import DepositorAccount
from ent.models import Person
from tests.conftest import Personas
from tests.deposits.conftest import staff_member

pytestmark = pytest.mark.django_db


def _add_url(personas: Personas) -> str:
    return reverse("deposits:depositor_add", args=[personas.group_a.pk])


def test_a_manager_adds_a_teacher_without_login_who_then_receives_the_access_message(
    client: Client, initialised: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    dupuis = staff_member(
        initialised.lycee_a,
        "Dupuis",
        "Hélène",
        function="Enseignement — Anglais",
        email="helene.dupuis@example.org",
    )
    client.force_login(initialised.alice)

    search = html.unescape(
        client.get(_add_url(initialised), {"q": "dupuis helene"}).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        added = client.post(_add_url(initialised), {"person": dupuis.pk, "notify": "on"})

    assert "DUPUIS Hélène" in search
    assert "Enseignement — Anglais" in search and "Lycée A" in search
    assert "ouvert à la validation" in search
    assert added.status_code == 302
    dupuis.refresh_from_db()
    user = dupuis.user
    assert user is not None
    assert (user.username, user.email) == ("helene.dupuis", "helene.dupuis@example.org")
    assert not user.has_usable_password()
    account = DepositorAccount.objects.get(school_group=initialised.group_a)
    assert account.user == user and account.login == "emp.helene.dupuis"
    message = Message.objects.get(recipient=user)
    assert account.login in message.body and "/webdav/" in message.body
    assert [m.to for m in mail.outbox] == [["helene.dupuis@example.org"]]


def test_the_search_ignores_accents_and_case_and_offers_only_staff(
    client: Client, initialised: Personas
) -> None:
    staff_member(initialised.college_a, "Lefèvre", "Émile", function="Direction — Principal")
    staff_member(initialised.college_a, "Lefevre", "Zoé", kind=Person.Kind.STUDENT)
    client.force_login(initialised.hugo)

    page = html.unescape(client.get(_add_url(initialised), {"q": "LEFEVRE emile"}).content.decode())
    students = html.unescape(
        client.get(_add_url(initialised), {"q": "lefevre zoe"}).content.decode()
    )

    assert "LEFÈVRE Émile" in page and "Direction — Principal" in page and "Collège A" in page
    assert "LEFEVRE Zoé" not in students and "Personne ne correspond" in students


def test_people_of_another_school_group_are_never_offered_nor_accepted(
    client: Client, initialised: Personas
) -> None:
    outsider = staff_member(initialised.college_b, "Girard", "Paul")
    insider = staff_member(initialised.college_a, "Girard", "Anne")
    client.force_login(initialised.alice)

    page = html.unescape(client.get(_add_url(initialised), {"q": "girard"}).content.decode())
    forged = client.post(_add_url(initialised), {"person": outsider.pk, "notify": "on"})

    assert "GIRARD Anne" in page and "GIRARD Paul" not in page
    assert insider.pk != outsider.pk
    assert forged.status_code == 200
    assert "ne fait pas partie du personnel" in html.unescape(forged.content.decode())
    assert not DepositorAccount.objects.exists()
    assert not User.objects.filter(username="paul.girard").exists()
    outsider.refresh_from_db()
    assert outsider.user is None


def test_a_refused_addition_opens_no_login(client: Client, initialised: Personas) -> None:
    for n in range(5):
        staff = staff_member(initialised.college_a, f"Titulaire{n}", "Ana")
        client.force_login(initialised.hugo)
        client.post(_add_url(initialised), {"person": staff.pk, "notify": "on"})
    sixth = staff_member(initialised.college_a, "Sixieme", "Léo")

    response = client.post(_add_url(initialised), {"person": sixth.pk, "notify": "on"})

    assert DepositorAccount.objects.filter(school_group=initialised.group_a).count() == 5
    assert "le maximum" in html.unescape(response.content.decode())
    sixth.refresh_from_db()
    assert sixth.user is None


def test_a_holder_of_an_account_is_no_longer_offered(client: Client, initialised: Personas) -> None:
    person = staff_member(initialised.college_a, "Bernard", "Lucie")
    client.force_login(initialised.hugo)
    client.post(_add_url(initialised), {"person": person.pk, "notify": "on"})

    page = html.unescape(client.get(_add_url(initialised), {"q": "bernard"}).content.decode())
    again = client.post(_add_url(initialised), {"person": person.pk, "notify": "on"})

    assert "BERNARD Lucie" not in page
    assert again.status_code == 200
    assert DepositorAccount.objects.count() == 1


def test_homonyms_get_distinct_logins(db: None, personas: Personas) -> None:
    from accounts.provisioning import person_user_provision

    first = staff_member(personas.college_a, "Martin", "Léa")
    second = staff_member(personas.lycee_a, "Martin", "Léa")

    logins = {person_user_provision(person=p).username for p in (first, second)}

    assert logins == {"lea.martin", "lea.martin2"}
    assert person_user_provision(person=first).username in logins
    assert User.objects.filter(username__startswith="lea.martin").count() == 2
