"""quality-checks: every flow that serves the quality-checks team, in parallel, one report."""
