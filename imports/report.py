"""The run report: what an import found and decided, stored as ``ImportRun.bilan``.

:class:`RunReport` is the only reader and writer of that JSON: :func:`report_of` loads it
(tolerantly: reports stored by older versions lack some keys, and unknown ones are ignored)
and :func:`report_store` puts it back on the run. The run page, the bilan text
(:mod:`imports.bilan`), the manual matching page and the JSON summary read the typed report.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from imports.models import ImportRun
from imports.thresholds import SPECS, Control, Evaluation
from imports.timetable import Problem

UNMATCHED_KINDS = ("teachers", "students", "classes", "groups", "ambiguous")


@dataclass(frozen=True, slots=True)
class ReportedProblem:
    """A problem of the file, as the bilan shows it (see :class:`imports.timetable.Problem`)."""

    code: str
    severity: str
    message: str
    action: str = ""
    ref: str = ""
    # The untranslated text of the library that failed (e.g. lxml's), for support only.
    detail: str = ""
    # What the problem is about as users know it (a group's name), listed when grouped.
    name: str = ""

    @classmethod
    def of(cls, problem: Problem) -> ReportedProblem:
        return cls(
            problem.code,
            problem.severity.value,
            problem.message,
            problem.action,
            problem.ref,
            problem.detail,
            problem.name,
        )

    @property
    def is_error(self) -> bool:
        return self.severity == "ERROR"

    @property
    def place(self) -> str:
        """Return where the problem is, as a user can find it: never a file's internal id."""
        return "" if _INTERNAL_REF.search(self.ref) else self.ref

    def line(self) -> str:
        """Return the problem as one French line, for a step's details and the bilan text."""
        flag = "Erreur" if self.is_error else "Avertissement"
        ref = f" [{self.place}]" if self.place else ""
        action = f" → {self.action}" if self.action else ""
        return f"{flag}{ref} : {self.message}{action}"


# "Groupe Ident=13", "Place Numero=3": ids only the exporting software knows.
_INTERNAL_REF = re.compile(r"\b(?:Ident|Numero)=")
NAMES_SHOWN = 5
# The title of a kind of problem when several are grouped (one alone shows its message).
PROBLEM_KIND_TITLES = {
    "group_name_too_long": (
        "Groupes sans correspondance dans l'ENT dont le nom dépasse 8 caractères (refusé "
        "par STS-Web)"
    ),
    "group_name_invalid": (
        "Groupes sans correspondance dans l'ENT dont le nom contient des caractères refusés "
        "par STS-Web"
    ),
    "empty_group": "Groupes vides (ni classe, ni partie de classe, ni élève)",
    "duplicate_group": "Noms portés par plusieurs groupes",
    "teacher_name_missing": "Enseignants sans nom ou sans prénom",
    "teacher_name_invalid": "Noms d'enseignants avec des chiffres ou des caractères inattendus",
    "duplicate_ident": "Éléments présents deux fois dans le fichier (seule la première fiche "
    "est retenue)",
    "unknown_ident": "Cours, groupes ou élèves faisant appel à un élément absent du fichier",
}


@dataclass(frozen=True, slots=True)
class ProblemGroup:
    """Problems of one kind: how many, the first few names, the action to take."""

    code: str
    is_error: bool
    count: int
    title: str
    names: tuple[str, ...]
    action: str
    # The untranslated texts of the libraries that failed (distinct), folded for support.
    detail: str = ""

    @property
    def more(self) -> int:
        """Return how many are not named (none for a problem alone, shown in full)."""
        return self.count - len(self.names) if self.names else 0

    def line(self) -> str:
        """Return the group as one French line (the bilan text)."""
        flag = "Erreur" if self.is_error else "Avertissement"
        names = ", ".join(self.names) + (f" et {self.more} autre(s)" if self.more > 0 else "")
        listed = f" : {names}" if names else ""
        action = f" → {self.action}" if self.action else ""
        count = f" ({self.count})" if self.count > 1 else ""
        return f"{flag} — {self.title}{count}{listed}{action}"


def problems_grouped(problems: list[ReportedProblem]) -> list[ProblemGroup]:
    """Group ``problems`` by kind, errors first, in the order each kind first appears."""
    by_code: dict[str, list[ReportedProblem]] = {}
    for problem in problems:
        by_code.setdefault(problem.code, []).append(problem)
    groups = []
    for code, items in by_code.items():
        first = items[0]
        if len(items) == 1:
            title = first.message + (f" [{first.place}]" if first.place else "")
            names: tuple[str, ...] = ()
        elif code in PROBLEM_KIND_TITLES:
            title = PROBLEM_KIND_TITLES[code]
            names = tuple(f"« {p.name} »" if p.name else p.message for p in items[:NAMES_SHOWN])
        else:
            title = "Problèmes du même type"
            names = tuple(p.message for p in items[:NAMES_SHOWN])
        details = dict.fromkeys(p.detail for p in items if p.detail)
        detail = "\n".join(list(details)[:NAMES_SHOWN])
        groups.append(
            ProblemGroup(code, first.is_error, len(items), title, names, first.action, detail)
        )
    return sorted(groups, key=lambda g: not g.is_error)


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """Sessions added, removed and changed for one audience or one teacher."""

    label: str
    added: int = 0
    removed: int = 0
    changed: int = 0


@dataclass(frozen=True, slots=True)
class UnmatchedEntry:
    """One source entity the matching left for a person to match by hand."""

    kind: str  # a ManualMatch.Kind value
    source_key: str
    label: str
    birth_date: dt.date | None = None
    candidates: tuple[int, ...] = ()


@dataclass
class RunReport:
    problems: list[ReportedProblem] = field(default_factory=list)
    problems_total: int = 0
    changes_by_audience: list[ChangeRow] = field(default_factory=list)
    changes_by_teacher: list[ChangeRow] = field(default_factory=list)
    # teachers / students / classes / groups / ambiguous → their French labels
    unmatched: dict[str, list[str]] = field(default_factory=dict)
    unmatched_entries: list[UnmatchedEntry] = field(default_factory=list)
    unmatched_entries_total: int = 0
    coherence: list[str] = field(default_factory=list)
    coherence_total: int = 0
    thresholds: list[Evaluation] = field(default_factory=list)
    # Sessions with content the file removes, kept "hors emploi du temps" (imports.content),
    # one French line each; and how many sessions' content moved with their session.
    content_kept: list[str] = field(default_factory=list)
    content_moved: int = 0
    text: str = ""

    @property
    def thresholds_exceeded(self) -> list[Evaluation]:
        return [t for t in self.thresholds if t.exceeded]

    @property
    def problem_groups(self) -> list[ProblemGroup]:
        return problems_grouped(self.problems)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes_by_audience or self.changes_by_teacher)

    def as_json(self) -> dict[str, Any]:
        return {
            "problems": [_problem_dump(p) for p in self.problems],
            "problems_total": self.problems_total,
            "changes": {
                "by_audience": [_row_dump(r) for r in self.changes_by_audience],
                "by_teacher": [_row_dump(r) for r in self.changes_by_teacher],
            },
            "unmatched": {kind: list(self.unmatched.get(kind, [])) for kind in UNMATCHED_KINDS},
            "unmatched_entries": [_entry_dump(e) for e in self.unmatched_entries],
            "unmatched_entries_total": self.unmatched_entries_total,
            "coherence": list(self.coherence),
            "coherence_total": self.coherence_total,
            "thresholds": [_evaluation_dump(t) for t in self.thresholds],
            "content_kept": list(self.content_kept),
            "content_moved": self.content_moved,
            "text": self.text,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> RunReport:
        data = data or {}
        changes = data.get("changes") or {}
        problems = [_problem_load(p) for p in data.get("problems") or []]
        entries = [_entry_load(e) for e in data.get("unmatched_entries") or []]
        coherence = [str(item) for item in data.get("coherence") or []]
        return cls(
            problems=problems,
            problems_total=int(data.get("problems_total", len(problems))),
            changes_by_audience=[_row_load(r) for r in changes.get("by_audience") or []],
            changes_by_teacher=[_row_load(r) for r in changes.get("by_teacher") or []],
            unmatched={
                kind: [str(item) for item in (data.get("unmatched") or {}).get(kind) or []]
                for kind in UNMATCHED_KINDS
            },
            unmatched_entries=entries,
            unmatched_entries_total=int(data.get("unmatched_entries_total", len(entries))),
            coherence=coherence,
            coherence_total=int(data.get("coherence_total", len(coherence))),
            thresholds=[
                t for t in map(_evaluation_load, data.get("thresholds") or []) if t is not None
            ],
            content_kept=[str(item) for item in data.get("content_kept") or []],
            content_moved=int(data.get("content_moved", 0)),
            text=str(data.get("text") or ""),
        )


def report_of(run: ImportRun) -> RunReport:
    """Return the report stored on ``run`` (an empty one for a run not processed yet)."""
    return RunReport.from_json(run.bilan)


def report_store(run: ImportRun, report: RunReport) -> None:
    """Put ``report`` on ``run`` (saved with the run)."""
    run.bilan = report.as_json()


def _problem_dump(problem: ReportedProblem) -> dict[str, str]:
    return {
        "code": problem.code,
        "severity": problem.severity,
        "message": problem.message,
        "action": problem.action,
        "ref": problem.ref,
        "detail": problem.detail,
        "name": problem.name,
    }


def _problem_load(data: Mapping[str, Any]) -> ReportedProblem:
    return ReportedProblem(
        code=str(data.get("code", "")),
        severity=str(data.get("severity", "WARNING")),
        message=str(data.get("message", "")),
        action=str(data.get("action") or ""),
        ref=str(data.get("ref") or ""),
        detail=str(data.get("detail") or ""),
        name=str(data.get("name") or ""),
    )


def _row_dump(row: ChangeRow) -> dict[str, Any]:
    return {"label": row.label, "added": row.added, "removed": row.removed, "changed": row.changed}


def _row_load(data: Mapping[str, Any]) -> ChangeRow:
    return ChangeRow(
        label=str(data.get("label", "")),
        added=int(data.get("added", 0)),
        removed=int(data.get("removed", 0)),
        changed=int(data.get("changed", 0)),
    )


def _entry_dump(entry: UnmatchedEntry) -> dict[str, Any]:
    return {
        "kind": entry.kind,
        "source_key": entry.source_key,
        "label": entry.label,
        "birth_date": entry.birth_date.isoformat() if entry.birth_date else None,
        "candidates": list(entry.candidates),
    }


def _entry_load(data: Mapping[str, Any]) -> UnmatchedEntry:
    birth = data.get("birth_date")
    return UnmatchedEntry(
        kind=str(data.get("kind", "")),
        source_key=str(data.get("source_key", "")),
        label=str(data.get("label", "")),
        birth_date=dt.date.fromisoformat(birth) if birth else None,
        candidates=tuple(int(pk) for pk in data.get("candidates") or []),
    )


def _evaluation_dump(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "relaxed_until": evaluation.relaxed_until.isoformat() if evaluation.relaxed_until else None,
        "control": evaluation.control.value,
        "label": evaluation.label,
        "numerator": evaluation.numerator,
        "denominator": evaluation.denominator,
        "value": str(evaluation.value),
        "setting": evaluation.setting,
        "blocking": evaluation.blocking,
        "exceeded": evaluation.exceeded,
        "items": list(evaluation.items),
    }


def _evaluation_load(data: Mapping[str, Any]) -> Evaluation | None:
    try:
        control = Control(str(data.get("control")))
        value = Decimal(str(data.get("value", "0")))
    except (ValueError, InvalidOperation):
        return None  # a control this version no longer knows
    relaxed = data.get("relaxed_until")
    return Evaluation(
        control=control,
        label=str(data.get("label") or SPECS[control].label),
        numerator=int(data.get("numerator", 0)),
        denominator=int(data.get("denominator", 0)),
        value=value,
        setting=data.get("setting"),
        blocking=bool(data.get("blocking", False)),
        exceeded=bool(data.get("exceeded", False)),
        relaxed_until=dt.datetime.fromisoformat(relaxed) if relaxed else None,
        items=tuple(str(item) for item in data.get("items") or []),
    )
