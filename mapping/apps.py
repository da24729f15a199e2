from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate
from django.utils.translation import gettext_lazy


class MappingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mapping"
    verbose_name = gettext_lazy("Surveillance map")

    def ready(self) -> None:
        from mapping.signals import create_moderators_group, delete_photo_files

        post_migrate.connect(
            create_moderators_group, sender=self, dispatch_uid="mapping.moderators_group"
        )
        post_delete.connect(
            delete_photo_files,
            sender=self.get_model("CameraPhoto"),
            dispatch_uid="mapping.photo_files",
        )
