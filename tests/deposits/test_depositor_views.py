from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Message
from deposits.models import DepositorAccount
from tests.conftest import Personas
from tests.deposits.conftest import initialise_school_group, make_depositor, staff_member
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _list_url(personas: Personas) -> str:
    return reverse("deposits:depositor_list", args=[personas.group_a.pk])


def test_the_head_adds_a_depositor_found_by_name(client: Client, initialised: Personas) -> None:
    target = UserFactory(first_name="Thibault", last_name="Bourgeois")
    staff_member(initialised.college_a, "Bourgeois", "Thibault", user=target)
    client.force_login(initialised.hugo)
    add_url = reverse("deposits:depositor_add", args=[initialised.group_a.pk])
    search = client.get(add_url, {"q": "bourg"})

    response = client.post(add_url, {"person": target.person.pk, "notify": "on"}, follow=True)

    assert "BOURGEOIS Thibault" in search.content.decode()
    assert response.status_code == 200
    page = response.content.decode()
    assert "emp.thibault.bourgeois" in page
    assert Message.objects.filter(recipient=target).count() == 1


def test_a_manager_manages_the_accounts_like_the_head(
    client: Client, initialised: Personas
) -> None:
    account = make_depositor(initialised.group_a, initialised.charlie)
    client.force_login(initialised.alice)

    page = client.get(_list_url(initialised)).content.decode()
    add = client.get(reverse("deposits:depositor_add", args=[initialised.group_a.pk]))
    regenerate = client.post(
        reverse("deposits:depositor_regenerate", args=[initialised.group_a.pk, account.pk])
    )
    delete = client.post(
        reverse("deposits:depositor_delete", args=[initialised.group_a.pk, account.pk])
    )

    assert "Ajouter un utilisateur" in page and "Supprimer" in page
    assert add.status_code == 200
    assert regenerate.status_code == delete.status_code == 302
    assert Message.objects.filter(recipient=initialised.charlie).count() == 2
    assert not DepositorAccount.objects.exists()


def test_another_school_group_sees_nothing(client: Client, initialised: Personas) -> None:
    client.force_login(initialised.bob)

    response = client.get(_list_url(initialised))

    assert response.status_code == 404


def test_adding_is_unavailable_before_the_first_manual_import(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.hugo)

    page = client.get(_list_url(personas)).content.decode()
    response = client.post(
        reverse("deposits:depositor_add", args=[personas.group_a.pk]),
        {"person": staff_member(personas.college_a, "Charlier", "Jean").pk},
        follow=True,
    )

    assert "premier import manuel" in page
    assert "Ajouter un utilisateur" not in page
    assert "premier import manuel" in response.content.decode()
    assert not DepositorAccount.objects.exists()


def test_the_sixth_addition_is_refused_with_a_message(
    client: Client, initialised: Personas
) -> None:
    for _ in range(5):
        make_depositor(initialised.group_a, UserFactory())
    client.force_login(initialised.hugo)

    page = client.get(_list_url(initialised)).content.decode()
    response = client.post(
        reverse("deposits:depositor_add", args=[initialised.group_a.pk]),
        {"person": staff_member(initialised.college_a, "Charlier", "Jean").pk},
    )

    assert "Les 5 comptes d'accès sont attribués" in page
    assert "le maximum" in response.content.decode()
    assert DepositorAccount.objects.count() == 5


def test_the_head_deletes_after_confirmation(client: Client, initialised: Personas) -> None:
    account = make_depositor(initialised.group_a, initialised.charlie)
    client.force_login(initialised.hugo)
    url = reverse("deposits:depositor_delete", args=[initialised.group_a.pk, account.pk])

    confirm = client.get(url)
    client.post(url)

    assert "Supprimer le compte d'accès" in confirm.content.decode()
    assert not DepositorAccount.objects.exists()


def test_the_head_regenerates_after_confirmation(client: Client, initialised: Personas) -> None:
    account = make_depositor(initialised.group_a, initialised.charlie)
    client.force_login(initialised.hugo)
    url = reverse("deposits:depositor_regenerate", args=[initialised.group_a.pk, account.pk])

    confirm = client.get(url)
    client.post(url)

    assert "Régénérer le mot de passe" in confirm.content.decode()
    account.refresh_from_db()
    assert account.credentials_version == 2
    assert Message.objects.filter(recipient=initialised.charlie).count() == 2


def test_the_head_toggles_the_notification(client: Client, initialised: Personas) -> None:
    account = make_depositor(initialised.group_a, initialised.charlie)
    client.force_login(initialised.hugo)

    client.post(
        reverse("deposits:depositor_notify", args=[initialised.group_a.pk, account.pk]),
        {"notify": ""},
    )

    account.refresh_from_db()
    assert account.notify is False


def test_the_reveal_page_shows_the_password_once(client: Client, initialised: Personas) -> None:
    make_depositor(initialised.group_a, initialised.charlie)
    link = Message.objects.get(recipient=initialised.charlie).link
    path = link.removeprefix("http://127.0.0.1:8000")
    client.force_login(initialised.charlie)

    before = client.get(path)
    first = client.post(path)
    second = client.post(path)

    assert "Afficher le mot de passe" in before.content.decode()
    assert first.status_code == 200
    assert "URL de dépôt prêtes à coller" in first.content.decode()
    assert first["Cache-Control"] == "no-store"
    assert second.status_code == 410


def test_the_inbox_shows_the_unread_count_and_marks_read(
    client: Client, initialised: Personas
) -> None:
    make_depositor(initialised.group_a, initialised.charlie)
    message = Message.objects.get(recipient=initialised.charlie)
    client.force_login(initialised.charlie)

    home = client.get(reverse("accounts:message_list")).content.decode()
    detail = client.get(reverse("accounts:message_detail", args=[message.pk]))
    after = client.get(reverse("accounts:message_list")).content.decode()

    assert '<span class="badge"' in home
    assert "emp." in detail.content.decode()
    # The button names what it opens, not « Ouvrir le lien ».
    assert ">Afficher le mot de passe du compte d&#x27;accès (une seule fois)</a>" in (
        detail.content.decode()
    )
    assert '<span class="badge"' not in after


def test_a_user_cannot_read_another_users_message(client: Client, initialised: Personas) -> None:
    make_depositor(initialised.group_a, initialised.charlie)
    message = Message.objects.get(recipient=initialised.charlie)
    client.force_login(initialised.bob)

    response = client.get(reverse("accounts:message_detail", args=[message.pk]))

    assert response.status_code == 404


def test_group_b_initialisation_does_not_open_group_a(client: Client, personas: Personas) -> None:
    initialise_school_group(personas.group_b)
    client.force_login(personas.hugo)

    page = client.get(_list_url(personas)).content.decode()

    assert "premier import manuel" in page


def test_the_list_says_notification_warns_of_imports_needing_an_action_not_of_every_import(
    client: Client, initialised: Personas
) -> None:
    make_depositor(initialised.group_a, initialised.charlie)
    client.force_login(initialised.alice)

    page = client.get(_list_url(initialised)).content.decode()

    assert "le bilan de chaque import automatisé" not in page
    assert "quand un import automatisé de la cité scolaire demande une action" in page
    assert "Un import intégré sans alerte n'envoie rien." in page


def test_the_revealed_deposit_urls_are_labelled_fields_without_inline_script(
    client: Client, initialised: Personas
) -> None:
    make_depositor(initialised.group_a, initialised.charlie)
    link = Message.objects.get(recipient=initialised.charlie).link
    client.force_login(initialised.charlie)

    page = client.post(link).content.decode()

    assert "onfocus" not in page
    assert page.count("data-select-on-focus") == 3
    for number in (1, 2, 3):
        assert f'<label for="deposit-url-{number}">' in page
        assert f'id="deposit-url-{number}"' in page
    assert "/static/js/select-on-focus" in page
