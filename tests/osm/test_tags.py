"""The pure tag normaliser: every form the issue lists, and never a value the database refuses."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.models import CameraType, Capability, Surveillance, SurveillanceType
from mapping.osm.tags import (
    CAPABILITIES,
    CAPABILITY_FLAG_KEYS,
    CAPABILITY_LIST_KEYS,
    CHECK_DATE_KEYS,
    DIRECTION_KEYS,
    HEIGHT_KEYS,
    clockwise_middle,
    normalise_camera_tags,
)


def camera(**tags) -> dict:
    """Tags with ':' cannot be keyword arguments: write them with '__' instead."""
    return {"man_made": "surveillance", **{k.replace("__", ":"): v for k, v in tags.items()}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("90", (90.0,)),
        ("90.5", (90.5,)),
        ("0", (0.0,)),
        ("360", (0.0,)),
        ("-45", (315.0,)),
        ("90°", (90.0,)),
        (" 135 ", (135.0,)),
        ("N", (0.0,)),
        ("NNE", (22.5,)),
        ("ne", (45.0,)),
        ("ENE", (67.5,)),
        ("SSW", (202.5,)),
        ("W", (270.0,)),
        ("NNW", (337.5,)),
        ("north", (0.0,)),
        ("90-270", (180.0,)),  # a sweep clockwise through south: its middle
        ("270-90", (0.0,)),  # clockwise through north
        ("E-W", (180.0,)),
        ("W-E", (0.0,)),
        ("350-10", (0.0,)),
        ("0-360", (180.0,)),  # equal ends: a full turn
        ("90;180", (90.0, 180.0)),  # two cameras on one node
        ("N;S;E", (0.0, 180.0, 90.0)),
        ("10-50;200", (30.0, 200.0)),
        ("45;", (45.0,)),
    ],
)
def test_direction_forms_become_degrees_clockwise_from_north(value, expected):
    result = normalise_camera_tags(camera(camera__direction=value))
    assert result.directions == pytest.approx(expected)
    assert result.unparsed == ()


@pytest.mark.parametrize("value", ["400", "forward", "", "90;abc", "N-up", "1e3", "12,5;x"])
def test_unreadable_direction_is_counted_and_left_empty(value):
    result = normalise_camera_tags(camera(camera__direction=value))
    assert result.directions == ()
    assert result.unparsed == ("camera:direction",)


@pytest.mark.parametrize("key", DIRECTION_KEYS)
def test_each_direction_key_is_read(key):
    assert normalise_camera_tags(camera(**{key.replace(":", "__"): "SE"})).directions == (135.0,)


def test_camera_direction_wins_over_the_other_direction_keys():
    tags = camera(camera__direction="10", surveillance__direction="20", direction="30")
    assert normalise_camera_tags(tags).directions == (10.0,)


def test_an_unreadable_direction_key_falls_back_to_the_next_one():
    result = normalise_camera_tags(camera(camera__direction="fwd", direction="W"))
    assert result.directions == (270.0,)
    assert result.unparsed == ("camera:direction",)


@pytest.mark.parametrize(("start", "end", "middle"), [(90, 270, 180), (270, 90, 0), (300, 0, 330)])
def test_clockwise_middle_goes_clockwise(start, end, middle):
    assert clockwise_middle(start, end) == pytest.approx(middle)


@pytest.mark.parametrize(
    ("value", "metres"),
    [
        ("5", 5.0),
        ("5 m", 5.0),
        ("5m", 5.0),
        ("5.5 m", 5.5),
        ("5,5", 5.5),
        ("4 metres", 4.0),
        ("16 ft", 4.877),
        ("16'", 4.877),
        ("10 feet", 3.048),
        ("300", 300.0),
    ],
)
def test_height_with_units_becomes_metres(value, metres):
    result = normalise_camera_tags(camera(height=value))
    assert result.height == pytest.approx(metres, abs=0.001)
    assert result.unparsed == ()


@pytest.mark.parametrize("value", ["0", "301", "-3", "tall", "5 km", ""])
def test_implausible_or_unreadable_height_is_counted(value):
    result = normalise_camera_tags(camera(height=value))
    assert result.height is None
    assert result.unparsed == ("height",)


@pytest.mark.parametrize("key", HEIGHT_KEYS)
def test_each_height_key_is_read(key):
    assert normalise_camera_tags(camera(**{key.replace(":", "__"): "7"})).height == 7.0


@pytest.mark.parametrize(
    ("tags", "tilt", "unparsed"),
    [
        ({"camera:angle": "30"}, 30.0, ()),  # degrees below the horizontal
        ({"camera:tilt": "-25"}, 25.0, ()),  # the wiki's sign: negative looks down
        ({"camera:tilt": "10"}, -10.0, ()),
        ({"camera:tilt": "0"}, 0.0, ()),
        ({"camera:tilt": "-90-20"}, 35.0, ()),  # a remotely tilted camera: the middle
        ({"camera:angle": "45", "camera:tilt": "-10"}, 45.0, ()),
        ({"camera:angle": "steep", "camera:tilt": "-20"}, 20.0, ("camera:angle",)),
        ({"camera:angle": "95"}, None, ("camera:angle",)),
        ({"camera:tilt": "down"}, None, ("camera:tilt",)),
    ],
)
def test_tilt_from_camera_angle_and_camera_tilt_with_opposite_signs(tags, tilt, unparsed):
    result = normalise_camera_tags(camera(**{k.replace(":", "__"): v for k, v in tags.items()}))
    assert result.tilt == tilt
    assert str(result.tilt) != "-0.0"
    assert result.unparsed == unparsed


@pytest.mark.parametrize(
    ("tags", "kind", "capabilities", "unparsed"),
    [
        ({}, "camera", (), ()),  # untagged type: a camera, as the wiki says it mostly is
        ({"surveillance:type": "camera"}, "camera", (), ()),
        ({"surveillance:type": "guard"}, "guard", (), ()),
        ({"surveillance:type": "ALPR"}, "alpr", ("alpr",), ()),
        ({"surveillance:type": "ANPR"}, "alpr", ("alpr",), ()),  # the British alias
        ({"surveillance:type": "gunshot_detector"}, "gunshot_detector", (), ()),
        ({"surveillance:type": "radar"}, "", (), ("surveillance:type",)),
    ],
)
def test_surveillance_type(tags, kind, capabilities, unparsed):
    result = normalise_camera_tags(camera(**{k.replace(":", "__"): v for k, v in tags.items()}))
    assert (result.surveillance_type, result.capabilities, result.unparsed) == (
        kind,
        capabilities,
        unparsed,
    )


@pytest.mark.parametrize(
    ("value", "expected", "unparsed"),
    [
        ("public", "public", ()),
        ("Outdoor", "outdoor", ()),
        ("indoor", "indoor", ()),
        ("yes", "", ("surveillance",)),
        ("private", "", ("surveillance",)),
    ],
)
def test_surveillance_context(value, expected, unparsed):
    result = normalise_camera_tags(camera(surveillance=value))
    assert (result.surveillance, result.unparsed) == (expected, unparsed)


@pytest.mark.parametrize(
    ("value", "camera_type", "capabilities", "unparsed"),
    [
        ("fixed", "fixed", (), ()),
        ("Dome", "dome", (), ()),
        ("panning", "panning", ("ptz",), ()),
        ("ptz", "panning", ("ptz",), ()),
        ("bullet", "fixed", (), ()),
        ("panorama", "dome", (), ()),
        ("weird", "", (), ("camera:type",)),
    ],
)
def test_camera_type(value, camera_type, capabilities, unparsed):
    result = normalise_camera_tags(camera(camera__type=value))
    assert (result.camera_type, result.capabilities, result.unparsed) == (
        camera_type,
        capabilities,
        unparsed,
    )


@pytest.mark.parametrize(
    ("tags", "capabilities", "unparsed"),
    [
        ({"surveillance:capabilities": "face_recognition;ALPR"}, ("face_recognition", "alpr"), ()),
        ({"camera:features": "thermal; audio"}, ("audio", "thermal"), ()),
        ({"camera:features": "facial recognition"}, ("face_recognition",), ()),
        ({"surveillance:features": "video_analytics"}, ("vsa",), ()),
        ({"surveillance:face_recognition": "yes"}, ("face_recognition",), ()),
        ({"surveillance:vsa": "yes", "camera:audio": "no"}, ("vsa",), ()),
        ({"surveillance:ALPR": "yes"}, ("alpr",), ()),
        ({"camera:thermal": "yes"}, ("thermal",), ()),
        ({"revolving": "yes"}, ("ptz",), ()),
        ({"camera:features": "zoom;audio"}, ("audio",), ("camera:features",)),
        ({"surveillance:vsa": "maybe"}, (), ("surveillance:vsa",)),
    ],
)
def test_capabilities_from_lists_flags_and_type(tags, capabilities, unparsed):
    result = normalise_camera_tags(camera(**{k.replace(":", "__"): v for k, v in tags.items()}))
    assert (result.capabilities, result.unparsed) == (capabilities, unparsed)


def test_capability_names_are_the_models():
    assert tuple(Capability.values) == CAPABILITIES


@pytest.mark.parametrize(
    ("tags", "expected", "unparsed"),
    [
        ({"check_date": "2023-05-01"}, date(2023, 5, 1), ()),
        ({"check_date": "2023-05"}, date(2023, 5, 1), ()),
        ({"check_date": "2023"}, date(2023, 1, 1), ()),
        ({"survey:date": "2021-11-30"}, date(2021, 11, 30), ()),
        ({"check_date": "2024-01-02", "survey:date": "2020-01-01"}, date(2024, 1, 2), ()),
        ({"check_date": "yesterday"}, None, ("check_date",)),
        ({"check_date": "2023-02-30"}, None, ("check_date",)),
    ],
)
def test_check_date(tags, expected, unparsed):
    result = normalise_camera_tags(camera(**{k.replace(":", "__"): v for k, v in tags.items()}))
    assert (result.check_date, result.unparsed) == (expected, unparsed)


@pytest.mark.parametrize(
    ("tags", "vendor"),
    [
        ({"manufacturer": "Axis", "brand": "B", "surveillance:brand": "C"}, "Axis"),
        ({"brand": "Hikvision", "surveillance:brand": "C"}, "Hikvision"),
        ({"surveillance:brand": "Dahua"}, "Dahua"),
    ],
)
def test_vendor_from_manufacturer_brand_or_surveillance_brand(tags, vendor):
    result = normalise_camera_tags(camera(**{k.replace(":", "__"): v for k, v in tags.items()}))
    assert result.vendor == vendor


def test_text_fields_are_copied_and_trimmed():
    tags = camera(
        operator=" Helsingin kaupunki ",
        operator__type="Government",
        name="x" * 300,
        ref="CAM-7",
        FIXME="position?",
        surveillance__zone="Traffic",
        camera__mount="Pole",
    )
    result = normalise_camera_tags(tags)
    assert result.operator == "Helsingin kaupunki"
    assert result.operator_type == "government"
    assert result.name == "x" * 255  # the column's length; the raw tag keeps all of it
    assert (result.ref, result.fixme, result.zone, result.mount) == (
        "CAM-7",
        "position?",
        "traffic",
        "pole",
    )


def test_several_unreadable_values_are_all_listed():
    tags = camera(height="tall", camera__direction="up", check_date="soon", camera__type="x")
    assert sorted(normalise_camera_tags(tags).unparsed) == sorted(
        ["height", "camera:direction", "check_date", "camera:type"]
    )


KEYS = sorted(
    {
        *DIRECTION_KEYS,
        *HEIGHT_KEYS,
        *CHECK_DATE_KEYS,
        *CAPABILITY_LIST_KEYS,
        *CAPABILITY_FLAG_KEYS,
        "camera:angle",
        "camera:tilt",
        "camera:type",
        "surveillance",
        "surveillance:type",
        "surveillance:zone",
        "camera:mount",
        "operator",
        "name",
    }
)
VALUES = st.one_of(
    st.text(max_size=12),
    st.from_regex(r"-?\d{1,4}(\.\d{1,3})?( ?(m|ft|°))?", fullmatch=True),
    st.from_regex(r"-?\d{1,3}-\d{1,3}(;-?\d{1,3})?", fullmatch=True),
    st.sampled_from(["N", "ssw", "yes", "no", "ALPR", "dome", "face_recognition;vsa"]),
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8))
def test_any_tags_give_values_the_database_constraints_accept(tags):
    result = normalise_camera_tags(tags)
    assert all(0 <= d < 360 for d in result.directions)
    assert result.tilt is None or -90 <= result.tilt <= 90
    assert result.height is None or 0 < result.height <= 300
    assert set(result.capabilities) <= set(Capability.values)
    assert result.surveillance in [*Surveillance.values, ""]
    assert result.surveillance_type in [*SurveillanceType.values, ""]
    assert result.camera_type in [*CameraType.values, ""]
    assert len(result.zone) <= 64 and len(result.mount) <= 32
    assert set(result.unparsed) <= set(tags)
