"""``manage.py timetable_ical --uai UAI (--class NAME | --group NAME | --teacher "NOM Prénom"
| --room NAME) [--out FILE]``.

Writes the iCalendar (RFC 5545) document of one timetable, the same as its calendar feed:
from four weeks ago to a year ahead. To standard output without ``--out``.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ent.models import Establishment
from ent.services.calendar_feeds import calendar_for_target
from ent.services.timetable import TargetKind, TargetUnknown, timetable_target_named

_OPTIONS = {
    "class_name": (TargetKind.CLASS, "Aucune classe « {} » dans cet établissement."),
    "group": (TargetKind.GROUP, "Aucun groupe « {} » dans cet établissement."),
    "teacher": (
        TargetKind.TEACHER,
        "Aucun enseignant « {} » (ou plusieurs) : écrivez « NOM Prénom ».",
    ),
    "room": (TargetKind.ROOM, "Aucune séance n'a lieu en salle « {} »."),
}


class Command(BaseCommand):
    help = (
        "Écrit l'emploi du temps d'une classe, d'un groupe, d'un enseignant ou d'une salle "
        "au format iCalendar."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--uai", required=True, help="UAI de l'établissement.")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--class", dest="class_name", help="Code de la classe.")
        target.add_argument("--group", help="Code du groupe.")
        target.add_argument("--teacher", help="Enseignant : « NOM Prénom ».")
        target.add_argument("--room", help="Nom de la salle.")
        parser.add_argument("--out", type=Path, help="Fichier .ics à écrire (sinon la sortie).")

    def handle(self, *args: Any, **options: Any) -> None:
        establishment = Establishment.objects.filter(uai=options["uai"].upper()).first()
        if establishment is None:
            raise CommandError(f"Aucun établissement n'a l'UAI « {options['uai']} ».")
        option = next(name for name in _OPTIONS if options[name])
        kind, missing = _OPTIONS[option]
        try:
            target = timetable_target_named(
                establishment=establishment, kind=kind, name=options[option]
            )
        except TargetUnknown:
            raise CommandError(missing.format(options[option])) from None
        document = calendar_for_target(target, now=timezone.now())
        if options["out"]:
            options["out"].write_bytes(document)
        else:
            self.stdout.write(document.decode("utf-8"), ending="")
