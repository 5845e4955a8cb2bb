"""bug-predict: hotspots (complexity x churn x past fixes) and high-precision bug patterns."""
