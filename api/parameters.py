"""Query parameters an endpoint does not know are refused, not ignored.

A researcher who writes `capabilities=face_recognition` (the name of the feature
property) instead of the filter `capability=face_recognition` would otherwise get every
camera of the box, and could export them believing them filtered. The 400 names the
parameter, suggests the known name it resembles and lists the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches

from rest_framework import exceptions
from rest_framework.settings import api_settings


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
        hint = f"did you mean {close[0]}? " if close else ""
        errors[name] = [f"unknown parameter; {hint}known: {listed}"]
    raise exceptions.ValidationError(errors)
