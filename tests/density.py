"""The density aggregate as sets of rows, for tests comparing it with a recount."""

from __future__ import annotations

from mapping.models import DensityCell, DensityTotal


def aggregate_rows() -> set[tuple]:
    """Every row of the aggregate and of its totals (mapping/density/totals.py)."""
    cells = DensityCell.objects.values_list("level", "cell_x", "cell_y", "dims", "camera_count")
    totals = DensityTotal.objects.values_list("level", "cell_x", "cell_y", "camera_count")
    return {("cell", *row) for row in cells} | {("total", *row) for row in totals}


def empty_aggregate() -> None:
    DensityCell.objects.all().delete()
    DensityTotal.objects.all().delete()
