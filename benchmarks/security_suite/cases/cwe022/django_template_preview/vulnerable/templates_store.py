from pathlib import Path

EMAIL_TEMPLATES = Path(__file__).parent / "email_templates"


def template_source(name: str) -> str:
    path = EMAIL_TEMPLATES.joinpath(name)
    with path.open(encoding="utf-8") as handle:
        return handle.read()
