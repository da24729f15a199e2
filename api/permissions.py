"""Who may do what through the API: everyone reads and submits; moderators decide."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from rest_framework.permissions import BasePermission

from mapping.moderation import is_moderator


class IsModerator(BasePermission):
    """Superusers and members of the moderators group (settings.MODERATORS_GROUP).

    Anonymous callers get 401 (the Token scheme is announced), signed-in
    non-moderators 403.
    """

    message = gettext_lazy("Only moderators can do this.")

    def has_permission(self, request, view) -> bool:
        return is_moderator(request.user)
