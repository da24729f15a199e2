"""Two different points that join the walk graph at the same place are refused like
identical points: the answer was a route of 0 m, two identical coordinates."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

# On the demo data: 1 mm apart, one joins the street ending at a junction node, the other
# the street starting there (what the API audit of 2026-12-03 met).
FROM, TO = "24.9384,60.1699", "24.93840001,60.1699"


def test_points_joining_the_graph_at_the_same_node_answer_400(helsinki):
    response = APIClient().get("/api/routes/", {"from": FROM, "to": TO})
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["errors"] == {"to": ["both points join the walkable ways at the same place"]}
