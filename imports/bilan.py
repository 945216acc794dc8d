"""The bilan: a run's report rendered in French, as the notification and the download."""

from __future__ import annotations

from django.utils import timezone

from imports.models import ImportRun
from imports.report import RunReport, report_of
from imports.thresholds import threshold_line

UNMATCHED_LABELS = {
    "teachers": "Enseignants non rapprochés",
    "students": "Élèves non rapprochés",
    "classes": "Classes non rapprochées",
    "groups": "Groupes non rapprochés",
    "ambiguous": "Rapprochements ambigus (plusieurs personnes possibles)",
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
}


def bilan_subject(run: ImportRun) -> str:
    """Return a subject line for the notification of ``run``."""
    target = run.establishment.name if run.establishment else "tous les établissements"
    if run.status == ImportRun.Status.INTEGRATED:
        alerts = report_of(run).thresholds_exceeded
        if alerts:
            return f"Emploi du temps intégré avec {len(alerts)} alerte(s) — {target}"
        return f"Emploi du temps intégré — {target}"
    return f"Problème d'import de l'emploi du temps : {run.get_status_display()} — {target}"


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
        lines += [f"  - {p.line()}" for p in report.problems]
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
    for key, label in UNMATCHED_LABELS.items():
        items = report.unmatched.get(key, [])
        if items:
            lines += ["", f"{label} ({len(items)}) :"]
            lines += [f"  - {item}" for item in items]
    return "\n".join(lines) + "\n"
