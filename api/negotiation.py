"""Content negotiation of the API: an unknown ?format= is a 400 that names it.

Its own module: DRF's APIView reads this setting as its class is built, so the module
must not import rest_framework.views (api.parameters does, through api.errors).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation


class FormatNamedNegotiation(DefaultContentNegotiation):
    """An unknown ?format= is a 400 naming the parameter and the formats the endpoint
    gives; DRF answers it with a bare 404 "Not found.", as if the endpoint were gone."""

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            first, *others = dict.fromkeys(renderer.format for renderer in renderers)
            formats = first
            for other in others:  # "geojson or json", in the language of the request
                formats = _("%(first)s or %(last)s") % {"first": formats, "last": other}
            raise exceptions.ValidationError(
                {"format": [_("expected %(formats)s") % {"formats": formats}]}
            )
        return matching
