"""A walking route as GPX 1.1, the format phones and GPS watches import.

Coordinates and figures in, XML text out. The texts a walker reads on the device (the
route's name and description, the cameras' waypoint names, the OpenStreetMap credit)
are in the active language: the request's, as everywhere in the API. The numbers are
never localised: coordinates are GPX's decimal degrees with a dot, and the description's
metres are whole numbers without grouping. The track carries no time stamps and nothing
about who asked for it; the metadata credits OpenStreetMap, whose data the route is made
of (ODbL).
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree as ET

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

GPX_NAMESPACE = "http://www.topografix.com/GPX/1/1"
GPX_MEDIA_TYPE = "application/gpx+xml"
CREATOR = "Angle Mort"
OSM_LICENCE_URL = "https://opendatacommons.org/licenses/odbl/"


def route_name() -> str:
    """The name a device lists the track under."""
    return _("Angle Mort: walk avoiding cameras")


def camera_waypoint_name(camera_id: int) -> str:
    return _("Camera %(id)s") % {"id": camera_id}


def describe_route(length_m: float, exposed_m: float, camera_count: int) -> str:
    """One line a walker reads on the device: how long, how much of it in view."""
    share = exposed_m / length_m * 100 if length_m > 0 else 0.0
    # Whole numbers, formatted by %d: never grouped nor given a decimal comma.
    return ngettext(
        "%(length)d m walk, %(exposed)d m (%(share)d%%) in view of %(count)d known camera",
        "%(length)d m walk, %(exposed)d m (%(share)d%%) in view of %(count)d known cameras",
        camera_count,
    ) % {
        "length": round(length_m),
        "exposed": round(exposed_m),
        "share": round(share),
        "count": camera_count,
    }


def route_gpx(
    coordinates: Sequence[Sequence[float]],
    *,
    name: str,
    description: str = "",
    waypoints: Sequence[tuple[float, float, str]] = (),
) -> str:
    """GPX text with one track of one segment through (lon, lat) coordinates.

    ``waypoints`` are (lon, lat, name) points shown beside the track: the cameras the
    route still passes, so a walker's device can show where they are on the way.
    """
    ET.register_namespace("", GPX_NAMESPACE)
    gpx = ET.Element(f"{{{GPX_NAMESPACE}}}gpx", {"version": "1.1", "creator": CREATOR})
    metadata = ET.SubElement(gpx, f"{{{GPX_NAMESPACE}}}metadata")
    ET.SubElement(metadata, f"{{{GPX_NAMESPACE}}}name").text = name
    if description:
        ET.SubElement(metadata, f"{{{GPX_NAMESPACE}}}desc").text = description
    rights = ET.SubElement(
        metadata, f"{{{GPX_NAMESPACE}}}copyright", {"author": _("OpenStreetMap contributors")}
    )
    ET.SubElement(rights, f"{{{GPX_NAMESPACE}}}license").text = OSM_LICENCE_URL
    # GPX 1.1 orders a file's parts: metadata, waypoints, routes, tracks.
    for lon, lat, point_name in waypoints:
        point = ET.SubElement(
            gpx, f"{{{GPX_NAMESPACE}}}wpt", {"lat": f"{lat:.7f}", "lon": f"{lon:.7f}"}
        )
        ET.SubElement(point, f"{{{GPX_NAMESPACE}}}name").text = point_name
    track = ET.SubElement(gpx, f"{{{GPX_NAMESPACE}}}trk")
    ET.SubElement(track, f"{{{GPX_NAMESPACE}}}name").text = name
    if description:
        ET.SubElement(track, f"{{{GPX_NAMESPACE}}}desc").text = description
    segment = ET.SubElement(track, f"{{{GPX_NAMESPACE}}}trkseg")
    for lon, lat, *_rest in coordinates:
        ET.SubElement(
            segment, f"{{{GPX_NAMESPACE}}}trkpt", {"lat": f"{lat:.7f}", "lon": f"{lon:.7f}"}
        )
    return ET.tostring(gpx, encoding="unicode", xml_declaration=True)
