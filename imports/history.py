"""The import history: filters, the status order of the French labels, one-line reasons."""

from __future__ import annotations

import datetime as dt
from typing import cast
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from ent.models import Establishment, SchoolGroup
from ent.text import ascii_fold
from imports.models import ImportRun, ImportStep
from imports.report import report_of
from imports.selectors import import_run_list

REASON_MAX = 140


class HistoryFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Statut"), required=False)
    mode = forms.ChoiceField(label=_("Mode"), required=False)
    establishment = forms.ChoiceField(label=_("Établissement"), required=False)
    since = forms.DateField(
        label=_("Reçus à partir du"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Indiquez une date, par exemple 01/09/2026.")},
    )
    until = forms.DateField(
        label=_("jusqu'au (inclus)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Indiquez une date, par exemple 30/09/2026.")},
    )

    def __init__(self, *args: object, establishments: list[Establishment], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        everything = [("", _("Tous"))]
        cast(forms.ChoiceField, self.fields["status"]).choices = everything + sorted(
            ImportRun.Status.choices, key=lambda choice: _fold(choice[1])
        )
        cast(forms.ChoiceField, self.fields["mode"]).choices = everything + list(
            ImportRun.Mode.choices
        )
        cast(forms.ChoiceField, self.fields["establishment"]).choices = (
            everything
            + [("groupe", _("Tous les établissements (import de la cité scolaire)"))]
            + [(str(e.pk), e.name) for e in establishments]
        )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", _("La date de fin doit suivre la date de début."))
        return cleaned


def _fold(label: object) -> str:
    return ascii_fold(str(label)).casefold()


def status_rank() -> Case:
    """Order of the statuses as their French labels sort (accents ignored)."""
    ranked = sorted(ImportRun.Status.choices, key=lambda choice: _fold(choice[1]))
    return Case(
        *(When(status=value, then=Value(rank)) for rank, (value, _label) in enumerate(ranked)),
        output_field=IntegerField(),
    )


def history_runs(school_group: SchoolGroup, form: HistoryFilterForm) -> QuerySet[ImportRun]:
    """Return the school group's runs matching the valid filters of ``form``, newest first."""
    runs = (
        import_run_list(school_group)
        .annotate(status_rank=status_rank())
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=ImportStep.objects.filter(outcome=ImportStep.Outcome.INTERRUPTED),
                to_attr="interrupted_steps",
            )
        )
    )
    if not form.is_valid():
        return runs
    data = form.cleaned_data
    tz = ZoneInfo(settings.TIME_ZONE)
    if data["status"]:
        runs = runs.filter(status=data["status"])
    if data["mode"]:
        runs = runs.filter(mode=data["mode"])
    if data["establishment"] == "groupe":
        runs = runs.filter(establishment__isnull=True)
    elif data["establishment"]:
        runs = runs.filter(establishment_id=data["establishment"])
    if data["since"]:
        runs = runs.filter(received_at__gte=dt.datetime.combine(data["since"], dt.time(), tz))
    if data["until"]:
        end = data["until"] + dt.timedelta(days=1)
        runs = runs.filter(received_at__lt=dt.datetime.combine(end, dt.time(), tz))
    return runs


def run_reason(run: ImportRun) -> str:
    """One line saying why a REJECTED, BLOCKED or FAILED run stopped (empty otherwise)."""
    if run.status == ImportRun.Status.BLOCKED:
        exceeded = [t.label for t in report_of(run).thresholds if t.exceeded and t.blocking]
        if exceeded:
            text = "Seuil bloquant dépassé : " + " ; ".join(exceeded)
            return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"
    if run.status not in (
        ImportRun.Status.REJECTED,
        ImportRun.Status.BLOCKED,
        ImportRun.Status.FAILED,
    ):
        return ""
    steps = getattr(run, "interrupted_steps", None)
    if steps is None:
        steps = list(run.steps.filter(outcome=ImportStep.Outcome.INTERRUPTED))
    if not steps:
        return ""
    text = steps[-1].message.splitlines()[0] if steps[-1].message else ""
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"
