"""Django's "delete selected" action, described by a whole sentence for each model.

Django describes it as "Delete selected %(verbose_name_plural)s", which French translates
"Supprimer les %(verbose_name_plural)s sélectionnés": the participle cannot agree with a
name it does not know, and "Supprimer les caméras sélectionnés" was wrong. A sentence
per model ("Delete selected cameras") lets each language agree its words. Only the
description changes: the action is still Django's, with its confirmation page, its
permission check and its message.
"""

from __future__ import annotations

from django.http import HttpRequest

DELETE_SELECTED = "delete_selected"


class DeleteSelectedInOwnWords:
    """A ModelAdmin mixin: ``delete_selected_description`` (a lazily translated whole
    sentence) replaces Django's description of the delete action, wherever it is offered."""

    delete_selected_description: str

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)  # type: ignore[misc]
        if DELETE_SELECTED in actions:
            action, name, _django_description = actions[DELETE_SELECTED]
            actions[DELETE_SELECTED] = (action, name, self.delete_selected_description)
        return actions
