"""iCalendar (RFC 5545) feeds of the ENT's timetable, built with the ``icalendar`` library.

One event per session: a stable ``UID`` (the session's identity in this ENT) so that a client
updates an event when the session's end or room change instead of adding a copy; aware
``DTSTART``/``DTEND`` in ``Europe/Paris`` with the matching ``VTIMEZONE``; the subject as
summary, the room as location, teachers, classes and groups (and the cahier de textes'
content) in the description.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from icalendar import Calendar, Event

from ent.services.timetable import Target, WeekSession

PRODID = "-//ENT//Emploi du temps//FR"


def uid_domain() -> str:
    return urlsplit(settings.ENT_PUBLIC_URL).hostname or "ent.invalid"


def calendar_build(target: Target, sessions: list[WeekSession], *, now: dt.datetime) -> bytes:
    """Return the iCalendar document of ``sessions`` for ``target``."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    name = f"{target.kind_label} {target.label} — {target.establishment.name}"
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    domain = uid_domain()
    for session in sessions:
        event = Event()
        event.add("uid", f"seance-{session.pk}@{domain}")
        event.add("dtstamp", now.astimezone(dt.UTC))
        event.add("dtstart", session.starts_at)
        event.add("dtend", session.ends_at)
        event.add("summary", session.subject)
        if session.room:
            event.add("location", session.room)
        event.add("description", _description(session))
        if session.is_off_timetable:
            event.add("status", "TENTATIVE")
        else:
            event.add("status", "CONFIRMED")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _description(session: WeekSession) -> str:
    lines = []
    if session.teachers:
        lines.append("Enseignants : " + ", ".join(name for _pk, name in session.teachers))
    audience = [code for _pk, code in session.classes] + [code for _pk, code in session.groups]
    if audience:
        lines.append("Classes et groupes : " + ", ".join(audience))
    if session.is_manual:
        lines.append("Séance saisie à la main dans l'ENT.")
    if session.is_off_timetable:
        lines.append("Séance hors emploi du temps (conservée pour son contenu).")
    if session.content:
        lines.append("Contenu : " + session.content)
    if session.homework:
        lines.append("Travail à faire : " + session.homework)
    return "\n".join(lines)
