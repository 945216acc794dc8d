"""iCalendar feeds: RFC 5545 documents with stable UIDs and a VTIMEZONE, behind revocable
tokens; read by the icalendar library's parser and by a real client (khal)."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import os
import re
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import icalendar
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client

from accounts.models import User
from accounts.timetable_views import FEED_REVEAL_COOKIE
from ent.models import CalendarFeed, Session
from ent.services.calendar_feeds import (
    CalendarFeedExists,
    calendar_feed_by_token,
    calendar_feed_create,
    calendar_feed_regenerate,
    calendar_for_target,
)
from ent.services.timetable import TargetKind, timetable_target
from tests.imports.pipeline_support import (
    PARIS,
    UAI,
    School,
    default_courses,
    edt_file,
    initialise,
    moved,
    run_import,
    school,
)

__all__ = ["school"]
NOW = dt.datetime(2026, 11, 16, 12, 0, tzinfo=PARIS)
LATER = dt.datetime(2026, 11, 17, 19, 0, tzinfo=PARIS)


def _class_target(school: School):
    return timetable_target(
        establishment=school.establishment, kind=TargetKind.CLASS, key=str(school.classes[0].pk)
    )


def _manager_pages(school: School) -> tuple[Client, str]:
    """Initialise ``school``; return a logged-in client and its timetable pages' base URL."""
    initialise(school)
    client = Client()
    client.force_login(User.objects.create_superuser("claire"))
    return client, f"/cites/{school.group.pk}/emplois-du-temps/{school.establishment.pk}"


def _events(document: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(document)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_a_class_feed_is_valid_icalendar_in_europe_paris_with_one_event_per_session(
    school: School,
) -> None:
    initialise(school)
    target = _class_target(school)

    document = calendar_for_target(target, now=NOW)
    calendar = icalendar.Calendar.from_ical(document)
    events = _events(document)

    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    zones = calendar.walk("VTIMEZONE")
    assert [str(zone["TZID"]) for zone in zones] == ["Europe/Paris"]
    assert {c.name for c in zones[0].subcomponents} == {"STANDARD", "DAYLIGHT"}
    expected = Session.objects.filter(
        teaching_service__in=target_services(school),
        starts_at__gte=NOW - dt.timedelta(weeks=4),
        starts_at__lt=NOW + dt.timedelta(weeks=52),
    ).count()
    assert len(events) == expected > 500
    first = min(events.values(), key=lambda e: e.decoded("DTSTART"))
    start = first.decoded("DTSTART")
    assert str(start.tzinfo) == "Europe/Paris"
    assert b"DTSTART;TZID=Europe/Paris:" in document
    assert "Enseignants :" in str(first["DESCRIPTION"]) and str(first["LOCATION"]).startswith(
        "Salle"
    )


def target_services(school: School):
    from ent.models import TeachingService

    klass = school.classes[0]
    return TeachingService.objects.filter(classes=klass) | TeachingService.objects.filter(
        groups__classes=klass
    )


def test_uids_stay_the_same_when_a_session_changes_room(school: School) -> None:
    initialise(school)
    target = _class_target(school)
    before = _events(calendar_for_target(target, now=LATER))

    run_import(school, edt_file(moved(default_courses(), 0, room=4)), now=LATER)
    after = _events(calendar_for_target(target, now=LATER))

    assert set(before) == set(after)
    changed = [uid for uid in after if str(after[uid]["LOCATION"]) != str(before[uid]["LOCATION"])]
    assert changed and all(str(after[uid]["LOCATION"]) == "Salle 4" for uid in changed)


def _feed_address(page: str) -> str:
    match = re.search(r'value="[^"]*/agenda/([A-Za-z0-9_-]+)\.ics" aria-label', page)
    assert match, "the page shows no feed address"
    return match.group(1)


def test_the_feed_answers_by_token_and_stops_once_revoked_or_regenerated(school: School) -> None:
    client, base = _manager_pages(school)

    created = client.post(
        f"{base}/abonnements/", {"kind": "classe", "key": str(school.classes[0].pk)}, follow=True
    )
    token = _feed_address(created.content.decode())
    feed = CalendarFeed.objects.get()
    anonymous = Client()
    answer = anonymous.get(f"/agenda/{token}.ics")
    renewed_page = client.post(f"{base}/abonnements/{feed.pk}/renouveler/", follow=True)
    renewed_token = _feed_address(renewed_page.content.decode())
    renewed = CalendarFeed.objects.get(revoked_at__isnull=True)
    old_answer = anonymous.get(f"/agenda/{token}.ics")
    renewed_answer = anonymous.get(f"/agenda/{renewed_token}.ics")
    client.post(f"{base}/abonnements/{renewed.pk}/revoquer/")

    assert len(token) >= 43
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/calendar; charset=utf-8"
    assert _events(answer.content)
    assert renewed_token != token and renewed.pk != feed.pk
    assert old_answer.status_code == 404
    assert renewed_answer.status_code == 200
    assert anonymous.get(f"/agenda/{renewed_token}.ics").status_code == 404
    assert anonymous.get("/agenda/" + "x" * 43 + ".ics").status_code == 404


def test_the_database_keeps_only_the_hash_of_a_feed_token(school: School) -> None:
    initialise(school)
    new = calendar_feed_create(_class_target(school), now=NOW)

    row = CalendarFeed.objects.values().get(pk=new.feed.pk)

    assert row["token_hash"] == hashlib.sha256(new.token.encode()).hexdigest()
    assert row["token_prefix"] == new.token[:4]
    assert not any(new.token in str(value) for value in row.values())
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM ent_calendarfeed")
        assert not any(new.token in str(value) for value in cursor.fetchone())
    assert calendar_feed_by_token(new.token) == new.feed
    assert calendar_feed_by_token(row["token_hash"]) is None  # the hash is no credential


def test_the_full_address_is_shown_once_after_creation_then_only_its_start(
    school: School,
) -> None:
    client, base = _manager_pages(school)
    week = f"{base}/classe/{school.classes[0].pk}/"

    created = client.post(
        f"{base}/abonnements/", {"kind": "classe", "key": str(school.classes[0].pk)}, follow=True
    )
    first = html.unescape(created.content.decode())
    token = _feed_address(first)
    again = html.unescape(client.get(week).content.decode())

    assert "Copiez cette adresse maintenant : elle ne sera plus jamais affichée." in first
    assert "l'ancienne adresse cessera aussitôt de fonctionner" in first
    assert "no-store" in created["Cache-Control"]
    assert token not in again
    assert "data-feed-url" not in again
    assert f"…/agenda/{token[:4]}…" in again
    assert "Renouveler l'adresse" in again


def test_a_reveal_cookie_cannot_show_the_address_of_another_feed(school: School) -> None:
    client, base = _manager_pages(school)
    other = calendar_feed_create(_class_target(school), now=NOW)

    client.cookies[FEED_REVEAL_COOKIE] = f"{other.feed.pk}:{'y' * 43}"  # forged, unsigned
    forged = client.get(f"{base}/classe/{school.classes[0].pk}/").content.decode()

    assert other.token not in forged and "data-feed-url" not in forged


def test_the_command_writes_a_teacher_s_calendar(school: School, tmp_path: Path) -> None:
    initialise(school)
    out = tmp_path / "martin.ics"

    call_command("timetable_ical", "--uai", UAI, "--teacher", "Martin Claire", "--out", str(out))
    stdout = StringIO()
    call_command("timetable_ical", "--uai", UAI, "--room", "Salle 2", stdout=stdout)

    assert _events(out.read_bytes())
    assert _events(stdout.getvalue().encode())
    with pytest.raises(CommandError, match="Aucune classe « 9Z »"):
        call_command("timetable_ical", "--uai", UAI, "--class", "9Z")


KHAL_CONFIG = """
[calendars]
[[edt]]
path = {path}
type = calendar
[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
default_timezone = Europe/Paris
local_timezone = Europe/Paris
[default]
default_calendar = edt
"""


def _khal(config: Path, *args: str) -> str:
    env = {**os.environ, "HOME": str(config.parent), "TZ": "Europe/Paris"}
    done = subprocess.run(
        [shutil.which("khal") or "khal", "-c", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )
    return done.stdout


def test_khal_imports_the_feed_and_a_refreshed_feed_updates_instead_of_duplicating(
    school: School, tmp_path: Path
) -> None:
    if shutil.which("khal") is None:
        message = "khal is not installed (apt-get install khal)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    initialise(school)
    target = _class_target(school)
    calendar_dir = tmp_path / "calendar"
    calendar_dir.mkdir()
    config = tmp_path / "khal.conf"
    config.write_text(KHAL_CONFIG.format(path=calendar_dir))
    first = tmp_path / "first.ics"
    first.write_bytes(calendar_for_target(target, now=LATER))

    _khal(config, "import", "--batch", str(first))
    count = len(list(calendar_dir.glob("*.ics")))
    monday = _khal(
        config, "list", "--format", "{start-time} {title} {location}", "2026-11-30", "1d"
    )
    run_import(school, edt_file(moved(default_courses(), 0, room=4)), now=LATER)
    second = tmp_path / "second.ics"
    second.write_bytes(calendar_for_target(target, now=LATER))
    _khal(config, "import", "--batch", str(second))
    monday_after = _khal(
        config, "list", "--format", "{start-time} {title} {location}", "2026-11-30", "1d"
    )

    assert count == len(_events(first.read_bytes()))
    assert "08:00 Français Salle 1" in monday
    assert len(list(calendar_dir.glob("*.ics"))) == count
    assert "08:00 Français Salle 4" in monday_after
    assert "Salle 1" not in monday_after.split("09:00")[0]


def test_a_creation_form_sent_twice_leaves_one_live_address_and_says_how_to_get_it(
    school: School,
) -> None:
    client, base = _manager_pages(school)
    form = {"kind": "classe", "key": str(school.classes[0].pk), "semaine": "2026-11-30"}

    first = client.post(f"{base}/abonnements/", form)
    again = client.post(f"{base}/abonnements/", form, follow=True)
    page = html.unescape(again.content.decode())

    # Both answers lead back to the week the form was sent from.
    assert first["Location"].endswith("?semaine=2026-11-30")
    assert again.redirect_chain[0][0] == first["Location"]

    assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 1
    assert "Cet emploi du temps a déjà une adresse d'abonnement" in page
    assert "aucune autre n'a été créée" in page
    assert "« Renouveler l'adresse »" in page
    # The browser still holds the first answer's cookie: the one live address is shown.
    assert calendar_feed_by_token(_feed_address(page)) == CalendarFeed.objects.get()


def test_a_renewal_sent_twice_renews_once_and_changes_nothing_the_second_time(
    school: School,
) -> None:
    client, base = _manager_pages(school)
    feed = calendar_feed_create(_class_target(school), now=NOW).feed

    client.post(f"{base}/abonnements/{feed.pk}/renouveler/")
    renewed = CalendarFeed.objects.get(revoked_at__isnull=True)
    again = client.post(f"{base}/abonnements/{feed.pk}/renouveler/", follow=True)
    page = html.unescape(again.content.decode())

    assert again.status_code == 200
    assert CalendarFeed.objects.get(revoked_at__isnull=True) == renewed
    assert "avait déjà été révoquée ou renouvelée" in page
    assert "rien n'a été changé" in page


def test_the_database_keeps_one_live_feed_per_timetable_but_any_number_revoked(
    school: School,
) -> None:
    initialise(school)
    target = _class_target(school)
    first = calendar_feed_create(target, now=NOW).feed

    with pytest.raises(CalendarFeedExists) as refused:
        calendar_feed_create(target, now=LATER)
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarFeed.objects.create(
            establishment=school.establishment,
            kind=CalendarFeed.Kind.CLASS,
            school_class=school.classes[0],
            token_hash="b" * 64,
            token_prefix="bbbb",
            created_at=LATER,
        )
    renewed = calendar_feed_regenerate(first, now=LATER)
    other_class = calendar_feed_create(
        timetable_target(
            establishment=school.establishment,
            kind=TargetKind.CLASS,
            key=str(school.classes[1].pk),
        ),
        now=LATER,
    )

    assert refused.value.feed == first
    assert list(CalendarFeed.objects.filter(revoked_at__isnull=True).order_by("pk")) == [
        renewed.feed,
        other_class.feed,
    ]
    assert CalendarFeed.objects.filter(revoked_at__isnull=False).get() == first
