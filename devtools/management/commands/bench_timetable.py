"""``manage.py bench_timetable [--preset xl] [--seed 1] [--samples 20] [--repeat 5]``.

The timetable week page's benchmark. Runs on the configured database, which must be a
scratch one (its name must contain "bench"): it migrates it, generates the sample, loads
its AAF directory, imports its EDT export in this process with the import time at the start
of the school year (so every session of the year is in the database), then times:

- the full page (``GET`` through Django's test client: authorisation, queries, template) of
  ``--samples`` random (class, week) and (teacher, week) pairs, each ``--repeat`` times;
- the service alone (:func:`ent.services.timetable.timetable_week`);
- the floor: one SQL query returning the week's session rows of the same target's services
  (``starts_at`` range on the services' ids), with nothing built from them.

Medians and 95th percentiles are reported, with the ratio of each median to the floor.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import tempfile
import time
from argparse import ArgumentParser
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Model
from django.test import Client

from accounts.models import User
from ent.models import Establishment, Person, SchoolClass, SchoolGroup, SchoolYear, Session
from ent.services.directory import aaf_import
from ent.services.timetable import (
    TargetKind,
    timetable_service_ids,
    timetable_target,
    timetable_week,
)
from imports.models import ImportRun
from imports.services.manual import import_file_submit


class Command(BaseCommand):
    help = (
        "Mesure l'affichage d'une semaine d'emploi du temps (classe, enseignant) sur "
        "l'échantillon généré, dans une base de mesure."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--preset", default="xl", help="Taille de l'échantillon généré.")
        parser.add_argument("--seed", type=int, default=1, help="Graine du générateur.")
        parser.add_argument("--samples", type=int, default=20, help="Semaines tirées par cible.")
        parser.add_argument("--repeat", type=int, default=5, help="Mesures par semaine.")

    def handle(self, *args: Any, **options: Any) -> None:
        name = str(connection.settings_dict["NAME"])
        if "bench" not in name:
            raise CommandError(
                f"« {name} » ne ressemble pas à une base de mesure : lancez la commande avec "
                "DATABASE_URL=…/ent_bench_timetable (une base dont le nom contient « bench », "
                "qui est remplie par la mesure)."
            )
        call_command("migrate", verbosity=0)
        group = SchoolGroup.objects.filter(name=f"Mesure {options['preset']}").first()
        if group is None:
            if Session.objects.exists():
                raise CommandError(f"La base « {name} » contient d'autres séances : videz-la.")
            group = self._prepare(options)
        else:
            self.stdout.write(f"Échantillon « {options['preset']} » déjà importé : réutilisé.")
        rng = random.Random(options["seed"])  # noqa: S311 - sampling, not security
        establishment = group.establishments.order_by("pk").first()
        if establishment is None:
            raise CommandError("L'échantillon importé n'a aucun établissement.")
        year = group.school_years.get()
        mondays = _mondays(year)
        client = Client(headers={"host": settings.ALLOWED_HOSTS[0]})
        client.force_login(User.objects.create_superuser(f"bench-{time.time_ns()}"))
        classes = list(SchoolClass.objects.filter(establishment=establishment))
        teachers = list(Person.objects.filter(establishments=establishment, kind="TEACHER"))
        self.stdout.write(
            f"{Session.objects.count()} séances en base ; {len(classes)} classes, "
            f"{len(teachers)} enseignants dans l'établissement mesuré ; base {connection.vendor}."
        )
        rows = []
        for kind, pool in ((TargetKind.CLASS, classes), (TargetKind.TEACHER, teachers)):
            picks = [(rng.choice(pool), rng.choice(mondays)) for _ in range(options["samples"])]
            rows += self._measure(kind, picks, establishment, group, client, options["repeat"])
        self.stdout.write("")
        self.stdout.write(
            "| Mesure | Médiane | p95 | Ratio au plancher (médiane) | Séances/semaine |"
        )
        self.stdout.write("|---|---|---|---|---|")
        for label, median, p95, ratio, sessions in rows:
            self.stdout.write(
                f"| {label} | {median * 1000:.1f} ms | {p95 * 1000:.1f} ms | {ratio:.1f}x | "
                f"{sessions:.0f} |"
            )

    def _prepare(self, options: dict[str, Any]) -> SchoolGroup:
        from devtools.samples import generate_sample, write_sample

        started = time.perf_counter()
        sample = generate_sample(options["preset"], seed=options["seed"])
        with tempfile.TemporaryDirectory(prefix="ent-bench-tt-") as tmp:
            written = write_sample(sample, Path(tmp) / "sample")
            group = SchoolGroup.objects.create(name=f"Mesure {options['preset']}")
            aaf_import(folder=written.aaf_dir, school_group=group)
            timetable_year = sample.timetable.year
            SchoolYear.objects.create(
                school_group=group, start_date=timetable_year.start, end_date=timetable_year.end
            )
            tz = ZoneInfo(settings.TIME_ZONE)
            start = dt.datetime.combine(timetable_year.start, dt.time(), tzinfo=tz)
            run = import_file_submit(
                path=written.edt_xml,
                school_group=group,
                establishment=None,
                mode=ImportRun.Mode.MANUAL,
                apply_anyway=True,
                deposited_by_id=None,
                clock=lambda: start,
            )
        if run.status != ImportRun.Status.INTEGRATED:
            raise CommandError(f"L'import de l'échantillon a fini {run.status}.")
        self.stdout.write(
            f"Échantillon « {options['preset']} » importé en {time.perf_counter() - started:.0f} s."
        )
        return group

    def _measure(
        self,
        kind: TargetKind,
        picks: Sequence[tuple[Model, dt.date]],
        establishment: Establishment,
        group: SchoolGroup,
        client: Client,
        repeat: int,
    ) -> list[tuple[str, float, float, float, float]]:
        tz = ZoneInfo(settings.TIME_ZONE)
        page, service, floor, sizes = [], [], [], []
        for target_row, monday in picks:
            target = timetable_target(
                establishment=establishment, kind=kind, key=str(target_row.pk)
            )
            url = (
                f"/cites/{group.pk}/emplois-du-temps/{establishment.pk}/{kind.value}/"
                f"{target_row.pk}/?semaine={monday.isoformat()}"
            )
            starts = dt.datetime.combine(monday, dt.time(), tzinfo=tz)
            ends = starts + dt.timedelta(days=7)
            for _ in range(repeat):
                began = time.perf_counter()
                response = client.get(url)
                page.append(time.perf_counter() - began)
                if response.status_code != 200:
                    raise CommandError(f"{url} : {response.status_code}")
                began = time.perf_counter()
                week = timetable_week(target, day=monday)
                service.append(time.perf_counter() - began)
                began = time.perf_counter()
                ids = timetable_service_ids(target)
                placeholders = ", ".join("%s" for _ in ids) or "NULL"
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT id, teaching_service_id, starts_at, ends_at, room "  # noqa: S608
                        f"FROM ent_session WHERE teaching_service_id IN ({placeholders}) "
                        "AND starts_at >= %s AND starts_at < %s",
                        [*ids, starts, ends],
                    )
                    cursor.fetchall()
                floor.append(time.perf_counter() - began)
            sizes.append(week.session_count)
        label = "Classe" if kind == TargetKind.CLASS else "Enseignant"
        mean_size = statistics.mean(sizes)
        floor_median = _stats(floor)[0]
        return [
            (f"{label} : {name}", *_stats(values), _stats(values)[0] / floor_median, mean_size)
            for name, values in (
                ("FLOOR, requête SQL des séances de la semaine", floor),
                ("service timetable_week", service),
                ("page complète (GET)", page),
            )
        ]


def _stats(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _mondays(year: SchoolYear) -> list[dt.date]:
    monday = year.start_date - dt.timedelta(days=year.start_date.weekday())
    found = []
    while monday < year.end_date:
        found.append(monday)
        monday += dt.timedelta(days=7)
    return found
