from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Role
from deposits.models import DepositorAccount
from deposits.services import depositor_authenticate
from devtools.aaf_writer import write_aaf_folder
from devtools.demo import (
    DEMO_GROUP_NAME,
    current_school_year_bounds,
    demo_announcement,
    demo_export_files,
    demo_seed,
    served_url,
)
from ent.aaf.records import AafStructure
from ent.identifiers import is_valid_uai, make_uai
from ent.models import Establishment, Person, SchoolGroup, Session
from imports.models import ImportRun
from imports.parsers import ParseContext, parse_deposit
from imports.sessions import timetable_occurrences

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def _clock() -> dt.datetime:
    return dt.datetime(2026, 11, 22, 10, 30, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _demo_files_in_tmp(settings: object, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    settings.PRONOTE_PRIVATE_KEY_PATH = str(tmp_path / "keys" / "pronote_private.pem")  # type: ignore[attr-defined]
    settings.PRONOTE_PARTNER_NAME = "ENT-DEMO"  # type: ignore[attr-defined]


def test_seeds_a_cite_scolaire_with_logins_and_export_files_to_deposit(tmp_path: Path) -> None:
    summary = demo_seed(clock=_clock)

    group = SchoolGroup.objects.get(name=DEMO_GROUP_NAME)
    assert summary.created
    assert all(is_valid_uai(e.uai) for e in group.establishments.all())
    assert group.establishments.count() == 2
    assert Person.objects.filter(kind=Person.Kind.STUDENT).count() >= 300
    assert Person.objects.filter(kind=Person.Kind.TEACHER).count() >= 30
    assert set(group.roles.values_list("name", flat=True)) == {Role.Name.MANAGER, Role.Name.HEAD}
    assert group.school_years.get().start_date == dt.date(2026, 9, 1)
    _assert_export_files_to_deposit(
        tmp_path, set(group.establishments.values_list("uai", flat=True))
    )


def test_the_year_is_initialised_and_a_ready_webdav_url_is_announced_not_a_used_link(
    tmp_path: Path,
) -> None:
    summary = demo_seed(clock=_clock)

    group = SchoolGroup.objects.get(name=DEMO_GROUP_NAME)
    initialisation = ImportRun.objects.get(school_group=group)
    assert summary.initialisation_status == ImportRun.Status.INTEGRATED
    assert (initialisation.mode, initialisation.status) == ("MANUAL", "INTEGRATED")
    assert Session.objects.filter(starts_at__gte=_clock()).count() > 5_000
    assert not Session.objects.filter(starts_at__lt=_clock()).exists()
    account = DepositorAccount.objects.get(school_group=group)
    assert account.user.username == "gestionnaire"
    announced = [line.strip() for line in demo_announcement(base_url="http://127.0.0.1:8000")]
    url = next(line for line in announced if line.startswith("http"))
    parts = urlsplit(url)
    assert parts.path == f"/webdav/{group.pk}/"
    assert parts.username == account.login
    assert depositor_authenticate(
        login=parts.username, password=parts.password, address="::1", now=timezone.now()
    )
    assert (tmp_path / "demo" / "depot-webdav.txt").stat().st_mode & 0o777 == 0o600
    # The welcome message holds no reveal link the seeding already used.
    welcome = account.user.messages.get()
    assert "/comptes/acces/" not in welcome.body + welcome.link
    assert "depot-webdav.txt" in welcome.body
    assert welcome.link.endswith(f"/cites/{group.pk}/import-automatise/comptes/")


def _assert_export_files_to_deposit(tmp_path: Path, uais: set[str]) -> None:
    """The demo keeps its cité scolaire's exports, readable with the ENT's own key."""
    exports = demo_export_files()
    names = [p.name for p in exports]
    clear = next(p for p in exports if p.name.endswith(".xml") and "chiffre" not in p.name)
    encrypted = next(p for p in exports if "chiffre" in p.name)
    context = ParseContext(
        partner_name="ENT-DEMO",
        private_key_pem=(tmp_path / "keys" / "pronote_private.pem").read_bytes(),
    )
    parsed = parse_deposit(encrypted, filename=encrypted.name, context=context)
    lines = demo_announcement(base_url="http://127.0.0.1:8000")

    assert len(exports) == 3
    assert any(name.endswith("_UDT.zip") for name in names)
    assert all(p.parent == tmp_path / "demo" for p in exports)
    assert parsed.uai in uais
    assert parsed.year.start == dt.date(2026, 9, 1)
    assert sum(1 for _ in timetable_occurrences(parsed)) > 10_000
    assert parse_deposit(clear, filename=clear.name, context=context).courses == parsed.courses
    assert all(any(str(p) in line for line in lines) for p in exports)


def test_seeding_twice_changes_nothing_and_last_years_files_are_not_loaded(
    tmp_path: Path,
) -> None:
    # Files an earlier demo left for another school year: other names, another UAI.
    stale = AafStructure(jointure="11111", uai=make_uai("0759999"), name="COLLEGE ANCIEN")
    write_aaf_folder(tmp_path / "demo" / "aaf", [stale], export_date=dt.date(2025, 9, 15))
    (tmp_path / "demo" / f"edt_{stale.uai}.xml").write_bytes(b"<ancien/>")
    demo_seed(clock=_clock)

    summary = demo_seed(clock=_clock)

    assert not summary.created
    assert SchoolGroup.objects.count() == 1
    assert Establishment.objects.count() == 2
    assert not Establishment.objects.filter(uai=stale.uai).exists()
    assert not any(stale.uai in p.name for p in demo_export_files())


@pytest.mark.parametrize(
    ("today", "start"),
    [(dt.date(2026, 11, 22), dt.date(2026, 9, 1)), (dt.date(2027, 3, 1), dt.date(2026, 9, 1))],
)
def test_school_year_bounds_follow_the_calendar(today: dt.date, start: dt.date) -> None:
    assert current_school_year_bounds(today)[0] == start


def test_the_deposit_url_is_announced_on_the_served_address_with_its_credentials() -> None:
    url = "http://depot-x:p%40ss@127.0.0.1:8000/webdav/3/"

    assert served_url(url, base_url="http://0.0.0.0:8042") == (
        "http://depot-x:p%40ss@0.0.0.0:8042/webdav/3/"
    )
    assert served_url("http://127.0.0.1:8000/webdav/3/", base_url="https://ent.test") == (
        "https://ent.test/webdav/3/"
    )
