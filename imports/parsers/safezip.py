"""Read an untrusted zip without trusting it: nothing is extracted to disk, everything is bounded.

:class:`SafeZip` checks the central directory when it opens (member count, names, symlinks,
encryption, compression methods, declared sizes and ratios) and then reads members into
memory on demand through a bounded stream, so a header that lies about a member's size
cannot get more bytes past the limits than they allow. Every refusal raises
:class:`~imports.timetable.TimetableInvalid` with a stable code, a French message and the
action to take; a corrupt or truncated archive is refused the same way, never a crash.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from types import TracebackType

from imports.parsers.base import Limits
from imports.timetable import TimetableInvalid

CHUNK_BYTES = 64 * 1024
# Below this size a high compression ratio is harmless (a small file of blanks, say).
RATIO_FLOOR_BYTES = 1024 * 1024
SUPPORTED_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_DRIVE = re.compile(r"^[A-Za-z]:")
_REDEPOSIT = (
    "Relancez la publication depuis UnDeuxTEMPS et déposez le zip produit, sans le modifier."
)


def _refuse(code: str, message: str, ref: str = "", action: str = _REDEPOSIT) -> TimetableInvalid:
    return TimetableInvalid.one(code, message, action, ref=ref)


class SafeZip:
    """An open untrusted zip whose members are read into memory, within ``limits``."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.limits = limits
        self._budget = limits.max_uncompressed_bytes
        try:
            self._archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as error:
            raise _refuse(
                "zip_corrupt",
                "Le fichier n'est pas une archive zip lisible (archive tronquée ou abîmée).",
            ) from error
        try:
            self._members = self._check_directory()
        except TimetableInvalid:
            self._archive.close()
            raise

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._archive.close()

    @property
    def names(self) -> list[str]:
        """Names of the file members (folders left out), in archive order."""
        return list(self._members)

    def read(self, name: str) -> bytes:
        """Return the bytes of member ``name``, refusing it if it goes over a limit."""
        info = self._members[name]
        limit = min(info.file_size, self._budget)
        chunks = []
        total = 0
        try:
            with self._archive.open(info) as stream:
                while chunk := stream.read(min(CHUNK_BYTES, limit - total + 1)):
                    total += len(chunk)
                    if total > limit:
                        raise self._overflow(info)
                    self._check_ratio(info, total)
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise _refuse(
                "zip_member_corrupt",
                f"Le fichier « {name} » de l'archive est illisible (données abîmées ou tronquées).",
                ref=name,
            ) from error
        if total != info.file_size:
            raise _refuse(
                "zip_size_mismatch",
                f"Le fichier « {name} » de l'archive ne fait pas la taille annoncée "
                f"({total} octets lus, {info.file_size} annoncés).",
                ref=name,
            )
        self._budget -= total
        return b"".join(chunks)

    def open(self, name: str) -> io.BytesIO:
        """Return member ``name`` as an in-memory binary stream."""
        return io.BytesIO(self.read(name))

    # Checks

    def _check_directory(self) -> dict[str, zipfile.ZipInfo]:
        infos = self._archive.infolist()
        if len(infos) > self.limits.max_zip_members:
            raise _refuse(
                "zip_too_many_members",
                f"L'archive contient {len(infos)} fichiers, au-delà de la limite de "
                f"{self.limits.max_zip_members}.",
                action="Déposez l'export UnDeuxTEMPS tel quel, sans y ajouter d'autres fichiers.",
            )
        members: dict[str, zipfile.ZipInfo] = {}
        declared = 0
        compressed = 0
        for info in infos:
            self._check_member(info)
            if info.is_dir():
                continue
            if info.filename in members:
                raise _refuse(
                    "zip_duplicate_member",
                    f"L'archive contient deux fois le fichier « {info.filename} ».",
                    ref=info.filename,
                )
            members[info.filename] = info
            declared += info.file_size
            compressed += info.compress_size
        if declared > self.limits.max_uncompressed_bytes:
            raise _refuse(
                "zip_too_large",
                f"L'archive se décompresse en {declared} octets, au-delà de la limite de "
                f"{self.limits.max_uncompressed_bytes} octets.",
                action="Vérifiez que vous déposez bien l'export de l'emploi du temps.",
            )
        if (
            declared > RATIO_FLOOR_BYTES
            and declared > compressed * self.limits.max_compression_ratio
        ):
            raise self._bomb("")
        return members

    def _check_member(self, info: zipfile.ZipInfo) -> None:
        name = info.filename
        parts = PurePosixPath(name).parts
        if (
            not name
            or "\\" in name
            or "\x00" in name
            or name.startswith("/")
            or _DRIVE.match(name)
            or ".." in parts
        ):
            raise _refuse(
                "zip_unsafe_path",
                f"L'archive contient un chemin interdit : « {name} » (chemin absolu, « .. » "
                "ou lecteur Windows).",
                ref=name,
            )
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _refuse(
                "zip_symlink",
                f"L'archive contient un lien symbolique : « {name} ».",
                ref=name,
            )
        if info.flag_bits & 0x1:
            raise _refuse(
                "zip_encrypted",
                f"Le fichier « {name} » de l'archive est chiffré par mot de passe.",
                ref=name,
                action="Déposez l'export UnDeuxTEMPS sans mot de passe.",
            )
        if info.compress_type not in SUPPORTED_METHODS:
            raise _refuse(
                "zip_unsupported_compression",
                f"Le fichier « {name} » de l'archive utilise une méthode de compression non "
                "prise en charge.",
                ref=name,
            )
        if info.file_size > RATIO_FLOOR_BYTES and (
            info.file_size > max(info.compress_size, 1) * self.limits.max_compression_ratio
        ):
            raise self._bomb(name)

    def _check_ratio(self, info: zipfile.ZipInfo, produced: int) -> None:
        if produced > RATIO_FLOOR_BYTES and (
            produced > max(info.compress_size, 1) * self.limits.max_compression_ratio
        ):
            raise self._bomb(info.filename)

    def _bomb(self, name: str) -> TimetableInvalid:
        where = f"Le fichier « {name} » de l'archive" if name else "L'archive"
        return _refuse(
            "zip_bomb",
            f"{where} est anormalement compressé (plus de {self.limits.max_compression_ratio} "
            "fois) : il est refusé par sécurité (« bombe zip »).",
            ref=name,
            action="Vérifiez que vous déposez bien l'export de l'emploi du temps produit par "
            "UnDeuxTEMPS.",
        )

    def _overflow(self, info: zipfile.ZipInfo) -> TimetableInvalid:
        if info.file_size <= self._budget:
            return _refuse(
                "zip_size_mismatch",
                f"Le fichier « {info.filename} » de l'archive est plus gros que la taille "
                f"annoncée ({info.file_size} octets) : l'archive est falsifiée ou abîmée.",
                ref=info.filename,
            )
        return _refuse(
            "zip_too_large",
            f"L'archive se décompresse au-delà de la limite de "
            f"{self.limits.max_uncompressed_bytes} octets.",
            ref=info.filename,
            action="Vérifiez que vous déposez bien l'export de l'emploi du temps.",
        )
