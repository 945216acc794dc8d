"""The change list of a run: sessions added, removed and changed, filtered, paged, as CSV."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render

from accounts.permissions import school_group_required
from ent.models import SchoolGroup
from imports.changes import session_changes_csv, session_changes_for, session_changes_totals
from imports.models import ImportRun, SessionChange

PER_PAGE = 50


@school_group_required()
def run_changes(request: HttpRequest, school_group: SchoolGroup, run_id: int) -> HttpResponseBase:
    run = get_object_or_404(
        ImportRun.objects.select_related("establishment"), pk=run_id, school_group=school_group
    )
    audience = request.GET.get("classe", "").strip()[:100]
    teacher = request.GET.get("enseignant", "").strip()[:100]
    kind_value = request.GET.get("changement", "")
    kind = int(kind_value) if kind_value in {str(k) for k in SessionChange.Kind.values} else None
    changes = session_changes_for(run, audience=audience, teacher=teacher, kind=kind)
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(
            session_changes_csv(changes), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="changements-import-{run.pk}.csv"'
        return response
    page = Paginator(changes, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "imports/run_changes.html",
        {
            "school_group": school_group,
            "run": run,
            "page": page,
            "totals": [
                (label, session_changes_totals(run)[value])
                for value, label in SessionChange.Kind.choices
            ],
            "kinds": SessionChange.Kind.choices,
            "filters": {"classe": audience, "enseignant": teacher, "changement": kind},
            "query": query.urlencode(),
        },
    )
