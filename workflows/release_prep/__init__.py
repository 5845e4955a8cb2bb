"""release-prep: an agent team checks a release, then a person approves or rejects it."""
