"""Users of the ENT and their roles per school group."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """An ENT user (a custom model from day one, as Django recommends).

    ``directory_closed_at`` tells a login the directory closed (its person left) from one
    closed by hand: only the former is reopened when the directory lists the person again.
    """

    directory_closed_at = models.DateTimeField(
        _("fermé par l'annuaire le"),
        null=True,
        blank=True,
        help_text=_(
            "Rempli quand l'import de l'annuaire ferme l'identifiant d'une personne qui l'a "
            "quitté ; l'identifiant rouvre si l'annuaire la liste de nouveau."
        ),
    )

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.CheckConstraint(
                condition=Q(directory_closed_at__isnull=True) | Q(is_active=False),
                name="user_directory_closed_is_inactive",
            )
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Reopened by hand (the admin's "actif" box): no longer the directory's closure.
        if self.is_active and self.directory_closed_at is not None:
            self.directory_closed_at = None
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "directory_closed_at"}
        super().save(*args, **kwargs)


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


class Message(models.Model):
    """A message of the ENT's internal messaging."""

    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="messages", verbose_name=_("destinataire")
    )
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("message"))
    link = models.CharField(_("lien"), max_length=500, blank=True)
    # What the link opens, as its button says it ("Voir l'import n° 12").
    link_label = models.CharField(_("libellé du lien"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("reçu le"))
    read_at = models.DateTimeField(_("lu le"), null=True, blank=True)
    # Repeats of one problem update one unread message (accounts.notifications): its kind,
    # how many times it happened and when first.
    kind = models.CharField(_("nature"), max_length=200, blank=True)
    repeats = models.PositiveIntegerField(_("occurrences"), default=1)
    first_at = models.DateTimeField(_("première occurrence"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["recipient", "kind", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def link_text(self) -> str:
        """Return the button text of :attr:`link` (messages sent before labels: generic)."""
        return self.link_label or str(_("Ouvrir la page dont parle ce message"))
