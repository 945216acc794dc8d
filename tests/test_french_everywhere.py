"""Every page, bilan, message and mail users can meet is in French, numbers written the
French way.

One school group goes through every kind of run (integrated, rejected with a broken XML,
blocked by a threshold, superseded, duplicate, preview, with unmatched people), has a
depositor account (credentials message), a threshold relaxation, a manual match, a calendar
feed and a lesson in the cahier de textes (`tests.site_support`); then every page of the site
is rendered for its manager, with the error pages, each run's bilan, every message and every
mail. The visible text must contain no word of a small English deny-list and no percentage
with a decimal point or a plain space before "%".
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from accounts.models import Message
from deposits.models import DepositorAccount
from ent.formatting import format_moment, format_number, format_percent
from ent.models import CalendarFeed, Establishment, Person, SchoolClass
from imports.models import ImportRun, ManualMatch, ThresholdRelaxation
from imports.report import report_of
from tests.imports.pipeline_support import School, school
from tests.site_support import FEED_ACTIONS, every_kind_build, url_combinations

__all__ = ["school"]

# English that must never reach users (whole words, case-sensitive).
DENY_LIST = (
    "the",
    "and",
    "of",
    "Error",
    "error",
    "Not Found",
    "Forbidden",
    "Bad Request",
    "Server Error",
    "Couldn't",
    "invalid",
    "required",
    "Please",
    "queue",
    "None",
    "True",
    "False",
    "INDEX_EDUCATION",
    "INDEX_EDUCATION_ENCRYPTED",
    "UNDEUXTEMPS",
)
_DENIED = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in DENY_LIST) + r")(?![\w-])")
# "100.00 %", "12.5%", or a plain/no-break space before "%" (French wants U+202F).
_BAD_PERCENT = re.compile(r"\d\.\d+\s*%|\d[ \u00a0]?%")
_TECHNICAL = re.compile(r'<code lang="en">.*?</code>', re.S)
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")


def visible_text(markup: str) -> str:
    """The text a user reads: tags, scripts and the untranslated technical folds removed."""
    without = _TAG.sub(" ", _HIDDEN.sub(" ", _TECHNICAL.sub(" ", markup)))
    return html.unescape(without)


def english_and_bad_numbers(text: str) -> list[str]:
    found = [
        f"English {m.group(0)!r}: …{text[max(m.start() - 60, 0) : m.end() + 60]!r}…"
        for m in _DENIED.finditer(text)
    ]
    found += [
        f"Number {m.group(0)!r}: …{text[max(m.start() - 60, 0) : m.end() + 60]!r}…"
        for m in _BAD_PERCENT.finditer(text)
    ]
    return found


def test_the_formatting_helpers_write_french_numbers_and_paris_times() -> None:
    assert format_percent("100.00") == "100\u202f%"
    assert format_percent("12.50") == "12,5\u202f%"
    assert format_number(1234.5) == "1\u202f234,5"
    assert format_moment(dt.datetime(2026, 11, 16, 14, 0, tzinfo=dt.UTC)) == "16/11/2026 à 15:00"
    assert english_and_bad_numbers("Seuil : 100.00 % et 12,5 % ; the end") != []


@pytest.fixture
def every_kind(
    school: School, django_capture_on_commit_callbacks: Callable[..., Any]
) -> Iterator[tuple[School, Client]]:
    built = every_kind_build(school, capture=django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(built.manager)
    yield school, client


def _site_urls(school: School) -> list[str]:
    """Every page of the site (the admin aside) with this school group's objects."""
    values: dict[str, list[object]] = {
        "group_id": [school.group.pk],
        "run_id": list(ImportRun.objects.values_list("pk", flat=True)),
        "message_id": list(Message.objects.values_list("pk", flat=True)),
        "account_id": list(DepositorAccount.objects.values_list("pk", flat=True)),
        "relaxation_id": list(ThresholdRelaxation.objects.values_list("pk", flat=True)),
        "match_id": list(ManualMatch.objects.values_list("pk", flat=True)),
        "token": ["jeton-inconnu"],
        "establishment_id": list(
            Establishment.objects.filter(school_group=school.group).values_list("pk", flat=True)
        ),
        # A class's week and a teacher's week; mismatched pairs answer 404, which is allowed.
        "kind": ["classe", "enseignant"],
        "key": [
            SchoolClass.objects.filter(establishment__school_group=school.group)
            .values_list("pk", flat=True)
            .first(),
            Person.objects.filter(
                kind=Person.Kind.TEACHER, establishments__school_group=school.group
            )
            .values_list("pk", flat=True)
            .first(),
        ],
        "feed_id": list(CalendarFeed.objects.values_list("pk", flat=True)),
        "action": list(FEED_ACTIONS),
    }
    return [reverse(name, kwargs=combo) for name, combo in url_combinations(values)]


def test_no_page_bilan_message_or_mail_shows_english_or_a_point_decimal(
    every_kind: tuple[School, Client],
) -> None:
    school, client = every_kind
    texts: dict[str, str] = {}
    for url in _site_urls(school):
        response = client.get(url)
        if response.status_code == 405 or response.get("Content-Type", "").startswith(
            ("application/xml", "application/zip", "application/octet-stream")
        ):
            continue  # POST-only actions, and the deposited file itself
        assert response.status_code in (200, 302, 404, 410), (url, response.status_code)
        body = b"".join(response) if response.streaming else response.content
        texts[url] = visible_text(body.decode())
        if response.get("Content-Type", "").startswith("text/html"):
            # The Content-Security-Policy allows no inline style or script: none is written.
            assert not re.search(r"\sstyle=|<style\b|\son[a-z]+=", body.decode()), url
    texts["404"] = visible_text(client.get("/cette-page-n-existe-pas/").content.decode())
    refused = Client(enforce_csrf_checks=True).post(reverse("accounts:login"), {})
    assert refused.status_code == 403
    texts["403 CSRF"] = visible_text(refused.content.decode())
    for code in ("400", "403", "500"):
        texts[code] = visible_text(render_to_string(f"{code}.html"))
    texts["login"] = visible_text(Client().get(reverse("accounts:login")).content.decode())
    for run in ImportRun.objects.all():
        texts[f"bilan {run.pk}"] = report_of(run).text
        for step in run.steps.all():
            # One line each, as shown: a detail ending in a date is not glued to the next "%".
            texts[f"step {run.pk} {step.name}"] = "\n".join(
                [step.name, step.message, step.action, *step.details]
            )
    for message in Message.objects.all():
        texts[f"message {message.pk}"] = f"{message.subject}\n{message.body}"
    for sent in mail.outbox:
        texts[f"mail {sent.subject}"] = f"{sent.subject}\n{sent.body}"

    assert len(texts) > 30
    assert any(m.startswith("message") for m in texts) and mail.outbox
    problems = {
        where: found for where, text in texts.items() if (found := english_and_bad_numbers(text))
    }
    assert problems == {}
