"""Writes the encrypted Index Education container ``EXPORT_INDEX_EDUCATION`` (spec §2).

The exact inverse of :func:`imports.parsers.container.container_decrypt`, for test fixtures and
the synthetic generator; the ENT itself only ever decrypts.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import zlib
from collections.abc import Mapping

from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lxml import etree

from imports.parsers.container import AES_BLOCK_BITS, NAMESPACE, ROOT


def _sub(parent: etree._Element, name: str, text: str = "") -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{name}")
    if text:
        element.text = text
    return element


def container_encrypt(
    payload: bytes,
    *,
    recipients: Mapping[str, bytes],
    uai: str,
    software: str,
    establishment_name: str = "",
    postal_city: str = "",
    exported_at: dt.datetime,
    compress: bool = True,
) -> bytes:
    """Return an ``EXPORT_INDEX_EDUCATION`` document wrapping ``payload`` for ``recipients``.

    ``recipients`` maps partner names (1 or 2, as the schema allows) to RSA public keys in
    PEM. With ``compress=False`` the ``CONTENU`` element carries
    ``CompresseAvantChiffrement="false"``, which real exports use but the published schema
    does not declare; the default output validates against ``ConteneurExportChiffre.xsd``.
    """
    if not 1 <= len(recipients) <= 2:
        raise ValueError("An Index Education container has one or two recipients.")
    key, iv = os.urandom(16), os.urandom(16)
    block = key + iv + hashlib.md5(key + iv, usedforsecurity=False).digest()
    plaintext = zlib.compress(payload, 9) if compress else payload
    padder = sym_padding.PKCS7(AES_BLOCK_BITS).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padder.update(plaintext) + padder.finalize())
    ciphertext += encryptor.finalize()

    root = etree.Element(f"{{{NAMESPACE}}}{ROOT}", nsmap={None: NAMESPACE})
    _sub(root, "VERSION", "1.0")
    _sub(root, "LOGICIEL", software)
    keys = _sub(root, "CLES")
    for name, public_pem in recipients.items():
        public_key = serialization.load_pem_public_key(public_pem)
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise ValueError(f"The public key of {name!r} is not an RSA key.")
        encrypted = public_key.encrypt(block, padding.PKCS1v15())
        _sub(keys, "PARTENAIRE", "\n" + base64.encodebytes(encrypted).decode()).set("NOM", name)
    contenu = _sub(root, "CONTENU", "\n" + base64.encodebytes(ciphertext).decode())
    if not compress:
        contenu.set("CompresseAvantChiffrement", "false")
    _sub(root, "VERIFICATION", base64.b64encode(hashlib.sha256(plaintext).digest()).decode())
    _sub(root, "DATEHEURE", exported_at.replace(microsecond=0).isoformat())
    _sub(root, "UAI", uai)
    _sub(root, "NOMETABLISSEMENT", establishment_name)
    _sub(root, "CODEPOSTALVILLE", postal_city)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
