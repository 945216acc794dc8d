"""How run statuses, step outcomes and source formats look on the pages.

Problems that need someone to act look different from each other and from outcomes that
need nothing: a rejected file (fix the file), a blocked import (look at the thresholds) and a
failure (an internal error, retry or call support) each have their own symbol and colour,
while an integrated, duplicate, superseded or previewed run is calm. Symbols are plain text
characters present in ordinary fonts, never emoji.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from imports.models import ImportRun, ImportStep

Status = ImportRun.Status


@dataclass(frozen=True)
class StatusLook:
    symbol: str
    tone: str  # CSS class suffix: status-<tone>
    needs_action: bool


STATUS_LOOKS: dict[str, StatusLook] = {
    # Problems: three distinct looks.
    Status.REJECTED: StatusLook("✖", "rejected", needs_action=True),
    Status.BLOCKED: StatusLook("■", "blocked", needs_action=True),
    Status.FAILED: StatusLook("⚠", "failed", needs_action=True),
    # Waiting for something (the queue, or the year's manual import).
    Status.RECEIVED: StatusLook("◷", "pending", needs_action=False),
    Status.RUNNING: StatusLook("↻", "pending", needs_action=False),
    Status.WAITING_INITIALISATION: StatusLook("◷", "waiting", needs_action=True),
    # Outcomes that need nothing.
    Status.INTEGRATED: StatusLook("✔", "ok", needs_action=False),
    Status.DUPLICATE: StatusLook("=", "done", needs_action=False),
    Status.SUPERSEDED: StatusLook("↪", "done", needs_action=False),
    Status.PREVIEWED: StatusLook("◎", "done", needs_action=False),
}

# A run that stops at one of these statuses stopped on purpose: its last step is no failure.
CALM_STOPS = frozenset({Status.DUPLICATE, Status.SUPERSEDED, Status.PREVIEWED})


def status_badge(run: ImportRun) -> SafeString:
    """Return the run's status as a symbol and a label, coloured by what it asks of the user."""
    look = STATUS_LOOKS[Status(run.status)]
    return format_html(
        '<span class="status status-{}" data-status="{}"><span aria-hidden="true">{}</span> '
        "{}</span>",
        look.tone,
        run.status,
        look.symbol,
        run.get_status_display(),
    )


@dataclass(frozen=True)
class StepLook:
    symbol: str
    tone: str
    label: str


def step_look(step: ImportStep, run: ImportRun) -> StepLook:
    """Return how a step of ``run`` is shown.

    The step that ends a duplicate, superseded or previewed run stopped the run on purpose:
    it reads "Arrêté, rien à faire", not the red "Interrompu" of a failure.
    """
    if step.outcome == ImportStep.Outcome.OK:
        return StepLook("✔", "ok", str(step.get_outcome_display()))
    if step.outcome == ImportStep.Outcome.WARNING:
        return StepLook("⚠", "warning", str(step.get_outcome_display()))
    if run.status in CALM_STOPS:
        return StepLook("○", "done", str(_("Arrêté, rien à faire")))
    look = STATUS_LOOKS.get(Status(run.status), STATUS_LOOKS[Status.FAILED])
    if not look.needs_action:
        look = STATUS_LOOKS[Status.FAILED]
    return StepLook(look.symbol, look.tone, str(step.get_outcome_display()))


def source_format_display(run: ImportRun) -> str:
    """Return the run's format once known, "en attente d'analyse" before."""
    if run.source_format:
        return str(run.get_source_format_display())
    if run.status in (Status.RECEIVED, Status.RUNNING):
        return str(_("en attente d'analyse"))
    return str(_("non reconnu"))
