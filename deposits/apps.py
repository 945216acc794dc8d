from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DepositsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "deposits"
    verbose_name = _("Dépôts automatisés")

    def ready(self) -> None:
        from accounts.notifications import bilan_recipients_register
        from deposits.selectors import bilan_recipients

        # Depositors who asked for notifications receive the bilans of their group's imports.
        bilan_recipients_register(bilan_recipients)
