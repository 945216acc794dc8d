"""The one notification module: internal messages, mails, absolute links, bilan recipients."""

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
            user=personas.alice, subject="Objet", body="Corps", link="https://x/", now=NOW
        )

    (message,) = Message.objects.all()
    assert (message.recipient, message.subject, message.link) == (
        personas.alice,
        "Objet",
        "https://x/",
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


def _bilan(personas: Personas, *, succeeded: bool) -> None:
    notifications.bilan_notify(
        school_group_id=personas.group_a.pk,
        deposited_by_id=personas.hugo.pk,
        succeeded=succeeded,
        subject="Bilan",
        body="Texte du bilan",
        link="https://ent.example.fr/cites/1/imports/2/",
        now=NOW,
    )


def test_a_problem_is_told_to_every_recipient_of_the_group(
    personas: Personas, recipients: list[User]
) -> None:
    _bilan(personas, succeeded=False)

    assert sorted(Message.objects.values_list("recipient__username", flat=True)) == [
        "alice",
        "hugo",
    ]


def test_a_success_is_told_only_to_the_recipient_who_deposited(
    personas: Personas, recipients: list[User]
) -> None:
    _bilan(personas, succeeded=True)

    assert list(Message.objects.values_list("recipient__username", flat=True)) == ["hugo"]


def test_a_user_named_by_two_sources_is_told_once(
    personas: Personas, recipients: list[User]
) -> None:
    notifications.bilan_recipients_register(lambda group_id: [personas.alice])

    _bilan(personas, succeeded=False)

    assert Message.objects.filter(recipient=personas.alice).count() == 1
