"""Home page (the user's school groups) and a school group's page, filtered by roles."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import school_group_required, school_groups_for
from ent.forms import SchoolYearForm
from ent.models import Establishment, SchoolGroup
from ent.selectors import school_year_current, school_year_next
from ent.services.school_years import SchoolYearRefused, school_year_declare


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


@school_group_required()
def school_year(request: HttpRequest, school_group: SchoolGroup) -> HttpResponse:
    """Show the current and next school years; declare or adjust one (head or manager)."""
    today = timezone.localdate()
    years = {
        "current": school_year_current(school_group, today=today),
        "next": school_year_next(school_group, today=today),
    }
    which = request.POST.get("year") if request.method == "POST" else None
    forms_ = {
        key: SchoolYearForm(
            request.POST if key == which else None,
            prefix=key,
            initial={"start_date": year.start_date, "last_day": year.last_day},
        )
        for key, year in years.items()
    }
    if which in forms_ and forms_[which].is_valid():
        data = forms_[which].cleaned_data
        try:
            declared = school_year_declare(
                school_group=school_group, start_date=data["start_date"], last_day=data["last_day"]
            )
        except SchoolYearRefused as refused:
            forms_[which].add_error(None, str(refused))
        else:
            messages.success(
                request,
                _("L'année scolaire %(label)s est déclarée : du %(start)s au %(last)s inclus.")
                % {
                    "label": declared.label,
                    "start": f"{declared.start_date:%d/%m/%Y}",
                    "last": f"{declared.last_day:%d/%m/%Y}",
                },
            )
            return redirect("school_year", school_group.pk)
    return render(
        request,
        "ent/school_year.html",
        {
            "school_group": school_group,
            "sections": [(key, years[key], forms_[key]) for key in ("current", "next")],
        },
    )
