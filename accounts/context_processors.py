from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.permissions import school_groups_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Give the base template the school groups the user manages."""
    if not request.user.is_authenticated:
        return {}
    return {"nav_school_groups": list(school_groups_for(request.user).order_by("name"))}
