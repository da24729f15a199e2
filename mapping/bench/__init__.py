"""The benchmark suite of issue #8: each target measured against a baseline of the same run.

Machines are noisy (two cores shared by several people here), so no figure stands
alone: every measurement is paired with a baseline measured minutes apart on the
same machine (raw SQL for the same rows, PostgreSQL's own COPY, a raw pgr_dijkstra,
a bare pyosmium read, the HTTP floor of a trivial request) and reported as a ratio.
The `bench` management command runs it and writes docs/benchmarks.md.
"""
