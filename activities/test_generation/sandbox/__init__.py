"""Files put on a candidate test's PYTHONPATH: not imported by attune itself.

`sitecustomize` installs the write guard at interpreter start; `attune_probe` is the
pytest plugin that measures coverage and reports how each test ended."""
