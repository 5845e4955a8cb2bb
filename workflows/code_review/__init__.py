"""code-review: correctness, maintainability and clarity of files or a diff; fixes as diffs."""
