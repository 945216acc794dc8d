"""Timetable pages: an establishment's classes, groups, teachers and rooms, and their weeks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from accounts.permissions import school_group_required
from ent.models import CalendarFeed, Establishment, SchoolGroup
from ent.services.calendar_feeds import (
    CalendarFeedExists,
    NewCalendarFeed,
    calendar_feed_create,
    calendar_feed_document,
    calendar_feed_for,
    calendar_feed_regenerate,
    calendar_feed_revoke,
    calendar_feed_target,
    calendar_feed_token_matches,
    calendar_feeds_active,
)
from ent.services.timetable import (
    KIND_LABELS,
    TargetKind,
    TargetUnknown,
    Week,
    WeekSession,
    timetable_directory,
    timetable_search,
    timetable_search_single,
    timetable_target,
    timetable_week,
)


def _establishment(school_group: SchoolGroup, establishment_id: int) -> Establishment:
    return get_object_or_404(Establishment, pk=establishment_id, school_group=school_group)


def week_url(school_group_id: int, establishment_id: int, kind: str, key: str) -> str:
    if kind == TargetKind.ROOM:
        base = reverse("timetable_room", args=[school_group_id, establishment_id])
        return f"{base}?{_query(nom=key)}"
    return reverse("timetable_week", args=[school_group_id, establishment_id, kind, key])


def _query(**params: str) -> str:
    return urlencode(params)


def _back_to_week(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect to the week page ``url``, at the week the form was sent from (``semaine``)."""
    try:
        monday = dt.date.fromisoformat(request.POST.get("semaine", ""))
    except ValueError:
        return redirect(url)
    return redirect(f"{url}{'&' if '?' in url else '?'}{_query(semaine=monday.isoformat())}")


@school_group_required()
def timetable_index(
    request: HttpRequest, school_group: SchoolGroup, establishment_id: int
) -> HttpResponse:
    establishment = _establishment(school_group, establishment_id)
    directory = timetable_directory(establishment)
    return render(
        request,
        "ent/timetable_index.html",
        {
            "school_group": school_group,
            "establishment": establishment,
            "sections": [
                (
                    KIND_LABELS[kind],
                    [
                        (label, week_url(school_group.pk, establishment.pk, kind, key))
                        for key, label in entries
                    ],
                )
                for kind, entries in directory.items()
            ],
        },
    )


@school_group_required()
def timetable_find(request: HttpRequest, school_group: SchoolGroup) -> HttpResponse:
    """Search a class, group, teacher or room; a single match opens its week directly."""
    query = request.GET.get("q", "").strip()[:100]
    hits = timetable_search(school_group, query)
    hit = timetable_search_single(hits, query)
    if hit is not None:
        return redirect(week_url(school_group.pk, hit.establishment.pk, hit.kind, hit.key))
    return render(
        request,
        "ent/timetable_search.html",
        {
            "school_group": school_group,
            "query": query,
            "hits": [
                (hit, week_url(school_group.pk, hit.establishment.pk, hit.kind, hit.key))
                for hit in hits
            ],
        },
    )


@school_group_required()
def timetable_week_view(
    request: HttpRequest, school_group: SchoolGroup, establishment_id: int, kind: str, key: str
) -> HttpResponse:
    return _week(request, school_group, establishment_id, kind, str(key))


@school_group_required()
def timetable_room_view(
    request: HttpRequest, school_group: SchoolGroup, establishment_id: int
) -> HttpResponse:
    return _week(
        request, school_group, establishment_id, TargetKind.ROOM, request.GET.get("nom", "")
    )


def _week(
    request: HttpRequest, school_group: SchoolGroup, establishment_id: int, kind: str, key: str
) -> HttpResponse:
    establishment = _establishment(school_group, establishment_id)
    try:
        target = timetable_target(establishment=establishment, kind=TargetKind(kind), key=key)
    except (ValueError, TargetUnknown):
        raise Http404("Emploi du temps introuvable.") from None
    try:
        day = dt.date.fromisoformat(request.GET.get("semaine", ""))
    except ValueError:
        day = timezone.localdate()
    week = timetable_week(target, day=day)
    base = week_url(school_group.pk, establishment.pk, kind, key)
    sep = "&" if "?" in base else "?"
    span = week.last_minute - week.first_minute

    def link(kind: str, key: str) -> str:
        return week_url(school_group.pk, establishment.pk, kind, key) + (
            ("&" if kind == TargetKind.ROOM else "?") + f"semaine={week.monday.isoformat()}"
        )

    feeds = calendar_feeds_active(target)
    revealed = _feed_reveal_take(request, feeds)
    response = render(
        request,
        "ent/timetable_week.html",
        {
            "school_group": school_group,
            "establishment": establishment,
            "week": week,
            "base_url": base,
            "sep": sep,
            "previous_url": f"{base}{sep}semaine={week.previous.isoformat()}",
            "next_url": f"{base}{sep}semaine={week.next.isoformat()}",
            "today_url": f"{base}{sep}semaine={timezone.localdate().isoformat()}",
            "hours": [
                (f"{minute // 60:02d}:00", (minute - week.first_minute) * 100 / span)
                for minute in range(week.first_minute, week.last_minute, 60)
            ],
            "feeds": feeds,
            "revealed": revealed,
            "grid": [
                (day, [_cell(s, week, span, link) for s in day.sessions]) for day in week.days
            ],
        },
    )
    if FEED_REVEAL_COOKIE in request.COOKIES:
        response.delete_cookie(FEED_REVEAL_COOKIE, path=_feed_reveal_path(establishment))
    if revealed is not None:
        add_never_cache_headers(response)  # the address must not stay in a cache
    return response


def _cell(session: WeekSession, week: Week, span: int, link: Callable[[str, str], str]) -> dict:
    """Position (in % of the day and of the column) and links of one session of the grid."""
    start = session.starts_at.hour * 60 + session.starts_at.minute - week.first_minute
    return {
        "session": session,
        "top": start * 100 / span,
        "height": (session.ends_at - session.starts_at).total_seconds() / 60 * 100 / span,
        "left": session.lane * 100 / session.lanes,
        "width": 100 / session.lanes,
        "teachers": [(name, link(TargetKind.TEACHER, str(pk))) for pk, name in session.teachers],
        "audience": [(code, link(TargetKind.CLASS, str(pk))) for pk, code in session.classes]
        + [(code, link(TargetKind.GROUP, str(pk))) for pk, code in session.groups],
        "room": link(TargetKind.ROOM, session.room) if session.room else "",
    }


# Calendar feeds -----------------------------------------------------------------------------


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The public iCalendar feed: the token is the only credential (calendar clients)."""
    document = calendar_feed_document(token[:64], now=timezone.now())
    if document is None:
        raise Http404("Cet abonnement n'existe pas ou a été révoqué.")
    response = HttpResponse(document, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="emploi-du-temps.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_POST
@school_group_required()
def calendar_feed_add(
    request: HttpRequest, school_group: SchoolGroup, establishment_id: int
) -> HttpResponse:
    establishment = _establishment(school_group, establishment_id)
    kind, key = request.POST.get("kind", ""), request.POST.get("key", "")
    try:
        target = timetable_target(establishment=establishment, kind=TargetKind(kind), key=key)
    except (ValueError, TargetUnknown):
        raise Http404("Emploi du temps introuvable.") from None
    week = _back_to_week(request, week_url(school_group.pk, establishment.pk, kind, key))
    try:
        created = calendar_feed_create(target, now=timezone.now())
    except CalendarFeedExists:
        messages.warning(request, FEED_EXISTS_MESSAGE)
        return week
    messages.success(
        request,
        "L'adresse d'abonnement est créée : copiez-la maintenant dans votre agenda (Thunderbird, "
        "Outlook, téléphone), elle ne sera plus affichée. Ne la diffusez qu'aux personnes "
        "concernées ; vous pourrez la révoquer.",
    )
    _feed_reveal_give(week, created, establishment)
    return week


@require_POST
@school_group_required()
def calendar_feed_change(
    request: HttpRequest,
    school_group: SchoolGroup,
    establishment_id: int,
    feed_id: int,
    action: str,
) -> HttpResponse:
    establishment = _establishment(school_group, establishment_id)
    feed = calendar_feed_for(establishment=establishment, feed_id=feed_id)
    if feed is None or action not in ("revoquer", "renouveler"):
        raise Http404("Abonnement introuvable.")
    target = calendar_feed_target(feed)
    week = _back_to_week(
        request, week_url(school_group.pk, establishment.pk, target.kind, target.key)
    )
    if feed.revoked_at is not None:  # a form sent twice, or from an outdated page
        messages.warning(
            request,
            "Cette adresse d'abonnement avait déjà été révoquée ou renouvelée (formulaire envoyé "
            "deux fois, ou page ancienne) : rien n'a été changé. Voici l'abonnement en vigueur.",
        )
        return week
    if action == "revoquer":
        calendar_feed_revoke(feed, now=timezone.now())
        messages.success(
            request, "L'adresse d'abonnement est révoquée : les agendas abonnés ne la liront plus."
        )
        return week
    try:
        created = calendar_feed_regenerate(feed, now=timezone.now())
    except CalendarFeedExists:
        messages.warning(request, FEED_EXISTS_MESSAGE)
        return week
    messages.success(
        request,
        "Une nouvelle adresse remplace l'ancienne, qui ne fonctionne plus : copiez-la maintenant, "
        "elle ne sera plus affichée, et communiquez-la aux personnes abonnées.",
    )
    _feed_reveal_give(week, created, establishment)
    return week


FEED_EXISTS_MESSAGE = (
    "Cet emploi du temps a déjà une adresse d'abonnement, créée à l'instant ou depuis une autre "
    "page : aucune autre n'a été créée. Si vous n'avez pas pu copier son adresse, utilisez "
    "« Renouveler l'adresse »."
)


def feed_url(token: str) -> str:
    return settings.ENT_PUBLIC_URL + reverse("calendar_feed", args=[token])


# A new feed's address travels to the page that shows it once in a signed cookie of the
# user's browser (five minutes, HTTP only, this establishment's pages only): the server keeps
# no copy of the token anywhere, not even in the session store.
FEED_REVEAL_COOKIE = "agenda_adresse"
_FEED_REVEAL_SALT = "accounts.timetable_views.feed_reveal"
_FEED_REVEAL_SECONDS = 300


def _feed_reveal_path(establishment: Establishment) -> str:
    return reverse("timetable_index", args=[establishment.school_group_id, establishment.pk])


def _feed_reveal_give(
    response: HttpResponse, created: NewCalendarFeed, establishment: Establishment
) -> None:
    response.set_signed_cookie(
        FEED_REVEAL_COOKIE,
        f"{created.feed.pk}:{created.token}",
        salt=_FEED_REVEAL_SALT,
        max_age=_FEED_REVEAL_SECONDS,
        path=_feed_reveal_path(establishment),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


def _feed_reveal_take(request: HttpRequest, feeds: list[CalendarFeed]) -> tuple[int, str] | None:
    """Return (feed id, address) of the feed just created among ``feeds``, if any."""
    # A missing, expired or tampered-with cookie gives the default.
    value = request.get_signed_cookie(
        FEED_REVEAL_COOKIE, default=None, salt=_FEED_REVEAL_SALT, max_age=_FEED_REVEAL_SECONDS
    )
    if value is None:
        return None
    feed_id, _, token = value.partition(":")
    for feed in feeds:
        if str(feed.pk) == feed_id and calendar_feed_token_matches(feed, token):
            return feed.pk, feed_url(token)
    return None
