"""mapping.submission_attributes: OSM words in, Camera fields out; bad words refused by key."""

from __future__ import annotations

import pytest

from mapping.submission_attributes import (
    AttributesInvalid,
    attributes_as_tags,
    implied_capabilities,
    normalise_attributes,
)
from mapping.submissions import plausibility_warnings


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        ({"camera:type": "Dome"}, {"camera_type": "dome"}),
        ({"camera_type": "fixed"}, {"camera_type": "fixed"}),
        ({"surveillance:type": "ANPR"}, {"surveillance_type": "alpr"}),
        ({"surveillance": "PUBLIC"}, {"surveillance": "public"}),
        ({"camera:direction": "NE;180"}, {"directions": [45.0, 180.0]}),
        ({"directions": [90, "W"]}, {"directions": [90.0, 270.0]}),
        ({"direction": 360}, {"directions": [0.0]}),
        ({"height": "4.5 m"}, {"height": 4.5}),
        ({"height": 3}, {"height": 3.0}),
        ({"height": "10 ft"}, {"height": 3.048}),
        ({"camera:angle": "20"}, {"tilt": 20.0}),
        ({"tilt": -10}, {"tilt": -10.0}),
        ({"camera:mount": "Wall"}, {"mount": "wall"}),
        ({"surveillance:zone": "town"}, {"zone": "town"}),
        ({"operator": "  Ville   de Paris "}, {"operator": "Ville   de Paris"}),
        ({"manufacturer": "Axis"}, {"vendor": "Axis"}),
        ({"vendor": "Hikvision"}, {"vendor": "Hikvision"}),
        (
            {"capabilities": ["face_recognition", "vsa"]},
            {"capabilities": ["face_recognition", "vsa"]},
        ),
        (
            {"surveillance:capabilities": "facial recognition"},
            {"capabilities": ["face_recognition"]},
        ),
        ({"surveillance:face_recognition": True}, {"capabilities": ["face_recognition"]}),
        ({"camera:type": "", "height": None}, {}),
        ({}, {}),
        (None, {}),
    ],
)
def test_attributes_are_normalised_to_camera_fields(raw, fields):
    assert normalise_attributes(raw) == fields


def test_only_the_fields_spoken_about_are_returned():
    # The OSM normaliser defaults an untyped node to a camera; a change must not do that.
    assert "surveillance_type" not in normalise_attributes({"height": "5"})


@pytest.mark.parametrize(
    ("raw", "key", "message"),
    [
        ({"colour": "grey"}, "colour", "unknown attribute"),
        ({"camera:type": "round"}, "camera:type", "one of fixed, dome, panning"),
        ({"surveillance:type": "drone"}, "surveillance:type", "one of camera, guard"),
        ({"camera:direction": "up"}, "camera:direction", "degrees clockwise from north"),
        ({"directions": list(range(9))}, "directions", "at most 8 directions"),
        ({"height": "tall"}, "height", "metres above the ground"),
        ({"height": 301}, "height", "at most 300"),
        ({"height": 0}, "height", "metres above the ground"),
        ({"camera:angle": "120"}, "camera:angle", "-90 to 90"),
        ({"capabilities": "mind_reading"}, "capabilities", "face_recognition, vsa"),
        ({"operator": "x" * 256}, "operator", "at most 255 characters"),
        ({"camera:mount": {"on": "wall"}}, "camera:mount", "must be text"),
        ({"direction": "N", "camera:direction": "S"}, "camera:direction", "given twice"),
        ({"operator": "a\x00b"}, "operator", "must not contain NUL"),
    ],
)
def test_unreadable_attributes_are_refused_naming_the_key(raw, key, message):
    with pytest.raises(AttributesInvalid) as refused:
        normalise_attributes(raw)
    assert key in refused.value.errors
    assert message in refused.value.errors[key]


def test_every_bad_key_is_reported_at_once():
    with pytest.raises(AttributesInvalid) as refused:
        normalise_attributes({"camera:type": "round", "height": "tall", "colour": "grey"})
    assert set(refused.value.errors) == {"camera:type", "height", "colour"}


def test_a_list_instead_of_an_object_is_refused():
    with pytest.raises(AttributesInvalid, match="must be an object"):
        normalise_attributes(["dome"])


def test_fields_are_written_back_as_osm_tags():
    fields = normalise_attributes(
        {
            "surveillance:type": "ALPR",
            "camera:direction": "90;225",
            "height": "4",
            "camera:mount": "pole",
            "capabilities": "vsa",
        }
    )
    assert attributes_as_tags(fields) == {
        "man_made": "surveillance",
        "surveillance:type": "ALPR",
        "camera:mount": "pole",
        "camera:direction": "90;225",
        "height": "4",
        "surveillance:capabilities": "vsa;alpr",  # an ALPR reads plates
    }
    # ... and read back to the same fields.
    tags = attributes_as_tags(fields)
    del tags["man_made"]
    assert normalise_attributes(tags) == fields


@pytest.mark.parametrize(
    ("fields", "implied"),
    [
        ({"surveillance_type": "alpr"}, ["alpr"]),
        ({"camera_type": "panning"}, ["ptz"]),
        ({"surveillance_type": "camera", "camera_type": "dome"}, []),
    ],
)
def test_types_imply_capabilities(fields, implied):
    assert implied_capabilities(fields) == implied


@pytest.mark.parametrize(
    ("fields", "codes"),
    [
        ({"camera_type": "fixed"}, ["fixed_without_direction"]),
        ({"camera_type": "fixed", "directions": [10.0]}, []),
        ({"height": 1.0}, ["height_out_of_range"]),
        ({"height": 31.0}, ["height_out_of_range"]),
        ({"height": 1.5}, []),
        (
            {"camera_type": "fixed", "height": 100.0},
            ["fixed_without_direction", "height_out_of_range"],
        ),
        ({}, []),
    ],
)
def test_plausibility_warnings_from_attributes_alone(fields, codes):
    assert [warning["code"] for warning in plausibility_warnings(fields)] == codes
