"""bug-predict: hotspots (latest changed, then most complex) and high-precision bug patterns."""
