"""The moderators group and its permissions, (re)created after every migrate.

Moderation is allowed to superusers and to members of settings.MODERATORS_GROUP
(mapping.moderation.is_moderator). The group's permissions let its members,
when they are also staff, use the admin for the same work: read and decide
submissions, look at cameras, correct them, and delete an unsuitable photo.
Running after migrate (and after the test runner's flushes, which send the same
signal) means no migration file has to carry data.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

MODERATOR_PERMISSIONS = (
    "view_submission",
    "change_submission",
    "view_camera",
    "change_camera",
    "view_cameraphoto",
    "delete_cameraphoto",
)


def ensure_moderators_group(using: str = "default") -> Any:
    """Create the moderators group if needed and give it exactly MODERATOR_PERMISSIONS."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.using(using).get_or_create(name=settings.MODERATORS_GROUP)
    permissions = Permission.objects.using(using).filter(
        content_type__app_label="mapping", codename__in=MODERATOR_PERMISSIONS
    )
    group.permissions.set(permissions)
    return group


def create_moderators_group(sender: Any, app_config: Any = None, using: str = "default", **kwargs):
    """post_migrate receiver for the mapping app: permissions first, then the group."""
    from django.contrib.auth.management import create_permissions

    apps = kwargs.get("apps")
    if apps is not None:
        try:
            apps.get_model("auth", "Group")
            apps.get_model("mapping", "Submission")
        except LookupError:  # migrating backwards to before these tables existed
            return
    create_permissions(app_config or sender, verbosity=0, interactive=False, using=using)
    ensure_moderators_group(using)


def delete_photo_files(sender: Any, instance: Any, using: str = "default", **kwargs) -> None:
    """post_delete receiver for CameraPhoto: its two files go once the deletion commits.

    Whoever deletes a photo (a rejection, the admin, a camera's cascade), its files
    do not outlive the row; a rolled-back deletion keeps them.
    """
    from django.db import transaction

    names = [field.name for field in (instance.image, instance.thumbnail) if field.name]
    storage = instance.image.storage

    def remove_files() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove_files, using=using)
