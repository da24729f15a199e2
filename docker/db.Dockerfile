# PostgreSQL 15 + PostGIS 3 + pgRouting. The plain postgis image has no pgRouting;
# it is based on Debian with the PostgreSQL apt repository, so the package is one install away.
FROM postgis/postgis:15-3.4
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15-pgrouting \
 && rm -rf /var/lib/apt/lists/*
COPY docker/initdb-pgrouting.sql /docker-entrypoint-initdb.d/20-pgrouting.sql
