"""Home page (the user's school groups) and a school group's page, filtered by roles."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import school_group_required, school_groups_for
from ent.models import Establishment, SchoolGroup


@login_required
def home(request: HttpRequest) -> HttpResponse:
    establishments = Establishment.objects.order_by("name")
    groups = (
        school_groups_for(request.user)
        .order_by("name")
        .prefetch_related(Prefetch("establishments", queryset=establishments))
    )
    return render(request, "ent/home.html", {"school_groups": groups})


@school_group_required()
def school_group_detail(request: HttpRequest, school_group: SchoolGroup) -> HttpResponse:
    establishments = school_group.establishments.order_by("name").annotate(
        class_count=Count("classes", distinct=True),
        group_count=Count("teaching_groups", distinct=True),
        people_count=Count("people", distinct=True),
    )
    return render(
        request,
        "ent/school_group_detail.html",
        {"school_group": school_group, "establishments": establishments},
    )
