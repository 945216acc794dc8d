"""Every notification the ENT sends its users: an internal message, and a mail when possible.

Two notices exist: a problem of an automatic import (with repeats grouped), and the
credentials of a depositor account.
Links are absolute, built from ``settings.ENT_PUBLIC_URL`` and the URL resolver, so they work
from a mail client as well as from the inbox.

This module sits in ``accounts`` (below ``imports`` and ``deposits``): it knows users and
messages only. Who asked for bilans is answered by the apps above through
:func:`bilan_recipients_register` (``deposits`` registers its depositor accounts).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from accounts.models import Message, User
from accounts.services import message_send
from ent.formatting import format_moment

logger = logging.getLogger(__name__)

# School group id -> users who asked to be told of the problems of its imports.
BilanRecipients = Callable[[int], Iterable[User]]
_bilan_recipient_sources: list[BilanRecipients] = []


@dataclass(frozen=True)
class LabelledUrl:
    label: str
    url: str


def absolute_url(viewname: str, *args: object) -> str:
    """Return the absolute URL of ``viewname`` under ``settings.ENT_PUBLIC_URL``."""
    return settings.ENT_PUBLIC_URL.rstrip("/") + reverse(viewname, args=args)


def notify(
    *, user: User, subject: str, body: str, link: str, link_label: str, now: dt.datetime
) -> Message:
    """Deliver ``subject``/``body`` to ``user``: internal message now, mail after commit.

    ``link_label`` names what ``link`` opens ("Voir l'import n° 12"): the message's button.
    A mail failure loses nothing: the internal message holds the same content.
    """
    message = message_send(
        recipient=user, subject=subject, body=body, now=now, link=link, link_label=link_label
    )
    email = user.email
    if email:
        transaction.on_commit(lambda: _send_mail_quietly(email, subject, body, user.pk))
    return message


# --- Problems of automatic imports --------------------------------------------------------

# A problem of the same kind as one told less than this before, and not read yet, updates
# that message instead of adding one (seed 001: messages only when there is a problem).
REPEAT_WINDOW = dt.timedelta(hours=1)


@dataclass(frozen=True)
class ImportNotice:
    """What a problem of an automatic import tells every recipient of its school group.

    ``kind`` names the problem (school group, target, status, controls or codes involved):
    notices of the same kind within :data:`REPEAT_WINDOW` of each other are grouped.
    """

    school_group_id: int
    kind: str
    subject: str
    body: str
    link: str
    link_label: str  # what the link opens: "Voir l'import n° 12"


def bilan_recipients_register(source: BilanRecipients) -> None:
    """Add a source of bilan recipients (called once per source, from an app's ``ready``)."""
    if source not in _bilan_recipient_sources:
        _bilan_recipient_sources.append(source)


def import_problem_notify(*, notice: ImportNotice, now: dt.datetime) -> list[Message]:
    """Tell every user who asked for the group's notifications about ``notice``.

    For a user already told of the same kind of problem less than :data:`REPEAT_WINDOW` ago
    who has not read it yet, that message is updated instead: the latest import's text and
    link, the number of occurrences and the time of the first, moved to the top of the inbox,
    with no second mail. Returns the messages sent or updated.
    """
    recipients: dict[int, User] = {}
    for source in _bilan_recipient_sources:
        for user in source(notice.school_group_id):
            recipients.setdefault(user.pk, user)
    messages = []
    for user in recipients.values():
        previous = (
            Message.objects.filter(
                recipient=user,
                kind=notice.kind,
                read_at__isnull=True,
                created_at__gte=now - REPEAT_WINDOW,
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if previous is None:
            message = notify(
                user=user,
                subject=notice.subject,
                body=notice.body,
                link=notice.link,
                link_label=notice.link_label,
                now=now,
            )
            message.kind, message.first_at = notice.kind, now
            message.save(update_fields=["kind", "first_at"])
        else:
            message = _repeat(previous, notice, now)
        messages.append(message)
    return messages


def _repeat(message: Message, notice: ImportNotice, now: dt.datetime) -> Message:
    first = message.first_at or message.created_at
    message.repeats += 1
    message.first_at = first
    message.subject = f"{notice.subject} ({message.repeats} fois en moins d'une heure)"[:200]
    message.body = (
        f"{notice.body}\n"
        f"Ce problème s'est produit {message.repeats} fois depuis le "
        f"{format_moment(first)} ; ce message décrit le dernier import. Les précédents "
        "restent dans l'historique des imports.\n"
    )
    message.link, message.link_label = notice.link, notice.link_label
    message.created_at = now
    message.save(
        update_fields=["repeats", "first_at", "subject", "body", "link", "link_label", "created_at"]
    )
    return message


# --- Credentials of depositor accounts -----------------------------------------------------


def credentials_notify(
    *,
    user: User,
    login: str,
    school_group_name: str,
    reveal_url: str,
    reveal_validity: dt.timedelta,
    deposit_urls: Iterable[LabelledUrl],
    is_new: bool,
    now: dt.datetime,
) -> Message:
    """Tell ``user`` the login, deposit URLs and one-time password link of their account."""
    urls = "\n".join(f"- {url.label} :\n  {url.url}" for url in deposit_urls)
    if is_new:
        subject = "Votre accès à l'import automatisé de l'emploi du temps"
        opening = (
            "Votre accès au service d'import automatisé de l'emploi du temps vient d'être "
            f"ouvert pour {school_group_name} :"
        )
    else:
        subject = "Nouveau mot de passe pour l'import automatisé de l'emploi du temps"
        opening = (
            "Le mot de passe de votre accès au service d'import automatisé de l'emploi du "
            f"temps ({school_group_name}) vient d'être régénéré ; l'ancien ne "
            "fonctionne plus :"
        )
    body = (
        f"Bonjour,\n\n{opening}\n\n"
        f"- identifiant : {login}\n"
        "- mot de passe : à afficher une seule fois avec le lien ci-dessous "
        f"(valable {reveal_validity.days} jours)\n\n"
        f"{reveal_url}\n\n"
        "Ce lien affiche aussi les URL de dépôt prêtes à coller, identifiant et mot de passe "
        "compris, dans EDT, PRONOTE ou UnDeuxTEMPS. Vous pouvez à présent configurer votre "
        "poste de travail afin d'enregistrer les fichiers issus de votre logiciel d'emploi "
        "du temps dans l'ENT.\n\n"
        f"Les URL de dépôt de fichiers sont les suivantes :\n\n{urls}\n\n"
        "Pensez à conserver ce message pour retrouver rapidement vos paramètres d'accès au "
        "service d'import automatisé.\n\n"
        "Cordialement,\n\nL'équipe ENT"
    )
    return notify(
        user=user,
        subject=subject,
        body=body,
        link=reveal_url,
        link_label="Afficher le mot de passe du compte d'accès (une seule fois)",
        now=now,
    )


def _send_mail_quietly(email: str, subject: str, body: str, user_id: int) -> None:
    try:
        send_mail(subject, body, None, [email])
    except OSError:
        logger.warning("Notification %r not e-mailed to user %s", subject, user_id, exc_info=True)
