from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.permissions import school_groups_for
from accounts.selectors import message_unread_count

# The school group tab each page belongs to, by the first part of its URL path after
# /cites/<id>/ (paths, not view names: the apps that own the pages sit above this one).
_TAB_OF_PATH_PART = {
    "": "establishments",
    "annee-scolaire": "school_year",
    "emplois-du-temps": "timetables",
    "imports": "history",
    "import-automatise": "depositors",
}
_TAB_OF_IMPORTS_PART = {
    "manuel": "manual_import",
    "seuils": "thresholds",
    "rapprochements": "manual_matches",
}


def group_tab(path: str) -> str:
    """Return the school group tab a page at ``path`` belongs to, or "" outside a group."""
    parts = path.strip("/").split("/")
    if len(parts) < 2 or parts[0] != "cites":
        return ""
    tab = _TAB_OF_PATH_PART.get(parts[2] if len(parts) > 2 else "", "")
    if tab == "history" and len(parts) > 3:
        # /cites/<id>/imports/<run id>/rapprochements/ belongs to the matching tab too.
        tail = parts[4] if parts[3].isdigit() and len(parts) > 4 else parts[3]
        tab = _TAB_OF_IMPORTS_PART.get(tail, tab)
    return tab


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Give the base template the school groups the user manages, the unread messages and
    the school group tab of the page."""
    if not request.user.is_authenticated:
        return {}
    return {
        "nav_school_groups": list(school_groups_for(request.user).order_by("name")),
        "nav_unread_messages": message_unread_count(user=request.user),
        "nav_group_tab": group_tab(request.path),
    }
