"""dependency-check: inventory, OSV advisories from a local database, hygiene, SBOM."""
