from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EntConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ent"
    verbose_name = _("Annuaire et emploi du temps")
