"""What a manual import needs, checked before anyone submits the form.

Each check says, in French, what is there or what is missing, and who does what about it.
A blocking check (nothing to import into) disables the form; the others are information.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Q

from ent.models import SchoolGroup
from ent.selectors import school_year_current


@dataclass(frozen=True)
class ReadinessCheck:
    ok: bool
    blocking: bool
    text: str


def manual_import_readiness(*, school_group: SchoolGroup, today: dt.date) -> list[ReadinessCheck]:
    """Return the checks shown above the manual import form."""
    checks = [_school_year(school_group, today)]
    establishments = list(
        school_group.establishments.order_by("name").annotate(
            people_count=Count("people", filter=Q(people__is_active=True), distinct=True)
        )
    )
    if not establishments:
        checks.append(
            ReadinessCheck(
                ok=False,
                blocking=True,
                text="Aucun établissement n'est rattaché à cette cité scolaire : il n'y a rien "
                "à importer. L'administrateur de l'ENT doit rattacher les établissements "
                "avant tout import.",
            )
        )
    for establishment in establishments:
        if establishment.people_count == 0:
            checks.append(
                ReadinessCheck(
                    ok=False,
                    blocking=False,
                    text=f"L'annuaire de {establishment.name} est vide : aucun enseignant ni "
                    "élève du fichier ne pourra être rapproché. L'administrateur de l'ENT doit "
                    "d'abord importer l'annuaire (AAF) de l'établissement.",
                )
            )
    if not Path(settings.PRONOTE_PRIVATE_KEY_PATH).is_file():
        checks.append(
            ReadinessCheck(
                ok=False,
                blocking=False,
                text="La clé de déchiffrement des exports PRONOTE n'est pas installée : seuls "
                "les exports en clair (EDT, PRONOTE non chiffré, UnDeuxTEMPS) peuvent être "
                "importés. L'administrateur de l'ENT doit créer la paire de clés "
                "(commande pronote_keys).",
            )
        )
    return checks


def _school_year(school_group: SchoolGroup, today: dt.date) -> ReadinessCheck:
    year = school_year_current(school_group, today=today)
    return ReadinessCheck(ok=True, blocking=False, text=year.notice)
