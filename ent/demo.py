"""Demo data for the embedded default: a cité scolaire loaded through the AAF import.

:func:`demo_seed` writes AAF files for a fictional collège and lycée, loads them with
:func:`ent.services.directory.aaf_import`, and creates the demo logins. It is idempotent.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from accounts.models import Role, User
from ent.aaf.records import AafCategory, AafPerson, AafRecord, AafStructure, AafSubject
from ent.aaf.writer import write_aaf_folder
from ent.identifiers import make_uai
from ent.models import SchoolGroup, SchoolYear
from ent.services.directory import AafImportSummary, aaf_import

DEMO_GROUP_NAME = "Cité scolaire Jules Verne"
DEMO_PASSWORD = "demo-ent-2026"  # noqa: S105 - published demo password, embedded mode only
DEMO_LOGINS = (
    ("gestionnaire", "Sophie", "Moreau", Role.Name.MANAGER),
    ("principal", "Marc", "Lambert", Role.Name.HEAD),
)
COLLEGE = AafStructure(
    jointure="76001", uai=make_uai("0761234"), name="COLLEGE JULES VERNE", city="Le Havre"
)
LYCEE = AafStructure(
    jointure="76002", uai=make_uai("0761235"), name="LYCEE JULES VERNE", city="Le Havre"
)
_LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Légaré",
    "Nguyen",
    "Benali",
    "Da",
    "Silva",
    "Le",
    "Goff",
    "Hébert",
]
_FIRST = [
    "Emma",
    "Louise",
    "Jade",
    "Alice",
    "Chloé",
    "Léa",
    "Manon",
    "Inès",
    "Zoé",
    "Éloïse",
    "Lucas",
    "Hugo",
    "Léo",
    "Gabriel",
    "Raphaël",
    "Arthur",
    "Louis",
    "Jules",
    "Adam",
    "Maël",
    "Noé",
    "Sacha",
    "Yanis",
    "Timéo",
    "Anaïs",
    "Camille",
    "Jean-Marc",
    "Margaux",
]
_SUBJECTS = (
    ("020700", "MATHEMATIQUES"),
    ("030201", "ANGLAIS LV1"),
    ("010100", "FRANCAIS"),
    ("040400", "HISTOIRE-GEOGRAPHIE"),
    ("061300", "SCIENCES DE LA VIE ET DE LA TERRE"),
    ("100100", "EDUCATION PHYSIQUE ET SPORTIVE"),
)


@dataclass(frozen=True)
class DemoSummary:
    created: bool
    directory: AafImportSummary | None


def _classes() -> list[tuple[AafStructure, str]]:
    college = [(COLLEGE, f"{level}{letter}") for level in "6543" for letter in "ABC"]
    lycee = [(LYCEE, f"{level}{n}") for level in ("2ND", "1G", "TG") for n in (1, 2, 3)]
    return college + lycee


def demo_directory(seed: int = 2026) -> list[AafRecord]:
    """Return the demo cité scolaire's AAF records (deterministic for a given seed)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data
    records: list[AafRecord] = [COLLEGE, LYCEE]
    records += [AafSubject(jointure=code, label=label) for code, label in _SUBJECTS]
    number = 0
    for structure, code in _classes():
        birth_year = 2014 - (int(code[0]) if code[0].isdigit() else 4) + 6
        for _ in range(16):
            number += 1
            records.append(
                AafPerson(
                    category=AafCategory.STUDENT,
                    jointure=f"E{number:05d}",
                    last_name=rng.choice(_LAST),
                    first_name=rng.choice(_FIRST),
                    birth_date=dt.date(birth_year - 6, rng.randint(1, 12), rng.randint(1, 28)),
                    structures=(structure.jointure,),
                    ine=f"{120000000 + number:09d}{rng.choice('ABCDEFGH')}{rng.choice('JKLMN')}",
                    classes=((structure.jointure, code),),
                    groups=((structure.jointure, f"{code}-G{1 + number % 2}"),),
                )
            )
    for index in range(36):
        structure = COLLEGE if index < 20 else LYCEE
        records.append(
            AafPerson(
                category=AafCategory.STAFF,
                jointure=f"P{index:05d}",
                last_name=rng.choice(_LAST),
                first_name=rng.choice(_FIRST),
                birth_date=dt.date(1970 + index % 25, 1 + index % 12, 1 + index % 28),
                structures=(structure.jointure,),
                is_teacher=True,
                functions=(f"{structure.jointure}$ENS$ENSEIGNEMENT$L0000$DISCIPLINE",),
            )
        )
    return records


def current_school_year_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    """Return ``[1 September, 1 September next year)`` around ``today``."""
    start_year = today.year if today.month >= 8 else today.year - 1
    return dt.date(start_year, 9, 1), dt.date(start_year + 1, 9, 1)


def demo_seed(*, today: dt.date) -> DemoSummary:
    """Create the demo cité scolaire and logins once; a second call changes nothing."""
    if SchoolGroup.objects.filter(name=DEMO_GROUP_NAME).exists():
        return DemoSummary(created=False, directory=None)
    folder = Path(settings.VAR_DIR) / "demo" / "aaf"
    write_aaf_folder(folder, demo_directory(), export_date=today)
    with transaction.atomic():
        group = SchoolGroup.objects.create(name=DEMO_GROUP_NAME)
        summary = aaf_import(folder=folder, school_group=group)
        start, end = current_school_year_bounds(today)
        SchoolYear.objects.create(school_group=group, start_date=start, end_date=end)
        for username, first, last, role in DEMO_LOGINS:
            user = User.objects.create_user(
                username, password=DEMO_PASSWORD, first_name=first, last_name=last
            )
            Role.objects.create(user=user, school_group=group, name=role)
        if not User.objects.filter(is_superuser=True).exists():
            User.objects.create_superuser("admin", password=DEMO_PASSWORD)
    return DemoSummary(created=True, directory=summary)


def demo_announcement(*, base_url: str) -> list[str]:
    """Return the lines ``make run`` prints: the demo logins."""
    lines = ["Comptes de démonstration (mot de passe : " + DEMO_PASSWORD + ") :"]
    lines += [f"  - {username} ({role.label})" for username, _f, _l, role in DEMO_LOGINS]
    lines.append(f"  - admin (administration : {base_url}/admin/)")
    return lines
