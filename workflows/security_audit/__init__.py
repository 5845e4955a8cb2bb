"""security-audit: ruff S, attune's AST/taint rules and secret detection; Claude triage."""
