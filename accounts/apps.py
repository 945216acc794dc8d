from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Comptes et rôles")

    def ready(self) -> None:
        from accounts.provisioning import DIRECTORY_LOGINS
        from ent.services.directory import directory_logins_register

        # Each AAF directory load opens the ENT logins of the staff it lists, closes those of
        # the people it deactivates and reopens those it had closed of the people back.
        directory_logins_register(DIRECTORY_LOGINS)
