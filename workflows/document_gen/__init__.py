"""document-gen: docstring coverage and consistency, the API reference, docstring drafts."""
