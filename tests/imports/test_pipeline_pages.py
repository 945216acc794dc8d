"""The run detail page and the bilan of real runs: steps, thresholds, counters, lists."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import Message
from deposits.models import DepositorAccount
from ent.formatting import format_number
from ent.models import Person
from imports.models import ImportRun
from tests.factories import RoleFactory, UserFactory
from tests.imports.pipeline_support import (
    NOW,
    OTHER_UAI,
    TEACHERS,
    School,
    default_courses,
    deposit,
    edt_file,
    initialise,
    process,
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
    # Each step named with a capital after its outcome: « ✔ Réussi Validation — … ».
    for step in ("Validation", "Rapprochement", "Seuils", "Groupes", "Séances"):
        assert f"<strong>{step}</strong>" in page
    assert "✔" in page and "⚠" in page
    assert "% d&#x27;enseignants non rapprochés" in page
    assert "Cohérence avec les périodes de fermeture" in page
    assert f"1 enseignant(s) non rapproché(s) sur {len(TEACHERS)} dans le fichier" in page
    assert "Ident=" not in page
    created = format_number(run.counters["sessions_created"])
    assert f"<td>Séances créées</td><td>{created}</td>" in page
    assert "Enseignants non rapprochés (1)" in page
    assert "DUPONT Claire" in page


def test_the_detail_of_a_rejected_run_shows_the_problems_and_the_action(school: School) -> None:
    run = run_import(school, edt_file(uai=OTHER_UAI), mode=ImportRun.Mode.MANUAL)

    page = _page(school, run)

    assert "Rejeté" in page
    assert "✖" in page
    assert 'data-bilan="problems"' in page
    assert OTHER_UAI in page
    assert "Action à mener" in page


def test_the_bilan_text_lists_thresholds_counters_unmatched_and_problems(school: School) -> None:
    Person.objects.filter(pk=school.teachers[0].pk).update(pronote_idpn="", last_name="AUTRE")
    integrated = initialise(school)
    rejected = run_import(school, edt_file(uai=OTHER_UAI), mode=ImportRun.Mode.MANUAL)

    text = integrated.bilan["text"]
    assert "Seuils :" in text
    assert "% de matières créées : 100\u202f% (seuil 50\u202f%, bloquant, DÉPASSÉ)" in text
    assert f"Séances créées : {integrated.counters['sessions_created']}" in text
    assert "Enseignants non rapprochés (1) :\n  - DUPONT Claire" in text
    assert "Problèmes relevés dans le fichier (1) :" in rejected.bilan["text"]
    assert "  - Erreur — " in rejected.bilan["text"]
    problems = rejected.bilan["text"].split("Problèmes relevés dans le fichier (1) :\n")[1]
    assert problems.startswith("  - Erreur — ")
    assert "[UAI] → " in problems.splitlines()[0]


def _depositor(school: School, username: str, slot: int, *, notify: bool) -> DepositorAccount:
    return DepositorAccount.objects.create(
        school_group=school.group,
        user=UserFactory(username=username),
        slot=slot,
        login=f"emp.{username}",
        password="!",
        notify=notify,
        created_at=NOW,
        password_changed_at=NOW,
    )


def test_two_depositors_with_notification_both_get_the_alert_of_a_run_one_of_them_deposited(
    school: School, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    initialise(school)
    louise = _depositor(school, "louise", 1, notify=True)
    marc = _depositor(school, "marc", 2, notify=True)
    _depositor(school, "nina", 3, notify=False)
    only_6a = [c for c in default_courses() if c.school_class in (0, None)]
    run = deposit(school, edt_file(only_6a), now=NOW + dt.timedelta(hours=10))
    ImportRun.objects.filter(pk=run.pk).update(deposited_by=louise.user)

    with django_capture_on_commit_callbacks(execute=True):
        process(school, now=NOW + dt.timedelta(hours=10))

    run.refresh_from_db()
    assert run.status == ImportRun.Status.BLOCKED
    messages = Message.objects.order_by("recipient__username")
    assert [m.recipient for m in messages] == [louise.user, marc.user]
    message = messages[0]
    assert message.subject == ("Import automatique bloqué par un seuil — Collège Jean Moulin")
    assert "Fichier : EDT_export.xml, reçu le" in message.body
    assert "% de services d'enseignement supprimés" in message.body
    assert (
        "supprimé(s) sur" in message.body
        and "au-delà du seuil de 50\u202f% (bloquant)" in message.body
    )
    assert "Bilan de l'import" not in message.body  # the short notice, not the whole bilan
    assert len(message.body.splitlines()) <= 12
    assert message.link == f"{settings.ENT_PUBLIC_URL}/cites/{school.group.pk}/imports/{run.pk}/"
    assert message.link in message.body
    client = Client()
    client.force_login(louise.user)
    page = html.unescape(
        client.get(reverse("accounts:message_detail", args=[message.pk])).content.decode()
    )
    assert f'class="button" href="{message.link}">Voir l\'import n° {run.pk}</a>' in page
    assert "Ouvrir le lien" not in page


def test_an_integrated_run_without_alerts_and_a_duplicate_tell_no_one(
    school: School, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    initialise(school)
    _depositor(school, "louise", 1, notify=True)
    _depositor(school, "marc", 2, notify=True)
    later = NOW + dt.timedelta(hours=10)

    with django_capture_on_commit_callbacks(execute=True):
        integrated = run_import(school, edt_file(comment="dépôt de Louise"), now=later)
        duplicate = run_import(school, edt_file(comment="dépôt de Louise"), now=later)

    assert integrated.status == ImportRun.Status.INTEGRATED
    assert not integrated.bilan["thresholds"] or not any(
        t["exceeded"] for t in integrated.bilan["thresholds"]
    )
    assert duplicate.status == ImportRun.Status.DUPLICATE
    assert not Message.objects.exists()


def test_a_manual_import_sends_no_message_even_when_blocked(
    school: School, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    initialise(school)
    _depositor(school, "louise", 1, notify=True)
    only_6a = [c for c in default_courses() if c.school_class in (0, None)]

    with django_capture_on_commit_callbacks(execute=True):
        run = run_import(school, edt_file(only_6a), now=NOW + dt.timedelta(hours=10), mode="MANUAL")

    assert run.status == ImportRun.Status.BLOCKED
    assert not Message.objects.exists()


def test_repeated_blocks_of_the_same_kind_within_an_hour_make_one_message(
    school: School, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    initialise(school)
    louise = _depositor(school, "louise", 1, notify=True)
    only_6a = [c for c in default_courses() if c.school_class in (0, None)]

    with django_capture_on_commit_callbacks(execute=True):
        first = run_import(school, edt_file(only_6a), now=NOW + dt.timedelta(hours=10))
        second = run_import(
            school, edt_file(only_6a, comment="bis"), now=NOW + dt.timedelta(hours=10, minutes=40)
        )

    assert first.status == second.status == ImportRun.Status.BLOCKED
    message = Message.objects.get(recipient=louise.user)
    assert message.repeats == 2
    assert message.link.endswith(f"/imports/{second.pk}/")


def test_the_queue_message_counts_establishments_not_runs(school: School) -> None:
    deposit(school, edt_file(comment="1"), whole_group=True)
    deposit(school, edt_file(comment="2"), whole_group=True, now=NOW + dt.timedelta(minutes=1))
    waiting = deposit(school, edt_file(comment="3"), now=NOW + dt.timedelta(minutes=2))

    page = _page(school, waiting)

    assert school.group.establishments.count() == 1
    assert "1 établissement est déjà en cours d'importation." in page


def test_the_counters_are_written_with_french_thousands_separators(
    school: School,
) -> None:
    run = initialise(school)
    ImportRun.objects.filter(pk=run.pk).update(
        counters={**run.counters, "sessions_created": 9894, "memberships_created": 4069}
    )

    page = _page(school, run)

    assert "<td>Séances créées</td><td>9\u202f894</td>" in page
    assert "<td>Inscriptions ajoutées</td><td>4\u202f069</td>" in page


def test_a_run_not_yet_processed_says_its_page_refreshes_itself_without_a_numbered_step(
    school: School,
) -> None:
    run = deposit(school, edt_file())

    page = _page(school, run)

    assert '<meta http-equiv="refresh" content="5">' in page
    assert 'class="steps"' not in page
    assert "Le traitement n'a pas encore commencé : cette page se met à jour d'elle-même" in page
