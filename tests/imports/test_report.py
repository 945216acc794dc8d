"""The run report reads every stored bilan, old ones included, and writes one shape."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from imports.report import ChangeRow, ReportedProblem, RunReport, UnmatchedEntry
from imports.thresholds import Control

# A bilan as stored before relaxations, manual matching and the change preview existed.
OLD_BILAN = {
    "problems": [{"code": "wrong_uai", "severity": "ERROR", "message": "UAI inconnu"}],
    "unmatched": {"teachers": ["DUPONT Claire"], "classes": []},
    "thresholds": [
        {
            "control": "SUBJECTS_CREATED",
            "label": "% de matières créées",
            "numerator": 3,
            "denominator": 2,
            "value": "150.00",
            "setting": 50,
            "blocking": True,
            "exceeded": True,
        },
        {"control": "A_CONTROL_SINCE_REMOVED", "value": "1"},
    ],
    "text": "Bilan de l'import n° 7\n",
}


def test_an_empty_or_missing_bilan_reads_as_an_empty_report() -> None:
    empty = RunReport.from_json(None)

    assert empty == RunReport.from_json({})
    assert empty.problems == empty.thresholds == empty.unmatched_entries == []
    assert set(empty.unmatched) == {"teachers", "students", "classes", "groups", "ambiguous"}
    assert not any(empty.unmatched.values()) and empty.text == ""


def test_an_old_bilan_without_the_newer_keys_is_read() -> None:
    report = RunReport.from_json(OLD_BILAN)

    assert report.problems == [ReportedProblem("wrong_uai", "ERROR", "UAI inconnu")]
    assert report.problems_total == 1
    assert report.unmatched["teachers"] == ["DUPONT Claire"]
    assert report.unmatched["students"] == report.unmatched["ambiguous"] == []
    assert report.unmatched_entries == [] and report.unmatched_entries_total == 0
    assert not report.has_changes
    (threshold,) = report.thresholds
    assert threshold.control == Control.SUBJECTS_CREATED
    assert threshold.value == Decimal("150.00")
    assert threshold.relaxed_until is None
    assert report.thresholds_exceeded == [threshold]
    assert report.text == "Bilan de l'import n° 7\n"


def test_a_report_written_then_read_back_is_the_same() -> None:
    report = RunReport.from_json(OLD_BILAN)
    report.changes_by_teacher = [ChangeRow("DUPONT Claire", added=2, removed=1)]
    report.unmatched_entries = [
        UnmatchedEntry("STUDENT", "a:1AB", "ARNAUD Léa", dt.date(2014, 3, 1), (4, 5))
    ]
    report.unmatched_entries_total = 3
    report.coherence, report.coherence_total = ["Séance du 08/02/2027 en vacances"], 1

    stored = report.as_json()

    assert RunReport.from_json(stored) == report
    assert stored["changes"] == {
        "by_audience": [],
        "by_teacher": [{"label": "DUPONT Claire", "added": 2, "removed": 1, "changed": 0}],
    }
    assert stored["unmatched_entries"][0]["birth_date"] == "2014-03-01"


def _long_name(name: str) -> ReportedProblem:
    return ReportedProblem(
        code="group_name_too_long",
        severity="WARNING",
        message=f"Le nom du groupe « {name} » dépasse 8 caractères…",
        action="Raccourcissez le nom.",
        ref="Groupe Ident=13",
        name=name,
    )


def test_problems_are_grouped_by_kind_with_a_count_and_the_first_names() -> None:
    names = [f"5ABC ESP{n}" for n in range(1, 9)]
    report = RunReport(
        problems=[_long_name(n) for n in names[:4]]
        + [ReportedProblem("uai_mismatch", "ERROR", "UAI d'un autre établissement", ref="UAI")]
        + [_long_name(n) for n in names[4:]]
    )

    error, warnings = report.problem_groups

    assert (error.code, error.count, error.title) == (
        "uai_mismatch",
        1,
        "UAI d'un autre établissement [UAI]",
    )
    assert (warnings.count, warnings.more) == (8, 3)
    assert warnings.names == tuple(f"« {n} »" for n in names[:5])
    assert warnings.line().startswith(
        "Avertissement — Groupes sans correspondance dans l'ENT dont le nom dépasse 8 caractères"
    )
    assert "(8) : « 5ABC ESP1 »" in warnings.line()
    assert warnings.line().endswith("et 3 autre(s) → Raccourcissez le nom.")


def test_no_internal_id_of_the_file_reaches_a_user() -> None:
    (alone,) = RunReport(problems=[_long_name("TROP LONG NOM")]).problem_groups

    assert "Ident" not in alone.title + alone.line()
    assert alone.line() == (
        "Avertissement — Le nom du groupe « TROP LONG NOM » dépasse 8 caractères… → "
        "Raccourcissez le nom."
    )
    assert "Ident" not in _long_name("X").line()
    assert (
        ReportedProblem("c", "ERROR", "m", ref="Cours n° 12").line() == "Erreur [Cours n° 12] : m"
    )
