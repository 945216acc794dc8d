"""ENT logins for people of the directory.

A person of the annuaire (``ent.Person``) may have no ENT login yet, e.g. a teacher whose
account was never opened. :func:`person_user_provision` opens it the way directory
provisioning does: login ``prénom.nom`` in lower-case ASCII (a number appended when taken),
names and e-mail from the directory, no password (the person sets one through the ENT's own
activation), and the person linked to the login so that messages addressed to them wait in
their ENT messaging.
"""

from __future__ import annotations

import re

from django.db import transaction

from accounts.models import User
from ent.models import Person
from ent.text import ascii_fold

_LOGIN_PART = re.compile(r"[^a-z0-9]+")


def directory_login_base(*, first_name: str, last_name: str) -> str:
    """Return ``prénom.nom`` in lower-case ASCII (hyphens for spaces and apostrophes)."""
    parts = [
        _LOGIN_PART.sub("-", ascii_fold(value).lower()).strip("-")
        for value in (first_name, last_name)
    ]
    return ".".join(part for part in parts if part) or "utilisateur"


def directory_login_free(base: str) -> str:
    """Return ``base``, or ``base`` with the smallest number making it unused."""
    taken = set(User.objects.filter(username__startswith=base).values_list("username", flat=True))
    if base not in taken:
        return base
    suffix = 2
    while f"{base}{suffix}" in taken:
        suffix += 1
    return f"{base}{suffix}"


def person_user_provision(*, person: Person) -> User:
    """Return the person's ENT login, opening one if they have none.

    Runs under the person's row lock so two simultaneous calls open one login only.
    """
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        if person.user_id is not None:
            return User.objects.get(pk=person.user_id)
        user = User(
            username=directory_login_free(
                directory_login_base(first_name=person.first_name, last_name=person.last_name)
            ),
            first_name=person.first_name,
            last_name=person.last_name,
            email=person.email,
        )
        user.set_unusable_password()
        user.save()
        person.user = user
        person.save(update_fields=["user"])
        return user
