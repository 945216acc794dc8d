"""Users of the ENT and their roles per school group."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """An ENT user (a custom model from day one, as Django recommends)."""

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")


class Role(models.Model):
    """A role a user holds in one school group."""

    class Name(models.TextChoices):
        MANAGER = "MANAGER", _("Gestionnaire de vie scolaire")
        HEAD = "HEAD", _("Chef d'établissement")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    school_group = models.ForeignKey(
        "ent.SchoolGroup", on_delete=models.CASCADE, related_name="roles"
    )
    name = models.CharField(_("rôle"), max_length=16, choices=Name.choices)

    class Meta:
        verbose_name = _("rôle")
        verbose_name_plural = _("rôles")
        constraints = [
            models.UniqueConstraint(fields=["user", "school_group", "name"], name="role_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_name_display()} ({self.school_group})"


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
        User,
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
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    password_changed_at = models.DateTimeField(_("mot de passe changé le"))

    class Meta:
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
        verbose_name = _("lien d'accès au mot de passe")
        verbose_name_plural = _("liens d'accès au mot de passe")

    def __str__(self) -> str:
        return f"reveal {self.pk} of {self.account_id}"


class Message(models.Model):
    """A message of the ENT's internal messaging."""

    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="messages", verbose_name=_("destinataire")
    )
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("message"))
    link = models.CharField(_("lien"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("reçu le"))
    read_at = models.DateTimeField(_("lu le"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
