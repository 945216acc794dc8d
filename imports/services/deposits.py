"""Receiving a timetable file: store it durably, record the run, enqueue it after commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage
from django.db import transaction

from ent.db import retry_on_busy_database
from ent.models import Establishment, SchoolGroup
from imports.models import ImportRun
from imports.parsers.registry import accepted_files_text, accepted_suffixes
from imports.tasks import import_run_execute_task

# The endings of the formats registered at start-up (the WebDAV folders list these files).
ACCEPTED_SUFFIXES = accepted_suffixes()
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FileDigest:
    """SHA-256 and size of a deposit, computed by whoever wrote it as the bytes went by.

    The WebDAV server hashes a PUT body while it spools it, so the deposit is not read again.
    """

    sha256: str
    size: int


class DepositRefused(ValueError):
    """A deposit refused before anything is kept; the message is for the user, in French."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def deposit_check_name(filename: str) -> None:
    """Refuse a file whose name no registered format accepts (e.g. neither .xml nor .zip)."""
    if not filename.lower().endswith(accepted_suffixes()):
        raise DepositRefused(
            f"« {filename} » n'est pas un export d'emploi du temps : seuls les fichiers "
            f"{accepted_files_text()} sont acceptés.",
            code="wrong_type",
        )


def deposit_check_size(size: int) -> None:
    """Refuse a file over ``ENT_MAX_DEPOSIT_BYTES``."""
    limit = settings.ENT_MAX_DEPOSIT_BYTES
    if size > limit:
        raise DepositRefused(
            f"Le fichier fait {size} octets, au-delà de la limite de {limit} octets. "
            "Vérifiez que vous déposez bien l'export de l'emploi du temps.",
            code="too_large",
        )


def deposit_receive(
    *,
    school_group: SchoolGroup,
    establishment: Establishment | None,
    filename: str,
    stream: IO[bytes],
    deposited_by_id: int | None,
    mode: str = ImportRun.Mode.AUTOMATIC,
    apply_anyway: bool = False,
    preview_only: bool = False,
    now: dt.datetime,
    links: Mapping[str, object] | None = None,
    digest: FileDigest | None = None,
) -> ImportRun:
    """Store ``stream`` and create its import run (RECEIVED), enqueued once committed.

    ``links`` sets the run's origin fields (``origin``, ``origin_kind``, ``rollback_of``).

    ``stream`` must be seekable: it is read once to hash it (unless ``digest`` gives its
    hash), then saved; a local file on the storage's filesystem is linked into place rather
    than copied. Raises :class:`DepositRefused` for a wrong type or a file over the size
    limit (nothing is kept).
    """
    filename = unicodedata.normalize("NFC", filename)
    deposit_check_name(filename)
    if digest is None:
        digest = _hash(stream)
    size = digest.size
    deposit_check_size(size)
    # The bytes are on disk (fsynced) before the run that points at them is committed; a
    # failed commit takes them away again.
    stored_name = _store_durably(f"{now:%Y%m%d-%H%M%S}-{filename}", stream)

    def record() -> ImportRun:
        with transaction.atomic():
            run = ImportRun(
                school_group=school_group,
                establishment=establishment,
                mode=mode,
                original_filename=filename,
                sha256=digest.sha256,
                size=size,
                deposited_by_id=deposited_by_id,
                apply_anyway=apply_anyway,
                preview_only=preview_only,
                received_at=now,
                **(links or {}),
            )
            run.file.name = stored_name
            run.save()
            _enqueue_on_commit(run)
        return run

    try:
        return retry_on_busy_database(record)
    except BaseException:
        ImportRun._meta.get_field("file").storage.delete(stored_name)
        raise


def _hash(stream: IO[bytes]) -> FileDigest:
    sha = hashlib.sha256()
    size = 0
    stream.seek(0)
    while chunk := stream.read(_CHUNK):
        sha.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return FileDigest(sha256=sha.hexdigest(), size=size)


class _LinkedFile(File):
    """A local file offered to ``FileSystemStorage`` through a fresh hard link of it.

    The storage moves what ``temporary_file_path`` names into place (a rename) instead of
    copying the bytes. The deposit's bytes are never written in place afterwards: the WebDAV
    server writes every PUT to a new file and renames it, so the stored file cannot change.
    """

    def __init__(self, file: IO[bytes], link: Path) -> None:
        super().__init__(file)
        self._link = link

    def temporary_file_path(self) -> str:
        return str(self._link)


def _hard_link(stream: IO[bytes], storage: Storage) -> Path | None:
    """A new hard link of ``stream``'s file beside it, if the storage can take it by rename."""
    source = getattr(stream, "name", None)
    if not isinstance(storage, FileSystemStorage) or not isinstance(source, str):
        return None
    if not os.path.isabs(source):
        return None
    link = Path(source).with_name(f".{Path(source).name}.{secrets.token_hex(6)}.store")
    try:
        os.link(source, link)
    except OSError:  # another filesystem than the storage's, or no hard links there
        return None
    return link


def _store_durably(name: str, stream: IO[bytes]) -> str:
    """Save ``stream`` in the deposit storage, flushed to the disk; return its stored name."""
    field = ImportRun._meta.get_field("file")
    link = _hard_link(stream, field.storage)
    content = File(stream) if link is None else _LinkedFile(stream, link)
    try:
        stored_name = field.storage.save(field.generate_filename(None, name), content)
    finally:
        if link is not None:
            link.unlink(missing_ok=True)  # still there only if the storage copied instead
    try:
        path = Path(field.storage.path(stored_name))
    except NotImplementedError:
        return stored_name  # a remote storage: durable once saved
    try:
        _fsync(path, os.O_RDONLY)
        _fsync(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except BaseException:
        field.storage.delete(stored_name)
        raise
    return stored_name


def _fsync(path: Path, flags: int) -> None:
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _enqueue_on_commit(run: ImportRun) -> None:
    run_id = run.pk
    # robust: a broker outage must not turn a committed deposit into an error (the client
    # would send it again); the periodic sweep enqueues RECEIVED runs left behind.
    transaction.on_commit(lambda: import_run_execute_task.delay(import_run_id=run_id), robust=True)
