"""The manual matching pages ("Rapprochements manuels") of a school group.

From a run's page the manager ties each entity of the file the import could not match to a
directory entry of the school group; every later import uses these matches.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import school_group_required
from ent.models import SchoolGroup
from imports.forms import ManualMatchForm, MatchSearchForm
from imports.models import ImportRun, ManualMatch
from imports.report import report_of
from imports.selectors import (
    PEOPLE_SEARCH_MAX,
    MatchEntry,
    import_run_running,
    manual_match_entries,
    manual_match_list,
    manual_match_people_search,
    manual_match_units,
)
from imports.services.guard import ImportRunning
from imports.services.manual_matches import (
    ManualMatchRefused,
    manual_match_delete,
    manual_match_save,
)


@school_group_required()
def run_matches(request: HttpRequest, school_group: SchoolGroup, run_id: int) -> HttpResponse:
    """List a run's unmatched entities and save the directory entry the manager picks."""
    run = get_object_or_404(ImportRun, pk=run_id, school_group=school_group)
    running = import_run_running(school_group)
    entries = manual_match_entries(run=run)
    form = ManualMatchForm(request.POST or None, entries=entries)
    if request.method == "POST":
        if form.is_valid():
            entry: MatchEntry = form.cleaned_data["entry"]
            try:
                match = manual_match_save(
                    school_group=school_group,
                    kind=entry.kind,
                    source_key=entry.source_key,
                    source_label=entry.label,
                    target_id=form.cleaned_data["target"],
                    user=request.user,  # type: ignore[arg-type]
                    now=timezone.now(),
                )
            except ManualMatchRefused as refused:
                form.add_error("target", str(refused))
            except ImportRunning as refused:
                messages.error(request, str(refused))
                return redirect("imports:run_matches", school_group.pk, run.pk)
            else:
                messages.success(
                    request,
                    f"« {entry.label} » est rapproché de « {_target_label(match)} ». Ce "
                    "rapprochement sera utilisé dès le prochain import de la cité scolaire.",
                )
                return redirect("imports:run_matches", school_group.pk, run.pk)
        messages.error(request, "Le rapprochement n'a pas été enregistré : " + _errors(form))
    search = MatchSearchForm(request.GET or None, entries=entries)
    searched = search.entry()
    return render(
        request,
        "imports/run_matches.html",
        {
            "school_group": school_group,
            "run": run,
            "running": running,
            "sections": _sections(entries),
            "units": {
                kind: manual_match_units(school_group=school_group, kind=kind)
                for kind in (ManualMatch.Kind.CLASS, ManualMatch.Kind.GROUP)
                if any(e.kind == kind for e in entries)
            },
            "searched": searched,
            "query": search.cleaned_data["q"] if searched else "",
            "results": (
                manual_match_people_search(
                    school_group=school_group, kind=searched.kind, query=search.cleaned_data["q"]
                )
                if searched
                else []
            ),
            "results_max": PEOPLE_SEARCH_MAX,
            "shown": len(entries),
            "total": report_of(run).unmatched_entries_total,
        },
    )


@school_group_required()
def manual_matches(request: HttpRequest, school_group: SchoolGroup) -> HttpResponse:
    """List every manual match of the school group."""
    return render(
        request,
        "imports/manual_matches.html",
        {
            "school_group": school_group,
            "matches": manual_match_list(school_group=school_group),
            "running": import_run_running(school_group),
        },
    )


@require_POST
@school_group_required()
def manual_match_remove(
    request: HttpRequest, school_group: SchoolGroup, match_id: int
) -> HttpResponse:
    """Delete a manual match; go back to the run page it was deleted from, if any."""
    run_id = request.POST.get("run", "")
    back = (
        redirect("imports:run_matches", school_group.pk, int(run_id))
        if run_id.isdigit()
        else redirect("imports:manual_matches", school_group.pk)
    )
    try:
        deleted = manual_match_delete(school_group=school_group, match_id=match_id)
    except ImportRunning as refused:
        messages.error(request, str(refused))
        return back
    if not deleted:
        raise Http404("Rapprochement introuvable.")
    messages.success(
        request,
        "Le rapprochement manuel est supprimé : le prochain import rapprochera de nouveau "
        "cet élément automatiquement, ou le signalera comme non rapproché.",
    )
    return back


MATCH_SECTIONS = {
    ManualMatch.Kind.TEACHER: "Enseignants",
    ManualMatch.Kind.STUDENT: "Élèves",
    ManualMatch.Kind.CLASS: "Classes",
    ManualMatch.Kind.GROUP: "Groupes et parties de classe",
}


def _sections(entries: list[MatchEntry]) -> list[tuple[str, str, list[MatchEntry]]]:
    sections = [
        (kind.value, label, [e for e in entries if e.kind == kind])
        for kind, label in MATCH_SECTIONS.items()
    ]
    return [section for section in sections if section[2]]


def _target_label(match: ManualMatch) -> str:
    if match.person is not None:
        return match.person.display_name
    return str(match.school_class or match.group)


def _errors(form: ManualMatchForm) -> str:
    return " ".join(str(message) for messages_ in form.errors.values() for message in messages_)
