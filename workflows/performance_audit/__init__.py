"""performance-audit: static performance anti-patterns (ruff families and attune's own)."""
