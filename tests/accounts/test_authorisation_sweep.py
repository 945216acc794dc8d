"""Every page and action of the site refuses the objects of another school group.

Two school groups, A and B, each hold every kind of object (``tests.site_support``: runs of
every status, a depositor account and its one-time reveal, a relaxation, a manual match, a
calendar feed, messages). Every URL pattern of the site (the Django admin aside) is rendered
with every combination of both groups' identifiers (school group, establishment, run, account,
relaxation, match, feed, message, class/group/teacher keys, tokens, feed actions):

- for A's manager and A's head, every URL naming one of B's objects answers 404 (403, 405)
  to GET and to a POST carrying a valid form that names B's objects, shows none of B's names,
  and changes no row of the database;
- anonymous visitors are sent to the login page from every URL but the public ones below;
- A's own pages, fed B's identifiers in their forms and queries, show nothing of B and change
  no row of B;
- B's own staff reach every URL with the same values, so the refusals are not vacuous.

A new URL pattern with a parameter nobody renders makes these tests fail
(``tests.site_support.url_combinations``), and so does a new model nobody says whose it is.
Outside the URLconf, ``/webdav/`` is public by design too: depositor accounts log in with
Basic credentials, confined to their own tree (``tests/deposits/webdav/``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session as WebSession
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Message, Role, User
from deposits.models import DepositorAccount
from deposits.services import depositor_account_regenerate_password
from ent.models import (
    CalendarFeed,
    Establishment,
    Person,
    SchoolGroup,
    Session,
    TeachingGroup,
    TeachingService,
)
from ent.services.timetable import TargetKind
from imports.models import ImportRun, ManualMatch, ThresholdRelaxation
from imports.thresholds import CONTROLS
from tests.factories import RoleFactory, UserFactory
from tests.imports.pipeline_support import OTHER_UAI, directory, edt_file
from tests.site_support import (
    FEED_ACTIONS,
    WEEK_KINDS,
    EveryKind,
    every_kind_build,
    url_combinations,
    url_patterns,
)

pytestmark = pytest.mark.django_db

# URLs anyone may reach, logged in or not.
PUBLIC = {
    "accounts:login": "the login page itself",
    "accounts:logout": "ending one's own session needs no school group",
    "calendar_feed": "the secret token in the address is the credential: calendar clients "
    "(Thunderbird, Outlook, phones) cannot log in",
}
REFUSED = frozenset({403, 404, 405})
# The reveal page answers 410 to any token that is not the user's, as to an unknown or used
# one: it tells nothing about the token.
REFUSED_BY_NAME = {"deposits:credential_reveal": REFUSED | {410}}

# Names only school group B's pages could show.
B_NAME = "Bételgeuse"
B_TEACHER = "ZÉPHYRIN"
# Who owns each table's rows: the path from a row to its school group. Every model of the
# project says it, so a new table cannot escape the "B's rows are unchanged" comparisons.
GROUP_PATHS = {
    "accounts.User": "roles__school_group",
    "accounts.Role": "school_group",
    "accounts.Message": "recipient__roles__school_group",
    "ent.SchoolGroup": "pk",
    "ent.Establishment": "school_group",
    "ent.SchoolYear": "school_group",
    "ent.Person": "establishments__school_group",
    "ent.Person_establishments": "establishment__school_group",
    "ent.SchoolClass": "establishment__school_group",
    "ent.TeachingGroup": "establishment__school_group",
    "ent.TeachingGroup_classes": "teachinggroup__establishment__school_group",
    "ent.ClassMembership": "school_class__establishment__school_group",
    "ent.GroupMembership": "group__establishment__school_group",
    "ent.Subject": "establishment__school_group",
    "ent.TeachingService": "establishment__school_group",
    "ent.TeachingService_teachers": "teachingservice__establishment__school_group",
    "ent.TeachingService_classes": "teachingservice__establishment__school_group",
    "ent.TeachingService_groups": "teachingservice__establishment__school_group",
    "ent.ClosingPeriod": "establishment__school_group",
    "ent.CancelledCourse": "establishment__school_group",
    "ent.Session": "teaching_service__establishment__school_group",
    "ent.SessionContent": "session__teaching_service__establishment__school_group",
    "ent.CalendarFeed": "establishment__school_group",
    "imports.ImportRun": "school_group",
    "imports.SessionChange": "run__school_group",
    "imports.RunMatching": "run__school_group",
    "imports.ImportStep": "run__school_group",
    "imports.ThresholdSetting": "school_group",
    "imports.ManualMatch": "school_group",
    "imports.ThresholdRelaxation": "school_group",
    "imports.ThresholdSettingsChange": "school_group",
    "deposits.DepositorAccount": "school_group",
    "deposits.CredentialReveal": "account__school_group",
}
NO_GROUP = {
    "admin.LogEntry": "the Django admin's journal, written by no page of the site",
    "auth.Permission": "Django's permissions, set by migrations",
    "auth.Group": "Django admin groups, set by no page of the site",
    "auth.Group_permissions": "Django admin groups, set by no page of the site",
    "contenttypes.ContentType": "Django's model registry",
    "accounts.User_groups": "Django admin groups, set by no page of the site",
    "accounts.User_user_permissions": "Django admin permissions, set by no page of the site",
    "ent.NationalSubject": "the national list of subjects, common to every school group",
    "sessions.Session": "compared apart: the web sessions of the school group's users",
}


@dataclass
class Site:
    a: EveryKind
    b: EveryKind
    head_a: User
    reveal_token_b: str


@pytest.fixture
def site(django_capture_on_commit_callbacks: Callable[..., Any]) -> Site:
    a = every_kind_build(directory(), capture=django_capture_on_commit_callbacks)
    b_school = directory(uai=OTHER_UAI, ine_letters="CD")
    SchoolGroup.objects.filter(pk=b_school.group.pk).update(name=f"Cité scolaire {B_NAME}")
    Establishment.objects.filter(pk=b_school.establishment.pk).update(name=f"Collège {B_NAME}")
    Person.objects.filter(pk=b_school.teachers[1].pk).update(last_name=B_TEACHER)
    b_school.group.refresh_from_db()
    b_school.establishment.refresh_from_db()
    b = every_kind_build(
        b_school,
        capture=django_capture_on_commit_callbacks,
        uai=OTHER_UAI,
        ine_letters="CD",
        depositor=UserFactory(
            first_name="Bérénice", last_name=B_NAME, email="deposante@example.org"
        ),
        reason=f"Voyage à {B_NAME}",
        lesson=f"Exposé : l'étoile {B_NAME}",
    )
    _client(b.manager)  # a web session of B's, which nothing A does may end
    # A reveal still pending today, for B's depositor.
    with django_capture_on_commit_callbacks(execute=True):
        depositor_account_regenerate_password(account=b.account, now=timezone.now())
    reveal = Message.objects.filter(recipient=b.depositor).latest("created_at", "pk")
    token = re.search(r"/comptes/acces/([^/\s]+)/", reveal.body)
    assert token, reveal.body
    # B's services teach B's people only: the imports matched nobody across school groups.
    assert not TeachingService.teachers.through.objects.filter(
        teachingservice__establishment__school_group=b.school.group
    ).exclude(person__establishments__school_group=b.school.group)
    return Site(
        a=a,
        b=b,
        head_a=RoleFactory(school_group=a.school.group, name=Role.Name.HEAD).user,
        reveal_token_b=token.group(1),
    )


def _owned(site: Site, of: Callable[[EveryKind], list[object]]) -> list[tuple[object, str]]:
    return [(value, "A") for value in of(site.a)] + [(value, "B") for value in of(site.b)]


def _values(site: Site) -> dict[str, list[tuple[object, str | None]]]:
    """Every parameter's values, each with the school group it belongs to (None: neither)."""

    def pks(model: type[Model], path: str) -> Callable[[EveryKind], list[object]]:
        return lambda kind: list(
            model.objects.filter(**{path: kind.school.group})
            .values_list("pk", flat=True)
            .distinct()
        )

    def keys(kind: EveryKind) -> list[object]:
        """A class's, a teacher's and a group's key, each with the week kind it is for."""
        group = TeachingGroup.objects.filter(establishment=kind.school.establishment).first()
        assert group is not None
        return [
            (TargetKind.CLASS.value, kind.school.classes[0].pk),
            (TargetKind.TEACHER.value, kind.school.teachers[2].pk),
            (TargetKind.GROUP.value, group.pk),
        ]

    values: dict[str, list[tuple[object, str | None]]] = {
        "group_id": _owned(site, lambda kind: [kind.school.group.pk]),
        "establishment_id": _owned(site, lambda kind: [kind.school.establishment.pk]),
        "run_id": _owned(site, pks(ImportRun, "school_group")),
        "account_id": _owned(site, pks(DepositorAccount, "school_group")),
        "relaxation_id": _owned(site, pks(ThresholdRelaxation, "school_group")),
        "match_id": _owned(site, pks(ManualMatch, "school_group")),
        "feed_id": _owned(site, pks(CalendarFeed, "establishment__school_group")),
        "message_id": _owned(site, pks(Message, "recipient__roles__school_group")),
        "key": _owned(site, keys),
        "token": [
            (site.a.feed_token, "A"),
            (site.b.feed_token, "B"),
            (site.reveal_token_b, "B"),
        ],
        "kind": [(kind, None) for kind in WEEK_KINDS],
        "action": [(action, None) for action in FEED_ACTIONS],
    }
    assert all(values.values()), values
    return values


def _urls(site: Site) -> Iterator[tuple[str, str, set[str]]]:
    """Yield (name, URL, owners of its values) for every combination of both groups' values.

    A week's key goes with its own kind only: ids of different tables may be equal, so a
    class's id read as a group's may well be one of the same school group's groups.
    """
    for name, combo in url_combinations(_values(site)):
        kwargs = {param: value for param, (value, _owner) in combo.items()}
        if "key" in kwargs:
            kind, kwargs["key"] = kwargs["key"]  # type: ignore[misc]
            if kind != kwargs["kind"]:
                continue
        owners = {owner for _value, owner in combo.values() if owner is not None}
        yield name, reverse(name, kwargs=kwargs), owners


def _form(name: str, site: Site) -> dict[str, object]:
    """A plausible POST for any form of the site, naming B's objects wherever it can."""
    b = site.b.school
    data: dict[str, object] = {
        "year": "current",
        "current-start_date": "2026-09-01",
        "current-last_day": "2027-07-03",
        "defaults": "1",
        "confirmed": "1",
        "control": CONTROLS[0].control.value,
        "percent": "50",
        "blocking": "on",
        "until": "2027-01-10",
        "reason": "Sortie scolaire",
        "preview_only": "on",
        "file": SimpleUploadedFile("EDT_export.xml", edt_file(uai=OTHER_UAI, ine_letters="CD")),
        # The manual import's establishment, the manual match's directory entry.
        "target": b.establishment.pk if name == "imports:manual_import" else b.teachers[1].pk,
        "entry": "0",
        "confirm_birth_date": "on",
        "run": ImportRun.objects.filter(school_group=b.group).values_list("pk", flat=True)[0],
        "accept_older": "1",
        "kind": "classe",
        "key": b.classes[0].pk,
        "semaine": "2026-11-16",
        "person": b.teachers[1].pk,
        "notify": "on",
        "username": site.b.manager.username,
        "password": "pas-le-bon",
    }
    for spec in CONTROLS:
        data[f"{spec.control.value.lower()}_percent"] = "50"
        data[f"{spec.control.value.lower()}_blocking"] = "on"
    return data


# A's own pages, searched and filtered with B's names and identifiers.
def _query(site: Site) -> dict[str, object]:
    return {
        "q": B_TEACHER[:4],  # the searched words are shown again: not the whole name
        "nom": "Salle 1",
        "establishment": site.b.school.establishment.pk,
        "enseignant": B_TEACHER[:4],
        "entree": "0",
        "semaine": "2026-11-16",
    }


def _get_and_post(
    client: Client, name: str, url: str, site: Site, query: dict[str, object] | None = None
) -> Iterator[tuple[str, HttpResponseBase]]:
    yield "GET", client.get(url, query)
    yield "POST", client.post(url, _form(name, site))


def _body(response: HttpResponseBase) -> str:
    raw = b"".join(response) if response.streaming else response.content
    return raw.decode(errors="replace")


def _shows_b(body: str, site: Site) -> list[str]:
    marks = [B_NAME, B_TEACHER, OTHER_UAI, site.b.account.login]
    return [mark for mark in marks if mark.casefold() in body.casefold()]


def _database() -> dict[str, list[dict[str, object]]]:
    """Every row of every table."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
    }


def _rows_of(group: SchoolGroup) -> dict[str, list[dict[str, object]]]:
    """Every row belonging to ``group``, and the web sessions of its users."""
    rows = {}
    for label, path in GROUP_PATHS.items():
        model = apps.get_model(label)
        owned = model._default_manager.filter(**{path: group.pk}).values("pk")
        rows[label] = list(model._default_manager.filter(pk__in=owned).order_by("pk").values())
    users = {str(pk) for pk in User.objects.filter(roles__school_group=group).values_list("pk")}
    rows["sessions.Session"] = [
        {"key": s.session_key, "data": s.session_data, "expires": s.expire_date}
        for s in WebSession.objects.order_by("pk")
        if s.get_decoded().get("_auth_user_id") in users
    ]
    return rows


def _crossings(group: SchoolGroup, other: SchoolGroup) -> list[str]:
    """Name the foreign keys by which a row of ``group`` points at a row of ``other``."""
    found = []
    for label, path in GROUP_PATHS.items():
        model = apps.get_model(label)
        for field in model._meta.concrete_fields:
            target = field.related_model
            target_path = GROUP_PATHS.get(target._meta.label) if target else None
            if target_path is None or path.split("__")[0] == field.name:
                continue  # not a row of a school group, or the row's own way to its group
            lookup = field.name if target_path == "pk" else f"{field.name}__{target_path}"
            if model._default_manager.filter(**{path: group.pk, lookup: other.pk}).exists():
                found.append(f"{label}.{field.name}")
    return found


def _changed(before: dict[str, list[dict[str, object]]], after: dict[str, Any]) -> list[str]:
    return [label for label in before if before[label] != after[label]]


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _redirects_to_login(response: HttpResponseBase) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )


def test_every_url_and_every_table_says_how_the_sweep_treats_it() -> None:
    names = {name for name, _params in url_patterns()}
    assert set(PUBLIC) <= names, set(PUBLIC) - names
    assert set(REFUSED_BY_NAME) <= names
    labels = {model._meta.label for model in apps.get_models(include_auto_created=True)}
    assert labels == set(GROUP_PATHS) | set(NO_GROUP), labels ^ (set(GROUP_PATHS) | set(NO_GROUP))
    assert not set(GROUP_PATHS) & set(NO_GROUP)


def test_a_manager_or_head_of_another_group_is_refused_every_page_and_action_naming_b(
    site: Site,
) -> None:
    urls = [(name, url) for name, url, owners in _urls(site) if "B" in owners]
    wrong: list[tuple[str, str, str, int]] = []
    shown: list[tuple[str, str, list[str]]] = []
    changed: dict[str, list[str]] = {}

    for user in (site.a.manager, site.head_a):
        client = _client(user)
        before = _database()  # the login itself writes the session and last_login
        for name, url in urls:
            for method, response in _get_and_post(client, name, url, site):
                if name in PUBLIC:
                    continue
                if response.status_code not in REFUSED_BY_NAME.get(name, REFUSED):
                    wrong.append((user.username, method, url, response.status_code))
                if found := _shows_b(_body(response), site):
                    shown.append((method, url, found))
        if tables := _changed(before, _database()):
            changed[user.username] = tables

    assert len(urls) > 200
    assert wrong == []
    assert shown == []
    assert changed == {}


def test_anonymous_visitors_are_sent_to_the_login_page_from_every_url_but_the_public_ones(
    site: Site,
) -> None:
    urls = [(name, url) for name, url, owners in _urls(site) if owners <= {"B"}]
    client = Client()
    before = _database()
    wrong: list[tuple[str, str, int]] = []

    for name, url in urls:
        for method, response in _get_and_post(client, name, url, site):
            if name in PUBLIC:
                continue
            if not (_redirects_to_login(response) or response.status_code in REFUSED):
                wrong.append((method, url, response.status_code))

    assert {name for name, _url in urls} == {name for name, _params in url_patterns()}
    assert wrong == []
    assert _changed(before, _database()) == []


def test_a_groups_own_pages_fed_another_groups_identifiers_show_and_change_nothing_of_it(
    site: Site,
) -> None:
    urls = [
        (name, url) for name, url, owners in _urls(site) if owners <= {"A"} and name not in PUBLIC
    ]
    client = _client(site.a.manager)
    a, b = site.a.school.group, site.b.school.group
    before = _rows_of(b)
    assert _crossings(a, b) == []
    shown: list[tuple[str, str, list[str]]] = []
    answered: set[int] = set()

    for name, url in urls:
        for method, response in _get_and_post(client, name, url, site, _query(site)):
            answered.add(response.status_code)
            assert not _redirects_to_login(response), (method, url)
            if found := _shows_b(_body(response), site):
                shown.append((method, url, found))

    assert {200, 302} <= answered
    assert shown == []
    assert _changed(before, _rows_of(b)) == []
    assert _crossings(a, b) == []


def test_group_b_staff_reach_every_url_with_the_values_the_sweep_uses(site: Site) -> None:
    """The refusals above are not vacuous: each pattern rendered with B's values works for B.

    Every GET first, then a POST where GET is not allowed: a revoked feed or a deleted account
    must not hide a page behind it.
    """
    urls = [(n, url) for n, url, owners in _urls(site) if owners <= {"B"} and n not in PUBLIC]
    client = _client(site.b.depositor)  # B's manager, and the holder of B's reveal token
    feed = Client().get(reverse("calendar_feed", args=[site.b.feed_token]))  # the public one
    answers = {url: client.get(url, {"nom": "Salle 1"}) for _name, url in urls}
    answers |= {
        url: client.post(url, _form(name, site))
        for name, url in urls
        if answers[url].status_code == 405
    }

    reached = {
        name
        for name, url in urls
        if answers[url].status_code == 200
        or (answers[url].status_code == 302 and not _redirects_to_login(answers[url]))
    }

    assert reached == {name for name, _params in url_patterns()} - set(PUBLIC)
    assert feed.status_code == 200


def test_a_teacher_shared_with_another_group_shows_only_this_groups_sessions(
    site: Site,
) -> None:
    teacher = site.a.school.teachers[2]
    # The same person also teaches in B (a teacher completing her service elsewhere).
    teacher.establishments.add(site.b.school.establishment)
    b_service = TeachingService.objects.filter(
        establishment__school_group=site.b.school.group, teachers=site.b.school.teachers[2]
    ).first()
    assert b_service is not None
    b_service.teachers.add(teacher)
    week = dt.date(2026, 11, 16)
    in_week = Session.objects.filter(
        teaching_service__teachers=teacher,
        starts_at__date__gte=week,
        starts_at__date__lt=week + dt.timedelta(days=7),
    )
    own = in_week.filter(teaching_service__establishment__school_group=site.a.school.group)
    assert own.exists() and in_week.exclude(pk__in=own).exists()
    a = site.a.school
    client = _client(site.a.manager)

    page = client.get(
        reverse("timetable_week", args=[a.group.pk, a.establishment.pk, "enseignant", teacher.pk]),
        {"semaine": week.isoformat()},
    )
    client.post(
        reverse("calendar_feed_add", args=[a.group.pk, a.establishment.pk]),
        {"kind": "enseignant", "key": teacher.pk},
    )
    reveal = client.get(
        reverse("timetable_week", args=[a.group.pk, a.establishment.pk, "enseignant", teacher.pk])
    )
    feed = Client().get(urlsplit(reveal.context["revealed"][1]).path)

    assert page.status_code == 200
    assert page.context["week"].session_count == own.count()
    assert f"seance-{in_week.exclude(pk__in=own).first().pk}@" not in feed.content.decode()
    assert f"seance-{own.first().pk}@" in feed.content.decode()
