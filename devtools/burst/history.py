"""The history pages under a long history: many runs across many school groups.

:func:`history_fill` adds school groups (one establishment and one manager each) and spreads
import runs over them with realistic bilans, plus one heavy group; :func:`history_measure`
renders the history list (first and last page) and a run's page through Django's test
client, in-process with every middleware, and :func:`history_explain` shows PostgreSQL's plan
of the list and count queries.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
import uuid
from dataclasses import dataclass

from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from ent.identifiers import make_uai
from ent.models import Establishment, SchoolGroup
from imports.models import ImportRun
from imports.selectors import import_run_list
from imports.thresholds import CONTROLS

BATCH = 5000
PER_PAGE = 25
_UAI_BASE = 8_000_000
_STATUSES = [
    (ImportRun.Status.INTEGRATED, 70),
    (ImportRun.Status.DUPLICATE, 15),
    (ImportRun.Status.BLOCKED, 5),
    (ImportRun.Status.REJECTED, 5),
    (ImportRun.Status.SUPERSEDED, 5),
]


@dataclass(frozen=True)
class FilledHistory:
    typical_group_id: int
    heavy_group_id: int
    manager_id: int
    runs: int
    groups: int


def _bilan(rng: random.Random) -> dict[str, object]:
    """A bilan of the size a real run stores (thresholds, counters, a few lines)."""
    return {
        "thresholds": [
            {
                "control": spec.control.value,
                "label": spec.label,
                "value": round(rng.random() * 10, 1),
                "percent": spec.default_percent,
                "blocking": spec.default_blocking,
                "exceeded": False,
            }
            for spec in CONTROLS
        ],
        "unmatched": {"teachers": [f"Enseignant {n}" for n in range(rng.randint(0, 6))]},
        "coherence": [],
        "coherence_total": 0,
        "text": "Import intégré. " * 20,
    }


def history_fill(*, runs: int, groups: int, heavy_runs: int, seed: int) -> FilledHistory:
    """Create ``groups`` school groups and ``runs`` runs (``heavy_runs`` in one group)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data
    tag = uuid.uuid4().hex[:6]
    start = Establishment.objects.count()
    created = SchoolGroup.objects.bulk_create(
        SchoolGroup(name=f"Historique {tag} n° {n + 1}") for n in range(groups)
    )
    establishments = Establishment.objects.bulk_create(
        Establishment(
            school_group=group,
            uai=make_uai(f"{_UAI_BASE + start + n:07d}"),
            name=f"Collège {tag} {n + 1}",
        )
        for n, group in enumerate(created)
    )
    manager = User.objects.create(username=f"historique-{tag}")
    heavy, typical = created[0], created[1 % len(created)]
    Role.objects.bulk_create(
        Role(user=manager, school_group=group, name=Role.Name.MANAGER) for group in (heavy, typical)
    )
    now = timezone.now()
    statuses, weights = zip(*_STATUSES, strict=True)
    spread = [(heavy, establishments[0])] * heavy_runs
    others = list(zip(created[1:], establishments[1:], strict=True)) or [spread[0]]
    spread += [others[n % len(others)] for n in range(max(0, runs - heavy_runs))]
    for offset in range(0, len(spread), BATCH):
        ImportRun.objects.bulk_create(
            ImportRun(
                school_group=group,
                establishment=establishment,
                mode=ImportRun.Mode.AUTOMATIC,
                status=rng.choices(statuses, weights)[0],
                file=f"deposits/bench/{tag}-{offset + n}.xml",
                original_filename="EDT_export.xml",
                sha256=f"{rng.getrandbits(256):064x}",
                size=rng.randint(100_000, 5_000_000),
                received_at=now - dt.timedelta(minutes=rng.randint(1, 2 * 365 * 24 * 60)),
                finished_at=now,
                bilan=_bilan(rng),
            )
            for n, (group, establishment) in enumerate(spread[offset : offset + BATCH])
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE imports_importrun")
    return FilledHistory(
        typical_group_id=typical.pk,
        heavy_group_id=heavy.pk,
        manager_id=manager.pk,
        runs=len(spread),
        groups=groups,
    )


@dataclass(frozen=True)
class PageTiming:
    page: str
    runs_in_group: int
    p50_ms: float
    max_ms: float


def history_measure(filled: FilledHistory, *, repeats: int) -> list[PageTiming]:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(pk=filled.manager_id))
    timings = []
    for group_id in (filled.typical_group_id, filled.heavy_group_id):
        count = ImportRun.objects.filter(school_group_id=group_id).count()
        last_page = max(1, -(-count // PER_PAGE))
        run_id = (
            ImportRun.objects.filter(school_group_id=group_id)
            .order_by("-received_at")
            .values_list("pk", flat=True)
            .first()
        )
        history = reverse("imports:run_list", args=[group_id])
        pages = {
            "historique, page 1": history,
            f"historique, page {last_page}": f"{history}?page={last_page}",
            "détail d'un import": reverse("imports:run_detail", args=[group_id, run_id]),
        }
        for label, url in pages.items():
            seconds = []
            for _ in range(repeats):
                started = time.perf_counter()
                response = client.get(url)
                seconds.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} : HTTP {response.status_code}")
            timings.append(
                PageTiming(
                    page=label,
                    runs_in_group=count,
                    p50_ms=statistics.median(seconds) * 1000,
                    max_ms=max(seconds) * 1000,
                )
            )
    return timings


def history_explain(group_id: int) -> dict[str, str]:
    """PostgreSQL's plans (EXPLAIN ANALYZE) of the history's page and count queries."""
    group = SchoolGroup.objects.get(pk=group_id)
    queries = {
        "page": import_run_list(group)[:PER_PAGE],
        "count": ImportRun.objects.filter(school_group=group),
    }
    plans = {}
    with connection.cursor() as cursor:
        for name, queryset in queries.items():
            sql, params = queryset.query.sql_with_params()
            if name == "count":
                sql = f"SELECT count(*) FROM ({sql}) AS runs"  # noqa: S608 - ORM-built SQL
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", params)
            plans[name] = "\n".join(row[0] for row in cursor.fetchall())
    return plans
