"""The French rendering of threshold results, for the run's steps and its bilan."""

from __future__ import annotations

from ent.formatting import format_percent
from imports.dates_display import until_label
from imports.thresholds.evaluation import Evaluation


def threshold_line(evaluation: Evaluation) -> str:
    """Return one result as a French line, e.g. "% de … : 12,5 % (seuil 10 %, bloquant)".

    Numbers follow :mod:`ent.formatting` (decimal comma, narrow no-break space before "%").
    """
    if evaluation.setting is None:
        value, setting = f"incohérences : {evaluation.value}", "contrôle"
    else:
        value = format_percent(evaluation.value)
        setting = f"seuil {format_percent(evaluation.setting)}"
    flags = ("bloquant" if evaluation.blocking else "non bloquant") + (
        ", DÉPASSÉ" if evaluation.exceeded else ""
    )
    if evaluation.relaxed_until is not None:
        # A relaxation entered up to a day (included) reads "jusqu'au 15/12/2026 inclus".
        flags += f", seuil assoupli jusqu'au {until_label(evaluation.relaxed_until)}"
    return f"{evaluation.label} : {value} ({setting}, {flags})"
