"""The French rendering of threshold results, for the run's steps and its bilan."""

from __future__ import annotations

from django.utils import timezone

from imports.thresholds.evaluation import Evaluation


def threshold_line(evaluation: Evaluation) -> str:
    """Return one result as a French line, e.g. "% de … : 12.50 % (seuil 10 %, bloquant)"."""
    if evaluation.setting is None:
        value, setting = f"incohérences : {evaluation.value}", "contrôle"
    else:
        value, setting = f"{evaluation.value} %", f"seuil {evaluation.setting} %"
    flags = ("bloquant" if evaluation.blocking else "non bloquant") + (
        ", DÉPASSÉ" if evaluation.exceeded else ""
    )
    if evaluation.relaxed_until is not None:
        until = timezone.localtime(evaluation.relaxed_until)
        flags += f", seuil assoupli jusqu'au {until:%d/%m/%Y à %H:%M}"
    return f"{evaluation.label} : {value} ({setting}, {flags})"
