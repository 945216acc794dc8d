"""The French rendering of threshold results, for the run's steps, its bilan and its page."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ent.formatting import format_percent
from imports.dates_display import until_label
from imports.thresholds.definitions import Control
from imports.thresholds.evaluation import Evaluation

# What each control counts: "{n} … pour {d} …", the numerator and denominator in words.
COUNTS: Mapping[Control, str] = {
    Control.SUBJECTS_CREATED: "{n} matière(s) créée(s) pour {d} existante(s)",
    Control.SERVICES_CREATED: "{n} service(s) créé(s) pour {d} existant(s)",
    Control.SERVICES_MODIFIED: "{n} service(s) modifié(s) sur {d} existant(s)",
    Control.SERVICES_DELETED: "{n} service(s) supprimé(s) sur {d} existant(s)",
    Control.SESSIONS_DELTA: "{n} séance(s) d'écart pour {d} séance(s) dans l'ENT",
    Control.SESSIONS_INCOMPLETE: (
        "{n} séance(s) sur des services incomplets sur {d} nouvelle(s) séance(s)"
    ),
    Control.COURSES_CANCELLED: "{n} annulation(s) de plus pour {d} connue(s) de l'ENT",
    Control.CLOSINGS_ADDED: "{n} période(s) ajoutée(s) pour {d} existante(s)",
    Control.CLOSINGS_REMOVED: "{n} période(s) supprimée(s) sur {d} existante(s)",
    Control.TEACHERS_UNMATCHED: "{n} enseignant(s) non rapproché(s) sur {d} dans le fichier",
    Control.STUDENTS_UNMATCHED: "{n} élève(s) non rapproché(s) sur {d} dans le fichier",
    Control.CLASSES_UNMATCHED: "{n} classe(s) non rapprochée(s) sur {d} dans le fichier",
    Control.GROUPS_UNMATCHED: "{n} groupe(s) non rapproché(s) sur {d} dans le fichier",
    Control.CLOSING_COHERENCE: "{n} séance(s) incohérente(s)",
    Control.SESSION_CONTENT_LOST: (
        "{n} séance(s) avec contenu supprimée(s) ou déplacée(s) sur {d} séance(s) avec "
        "contenu à venir"
    ),
}
HUNDRED = Decimal(100)


def threshold_counts(evaluation: Evaluation) -> str:
    """Return what the value is made of, e.g. "9 période(s) ajoutée(s) pour 4 existante(s)"."""
    template = COUNTS.get(evaluation.control, "{n} pour {d}")
    return template.format(n=evaluation.numerator, d=evaluation.denominator)


def threshold_explanation(evaluation: Evaluation) -> str:
    """Return why a percentage reads 100 % or more when nothing or less existed, else ""."""
    if evaluation.setting is None or evaluation.numerator == 0:
        return ""
    if evaluation.denominator == 0:
        return f"rien n'existait encore : {format_percent(HUNDRED)} par convention"
    if evaluation.value > HUNDRED:
        return (
            f"plus de {format_percent(HUNDRED)} parce que l'import en compte plus que l'ENT "
            "n'en avait"
        )
    return ""


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
    counts = threshold_counts(evaluation)
    explanation = threshold_explanation(evaluation)
    detail = f" — {counts}" + (f", {explanation}" if explanation else "")
    items = ""
    if evaluation.items:
        more = evaluation.items_more
        items = " : " + ", ".join(evaluation.items) + (f" et {more} autre(s)" if more else "")
    return f"{evaluation.label} : {value} ({setting}, {flags}){detail}{items}"
