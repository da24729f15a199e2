"""Id ranges that mark synthetic rows, so they can be found and removed again.

Real OpenStreetMap ids are below 2e10 (nodes) and 2e9 (ways); synthetic ones start
at 8e12, far above anything OSM will reach, and stay within a signed 64-bit integer
(pbf and bigint columns).
"""

from __future__ import annotations

SYNTHETIC_ID_BASE = 8_000_000_000_000
CAMERA_ID_BASE = SYNTHETIC_ID_BASE  # camera nodes: base + camera index
JUNCTION_ID_BASE = SYNTHETIC_ID_BASE + 1_000_000_000  # walk-graph junction nodes
WAY_ID_BASE = SYNTHETIC_ID_BASE  # one way per segment (ways have their own id space)
SYNTHETIC_TAG = "angle_mort:synthetic"  # tag on every synthetic camera, in the DB and the pbf
