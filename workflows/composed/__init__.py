"""composed: a user's workflow spec (TOML or YAML) run without Temporal code."""
