"""Writes of the deposits app: depositor accounts, their credentials, the WebDAV login check."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
import shutil
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.db import IntegrityError, transaction

from accounts import notifications
from accounts.models import Role, User
from accounts.notifications import LabelledUrl
from accounts.provisioning import person_user_provision
from accounts.throttle import webdav_login_throttle
from deposits.models import CredentialReveal, DepositorAccount
from ent.models import Person, SchoolGroup
from ent.text import ascii_fold

PASSWORD_LENGTH = 10
# Letters and digits only: "@ : / % # ?" would break https://login:password@host/ URLs.
PASSWORD_ALPHABET = string.ascii_letters + string.digits
REVEAL_VALIDITY = dt.timedelta(days=7)
VERIFIED_CREDENTIALS_TTL_SECONDS = 300
LOGIN_PREFIX = "emp"

_LOGIN_PART = re.compile(r"[^a-z0-9]+")


class DepositorAccountError(ValueError):
    """A refused change to the depositor accounts; the message is for the user, in French."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class CredentialRevealUnavailable(LookupError):
    """The one-time link is unknown, already used, or expired."""


# A deposit URL and its label, as the credentials notice lists them.
DepositUrl = LabelledUrl


@dataclass(frozen=True)
class RevealedCredentials:
    account: DepositorAccount
    login: str
    password: str
    urls: list[DepositUrl]


@dataclass(frozen=True)
class AuthenticatedDepositor:
    """What the WebDAV server needs to know about an authenticated depositor account."""

    account_id: int
    user_id: int
    login: str
    school_group_id: int
    establishment_ids: frozenset[int]


# --- Depositor accounts ------------------------------------------------------------------


def depositor_login_base(user: User) -> str:
    """Return ``emp.<prénom>.<nom>`` in lower-case ASCII for ``user``."""
    parts = [_login_part(user.first_name), _login_part(user.last_name)]
    parts = [part for part in parts if part] or [_login_part(user.username) or "depositaire"]
    return ".".join([LOGIN_PREFIX, *parts])


def depositor_login_generate(user: User) -> str:
    """Return a free login for ``user``: the base, or the base with a numeric suffix."""
    base = depositor_login_base(user)
    taken = set(
        DepositorAccount.objects.filter(login__startswith=base).values_list("login", flat=True)
    )
    if base not in taken:
        return base
    suffix = 2
    while f"{base}{suffix}" in taken:
        suffix += 1
    return f"{base}{suffix}"


def depositor_password_generate() -> str:
    """Return a random 10-character password of letters and digits."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def depositor_password_hash(password: str) -> str:
    """Hash a generated depositor password with the depositor hasher (``deposits.hashers``)."""
    return make_password(password, hasher=settings.ENT_DEPOSITOR_PASSWORD_HASHER)


def depositor_account_create(
    *,
    school_group: SchoolGroup,
    user: User,
    notify: bool,
    created_by: User | None,
    now: dt.datetime,
) -> DepositorAccount:
    """Create a depositor account for ``user`` and send the credentials.

    Raises :class:`DepositorAccountError` when the school group already has five accounts,
    ``user`` already holds one in it, or ``user`` belongs to another school group (a forged
    choice: the page only offers people of this one).
    """
    if depositor_holder_is_foreign(school_group=school_group, user=user):
        raise DepositorAccountError(
            f"{user.get_full_name() or user.username} n'appartient pas aux établissements de "
            "cette cité scolaire : choisissez le titulaire dans la liste proposée.",
            code="foreign_holder",
        )
    if DepositorAccount.objects.filter(school_group=school_group, user=user).exists():
        raise DepositorAccountError(
            f"{user.get_full_name() or user.username} a déjà un compte d'accès pour cette "
            "cité scolaire.",
            code="already_depositor",
        )
    password = depositor_password_generate()
    # Two heads adding at once may pick the same slot or login: the constraints refuse the
    # second insert, and another attempt sees the first one's row.
    for _attempt in range(3):
        slot = _free_slot(school_group)
        try:
            with transaction.atomic():
                account = DepositorAccount.objects.create(
                    school_group=school_group,
                    user=user,
                    slot=slot,
                    login=depositor_login_generate(user),
                    password=depositor_password_hash(password),
                    notify=notify,
                    created_at=now,
                    created_by=created_by,
                    password_changed_at=now,
                )
                _deliver_credentials(account=account, password=password, now=now, is_new=True)
            return account
        except IntegrityError:
            if DepositorAccount.objects.filter(school_group=school_group, user=user).exists():
                raise DepositorAccountError(
                    "Ce compte d'accès vient d'être créé par ailleurs.", code="already_depositor"
                ) from None
    raise DepositorAccountError(
        "Le compte d'accès n'a pas pu être créé, réessayez.", code="conflict"
    )


def depositor_account_create_for_person(
    *,
    school_group: SchoolGroup,
    person: Person,
    notify: bool,
    created_by: User | None,
    now: dt.datetime,
) -> DepositorAccount:
    """Create a depositor account for a person of the annuaire, opening their ENT login if needed.

    The caller chose ``person`` among :func:`deposits.selectors.depositor_candidate_people`.
    The login opened for a person who had none is kept only if the account is created.
    """
    with transaction.atomic():
        user = person_user_provision(person=person)
        return depositor_account_create(
            school_group=school_group, user=user, notify=notify, created_by=created_by, now=now
        )


def depositor_holder_is_foreign(*, school_group: SchoolGroup, user: User) -> bool:
    """Tell whether ``user`` belongs elsewhere and not to ``school_group``.

    A user belongs to a school group through a role in it or through their directory entry
    in one of its establishments. A superuser, or a user whose roles and directory entries
    are all in other school groups, is foreign.
    """
    if user.is_superuser:
        return True
    here = (
        Role.objects.filter(user=user, school_group=school_group).exists()
        or Person.objects.filter(
            user=user, is_active=True, establishments__school_group=school_group
        ).exists()
    )
    if here:
        return False
    return (
        Role.objects.filter(user=user).exists()
        or Person.objects.filter(user=user, establishments__isnull=False).exists()
    )


def depositor_account_regenerate_password(
    *, account: DepositorAccount, now: dt.datetime
) -> DepositorAccount:
    """Give ``account`` a new password; the old one stops working at once."""
    password = depositor_password_generate()
    with transaction.atomic():
        account = DepositorAccount.objects.select_for_update().get(pk=account.pk)
        account.password = depositor_password_hash(password)
        account.credentials_version += 1
        account.password_changed_at = now
        account.save(update_fields=["password", "credentials_version", "password_changed_at"])
        account.credential_reveals.filter(revealed_at__isnull=True).delete()
        _deliver_credentials(account=account, password=password, now=now, is_new=False)
    return account


def depositor_account_set_notify(*, account: DepositorAccount, notify: bool) -> None:
    """Turn the import notifications of ``account`` on or off."""
    DepositorAccount.objects.filter(pk=account.pk).update(notify=notify)
    account.notify = notify


def depositor_account_delete(*, account: DepositorAccount) -> None:
    """Delete ``account``; its login stops working at once.

    The account's WebDAV folder (recent copies of its deposits) goes too, once committed;
    the import runs keep their own copy of every deposited file.
    """
    folder = Path(settings.ENT_WEBDAV_SPOOL_DIR) / "accounts" / str(account.pk)
    account.delete()
    transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))


def depositor_deposit_urls(
    *, account: DepositorAccount, password: str | None = None
) -> list[DepositUrl]:
    """Return the deposit URLs: the whole school group first, then each establishment.

    With ``password``, the URLs carry the credentials, ready to paste into EDT or UDT.
    """
    base = settings.ENT_PUBLIC_URL
    if password is not None:
        scheme, _, rest = base.partition("://")
        base = f"{scheme}://{account.login}:{password}@{rest}"
    group_id = account.school_group_id
    urls = [DepositUrl("Tous les établissements", f"{base}/webdav/{group_id}/")]
    for establishment in account.school_group.establishments.order_by("name"):
        urls.append(
            DepositUrl(
                f"Établissement {establishment.name}",
                f"{base}/webdav/{group_id}/{establishment.pk}/",
            )
        )
    return urls


# --- One-time reveal of the password -----------------------------------------------------


def credential_reveal_consume(*, token: str, user: User, now: dt.datetime) -> RevealedCredentials:
    """Return the password behind ``token`` once, then erase it.

    Raises :class:`CredentialRevealUnavailable` for an unknown, used or expired token, or a
    token of another user's account.
    """
    with transaction.atomic():
        reveal = (
            CredentialReveal.objects.select_for_update()
            .select_related("account__school_group")
            .filter(token_hash=_token_hash(token), account__user=user)
            .first()
        )
        if reveal is None or reveal.revealed_at is not None or reveal.expires_at <= now:
            raise CredentialRevealUnavailable(token)
        try:
            password = _fernet().decrypt(reveal.encrypted_password.encode()).decode()
        except InvalidToken:
            raise CredentialRevealUnavailable(token) from None
        reveal.revealed_at = now
        reveal.encrypted_password = ""
        reveal.save(update_fields=["revealed_at", "encrypted_password"])
    account = reveal.account
    return RevealedCredentials(
        account=account,
        login=account.login,
        password=password,
        urls=depositor_deposit_urls(account=account, password=password),
    )


def credential_reveal_is_pending(*, token: str, user: User, now: dt.datetime) -> bool:
    """Tell whether ``token`` can still be revealed by ``user``."""
    return CredentialReveal.objects.filter(
        token_hash=_token_hash(token),
        account__user=user,
        revealed_at__isnull=True,
        expires_at__gt=now,
    ).exists()


# --- WebDAV authentication ---------------------------------------------------------------


def depositor_authenticate(
    *, login: str, password: str, address: str, now: dt.datetime
) -> AuthenticatedDepositor | None:
    """Check Basic credentials of a depositor account; ``None`` when refused.

    Attempts are throttled by :mod:`accounts.throttle` (per login and address first); a
    refused attempt hashes nothing. A success is remembered for a few minutes under a key
    derived from the login, the password and the account's credentials version, so a new
    password voids it at once.
    """
    if webdav_login_throttle.is_blocked(login, address, now=now):
        return None
    # A holder whose ENT login is closed (the directory's departure) suspends the account.
    account = (
        DepositorAccount.objects.filter(login=login, user__is_active=True)
        .only("pk", "user_id", "login", "school_group_id", "password", "credentials_version")
        .first()
    )
    if account is not None and _credentials_cached(account, password):
        return _authenticated(account)
    # An unknown login is checked against a throw-away hash of the same hasher, so that it
    # costs what a wrong password costs (no timing oracle, no dearer path for attackers).
    encoded = account.password if account is not None else _unknown_login_hash()
    rehash = _password_upgrade(account) if account is not None else None
    if not check_password(
        password, encoded, setter=rehash, preferred=settings.ENT_DEPOSITOR_PASSWORD_HASHER
    ):
        webdav_login_throttle.register_failure(login, address, now=now)
        return None
    if account is None:
        return None
    cache.set(_credentials_cache_key(account, password), 1, VERIFIED_CREDENTIALS_TTL_SECONDS)
    webdav_login_throttle.register_success(login, address, now=now)
    return _authenticated(account)


# --- Helpers -----------------------------------------------------------------------------


def _password_upgrade(account: DepositorAccount) -> Callable[[str], None]:
    """Re-hash a verified password stored by an earlier hasher (e.g. PBKDF2) with today's.

    The update is conditional on the old hash: a password regenerated meanwhile stays.
    """
    stored = account.password

    def upgrade(password: str) -> None:
        DepositorAccount.objects.filter(pk=account.pk, password=stored).update(
            password=depositor_password_hash(password)
        )

    return upgrade


@functools.cache
def _unknown_login_hash_for(algorithm: str) -> str:
    return make_password(secrets.token_urlsafe(16), hasher=algorithm)


def _unknown_login_hash() -> str:
    return _unknown_login_hash_for(settings.ENT_DEPOSITOR_PASSWORD_HASHER)


def _login_part(value: str) -> str:
    return _LOGIN_PART.sub("-", ascii_fold(value).lower()).strip("-")


def _free_slot(school_group: SchoolGroup) -> int:
    used = set(
        DepositorAccount.objects.filter(school_group=school_group).values_list("slot", flat=True)
    )
    for slot in range(1, DepositorAccount.MAX_PER_SCHOOL_GROUP + 1):
        if slot not in used:
            return slot
    raise DepositorAccountError(
        f"Cette cité scolaire a déjà {DepositorAccount.MAX_PER_SCHOOL_GROUP} comptes d'accès, "
        "le maximum. Supprimez un compte avant d'en ajouter un autre.",
        code="limit_reached",
    )


def _fernet() -> Fernet:
    # The "accounts." label predates the deposits app: kept, so pending links still open.
    digest = hashlib.sha256(b"accounts.credential-reveal:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _credentials_cache_key(account: DepositorAccount, password: str) -> str:
    material = f"{account.login}\0{password}\0{account.pk}:{account.credentials_version}"
    digest = hmac.new(settings.SECRET_KEY.encode(), material.encode(), hashlib.sha256)
    return f"webdav:verified:{digest.hexdigest()}"


def _credentials_cached(account: DepositorAccount, password: str) -> bool:
    return cache.get(_credentials_cache_key(account, password)) == 1


def _authenticated(account: DepositorAccount) -> AuthenticatedDepositor:
    establishment_ids = frozenset(
        SchoolGroup.objects.get(pk=account.school_group_id).establishments.values_list(
            "pk", flat=True
        )
    )
    return AuthenticatedDepositor(
        account_id=account.pk,
        user_id=account.user_id,
        login=account.login,
        school_group_id=account.school_group_id,
        establishment_ids=establishment_ids,
    )


def _deliver_credentials(
    *, account: DepositorAccount, password: str, now: dt.datetime, is_new: bool
) -> None:
    token = secrets.token_urlsafe(32)
    CredentialReveal.objects.create(
        account=account,
        token_hash=_token_hash(token),
        encrypted_password=_fernet().encrypt(password.encode()).decode(),
        created_at=now,
        expires_at=now + REVEAL_VALIDITY,
    )
    notifications.credentials_notify(
        user=account.user,
        login=account.login,
        school_group_name=account.school_group.name,
        reveal_url=notifications.absolute_url("deposits:credential_reveal", token),
        reveal_validity=REVEAL_VALIDITY,
        deposit_urls=depositor_deposit_urls(account=account),
        is_new=is_new,
        now=now,
    )
