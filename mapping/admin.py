"""Admin screens. Moderation of submissions: mapping.admin_moderation.

Column and filter titles are the models' verbose names, translated there. Each screen
describes its delete action in a sentence of its own (mapping.admin_delete), so that
French agrees it with the model: "les caméras sélectionnées"."""

from django.contrib import admin
from django.utils.translation import gettext_lazy
from leaflet.admin import LeafletGeoAdmin

from mapping.admin_delete import DeleteSelectedInOwnWords
from mapping.admin_moderation import PhotoMedia, SubmissionAdmin, thumbnail_html
from mapping.models import Building, Camera, CameraPhoto, ImportRun, StreetSegment, Submission


class CameraPhotoInline(admin.TabularInline):
    """Photos are shown, or deleted; never uploaded here, where they would skip the
    metadata stripping of mapping.photos."""

    model = CameraPhoto
    fk_name = "camera"
    extra = 0
    fields = ("preview", "width", "height", "submission", "created_at")
    readonly_fields = fields
    Media = PhotoMedia

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("photo"))
    def preview(self, photo: CameraPhoto) -> str:
        return thumbnail_html(photo)


@admin.register(Camera)
class CameraAdmin(DeleteSelectedInOwnWords, LeafletGeoAdmin):
    delete_selected_description = gettext_lazy("Delete selected cameras")
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

    def save_model(self, request, obj: Camera, form, change: bool) -> None:
        """Saved as moderation saves a camera: a community camera's tags say its fields
        again, and its field of view and the streets it sees follow its place and
        directions (an edit here left the cone pointing the old way, 30 m off)."""
        from mapping.analysis import refresh_derived_data
        from mapping.moderation import retag_community

        retag_community(obj)
        super().save_model(request, obj, form, change)
        refresh_derived_data([obj.pk])


# Moderation screens (queue, actions, decision buttons) live in mapping.admin_moderation.
admin.site.register(Submission, SubmissionAdmin)


@admin.register(ImportRun)
class ImportRunAdmin(DeleteSelectedInOwnWords, admin.ModelAdmin):
    delete_selected_description = gettext_lazy("Delete selected import runs")
    list_display = ("id", "kind", "status", "started_at", "duration_s", "file")
    list_filter = ("kind", "status")
    readonly_fields = [field.name for field in ImportRun._meta.fields]


@admin.register(StreetSegment)
class StreetSegmentAdmin(DeleteSelectedInOwnWords, LeafletGeoAdmin):
    delete_selected_description = gettext_lazy("Delete selected street segments")


@admin.register(Building)
class BuildingAdmin(DeleteSelectedInOwnWords, LeafletGeoAdmin):
    delete_selected_description = gettext_lazy("Delete selected buildings")


admin.site.site_header = gettext_lazy("Angle Mort administration")
