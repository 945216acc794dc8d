"""Depositor accounts whose holder the AAF directory load deactivated.

A depositor account authenticates with its own password, but it is held by an ENT login:
once the directory closes that login (``accounts.provisioning``), the account is suspended
(:func:`deposits.services.depositor_authenticate` refuses it) and comes back if the directory
reopens the login. The heads and vie-scolaire managers of the school group are told at once,
by the ENT messaging, to replace it: the timetable program still uses its URL. Registered
with ``ent.services.directory`` in ``DepositsConfig.ready``, after ``accounts``' rules.
"""

from __future__ import annotations

import datetime as dt

from accounts.models import User
from accounts.notifications import absolute_url, notify
from accounts.permissions import MANAGEMENT_ROLES
from deposits.models import DepositorAccount
from ent.services.directory import LoginsOutcome

_CHUNK = 500


def depositor_holders_left(*, person_ids: list[int], now: dt.datetime) -> LoginsOutcome:
    """Report the depositor accounts suspended because their holder's login was closed."""
    outcome = LoginsOutcome()
    for start in range(0, len(person_ids), _CHUNK):
        accounts = (
            DepositorAccount.objects.filter(
                user__person__pk__in=person_ids[start : start + _CHUNK], user__is_active=False
            )
            .select_related("user", "school_group")
            .order_by("school_group__name", "login")
        )
        for account in accounts:
            outcome.counts["depositor_accounts.suspended"] += 1
            holder = _holder_name(account.user)
            outcome.warnings.append(
                f"Compte d'accès au dépôt « {account.login} » de « {account.school_group.name} » "
                f"suspendu : son titulaire, {holder}, a quitté l'annuaire. Le chef "
                "d'établissement doit le supprimer et ajouter un compte pour la personne qui "
                "reprend l'emploi du temps."
            )
            _managers_notify(account, holder=holder, now=now)
    return outcome


def _holder_name(user: User) -> str:
    return f"{user.last_name.upper()} {user.first_name}".strip() or user.username


def _managers_notify(account: DepositorAccount, *, holder: str, now: dt.datetime) -> None:
    managers = User.objects.filter(
        is_active=True,
        roles__school_group_id=account.school_group_id,
        roles__name__in=MANAGEMENT_ROLES,
    ).distinct()
    body = (
        "Bonjour,\n\n"
        f"{holder} a quitté l'annuaire de l'ENT : son identifiant ENT est fermé et son compte "
        f"d'accès au dépôt « {account.login} » est suspendu. Les emplois du temps déposés avec "
        "ce compte sont désormais refusés.\n\n"
        "Si le logiciel d'emploi du temps utilise ce compte, supprimez-le dans « Comptes "
        "d'accès », ajoutez un compte pour la personne qui reprend l'emploi du temps, puis "
        "saisissez ses nouvelles URL de dépôt dans le logiciel.\n\n"
        "L'équipe ENT"
    )
    link = absolute_url("deposits:depositor_list", account.school_group_id)
    for manager in managers:
        notify(
            user=manager,
            subject=f"Compte d'accès « {account.login} » suspendu",
            body=body,
            link=link,
            link_label="Voir les comptes d'accès",
            now=now,
        )


class DepositorHolderRules:
    """The rules of this app, as ``ent.services.directory`` calls them."""

    def listed(self, *, person_ids: list[int], staff_ids: list[int]) -> LoginsOutcome:
        return LoginsOutcome()  # a reopened login brings its depositor accounts back

    def deactivated(self, *, person_ids: list[int], now: dt.datetime) -> LoginsOutcome:
        return depositor_holders_left(person_ids=person_ids, now=now)


DEPOSITOR_HOLDERS = DepositorHolderRules()
