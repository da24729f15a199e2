"""Real images made with Pillow for the tests, carrying the metadata a phone would add."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms

RED = (220, 20, 20)
BLUE = (20, 20, 220)
# Helsinki Senate Square, as a phone would write it: degrees, minutes, seconds.
GPS_DMS = {"lat": (60.0, 10.0, 10.0), "lon": (24.0, 57.0, 9.0)}
GPS_LON_LAT = (24 + 57 / 60 + 9 / 3600, 60 + 10 / 60 + 10 / 3600)
XMP_PACKET = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf'
    b'-syntax-ns#"><rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
    b'tiff:Make="SpyPhone"/></rdf:RDF></x:xmpmeta>'
)
COMMENT = b"taken by Alice at home"
METADATA_INFO_KEYS = ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "Comment")


def asymmetric(size: tuple[int, int] = (120, 80)) -> Image.Image:
    """Red, with a blue block in the top-left corner: orientation mistakes show."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (0, 0, size[0] // 4, size[1] // 4))
    return image


def phone_exif(orientation: int = 6, gps: bool = True) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "SpyPhone"
    exif[ExifTags.Base.Model] = "X-1000 serial 12345"
    exif[ExifTags.Base.DateTime] = "2024:05:01 12:34:56"
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {
            1: "N",
            2: GPS_DMS["lat"],
            3: "E",
            4: GPS_DMS["lon"],
        }
    return exif


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def phone_jpeg(size=(120, 80), orientation: int = 6, gps: bool = True) -> bytes:
    """A JPEG as a phone writes it: EXIF with GPS, orientation, make; ICC, XMP, comment."""
    return encode(
        asymmetric(size),
        "JPEG",
        exif=phone_exif(orientation, gps),
        icc_profile=srgb_profile(),
        xmp=XMP_PACKET,
        comment=COMMENT,
        quality=95,
    )


def phone_png(size=(120, 80)) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", COMMENT.decode())
    info.add_itxt("XML:com.adobe.xmp", XMP_PACKET.decode())
    return encode(
        asymmetric(size), "PNG", exif=phone_exif(), icc_profile=srgb_profile(), pnginfo=info
    )


def phone_webp(size=(120, 80)) -> bytes:
    return encode(
        asymmetric(size), "WEBP", exif=phone_exif(), icc_profile=srgb_profile(), xmp=XMP_PACKET
    )


def phone_heic(size=(120, 80)) -> bytes:
    return encode(asymmetric(size), "HEIF", exif=phone_exif().tobytes(), quality=90)


def upload(data: bytes, name: str = "camera.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def decompression_bomb() -> bytes:
    """48 megapixels of nothing: a few kilobytes on disk, far over PHOTO_MAX_PIXELS."""
    return encode(Image.new("1", (8000, 6000)), "PNG", optimize=True)


def polyglot_jpeg() -> bytes:
    """A valid JPEG with a ZIP archive and an HTML page appended after its end marker."""
    import zipfile

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("payload.txt", "POLYGLOT-PAYLOAD")
    html = b"<html><script>alert('POLYGLOT-HTML')</script></html>"
    return encode(asymmetric(), "JPEG") + archive.getvalue() + html


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script><rect width='10' height='10'/></svg>"
)


def truncated_jpeg() -> bytes:
    data = encode(asymmetric((400, 300)), "JPEG", quality=95)
    return data[: len(data) // 2]


def files_under(root) -> list:
    """Every file below root (the test's MEDIA_ROOT), to prove nothing was left behind."""
    from pathlib import Path

    root = Path(root)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []
