"""The domain's tables: cameras, photos, submissions, the walk graph, buildings, imports.

Geometry is stored in WGS 84 (SRID 4326); lengths and distances are metres,
computed on the geography type or in a local metric projection. Directions are
degrees clockwise from north in [0, 360). Ranges that must hold whatever code
writes the row (a bulk SQL upsert as much as a form) are CHECK constraints.

Verbose names, help texts and choice labels are lazily translated: the admin shows them
in the moderator's language. The stored values and the API's field names stay English.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.db.models import BooleanField, F, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mapping.data_version import data_version_triggers
from mapping.density.triggers import density_triggers
from mapping.plane_point import PlanePoint, PlanePointField

MAX_PLAUSIBLE_HEIGHT_M = 300.0


class Source(models.TextChoices):
    OSM = "osm", "OpenStreetMap"
    COMMUNITY = "community", _("Community")


class OsmType(models.TextChoices):
    NODE = "node", pgettext_lazy("OSM element", "node")
    WAY = "way", pgettext_lazy("OSM element", "way")
    RELATION = "relation", pgettext_lazy("OSM element", "relation")


class Surveillance(models.TextChoices):
    PUBLIC = "public", pgettext_lazy("surveillance", "public")
    OUTDOOR = "outdoor", pgettext_lazy("surveillance", "outdoor")
    INDOOR = "indoor", pgettext_lazy("surveillance", "indoor")


class SurveillanceType(models.TextChoices):
    CAMERA = "camera", _("camera")
    GUARD = "guard", _("guard")
    ALPR = "alpr", _("ALPR (number-plate reader)")
    GUNSHOT_DETECTOR = "gunshot_detector", _("gunshot detector")


class CameraType(models.TextChoices):
    FIXED = "fixed", _("fixed")
    DOME = "dome", _("dome")
    PANNING = "panning", _("panning")


class Capability(models.TextChoices):
    FACE_RECOGNITION = "face_recognition", _("face recognition")
    VSA = "vsa", _("algorithmic video analysis (VSA)")
    ALPR = "alpr", _("number-plate reading")
    AUDIO = "audio", _("audio")
    THERMAL = "thermal", _("thermal")
    PTZ = "ptz", _("pan-tilt-zoom")


class CameraStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("camera", "active")
    REMOVED = "removed", pgettext_lazy("camera", "removed")


def _all_directions_in_range() -> RawSQL:
    # Django has no lookup for "every array element satisfies"; ALL() says it in SQL.
    return RawSQL(
        "(0 <= ALL(directions) AND 360 > ALL(directions))", [], output_field=BooleanField()
    )


def _capabilities_known() -> RawSQL:
    # Built from the Capability constants only, never from input.
    known = ",".join(f"'{value}'" for value in Capability.values)
    return RawSQL(  # noqa: S611
        f"(capabilities <@ ARRAY[{known}]::varchar[])", [], output_field=BooleanField()
    )


class Camera(models.Model):
    """One surveillance device (or one mast carrying several, see ``directions``)."""

    # Indexed by camera_source_status (source first); no index of its own.
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    osm_type = models.CharField(
        _("OSM type"), max_length=8, choices=OsmType.choices, null=True, blank=True
    )
    osm_id = models.BigIntegerField(_("OSM id"), null=True, blank=True)
    osm_version = models.PositiveIntegerField(_("OSM version"), null=True, blank=True)
    location = models.PointField(_("location"), srid=4326)
    # The same position as PostgreSQL's own point, kept by PostgreSQL: boxes are answered
    # exactly from its index alone (mapping/plane_point.py says why).
    position = models.GeneratedField(
        expression=PlanePoint(F("location")), output_field=PlanePointField(), db_persist=True
    )

    surveillance = models.CharField(
        _("surveillance"), max_length=16, choices=Surveillance.choices, blank=True
    )
    surveillance_type = models.CharField(
        _("surveillance type"), max_length=24, choices=SurveillanceType.choices, blank=True
    )
    zone = models.CharField(_("zone"), max_length=64, blank=True)
    camera_type = models.CharField(
        _("camera type"), max_length=16, choices=CameraType.choices, blank=True
    )
    mount = models.CharField(_("mount"), max_length=32, blank=True)
    directions = ArrayField(
        models.FloatField(),
        verbose_name=_("directions"),
        default=list,
        blank=True,
        help_text=_("Degrees clockwise from north, one per camera on this node."),
    )
    tilt = models.FloatField(
        _("tilt"),
        null=True,
        blank=True,
        help_text=_("Degrees below the horizontal (positive looks down)."),
    )
    height = models.FloatField(
        _("height"), null=True, blank=True, help_text=_("Metres above the ground.")
    )
    operator = models.CharField(_("operator"), max_length=255, blank=True)
    operator_type = models.CharField(_("operator type"), max_length=64, blank=True)
    capabilities = ArrayField(
        models.CharField(max_length=24, choices=Capability.choices),
        verbose_name=_("capabilities"),
        default=list,
        blank=True,
    )
    vendor = models.CharField(_("vendor"), max_length=255, blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    ref = models.CharField(_("reference"), max_length=255, blank=True)
    fixme = models.TextField(_("fixme"), blank=True)
    check_date = models.DateField(
        _("check date"), null=True, blank=True, help_text=_("OSM check_date/survey:date.")
    )

    status = models.CharField(
        _("status"), max_length=16, choices=CameraStatus.choices, default=CameraStatus.ACTIVE
    )
    confirmations = models.PositiveIntegerField(_("confirmations"), default=0)
    last_checked = models.DateTimeField(_("last checked"), null=True, blank=True)
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, db_index=True)

    tags = models.JSONField(
        _("tags"), default=dict, blank=True, help_text=_("Every raw OSM tag, unchanged.")
    )
    # Indexed by camera_fov below, only where there is one.
    fov = models.MultiPolygonField(
        _("field of view"), srid=4326, null=True, blank=True, spatial_index=False
    )

    class Meta:
        constraints = [
            # The id first: comparing two ids decides almost every pair, so the index
            # builds in a third of the time after a bulk load (1.0 s instead of 3.2 s on
            # 2.5 million cameras), and a lookup by id alone can use it.
            models.UniqueConstraint(
                fields=["osm_id", "osm_type"],
                condition=Q(source="osm"),
                name="camera_unique_osm_identity",
            ),
            models.CheckConstraint(
                condition=~Q(source="osm") | (Q(osm_type__isnull=False) & Q(osm_id__isnull=False)),
                name="camera_osm_has_identity",
            ),
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="camera_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CameraStatus.values), name="camera_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(surveillance__in=[*Surveillance.values, ""]),
                name="camera_surveillance_valid",
            ),
            models.CheckConstraint(
                condition=Q(surveillance_type__in=[*SurveillanceType.values, ""]),
                name="camera_surveillance_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(camera_type__in=[*CameraType.values, ""]),
                name="camera_type_valid",
            ),
            models.CheckConstraint(
                condition=_all_directions_in_range(), name="camera_directions_0_360"
            ),
            models.CheckConstraint(
                condition=_capabilities_known(), name="camera_capabilities_known"
            ),
            models.CheckConstraint(
                condition=Q(height__isnull=True)
                | (Q(height__gt=0) & Q(height__lte=MAX_PLAUSIBLE_HEIGHT_M)),
                name="camera_height_plausible",
            ),
            models.CheckConstraint(
                condition=Q(tilt__isnull=True) | (Q(tilt__gte=-90) & Q(tilt__lte=90)),
                name="camera_tilt_range",
            ),
            models.CheckConstraint(
                condition=Q(status="active", removed_at__isnull=True)
                | Q(status="removed", removed_at__isnull=False),
                name="camera_removed_has_date",
            ),
        ]
        indexes = [
            GinIndex(fields=["capabilities"], name="camera_capabilities_gin"),
            models.Index(fields=["source", "status"], name="camera_source_status"),
            # Plain B-trees: db_index=True on a CharField adds a second, LIKE-only index
            # (varchar_pattern_ops) that no query uses and every camera write maintains.
            models.Index(fields=["status"], name="camera_status"),
            models.Index(fields=["surveillance_type"], name="camera_surveillance_type"),
            # What the map and every list page asks: the active cameras in a box, how many,
            # and which ids come first. With the ids included, the index alone answers (an
            # index-only scan). Partial, so no status is tested per entry: testing one
            # included status took longer than the scan itself (18 ms against 9 for the
            # 42,000 cameras of a dense street-level view on the 2.5M benchmark set). Other
            # statuses find their box through the geometry's index (camera_queries).
            GistIndex(
                fields=["position"],
                include=["id"],
                condition=Q(status=CameraStatus.ACTIVE),
                name="camera_active_position",
            ),
            # Fields of view are drawn after the import (mapping.analysis): an index of
            # every camera indexed 2.5 million NULLs at a first import (1.2-2.6 s of it),
            # entries that the fields' own update replaces anyway. Every query on fov
            # asks for one (fov IS NOT NULL, or a strict && on it), which this serves.
            # Written as an expression: GeoDjango builds an index of a geometry field
            # named in fields itself, without its condition (PostGISSchemaEditor).
            GistIndex(F("fov"), condition=Q(fov__isnull=False), name="camera_fov"),
        ]
        # Keep mapping_densitycell exact whoever writes cameras (mapping/density/triggers.py),
        # and tell cached readers the data changed (mapping/data_version.py).
        triggers = [*density_triggers(), *data_version_triggers("camera")]
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")

    def __str__(self) -> str:
        label = self.name or self.ref or self.get_surveillance_type_display() or _("camera")
        return f"{label} #{self.pk}"

    @property
    def osm_url(self) -> str | None:
        if self.source != Source.OSM or not self.osm_type or self.osm_id is None:
            return None
        return f"https://www.openstreetmap.org/{self.osm_type}/{self.osm_id}"


class DensityCell(models.Model):
    """How many cameras of one kind lie in one map cell: the density endpoint's aggregate.

    Maintained by Camera's statement-level triggers, never written by Python code;
    ``level`` is the tile zoom of the cell (map zoom + 3), ``dims`` the packed source,
    status, surveillance, types and capabilities (mapping/density/dimensions.py).
    """

    pk = models.CompositePrimaryKey("level", "cell_x", "cell_y", "dims")
    level = models.SmallIntegerField()
    cell_x = models.IntegerField(help_text="Web Mercator tile column at this level.")
    cell_y = models.IntegerField(help_text="Web Mercator tile row at this level, from the north.")
    dims = models.IntegerField(help_text="Packed filterable columns (density/dimensions.py).")
    camera_count = models.IntegerField()

    class Meta:
        indexes = [
            # A statement that empties cells deletes them right after through this index.
            models.Index(fields=["level"], condition=Q(camera_count=0), name="densitycell_empty"),
        ]
        triggers = data_version_triggers("densitycell")

    def __str__(self) -> str:
        return f"{self.camera_count} at {self.level}/{self.cell_x}/{self.cell_y} ({self.dims})"


class DensityTotal(models.Model):
    """How many active cameras of every kind lie in one map cell: DensityCell summed over
    its dims for the map without filters (mapping/density/totals.py), one row per cell.

    Written by Camera's density triggers in the same statements as DensityCell.
    """

    pk = models.CompositePrimaryKey("level", "cell_x", "cell_y")
    level = models.SmallIntegerField()
    cell_x = models.IntegerField(help_text="Web Mercator tile column at this level.")
    cell_y = models.IntegerField(help_text="Web Mercator tile row at this level, from the north.")
    camera_count = models.IntegerField()

    class Meta:
        indexes = [
            # A statement that empties cells deletes them right after through this index.
            models.Index(fields=["level"], condition=Q(camera_count=0), name="densitytotal_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.camera_count} at {self.level}/{self.cell_x}/{self.cell_y}"


class DataVersion(models.Model):
    """The token cached readers key on; written only by triggers (mapping/data_version.py)."""

    name = models.CharField(max_length=32, primary_key=True)
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.token} ({self.changed_at:%Y-%m-%d %H:%M:%S})"


class SubmissionKind(models.TextChoices):
    NEW = "new", _("new camera")
    CHANGE = "change", pgettext_lazy("submission kind", "change")
    REMOVED = "removed", _("no longer here")
    CONFIRM = "confirm", _("still here")


class SubmissionStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("submission", "pending")
    APPROVED = "approved", pgettext_lazy("submission", "approved")
    REJECTED = "rejected", pgettext_lazy("submission", "rejected")
    MERGED = "merged", pgettext_lazy("submission", "merged")


class Submission(models.Model):
    """A resident's report. It never records who sent it beyond an optional pseudonym."""

    kind = models.CharField(_("kind"), max_length=16, choices=SubmissionKind.choices)
    camera = models.ForeignKey(
        Camera,
        verbose_name=_("camera"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
        help_text=_("The camera concerned (change, removed, confirm) or created/merged into."),
    )
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    pseudonym = models.CharField(_("pseudonym"), max_length=64, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    duplicate_candidates = ArrayField(
        models.BigIntegerField(), verbose_name=_("possible duplicates"), default=list, blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=SubmissionStatus.choices,
        default=SubmissionStatus.PENDING,
        db_index=True,
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderator"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SubmissionKind.values), name="submission_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SubmissionStatus.values), name="submission_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind="new") | Q(location__isnull=False),
                name="submission_new_has_location",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()}) #{self.pk}"


class CameraPhoto(models.Model):
    """A re-encoded photo without metadata, stored under a random name."""

    camera = models.ForeignKey(
        Camera,
        verbose_name=_("camera"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )
    submission = models.ForeignKey(
        Submission,
        verbose_name=_("submission"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )
    image = models.ImageField(
        _("image"), upload_to="photos/", width_field="width", height_field="height"
    )
    thumbnail = models.ImageField(_("thumbnail"), upload_to="thumbnails/")
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("camera photo")
        verbose_name_plural = _("camera photos")
        constraints = [
            models.CheckConstraint(
                condition=Q(camera__isnull=False) | Q(submission__isnull=False),
                name="photo_belongs_somewhere",
            ),
        ]


class StreetSegment(models.Model):
    """An edge of the walk graph between two junctions, ready for pgRouting."""

    way_id = models.BigIntegerField(
        _("OSM way"), db_index=True, help_text=_("OSM way this segment was cut from.")
    )
    source = models.BigIntegerField(
        _("start node"), db_index=True, help_text=_("pgRouting source: OSM node id.")
    )
    target = models.BigIntegerField(
        _("end node"), db_index=True, help_text=_("pgRouting target: OSM node id.")
    )
    geom = models.LineStringField(_("geometry"), srid=4326)
    length_m = models.FloatField(_("length (m)"), help_text=_("Geodesic length in metres."))
    highway = models.CharField(_("highway"), max_length=32, blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    exposed_m = models.FloatField(
        _("watched (m)"), default=0.0, help_text=_("Metres inside any field of view.")
    )
    weighted_exposure = models.FloatField(
        _("weighted exposure"),
        default=0.0,
        help_text=_("Watched metres weighted by camera capabilities."),
    )
    camera_ids = ArrayField(
        models.BigIntegerField(), verbose_name=_("cameras"), default=list, blank=True
    )

    class Meta:
        verbose_name = _("street segment")
        verbose_name_plural = _("street segments")
        constraints = [
            models.CheckConstraint(condition=Q(length_m__gte=0), name="segment_length_positive"),
            models.CheckConstraint(
                condition=Q(exposed_m__gte=0) & Q(exposed_m__lte=models.F("length_m") + 0.01),
                name="segment_exposure_within_length",
            ),
            models.CheckConstraint(
                condition=Q(weighted_exposure__gte=0), name="segment_weighted_exposure_positive"
            ),
            models.CheckConstraint(condition=Q(geom__isvalid=True), name="segment_geom_valid"),
        ]
        indexes = [
            # The streets that list a camera, found without reading the whole walk graph:
            # every scoped exposure refresh (an import's region, a moderated camera) asks.
            GinIndex(fields=["camera_ids"], name="segment_camera_ids_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.highway} {self.source}->{self.target}"


class Building(models.Model):
    """A building footprint; fields of view stop at its walls."""

    osm_type = models.CharField(_("OSM type"), max_length=8, choices=OsmType.choices)
    osm_id = models.BigIntegerField(_("OSM id"))
    geom = models.MultiPolygonField(_("geometry"), srid=4326)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["osm_type", "osm_id"], name="building_unique_osm"),
        ]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")

    def __str__(self) -> str:
        return _("building %(osm_type)s/%(osm_id)s") % {
            "osm_type": self.osm_type,
            "osm_id": self.osm_id,
        }


class ImportKind(models.TextChoices):
    OVERPASS = "overpass", "Overpass API"
    FILE = "file", _("file")


class ImportStatus(models.TextChoices):
    RUNNING = "running", pgettext_lazy("import", "running")
    SUCCEEDED = "succeeded", pgettext_lazy("import", "succeeded")
    FAILED = "failed", pgettext_lazy("import", "failed")


class ImportRun(models.Model):
    """What one import did, or why it failed. Written outside the import's transaction."""

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    bbox = models.PolygonField(_("bounding box"), srid=4326, null=True, blank=True)
    file = models.CharField(_("file"), max_length=1024, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_s = models.FloatField(_("duration (s)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.RUNNING
    )
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ImportKind.values), name="importrun_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="importrun_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return _("%(kind)s import %(started)s (%(status)s)") % {
            "kind": self.get_kind_display(),
            "started": f"{self.started_at:%Y-%m-%d %H:%M}",
            "status": self.get_status_display(),
        }
