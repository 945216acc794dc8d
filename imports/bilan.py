"""The bilan (import report): rendered in French from a run's steps and stored data."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ent.formatting import format_percent
from imports.models import ImportRun

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
        alerts = [t for t in run.bilan.get("thresholds", []) if t["exceeded"]]
        if alerts:
            return f"Emploi du temps intégré avec {len(alerts)} alerte(s) — {target}"
        return f"Emploi du temps intégré — {target}"
    return f"Problème d'import de l'emploi du temps : {run.get_status_display()} — {target}"


def bilan_render_text(run: ImportRun) -> str:
    """Return the bilan of ``run`` as French plain text."""
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
    thresholds = run.bilan.get("thresholds", [])
    if thresholds:
        lines += ["", "Seuils :"]
        for t in thresholds:
            setting = (
                "contrôle" if t["setting"] is None else f"seuil {format_percent(t['setting'])}"
            )
            value = (
                ("incohérences : " + t["value"])
                if t["setting"] is None
                else format_percent(t["value"])
            )
            flags = ("bloquant" if t["blocking"] else "non bloquant") + (
                ", DÉPASSÉ" if t["exceeded"] else ""
            )
            if t.get("relaxed_until"):
                until = timezone.localtime(dt.datetime.fromisoformat(t["relaxed_until"]))
                flags += f", assoupli jusqu'au {until:%d/%m/%Y à %H:%M}"
            lines.append(f"  {t['label']} : {value} ({setting}, {flags})")
    problems = run.bilan.get("problems", [])
    if problems:
        total = run.bilan.get("problems_total", len(problems))
        lines += ["", f"Problèmes relevés dans le fichier ({total}) :"]
        lines += [_problem_line(p) for p in problems]
    coherence = run.bilan.get("coherence", [])
    if coherence:
        total = run.bilan.get("coherence_total", len(coherence))
        lines += ["", f"Incohérences avec les périodes de fermeture ({total}) :"]
        lines += [f"  - {item}" for item in coherence]
    counters = run.counters or {}
    if counters:
        lines += ["", "Compteurs :"]
        lines += [
            f"  {label} : {counters[key]}"
            for key, label in COUNTER_LABELS.items()
            if key in counters
        ]
    for key, label in UNMATCHED_LABELS.items():
        items = run.bilan.get("unmatched", {}).get(key, [])
        if items:
            lines += ["", f"{label} ({len(items)}) :"]
            lines += [f"  - {item}" for item in items]
    return "\n".join(lines) + "\n"


def _problem_line(problem: dict[str, str]) -> str:
    flag = "Erreur" if problem.get("severity") == "ERROR" else "Avertissement"
    ref = f" [{problem['ref']}]" if problem.get("ref") else ""
    action = f"\n      Action : {problem['action']}" if problem.get("action") else ""
    return f"  - {flag}{ref} : {problem.get('message', '')}{action}"
