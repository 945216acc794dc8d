"""Calendar feed migrations: hashing the tokens keeps every subscribed address working; one
live feed per timetable keeps the newest of duplicates."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import connection
from django.test import Client

from ent.identifiers import make_uai
from ent.models import CalendarFeed
from tests.migration_support import migrate_to

BEFORE_HASHING = ("ent", "0007_teachingservice_course_digest")
HASHING = ("ent", "0008_calendar_feed_token_hash")
BEFORE_ONE_ACTIVE = ("ent", "0009_groupmembership_person_index")
UAI = make_uai("0761234")
NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)
OLD_TOKEN = "Kq3vX9mZt2LwPbR7nYc4sHd8fGj1aUe5oIx6yTz0VbN"
REVOKED_TOKEN = "Rv8dE2qW5tY7uI9oP1aS3dF6gH4jK0lZxCvBnM2qWeR"


@pytest.mark.django_db(transaction=True)
def test_addresses_subscribed_before_the_hashing_keep_working_and_no_token_stays_in_clear() -> None:
    executor = migrate_to([BEFORE_HASHING])
    graph = executor.loader.graph
    others = [node for node in graph.leaf_nodes() if node[0] != "ent"]
    old = executor.loader.project_state([BEFORE_HASHING, *others]).apps
    group = old.get_model("ent", "SchoolGroup").objects.create(name="Cité scolaire Jean Moulin")
    establishment = old.get_model("ent", "Establishment").objects.create(
        school_group=group, uai=UAI, name="Collège Jules Verne"
    )
    klass = old.get_model("ent", "SchoolClass").objects.create(
        establishment=establishment, code="3A", name="3A"
    )
    feeds = old.get_model("ent", "CalendarFeed").objects
    feeds.create(
        establishment=establishment,
        kind="CLASS",
        school_class=klass,
        token=OLD_TOKEN,
        created_at=NOW,
    )
    feeds.create(
        establishment=establishment,
        kind="ROOM",
        room="Salle 1",
        token=REVOKED_TOKEN,
        created_at=NOW,
        revoked_at=NOW,
    )

    migrate_to(graph.leaf_nodes())

    active = CalendarFeed.objects.get(kind="CLASS")
    assert active.token_hash == hashlib.sha256(OLD_TOKEN.encode()).hexdigest()
    assert active.token_prefix == OLD_TOKEN[:4]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM ent_calendarfeed")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert OLD_TOKEN not in stored and REVOKED_TOKEN not in stored
    anonymous = Client()
    answer = anonymous.get(f"/agenda/{OLD_TOKEN}.ics")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/calendar; charset=utf-8"
    assert anonymous.get(f"/agenda/{REVOKED_TOKEN}.ics").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_going_back_before_the_hashing_revokes_the_feeds_whose_address_is_lost() -> None:
    CalendarFeed.objects.all().delete()
    executor = migrate_to([HASHING])
    state = executor.loader.project_state([HASHING])
    apps = state.apps
    group = apps.get_model("ent", "SchoolGroup").objects.create(name="Cité scolaire Jean Moulin")
    establishment = apps.get_model("ent", "Establishment").objects.create(
        school_group=group, uai=UAI, name="Collège Jules Verne"
    )
    apps.get_model("ent", "CalendarFeed").objects.create(
        establishment=establishment,
        kind="ROOM",
        room="Salle 1",
        token_hash="a" * 64,
        token_prefix="abcd",
        created_at=NOW,
    )

    executor = migrate_to([BEFORE_HASHING])
    old = executor.loader.project_state([BEFORE_HASHING]).apps
    feed = old.get_model("ent", "CalendarFeed").objects.get()

    assert len(feed.token) == 43 and feed.revoked_at is not None
    migrate_to(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_duplicated_live_feeds_keep_only_the_newest_address_once_one_per_timetable_applies() -> (
    None
):
    CalendarFeed.objects.all().delete()
    executor = migrate_to([BEFORE_ONE_ACTIVE])
    old = executor.loader.project_state([BEFORE_ONE_ACTIVE]).apps
    group = old.get_model("ent", "SchoolGroup").objects.create(name="Cité scolaire Jean Moulin")
    establishment = old.get_model("ent", "Establishment").objects.create(
        school_group=group, uai=UAI, name="Collège Jules Verne"
    )
    feeds = old.get_model("ent", "CalendarFeed").objects

    def feed(digit: str, minutes: int, **target: object) -> int:
        return feeds.create(
            establishment=establishment,
            token_hash=digit * 64,
            token_prefix=digit * 4,
            created_at=NOW + dt.timedelta(minutes=minutes),
            **target,
        ).pk

    older = feed("1", 0, kind="ROOM", room="Salle 1")
    newest = feed("2", 1, kind="ROOM", room="Salle 1")
    other_room = feed("3", 0, kind="ROOM", room="Salle 2")
    already_revoked = feed("4", 2, kind="ROOM", room="Salle 1", revoked_at=NOW)

    migrate_to(executor.loader.graph.leaf_nodes())

    live = set(CalendarFeed.objects.filter(revoked_at__isnull=True).values_list("pk", flat=True))
    assert live == {newest, other_room}
    assert CalendarFeed.objects.get(pk=older).revoked_at is not None
    assert CalendarFeed.objects.get(pk=already_revoked).revoked_at == NOW
