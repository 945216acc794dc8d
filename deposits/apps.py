from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DepositsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "deposits"
    verbose_name = _("Dépôts automatisés")

    def ready(self) -> None:
        from accounts.notifications import bilan_recipients_register
        from deposits.directory import DEPOSITOR_HOLDERS
        from deposits.selectors import bilan_recipients
        from ent.services.directory import directory_logins_register

        # Depositors who asked for notifications receive the bilans of their group's imports.
        bilan_recipients_register(bilan_recipients)
        # A directory load that closes a holder's login reports their depositor accounts.
        directory_logins_register(DEPOSITOR_HOLDERS)
