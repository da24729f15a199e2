# The Angle Mort web application (gunicorn). Mirrors what `make demo` does on a host.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends gdal-bin libgdal32 libgeos-c1v5 libproj25 gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY mapping ./mapping
COPY api ./api
RUN pip install .
COPY . .
RUN ANGLEMORT_TESTING=1 python manage.py collectstatic --noinput -v 0

RUN useradd --system --home /app anglemort && mkdir -p /app/var/media && chown -R anglemort /app/var
USER anglemort
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "300", \
     "--access-logformat", "%(m)s %(U)s %(s)s %(b)s %(M)sms", "--access-logfile", "-"]
