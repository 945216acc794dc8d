"""``manage.py bench_import [--preset xl] [--seed 1]``: the import pipeline's benchmark (design §8).

PostgreSQL only. The command creates a scratch database (``ENT_BENCH_DATABASE``, default
``ent_bench``) next to the configured one, runs the benchmark in a child process pointed at
it, and drops it at the end (``--keep-database`` keeps it). The child migrates, generates the
sample, loads its AAF directory, declares the school year, starts a real Celery worker
(``--pool=solo``, same broker as ``REDIS_URL``) and times, from deposit to final status:

a. the first import (the manual initialisation of the year, confirmed despite the thresholds,
   as the wizard does: every subject and service is new);
b. the re-import of the unchanged timetable: a new export of the same content (the file gets
   a different trailing XML comment, so the bytes differ and DUPLICATE does not short-circuit
   it) deposited automatically;
c. a change of ~1 % of the courses (half moved to another room, half to the next day),
   deposited automatically.

It reports the rows written (PostgreSQL statistics and the run's counters), the worker's peak
resident memory (``VmHWM``), and the floor: lxml parsing the same file plus COPYing as many
session rows into a temporary table shaped like ``ent_session``. It also reports a bound for
line a: COPYing the rows a first import must store (sessions, change list, memberships) into
empty copies of their real tables (indexes, foreign keys, triggers) and checking the deferred
constraints, which no import can undercut.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import subprocess
import sys
import tempfile
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from lxml import etree
from psycopg import sql

from ent.models import GroupMembership, SchoolGroup, SchoolYear, Session
from ent.services.directory import aaf_import
from imports.models import ImportRun, SessionChange
from imports.services.deposits import deposit_receive
from imports.services.unchanged import state_digest
from imports.tasks import import_run_execute_task

TARGETS = {"first": 10.0, "unchanged": 3.0, "change": 3.0}
MEMORY_TARGET_MB = 400
CHANGE_SHARE = 0.01
FLOOR_REPEATS = 3
POLL_SECONDS = 0.05
STAT_TABLES = ("n_tup_ins", "n_tup_upd", "n_tup_del")


class Command(BaseCommand):
    help = (
        "Mesure l'import d'un emploi du temps (première intégration, réimport inchangé, "
        "changement de 1 %) sur PostgreSQL avec un vrai worker Celery, et le plancher."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--preset", default="xl", help="Taille de l'échantillon généré.")
        parser.add_argument("--seed", type=int, default=1, help="Graine du générateur.")
        parser.add_argument(
            "--database",
            default=os.environ.get("ENT_BENCH_DATABASE", "ent_bench"),
            help="Base PostgreSQL jetable, créée puis supprimée (ENT_BENCH_DATABASE).",
        )
        parser.add_argument(
            "--keep-database", action="store_true", help="Ne pas supprimer la base à la fin."
        )
        parser.add_argument(
            "--timeout", type=float, default=900.0, help="Attente maximale par import (s)."
        )
        parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "bench_import mesure l'import sur PostgreSQL uniquement : lancez-le avec "
                "DATABASE_URL=postgres://… (la base SQLite du mode embarqué n'est pas mesurée)."
            )
        if options["inner"]:
            _check_scratch_name(connection.settings_dict["NAME"])
            _Bench(self, options).run()
            return
        self._run_in_scratch_database(options)

    def _run_in_scratch_database(self, options: dict[str, Any]) -> None:
        name = options["database"]
        _check_scratch_name(name)
        if name == connection.settings_dict["NAME"]:
            raise CommandError(
                f"La base de mesure « {name} » est la base configurée : choisissez-en une autre "
                "(--database ou ENT_BENCH_DATABASE), elle est supprimée à la fin."
            )
        _admin_execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
        _admin_execute("CREATE DATABASE {}", name)
        self.stdout.write(f"Base de mesure « {name} » créée.")
        try:
            with tempfile.TemporaryDirectory(prefix="ent-bench-") as tmp:
                # The child and its worker share the scratch database and the deposits folder.
                env = {
                    **os.environ,
                    "DATABASE_URL": _database_url(name),
                    "DJANGO_MEDIA_ROOT": str(Path(tmp) / "media"),
                }
                argv = [
                    sys.executable,
                    str(Path(settings.BASE_DIR) / "manage.py"),
                    "bench_import",
                    "--inner",
                    f"--workdir={tmp}",
                    f"--preset={options['preset']}",
                    f"--seed={options['seed']}",
                    f"--timeout={options['timeout']}",
                ]
                done = subprocess.run(argv, env=env, check=False)  # noqa: S603 (our manage.py)
            if done.returncode != 0:
                raise CommandError(f"La mesure a échoué (code {done.returncode}).")
        finally:
            if not options["keep_database"]:
                _admin_execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
                self.stdout.write(f"Base de mesure « {name} » supprimée.")


def _check_scratch_name(name: str) -> None:
    """Refuse to drop or fill a database whose name does not say it is a benchmark's."""
    if "bench" not in name:
        raise CommandError(
            f"« {name} » ne ressemble pas à une base de mesure : son nom doit contenir « bench » "
            "(elle est vidée, remplie puis supprimée)."
        )


def _admin_execute(statement: str, database: str) -> None:
    """Run ``statement`` (``{}`` = the database name) from the server's ``postgres`` database."""
    db = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        user=db["USER"] or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        autocommit=True,
    ) as admin:
        admin.execute(sql.SQL(statement).format(sql.Identifier(database)))


def _database_url(name: str) -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{db.get('HOST') or '127.0.0.1'}{port}/{quote(name)}"


@dataclasses.dataclass
class _Measure:
    label: str
    seconds: float
    status: str
    counters: dict[str, int]
    rows: dict[str, int]
    peak_mb: float
    file: Path
    run_id: int
    cpu: float = 0.0  # the worker's CPU seconds (user + system) during the import


class _Worker:
    """A ``celery worker --pool=solo`` on this database: the import runs in its process."""

    def __init__(self, folder: Path) -> None:
        self.log_path = folder / "worker.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own venv's celery)
                [
                    str(Path(sys.executable).with_name("celery")),
                    "-A",
                    "ent",
                    "worker",
                    "-Q",
                    "default,imports",
                    "--pool=solo",
                    "-l",
                    "INFO",
                    "-n",
                    f"bench-{os.getpid()}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=settings.BASE_DIR,
                env={**os.environ, "DATABASE_CONN_MAX_AGE": "0"},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while " ready." not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise CommandError(f"Le worker Celery n'a pas démarré :\n{self.log()[-3000:]}")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def warm_up(self) -> None:
        """Send the import task once for a run that does not exist, and wait for it.

        A process's first message opens its broker connection and declares the queue, and
        the worker's first task opens its database connection (together about 0.4 s); a
        production web process and worker have both open, so they are not measured.
        """
        import_run_execute_task.delay(import_run_id=0)
        deadline = time.monotonic() + 60
        while "Import run 0 no longer exists" not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise CommandError(
                    f"Le worker n'a pas traité la tâche d'essai :\n{self.log()[-3000:]}"
                )
            time.sleep(POLL_SECONDS)

    def memory_mb(self, field: str = "VmHWM") -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> float:
        """Return the worker's CPU time so far (user + system): steadier than the wall
        time when other work shares the machine."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class _Bench:
    def __init__(self, command: BaseCommand, options: dict[str, Any]) -> None:
        self.out = command.stdout
        self.preset = options["preset"]
        self.seed = options["seed"]
        self.timeout = options["timeout"]
        if options["workdir"] is None:
            raise CommandError("--inner s'utilise avec --workdir (lancé par bench_import).")
        self.folder: Path = options["workdir"]

    def run(self) -> None:
        call_command("migrate", verbosity=0)
        files = self._prepare(self.folder)
        worker = _Worker(self.folder)
        try:
            self.out.write(f"Worker prêt : {worker.memory_mb('VmRSS'):.0f} Mo résidents.")
            worker.warm_up()
            measures = self._measure(files, worker)
        finally:
            worker.stop()
        self._report(measures, self._floor(files["first"]), self._write_floor(measures[0]))
        self._report_state_digest()

    # Arrange ---------------------------------------------------------------------------

    def _prepare(self, folder: Path) -> dict[str, Path]:
        from devtools.samples import generate_sample, write_index_education_xml, write_sample

        started = time.perf_counter()
        sample = generate_sample(self.preset, seed=self.seed)
        written = write_sample(sample, folder / "sample")
        self.out.write(
            f"Échantillon « {self.preset} » (graine {self.seed}) : {len(sample.timetable.courses)} "
            f"cours, {len(sample.timetable.students)} élèves, généré en "
            f"{time.perf_counter() - started:.1f} s."
        )
        self.school_group = SchoolGroup.objects.create(name=f"Mesure {self.preset}")
        started = time.perf_counter()
        aaf_import(folder=written.aaf_dir, school_group=self.school_group)
        self.out.write(f"Annuaire AAF chargé en {time.perf_counter() - started:.1f} s.")
        year = sample.timetable.year
        SchoolYear.objects.create(
            school_group=self.school_group, start_date=year.start, end_date=year.end
        )
        first = written.edt_xml
        unchanged = folder / f"reexport-{first.name}"
        unchanged.write_bytes(first.read_bytes() + b"\n<!-- nouvel export, contenu identique -->\n")
        changed = folder / f"changed-{first.name}"
        changed.write_bytes(
            write_index_education_xml(_change_courses(sample, self.seed), uai=sample.uai)
        )
        self.out.write(
            f"Export EDT {first.name} : {first.stat().st_size / 1e6:.1f} Mo ; "
            f"{sample.counts()['sessions']} séances dans l'année."
        )
        return {"first": first, "unchanged": unchanged, "change": changed}

    # Act -------------------------------------------------------------------------------

    def _measure(self, files: dict[str, Path], worker: _Worker) -> list[_Measure]:
        return [
            self._import("first", "a. first import (manual, confirmed)", files["first"], worker),
            self._import("unchanged", "b. unchanged re-export (auto)", files["unchanged"], worker),
            self._import("change", "c. ~1 % of courses changed (auto)", files["change"], worker),
        ]

    def _import(self, key: str, label: str, path: Path, worker: _Worker) -> _Measure:
        before = _table_stats()
        cpu_before = worker.cpu_seconds()
        manual = key == "first"
        with transaction.atomic(), path.open("rb") as stream:
            run = deposit_receive(
                school_group=self.school_group,
                establishment=None,
                filename=path.name,
                stream=stream,
                deposited_by_id=None,
                mode=ImportRun.Mode.MANUAL if manual else ImportRun.Mode.AUTOMATIC,
                now=timezone.now(),
            )
            if manual:
                run.apply_anyway = True
                run.save(update_fields=["apply_anyway"])
        started = time.perf_counter()
        deadline = started + self.timeout
        while not run.is_final:
            if time.perf_counter() > deadline or worker.process.poll() is not None:
                raise CommandError(
                    f"{label} : import n° {run.pk} toujours {run.status} "
                    f"(étape {run.current_step!r}).\n{worker.log()[-3000:]}"
                )
            time.sleep(POLL_SECONDS)
            run.refresh_from_db()
        if run.finished_at is None:
            raise CommandError(f"{label} : import n° {run.pk} sans heure de fin.")
        seconds = (run.finished_at - run.received_at).total_seconds()
        _wait_stats_flushed()
        after = _table_stats()
        measure = _Measure(
            label=label,
            seconds=seconds,
            status=run.status,
            counters={k: v for k, v in run.counters.items() if isinstance(v, int)},
            rows={k: after[k] - before[k] for k in STAT_TABLES},
            peak_mb=worker.memory_mb(),
            file=path,
            run_id=run.pk,
            cpu=worker.cpu_seconds() - cpu_before,
        )
        self.out.write(
            f"{label} : {run.status} en {seconds:.2f} s (CPU du worker {measure.cpu:.2f} s) "
            f"({measure.rows}), "
            f"pic mémoire du worker {measure.peak_mb:.0f} Mo.\n  étapes : {_timeline(run)}"
        )
        if run.status != ImportRun.Status.INTEGRATED:
            steps = "\n".join(f"  {s.name} {s.outcome} : {s.message}" for s in run.steps.all())
            raise CommandError(f"{label} : import n° {run.pk} {run.status}.\n{steps}")
        return measure

    # Floor -----------------------------------------------------------------------------

    def _floor(self, path: Path) -> dict[str, float]:
        parse = min(_timed(lambda: etree.parse(str(path))) for _ in range(FLOOR_REPEATS))
        rows = list(
            Session.objects.values_list(
                "id", "teaching_service_id", "starts_at", "ends_at", "room", "source"
            )
        )
        copy = min(_copy_sessions(rows) for _ in range(FLOOR_REPEATS))
        return {"parse": parse, "copy": copy, "rows": len(rows), "total": parse + copy}

    def _write_floor(self, first: _Measure) -> dict[str, float]:
        """Time writing the bulk rows of a first import into empty copies of their tables.

        Not a target, a bound: the sessions, the first run's change list and the memberships
        (about 98 % of line a's rows) are COPYed into empty copies of their tables
        with the same indexes, checks, foreign keys and triggers (a first import finds these
        tables empty too), then the deferred constraints are checked (``SET CONSTRAINTS ALL
        IMMEDIATE``) and everything is rolled back. No import can write these rows for less.
        """
        loaded = []
        for model, queryset in (
            (Session, Session.objects.all()),
            (SessionChange, SessionChange.objects.filter(run_id=first.run_id)),
            (GroupMembership, GroupMembership.objects.all()),
        ):
            columns = [f.column for f in model._meta.concrete_fields]
            loaded.append((model._meta.db_table, columns, list(queryset.values_list(*columns))))
        best: dict[str, float] = {}
        for _ in range(FLOOR_REPEATS):
            for key, seconds in _write_into_copies(loaded).items():
                best[key] = min(seconds, best.get(key, seconds))
        best["total"] = sum(best.values())
        best["rows"] = sum(len(rows) for _t, _c, rows in loaded)
        return best

    # Report ----------------------------------------------------------------------------

    def _report(
        self, measures: list[_Measure], floor: dict[str, float], written: dict[str, float]
    ) -> None:
        w = self.out.write
        w("")
        w(
            f"Floor: lxml parse {floor['parse']:.3f} s + COPY {floor['rows']:.0f} session rows "
            f"{floor['copy']:.3f} s = {floor['total']:.3f} s"
        )
        parts = " + ".join(
            f"{key} {seconds:.3f} s"
            for key, seconds in written.items()
            if key not in {"rows", "total"}
        )
        w(
            f"Bound for line a (not a target): writing its {written['rows']:.0f} bulk rows "
            f"into empty copies of their tables: {parts} = {written['total']:.3f} s "
            f"({written['total'] / floor['total']:.1f}× the floor)"
        )
        # The rows no design of a first import can skip: the sessions and the memberships in
        # their indexed tables (neither the change list nor the foreign-key checks counted).
        kept = written["ent_session"] + written["ent_groupmembership"]
        w(
            f"  of which sessions and memberships alone, without change list nor constraint "
            f"checks: {kept:.3f} s ({kept / floor['total']:.1f}× the floor)"
        )
        w("")
        w(
            "| Scenario | Wall (s) | Ratio to floor | Worker CPU (s) | Target | Result "
            "| Rows ins/upd/del | Sessions c/u/d |"
        )
        w("|---|---:|---:|---:|---:|---|---|---|")
        for measure, key in zip(measures, TARGETS, strict=True):
            target = TARGETS[key]
            c = measure.counters
            w(
                f"| {measure.label} | {measure.seconds:.2f} | "
                f"{measure.seconds / floor['total']:.1f}× | {measure.cpu:.2f} | < {target:.0f} s | "
                f"{'pass' if measure.seconds < target else 'FAIL'} | "
                f"{measure.rows['n_tup_ins']}/{measure.rows['n_tup_upd']}/"
                f"{measure.rows['n_tup_del']} | {c.get('sessions_created', 0)}/"
                f"{c.get('sessions_updated', 0)}/{c.get('sessions_deleted', 0)} |"
            )
        peak = max(m.peak_mb for m in measures)
        w(
            f"| worker peak memory (VmHWM) | {peak:.0f} MB | | | < {MEMORY_TARGET_MB} MB | "
            f"{'pass' if peak < MEMORY_TARGET_MB else 'FAIL'} | | |"
        )

    def _report_state_digest(self) -> None:
        """Time the ENT state digest that lines b and c read before anything else (and c
        again, in part, after its apply), in this process, best of a few."""
        ids = list(self.school_group.establishments.values_list("pk", flat=True))
        seconds = min(
            _timed(
                lambda: state_digest(
                    school_group_id=self.school_group.pk, establishment_ids=ids, school_year=None
                )
            )
            for _ in range(FLOOR_REPEATS)
        )
        self.out.write(f"State digest of the ENT (lines b and c): {seconds * 1000:.1f} ms")


def _change_courses(sample: Any, seed: int) -> Any:
    """Return the sample's timetable with ~1 % of its courses moved (room or day)."""
    timetable = sample.timetable
    courses = list(timetable.courses)
    rng = random.Random(seed)  # noqa: S311 (a reproducible benchmark, not security)
    count = max(1, round(len(courses) * CHANGE_SHARE))
    rooms = list(timetable.rooms)
    for n, index in enumerate(rng.sample(range(len(courses)), count)):
        course = courses[index]
        if n % 2 == 0 and course.rooms and len(rooms) > 1:
            current = {r.ident for r in course.rooms}
            other = next(r for r in rooms if r not in current)
            moved = tuple(dataclasses.replace(r, ident=other) for r in course.rooms[:1])
            courses[index] = dataclasses.replace(course, rooms=moved + course.rooms[1:])
        else:
            courses[index] = dataclasses.replace(course, day=_next_day(timetable, course.day))
    return dataclasses.replace(timetable, courses=courses)


def _next_day(timetable: Any, day: int) -> int:
    days = list(timetable.grid.days) if timetable.grid else [1, 2, 3, 4, 5]
    return days[(days.index(day) + 1) % len(days)] if day in days else days[0]


def _timeline(run: ImportRun) -> str:
    """Return how long the run waited in the queue and took until each recorded step."""
    marks = [("file d'attente", run.started_at)]
    marks += [(step.name, step.created_at) for step in run.steps.all()]
    marks.append(("fin", run.finished_at))
    parts, previous = [], run.received_at
    for name, moment in marks:
        if moment is None:
            continue
        parts.append(f"{name} {(moment - previous).total_seconds():.2f} s")
        previous = moment
    return ", ".join(parts)


def _timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _copy_sessions(rows: list[tuple[Any, ...]]) -> float:
    """Time COPYing ``rows`` into a temporary table shaped like ``ent_session``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_floor_session "
            "(LIKE ent_session INCLUDING DEFAULTS)"
        )
        cursor.execute("TRUNCATE bench_floor_session")
    raw = connection.connection
    started = time.perf_counter()
    with (
        transaction.atomic(),
        raw.cursor() as cursor,
        cursor.copy(
            "COPY bench_floor_session (id, teaching_service_id, starts_at, ends_at, room, source) "
            "FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)
    return time.perf_counter() - started


def _write_into_copies(
    loaded: list[tuple[str, list[str], list[tuple[Any, ...]]]],
) -> dict[str, float]:
    """COPY each table's rows into an empty copy of it; return the seconds per step."""
    timings: dict[str, float] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        savepoint = transaction.savepoint()
        for table, _columns, _rows in loaded:
            copy = f"bench_write_{table}"
            cursor.execute(
                sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
                    sql.Identifier(copy), sql.Identifier(table)
                )
            )
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f'",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(
                    sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                        sql.Identifier(copy), sql.Identifier(name)
                    )
                    + sql.SQL(definition)
                )
            cursor.execute(
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [table],
            )
            for (definition,) in cursor.fetchall():
                cursor.execute(definition.replace(f" ON public.{table} ", f" ON {copy} "))
        raw = cursor.cursor
        for table, columns, rows in loaded:
            # The binary format, as ent.db.rows_insert writes them.
            cursor.execute(
                "SELECT atttypid FROM pg_attribute WHERE attrelid = %s::regclass "
                "AND attname = ANY(%s) ORDER BY array_position(%s, attname::text)",
                [table, columns, columns],
            )
            types = [oid for (oid,) in cursor.fetchall()]
            statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
                sql.Identifier(f"bench_write_{table}"),
                sql.SQL(", ").join(sql.Identifier(c) for c in columns),
            )
            started = time.perf_counter()
            with raw.copy(statement) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            timings[table] = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        timings["constraints"] = time.perf_counter() - started
        transaction.savepoint_rollback(savepoint)
    return timings


def _table_stats() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins), 0), coalesce(sum(n_tup_upd), 0), "
            "coalesce(sum(n_tup_del), 0) FROM pg_stat_user_tables"
        )
        row = cursor.fetchone()
    return dict(zip(STAT_TABLES, (int(v) for v in row), strict=True))


def _wait_stats_flushed() -> None:
    """Wait for the worker's backend to end: PostgreSQL then flushes its statistics."""
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(POLL_SECONDS)
