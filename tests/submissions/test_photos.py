"""mapping.photos: what a photo keeps (pixels, upright) and what it loses (every metadata)."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageOps, TiffImagePlugin

from mapping import photos
from mapping.photos import PhotoError, gps_position, read_photo, read_photos
from tests.submissions import images

PHONE_FORMATS = {
    "jpeg": images.phone_jpeg,
    "png": images.phone_png,
    "webp": images.phone_webp,
}
if photos.HEIF_FORMATS:
    PHONE_FORMATS["heic"] = images.phone_heic


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_no_metadata(data: bytes) -> None:
    image = reopen(data)
    assert image.format == "JPEG"
    leaked = [key for key in images.METADATA_INFO_KEYS if key in image.info]
    assert leaked == []
    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(0x8825) == {}
    for marker in (b"Exif", b"SpyPhone", b"X-1000", b"xmpmeta", images.COMMENT, b"ICC_PROFILE"):
        assert marker not in data


def is_blue(pixel) -> bool:
    red, _green, blue = pixel
    return blue > 150 and red < 100


@pytest.mark.parametrize("make", PHONE_FORMATS.values(), ids=PHONE_FORMATS.keys())
def test_every_accepted_format_comes_out_as_a_jpeg_without_metadata(make):
    processed = read_photo(io.BytesIO(make()))
    assert_no_metadata(processed.image_bytes)
    assert_no_metadata(processed.thumbnail_bytes)


@pytest.mark.parametrize("make", PHONE_FORMATS.values(), ids=PHONE_FORMATS.keys())
def test_the_gps_position_is_read_for_the_suggestion(make):
    processed = read_photo(io.BytesIO(make()))
    lon, lat = processed.gps_lon_lat
    assert lon == pytest.approx(images.GPS_LON_LAT[0], abs=1e-6)
    assert lat == pytest.approx(images.GPS_LON_LAT[1], abs=1e-6)


def test_orientation_6_is_applied_to_the_pixels():
    # Stored 120x80 with blue in the top-left; orientation 6 means "rotate 90 degrees
    # clockwise to display": upright it is 80x120 with the blue block top-right.
    processed = read_photo(io.BytesIO(images.phone_jpeg(size=(120, 80), orientation=6)))
    upright = reopen(processed.image_bytes).convert("RGB")
    assert upright.size == (80, 120) == (processed.width, processed.height)
    assert is_blue(upright.getpixel((75, 5)))
    assert not is_blue(upright.getpixel((5, 5)))
    assert not is_blue(upright.getpixel((75, 115)))


def test_a_photo_without_orientation_keeps_its_layout():
    processed = read_photo(io.BytesIO(images.phone_jpeg(orientation=1, gps=False)))
    upright = reopen(processed.image_bytes).convert("RGB")
    assert upright.size == (120, 80)
    assert is_blue(upright.getpixel((5, 5)))
    assert processed.gps_lon_lat is None


def test_large_photos_are_downscaled_and_get_a_small_thumbnail(settings):
    settings.PHOTO_MAX_SIDE_PX = 200
    settings.PHOTO_THUMBNAIL_SIDE_PX = 50
    processed = read_photo(io.BytesIO(images.encode(images.asymmetric((1000, 400)), "PNG")))
    assert (processed.width, processed.height) == (200, 80)
    assert reopen(processed.image_bytes).size == (200, 80)
    assert reopen(processed.thumbnail_bytes).size == (50, 20)


def test_transparent_png_is_flattened_on_white():
    image = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    image.paste((20, 20, 220, 255), (0, 0, 20, 40))
    processed = read_photo(io.BytesIO(images.encode(image, "PNG")))
    flat = reopen(processed.image_bytes).convert("RGB")
    assert is_blue(flat.getpixel((5, 20)))
    assert min(flat.getpixel((35, 20))) > 240


def test_polyglot_payload_is_gone_after_re_encoding():
    """Choice: a JPEG with a ZIP and HTML appended is accepted but neutralised."""
    data = images.polyglot_jpeg()
    assert b"POLYGLOT-HTML" in data and b"PK\x03\x04" in data
    processed = read_photo(io.BytesIO(data))
    for stored in (processed.image_bytes, processed.thumbnail_bytes):
        assert b"POLYGLOT" not in stored
        assert b"PK\x03\x04" not in stored
        assert b"<script" not in stored
        assert stored.endswith(b"\xff\xd9")  # nothing after the JPEG end marker


HOSTILE = {
    "text with an image name": (b"just some text, not a picture\n" * 10, "not a JPEG, PNG"),
    "svg": (images.SVG, "not a JPEG, PNG"),
    "gif": (images.encode(images.asymmetric(), "GIF"), "not a JPEG, PNG"),
    "truncated jpeg": (images.truncated_jpeg(), "damaged or incomplete"),
    "decompression bomb": (images.decompression_bomb(), "more than 40 million pixels"),
    "empty": (b"", "empty"),
}


@pytest.mark.parametrize(("data", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_files_are_refused_with_a_message(data, message):
    with pytest.raises(PhotoError, match=message):
        read_photo(io.BytesIO(data))


def test_a_bomb_is_refused_before_its_pixels_are_decoded(settings):
    settings.PHOTO_MAX_PIXELS = 1000
    data = images.encode(images.asymmetric((50, 50)), "PNG")
    with pytest.raises(PhotoError, match=r"more than 0\.001 million pixels"):
        read_photo(io.BytesIO(data))


def test_a_file_over_the_byte_limit_is_refused(settings):
    settings.PHOTO_MAX_BYTES = 1024 * 1024
    data = images.encode(Image.effect_noise((1200, 1200), 80).convert("RGB"), "PNG")
    assert len(data) > settings.PHOTO_MAX_BYTES
    with pytest.raises(PhotoError, match="larger than 1 MB"):
        read_photo(io.BytesIO(data))


def test_read_photos_names_the_bad_one_and_limits_the_count(settings):
    good = images.upload(images.phone_jpeg())
    bad = images.upload(images.SVG, name="innocent.jpg")
    with pytest.raises(PhotoError, match=r"photo 2 \(innocent\.jpg\): this is not"):
        read_photos([good, bad])
    settings.PHOTO_MAX_COUNT = 2
    with pytest.raises(PhotoError, match="at most 2 photos"):
        read_photos([images.upload(images.phone_jpeg()) for _ in range(3)])


def rational(value: float) -> TiffImagePlugin.IFDRational:
    return TiffImagePlugin.IFDRational(value)


@pytest.mark.parametrize(
    ("gps", "expected"),
    [
        ({1: "N", 2: (60.0, 10.0, 10.0), 3: "E", 4: (24.0, 57.0, 9.0)}, (24.9525, 60.1694444)),
        ({1: "S", 2: (33.0, 52.0, 0.0), 3: "W", 4: (70.0, 30.0, 0.0)}, (-70.5, -33.8666667)),
        ({2: (rational(48.8566),), 4: (rational(2.3522),)}, (2.3522, 48.8566)),
        ({1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)}, None),  # no fix
        ({1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (24.0, 0.0, 0.0)}, None),  # impossible
        ({1: "N", 2: (60.0, TiffImagePlugin.IFDRational(1, 0), 0.0), 4: (24.0, 0.0, 0.0)}, None),
        ({1: "N", 2: "garbage", 4: (24.0, 0.0, 0.0)}, None),
        ({1: "N", 2: (60.0, 0.0, 0.0)}, None),  # no longitude
        ({}, None),
    ],
)
def test_gps_position_reads_exif_degrees_minutes_seconds(gps, expected):
    position = gps_position(gps)
    if expected is None:
        assert position is None
    else:
        assert position == pytest.approx(expected, abs=1e-6)


def test_exif_transpose_agrees_with_our_expectation_of_orientation_6():
    # Guards the orientation test itself: Pillow's reference transpose gives the same layout.
    image = Image.open(io.BytesIO(images.phone_jpeg(orientation=6)))
    reference = ImageOps.exif_transpose(image).convert("RGB")
    assert reference.size == (80, 120)
    assert is_blue(reference.getpixel((75, 5)))
