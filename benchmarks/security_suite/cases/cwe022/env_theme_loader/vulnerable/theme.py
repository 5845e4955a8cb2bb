import json
import os

THEMES = "/usr/share/dashboard/themes"


def load_theme() -> dict:
    theme = os.environ.get("DASHBOARD_THEME", "light")
    with open(f"{THEMES}/{theme}.json", encoding="utf-8") as handle:
        return json.load(handle)
