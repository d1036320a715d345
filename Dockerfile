# syntax=docker/dockerfile:1
# diary-bot: one image for every role (web, worker, scheduler, migrate); the command picks the role.
#
#   docker build -t diary-bot .
#   docker run --rm diary-bot diary-bot --help
#
# Built with uv from uv.lock (exactly the locked versions, no dev tools) into a virtual environment
# that the runtime stage copies alone: no compiler, no uv, no source tree in the final image.
# PYTHON_IMAGE lets a site that reaches Docker Hub only through a mirror name the mirror's copy.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.9
# uv comes from the Python package index like every dependency, so the build needs no other registry.
RUN pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_NO_PROGRESS=1
WORKDIR /src

# Dependencies first: this layer is rebuilt only when the lock changes, not on every code change.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

# README.md is the package's readme (pyproject.toml), needed to build it, not to install the rest.
COPY README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY services ./services
COPY views ./views
COPY models ./models
COPY locales ./locales
COPY devtools ./devtools
# The catalogs are committed compiled; compiling them again keeps a stale one out of the image. The
# check after the install looks in the installed package (-I: not in this source tree) for both
# catalogs and the migrations: without a .mo gettext falls back to English and says nothing.
RUN /app/.venv/bin/pybabel compile -d locales -D messages --statistics \
    && uv sync --frozen --no-dev --no-editable \
    && /app/.venv/bin/python -I -c "import pathlib, locales, models.migrate as m; \
p = pathlib.Path(locales.__file__).parent; \
assert all((p / lang / 'LC_MESSAGES' / 'messages.mo').is_file() for lang in ('ru', 'en')), 'no .mo'; \
assert any(m.MIGRATIONS_DIR.joinpath('versions').glob('0001_*.py')), 'no migrations'"


FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="diary-bot" \
      org.opencontainers.image.description="Telegram front end of a school electronic diary"
# A fixed uid/gid that owns nothing in the image but /data: the bot reads its code and writes to the
# database, Redis and stderr. /data is for a small school's SQLite file (docker run -v diary:/data).
RUN groupadd --system --gid 10001 diary \
    && useradd --system --uid 10001 --gid diary --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin diary \
    && install -d -o diary -g diary -m 0700 /data
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8080
WORKDIR /data
USER diary:diary
# Every `diary-bot run` serves /healthz, /readyz and /metrics on WEB_PORT, and a web process its webhook.
EXPOSE 8080
# SIGTERM is the gentle stop: a web process finishes the updates under way, a worker its sends.
STOPSIGNAL SIGTERM
# /healthz answers 200 when the database and Redis answer (compose turns the check off for the
# one-shot migrate). The start period covers a start on a busy host: importing everything takes seconds.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ['WEB_PORT'], timeout=8)" || exit 1
# One process doing everything by long polling, upgrading the database first: a small school's
# whole deployment. compose.yaml runs the roles apart instead.
CMD ["diary-bot", "run"]
