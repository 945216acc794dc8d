from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.permissions import school_groups_for
from accounts.selectors import message_unread_count


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Give the base template the school groups the user manages and the unread messages."""
    if not request.user.is_authenticated:
        return {}
    return {
        "nav_school_groups": list(school_groups_for(request.user).order_by("name")),
        "nav_unread_messages": message_unread_count(user=request.user),
    }
