"""bug-predict: hotspots (recent changes and fixes x complexity) and high-precision bug patterns."""
