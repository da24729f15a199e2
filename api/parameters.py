"""Query parameters an endpoint does not know are refused, not ignored.

A researcher who writes `capabilities=face_recognition` (the name of the feature
property) instead of the filter `capability=face_recognition` would otherwise get every
camera of the box, and could export them believing them filtered. The 400 names the
parameter, suggests the known name it resembles and lists the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches

from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.settings import api_settings

from api.errors import API_PREFIX, field_errors_body

# Ids are PostgreSQL bigints; a larger number cannot name anything.
MAX_ID = 2**63 - 1
# Larger than any bigint id and any page: what a longer run of digits stands for.
BEYOND_ANY_NUMBER = 10**19


def whole_number(raw: str) -> int | None:
    """The number written in ASCII digits only, else None.

    int() also takes "1_0", " 3", "+3" and other scripts' digits ("\u0663" is 3): no
    client means those as an id or a page, and /api/cameras/1_0/ answered camera 10.
    A run of more than 19 digits (int() refuses past 4,300) stands for BEYOND_ANY_NUMBER,
    so it is a number too large rather than no number at all.
    """
    if not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw) if len(raw) <= 19 else BEYOND_ANY_NUMBER


def refuse_unknown_parameters(query_params, known: Iterable[str]) -> None:
    """Raise a 400 naming each query parameter that is neither known nor `format`."""
    accepted = sorted({*known, api_settings.URL_FORMAT_OVERRIDE})
    unknown = [name for name in query_params if name not in accepted]
    if not unknown:
        return
    listed = ", ".join(accepted)
    errors = {}
    for name in unknown:
        close = get_close_matches(name, accepted, n=1)
        if close:
            message = _("unknown parameter; did you mean %(close)s? known: %(known)s") % {
                "close": close[0],
                "known": listed,
            }
        else:
            message = _("unknown parameter; known: %(known)s") % {"known": listed}
        errors[name] = [message]
    raise exceptions.ValidationError(errors)


class RepeatedParametersRefused:
    """Middleware: on an API path, a query parameter given more than once is a 400.

    Every endpoint reads one value of a parameter (QueryDict.get: the last), so
    `status=active&status=removed` answered `status=removed` without a word; and the
    response cache, which files an answer under the sorted parameters, then served that
    answer to `status=removed&status=active`. Refused here, before the cache and every
    view. Several values of a filter go in one parameter, comma-separated.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX):
            repeated = {
                name: [
                    _(
                        "given %(n)s times; give it once (several values of a filter: "
                        "one parameter, comma-separated)"
                    )
                    % {"n": len(values)}
                ]
                for name, values in request.GET.lists()
                if len(values) > 1
            }
            if repeated:
                return JsonResponse(field_errors_body(repeated), status=400)
        return self.get_response(request)
