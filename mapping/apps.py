from django.apps import AppConfig


class MappingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mapping"
    verbose_name = "Surveillance map"
