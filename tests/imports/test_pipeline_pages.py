"""The run detail page and the bilan of real runs: steps, thresholds, counters, lists."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from ent.models import Person
from imports.models import ImportRun
from tests.factories import RoleFactory
from tests.imports.pipeline_support import (
    OTHER_UAI,
    School,
    edt_file,
    initialise,
    run_import,
    school,
)

__all__ = ["school"]


def _page(school: School, run: ImportRun) -> str:
    client = Client()
    client.force_login(RoleFactory(school_group=school.group).user)
    response = client.get(reverse("imports:run_detail", args=[school.group.pk, run.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_detail_of_an_integrated_run_shows_steps_thresholds_counters_and_lists(
    school: School,
) -> None:
    Person.objects.filter(pk=school.teachers[0].pk).update(pronote_idpn="", last_name="AUTRE")
    run = initialise(school)

    page = _page(school, run)

    assert "Intégré" in page
    for step in ("validation", "rapprochement", "seuils", "groupes", "séances"):
        assert f"<strong>{step}</strong>" in page
    assert "✅" in page and "⚠️" in page
    assert "% d&#x27;enseignants non rapprochés" in page
    assert "Cohérence avec les périodes de fermeture" in page
    assert f"<td>Séances créées</td><td>{run.counters['sessions_created']}</td>" in page
    assert "Enseignants non rapprochés (1)" in page
    assert "DUPONT Claire" in page


def test_the_detail_of_a_rejected_run_shows_the_problems_and_the_action(school: School) -> None:
    run = run_import(school, edt_file(uai=OTHER_UAI), mode=ImportRun.Mode.MANUAL)

    page = _page(school, run)

    assert "Rejeté" in page
    assert "⛔" in page
    assert 'data-bilan="problems"' in page
    assert OTHER_UAI in page
    assert "Action à mener" in page


def test_the_bilan_text_lists_thresholds_counters_unmatched_and_problems(school: School) -> None:
    Person.objects.filter(pk=school.teachers[0].pk).update(pronote_idpn="", last_name="AUTRE")
    integrated = initialise(school)
    rejected = run_import(school, edt_file(uai=OTHER_UAI), mode=ImportRun.Mode.MANUAL)

    text = integrated.bilan["text"]
    assert "Seuils :" in text
    assert "% de matières créées : 100.00 % (seuil 50 %, bloquant, DÉPASSÉ)" in text
    assert f"Séances créées : {integrated.counters['sessions_created']}" in text
    assert "Enseignants non rapprochés (1) :\n  - DUPONT Claire" in text
    assert "Problèmes relevés dans le fichier (1) :" in rejected.bilan["text"]
    assert "Erreur [UAI]" in rejected.bilan["text"]
