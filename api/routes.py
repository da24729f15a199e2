"""Camera-avoiding walking routes: GET /api/routes/.

The query is validated here (coordinates, avoidance level); the routing itself is
mapping.routing.plan_routes. The answer is GeoJSON, or GPX with ``format=gpx``; every
error is the project's JSON error shape (api/errors.py), also when GPX was asked for.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.parameters import refuse_unknown_parameters
from mapping.gpx import (
    GPX_MEDIA_TYPE,
    camera_waypoint_name,
    describe_route,
    route_gpx,
    route_name,
)
from mapping.routing import NoRouteError, Route, RouteError, RoutePlan, plan_routes

STRICT = "strict"
GPX_FILENAME = "angle-mort-route.gpx"


class CoordinateField(serializers.Field):
    """'LON,LAT' in WGS 84 degrees, longitude first, as a (lon, lat) tuple."""

    # Lazy: said in the language of the request (DRF fills in {value}).
    default_error_messages = {
        "format": gettext_lazy("expected LON,LAT (longitude first), e.g. 24.9414,60.1700"),
        "finite": gettext_lazy("longitude and latitude must be finite numbers"),
        "lon": gettext_lazy("longitude {value:g} is outside -180..180"),
        "lat": gettext_lazy("latitude {value:g} is outside -90..90"),
    }

    def to_internal_value(self, data) -> tuple[float, float]:
        parts = str(data).split(",")
        if len(parts) != 2:
            self.fail("format")
        try:
            lon, lat = (float(part.strip()) for part in parts)
        except ValueError:
            self.fail("format")
        if not (math.isfinite(lon) and math.isfinite(lat)):
            self.fail("finite")
        if not -180 <= lon <= 180:
            self.fail("lon", value=lon)
        if not -90 <= lat <= 90:
            self.fail("lat", value=lat)
        return lon, lat

    def to_representation(self, value) -> str:
        return f"{value[0]},{value[1]}"


class AvoidField(serializers.Field):
    """A level from 0 (shortest) to 1 (longest detours), or 'strict'."""

    default_error_messages = {
        "invalid": gettext_lazy("expected a number from 0 to 1, or 'strict'"),
    }

    def to_internal_value(self, data) -> float | str:
        text = str(data).strip().lower()
        if text == STRICT:
            return STRICT
        try:
            level = float(text)
        except ValueError:
            self.fail("invalid")
        if not math.isfinite(level) or not 0 <= level <= 1:
            self.fail("invalid")
        return level

    def to_representation(self, value) -> str:
        return str(value)


class RouteQuerySerializer(serializers.Serializer):
    def get_fields(self) -> dict:
        # "from" is a Python keyword, so the fields are declared here rather than as
        # class attributes.
        return {
            "from": CoordinateField(help_text="Start of the walk, LON,LAT."),
            "to": CoordinateField(help_text="End of the walk, LON,LAT."),
            "avoid": AvoidField(required=False, default=settings.ROUTE_DEFAULT_AVOIDANCE),
        }

    def validate(self, attrs: dict) -> dict:
        if attrs["from"] == attrs["to"]:
            raise serializers.ValidationError(
                {"to": [_("the start and the end are the same point")]}
            )
        return attrs


class GpxRenderer(BaseRenderer):
    """The avoiding route of a route answer as a GPX track, its texts in the request's
    language (LocaleMiddleware has activated it when DRF renders the answer)."""

    media_type = GPX_MEDIA_TYPE
    format = "gpx"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        avoiding = next(f for f in data["features"] if f["properties"]["variant"] == "avoiding")
        props = avoiding["properties"]
        description = describe_route(props["length_m"], props["exposed_m"], props["camera_count"])
        if props.get("notice"):
            description = f"{description}. {props['notice']}"
        passed = set(props["cameras"])
        gpx = route_gpx(
            avoiding["geometry"]["coordinates"],
            name=route_name(),
            description=description,
            waypoints=[
                (*camera["position"], camera_waypoint_name(camera["id"]))
                for camera in data.get("passed_cameras", [])
                if camera["id"] in passed
            ],
        )
        return gpx.encode(self.charset)


def route_feature(route: Route) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [list(c) for c in route.coordinates]},
        "properties": {
            "variant": route.variant,
            "length_m": round(route.length_m, 1),
            "exposed_m": round(route.exposed_m, 1),
            "camera_count": len(route.cameras),
            "cameras": route.cameras,
            "detour_ratio": round(route.detour_ratio, 3),
            "duration_s": round(route.duration_s),
            "avoid": route.avoid,
            "notice": route.notice,
        },
    }


def feature_collection(plan: RoutePlan) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [route_feature(route) for route in plan.routes],
        "snapped": {
            "from": [plan.origin.lon, plan.origin.lat],
            "to": [plan.destination.lon, plan.destination.lat],
        },
        "passed_cameras": [
            {"id": camera_id, "position": list(position)}
            for camera_id, position in plan.camera_positions.items()
        ],
    }


_properties = inline_serializer(
    "RouteProperties",
    {
        "variant": serializers.ChoiceField(choices=["shortest", "avoiding"]),
        "length_m": serializers.FloatField(help_text="Length in metres."),
        "exposed_m": serializers.FloatField(help_text="Metres inside any field of view."),
        "camera_count": serializers.IntegerField(),
        "cameras": serializers.ListField(
            child=serializers.IntegerField(), help_text="Ids of the cameras that see the route."
        ),
        "detour_ratio": serializers.FloatField(help_text="Length over the shortest length."),
        "duration_s": serializers.IntegerField(help_text="Walking time in seconds."),
        "avoid": serializers.CharField(help_text="The avoidance level used, or 'strict'."),
        "notice": serializers.CharField(
            allow_null=True, help_text="Set when strict mode fell back to the least-watched route."
        ),
    },
)
_geometry = inline_serializer(
    "RouteLineString",
    {
        "type": serializers.ChoiceField(choices=["LineString"]),
        "coordinates": serializers.ListField(
            child=serializers.ListField(child=serializers.FloatField(), min_length=2),
            help_text="[lon, lat] pairs from the snapped start to the snapped end.",
        ),
    },
)
ROUTE_COLLECTION_SCHEMA = inline_serializer(
    "RouteCollection",
    {
        "type": serializers.ChoiceField(choices=["FeatureCollection"]),
        "features": serializers.ListField(
            child=inline_serializer(
                "RouteFeature",
                {
                    "type": serializers.ChoiceField(choices=["Feature"]),
                    "geometry": _geometry,
                    "properties": _properties,
                },
            )
        ),
        "snapped": inline_serializer(
            "RouteSnappedPoints",
            {
                "from": serializers.ListField(child=serializers.FloatField()),
                "to": serializers.ListField(child=serializers.FloatField()),
            },
        ),
        "passed_cameras": serializers.ListField(
            child=inline_serializer(
                "RoutePassedCamera",
                {
                    "id": serializers.IntegerField(),
                    "position": serializers.ListField(
                        child=serializers.FloatField(), min_length=2, max_length=2
                    ),
                },
            ),
            help_text=(
                "Every active camera either route passes, by id, with its [lon, lat]: enough to "
                "draw them without loading the cameras around the route."
            ),
        ),
    },
)
ERROR_SCHEMA = inline_serializer(
    "RouteError",
    {
        "detail": serializers.CharField(),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False
        ),
    },
)


class RouteView(APIView):
    """Plan a walk between two points: the shortest route and one avoiding cameras.

    Answers a GeoJSON FeatureCollection with two LineString features, `shortest` and
    `avoiding`, each with its length, the metres in view of known cameras (a stretch
    seen by several counts once), the ids of those cameras, the detour ratio and the
    walking time; `passed_cameras` gives the place of each camera either route passes.
    Both ends are first moved onto the nearest walkable way (`snapped`).
    `avoid` (default 0.5) trades length for privacy; `strict` keeps out of every field
    of view or, when no such route exists, returns the least-watched route with a
    `notice`. `format=gpx` returns the avoiding route as a GPX file. Errors (400): bad
    coordinates, the same point twice, a point more than 500 m from any walkable way,
    points too far apart (20 km by default); 404 when no walkable way connects them.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []
    renderer_classes = [JSONRenderer, GpxRenderer]

    @extend_schema(
        operation_id="routes_plan",
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.STR, required=True, description="Start, LON,LAT (WGS 84)."
            ),
            OpenApiParameter(
                "to", OpenApiTypes.STR, required=True, description="End, LON,LAT (WGS 84)."
            ),
            OpenApiParameter(
                "avoid",
                OpenApiTypes.STR,
                description="0 (shortest) to 1 (long detours), or 'strict'. Default 0.5.",
                examples=[
                    OpenApiExample("default", value="0.5"),
                    OpenApiExample("strict", value="strict"),
                ],
            ),
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["json", "gpx"],
                description="gpx: the avoiding route as a GPX file.",
            ),
        ],
        responses={
            (200, "application/json"): ROUTE_COLLECTION_SCHEMA,
            (200, GPX_MEDIA_TYPE): OpenApiTypes.STR,
            (400, "application/json"): ERROR_SCHEMA,
            (404, "application/json"): ERROR_SCHEMA,
        },
    )
    def get(self, request, *args, **kwargs):
        query = RouteQuerySerializer(data=request.query_params)
        refuse_unknown_parameters(request.query_params, query.fields)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        try:
            plan = plan_routes(data["from"], data["to"], data["avoid"])
        except RouteError as error:
            raise exceptions.ValidationError({error.field: [error.message]}) from None
        except NoRouteError as error:
            raise exceptions.NotFound(str(error)) from None
        response = Response(feature_collection(plan))
        if getattr(request.accepted_renderer, "format", None) == GpxRenderer.format:
            response["Content-Disposition"] = f'attachment; filename="{GPX_FILENAME}"'
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON whatever format was asked for.
        if response.status_code >= 400 and isinstance(
            getattr(request, "accepted_renderer", None), GpxRenderer
        ):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
