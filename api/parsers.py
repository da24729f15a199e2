"""The JSON body parser of the API: a body nested too deep to read is a 400, not a 500."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser


class JSONBodyParser(JSONParser):
    """DRF's JSONParser, which turns only ValueError into a ParseError.

    Python's JSON decoder recurses once per nested array or object: a 60 kB body of
    brackets raised RecursionError, answered with Django's HTML 500 page.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("JSON parse error - nested too deep to read")) from None
