from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse

from accounts.permissions import school_groups_for
from tests.conftest import PASSWORD, Personas

pytestmark = pytest.mark.django_db


def test_login_page_is_in_french(client: Client) -> None:
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    assert "Connexion à l'ENT" in response.content.decode()
    assert 'lang="fr"' in response.content.decode()


def test_home_sends_anonymous_visitors_to_the_login_page(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_manager_sees_her_school_group(client: Client, personas: Personas) -> None:
    client.force_login(personas.alice)

    response = client.get(reverse("school_group_detail", args=[personas.group_a.pk]))

    assert response.status_code == 200
    assert "Collège A" in response.content.decode()


def test_a_manager_gets_not_found_for_another_school_group(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.alice)

    response = client.get(reverse("school_group_detail", args=[personas.group_b.pk]))

    assert response.status_code == 404


def test_a_user_without_role_sees_no_school_group(client: Client, personas: Personas) -> None:
    client.force_login(personas.charlie)

    response = client.get(reverse("school_group_detail", args=[personas.group_a.pk]))

    assert response.status_code == 404
    assert not school_groups_for(personas.charlie).exists()


def test_school_groups_for_lists_only_the_roles_asked(personas: Personas) -> None:
    assert list(school_groups_for(personas.hugo, roles=["HEAD"])) == [personas.group_a]
    assert not school_groups_for(personas.alice, roles=["HEAD"]).exists()


def test_a_real_login_reaches_the_home_page(client: Client, personas: Personas) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": "alice", "password": PASSWORD}, follow=True
    )

    assert response.status_code == 200
    assert "Cité scolaire A" in response.content.decode()


def test_a_wrong_password_gets_a_french_message_saying_what_to_check_and_whom_to_ask(
    client: Client, personas: Personas
) -> None:
    wrong_password = client.post(
        reverse("accounts:login"), {"username": "alice", "password": "faux"}
    )
    unknown_login = client.post(
        reverse("accounts:login"), {"username": "personne", "password": PASSWORD}
    )

    page = html.unescape(wrong_password.content.decode())
    assert wrong_password.status_code == 200
    assert "Identifiant ou mot de passe non reconnu. Vérifiez les deux" in page
    assert "demandez à l'administrateur de l'ENT de votre établissement" in page
    assert "Saisissez" not in page and "Please enter" not in page
    # The same words whichever of the two was wrong.
    assert _errors(page) == _errors(html.unescape(unknown_login.content.decode()))
    assert "_auth_user_id" not in client.session


def _errors(page: str) -> str:
    return page.split('class="errors"', 1)[1].split("</div>", 1)[0]


def test_repeated_failed_logins_are_throttled(client: Client, personas: Personas) -> None:
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "alice", "password": "faux"})

    response = client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})

    assert response.status_code == 200
    assert "Trop de tentatives" in response.content.decode()
    assert "_auth_user_id" not in client.session
