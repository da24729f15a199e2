"""What a resident says about a camera, in OpenStreetMap's words, turned into Camera fields.

Residents (and the map's form) describe a camera with OSM tag keys and values
(``camera:type=dome``, ``camera:direction=NE;180``, ``height=4 m``), so that what
they learn on the OSM wiki works here and an approved camera can be written back
as tags. The Camera field names (``camera_type``, ``directions``...) are accepted
as aliases, and JSON lists/numbers as values. Values are read by the importer's
normaliser (mapping.osm.tags), so a submission and an import mean the same thing
by the same tag. Unlike the import, which counts and skips a value it cannot
read, a submission with an unreadable value is refused with a message naming the
key: the person is still there to correct it.

Only the fields the resident spoke about are returned: a change that gives a
height does not reset the camera's type.

Pure functions only: no database, no Django settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mapping.osm import tags as osm_tags

CAPABILITY_KEYS = (*osm_tags.CAPABILITY_LIST_KEYS, *osm_tags.CAPABILITY_FLAG_KEYS)

# OSM key -> the Camera field it describes.
KEY_FIELD: dict[str, str] = {
    "surveillance": "surveillance",
    "surveillance:type": "surveillance_type",
    "surveillance:zone": "zone",
    "camera:type": "camera_type",
    "camera:mount": "mount",
    **dict.fromkeys(osm_tags.DIRECTION_KEYS, "directions"),
    **dict.fromkeys(osm_tags.HEIGHT_KEYS, "height"),
    "camera:angle": "tilt",
    "camera:tilt": "tilt",
    "operator": "operator",
    "operator:type": "operator_type",
    **dict.fromkeys(CAPABILITY_KEYS, "capabilities"),
    **dict.fromkeys(osm_tags.VENDOR_KEYS, "vendor"),
}
# Camera field names accepted as keys, and the OSM key each stands for.
FIELD_ALIASES = {
    "surveillance_type": "surveillance:type",
    "zone": "surveillance:zone",
    "camera_type": "camera:type",
    "mount": "camera:mount",
    "directions": "camera:direction",
    "tilt": "camera:angle",
    "operator_type": "operator:type",
    "capabilities": "surveillance:capabilities",
    "vendor": "manufacturer",
}
# Where each field is written back as a tag (community cameras' Camera.tags).
FIELD_TAG = {
    "surveillance": "surveillance",
    "surveillance_type": "surveillance:type",
    "zone": "surveillance:zone",
    "camera_type": "camera:type",
    "mount": "camera:mount",
    "directions": "camera:direction",
    "height": "height",
    "tilt": "camera:angle",
    "operator": "operator",
    "operator_type": "operator:type",
    "capabilities": "surveillance:capabilities",
    "vendor": "manufacturer",
}
MAX_TEXT_LENGTHS = {"zone": 64, "mount": 32, "operator": 255, "operator_type": 64, "vendor": 255}
MAX_DIRECTIONS = 8

# In the request's language when read (the map's form shows them beside the field).
FIELD_HELP = {
    "surveillance": gettext_lazy("one of public, outdoor, indoor"),
    "surveillance_type": gettext_lazy("one of camera, guard, ALPR (or ANPR), gunshot_detector"),
    "camera_type": gettext_lazy("one of fixed, dome, panning"),
    "directions": gettext_lazy(
        "degrees clockwise from north (0-360) or N, NE, ...; several separated by ;"
    ),
    "height": gettext_lazy("metres above the ground, e.g. 4 or 4.5 m (at most 300)"),
    "tilt": gettext_lazy("degrees below the horizontal, -90 to 90"),
    "capabilities": gettext_lazy(
        "known capabilities: face_recognition, vsa, alpr, audio, thermal, ptz"
    ),
}


class AttributesInvalid(ValueError):
    """One message per offending key, for a field-level JSON error."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
        self.errors = errors


def _as_tag_value(value: Any) -> str:
    """JSON values as OSM would write them: lists joined by ';', booleans yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ";".join(_as_tag_value(item) for item in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).strip()


def _osm_key(raw_key: Any) -> str | None:
    key = str(raw_key).strip()
    if key in KEY_FIELD:
        return key
    lowered = key.lower()
    if lowered in FIELD_ALIASES:
        return FIELD_ALIASES[lowered]
    # Flag keys such as surveillance:ALPR keep their case; others match case-insensitively.
    return next((known for known in KEY_FIELD if known.lower() == lowered), None)


def as_osm_tags(raw: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(tags, errors, sent_as): the attributes as OSM tags, the keys refused, and for each
    tag the key the sender used (so messages name what they wrote)."""
    tags: dict[str, str] = {}
    sent_as: dict[str, str] = {}
    errors: dict[str, str] = {}
    field_given_by: dict[str, str] = {}
    for raw_key, value in raw.items():
        key = _osm_key(raw_key)
        if key is None:
            errors[str(raw_key)] = _(
                "unknown attribute; accepted keys: %(keys)s (or the Camera field names)"
            ) % {"keys": ", ".join(FIELD_TAG.values())}
            continue
        if isinstance(value, dict):
            errors[str(raw_key)] = _("must be text, a number or a list")
            continue
        text = _as_tag_value(value) if value is not None else ""
        if text == "":
            continue  # empty means "not said"
        if "\x00" in text:  # PostgreSQL text (and JSONB) cannot hold NUL
            errors[str(raw_key)] = _("must not contain NUL characters")
            continue
        field = KEY_FIELD[key]
        if field in field_given_by and field != "capabilities":
            errors[str(raw_key)] = _("given twice (also as %(key)s)") % {
                "key": field_given_by[field]
            }
            continue
        field_given_by[field] = str(raw_key)
        tags[key] = text
        sent_as[key] = str(raw_key)
    return tags, errors, sent_as


def _given_fields(tags: Iterable[str]) -> list[str]:
    given = {KEY_FIELD[key] for key in tags}
    return [field for field in FIELD_TAG if field in given]


def normalise_attributes(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Camera fields from OSM-style attributes; raise AttributesInvalid naming every bad key."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise AttributesInvalid(
            {"attributes": _('must be an object of OSM tags, e.g. {"camera:type": "dome"}')}
        )
    tags, errors, sent_as = as_osm_tags(raw)
    key_of_field = {KEY_FIELD[key]: key for key in tags}
    for field, max_length in MAX_TEXT_LENGTHS.items():
        if field in key_of_field and len(tags[key_of_field[field]]) > max_length:
            errors[sent_as[key_of_field[field]]] = _("at most %(n)s characters") % {"n": max_length}
    if len(tags.get(key_of_field.get("directions", ""), "").split(";")) > MAX_DIRECTIONS:
        errors[sent_as[key_of_field["directions"]]] = _("at most %(n)s directions") % {
            "n": MAX_DIRECTIONS
        }
    normalised = osm_tags.normalise_camera_tags(tags)
    for key in normalised.unparsed:
        help_text = FIELD_HELP.get(KEY_FIELD.get(key, ""), _("unreadable value"))
        errors.setdefault(
            sent_as.get(key, key),
            _("'%(value)s' is not accepted: %(help)s")
            % {"value": tags.get(key, ""), "help": help_text},
        )
    if errors:
        raise AttributesInvalid(errors)
    fields = {}
    for field in _given_fields(tags):
        value = getattr(normalised, field)
        fields[field] = list(value) if isinstance(value, tuple) else value
    return fields


def implied_capabilities(fields: Mapping[str, Any]) -> list[str]:
    """Capabilities a camera's type says it has (an ALPR reads plates, a panning camera pans)."""
    implied = []
    if fields.get("surveillance_type") == "alpr":
        implied.append("alpr")
    if fields.get("camera_type") == "panning":
        implied.append("ptz")
    return implied


def attributes_as_tags(fields: Mapping[str, Any]) -> dict[str, str]:
    """OSM tags for normalised Camera fields (what a community camera would be in OSM)."""
    tags = {"man_made": "surveillance"}
    for field, value in fields.items():
        if field not in FIELD_TAG or value in ("", [], (), None):
            continue
        # OSM writes the type in capitals (surveillance:type=ALPR).
        alpr = field == "surveillance_type" and value == "alpr"
        tags[FIELD_TAG[field]] = "ALPR" if alpr else _as_tag_value(value)
    return tags
