"""The bilan: a run's report rendered in French (the download), and the short notice of a
problem sent to the group's recipients."""

from __future__ import annotations

from django.utils import timezone

from accounts.notifications import ImportNotice
from ent.formatting import format_moment, format_percent
from imports.models import ImportRun, ImportStep
from imports.report import RunReport, report_of
from imports.thresholds import Evaluation, threshold_line
from imports.thresholds.rendering import threshold_counts

UNMATCHED_LABELS = {
    "teachers": "Enseignants non rapprochés",
    "students": "Élèves non rapprochés",
    "classes": "Classes non rapprochées",
    "groups": "Groupes non rapprochés",
    "ambiguous": "Rapprochements ambigus (plusieurs possibilités dans l'annuaire)",
}
COUNTER_LABELS = {
    "subjects_created": "Matières créées",
    "services_created": "Services d'enseignement créés",
    "services_modified": "Services d'enseignement modifiés",
    "services_deleted": "Services d'enseignement supprimés",
    "groups_created": "Groupes créés",
    "memberships_created": "Inscriptions ajoutées",
    "memberships_removed": "Inscriptions retirées",
    "sessions_created": "Séances créées",
    "sessions_updated": "Séances modifiées (horaire de fin ou salle)",
    "sessions_deleted": "Séances supprimées",
    "sessions_unchanged": "Séances inchangées",
    "sessions_before_effective": "Séances antérieures à la prise en charge (jamais modifiées)",
    "closings_added": "Périodes de fermeture ajoutées",
    "closings_removed": "Périodes de fermeture supprimées",
    "sessions_kept_for_content": "Séances avec contenu conservées hors emploi du temps",
    "session_contents_moved": "Contenus de séances déplacés avec leur séance",
    "cancellations_recorded": "Cours annulés, de la prise en charge à la fin de l'année",
}


# What an automatic run that needs someone tells the group's recipients, by status.
NOTICE_HEADLINES = {
    ImportRun.Status.BLOCKED: "Import automatique bloqué par un seuil",
    ImportRun.Status.REJECTED: "Import automatique rejeté : fichier non conforme",
    ImportRun.Status.FAILED: "Import automatique en échec",
    ImportRun.Status.WAITING_INITIALISATION: (
        "Import automatique en attente de l'import manuel de l'année"
    ),
}
NOTICE_INTEGRATED_WITH_ALERTS = "Emploi du temps intégré avec alertes"
NOTICE_FACTS_MAX = 3


def bilan_notice(run: ImportRun, *, link: str) -> ImportNotice | None:
    """Return what ``run`` tells the group's recipients, or None when it needs no one.

    Only automatic runs notify (a manual import is read on its page by whoever ran it), and
    only those that need someone: BLOCKED, REJECTED, FAILED, WAITING_INITIALISATION, or
    INTEGRATED with thresholds exceeded. DUPLICATE, SUPERSEDED, an INTEGRATED run without
    alerts and a preview tell nothing.
    """
    if run.mode != ImportRun.Mode.AUTOMATIC:
        return None
    report = report_of(run)
    exceeded = sorted(report.thresholds_exceeded, key=lambda e: not e.blocking)
    if run.status in NOTICE_HEADLINES:
        headline = NOTICE_HEADLINES[ImportRun.Status(run.status)]
    elif run.status == ImportRun.Status.INTEGRATED and exceeded:
        headline = NOTICE_INTEGRATED_WITH_ALERTS
    else:
        return None
    facts = _notice_facts(run, report, exceeded)
    target = run.establishment.name if run.establishment else "Tous les établissements"
    lines = [
        f"{headline}.",
        "",
        f"Établissement : {target}",
        f"Fichier : {run.original_filename}, reçu le {format_moment(run.received_at)}",
    ]
    if facts:
        lines += ["", "L'essentiel :"]
        lines += [f"- {fact}" for fact in facts[:NOTICE_FACTS_MAX]]
        if len(facts) > NOTICE_FACTS_MAX:
            lines.append(f"(et {len(facts) - NOTICE_FACTS_MAX} autre(s) point(s) dans le bilan)")
    lines += ["", f"Bilan complet et actions à mener : {link}"]
    if exceeded and run.status in (ImportRun.Status.BLOCKED, ImportRun.Status.INTEGRATED):
        detail = ",".join(sorted(e.control.value for e in exceeded))
    elif run.status == ImportRun.Status.REJECTED:
        detail = ",".join(sorted({p.code for p in report.problems if p.is_error}))
    else:
        detail = ""
    kind = f"import:{run.school_group_id}:{run.establishment_id or 'tous'}:{run.status}:{detail}"
    return ImportNotice(
        school_group_id=run.school_group_id,
        kind=kind[:200],
        subject=f"{headline} — {target}",
        body="\n".join(lines) + "\n",
        link=link,
        link_label=f"Voir l'import n° {run.pk}",
    )


def _threshold_fact(evaluation: Evaluation) -> str:
    """Return an exceeded control in one short line (the bilan has its items)."""
    counts = threshold_counts(evaluation)
    if evaluation.setting is None:
        return f"{evaluation.label} : {counts}"
    kind = "bloquant" if evaluation.blocking else "non bloquant"
    return (
        f"{evaluation.label} : {format_percent(evaluation.value)} ({counts}), au-delà du "
        f"seuil de {format_percent(evaluation.setting)} ({kind})"
    )


def _notice_facts(run: ImportRun, report: RunReport, exceeded: list[Evaluation]) -> list[str]:
    """Return the facts of ``run`` a manager needs first, most important first."""
    facts = [_threshold_fact(e) for e in exceeded]
    facts += [
        f"{p.message} → {p.action}" if p.action else p.message
        for p in report.problems
        if p.is_error
    ]
    if not facts:
        stopped = run.steps.filter(outcome=ImportStep.Outcome.INTERRUPTED).last()
        if stopped is not None:
            facts.append(
                f"{stopped.message} → {stopped.action}" if stopped.action else stopped.message
            )
    return facts


def bilan_render_text(run: ImportRun, report: RunReport | None = None) -> str:
    """Return the bilan of ``run`` (its stored report unless ``report`` is given) as text."""
    report = report or report_of(run)
    received = timezone.localtime(run.received_at)
    target = run.establishment.name if run.establishment else "Tous les établissements"
    lines = [
        f"Bilan de l'import n° {run.pk}",
        f"Cité scolaire : {run.school_group.name}",
        f"Établissement : {target}",
        f"Fichier : {run.original_filename} ({run.size} octets, SHA-256 {run.sha256})",
        f"Reçu le : {received:%d/%m/%Y à %H:%M}",
        f"Mode : {run.get_mode_display()}",
        f"Statut : {run.get_status_display()}",
    ]
    if run.origin_id:
        user = run.deposited_by
        who = (user.get_full_name() or user.get_username()) if user else "—"
        lines.append(
            f"Origine : {run.get_origin_kind_display()} (import n° {run.origin_id}), par {who}"
        )
    if run.effective_at:
        lines.append(
            f"Date de prise en charge : {timezone.localtime(run.effective_at):%d/%m/%Y à %H:%M}"
        )
    lines += ["", "Étapes :"]
    for step in run.steps.all():
        lines.append(f"  [{step.get_outcome_display()}] {step.name} : {step.message}")
        if step.action:
            lines.append(f"      Action : {step.action}")
        lines += [f"      - {detail}" for detail in step.details[:50]]
    if report.thresholds:
        lines += ["", "Seuils :"]
        lines += [f"  {threshold_line(t)}" for t in report.thresholds]
    if report.problems:
        lines += ["", f"Problèmes relevés dans le fichier ({report.problems_total}) :"]
        lines += [f"  - {group.line()}" for group in report.problem_groups]
    if report.coherence:
        lines += ["", f"Incohérences avec les périodes de fermeture ({report.coherence_total}) :"]
        lines += [f"  - {item}" for item in report.coherence]
    counters = run.counters or {}
    if counters:
        lines += ["", "Compteurs :"]
        lines += [
            f"  {label} : {counters[key]}"
            for key, label in COUNTER_LABELS.items()
            if key in counters
        ]
    if report.content_kept:
        lines += [
            "",
            f"Séances avec contenu conservées hors emploi du temps ({len(report.content_kept)}) :",
        ]
        lines += [f"  - {item}" for item in report.content_kept]
    for key, label in UNMATCHED_LABELS.items():
        items = report.unmatched.get(key, [])
        if items:
            lines += ["", f"{label} ({len(items)}) :"]
            lines += [f"  - {item}" for item in items]
    return "\n".join(lines) + "\n"
