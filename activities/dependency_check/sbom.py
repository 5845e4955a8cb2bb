"""The CycloneDX SBOM (JSON, spec 1.6) of a project's dependencies, built with
cyclonedx-python-lib: one component per package and version, its purl, its licence from
installed metadata when the environment was found, and where it is declared."""

from __future__ import annotations

import json
from typing import Any

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from workflows.dependency_check.models import Dependency

SPEC_VERSION = "1.6"


def build_sbom(
    dependencies: list[Dependency],
    project: str,
    licences: dict[str, dict[str, Any]] | None = None,
    tool_version: str = "",
) -> dict[str, Any]:
    """The SBOM as JSON-ready data. A dependency with no pin takes the installed version
    when known, else it is a component without a version (its specifier a property)."""
    licences = licences or {}
    factory = LicenseFactory()
    bom = Bom()
    bom.metadata.component = Component(name=project, type=ComponentType.APPLICATION)
    bom.metadata.tools.components.add(
        Component(name="attune", version=tool_version or None, type=ComponentType.APPLICATION)
    )
    grouped: dict[tuple[str, str | None], list[Dependency]] = {}
    for dep in dependencies:
        if dep.kind == "constraint":
            continue
        version = dep.version or (licences.get(dep.name) or {}).get("version")
        grouped.setdefault((dep.name, version), []).append(dep)
    for (name, version), deps in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        purl = PackageURL(type="pypi", name=name, version=version)
        properties = [Property(name="attune:declared", value=d.where) for d in deps]
        properties += [
            Property(name="attune:specifier", value=s)
            for s in sorted({d.specifier for d in deps if d.specifier and not d.version})
        ]
        licence = (licences.get(name) or {}).get("license")
        component = Component(
            name=name,
            version=version,
            type=ComponentType.LIBRARY,
            purl=purl,
            bom_ref=purl.to_string(),
            properties=properties,
            licenses=[factory.make_from_string(licence)] if licence else None,
        )
        bom.components.add(component)
        bom.register_dependency(bom.metadata.component, [component])
    return json.loads(JsonV1Dot6(bom).output_as_string(indent=2))
