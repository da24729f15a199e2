"""Residents' photos: judged by content, re-encoded without metadata, stored under random names.

A photo of a camera can say a lot about the person who took it: the phone's GPS
position, its make and serial number, the time, an ICC profile or XMP packet
naming the editing software. None of it is kept. Every accepted photo is
decoded by Pillow (only the JPEG, PNG, WebP and, when pillow-heif is installed,
HEIC decoders are ever offered the bytes), turned upright from its EXIF
orientation, downscaled, and written out as a brand-new JPEG built from bare
pixels, so nothing but pixels survives: no EXIF, GPS, XMP, ICC profile or
comment, and no payload appended after the image data (polyglots).

The GPS position, when there is one, is read once and handed back to the
submitter as a suggested location; it is never stored.

Validation (``read_photo``) and storage (``store_photos``) are separate steps so a
request with several photos is judged in full before anything reaches the disk.
"""

from __future__ import annotations

import io
import math
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps

try:  # HEIC is what iPhones take; optional, only if the wheel installed cleanly.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_FORMATS: tuple[str, ...] = ("HEIF",)
except ImportError:  # pragma: no cover - depends on the environment
    HEIF_FORMATS = ()

ACCEPTED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", *HEIF_FORMATS)
ACCEPTED_FORMAT_NAMES: tuple[str, ...] = (
    "JPEG",
    "PNG",
    "WebP",
    *(("HEIC",) if HEIF_FORMATS else ()),
)


def accepted_formats_text() -> str:
    """ "JPEG, PNG, WebP or HEIC" in the language of the request (read when refusing)."""
    *first, last = ACCEPTED_FORMAT_NAMES
    return _("%(first)s or %(last)s") % {"first": ", ".join(first), "last": last}


OUTPUT_FORMAT = "JPEG"
OUTPUT_EXTENSION = "jpg"
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
BACKGROUND_RGB = (255, 255, 255)

GPS_LATITUDE_REF = 1
GPS_LATITUDE = 2
GPS_LONGITUDE_REF = 3
GPS_LONGITUDE = 4


class PhotoError(ValueError):
    """A photo we refuse; the message is for the person who sent it."""


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo ready to store: clean JPEG bytes, its thumbnail, and the GPS hint (not stored)."""

    image_bytes: bytes
    thumbnail_bytes: bytes
    width: int
    height: int
    source_format: str
    gps_lon_lat: tuple[float, float] | None


def _rational(value: Any) -> float:
    # IFDRational with a zero denominator is NaN; anything unreadable becomes NaN too.
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return math.nan


def _degrees(dms: Any) -> float:
    """Degrees from an EXIF (degrees, minutes, seconds) triple of rationals."""
    if not isinstance(dms, tuple | list) or not 1 <= len(dms) <= 3:
        return math.nan
    parts = [_rational(part) for part in dms] + [0.0] * (3 - len(dms))
    return parts[0] + parts[1] / 60 + parts[2] / 3600


def gps_position(gps_ifd: Mapping[int, Any]) -> tuple[float, float] | None:
    """(longitude, latitude) in WGS 84 from an EXIF GPS IFD, or None when absent or absurd.

    0,0 is treated as absent: it is what many devices write when they have no fix.
    """
    if not gps_ifd or GPS_LATITUDE not in gps_ifd or GPS_LONGITUDE not in gps_ifd:
        return None
    lat = _degrees(gps_ifd[GPS_LATITUDE])
    lon = _degrees(gps_ifd[GPS_LONGITUDE])
    if str(gps_ifd.get(GPS_LATITUDE_REF, "N")).strip().upper().startswith("S"):
        lat = -lat
    if str(gps_ifd.get(GPS_LONGITUDE_REF, "E")).strip().upper().startswith("W"):
        lon = -lon
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return (round(lon, 7), round(lat, 7))


def _read_limited(upload: IO[bytes], max_bytes: int) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise PhotoError(
            _("the file is larger than %(mb)s MB") % {"mb": max_bytes // (1024 * 1024)}
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PhotoError(
            _("the file is larger than %(mb)s MB") % {"mb": max_bytes // (1024 * 1024)}
        )
    if not data:
        raise PhotoError(_("the file is empty"))
    return data


@contextmanager
def _bombs_are_errors() -> Iterator[None]:
    """Make Pillow's decompression-bomb warning an error for this block only."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Open, check the header's size, verify, reopen: the image is then safe to decode."""
    not_an_image = PhotoError(
        _("this is not a %(formats)s image") % {"formats": accepted_formats_text()}
    )
    try:
        with _bombs_are_errors():
            probe = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            _check_pixels(probe, max_pixels)
            probe.verify()
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(max_pixels) from None
    except Image.UnidentifiedImageError:
        raise not_an_image from None
    except Exception:
        # Decoders report damage with many exception types (OSError, SyntaxError,
        # struct.error, ...). Whatever a hostile file makes them raise, it is refused.
        raise PhotoError(_("the image is damaged or incomplete")) from None
    if image.format not in ACCEPTED_FORMATS:  # pragma: no cover - formats= already limits it
        raise not_an_image
    return image


def _too_many_pixels(max_pixels: int) -> PhotoError:
    return PhotoError(
        _("the image has more than %(millions)s million pixels; send a smaller one")
        % {"millions": f"{max_pixels / 1_000_000:g}"}
    )


def _check_pixels(image: Image.Image, max_pixels: int) -> None:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise PhotoError(_("the image has no pixels"))
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels)


def _upright_pixels(image: Image.Image, max_side_px: int) -> Image.Image:
    """Decode, rotate by the EXIF orientation, flatten transparency, downscale to max_side_px."""
    if image.format == "JPEG":
        image.draft("RGB", (max_side_px, max_side_px))  # decode at a reduced scale: less memory
    image.load()
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, BACKGROUND_RGB)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.thumbnail((max_side_px, max_side_px), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return image


def _bare(image: Image.Image) -> Image.Image:
    """A new image made from the pixels alone: no info dict, EXIF, ICC or XMP can follow."""
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _encode(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, OUTPUT_FORMAT, quality=quality, optimize=True)
    return buffer.getvalue()


def read_photo(upload: IO[bytes]) -> ProcessedPhoto:
    """Judge one uploaded file and return its clean re-encoding, or raise PhotoError.

    Limits come from settings: PHOTO_MAX_BYTES (file size), PHOTO_MAX_PIXELS
    (decompression bombs are refused from the header, before decoding),
    PHOTO_MAX_SIDE_PX and PHOTO_THUMBNAIL_SIDE_PX (output sizes).
    """
    data = _read_limited(upload, settings.PHOTO_MAX_BYTES)
    image = _open(data, settings.PHOTO_MAX_PIXELS)
    source_format = str(image.format)
    try:
        gps = gps_position(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))
    except Exception:  # a broken EXIF block costs the hint, not the photo
        gps = None
    try:
        with _bombs_are_errors():
            upright = _bare(_upright_pixels(image, settings.PHOTO_MAX_SIDE_PX))
    except Exception:
        raise PhotoError(_("the image is damaged or incomplete")) from None
    thumbnail = upright.copy()
    side = settings.PHOTO_THUMBNAIL_SIDE_PX
    thumbnail.thumbnail((side, side), Image.Resampling.LANCZOS)
    return ProcessedPhoto(
        image_bytes=_encode(upright, JPEG_QUALITY),
        thumbnail_bytes=_encode(thumbnail, THUMBNAIL_QUALITY),
        width=upright.width,
        height=upright.height,
        source_format=source_format,
        gps_lon_lat=gps,
    )


def read_photos(uploads: Iterable[IO[bytes]]) -> list[ProcessedPhoto]:
    """Judge every photo of a request; the first refused one raises PhotoError naming it."""
    uploads = list(uploads)
    if len(uploads) > settings.PHOTO_MAX_COUNT:
        raise PhotoError(_("at most %(n)s photos per submission") % {"n": settings.PHOTO_MAX_COUNT})
    processed = []
    for number, upload in enumerate(uploads, start=1):
        try:
            processed.append(read_photo(upload))
        except PhotoError as error:
            name = str(getattr(upload, "name", "") or "")[:80]
            label = _("photo %(n)s") % {"n": number} + (f" ({name})" if name else "")
            raise PhotoError(f"{label}: {error}") from None
    return processed


def random_name(folder: str) -> str:
    """A storage path that says nothing about the photo, its sender or its order."""
    return f"{folder}/{uuid.uuid4().hex}.{OUTPUT_EXTENSION}"


class WrittenFiles:
    """Names written so far, deleted again if the surrounding block fails."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.names: list[str] = []

    def save(self, folder: str, content: bytes) -> str:
        name = self.storage.save(random_name(folder), ContentFile(content))
        self.names.append(name)
        return name

    def delete_all(self) -> None:
        for name in self.names:
            self.storage.delete(name)
        self.names.clear()


@contextmanager
def files_removed_on_error(storage: Storage | None = None) -> Iterator[WrittenFiles]:
    """Write files inside this block; if it raises, every file written in it is deleted.

    Use it around (outside) the database transaction that records the files, so a
    rolled-back transaction never leaves orphan files behind.
    """
    written = WrittenFiles(storage or default_storage)
    try:
        yield written
    except BaseException:
        written.delete_all()
        raise


def store_photos(photos: Iterable[ProcessedPhoto], written: WrittenFiles, **owner) -> list:
    """Create CameraPhoto rows for processed photos; owner is submission= and/or camera=."""
    from mapping.models import CameraPhoto

    rows = []
    for photo in photos:
        row = CameraPhoto(width=photo.width, height=photo.height, **owner)
        row.image.name = written.save("photos", photo.image_bytes)
        row.thumbnail.name = written.save("thumbnails", photo.thumbnail_bytes)
        row.save()
        rows.append(row)
    return rows
