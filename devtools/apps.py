from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Development tooling: sample generator, writers, benches, demo. Production apps never
    import it; it is installed so that `make run` and the bench commands work."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "devtools"
    verbose_name = "Outils de développement"
