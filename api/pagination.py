"""Pages of GeoJSON features: ``count``, ``next`` and ``previous`` beside ``features``.

The shape is rest_framework_gis's GeoJsonPagination (so the schema and clients
know it), but the page itself is cut in SQL by mapping.camera_queries.feature_page
and the body is assembled from feature texts PostgreSQL wrote, without parsing
them again.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework_gis.pagination import GeoJsonPagination

from api.parameters import whole_number
from mapping.camera_queries import FeaturePage, features_json

# Far beyond any real page; keeps OFFSET within PostgreSQL's bigint.
MAX_PAGE_NUMBER = 10**9


class CameraPagination(GeoJsonPagination):
    """``page`` (from 1) and ``page_size`` (default API_PAGE_SIZE, at most API_MAX_PAGE_SIZE)."""

    page_size = settings.API_PAGE_SIZE
    max_page_size = settings.API_MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    page_query_description = "Page number, from 1."
    page_size_query_description = (
        f"Features per page (default {settings.API_PAGE_SIZE}, at most "
        f"{settings.API_MAX_PAGE_SIZE}; larger values are lowered to the maximum)."
    )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        """count/next/previous beside an array of features.

        drf-spectacular hands over the list serializer's FeatureCollection component
        (``...FeatureList``); the page holds that component's features, so the items are
        the feature component it wraps (the same name without ``List``).
        """
        ref = schema.get("$ref", "")
        item = {"$ref": ref.removesuffix("List")} if ref.endswith("List") else schema
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["type", "count", "next", "previous", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "count": {"type": "integer", "minimum": 0, "example": 1234},
                "next": {**link, "example": "https://example.org/api/cameras/?page=3"},
                "previous": {**link, "example": "https://example.org/api/cameras/?page=1"},
                "features": {"type": "array", "items": item},
            },
        }

    def requested_page(self, request) -> tuple[int, int]:
        """The page number and size asked for; a malformed value is a 400 naming it."""
        page_number = _positive_int(request, self.page_query_param, 1)
        if page_number > MAX_PAGE_NUMBER:
            raise exceptions.NotFound(
                _("page %(page)s is past the last page") % {"page": page_number}
            )
        page_size = min(
            _positive_int(request, self.page_size_query_param, self.page_size),
            self.max_page_size,
        )
        return page_number, page_size

    def body(self, request, page: FeaturePage, page_number: int, page_size: int) -> str:
        """The FeatureCollection text of one page; a page past the last is a 404."""
        if page_number > 1 and not page.features:
            last = max(1, -(-page.count // page_size))
            raise exceptions.NotFound(
                _("page %(page)s is past the last page (%(last)s)")
                % {"page": page_number, "last": last}
            )
        url = request.build_absolute_uri()
        has_next = page_number * page_size < page.count
        next_link = replace_query_param(url, self.page_query_param, page_number + 1)
        if page_number == 2:
            previous_link = remove_query_param(url, self.page_query_param)
        else:
            previous_link = replace_query_param(url, self.page_query_param, page_number - 1)
        head = {
            "type": "FeatureCollection",
            "count": page.count,
            "next": next_link if has_next else None,
            "previous": previous_link if page_number > 1 else None,
        }
        return json.dumps(head)[:-1] + ',"features":' + features_json(page.features) + "}"


def _positive_int(request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    value = whole_number(raw) or 0
    if value < 1:
        raise exceptions.ValidationError(
            {name: [_("must be a whole number from 1, got %(value)s") % {"value": repr(raw)}]}
        )
    return value
