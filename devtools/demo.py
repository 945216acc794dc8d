"""Demo data for the embedded default: a cité scolaire loaded through the AAF import.

:func:`demo_seed` generates the synthetic cité scolaire of :mod:`devtools.samples` (a collège
and a lycée), writes its files under ``VAR_DIR/demo/`` (the AAF directory and the timetable
exports a school would deposit: EDT / PRONOTE in clear and encrypted for this ENT's key,
UnDeuxTEMPS), loads the directory with :func:`ent.services.directory.aaf_import`, and creates
the demo logins. It is idempotent.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Message, Role, User
from ent.models import SchoolGroup, SchoolYear
from ent.services.directory import AafImportSummary, aaf_import

DEMO_GROUP_NAME = "Cité scolaire Jules Verne"
DEMO_PATRON = "Jules Verne"
DEMO_PRESET = "medium"
DEMO_SEED = 2026
DEMO_PASSWORD = "demo-ent-2026"  # noqa: S105 - published demo password, embedded mode only
DEMO_LOGINS = (
    ("gestionnaire", "Sophie", "Moreau", Role.Name.MANAGER),
    ("principal", "Marc", "Lambert", Role.Name.HEAD),
)


DEMO_DEPOSITOR = "gestionnaire"
# The ready-to-paste deposit URL of the demo depositor (embedded mode only; file mode 0600).
DEMO_DEPOSIT_URL_FILE = "depot-webdav.txt"


@dataclass(frozen=True)
class DemoSummary:
    created: bool
    directory: AafImportSummary | None
    files: list[Path] | None = None
    initialisation_status: str = ""


def demo_folder() -> Path:
    """Return the folder that holds the demo's generated files."""
    return Path(settings.VAR_DIR) / "demo"


def demo_export_files() -> list[Path]:
    """Return the demo's timetable exports that are on disk (files a user can deposit)."""
    folder = demo_folder()
    if not folder.is_dir():
        return []
    return sorted([*folder.glob("edt_*.xml"), *folder.glob("*_UDT.zip")])


def _partner_public_key() -> bytes | None:
    """Return this ENT's public key for encrypted exports, creating the pair if missing."""
    from imports.pronote_keys import pronote_keys_create, public_key_pem

    configured = getattr(settings, "PRONOTE_PRIVATE_KEY_PATH", "")
    if not configured:
        return None
    path = Path(configured)
    if path.is_file():
        return public_key_pem(path.read_bytes())
    return pronote_keys_create(private_key_path=path)


def _remove_previous_files() -> None:
    """Remove the files of an earlier demo (another school year has other names and UAIs)."""
    folder = demo_folder()
    shutil.rmtree(folder / "aaf", ignore_errors=True)
    for path in [*demo_export_files(), folder / "README.txt", folder / DEMO_DEPOSIT_URL_FILE]:
        path.unlink(missing_ok=True)


def demo_write_files(*, start_year: int) -> tuple[Path, list[Path]]:
    """Generate the demo cité scolaire and write its files; return the AAF folder and files."""
    from devtools.samples import generate_sample, write_sample

    sample = generate_sample(DEMO_PRESET, seed=DEMO_SEED, start_year=start_year, patron=DEMO_PATRON)
    _remove_previous_files()
    files = write_sample(
        sample,
        demo_folder(),
        encrypt_for=_partner_public_key(),
        partner_name=settings.PRONOTE_PARTNER_NAME,
    )
    return files.aaf_dir, files.paths()


def current_school_year_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    """Return ``[1 September, 1 September next year)`` around ``today``."""
    start_year = today.year if today.month >= 8 else today.year - 1
    return dt.date(start_year, 9, 1), dt.date(start_year + 1, 9, 1)


def demo_seed(*, clock: Callable[[], dt.datetime]) -> DemoSummary:
    """Create the demo cité scolaire once; a second call changes nothing.

    Beyond the directory and the logins, the year is initialised the way a school does it:
    the generated EDT export goes through the real pipeline as the manual import of the year,
    then the manager gets a depositor account whose ready-to-paste URL ``make run`` prints.
    """
    if SchoolGroup.objects.filter(name=DEMO_GROUP_NAME).exists():
        return DemoSummary(created=False, directory=None)
    today = timezone.localdate(clock())
    start, end = current_school_year_bounds(today)
    folder, files = demo_write_files(start_year=start.year)
    with transaction.atomic():
        group = SchoolGroup.objects.create(name=DEMO_GROUP_NAME)
        summary = aaf_import(folder=folder, school_group=group)
        SchoolYear.objects.create(school_group=group, start_date=start, end_date=end)
        for username, first, last, role in DEMO_LOGINS:
            user = User.objects.create_user(
                username, password=DEMO_PASSWORD, first_name=first, last_name=last
            )
            Role.objects.create(user=user, school_group=group, name=role)
        if not User.objects.filter(is_superuser=True).exists():
            User.objects.create_superuser("admin", password=DEMO_PASSWORD)
    status = _demo_initialise(group, clock=clock)
    return DemoSummary(created=True, directory=summary, files=files, initialisation_status=status)


def _demo_initialise(group: SchoolGroup, *, clock: Callable[[], dt.datetime]) -> str:
    """Import the clear EDT export as the year's manual import, then open a depositor account.

    Returns the import's status; the depositor account exists only once it is INTEGRATED.
    """
    from deposits.services import credential_reveal_consume, depositor_account_create
    from imports.models import ImportRun
    from imports.services.manual import import_file_submit

    export = next(p for p in demo_export_files() if p.suffix == ".xml" and "chiffre" not in p.name)
    manager = User.objects.get(username=DEMO_DEPOSITOR)
    run = import_file_submit(
        path=export,
        school_group=group,
        establishment=None,
        mode=ImportRun.Mode.MANUAL,
        apply_anyway=True,  # the first import of the year creates everything
        deposited_by_id=manager.pk,
        clock=clock,
    )
    if run.status != ImportRun.Status.INTEGRATED:
        return run.status
    account = depositor_account_create(
        school_group=group, user=manager, notify=True, created_by=None, now=clock()
    )
    welcome = account.user.messages.latest("pk")
    token = welcome.link.rstrip("/").rsplit("/", 1)[-1]
    revealed = credential_reveal_consume(token=token, user=manager, now=clock())
    url_file = demo_folder() / DEMO_DEPOSIT_URL_FILE
    url_file.write_text(revealed.urls[0].url + "\n")
    url_file.chmod(0o600)
    _welcome_without_used_link(welcome, group=group, url_file=url_file)
    return run.status


def _welcome_without_used_link(welcome: Message, *, group: SchoolGroup, url_file: Path) -> None:
    """Replace the one-time link the demo seeding consumed by where its result went."""
    from accounts.notifications import absolute_url

    used = welcome.link
    welcome.body = welcome.body.replace(
        used,
        "(lien déjà utilisé par la préparation de la démonstration : l'URL de dépôt complète, "
        f"mot de passe compris, est dans le fichier {url_file.name} du dossier de "
        "démonstration ; « Régénérer le mot de passe » dans l'onglet « Comptes d'accès » en "
        "envoie un nouveau)",
    )
    welcome.link = absolute_url("deposits:depositor_list", group.pk)
    welcome.save(update_fields=["body", "link"])


def demo_announcement(*, base_url: str) -> list[str]:
    """Return the lines ``make run`` prints: the demo logins and the files to deposit."""
    lines = ["Comptes de démonstration (mot de passe : " + DEMO_PASSWORD + ") :"]
    lines += [f"  - {username} ({role.label})" for username, _f, _l, role in DEMO_LOGINS]
    lines.append(f"  - admin (administration : {base_url}/admin/)")
    exports = demo_export_files()
    if exports:
        lines.append("Exports d'emploi du temps de démonstration, prêts à déposer :")
        lines += [f"  - {path}" for path in exports]
    url_file = demo_folder() / DEMO_DEPOSIT_URL_FILE
    if url_file.is_file():
        url = served_url(url_file.read_text().strip(), base_url=base_url)
        lines.append(f"URL de dépôt WebDAV de « {DEMO_DEPOSITOR} » (tous les établissements) :")
        lines.append(f"  {url}")
        if exports:
            lines.append(f"  exemple : curl -T {exports[-1]} {url}")
    return lines


def served_url(url: str, *, base_url: str) -> str:
    """Return ``url`` on the scheme, host and port of ``base_url``, credentials and path kept.

    The deposit URL file is written with ``ENT_PUBLIC_URL``; ``run_embedded --port`` serves
    elsewhere, and the URL it prints must reach the server it started.
    """
    parts, base = urlsplit(url), urlsplit(base_url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@{base.netloc}" if credentials else base.netloc
    return urlunsplit(parts._replace(scheme=base.scheme, netloc=netloc))
