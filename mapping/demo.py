"""Demo set-up helpers shared by `make demo` and the tests."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

DEMO_ADMIN_USERNAME = "admin"


def create_demo_admin(username: str = DEMO_ADMIN_USERNAME) -> str:
    """Create (or reset) the demo superuser with a fresh random password and return it.

    The admin is also put in the moderators group so the demo can moderate at once.
    """
    password = secrets.token_urlsafe(12)
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_staff = True
    user.is_superuser = True
    user.set_password(password)
    user.save()
    group, _ = Group.objects.get_or_create(name="moderators")
    user.groups.add(group)
    return password
