from __future__ import annotations

import pytest

from mapping.bbox import BBox, BBoxError, parse_bbox, split_into_tiles


def test_a_well_formed_box_is_parsed_in_geojson_order():
    box = parse_bbox("24.9, 60.16, 24.96,60.18")
    assert box == BBox(24.9, 60.16, 24.96, 60.18)
    assert box.overpass() == "60.16,24.9,60.18,24.96"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,3", "four numbers"),
        ("a,b,c,d", "number"),
        ("60.18,24.9,60.16,24.96", "latitude first"),
        ("24.96,60.16,24.9,60.18", "MINLON"),
        ("24.9,60.18,24.96,60.16", "MINLAT"),
        ("-181,0,1,1", "outside -180..180"),
        ("0,-91,1,1", "outside -90..90"),
        ("0,0,nan,1", "finite"),
    ],
)
def test_bad_boxes_are_refused_with_a_message_naming_the_problem(text, message):
    with pytest.raises(BBoxError, match=message):
        parse_bbox(text)


def test_box_larger_than_allowed_is_refused():
    with pytest.raises(BBoxError, match="square degrees"):
        parse_bbox("0,0,30,30", max_area_deg2=100)


def test_tiles_cover_the_box_exactly():
    box = BBox(24.0, 60.0, 24.55, 60.2)
    tiles = split_into_tiles(box, 0.25)
    assert len(tiles) == 3  # 3 columns x 1 row
    assert tiles[0].min_lon == 24.0
    assert tiles[-1].max_lon == 24.55
    assert sum(tile.area_deg2 for tile in tiles) == pytest.approx(box.area_deg2)


def test_small_box_is_one_tile():
    box = BBox(1, 1, 1.1, 1.1)
    assert split_into_tiles(box, 0.25) == [box]
