"""``manage.py retention_apply [--spool-only]``: apply the retention policy now.

Beat runs it nightly on a worker host; a WebDAV host whose spool the workers do not see runs
``--spool-only`` from its own scheduler (cron, systemd timer).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from deposits.retention import retention_apply_all, retention_spool_apply
from imports.services.retention import RetentionReport


class Command(BaseCommand):
    help = "Applique la politique de conservation des dépôts, des bilans et du dossier WebDAV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--spool-only", action="store_true")

    def handle(self, *args: Any, spool_only: bool, **options: Any) -> None:
        now = timezone.now()
        if spool_only:
            report = RetentionReport()
            retention_spool_apply(spool_dir=settings.ENT_WEBDAV_SPOOL_DIR, now=now, report=report)
        else:
            report = retention_apply_all(now=now, spool_dir=settings.ENT_WEBDAV_SPOOL_DIR)
        self.stdout.write(
            f"Fichiers déposés supprimés : {report.files_deleted} ; imports supprimés : "
            f"{report.runs_deleted} ; fichiers du dossier WebDAV supprimés : "
            f"{report.spool_files_deleted} ; dossiers de comptes supprimés : "
            f"{report.spool_folders_deleted}."
        )
