"""The WsgiDAV provider of deposit folders: one private tree per depositor account.

Each account sees ``/<school group id>/`` and ``/<school group id>/<establishment id>/`` under
its own root (``<spool>/accounts/<account id>/``), so two accounts never see each other's
files, and locks are keyed per account. A completed PUT (or a MOVE onto a deposit name) of a
non-empty ``.xml``/``.zip`` file directly in one of those folders becomes an import run through
:func:`imports.services.deposits.deposit_receive`. Bytes are written to a temporary file first
and renamed into place only once the deposit is recorded, so nobody ever sees a partial file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.utils import timezone
from wsgidav import util
from wsgidav.dav_error import (
    HTTP_FORBIDDEN,
    HTTP_INSUFFICIENT_STORAGE,
    HTTP_INTERNAL_ERROR,
    HTTP_MEDIATYPE_NOT_SUPPORTED,
    HTTP_NOT_FOUND,
    HTTP_REQUEST_ENTITY_TOO_LARGE,
    DAVError,
)
from wsgidav.fs_dav_provider import FileResource, FilesystemProvider, FolderResource

from deposits.services import AuthenticatedDepositor
from deposits.webdav.auth import environ_depositor
from ent.models import Establishment, SchoolGroup
from imports.models import ImportRun
from imports.services.deposits import (
    ACCEPTED_SUFFIXES,
    DepositRefused,
    FileDigest,
    deposit_check_name,
    deposit_receive,
)

logger = logging.getLogger(__name__)

DEPOSIT = "deposit"
COMPLIANCE = "compliance"
PROFILES = (DEPOSIT, COMPLIANCE)
# How many recent deposits each folder keeps on show; older copies are pruned (the import
# history keeps the exact bytes of every deposit).
RECENT_DEPOSITS_SHOWN = 10
_WRITE_METHODS = frozenset({"PUT", "DELETE", "MKCOL", "MOVE", "COPY", "PROPPATCH", "LOCK"})
_MAX_NAME_LENGTH = 200
_MAX_PATH_DEPTH = 12
# An empty placeholder younger than this may be a PUT in progress: the sweep leaves it.
_PLACEHOLDER_GRACE_SECONDS = 60


@dataclass(frozen=True)
class _Target:
    """Where a path falls in an account's tree."""

    parts: tuple[str, ...]
    depositor: AuthenticatedDepositor

    @property
    def in_group(self) -> bool:
        return bool(self.parts) and self.parts[0] == str(self.depositor.school_group_id)

    @property
    def is_scope_folder(self) -> bool:
        """The group folder or one of its establishment folders."""
        if not self.in_group:
            return False
        return len(self.parts) == 1 or (len(self.parts) == 2 and self._establishment(1))

    @property
    def deposit_establishment(self) -> int | bool | None:
        """The target of a file at this path: an establishment id, ``None`` for the whole
        group, or ``False`` when the path is not a deposit location."""
        if not self.in_group:
            return False
        if len(self.parts) == 2 and not self._establishment(1):
            return None
        if len(self.parts) == 3 and self._establishment(1):
            return int(self.parts[1])
        return False

    def _establishment(self, index: int) -> bool:
        part = self.parts[index]
        return part.isdigit() and int(part) in self.depositor.establishment_ids


class LimitedWriter:
    """A file wrapper that refuses bodies over ``limit`` bytes (chunked uploads too)."""

    def __init__(self, file: IO[bytes], limit: int) -> None:
        self._file = file
        self._limit = limit
        self._sha256 = hashlib.sha256()
        self.size = 0

    @property
    def digest(self) -> FileDigest:
        """The hash and size of what was written, for the deposit (no second read)."""
        return FileDigest(sha256=self._sha256.hexdigest(), size=self.size)

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self._limit:
            raise DAVError(
                HTTP_REQUEST_ENTITY_TOO_LARGE,
                context_info=f"Fichier refusé : au-delà de la limite de {self._limit} octets.",
            )
        self._sha256.update(data)
        self._file.write(data)

    def writelines(self, chunks: Iterable[bytes]) -> None:
        for chunk in chunks:
            self.write(chunk)

    def close(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()


class DepositFile(FileResource):
    def __init__(self, path: str, environ: dict[str, Any], file_path: str) -> None:
        super().__init__(path, environ, file_path)
        self._tmp_path: str | None = None
        self._writer: LimitedWriter | None = None
        self.is_placeholder = False

    def get_ref_url(self) -> str:
        return _ref_prefix(self.environ) + super().get_ref_url()

    def begin_write(self, *, content_type: str | None = None) -> LimitedWriter:
        provider: DepositProvider = self.provider
        fd, self._tmp_path = tempfile.mkstemp(dir=provider.tmp_dir, prefix="put-")
        os.fchmod(fd, 0o640)
        self._writer = LimitedWriter(os.fdopen(fd, "wb"), provider.max_bytes)
        return self._writer

    def end_write(self, *, with_errors: bool) -> None:
        tmp_path, self._tmp_path = self._tmp_path, None
        writer, self._writer = self._writer, None
        if tmp_path is None:
            return
        if with_errors:
            self._discard(tmp_path)
            return
        try:
            _register_deposit(
                self.environ, self.path, tmp_path, digest=writer.digest if writer else None
            )
        except Exception:
            self._discard(tmp_path)
            raise
        os.replace(tmp_path, self._file_path)
        self.file_stat = os.stat(self._file_path)
        _prune_recent(Path(self._file_path).parent)

    def move_recursive(self, dest_path: str) -> None:
        super().move_recursive(dest_path)
        self._register_moved(dest_path)

    def copy_move_single(self, dest_path: str, *, is_move: bool) -> None:
        super().copy_move_single(dest_path, is_move=is_move)
        if is_move:
            self._register_moved(dest_path)

    def _register_moved(self, dest_path: str) -> None:
        # Clients that upload under a temporary name then rename: the rename completes it.
        dest_file = self.provider._loc_to_file_path(dest_path, self.environ)
        try:
            _register_deposit(self.environ, dest_path, dest_file)
        except Exception:
            os.unlink(dest_file)
            raise

    def _discard(self, tmp_path: str) -> None:
        Path(tmp_path).unlink(missing_ok=True)
        if self.is_placeholder:
            # The 0-byte file WsgiDAV created before reading the body: nothing was deposited.
            Path(self._file_path).unlink(missing_ok=True)


class DepositFolder(FolderResource):
    def get_ref_url(self) -> str:
        return _ref_prefix(self.environ) + super().get_ref_url()

    def get_display_name(self) -> str:
        return "webdav" if self.path.strip("/") == "" else super().get_display_name()

    def get_used_bytes(self) -> None:
        return None

    def get_available_bytes(self) -> None:
        return None

    def create_empty_resource(self, name: str) -> DepositFile:
        resource = super().create_empty_resource(name)
        resource.is_placeholder = True
        return resource


class DepositProvider(FilesystemProvider):
    """Per-account trees under ``<spool>/accounts/``; write rules depend on ``profile``.

    ``deposit`` (production): only ``.xml``/``.zip`` files directly in a deposit folder may
    be written. ``compliance``: any file or folder inside the account's school group folder,
    as WebDAV test suites (litmus) need; only deposit files become import runs.
    """

    def __init__(self, spool_dir: Path, *, max_bytes: int, profile: str = DEPOSIT) -> None:
        if profile not in PROFILES:
            raise ValueError(f"Unknown WebDAV profile {profile!r}")
        self.accounts_dir = spool_dir / "accounts"
        self.tmp_dir = spool_dir / "tmp"
        self.accounts_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        super().__init__(str(self.accounts_dir), fs_opts={"follow_symlinks": False})
        self.max_bytes = max_bytes
        self.profile = profile

    def __repr__(self) -> str:
        return f"DepositProvider({self.accounts_dir}, profile={self.profile})"

    def _loc_to_file_path(self, path: str, environ: dict[str, Any] | None = None) -> str:
        depositor = environ_depositor(environ)
        if depositor is None:
            raise DAVError(HTTP_FORBIDDEN)
        root = self._account_root(depositor, environ)  # type: ignore[arg-type]
        file_path = os.path.abspath(os.path.join(root, *path.strip("/").split("/")))
        real_root = os.path.realpath(root)
        if os.path.commonpath([real_root, os.path.realpath(file_path)]) != real_root:
            raise DAVError(HTTP_FORBIDDEN, "Accès en dehors de votre dossier de dépôt.")
        return file_path

    def get_resource_inst(self, path: str, environ: dict[str, Any]) -> Any:
        self._count_get_resource_inst += 1
        file_path = self._loc_to_file_path(path, environ)
        if os.path.islink(file_path):
            raise DAVError(HTTP_FORBIDDEN)
        if os.path.isdir(file_path):
            return DepositFolder(path, environ, file_path)
        if os.path.isfile(file_path):
            return DepositFile(path, environ, file_path)
        return None

    def ref_url_to_path(self, ref_url: str) -> str:
        if ref_url.startswith("/~"):
            ref_url = "/" + ref_url[2:].partition("/")[2]
        return super().ref_url_to_path(ref_url)

    def custom_request_handler(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        default_handler: Callable[..., Iterable[bytes]],
    ) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"].upper()
        if method in _WRITE_METHODS:
            self._check_write(method, environ)
        if self.profile == DEPOSIT and method in ("LOCK", "UNLOCK"):
            return self._with_placeholder_rules(method, environ, start_response, default_handler)
        if method == "PUT":
            length = environ.get("CONTENT_LENGTH") or "0"
            if length.isdigit() and int(length) > self.max_bytes:
                raise DAVError(
                    HTTP_REQUEST_ENTITY_TOO_LARGE,
                    context_info=(
                        f"Fichier refusé : {length} octets, au-delà de la limite de "
                        f"{self.max_bytes} octets."
                    ),
                )
        return default_handler(environ, start_response)

    # --- Placeholders ----------------------------------------------------------------------

    def _with_placeholder_rules(
        self,
        method: str,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        default_handler: Callable[..., Iterable[bytes]],
    ) -> Iterable[bytes]:
        """Bound the empty files that locks on new names leave (``deposit`` profile).

        Before a LOCK, the folder's placeholders whose locks are gone (released or expired)
        are removed; a LOCK on a new name is refused while the folder already holds
        ``ENT_WEBDAV_MAX_PLACEHOLDERS`` locked placeholders. After an UNLOCK, a placeholder
        nothing was written into is removed at once.
        """
        path = environ["PATH_INFO"]
        file_path = self._loc_to_file_path(path, environ)
        folder = os.path.dirname(file_path)
        parent = path.rstrip("/").rsplit("/", 1)[0] + "/"
        if method == "LOCK":
            kept = self._placeholders_sweep(folder, parent, environ)
            if not os.path.exists(file_path) and kept >= settings.ENT_WEBDAV_MAX_PLACEHOLDERS:
                logger.warning(
                    "WebDAV LOCK refused: %s already holds %s locked empty files (%s)",
                    parent,
                    kept,
                    getattr(environ_depositor(environ), "login", "?"),
                )
                raise DAVError(
                    HTTP_INSUFFICIENT_STORAGE,
                    context_info=(
                        "Trop de fichiers verrouillés sans contenu dans ce dossier : "
                        "terminez ou annulez les dépôts en cours, puis réessayez."
                    ),
                )
            existed = os.path.exists(file_path)
            try:
                return default_handler(environ, start_response)
            except DAVError:
                # A refused lock (owner too large…) leaves no empty file behind.
                if not existed and self._is_placeholder(file_path):
                    Path(file_path).unlink(missing_ok=True)
                raise
        result = list(default_handler(environ, start_response))
        if self._is_placeholder(file_path) and not self._locked(path, environ):
            Path(file_path).unlink(missing_ok=True)
        return result

    def _placeholders_sweep(self, folder: str, parent: str, environ: dict[str, Any]) -> int:
        """Remove the folder's unlocked placeholders; return how many locked ones remain."""
        if not os.path.isdir(folder):
            return 0
        kept = 0
        now = time.time()
        for entry in os.scandir(folder):
            if not self._is_placeholder(entry.path):
                continue
            if self._locked(parent + entry.name, environ):
                kept += 1
            elif now - entry.stat().st_mtime > _PLACEHOLDER_GRACE_SECONDS:
                Path(entry.path).unlink(missing_ok=True)
        return kept

    @staticmethod
    def _is_placeholder(file_path: str) -> bool:
        try:
            return os.path.isfile(file_path) and os.path.getsize(file_path) == 0
        except OSError:
            return False

    def _locked(self, path: str, environ: dict[str, Any]) -> bool:
        if self.lock_manager is None:
            return False
        return bool(self.lock_manager.get_url_lock_list(_ref_prefix(environ) + util.quote(path)))

    # --- Rules ---------------------------------------------------------------------------

    def _check_write(self, method: str, environ: dict[str, Any]) -> None:
        depositor = environ_depositor(environ)
        if depositor is None:
            raise DAVError(HTTP_FORBIDDEN)
        target = _Target(_parts(environ["PATH_INFO"]), depositor)
        self._check_location(method, target)
        if method in ("MOVE", "COPY"):
            destination = _destination_parts(environ)
            if destination is None:
                raise DAVError(HTTP_FORBIDDEN, "Destination hors du serveur de dépôt.")
            self._check_location("PUT", _Target(destination, depositor))

    def _check_location(self, method: str, target: _Target) -> None:
        if not target.in_group or len(target.parts) > _MAX_PATH_DEPTH:
            raise DAVError(HTTP_FORBIDDEN, "Vous ne pouvez déposer que dans vos dossiers.")
        if any(len(part) > _MAX_NAME_LENGTH or _bad_name(part) for part in target.parts):
            raise DAVError(HTTP_FORBIDDEN, "Nom de fichier non accepté.")
        if target.is_scope_folder:
            if method in ("LOCK", "PROPPATCH", "MKCOL"):
                # MKCOL on an existing folder: WsgiDAV answers 405, as rclone expects.
                return
            raise DAVError(HTTP_FORBIDDEN, "Ce dossier de dépôt ne peut pas être modifié.")
        if self.profile == COMPLIANCE:
            return
        if method == "MKCOL":
            raise DAVError(
                HTTP_FORBIDDEN,
                "Les sous-dossiers ne sont pas acceptés : déposez le fichier directement dans "
                "le dossier de la cité scolaire ou de l'établissement.",
            )
        if method == "COPY" or target.deposit_establishment is False:
            raise DAVError(
                HTTP_FORBIDDEN,
                "Déposez le fichier directement dans le dossier de la cité scolaire ou de "
                "l'établissement.",
            )
        if method in ("PUT", "LOCK") and not target.parts[-1].lower().endswith(ACCEPTED_SUFFIXES):
            try:
                deposit_check_name(target.parts[-1])
            except DepositRefused as refused:
                raise DAVError(HTTP_MEDIATYPE_NOT_SUPPORTED, context_info=str(refused)) from None

    def _account_root(self, depositor: AuthenticatedDepositor, environ: dict[str, Any]) -> str:
        root = str(self.accounts_dir / str(depositor.account_id))
        if not environ.get("ent.webdav.provisioned"):
            group_dir = os.path.join(root, str(depositor.school_group_id))
            for establishment_id in depositor.establishment_ids:
                os.makedirs(os.path.join(group_dir, str(establishment_id)), exist_ok=True)
            os.makedirs(group_dir, exist_ok=True)
            environ["ent.webdav.provisioned"] = True
        return root


def _register_deposit(
    environ: dict[str, Any], path: str, file_path: str, *, digest: FileDigest | None = None
) -> ImportRun | None:
    """Record the file at ``file_path`` as a deposit when ``path`` is a deposit location."""
    depositor = environ_depositor(environ)
    if depositor is None:
        raise DAVError(HTTP_FORBIDDEN)
    target = _Target(_parts(path), depositor)
    establishment_id = target.deposit_establishment
    name = target.parts[-1] if target.parts else ""
    if establishment_id is False or not name.lower().endswith(ACCEPTED_SUFFIXES):
        return None
    if os.path.getsize(file_path) == 0:
        # Windows and Index Education clients create the file empty, lock it, then write it.
        return None
    try:
        with open(file_path, "rb") as stream:
            run = deposit_receive(
                school_group=SchoolGroup.objects.get(pk=depositor.school_group_id),
                establishment=(
                    Establishment.objects.get(pk=establishment_id) if establishment_id else None
                ),
                filename=name,
                stream=stream,
                deposited_by_id=depositor.user_id,
                mode=ImportRun.Mode.AUTOMATIC,
                now=timezone.now(),
                digest=digest,
            )
    except DepositRefused as refused:
        status = (
            HTTP_REQUEST_ENTITY_TOO_LARGE
            if refused.code == "too_large"
            else HTTP_MEDIATYPE_NOT_SUPPORTED
        )
        raise DAVError(status, context_info=str(refused)) from None
    except (SchoolGroup.DoesNotExist, Establishment.DoesNotExist):
        raise DAVError(HTTP_NOT_FOUND) from None
    except Exception:
        # Nothing was committed (an enqueue failure after the commit is only logged by
        # deposit_receive, the periodic sweep enqueues the run later).
        logger.exception("Deposit of %s by %s failed", name, depositor.login)
        raise DAVError(
            HTTP_INTERNAL_ERROR, context_info="Le dépôt n'a pas pu être enregistré."
        ) from None
    logger.info("WebDAV deposit %s: %s by %s (%s bytes)", run.pk, name, depositor.login, run.size)
    return run


def _prune_recent(folder: Path) -> None:
    deposits = sorted(
        (
            entry
            for entry in folder.iterdir()
            if entry.is_file() and entry.name.lower().endswith(ACCEPTED_SUFFIXES)
        ),
        key=lambda entry: entry.stat().st_mtime,
        reverse=True,
    )
    for old in deposits[RECENT_DEPOSITS_SHOWN:]:
        old.unlink(missing_ok=True)


def _ref_prefix(environ: dict[str, Any]) -> str:
    depositor = environ_depositor(environ)
    return f"/~{depositor.account_id}" if depositor else "/~"


def _parts(path: str) -> tuple[str, ...]:
    return tuple(part for part in path.split("/") if part)


def _bad_name(part: str) -> bool:
    return part in (".", "..") or "\\" in part or any(ord(char) < 32 for char in part)


def _destination_parts(environ: dict[str, Any]) -> tuple[str, ...] | None:
    destination = unquote(urlparse(environ.get("HTTP_DESTINATION", "")).path)
    prefix = environ.get("SCRIPT_NAME", "").rstrip("/")
    if not destination.startswith(prefix + "/"):
        return None
    return _parts(destination[len(prefix) :])
