"""Camera density per map cell: counts in square Web Mercator cells, exact and fast.

cells.py holds the tile arithmetic (pure), dimensions.py the breakdown of the
pre-aggregated counts by filterable column, triggers.py the statement-level
triggers that keep mapping_densitycell in step with mapping_camera, and
queries.py what the API calls. This package's __init__ imports nothing, because
mapping.models imports the triggers while it is itself being imported.
"""
