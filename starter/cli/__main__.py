"""`python -m starter.cli`: the same as the `attune` console script."""

from starter.cli import run

run()
