# attune worker image; docker-compose.yml runs it as the `worker` service.
FROM python:3.13-slim

# The Worker Versioning build id (docker-compose.yml passes ATTUNE_BUILD_ID); empty means
# the package version.
ARG ATTUNE_BUILD_ID=""

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ATTUNE_HOME=/data/attune \
    ATTUNE_BUILD_ID=${ATTUNE_BUILD_ID}

# git for the history-based workflows (churn, release prep). The audited code is
# mounted from the host and owned by another uid; git refuses such repositories
# unless told they are safe.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system --add safe.directory '*'

# A fixed uid, so files on the shared ATTUNE_HOME volume belong to the same user in
# every replica. /data/attune exists in the image so a fresh named volume starts out
# owned by that user rather than by root.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/attune attune \
    && mkdir -p /data/attune /workspace \
    && chown attune:attune /data/attune

COPY pyproject.toml README.md worker.py /tmp/attune/
COPY workflows /tmp/attune/workflows
COPY activities /tmp/attune/activities
COPY starter /tmp/attune/starter
RUN pip install /tmp/attune && rm -rf /tmp/attune

USER 10001:10001
WORKDIR /workspace
ENTRYPOINT ["attune"]
CMD ["worker"]
