"""ENT logins for people of the directory.

One rule opens every login: ``prénom.nom`` in lower-case ASCII (a number appended when
taken), names and e-mail from the directory, no password (the person sets one through the
ENT's own activation), and the person linked to the login so that messages addressed to them
wait in their ENT messaging.

- :func:`directory_logins_provision` opens, in bulk, the logins of the staff (teachers and
  other personnels) each AAF directory load lists; ``ent.services.directory`` calls it
  through the hook this app registers at start-up (``AccountsConfig.ready``,
  :data:`DIRECTORY_LOGINS`), as ``ent`` may not import ``accounts``.
- :func:`directory_logins_close` closes, in bulk, the logins of the people a load
  deactivates (they left every establishment the ENT knows them in): ``is_active`` off,
  dated in ``directory_closed_at``, their web sessions ended. Platform accounts (superuser
  or staff of the Django admin) are left open and reported: they are managed by hand.
- :func:`directory_logins_reopen` reopens the logins the directory closed once it lists
  their people again; a login closed by hand stays closed.
- :func:`person_user_provision` opens one, for a person the depositor picker chose who still
  has none (a person loaded before logins were provisioned, or by a load without the hook).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q

from accounts.models import Role, User
from accounts.services import user_sessions_end
from ent.models import Person
from ent.services.directory import LoginsOutcome
from ent.text import ascii_fold

_LOGIN_PART = re.compile(r"[^a-z0-9]+")
# Logins looked up per query (an IN list, or OR-ed prefixes for the homonyms).
_QUERY_CHUNK = 500


_T = TypeVar("_T")


def _chunks(items: Sequence[_T], size: int = _QUERY_CHUNK) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def directory_login_base(*, first_name: str, last_name: str) -> str:
    """Return ``prénom.nom`` in lower-case ASCII (hyphens for spaces and apostrophes)."""
    parts = [
        _LOGIN_PART.sub("-", ascii_fold(value).lower()).strip("-")
        for value in (first_name, last_name)
    ]
    return ".".join(part for part in parts if part) or "utilisateur"


def _login_user(person: Person, username: str) -> User:
    return User(
        username=username,
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        password=make_password(None),  # unusable: the person sets theirs on activation
    )


def directory_logins_free(bases: list[str]) -> list[str]:
    """Return a free login for each of ``bases``: the base, else the base with the smallest
    number making it unused (``jean.martin``, then ``jean.martin2`` for a homonym, counting
    the ones handed out earlier in ``bases``), in a few queries.
    """
    taken: set[str] = set()
    for chunk in _chunks(sorted(set(bases))):
        taken.update(User.objects.filter(username__in=chunk).values_list("username", flat=True))
    # Only a base already taken, or wanted twice, needs the numbered logins that exist.
    repeated = Counter(bases)
    crowded = sorted(base for base in repeated if base in taken or repeated[base] > 1)
    for chunk in _chunks(crowded):
        prefixes = Q()
        for base in chunk:
            prefixes |= Q(username__startswith=base)
        taken.update(User.objects.filter(prefixes).values_list("username", flat=True))
    logins = []
    for base in bases:
        login, suffix = base, 2
        while login in taken:
            login, suffix = f"{base}{suffix}", suffix + 1
        taken.add(login)
        logins.append(login)
    return logins


def directory_logins_provision(*, person_ids: Iterable[int]) -> int:
    """Open an ENT login for each of these people who has none, in bulk; return how many.

    Runs in the caller's transaction (the directory load's) and locks the rows it fills, so
    the depositor picker's :func:`person_user_provision` waits and then finds the login.
    """
    opened = 0
    for chunk in _chunks(list(person_ids)):
        with transaction.atomic():
            people = list(
                Person.objects.select_for_update()
                .filter(pk__in=chunk, user__isnull=True)
                .order_by("pk")
            )
            if not people:
                continue
            logins = directory_logins_free(
                [
                    directory_login_base(first_name=p.first_name, last_name=p.last_name)
                    for p in people
                ]
            )
            users = User.objects.bulk_create(
                [_login_user(p, login) for p, login in zip(people, logins, strict=True)]
            )
            for person, user in zip(people, users, strict=True):
                person.user = user
            Person.objects.bulk_update(people, ["user"])
            opened += len(users)
    return opened


def person_user_provision(*, person: Person) -> User:
    """Return the person's ENT login, opening one if they have none.

    Runs under the person's row lock so two simultaneous calls open one login only.
    """
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        if person.user_id is not None:
            return User.objects.get(pk=person.user_id)
        base = directory_login_base(first_name=person.first_name, last_name=person.last_name)
        user = _login_user(person, directory_logins_free([base])[0])
        user.save()
        person.user = user
        person.save(update_fields=["user"])
        return user


_PLATFORM = Q(is_superuser=True) | Q(is_staff=True)


def directory_logins_reopen(*, person_ids: Iterable[int]) -> int:
    """Reopen the logins the directory closed of these people, now active; return how many."""
    reopened = 0
    for chunk in _chunks(list(person_ids)):
        reopened += User.objects.filter(
            person__pk__in=chunk,
            person__is_active=True,
            is_active=False,
            directory_closed_at__isnull=False,
        ).update(is_active=True, directory_closed_at=None)
    return reopened


def directory_logins_close(*, person_ids: Iterable[int], now: dt.datetime) -> LoginsOutcome:
    """Close, in bulk, the open logins of these people, whom the directory has deactivated.

    Each closed login can no longer log in and its web sessions end once the load commits.
    Platform accounts stay open, with a warning; a closed login's roles are kept (its
    reopening restores them) and reported, so that someone takes them over.
    """
    outcome = LoginsOutcome()
    closed: list[int] = []
    for chunk in _chunks(list(person_ids)):
        logins = User.objects.filter(person__pk__in=chunk, is_active=True)
        for username, last, first in logins.filter(_PLATFORM).values_list(
            "username", "person__last_name", "person__first_name"
        ):
            outcome.counts["logins.kept"] += 1
            outcome.warnings.append(
                f"Identifiant ENT « {username} » laissé ouvert bien que {last.upper()} "
                f"{first} ait quitté l'annuaire : c'est un compte d'administration de la "
                "plateforme ; fermez-le dans l'administration de l'ENT s'il n'a plus lieu "
                "d'être."
            )
        ids = list(logins.exclude(_PLATFORM).values_list("pk", flat=True))
        User.objects.filter(pk__in=ids).update(is_active=False, directory_closed_at=now)
        closed.extend(ids)
    if not closed:
        return outcome
    outcome.counts["logins.closed"] += len(closed)
    roles = (
        Role.objects.filter(user_id__in=closed)
        .select_related("user", "school_group")
        .order_by("user__username", "school_group__name", "name")
    )
    for role in roles:
        outcome.warnings.append(
            f"Identifiant ENT « {role.user.username} » fermé : il avait le rôle "
            f"« {role.get_name_display()} » dans « {role.school_group.name} ». Confiez ce rôle "
            "à la personne qui reprend ses fonctions (administration de l'ENT, « Rôles »)."
        )
    transaction.on_commit(lambda: user_sessions_end(user_ids=closed))
    return outcome


class DirectoryLoginRules:
    """The login rules of this app, as ``ent.services.directory`` calls them."""

    def listed(self, *, person_ids: list[int], staff_ids: list[int]) -> LoginsOutcome:
        outcome = LoginsOutcome()
        outcome.counts["logins.reopened"] += directory_logins_reopen(person_ids=person_ids)
        if staff_ids:
            outcome.counts["logins.created"] += directory_logins_provision(person_ids=staff_ids)
        return outcome

    def deactivated(self, *, person_ids: list[int], now: dt.datetime) -> LoginsOutcome:
        return directory_logins_close(person_ids=person_ids, now=now)


DIRECTORY_LOGINS = DirectoryLoginRules()
