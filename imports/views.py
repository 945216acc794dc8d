from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from accounts.permissions import school_group_required
from ent.models import SchoolGroup
from imports.bilan import COUNTER_LABELS, UNMATCHED_LABELS, bilan_render_text
from imports.dates_display import from_label, until_label
from imports.forms import ManualImportForm, ThresholdRelaxationForm, ThresholdSettingsForm
from imports.history import HistoryFilterForm, history_runs
from imports.models import ImportRun, ThresholdRelaxation
from imports.readiness import manual_import_readiness
from imports.report import report_of
from imports.selectors import (
    establishments_initialised,
    import_run_running,
    school_year_current,
)
from imports.services.confirmations import (
    ConfirmationRefused,
    OlderThanCurrent,
    run_confirm,
    run_produced,
    run_rollback,
)
from imports.services.deposits import DepositRefused, deposit_receive
from imports.services.guard import ImportRunning
from imports.services.queue import import_queue_establishments_ahead
from imports.status_display import source_format_display, status_badge, step_look
from imports.storage import stored_file_chunks
from imports.tables import ImportRunTable
from imports.thresholds import (
    DEFAULT_SETTINGS,
    SPECS,
    Control,
    RelaxationRefused,
    threshold_relaxation_create,
    threshold_relaxation_end,
    threshold_relaxations_pending,
    threshold_settings_for,
)
from imports.thresholds.changes import (
    ConfirmationNeeded,
    coherence_unblocked_since,
    threshold_settings_change,
    threshold_settings_changes_recent,
)
from imports.thresholds.rendering import threshold_counts, threshold_explanation


def _run(school_group: SchoolGroup, run_id: int) -> ImportRun:
    return get_object_or_404(
        ImportRun.objects.select_related(
            "establishment", "school_group", "deposited_by", "origin", "rollback_of"
        ),
        pk=run_id,
        school_group=school_group,
    )


@school_group_required()
def run_list(request: HttpRequest, school_group: SchoolGroup) -> HttpResponse:
    establishments = list(school_group.establishments.order_by("name"))
    filters = HistoryFilterForm(request.GET or None, establishments=establishments)
    table = ImportRunTable(history_runs(school_group, filters))
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    today = timezone.localdate()
    initialised = establishments_initialised(school_group, today=today)
    return render(
        request,
        "imports/run_list.html",
        {
            "school_group": school_group,
            "table": table,
            "filters": filters,
            "school_year": school_year_current(school_group, today=today),
            "waiting_initialisation": [e for e in establishments if e.pk not in initialised],
            "running": import_run_running(school_group),
        },
    )


@school_group_required()
def run_detail(request: HttpRequest, school_group: SchoolGroup, run_id: int) -> HttpResponse:
    run = _run(school_group, run_id)
    report = report_of(run)
    return render(
        request,
        "imports/run_detail.html",
        {
            "school_group": school_group,
            "run": run,
            "status_badge": status_badge(run),
            "steps": [(step, step_look(step, run)) for step in run.steps.all()],
            "source_format": source_format_display(run),
            "report": report,
            # Each result with its relaxation's end as users entered it ("15/12/2026 inclus").
            # …and what its value is made of ("9 ajoutées pour 4 existantes", the items).
            "thresholds": [
                (
                    t,
                    until_label(t.relaxed_until) if t.relaxed_until else None,
                    threshold_counts(t),
                    threshold_explanation(t),
                )
                for t in report.thresholds
            ],
            "counters": [
                (label, run.counters[key])
                for key, label in COUNTER_LABELS.items()
                if key in run.counters
            ],
            "unmatched": [
                (label, report.unmatched[key])
                for key, label in UNMATCHED_LABELS.items()
                if report.unmatched.get(key)
            ],
            "changes_tables": [
                ("Par classe ou groupe", report.changes_by_audience),
                ("Par enseignant", report.changes_by_teacher),
            ],
            "queue_position": (
                import_queue_establishments_ahead(run=run)
                if run.status == ImportRun.Status.RECEIVED
                else 0
            ),
            "has_unmatched_entries": bool(report.unmatched_entries),
            "produced": run_produced(run),
            "can_roll_back": run.status == ImportRun.Status.INTEGRATED,
        },
    )


@school_group_required()
def run_file(request: HttpRequest, school_group: SchoolGroup, run_id: int) -> HttpResponseBase:
    run = _run(school_group, run_id)
    try:
        chunks = stored_file_chunks(run.file) if run.file else None
    except FileNotFoundError:
        chunks = None
    if chunks is None:
        messages.error(
            request,
            f"Le fichier de l'import n° {run.pk} n'est plus conservé (durée de conservation des "
            "dépôts dépassée) : son bilan reste consultable. Pour le retrouver, exportez-le de "
            "nouveau depuis votre logiciel d'emploi du temps.",
        )
        return redirect("imports:run_detail", school_group.pk, run.pk)
    response = StreamingHttpResponse(chunks, content_type="application/octet-stream")
    response["Content-Length"] = str(run.size)
    response["Content-Disposition"] = content_disposition_header(True, run.original_filename) or ""
    return response


@school_group_required()
def run_bilan_download(
    request: HttpRequest, school_group: SchoolGroup, run_id: int
) -> HttpResponse:
    run = _run(school_group, run_id)
    response = HttpResponse(bilan_render_text(run), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bilan-import-{run.pk}.txt"'
    return response


@school_group_required()
def threshold_settings(request: HttpRequest, school_group: SchoolGroup) -> HttpResponse:
    """Show and save the school group's thresholds; read-only while an import runs."""
    current = threshold_settings_for(school_group_id=school_group.pk)
    if request.method == "POST":
        restoring = bool(request.POST.get("defaults"))
        form = ThresholdSettingsForm(None if restoring else request.POST, current=current)
        if restoring or form.is_valid():
            try:
                change = threshold_settings_change(
                    school_group_id=school_group.pk,
                    wanted=DEFAULT_SETTINGS if restoring else form.settings(),
                    user_id=request.user.pk,
                    now=timezone.now(),
                    defaults_restored=restoring,
                    confirmed=request.POST.get("confirmed") == "1",
                )
            except ConfirmationNeeded as question:
                return _threshold_confirm(request, school_group, question)
            except ImportRunning as refused:
                messages.error(request, str(refused))
                return redirect("imports:threshold_settings", school_group.pk)
            if change is None:
                messages.info(request, "Aucun changement : les seuils sont déjà ceux-ci.")
            elif restoring:
                messages.success(request, "Les valeurs par défaut des seuils ont été rétablies.")
            else:
                messages.success(
                    request,
                    "Les seuils ont été enregistrés ; ils s'appliquent dès le prochain import.",
                )
            return redirect("imports:threshold_settings", school_group.pk)
        messages.error(
            request, "Les seuils n'ont pas été enregistrés : corrigez les valeurs signalées."
        )
    else:
        form = ThresholdSettingsForm(current=current)
    return _threshold_page(
        request, school_group, form=form, running=import_run_running(school_group)
    )


def _threshold_confirm(
    request: HttpRequest, school_group: SchoolGroup, question: ConfirmationNeeded
) -> HttpResponse:
    """Ask to confirm a sensitive threshold change; the answer re-posts the same values."""
    return render(
        request,
        "imports/threshold_confirm.html",
        {
            "school_group": school_group,
            "question": str(question),
            "changes": question.changes,
            "fields": [
                (name, value)
                for name, value in request.POST.items()
                if name not in ("csrfmiddlewaretoken", "confirmed")
            ],
        },
    )


def _threshold_page(
    request: HttpRequest,
    school_group: SchoolGroup,
    *,
    form: ThresholdSettingsForm,
    running: ImportRun | None,
    relaxation_form: ThresholdRelaxationForm | None = None,
) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "imports/threshold_settings.html",
        {
            "school_group": school_group,
            "form": form,
            "running": running,
            "relaxation_form": relaxation_form or ThresholdRelaxationForm(),
            "changes": threshold_settings_changes_recent(school_group_id=school_group.pk),
            "coherence_unblocked": coherence_unblocked_since(school_group_id=school_group.pk),
            "relaxations": [
                (
                    relaxation,
                    SPECS[Control(relaxation.control)].label,
                    relaxation.starts_at <= now,
                    from_label(relaxation.starts_at),
                    until_label(relaxation.ends_at),
                )
                for relaxation in threshold_relaxations_pending(
                    school_group_id=school_group.pk, now=now
                )
            ],
        },
    )


@require_POST
@school_group_required()
def threshold_relaxation_add(request: HttpRequest, school_group: SchoolGroup) -> HttpResponse:
    """Relax one threshold for a while; it reverts by itself at the end."""
    form = ThresholdRelaxationForm(request.POST)
    if form.is_valid():
        now = timezone.now()
        starts_at, ends_at = form.window(now=now)
        try:
            relaxation = threshold_relaxation_create(
                school_group_id=school_group.pk,
                control=Control(form.cleaned_data["control"]),
                percent=form.cleaned_data["percent"],
                blocking=form.cleaned_data["blocking"],
                starts_at=starts_at,
                ends_at=ends_at,
                reason=form.cleaned_data["reason"],
                created_by_id=request.user.pk,
                now=now,
            )
        except RelaxationRefused as refused:
            form.add_error(None, str(refused))
        except ImportRunning as refused:
            messages.error(request, str(refused))
            return redirect("imports:threshold_settings", school_group.pk)
        else:
            messages.success(
                request,
                f"Seuil assoupli jusqu'au {until_label(relaxation.ends_at)} ; il reviendra de "
                "lui-même à son réglage habituel.",
            )
            return redirect("imports:threshold_settings", school_group.pk)
    current = threshold_settings_for(school_group_id=school_group.pk)
    return _threshold_page(
        request,
        school_group,
        form=ThresholdSettingsForm(current=current),
        running=import_run_running(school_group),
        relaxation_form=form,
    )


@require_POST
@school_group_required()
def threshold_relaxation_stop(
    request: HttpRequest, school_group: SchoolGroup, relaxation_id: int
) -> HttpResponse:
    """End a relaxation now (or drop one that has not started)."""
    relaxation = get_object_or_404(ThresholdRelaxation, pk=relaxation_id, school_group=school_group)
    try:
        threshold_relaxation_end(relaxation=relaxation, now=timezone.now())
    except ImportRunning as refused:
        messages.error(request, str(refused))
        return redirect("imports:threshold_settings", school_group.pk)
    messages.success(request, "L'assouplissement est terminé : le seuil habituel s'applique.")
    return redirect("imports:threshold_settings", school_group.pk)


@school_group_required()
def manual_import(request: HttpRequest, school_group: SchoolGroup) -> HttpResponse:
    """Upload a file for a manual import; it queues like a deposit and its page follows it."""
    establishments = list(school_group.establishments.order_by("name"))
    form = ManualImportForm(
        request.POST or None, request.FILES or None, establishments=establishments
    )
    checks = manual_import_readiness(school_group=school_group, today=timezone.localdate())
    blocking = " ".join(check.text for check in checks if check.blocking)
    if request.method == "POST" and form.is_valid() and blocking:
        form.add_error(None, blocking)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            run = deposit_receive(
                school_group=school_group,
                establishment=form.establishment(),
                filename=upload.name,
                stream=upload,
                deposited_by_id=request.user.pk,
                mode=ImportRun.Mode.MANUAL,
                apply_anyway=form.cleaned_data["apply_anyway"],
                preview_only=form.cleaned_data["preview_only"],
                now=timezone.now(),
            )
        except DepositRefused as refused:
            form.add_error("file", str(refused))
        else:
            _announce_queued(request, run)
            return redirect("imports:run_detail", school_group.pk, run.pk)
    return render(
        request,
        "imports/manual_import.html",
        {
            "school_group": school_group,
            "form": form,
            "checks": checks,
            "can_submit": not any(check.blocking for check in checks),
            "running": import_run_running(school_group),
        },
    )


@require_POST
@school_group_required()
def run_apply_anyway(request: HttpRequest, school_group: SchoolGroup, run_id: int) -> HttpResponse:
    """Confirm a preview or apply a blocked run, once; a file older than the timetable in
    place is applied only after a second, explicit confirmation."""
    run = _run(school_group, run_id)
    try:
        retry = run_confirm(
            run=run,
            user_id=request.user.pk,
            now=timezone.now(),
            accept_older=request.POST.get("accept_older") == "1",
        )
    except ConfirmationRefused as refused:
        messages.error(request, str(refused))
        return redirect("imports:run_detail", school_group.pk, run.pk)
    except OlderThanCurrent as older:
        return render(
            request,
            "imports/run_confirm_older.html",
            {"school_group": school_group, "run": run, "newer": older.newer},
        )
    _announce_queued(request, retry)
    return redirect("imports:run_detail", school_group.pk, retry.pk)


@require_POST
@school_group_required()
def run_rollback_start(
    request: HttpRequest, school_group: SchoolGroup, run_id: int
) -> HttpResponse:
    """Go back to an earlier integrated run: its file is previewed again, then confirmed."""
    run = _run(school_group, run_id)
    try:
        preview = run_rollback(run=run, user_id=request.user.pk, now=timezone.now())
    except ConfirmationRefused as refused:
        messages.error(request, str(refused))
        return redirect("imports:run_detail", school_group.pk, run.pk)
    messages.success(
        request,
        f"Retour à l'emploi du temps de l'import n° {run.pk} : un aperçu est en cours "
        f"(import n° {preview.pk}). Vérifiez-le, puis confirmez pour l'appliquer.",
    )
    return redirect("imports:run_detail", school_group.pk, preview.pk)


def _announce_queued(request: HttpRequest, run: ImportRun) -> None:
    ahead = import_queue_establishments_ahead(run=run)
    text = f"Le fichier « {run.original_filename} » est reçu (import n° {run.pk})."
    if ahead:
        text += (
            f" {ahead} établissement(s) de la cité scolaire sont déjà en cours d'importation : "
            "le vôtre sera traité ensuite."
        )
    messages.success(request, text + " Cette page se met à jour jusqu'à la fin du traitement.")
