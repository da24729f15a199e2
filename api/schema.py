"""The OpenAPI schema, in English whatever the language of the request.

The schema is a contract that client generators read and people keep and diff, so it is
one document: the same bytes for every caller. Built in the request's language it was
neither English nor French (the filters' texts are English, the models' choice labels and
help texts were French) and its very shape changed: French labels differ from the field
names, so drf-spectacular added ``title`` members, which generators use to name types.
Its names and values (fields, filters, enum values) are English anyway, like the rest of
the API's contract; what a person reads at run time, the error messages, still follows the
request (docs/api.md, Conventions).
"""

from __future__ import annotations

from django.utils import translation
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.renderers import JSONRenderer

from api.parameters import refuse_unknown_parameters

SCHEMA_LANGUAGE = "en"


class EnglishSchemaView(SpectacularAPIView):
    """drf-spectacular's schema view, built in SCHEMA_LANGUAGE.

    Its ``?lang=`` (another language on request) is refused like any parameter the view
    does not read, in the request's language, rather than silently ignored.
    """

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        refuse_unknown_parameters(request.query_params, ())
        with translation.override(SCHEMA_LANGUAGE):
            response = self._get_schema_response(request)
        # Said here: LocaleMiddleware would otherwise name the request's language.
        response["Content-Language"] = SCHEMA_LANGUAGE
        return response

    def handle_exception(self, exc):
        """An error is JSON, as everywhere under /api/, not a YAML document."""
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)
