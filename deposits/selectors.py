"""Reads of the deposits app: depositor accounts, candidates, bilan recipients."""

from __future__ import annotations

from django.db.models import Max, OuterRef, Q, QuerySet, Subquery

from accounts.models import User
from deposits.models import DepositorAccount
from ent.models import SchoolGroup
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


def depositor_candidates(*, school_group: SchoolGroup, query: str) -> list[User]:
    """Return active ENT users whose name matches ``query`` and who hold no account here."""
    words = name_key(query).split()
    if not words:
        return []
    users = User.objects.filter(is_active=True).exclude(
        depositor_accounts__school_group=school_group
    )
    for word in words:
        # The directory's folded key makes "lefevre" find "Lefèvre".
        users = users.filter(
            Q(person__search_key__contains=word)
            | Q(last_name__icontains=word)
            | Q(first_name__icontains=word)
            | Q(username__icontains=word)
        )
    return list(users.order_by("last_name", "first_name", "username")[:CANDIDATE_LIMIT])


def depositor_slots_left(*, school_group: SchoolGroup) -> int:
    """Return how many more depositor accounts the school group may have."""
    used = DepositorAccount.objects.filter(school_group=school_group).count()
    return max(DepositorAccount.MAX_PER_SCHOOL_GROUP - used, 0)


def bilan_recipients(school_group_id: int) -> QuerySet[User]:
    """Return the users of the school group's depositor accounts that ask for bilans."""
    return User.objects.filter(
        depositor_accounts__school_group_id=school_group_id, depositor_accounts__notify=True
    )
