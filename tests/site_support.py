"""A school group holding every kind of object, and every URL pattern of the site.

Shared by the tests that walk the whole site: French everywhere
(``tests/test_french_everywhere.py``) and the authorisation sweep
(``tests/accounts/test_authorisation_sweep.py``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Role, User
from deposits.models import DepositorAccount
from deposits.services import depositor_account_create
from ent.models import Person, Session, SessionContent
from ent.services.calendar_feeds import calendar_feed_create
from ent.services.timetable import TargetKind, timetable_target
from imports.models import ImportRun, ManualMatch, ThresholdRelaxation
from imports.report import report_of
from imports.services.manual_matches import manual_match_save
from imports.thresholds import CONTROLS, Setting, threshold_settings_save
from tests.factories import RoleFactory, UserFactory
from tests.imports.pipeline_support import (
    NOW,
    UAI,
    School,
    default_courses,
    deposit,
    edt_file,
    initialise,
    process,
    run_import,
)

LATER = NOW + dt.timedelta(hours=10)
T = TypeVar("T")


@dataclass
class EveryKind:
    """A school group after :func:`every_kind_build`, with its people and secrets."""

    school: School
    manager: User
    depositor: User
    account: DepositorAccount
    relaxation: ThresholdRelaxation
    match: ManualMatch
    feed_token: str


def every_kind_build(
    school: School,
    *,
    capture: Callable[..., Any],
    uai: str = UAI,
    ine_letters: str = "AB",
    depositor: User | None = None,
    reason: str = "Rentrée : emplois du temps encore mouvants",
    lesson: str = "Chapitre 3 : les fractions",
) -> EveryKind:
    """Give ``school`` every kind of object a page can show or act on.

    Runs of every status (integrated, rejected with a broken XML, blocked by a threshold,
    superseded, duplicate, preview, with an unmatched teacher), a manager, a depositor account
    with notification (credentials message and mail), threshold settings and a relaxation
    (``reason``), a manual match, a calendar feed and, in the cahier de textes, the ``lesson``
    of the first class's first session of the import's week. ``capture`` is pytest-django's
    ``django_capture_on_commit_callbacks``: notifications are sent as after a real commit.
    ``uai`` and ``ine_letters`` are those ``school``'s directory was built with.
    """
    file = functools.partial(edt_file, uai=uai, ine_letters=ine_letters)
    manager = RoleFactory(school_group=school.group, name=Role.Name.MANAGER).user
    depositor = depositor or UserFactory(email="deposant@example.org")
    RoleFactory(user=depositor, school_group=school.group)
    with capture(execute=True):
        account = depositor_account_create(
            school_group=school.group, user=depositor, notify=True, created_by=manager, now=NOW
        )
        Person.objects.filter(pk=school.teachers[0].pk).update(pronote_idpn="", last_name="AUTRE")
        initialise(school, file())
        broken = file()[:-40]  # cut in the middle of an element
        rejected = run_import(school, broken, now=LATER, mode=ImportRun.Mode.MANUAL)
        rejected.deposited_by = depositor
        rejected.save()
        only_6a = [c for c in default_courses() if c.school_class in (0, None)]
        blocked = run_import(school, file(only_6a), now=LATER + dt.timedelta(minutes=1))
        deposit(school, file(comment="premier"), now=LATER + dt.timedelta(minutes=2))
        deposit(school, file(comment="second"), now=LATER + dt.timedelta(minutes=3))
        process(school, now=LATER + dt.timedelta(minutes=4))
        run_import(school, file(comment="second"), now=LATER + dt.timedelta(minutes=5))
        run_import(
            school,
            file(comment="aperçu"),
            now=LATER + dt.timedelta(minutes=6),
            mode=ImportRun.Mode.MANUAL,
            preview_only=True,
        )
    settings = {spec.control: Setting(spec.default_percent, True) for spec in CONTROLS}
    threshold_settings_save(school_group_id=school.group.pk, settings=settings)
    relaxation = ThresholdRelaxation.objects.create(
        school_group=school.group,
        control=CONTROLS[0].control.value,
        percent=80,
        blocking=False,
        starts_at=NOW,
        ends_at=NOW + dt.timedelta(days=365),
        reason=reason,
        created_by=manager,
        created_at=NOW,
    )
    runs = ImportRun.objects.filter(school_group=school.group)
    assert {r.status for r in runs} >= {
        ImportRun.Status.INTEGRATED,
        ImportRun.Status.REJECTED,
        ImportRun.Status.BLOCKED,
        ImportRun.Status.SUPERSEDED,
        ImportRun.Status.DUPLICATE,
        ImportRun.Status.PREVIEWED,
    }, [(r.pk, r.status) for r in runs]
    assert blocked.status == ImportRun.Status.BLOCKED
    # The teacher renamed "AUTRE", whom no identifier matches any more.
    unmatched = next(
        e for e in report_of(blocked).unmatched_entries if e.kind == ManualMatch.Kind.TEACHER
    )
    match = manual_match_save(
        school_group=school.group,
        kind=unmatched.kind,
        source_key=unmatched.source_key,
        source_label=unmatched.label,
        target_id=school.teachers[0].pk,
        user=manager,
        now=LATER,
    )
    feed = calendar_feed_create(
        timetable_target(
            establishment=school.establishment,
            kind=TargetKind.CLASS,
            key=str(school.classes[0].pk),
        ),
        now=LATER,
    )
    first = (
        Session.objects.filter(teaching_service__classes=school.classes[0], starts_at__gte=NOW)
        .order_by("starts_at")
        .first()
    )
    assert first is not None
    SessionContent.objects.create(session=first, content=lesson, homework="Exercices 1 à 4")
    return EveryKind(
        school=school,
        manager=manager,
        depositor=depositor,
        account=account,
        relaxation=relaxation,
        match=match,
        feed_token=feed.token,
    )


# The values the site's URL patterns are rendered with --------------------------------------

# The ``action`` of ``calendar_feed_change`` (accounts/timetable_urls.py, timetable_views).
FEED_ACTIONS = ("revoquer", "renouveler")
# The ``kind`` of ``timetable_week`` (``ent.services.timetable.TargetKind``, rooms aside:
# a room's week is ``timetable_room``, named by a query parameter).
WEEK_KINDS = tuple(kind.value for kind in TargetKind if kind != TargetKind.ROOM)


def url_patterns() -> list[tuple[str, list[str]]]:
    """Every named URL pattern of the site (the Django admin aside) with its parameters."""
    return list(_patterns(get_resolver().url_patterns))


def url_combinations(
    values: Mapping[str, Sequence[T]],
) -> Iterator[tuple[str, dict[str, T]]]:
    """Yield each URL name with every combination of ``values`` for its parameters.

    Fails on a pattern with a parameter ``values`` does not give: a new URL pattern cannot
    escape the sweeps that walk the whole site.
    """
    for name, params in url_patterns():
        unknown = set(params) - set(values)
        assert not unknown, f"{name}: say which values to render it with ({unknown})"
        combos: list[dict[str, T]] = [{}]
        for param in params:
            combos = [{**c, param: v} for c in combos for v in values[param]]
        for combo in combos:
            yield name, combo


def _patterns(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, list[str]]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            prefix = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            for name, params in _patterns(pattern.url_patterns, prefix):
                yield name, list(pattern.pattern.converters) + params
        elif isinstance(pattern, URLPattern):
            # An unnamed pattern could not be rendered, so no sweep would ever visit it.
            assert pattern.name, f"{pattern.pattern}: name this URL pattern"
            yield f"{namespace}{pattern.name}", list(pattern.pattern.converters)
