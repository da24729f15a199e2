"""Admin screens. Moderation actions for submissions are added by mapping.submissions."""

from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from mapping.models import Building, Camera, CameraPhoto, ImportRun, StreetSegment, Submission


class CameraPhotoInline(admin.TabularInline):
    model = CameraPhoto
    fk_name = "camera"
    extra = 0
    fields = ("image", "thumbnail", "width", "height", "created_at")
    readonly_fields = ("width", "height", "created_at")


@admin.register(Camera)
class CameraAdmin(LeafletGeoAdmin):
    list_display = (
        "id",
        "source",
        "surveillance_type",
        "camera_type",
        "surveillance",
        "operator",
        "status",
        "confirmations",
        "last_seen",
    )
    list_filter = ("source", "status", "surveillance", "surveillance_type", "camera_type")
    search_fields = ("operator", "ref", "name", "=osm_id")
    readonly_fields = ("tags", "first_seen", "last_seen", "updated_at")
    inlines = [CameraPhotoInline]
    settings_overrides = {"DEFAULT_ZOOM": 17}


@admin.register(Submission)
class SubmissionAdmin(LeafletGeoAdmin):
    list_display = ("id", "kind", "status", "camera", "pseudonym", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("pseudonym", "note", "=camera__osm_id", "camera__operator", "camera__ref")
    readonly_fields = ("created_at", "decided_at", "warnings", "duplicate_candidates")


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "started_at", "duration_s", "file")
    list_filter = ("kind", "status")
    readonly_fields = [field.name for field in ImportRun._meta.fields]


admin.site.register(StreetSegment, LeafletGeoAdmin)
admin.site.register(Building, LeafletGeoAdmin)
admin.site.site_header = "Angle Mort administration"
