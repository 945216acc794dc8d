"""The import history: filters, who deposited or forced, one-line reasons, sorting, pages."""

from __future__ import annotations

import datetime as dt
import html
import re

from django.core.files.base import ContentFile
from django.test import Client

from accounts.models import User
from imports.models import ImportRun, ImportStep
from tests.factories import EstablishmentFactory
from tests.imports.pipeline_support import PARIS, School, school

__all__ = ["school"]
Status = ImportRun.Status


def _run(school: School, status: str, *, day: int, **fields: object) -> ImportRun:
    run = ImportRun(
        school_group=school.group,
        establishment=fields.pop("establishment", school.establishment),
        mode=fields.pop("mode", ImportRun.Mode.AUTOMATIC),
        status=status,
        original_filename=f"EDT-{day}.xml",
        sha256=f"{day:064x}",
        size=10,
        received_at=dt.datetime(2026, 11, day, 9, 0, tzinfo=PARIS),
        **fields,
    )
    run.file.save(run.original_filename, ContentFile(b"<x/>"), save=False)
    run.save()
    return run


def _page(client: Client, url: str, **params: str) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _rows(page: str) -> list[str]:
    body = page.split("<tbody")[1].split("</tbody>")[0]
    return re.findall(r"<tr.*?</tr>", body, flags=re.S)


def test_the_history_filters_by_status_mode_establishment_and_dates(school: School) -> None:
    user = User.objects.create_superuser("claire", first_name="Claire", last_name="Roux")
    client = Client()
    client.force_login(user)
    other = EstablishmentFactory(school_group=school.group, name="Lycée Victor Hugo")
    _run(school, Status.INTEGRATED, day=2)
    _run(school, Status.REJECTED, day=3)
    _run(school, Status.INTEGRATED, day=4, establishment=other, mode=ImportRun.Mode.MANUAL)
    _run(school, Status.BLOCKED, day=5, establishment=None)
    url = f"/cites/{school.group.pk}/imports/"

    assert len(_rows(_page(client, url))) == 4
    assert len(_rows(_page(client, url, status="INTEGRATED"))) == 2
    assert len(_rows(_page(client, url, mode="MANUAL"))) == 1
    assert len(_rows(_page(client, url, establishment=str(other.pk)))) == 1
    assert len(_rows(_page(client, url, establishment="groupe"))) == 1
    assert len(_rows(_page(client, url, since="2026-11-03", until="2026-11-04"))) == 2
    wrong = _page(client, url, since="2026-11-05", until="2026-11-01")
    assert "La date de fin doit suivre la date de début." in wrong


def test_the_history_says_who_forced_a_run_and_why_runs_stopped(school: School) -> None:
    user = User.objects.create_superuser("claire", first_name="Claire", last_name="Roux")
    client = Client()
    client.force_login(user)
    blocked = _run(
        school,
        Status.BLOCKED,
        day=2,
        bilan={
            "thresholds": [
                {
                    "control": "SERVICES_DELETED",
                    "label": "% de services d'enseignement supprimés",
                    "value": "60",
                    "setting": 50,
                    "exceeded": True,
                    "blocking": True,
                }
            ]
        },
    )
    rejected = _run(school, Status.REJECTED, day=3)
    ImportStep.objects.create(
        run=rejected,
        position=1,
        name="validation",
        outcome=ImportStep.Outcome.INTERRUPTED,
        message="Le fichier n'est pas importable : 2 erreur(s).\nDétails",
    )
    _run(
        school,
        Status.INTEGRATED,
        day=4,
        mode=ImportRun.Mode.MANUAL,
        deposited_by=user,
        origin=blocked,
        origin_kind=ImportRun.Origin.FORCED,
    )

    rows = _rows(_page(client, f"/cites/{school.group.pk}/imports/"))

    assert "Manuel" in rows[0] and "Appliqué malgré les seuils" in rows[0]
    assert "Claire Roux" in rows[0]
    assert "Le fichier n'est pas importable : 2 erreur(s)." in rows[1]
    assert "Détails" not in rows[1]
    assert "Seuil bloquant dépassé : % de services d'enseignement supprimés" in rows[2]


def test_sorting_by_status_follows_the_french_labels(school: School) -> None:
    client = Client()
    client.force_login(User.objects.create_superuser("claire"))
    for day, status in enumerate(
        [Status.REJECTED, Status.FAILED, Status.BLOCKED, Status.DUPLICATE], 2
    ):
        _run(school, status, day=day)

    rows = _rows(_page(client, f"/cites/{school.group.pk}/imports/", sort="status"))

    labels = [re.search(r"</span> ([^<]+)</span>", row).group(1) for row in rows]
    assert labels == ["Bloqué", "Doublon", "Échec", "Rejeté"]


def test_the_history_pages_by_25_with_the_site_s_pagination(school: School) -> None:
    client = Client()
    client.force_login(User.objects.create_superuser("claire"))
    for day in range(1, 28):
        _run(school, Status.DUPLICATE, day=day)
    url = f"/cites/{school.group.pk}/imports/"

    first = _page(client, url, status="DUPLICATE")
    second = _page(client, url, status="DUPLICATE", page="2")

    assert len(_rows(first)) == 25 and len(_rows(second)) == 2
    assert 'class="pagination"' in first and "Page 1 sur 2" in first
    assert "status=DUPLICATE" in first.split('rel="next"')[0].rsplit("href=", 1)[1]
