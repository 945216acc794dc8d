"""The one authorisation check: every school-group page goes through here."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from accounts.models import Role, User
from ent.models import SchoolGroup

MANAGEMENT_ROLES: tuple[str, ...] = (Role.Name.MANAGER, Role.Name.HEAD)
HEAD_ROLES: tuple[str, ...] = (Role.Name.HEAD,)


def school_groups_for(user: Any, roles: Iterable[str] = MANAGEMENT_ROLES) -> QuerySet[SchoolGroup]:
    """Return the school groups ``user`` may act on with one of ``roles``."""
    if not user.is_authenticated:
        return SchoolGroup.objects.none()
    if user.is_superuser:
        return SchoolGroup.objects.all()
    return SchoolGroup.objects.filter(roles__user=user, roles__name__in=list(roles)).distinct()


def user_has_role(user: User, school_group: SchoolGroup, roles: Iterable[str]) -> bool:
    """Tell whether ``user`` holds one of ``roles`` in ``school_group`` (superusers do)."""
    return school_groups_for(user, roles).filter(pk=school_group.pk).exists()


def get_school_group_for_user(
    user: Any, group_id: int, roles: Iterable[str] = MANAGEMENT_ROLES
) -> SchoolGroup:
    """Return the school group if ``user`` may act on it; raise ``Http404`` otherwise.

    A 404 rather than a 403 so that other groups' identifiers reveal nothing.
    """
    try:
        return school_groups_for(user, roles).get(pk=group_id)
    except SchoolGroup.DoesNotExist:
        raise Http404("Cité scolaire introuvable.") from None


def school_group_required(
    roles: Iterable[str] = MANAGEMENT_ROLES,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Decorate a view taking ``group_id``: log in, check the role, pass ``school_group``."""
    allowed = tuple(roles)

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @login_required
        @functools.wraps(view)
        def wrapper(
            request: HttpRequest, group_id: int, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            school_group = get_school_group_for_user(request.user, group_id, allowed)
            return view(request, *args, school_group=school_group, **kwargs)

        return wrapper

    return decorator
