"""Retention of the WebDAV spool, and the whole nightly retention policy.

The policy for deposited files and run records is :mod:`imports.services.retention`'s; this
module adds this host's spool leftovers, which only the deposits app knows (its accounts).
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path

from deposits.models import DepositorAccount
from imports.services.retention import RetentionReport, deposit_cutoff, retention_apply

logger = logging.getLogger(__name__)
TMP_GRACE = dt.timedelta(days=1)


def retention_apply_all(*, now: dt.datetime, spool_dir: Path | None = None) -> RetentionReport:
    """Apply the whole policy; ``spool_dir`` is this host's WebDAV spool, if it has one."""
    report = retention_apply(now=now)
    if spool_dir is not None:
        retention_spool_apply(spool_dir=spool_dir, now=now, report=report)
        logger.info("Spool retention applied: %s", report)
    return report


def retention_spool_apply(*, spool_dir: Path, now: dt.datetime, report: RetentionReport) -> None:
    """Remove this host's spool leftovers."""
    tmp = spool_dir / "tmp"
    if tmp.is_dir():
        limit = (now - TMP_GRACE).timestamp()
        for leftover in tmp.glob("put-*"):
            if leftover.is_file() and leftover.stat().st_mtime < limit:
                leftover.unlink(missing_ok=True)
                report.spool_files_deleted += 1
    accounts = spool_dir / "accounts"
    if not accounts.is_dir():
        return
    alive = {str(pk) for pk in DepositorAccount.objects.values_list("pk", flat=True)}
    kept_from = deposit_cutoff(now).timestamp()
    for folder in accounts.iterdir():
        if not folder.is_dir():
            continue
        if folder.name not in alive:
            shutil.rmtree(folder, ignore_errors=True)
            report.spool_folders_deleted += 1
            continue
        for copy in folder.rglob("*"):
            if copy.is_file() and copy.stat().st_mtime < kept_from:
                copy.unlink(missing_ok=True)
                report.spool_files_deleted += 1
