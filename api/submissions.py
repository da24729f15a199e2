"""Residents' submissions and their moderation: /api/submissions/.

Anyone may POST a submission (multipart, so photos can come along); only
moderators list, read and decide them. The domain rules live in
mapping.submissions, mapping.photos and mapping.moderation; this module turns
HTTP into calls to them and their errors into the project's JSON error shape.

Nothing here stores or logs who sent a submission: the throttle keys its
counter by a keyed hash of the client address (or of the user id), in the
cache only.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from api.clients import client_bucket, keyed_hash
from api.parameters import refuse_unknown_parameters, whole_number
from api.parsers import JSONBodyParser
from api.permissions import IsModerator
from api.submission_serializers import (
    CreatedSubmissionSerializer,
    DecisionSerializer,
    MergeSerializer,
    RejectSerializer,
    SubmissionInputSerializer,
    SubmissionSerializer,
)
from mapping.models import Submission
from mapping.moderation import ModerationError, approve, merge, reject
from mapping.submissions import submit

# --- Throttling -----------------------------------------------------------------------------

# Multipart framing and the form fields, on top of the photos themselves.
REQUEST_OVERHEAD_BYTES = 1024 * 1024


class PrivateRateThrottle(SimpleRateThrottle):
    """A rate limit whose cache key is a keyed hash of the client, never the address itself.

    The rate is read at request time, so tests (and settings overrides) can change it.
    """

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ident = f"user:{user.pk}"
        else:
            ident = f"address:{client_bucket(self.get_ident(request))}"
        return self.cache_format % {"scope": self.scope, "ident": keyed_hash(ident)}


class SubmissionRateThrottle(PrivateRateThrottle):
    scope = "submissions"


class ModerationRateThrottle(PrivateRateThrottle):
    scope = "moderation"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The submission changed meanwhile.")
    default_code = "conflict"


class ModerationQueuePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


# --- Views ----------------------------------------------------------------------------------


def check_request_size(request) -> None:
    """Refuse, before reading the body, a request bigger than its photos may be in total.

    Django streams uploaded files to temporary files without a total limit; this
    keeps a client from filling the disk with one request.
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = settings.PHOTO_MAX_COUNT * settings.PHOTO_MAX_BYTES + REQUEST_OVERHEAD_BYTES
    if length > limit:
        raise RequestTooLarge(
            _("the request is larger than %(mb)s MB: at most %(n)s photos of %(photo_mb)s MB each")
            % {
                "mb": limit // (1024 * 1024),
                "n": settings.PHOTO_MAX_COUNT,
                "photo_mb": settings.PHOTO_MAX_BYTES // (1024 * 1024),
            }
        )


class SubmissionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Residents' reports about cameras, and their moderation."""

    # Oldest first: the moderation queue is worked through in arrival order; id breaks ties.
    queryset = (
        Submission.objects.select_related("moderator")
        .prefetch_related("photos")
        .order_by("created_at", "id")
    )
    serializer_class = SubmissionSerializer
    parser_classes = [MultiPartParser, FormParser, JSONBodyParser]
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["status", "kind", "camera"]
    pagination_class = ModerationQueuePagination

    def get_permissions(self):
        if self.action == "create":
            return [AllowAny()]
        return [IsModerator()]

    def get_throttles(self):
        if self.action == "create":
            return [SubmissionRateThrottle()]
        return [ModerationRateThrottle()]

    @extend_schema(
        request={
            "multipart/form-data": SubmissionInputSerializer,
            "application/json": SubmissionInputSerializer,
        },
        responses={201: CreatedSubmissionSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Report a new camera, a change, a removal or a confirmation (anyone, throttled).

        The answer is the pending submission with its warnings (possible duplicates,
        implausible attributes) and, when a photo carried a GPS position, that
        position as `suggested_location`, which is not stored. Photos are re-encoded
        without any metadata.
        """
        check_request_size(request)
        incoming = SubmissionInputSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        result = submit(
            data["kind"],
            location=data.get("location"),
            camera=data.get("camera"),
            attributes=data.get("attributes", {}),
            note=data.get("note", ""),
            pseudonym=data.get("pseudonym", ""),
            photos=data["photos"],
        )
        result.submission.suggested_location = result.suggested_location
        body = CreatedSubmissionSerializer(result.submission, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    def list(self, request, *args, **kwargs):
        """The moderation queue (moderators only), oldest first; filter with ?status=pending."""
        params = request.query_params
        paging = (self.paginator.page_query_param, self.paginator.page_size_query_param)
        refuse_unknown_parameters(params, (*self.filterset_fields, *paging))
        # DRF's paginator takes a malformed page size for the default and answers a
        # malformed page with a 404 naming nothing; the filter a bad camera id with
        # "Select a valid choice". Numbers are checked here, each error naming its field.
        for name in (*paging, "camera"):
            raw = params.get(name)
            if raw is not None and not (whole_number(raw) or 0) >= 1:
                raise serializers.ValidationError(
                    {
                        name: [
                            _("must be a whole number from 1, got %(value)s")
                            % {"value": repr(raw[:40])}
                        ]
                    }
                )
        return super().list(request, *args, **kwargs)

    def get_object(self) -> Submission:
        raw = str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, ""))
        if whole_number(raw) is None:
            raise serializers.ValidationError(
                {
                    "id": [
                        _("a submission id is a whole number, got %(value)s")
                        % {"value": repr(raw[:40])}
                    ]
                }
            )
        try:
            return super().get_object()
        except Http404:  # Django's "No Submission matches the given query.", in English only
            raise exceptions.NotFound(
                _("no submission with id %(id)s") % {"id": raw[:40]}
            ) from None

    def retrieve(self, request, *args, **kwargs):
        """One submission with its photos and warnings (moderators only)."""
        return super().retrieve(request, *args, **kwargs)

    def _decision_response(self, decide, *args) -> Response:
        submission = self.get_object()
        try:
            decision = decide(submission, self.request.user, *args)
        except ModerationError as error:
            if error.conflict:
                raise Conflict(error.message) from None
            raise serializers.ValidationError({error.field: [error.message]}) from None
        decision.submission.refresh_from_db()
        context = {"request": self.request}
        return Response(
            {
                "submission": SubmissionSerializer(decision.submission, context=context).data,
                "camera": decision.camera.pk if decision.camera else None,
                "notices": decision.notices,
            }
        )

    @extend_schema(request=None, responses={200: DecisionSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve: creates or updates the camera (source community for new ones), attaches
        the photos and recomputes fields of view and exposure."""
        return self._decision_response(approve)

    @extend_schema(request=RejectSerializer, responses={200: DecisionSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject with a reason; the submission's photos are deleted."""
        incoming = RejectSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        return self._decision_response(reject, incoming.validated_data["reason"])

    @extend_schema(request=MergeSerializer, responses={200: DecisionSerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge a new-camera report into an existing camera: it counts as a confirmation,
        its photos join the camera and it fills the camera's empty fields."""
        incoming = MergeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        return self._decision_response(merge, incoming.validated_data["camera"])


submission_router = SimpleRouter()
submission_router.register("submissions", SubmissionViewSet, basename="submission")
