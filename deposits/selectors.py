"""Reads of the deposits app: depositor accounts, candidates, bilan recipients."""

from __future__ import annotations

from django.db.models import Max, OuterRef, Prefetch, QuerySet, Subquery

from accounts.models import User
from deposits.models import DepositorAccount
from ent.models import Establishment, Person, SchoolGroup
from ent.text import name_key
from imports.models import ImportRun

CANDIDATE_LIMIT = 20


def depositor_account_list(*, school_group: SchoolGroup) -> QuerySet[DepositorAccount]:
    """Return the school group's depositor accounts with the time of their last deposit."""
    last_deposit = (
        ImportRun.objects.filter(
            school_group=school_group,
            deposited_by=OuterRef("user"),
            mode=ImportRun.Mode.AUTOMATIC,
        )
        .values("deposited_by")
        .annotate(last=Max("received_at"))
        .values("last")
    )
    return (
        DepositorAccount.objects.filter(school_group=school_group)
        .select_related("user")
        .annotate(last_deposit_at=Subquery(last_deposit))
        .order_by("user__last_name", "user__first_name", "login")
    )


def depositor_account_get(*, school_group: SchoolGroup, account_id: int) -> DepositorAccount:
    """Return one depositor account of the school group (``DoesNotExist`` otherwise)."""
    return DepositorAccount.objects.select_related("user", "school_group").get(
        school_group=school_group, pk=account_id
    )


def depositor_candidate_people(*, school_group: SchoolGroup) -> QuerySet[Person]:
    """Return the staff of the school group's establishments in the directory (annuaire).

    Active teachers and other staff only; people whose login already holds one of the school
    group's depositor accounts are left out. Only these may be named in an addition.
    """
    return (
        Person.objects.filter(
            is_active=True,
            kind__in=[Person.Kind.TEACHER, Person.Kind.STAFF],
            establishments__school_group=school_group,
        )
        .exclude(user__depositor_accounts__school_group=school_group)
        .distinct()
    )


def depositor_candidates(*, school_group: SchoolGroup, query: str) -> list[Person]:
    """Return the candidate people whose name matches every word of ``query``.

    The directory's folded key makes "lefevre" find "Lefèvre"; each candidate comes with its
    establishments of the school group (``group_establishments``) and its ENT login, if any.
    """
    words = name_key(query).split()
    if not words:
        return []
    people = depositor_candidate_people(school_group=school_group)
    for word in words:
        people = people.filter(search_key__contains=word)
    return list(
        people.select_related("user")
        .prefetch_related(
            Prefetch(
                "establishments",
                queryset=Establishment.objects.filter(school_group=school_group).order_by("name"),
                to_attr="group_establishments",
            )
        )
        .order_by("last_name", "first_name", "pk")[:CANDIDATE_LIMIT]
    )


def depositor_slots_left(*, school_group: SchoolGroup) -> int:
    """Return how many more depositor accounts the school group may have."""
    used = DepositorAccount.objects.filter(school_group=school_group).count()
    return max(DepositorAccount.MAX_PER_SCHOOL_GROUP - used, 0)


def bilan_recipients(school_group_id: int) -> QuerySet[User]:
    """Return the users of the school group's depositor accounts that ask for bilans.

    A holder whose ENT login is closed (suspended account) receives none.
    """
    return User.objects.filter(
        is_active=True,
        depositor_accounts__school_group_id=school_group_id,
        depositor_accounts__notify=True,
    )
