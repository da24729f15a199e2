"""The filterable columns folded into one integer per pre-aggregated density row.

mapping_densitycell keeps, per cell, one count for each combination of source,
status, surveillance, surveillance type, camera type and capabilities that
occurs there, so the density endpoint can answer those filters from the
aggregate. The combination is packed into ``dims`` (15 bits): each column takes
the bits needed for the index of its value (blank first where blank is allowed),
and each capability one bit of its own. Packing keeps the aggregation cheap
(integers hash faster than five text columns) and the primary key short.

Adding a choice to one of these columns changes the packing: rebuild the
aggregate afterwards (mapping.density.queries.rebuild_density_cells).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mapping.camera_queries import CameraFilters
from mapping.models import (
    CameraStatus,
    CameraType,
    Capability,
    Source,
    Surveillance,
    SurveillanceType,
)


@dataclass(frozen=True)
class Dimension:
    """One column packed into ``dims``: its values' indexes in ``bits`` bits from ``shift``."""

    column: str
    values: tuple[str, ...]
    shift: int

    @property
    def bits(self) -> int:
        return max(1, (len(self.values) - 1).bit_length())

    @property
    def mask(self) -> int:
        return (1 << self.bits) - 1

    def index(self, value: str) -> int:
        return self.values.index(value)


def _layout() -> tuple[tuple[Dimension, ...], int]:
    columns = (
        ("source", tuple(Source.values)),
        ("status", tuple(CameraStatus.values)),
        ("surveillance", ("", *Surveillance.values)),
        ("surveillance_type", ("", *SurveillanceType.values)),
        ("camera_type", ("", *CameraType.values)),
    )
    dimensions, shift = [], 0
    for column, values in columns:
        dimension = Dimension(column, values, shift)
        dimensions.append(dimension)
        shift += dimension.bits
    return tuple(dimensions), shift


DIMENSIONS, CAPABILITY_SHIFT = _layout()
CAPABILITIES = tuple(Capability.values)
DIMS_BITS = CAPABILITY_SHIFT + len(CAPABILITIES)


def _sql_text(value: str) -> str:
    # Values come from the model's choices, never from a request; quotes doubled anyway.
    return "'" + value.replace("'", "''") + "'"


def dims_sql(alias: str) -> str:
    """SQL computing ``dims`` for a camera row named ``alias`` (a constant fragment)."""
    parts = []
    for dimension in DIMENSIONS:
        cases = " ".join(
            f"WHEN {_sql_text(value)} THEN {index}"
            for index, value in enumerate(dimension.values)
            if index
        )
        parts.append(f"((CASE {alias}.{dimension.column} {cases} ELSE 0 END) << {dimension.shift})")
    for offset, capability in enumerate(CAPABILITIES):
        parts.append(
            f"((CASE WHEN {_sql_text(capability)} = ANY({alias}.capabilities) THEN 1 ELSE 0 END)"
            f" << {CAPABILITY_SHIFT + offset})"
        )
    return "(" + " | ".join(parts) + ")"


def encode(camera: dict) -> int:
    """``dims`` of one camera given as a dict of column values (tests, documentation)."""
    dims = 0
    for dimension in DIMENSIONS:
        value = camera.get(dimension.column) or ""
        index = dimension.index(value) if value in dimension.values else 0
        dims |= index << dimension.shift
    for offset, capability in enumerate(CAPABILITIES):
        if capability in (camera.get("capabilities") or ()):
            dims |= 1 << (CAPABILITY_SHIFT + offset)
    return dims


def first_import_dims(
    surveillance: str, surveillance_type: str, camera_type: str, capabilities: tuple[str, ...]
) -> int:
    """``dims`` of a camera a first import writes (from OpenStreetMap, active), from the
    fields its tags gave."""
    return encode(
        {
            "source": Source.OSM.value,
            "status": CameraStatus.ACTIVE.value,
            "surveillance": surveillance,
            "surveillance_type": surveillance_type,
            "camera_type": camera_type,
            "capabilities": capabilities,
        }
    )


def decode(dims: int) -> dict:
    """The column values packed in ``dims``."""
    camera: dict = {}
    for dimension in DIMENSIONS:
        camera[dimension.column] = dimension.values[(dims >> dimension.shift) & dimension.mask]
    camera["capabilities"] = [
        capability
        for offset, capability in enumerate(CAPABILITIES)
        if dims >> (CAPABILITY_SHIFT + offset) & 1
    ]
    return camera


def aggregate_serves(filters: CameraFilters) -> bool:
    """Whether the aggregate can answer these filters (the others need the camera rows)."""
    return not filters.operator and filters.updated_since is None


def _dimension_sql(dimension: Dimension, column: str) -> str:
    return f"(({column} >> {dimension.shift}) & {dimension.mask})"


def dims_statistics_expressions() -> list[str]:
    """The expressions dims_conditions filters on; migration 0006 keeps statistics on them,
    so that the planner knows how many cells each test keeps."""
    return [_dimension_sql(dimension, "dims") for dimension in DIMENSIONS]


def _tests(filters: CameraFilters) -> tuple[list[tuple[Dimension, list[int]]], int]:
    """Per packed column, the value indexes the filters keep; and the capability bits,
    any of which keeps a row (0: no capability asked)."""
    requested = {
        "source": filters.sources,
        "status": filters.statuses,
        "surveillance": filters.surveillances,
        "surveillance_type": filters.surveillance_types,
        "camera_type": filters.camera_types,
    }
    tests = [
        (dimension, [dimension.index(value) for value in requested[dimension.column]])
        for dimension in DIMENSIONS
        if requested[dimension.column]
    ]
    bits = 0
    for capability in filters.capabilities:
        bits |= 1 << (CAPABILITY_SHIFT + CAPABILITIES.index(capability))
    return tests, bits


def dims_conditions(filters: CameraFilters, column: str = "dims") -> tuple[list[str], list]:
    """WHERE conditions on ``column`` for the filters the aggregate serves, and their params."""
    tests, bits = _tests(filters)
    conditions = [f"{_dimension_sql(dimension, column)} = ANY(%s)" for dimension, _ in tests]
    params: list = [indexes for _, indexes in tests]
    if bits:
        conditions.append(f"({column} & %s) <> 0")
        params.append(bits)
    return conditions, params


def dims_match(filters: CameraFilters, dims: np.ndarray) -> np.ndarray:
    """Which of the dims values the conditions of dims_conditions keep, by numpy."""
    tests, bits = _tests(filters)
    keep = np.ones(len(dims), dtype=bool)
    for dimension, indexes in tests:
        keep &= np.isin((dims >> dimension.shift) & dimension.mask, indexes)
    if bits:
        keep &= (dims & bits) != 0
    return keep
