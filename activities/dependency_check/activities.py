"""dependency-check's activities: thin typed wrappers around the inventory, the advisory
check against the local OSV database, the hygiene checks and the report writers."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from temporalio import activity

from activities import reports
from activities.artifacts import RAW_JSON, ArtifactStore
from activities.batches import RunArtifacts
from activities.dependency_check.database import database_path
from activities.dependency_check.hygiene import (
    confusion_check,
    find_environment,
    installed,
    licences,
    run_deptry,
)
from activities.dependency_check.inventory import build_inventory
from activities.dependency_check.report import (
    dependency_report,
    render_dependency_markdown,
    render_dependency_sarif,
)
from activities.dependency_check.sbom import build_sbom
from activities.dependency_check.vulnerabilities import check_advisories
from activities.discovery import SKIPPED
from activities.target import target_dir, target_path
from workflows.dependency_check.models import (
    Dependency,
    DependencyReportOutcome,
    DependencyReportRequest,
    InventoryOutcome,
    InventoryRequest,
    StageOutcome,
    StageRequest,
)
from workflows.schemas import Finding, ReportWarning, SkippedFile

FINDINGS = TypeAdapter(list[Finding])
DEPENDENCIES = TypeAdapter(list[Dependency])
WARNINGS = TypeAdapter(list[ReportWarning])
ARTIFACTS = RunArtifacts("dependency-check")


class DependencyCheckActivities:
    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    @activity.defn(name="dependency_check_inventory")
    async def inventory(self, request: InventoryRequest) -> InventoryOutcome:
        return await asyncio.to_thread(self._inventory, request)

    def _inventory(self, request: InventoryRequest) -> InventoryOutcome:
        found = build_inventory(target_path(request.target))
        base = ARTIFACTS.run_base(request.run_key)
        deps = found.dependencies
        return InventoryOutcome(
            dependencies=self.store.put(f"{base}/dependencies.json", deps, DEPENDENCIES, len(deps)),
            warnings=self.store.put(
                f"{base}/inventory-warnings.json", found.warnings, WARNINGS, len(found.warnings)
            ),
            skipped=self.store.put(
                f"{base}/inventory-skipped.json", found.skipped, SKIPPED, len(found.skipped)
            ),
            files=found.files,
            count=len(deps),
            project_names=found.project_names,
            indexes=found.indexes,
        )

    @activity.defn(name="dependency_check_advisories")
    async def advisories(self, request: StageRequest) -> StageOutcome:
        return await asyncio.to_thread(self._advisories, request)

    def _advisories(self, request: StageRequest) -> StageOutcome:
        deps = self.store.get(request.inventory.dependencies, DEPENDENCIES)
        check = check_advisories(
            deps, database_path(), datetime.now(UTC), request.request.max_database_age_days
        )
        base = ARTIFACTS.run_base(request.run_key)
        return self._stage(
            f"{base}/advisories",
            check.findings,
            {"vulnerabilities": check.vulnerabilities},
            check.warnings,
            [],
            database=check.database,
        )

    @activity.defn(name="dependency_check_hygiene")
    async def hygiene(self, request: StageRequest) -> StageOutcome:
        return await asyncio.to_thread(self._hygiene, request)

    def _hygiene(self, request: StageRequest) -> StageOutcome:
        deps = self.store.get(request.inventory.dependencies, DEPENDENCIES)
        options = request.request
        target = target_path(request.target)
        root = target_dir(request.target)
        site = find_environment(root, options.environment)
        findings: list[Finding] = []
        warnings: list[ReportWarning] = []
        details: dict[str, Any] = {}
        if not target.is_dir():
            details["deptry"] = {"status": "skipped", "reason": "deptry needs a project directory"}
        else:
            outcome = run_deptry(root, deps, site)
            findings += outcome.findings
            warnings += outcome.warnings
            details["deptry"] = (
                {"status": "skipped", "reason": outcome.skipped}
                if outcome.skipped
                else {"status": "ok", "findings": len(outcome.findings)}
            )
        if site:
            details["licences"] = {
                "status": "ok",
                "environment": [str(p) for p in site],
                "packages": licences(deps, installed(site)),
            }
        else:
            details["licences"] = {
                "status": "skipped",
                "reason": "no virtualenv of the target found (.venv, venv, env or "
                "--param environment=...)",
            }
        if options.confusion_check:
            confusion = confusion_check(
                deps, request.inventory.project_names, options.public_index_url
            )
            findings += confusion.findings
            details["confusion"] = (
                {"status": "skipped", "reason": confusion.skipped}
                if confusion.skipped
                else {
                    "status": "ok",
                    "index": options.public_index_url,
                    "checked": confusion.checked,
                }
            )
        else:
            details["confusion"] = {"status": "skipped", "reason": "confusion_check=false"}
        skipped = [
            {"path": name, "reason": part["reason"]}
            for name, part in details.items()
            if part["status"] == "skipped"
        ]
        base = ARTIFACTS.run_base(request.run_key)
        return self._stage(f"{base}/hygiene", findings, details, warnings, skipped)

    def _stage(
        self,
        base: str,
        findings: list[Finding],
        details: dict[str, Any],
        warnings: list[ReportWarning],
        skipped: list[dict[str, str]],
        **extra: Any,
    ) -> StageOutcome:
        return StageOutcome(
            findings=self.store.put(f"{base}-findings.json", findings, FINDINGS, len(findings)),
            details=self.store.put(f"{base}-details.json", details, RAW_JSON),
            warnings=self.store.put(f"{base}-warnings.json", warnings, WARNINGS, len(warnings)),
            skipped=skipped,
            **extra,
        )

    @activity.defn(name="dependency_check_report")
    async def report(self, request: DependencyReportRequest) -> DependencyReportOutcome:
        return await asyncio.to_thread(self._report, request)

    def _report(self, request: DependencyReportRequest) -> DependencyReportOutcome:
        deps = self.store.get(request.inventory.dependencies, DEPENDENCIES)
        stages = [s for s in (request.advisories, request.hygiene) if s is not None]
        findings = [f for s in stages for f in self.store.get(s.findings, FINDINGS)]
        findings.sort(key=lambda f: (f.file, f.line, f.rule_id))
        warnings = self.store.get(request.inventory.warnings, WARNINGS)
        warnings += [w for s in stages for w in self.store.get(s.warnings, WARNINGS)]
        skipped: list[SkippedFile] = self.store.get(request.inventory.skipped, SKIPPED)
        advisories = self.store.get(request.advisories.details, RAW_JSON)
        hygiene = (
            self.store.get(request.hygiene.details, RAW_JSON)
            if request.hygiene
            else {"deptry": {"status": "skipped", "reason": "hygiene=false"}}
        )
        summary = reports.summarize(findings, len(request.inventory.files), len(skipped))
        warnings += [
            ReportWarning(code="check-skipped", message=f"{s['path']} skipped: {s['reason']}")
            for st in stages
            for s in st.skipped
        ]
        base = ARTIFACTS.run_base(request.run_key)
        findings_ref = self.store.put(f"{base}/findings.json", findings, FINDINGS, len(findings))
        out_dir = (
            Path(request.out_dir) if request.out_dir else self.store.run_dir(request.workflow_id)
        )
        paths = reports.artifact_paths(out_dir) | {
            "sbom": str(out_dir.absolute() / "sbom.cdx.json")
        }
        duration = round((datetime.now(UTC) - request.started_at).total_seconds(), 3)
        database = request.advisories.database
        report = dependency_report(
            envelope={
                "workflow": request.workflow,
                "workflow_id": request.workflow_id,
                "run_id": request.run_id,
                "status": "completed",
                "target": request.target,
                "started_at": request.started_at,
                "duration_s": duration,
                "summary": summary,
                "artifacts": paths,
            },
            findings=findings,
            skipped=skipped,
            database=database.model_dump(mode="json") if database else {"status": "missing"},
            dependencies=[d.model_dump(mode="json", exclude_none=True) for d in deps],
            files=request.inventory.files,
            vulnerabilities=advisories["vulnerabilities"],
            hygiene=hygiene,
            warnings=warnings,
        )
        version = metadata.version("attune")
        project = (request.inventory.project_names or [target_dir(request.target).name])[0]
        sbom = build_sbom(deps, project, hygiene.get("licences", {}).get("packages"), version)
        contents = {
            "markdown": render_dependency_markdown(report),
            "json": json.dumps(report, indent=2, ensure_ascii=False) + "\n",
            "sarif": json.dumps(
                render_dependency_sarif(report, version), indent=2, ensure_ascii=False
            )
            + "\n",
            "sbom": json.dumps(sbom, indent=2, ensure_ascii=False) + "\n",
        }
        Path(paths["json"]).parent.mkdir(parents=True, exist_ok=True)
        for kind, text in contents.items():
            reports._atomic_write(Path(paths[kind]), text)  # whole or not at all, mode 0644
        return DependencyReportOutcome(
            summary=summary,
            artifacts=self.store.publish(paths),
            findings=findings_ref,
            vulnerable=len({(v["file"], v["line"]) for v in advisories["vulnerabilities"]}),
            duration_s=duration,
        )
