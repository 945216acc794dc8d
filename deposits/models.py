"""Depositor accounts (WebDAV logins of a school group) and their one-time reveal links."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DepositorAccount(models.Model):
    """A WebDAV login of a school group (compte d'accès), held by one ENT user.

    At most five per school group: ``slot`` is 1..5 and unique in the group, so the cap holds
    in the database even under concurrent additions.
    """

    MAX_PER_SCHOOL_GROUP = 5

    school_group = models.ForeignKey(
        "ent.SchoolGroup", on_delete=models.CASCADE, related_name="depositor_accounts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="depositor_accounts",
        verbose_name=_("utilisateur"),
    )
    slot = models.PositiveSmallIntegerField()
    login = models.CharField(_("identifiant d'accès"), max_length=150, unique=True)
    password = models.CharField(max_length=128)
    # Bumped on every password change: verified-credential cache entries die with it.
    credentials_version = models.PositiveIntegerField(default=1)
    notify = models.BooleanField(_("notification"), default=True)
    created_at = models.DateTimeField(_("créé le"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    password_changed_at = models.DateTimeField(_("mot de passe changé le"))

    class Meta:
        # The table keeps the name it had in the accounts app (see migration 0001).
        db_table = "accounts_depositoraccount"
        verbose_name = _("compte d'accès")
        verbose_name_plural = _("comptes d'accès")
        constraints = [
            models.CheckConstraint(
                condition=Q(slot__gte=1) & Q(slot__lte=5), name="depositor_slot_range"
            ),
            models.UniqueConstraint(fields=["school_group", "slot"], name="depositor_unique_slot"),
            models.UniqueConstraint(fields=["school_group", "user"], name="depositor_unique_user"),
        ]

    def __str__(self) -> str:
        return self.login


class CredentialReveal(models.Model):
    """A one-time link showing a depositor's password; only the token's hash is stored.

    The password is kept encrypted (Fernet, keyed from ``SECRET_KEY``) until the first view,
    then erased.
    """

    account = models.ForeignKey(
        DepositorAccount, on_delete=models.CASCADE, related_name="credential_reveals"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    encrypted_password = models.TextField(blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_credentialreveal"
        verbose_name = _("lien d'accès au mot de passe")
        verbose_name_plural = _("liens d'accès au mot de passe")

    def __str__(self) -> str:
        return f"reveal {self.pk} of {self.account_id}"
