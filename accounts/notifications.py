"""Every notification the ENT sends its users: an internal message, and a mail when possible.

Two notices exist: the bilan of an import run, and the credentials of a depositor account.
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

logger = logging.getLogger(__name__)

# School group id -> users who asked to receive the bilans of its imports.
BilanRecipients = Callable[[int], Iterable[User]]
_bilan_recipient_sources: list[BilanRecipients] = []


@dataclass(frozen=True)
class LabelledUrl:
    label: str
    url: str


def absolute_url(viewname: str, *args: object) -> str:
    """Return the absolute URL of ``viewname`` under ``settings.ENT_PUBLIC_URL``."""
    return settings.ENT_PUBLIC_URL.rstrip("/") + reverse(viewname, args=args)


def notify(*, user: User, subject: str, body: str, link: str, now: dt.datetime) -> Message:
    """Deliver ``subject``/``body`` to ``user``: internal message now, mail after commit.

    A mail failure loses nothing: the internal message holds the same content.
    """
    message = message_send(recipient=user, subject=subject, body=body, now=now, link=link)
    email = user.email
    if email:
        transaction.on_commit(lambda: _send_mail_quietly(email, subject, body, user.pk))
    return message


# --- Bilans of import runs -----------------------------------------------------------------


def bilan_recipients_register(source: BilanRecipients) -> None:
    """Add a source of bilan recipients (called once per source, from an app's ``ready``)."""
    if source not in _bilan_recipient_sources:
        _bilan_recipient_sources.append(source)


def bilan_notify(
    *,
    school_group_id: int,
    deposited_by_id: int | None,
    succeeded: bool,
    subject: str,
    body: str,
    link: str,
    now: dt.datetime,
) -> None:
    """Send the bilan of an import run to the users who asked for it.

    A success concerns the one who deposited; a problem, every declared recipient.
    """
    recipients: dict[int, User] = {}
    for source in _bilan_recipient_sources:
        for user in source(school_group_id):
            recipients.setdefault(user.pk, user)
    for user in recipients.values():
        if succeeded and user.pk != deposited_by_id:
            continue
        notify(user=user, subject=subject, body=body, link=link, now=now)


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
    return notify(user=user, subject=subject, body=body, link=reveal_url, now=now)


def _send_mail_quietly(email: str, subject: str, body: str, user_id: int) -> None:
    try:
        send_mail(subject, body, None, [email])
    except OSError:
        logger.warning("Notification %r not e-mailed to user %s", subject, user_id, exc_info=True)
