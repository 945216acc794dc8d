"""The encrypted Index Education container ``EXPORT_INDEX_EDUCATION`` (spec §2).

:func:`container_decrypt` opens what EDT / PRONOTE deposit when they export for an ENT
partner; its exact inverse, for test fixtures and the synthetic generator, is
:func:`devtools.container_encrypt.container_encrypt`. The scheme: a random AES-128 key
and IV, the 48-byte block ``key‖IV‖MD5(key‖IV)`` RSA-encrypted (PKCS#1 v1.5) for each
partner, the zlib-compressed payload AES-128-CBC encrypted (PKCS#7 padding), and a SHA-256
of the compressed plaintext.

Every failure raises :class:`~imports.timetable.TimetableInvalid` with a stable ``code`` and a
French message saying what to do.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import io
import re
import zlib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lxml import etree

from ent.xmlsafe import UnsafeXmlError, check_stream_prolog, check_tree
from imports.timetable import TimetableInvalid

NAMESPACE = "http://www.index-education.com/conteneurexportchiffre"
ROOT = "EXPORT_INDEX_EDUCATION"
SUPPORTED_MAJOR_VERSION = "1"
KEY_BLOCK_BYTES = 48
AES_BLOCK_BITS = 128
UTF8_BOM = b"\xef\xbb\xbf"
PARIS = ZoneInfo("Europe/Paris")
INFLATE_CHUNK = 1024 * 1024

_WHITESPACE = re.compile(rb"\s+")
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}

REEXPORT = "Relancez l'export vers l'ENT depuis EDT ou PRONOTE et déposez le fichier tel quel."


@dataclass(frozen=True, slots=True)
class ContainerMetadata:
    """What the container says about itself, beside the encrypted payload."""

    version: str
    software: str
    uai: str
    exported_at: dt.datetime | None
    establishment_name: str = ""
    postal_city: str = ""
    partner_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DecryptedExport:
    payload: bytes  # the clear ExportEmploiDuTemps document, BOM stripped
    metadata: ContainerMetadata


def local_name(element: etree._Element) -> str:
    """Return an element's name without its namespace (never match on prefixes)."""
    return etree.QName(element).localname


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return "".join(element.itertext()).strip()


def _b64decode(text: str, *, what: str) -> bytes:
    try:
        return base64.b64decode(_WHITESPACE.sub(b"", text.encode("ascii")), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise TimetableInvalid.one(
            "corrupt_base64",
            f"Le fichier chiffré est abîmé : {what} n'est pas un texte base64 valide.",
            REEXPORT,
            ref=what,
        ) from None


def _parse_exported_at(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=PARIS)


def _container_parser() -> etree.XMLParser:
    """Return the hardened parser, allowing text nodes over libxml2's 10 MB default.

    An uncompressed ``CONTENU`` of a large cité scolaire exceeds that default. Lifting it is
    safe here: entity declarations are refused before parsing, nothing is resolved or
    fetched, and the deposit's size is already bounded (``Limits.max_bytes``).
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
    )


def _read_container(data: bytes) -> etree._Element:
    stream = io.BytesIO(data)
    try:
        check_stream_prolog(stream)
    except UnsafeXmlError as exc:
        raise TimetableInvalid.one("unsafe_xml", str(exc), REEXPORT) from None
    try:
        tree = etree.parse(stream, _container_parser())
    except etree.XMLSyntaxError as exc:
        raise TimetableInvalid.one(
            "truncated",
            f"Le fichier chiffré est incomplet ou n'est pas un XML valide ({exc.msg}).",
            "Le dépôt a sans doute été interrompu. " + REEXPORT,
        ) from None
    try:
        check_tree(tree)
    except UnsafeXmlError as exc:
        raise TimetableInvalid.one("unsafe_xml", str(exc), REEXPORT) from None
    root = tree.getroot()
    if local_name(root) != ROOT:
        raise TimetableInvalid.one(
            "unknown_root",
            f"L'élément racine « {local_name(root)} » n'est pas celui d'un export chiffré "
            f"d'Index Education ({ROOT}).",
            REEXPORT,
        )
    return root


def _children(root: etree._Element) -> dict[str, etree._Element]:
    found: dict[str, etree._Element] = {}
    for child in root:
        if isinstance(child.tag, str):
            found.setdefault(local_name(child), child)
    return found


def _metadata(children: dict[str, etree._Element], partners: tuple[str, ...]) -> ContainerMetadata:
    return ContainerMetadata(
        version=_text(children.get("VERSION")),
        software=_text(children.get("LOGICIEL")),
        uai=_text(children.get("UAI")).upper(),
        exported_at=_parse_exported_at(_text(children.get("DATEHEURE"))),
        establishment_name=_text(children.get("NOMETABLISSEMENT")),
        postal_city=_text(children.get("CODEPOSTALVILLE")),
        partner_names=partners,
    )


def _check_version(version: str) -> None:
    if version.split(".")[0].strip() != SUPPORTED_MAJOR_VERSION:
        raise TimetableInvalid.one(
            "unsupported_version",
            f"La version « {version or '(absente)'} » du conteneur chiffré d'Index Education "
            "n'est pas prise en charge (version 1.x attendue).",
            "Mettez à jour EDT ou PRONOTE, relancez l'export, ou signalez ce fichier à "
            "l'assistance de l'ENT.",
        )


def _partner_block(
    children: dict[str, etree._Element], partner_name: str
) -> tuple[str, tuple[str, ...]]:
    """Return (the base64 key block for ``partner_name``, the partner names found)."""
    keys = children.get("CLES")
    blocks = [
        (el.get("NOM", "").strip(), _text(el))
        for el in (keys if keys is not None else [])
        if isinstance(el.tag, str) and local_name(el) == "PARTENAIRE"
    ]
    names = tuple(name for name, _ in blocks)
    for name, block in blocks:
        if partner_name and name.casefold() == partner_name.strip().casefold():
            return block, names
    found = ", ".join(f"« {n} »" for n in names) if names else "aucun"
    raise TimetableInvalid.one(
        "wrong_partner",
        f"Ce fichier n'a pas été chiffré pour cet ENT (partenaire « {partner_name} ») ; "
        f"partenaires destinataires trouvés : {found}.",
        f"Dans EDT ou PRONOTE, choisissez l'ENT « {partner_name} » comme destinataire de "
        "l'export, puis relancez-le.",
        ref="CLES",
    )


def _load_private_key(private_key_pem: bytes | None) -> rsa.RSAPrivateKey:
    if not private_key_pem:
        raise TimetableInvalid.one(
            "no_private_key",
            "L'ENT n'a pas de clé privée pour déchiffrer les exports d'Index Education.",
            "L'administrateur de l'ENT doit créer la paire de clés (commande "
            "« manage.py pronote_keys ») et transmettre la clé publique à Index Education.",
        )
    try:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TimetableInvalid.one(
            "invalid_private_key",
            "La clé privée configurée dans l'ENT pour les exports d'Index Education est "
            "illisible (une clé RSA au format PEM, non protégée, est attendue).",
            "L'administrateur de l'ENT doit vérifier PRONOTE_PRIVATE_KEY_PATH ou recréer la "
            "paire de clés (« manage.py pronote_keys --force ») et la retransmettre.",
        )
    return key


def _wrong_key(detail: str) -> TimetableInvalid:
    return TimetableInvalid.one(
        "wrong_key",
        f"Le fichier ne se déchiffre pas avec la clé de cet ENT ({detail}).",
        "Vérifiez que la clé publique enregistrée chez Index Education est bien celle de "
        "l'ENT (« manage.py pronote_keys » l'affiche), puis relancez l'export.",
        ref="CLES/PARTENAIRE",
    )


def _session_key(block_b64: str, private_key: rsa.RSAPrivateKey) -> tuple[bytes, bytes]:
    encrypted = _b64decode(block_b64, what="CLES/PARTENAIRE")
    try:
        # OpenSSL's implicit rejection may return random bytes instead of failing; the
        # length and MD5 checks below catch that case.
        block = private_key.decrypt(encrypted, padding.PKCS1v15())
    except ValueError:
        raise _wrong_key("échec du déchiffrement RSA") from None
    if len(block) != KEY_BLOCK_BYTES:
        raise _wrong_key("bloc de clé de taille inattendue")
    key, iv, check = block[:16], block[16:32], block[32:]
    if not hmac.compare_digest(hashlib.md5(key + iv, usedforsecurity=False).digest(), check):
        raise _wrong_key("le contrôle MD5 du bloc de clé ne correspond pas")
    return key, iv


def _corrupt_content(detail: str) -> TimetableInvalid:
    return TimetableInvalid.one(
        "corrupt_content",
        f"Le contenu chiffré du fichier est abîmé ({detail}).",
        REEXPORT,
        ref="CONTENU",
    )


def _aes_decrypt(ciphertext: bytes, key: bytes, iv: bytes) -> bytes:
    if not ciphertext or len(ciphertext) % 16:
        raise _corrupt_content("taille incompatible avec AES")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = sym_padding.PKCS7(AES_BLOCK_BITS).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise _corrupt_content("remplissage PKCS#7 invalide") from None


def _is_compressed(contenu: etree._Element) -> bool:
    value = contenu.get("CompresseAvantChiffrement", "true").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise TimetableInvalid.one(
        "corrupt_content",
        f"L'attribut CompresseAvantChiffrement vaut « {value} » (true ou false attendu).",
        REEXPORT,
        ref="CONTENU",
    )


def inflate_bounded(data: bytes, *, max_bytes: int) -> bytes:
    """Inflate zlib ``data`` (RFC 1950) without ever producing more than ``max_bytes``."""
    inflater = zlib.decompressobj()
    out = bytearray()
    pending = data
    try:
        while not inflater.eof:
            room = max_bytes - len(out)
            chunk = inflater.decompress(pending, min(room + 1, INFLATE_CHUNK))
            out += chunk
            if len(out) > max_bytes:
                raise TimetableInvalid.one(
                    "decompression_bomb",
                    f"Une fois décompressé, le contenu dépasse {max_bytes} octets : ce n'est "
                    "pas un export d'emploi du temps normal.",
                    "Déposez uniquement le fichier produit par l'export vers l'ENT d'EDT ou "
                    "de PRONOTE.",
                    ref="CONTENU",
                )
            pending = inflater.unconsumed_tail
            if not chunk and not pending:
                break
    except zlib.error as exc:
        raise _corrupt_content(f"décompression impossible : {exc}") from None
    if not inflater.eof:
        raise _corrupt_content("données compressées tronquées")
    return bytes(out)


def container_decrypt(
    data: bytes, *, partner_name: str, private_key_pem: bytes | None, max_decrypted_bytes: int
) -> DecryptedExport:
    """Decrypt the container ``data`` for ``partner_name``; raise ``TimetableInvalid``."""
    root = _read_container(data)
    children = _children(root)
    _check_version(_text(children.get("VERSION")))
    for required in ("CLES", "CONTENU", "VERIFICATION"):
        if required not in children:
            raise TimetableInvalid.one(
                "truncated",
                f"Le fichier chiffré n'a pas d'élément {required}.",
                REEXPORT,
                ref=required,
            )
    block_b64, names = _partner_block(children, partner_name)
    metadata = _metadata(children, names)
    key, iv = _session_key(block_b64, _load_private_key(private_key_pem))
    contenu = children["CONTENU"]
    compressed = _is_compressed(contenu)
    ciphertext = _b64decode(_text(contenu), what="CONTENU")
    if len(ciphertext) > max_decrypted_bytes + 16:
        raise TimetableInvalid.one(
            "too_large",
            f"Le contenu chiffré dépasse la limite de {max_decrypted_bytes} octets.",
            "Vérifiez que vous déposez bien l'export de l'emploi du temps.",
            ref="CONTENU",
        )
    plaintext = _aes_decrypt(ciphertext, key, iv)
    expected = _b64decode(_text(children["VERIFICATION"]), what="VERIFICATION")
    if not hmac.compare_digest(hashlib.sha256(plaintext).digest(), expected):
        raise TimetableInvalid.one(
            "checksum_mismatch",
            "La somme de contrôle SHA-256 (VERIFICATION) ne correspond pas au contenu : le "
            "fichier a été modifié ou abîmé pendant le transfert.",
            REEXPORT,
            ref="VERIFICATION",
        )
    payload = inflate_bounded(plaintext, max_bytes=max_decrypted_bytes) if compressed else plaintext
    return DecryptedExport(payload=payload.removeprefix(UTF8_BOM), metadata=metadata)
