"""docker-compose.yml and Dockerfile, checked without a Docker engine.

The compose file must be valid Compose and keep the promises teams rely on: workers
scale (`docker compose up --scale worker=3`), keep artifacts in the S3-compatible store
(MinIO, its bucket made by a one-shot job) rather than on a shared disk, never see the
starter's filesystem, run under Worker Versioning with a next build ready for rollouts,
and find every attune search attribute registered.

tests/fixtures/compose-spec.json is the Compose Specification's JSON schema
(compose-spec/compose-spec, schema/compose-spec.json, `$id` compose_spec.json) as shipped
in the npm package dclint@3.1.0 at schemas/compose.schema.json, unmodified;
sha256 46b7d35f19dd93a05f8fea530291bf84d881c1791ec167ecf0e6fb94e639d496. To refresh it:
`npm pack dclint@<version>` and copy that file over.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from workflows.wire import SEARCH_ATTRIBUTES

REPO = Path(__file__).resolve().parent.parent
SCHEMA = Path(__file__).parent / "fixtures" / "compose-spec.json"
SCHEMA_SHA256 = "46b7d35f19dd93a05f8fea530291bf84d881c1791ec167ecf0e6fb94e639d496"

# The temporal CLI's names for the SDK's indexed value types.
CLI_TYPE = {
    "TEXT": "Text",
    "KEYWORD": "Keyword",
    "INT": "Int",
    "DOUBLE": "Double",
    "BOOL": "Bool",
    "DATETIME": "Datetime",
    "KEYWORD_LIST": "KeywordList",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def worker(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]["worker"]


def load_schema() -> dict[str, Any]:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    # Draft 7, though spelt in a way jsonschema does not look up by itself.
    assert schema["$schema"].rstrip("#") == "https://json-schema.org/draft-07/schema"
    return schema


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    out = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, args = line.strip().partition(" ")
            out.append((keyword.upper(), args.strip()))
    return out


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"use the exec (JSON) form, not {args!r}"
    return value


def shell_script(service: dict[str, Any]) -> str:
    """The service's script as the container's shell sees it (`$$` is Compose's `$`)."""
    command = service["command"]
    text = command if isinstance(command, str) else "\n".join(command)
    return text.replace("$$", "$")


def test_compose_matches_the_specification(compose: dict[str, Any]) -> None:
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256
    schema = load_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(compose), key=lambda e: list(e.path)
    )
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_schema_rejects_what_compose_rejects() -> None:
    """Guards the test above against a schema that accepts anything."""
    bad = {"services": {"worker": {"image": "x", "contaner_name": "typo"}}}
    assert list(jsonschema.Draft7Validator(load_schema()).iter_errors(bad))


def test_worker_scales(worker: dict[str, Any]) -> None:
    assert "container_name" not in worker
    assert "ports" not in worker
    assert "hostname" not in worker
    replicas = str(worker.get("deploy", {}).get("replicas", 1))
    # `${ATTUNE_WORKERS:-2}`: Compose interpolates it; without the variable, the default.
    default = re.fullmatch(r"\$\{ATTUNE_WORKERS:-(\d+)\}", replicas)
    assert int(default.group(1) if default else replicas) >= 2


def test_worker_environment_and_volumes(compose: dict[str, Any], worker: dict[str, Any]) -> None:
    env = worker["environment"]
    assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert env["ATTUNE_HOME"] == "/data/attune"
    assert env["ATTUNE_ARTIFACTS"].startswith("s3://")
    assert env["AWS_ENDPOINT_URL"] == "http://minio:9000"
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ATTUNE_LLM_RPS"} <= set(env)
    assert env["ATTUNE_DEPLOYMENT"] == "attune"
    volumes = worker["volumes"]
    assert volumes == ["attune-home:/data/attune"], "workers see no host directory"
    assert "attune-home" in compose["volumes"]
    assert set(worker["depends_on"]) >= {"temporal", "temporal-setup", "minio-setup"}
    for job in ("temporal-setup", "minio-setup"):
        assert worker["depends_on"][job]["condition"] == "service_completed_successfully"


def test_artifact_store_and_its_bucket(compose: dict[str, Any], worker: dict[str, Any]) -> None:
    services = compose["services"]
    minio = services["minio"]
    assert minio["image"].startswith("minio/minio:")
    assert "9000:9000" in minio["ports"]
    assert any(v.split(":")[0] in compose["volumes"] for v in minio["volumes"])
    setup = services["minio-setup"]
    assert setup["depends_on"]["minio"]["condition"] == "service_healthy"
    script = shell_script(setup)
    assert "mc mb --ignore-existing" in script
    bucket = worker["environment"]["ATTUNE_ARTIFACTS"].removeprefix("s3://").split("/")[0]
    assert setup["environment"]["BUCKET"] == bucket
    assert worker["environment"]["AWS_ACCESS_KEY_ID"] == minio["environment"]["MINIO_ROOT_USER"]


def test_next_build_runs_beside_the_current_one(
    compose: dict[str, Any], worker: dict[str, Any]
) -> None:
    nxt = compose["services"]["worker-next"]
    assert nxt["profiles"] == ["rollout"], "only during a rollout"
    assert nxt["environment"] == worker["environment"]
    assert nxt["image"] != worker["image"]
    assert nxt["build"]["args"]["ATTUNE_BUILD_ID"] != worker["build"]["args"]["ATTUNE_BUILD_ID"]


def test_worker_image_is_built_here(worker: dict[str, Any]) -> None:
    context = REPO / (
        worker["build"] if isinstance(worker["build"], str) else worker["build"]["context"]
    )
    assert (context / "Dockerfile").is_file()
    # The image's own ENTRYPOINT/CMD must be what runs: `attune worker`.
    assert "entrypoint" not in worker
    assert worker.get("command") in (None, ["worker"])


def test_temporal_stack(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["temporal"]["image"].startswith("temporalio/server:")
    assert services["temporal"]["environment"]["DB"] == "postgres12"
    assert services["temporal-ui"]["image"].startswith("temporalio/ui:")
    assert "8080:8080" in services["temporal-ui"]["ports"]
    postgres_volumes = services["postgresql"]["volumes"]
    assert any(v.split(":")[0] in compose["volumes"] for v in postgres_volumes)
    schema_job = shell_script(services["temporal-schema"])
    for db in ("temporal", "temporal_visibility"):
        assert db in schema_job
    assert "update-schema" in schema_job


def test_every_search_attribute_is_registered(compose: dict[str, Any]) -> None:
    setup = compose["services"]["temporal-setup"]
    assert setup["image"].startswith("temporalio/admin-tools:")
    assert setup["depends_on"]["temporal"]["condition"] == "service_healthy"
    script = shell_script(setup)
    assert "operator search-attribute create" in script
    registered = {}
    for line in script.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        names = [words[i + 1] for i, w in enumerate(words) if w == "--name"]
        types = [words[i + 1] for i, w in enumerate(words) if w == "--type"]
        # The CLI pairs each --name with a --type; extra names would be silently dropped.
        assert len(names) == len(types), line
        registered.update(zip(names, types, strict=True))
    expected = {key.name: CLI_TYPE[key.indexed_value_type.name] for key in SEARCH_ATTRIBUTES}
    assert registered == expected


def test_dockerfile_basics() -> None:
    instructions = dockerfile_instructions()
    froms = [args for keyword, args in instructions if keyword == "FROM"]
    assert len(froms) == 1 and re.fullmatch(r"python:3\.1[3-9](\.\d+)?-slim", froms[0])

    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in ("root", "0")

    entrypoint = [exec_form(a) for k, a in instructions if k == "ENTRYPOINT"][-1]
    cmd = [exec_form(a) for k, a in instructions if k == "CMD"][-1]
    assert entrypoint + cmd == ["attune", "worker"]

    runs = " ".join(args for keyword, args in instructions if keyword == "RUN")
    assert "pip install" in runs


def test_dockerfile_copies_exist() -> None:
    """A missing COPY source only fails at `docker build`; catch it here instead."""
    for keyword, args in dockerfile_instructions():
        if keyword == "COPY":
            *sources, _ = args.split()
            for source in sources:
                assert (REPO / source).exists(), f"COPY source {source} is missing"
