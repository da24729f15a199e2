"""Read endpoints over cameras: list and detail, density cells, exports (one module each)."""
