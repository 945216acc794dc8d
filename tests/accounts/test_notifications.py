"""The one notification module: internal messages, mails, absolute links, problem notices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from accounts import notifications, services
from accounts.models import Message, User
from tests.conftest import Personas

NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)


def test_message_send_and_mark_read(personas: Personas) -> None:
    now = timezone.now()
    message = services.message_send(
        recipient=personas.alice, subject="Bilan", body="Import intégré.", now=now
    )

    services.message_mark_read(message=message, now=now)

    message.refresh_from_db()
    assert message.read_at == now


def test_links_are_absolute_under_the_public_url(settings: Any) -> None:
    settings.ENT_PUBLIC_URL = "https://ent.example.fr"

    url = notifications.absolute_url("imports:run_detail", 3, 7)

    assert url == "https://ent.example.fr/cites/3/imports/7/"


def test_a_notice_is_a_message_and_a_mail_sent_after_commit(
    personas: Personas, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    personas.alice.email = "alice@example.org"
    personas.alice.save()

    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(
            user=personas.alice,
            subject="Objet",
            body="Corps",
            link="https://x/",
            link_label="Voir l'import n° 7",
            now=NOW,
        )

    (message,) = Message.objects.all()
    assert (message.recipient, message.subject, message.link, message.link_text) == (
        personas.alice,
        "Objet",
        "https://x/",
        "Voir l'import n° 7",
    )
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (["alice@example.org"], "Objet", "Corps")
    ]


@pytest.fixture
def recipients(monkeypatch: pytest.MonkeyPatch, personas: Personas) -> list[User]:
    """Bilan recipients from one source registered for the test only (alice and hugo)."""
    users = [personas.alice, personas.hugo]
    monkeypatch.setattr(notifications, "_bilan_recipient_sources", [])
    notifications.bilan_recipients_register(
        lambda group_id: users if group_id == personas.group_a.pk else []
    )
    return users


def _notice(personas: Personas, kind: str = "import:1:tous:BLOCKED:SERVICES_DELETED") -> None:
    notifications.import_problem_notify(
        notice=notifications.ImportNotice(
            school_group_id=personas.group_a.pk,
            kind=kind,
            subject="Import automatique bloqué par un seuil — Tous les établissements",
            body="Texte court",
            link="https://ent.example.fr/cites/1/imports/2/",
            link_label="Voir l'import n° 2",
        ),
        now=NOW,
    )


def test_a_problem_is_told_to_every_recipient_of_the_group(
    personas: Personas, recipients: list[User]
) -> None:
    _notice(personas)

    assert sorted(Message.objects.values_list("recipient__username", flat=True)) == [
        "alice",
        "hugo",
    ]


def test_a_user_named_by_two_sources_is_told_once(
    personas: Personas, recipients: list[User]
) -> None:
    notifications.bilan_recipients_register(lambda group_id: [personas.alice])

    _notice(personas)

    assert Message.objects.filter(recipient=personas.alice).count() == 1


def test_the_same_problem_within_an_hour_updates_the_unread_message_without_a_second_mail(
    personas: Personas,
    recipients: list[User],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    personas.alice.email = "alice@example.org"
    personas.alice.save()
    later = NOW + dt.timedelta(minutes=50)

    with django_capture_on_commit_callbacks(execute=True):
        _notice(personas)
        notifications.import_problem_notify(
            notice=notifications.ImportNotice(
                school_group_id=personas.group_a.pk,
                kind="import:1:tous:BLOCKED:SERVICES_DELETED",
                subject="Import automatique bloqué par un seuil — Tous les établissements",
                body="Texte du deuxième",
                link="https://ent.example.fr/cites/1/imports/3/",
                link_label="Voir l'import n° 3",
            ),
            now=later,
        )

    message = Message.objects.get(recipient=personas.alice)
    assert message.repeats == 2
    assert (message.first_at, message.created_at) == (NOW, later)
    assert message.subject.endswith("(2 fois en moins d'une heure)")
    assert message.body.startswith("Texte du deuxième")
    assert "s'est produit 2 fois depuis le 26/11/2026 à 10:30" in message.body
    assert message.link.endswith("/imports/3/")
    assert message.link_text == "Voir l'import n° 3"
    assert len(mail.outbox) == 1


def test_a_problem_after_an_hour_once_read_or_of_another_kind_is_a_new_message(
    personas: Personas, recipients: list[User]
) -> None:
    _notice(personas)
    notifications.import_problem_notify(
        notice=notifications.ImportNotice(
            school_group_id=personas.group_a.pk,
            kind="import:1:tous:BLOCKED:SERVICES_DELETED",
            subject="Bloqué",
            body="Plus tard",
            link="https://x/",
            link_label="Voir l'import n° 4",
        ),
        now=NOW + dt.timedelta(minutes=61),
    )
    _notice(personas, kind="import:1:tous:REJECTED:UAI")
    for message in Message.objects.filter(recipient=personas.alice):
        services.message_mark_read(message=message, now=NOW)
    _notice(personas)

    assert Message.objects.filter(recipient=personas.alice).count() == 4
    assert set(
        Message.objects.filter(recipient=personas.alice).values_list("repeats", flat=True)
    ) == {1}
