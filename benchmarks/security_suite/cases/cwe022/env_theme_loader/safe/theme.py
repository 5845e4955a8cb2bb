import json
import os

THEMES = "/usr/share/dashboard/themes"
AVAILABLE = {"light", "dark", "high-contrast"}


def load_theme() -> dict:
    theme = os.environ.get("DASHBOARD_THEME", "light")
    if theme not in AVAILABLE:
        theme = "light"
    with open(f"{THEMES}/{theme}.json", encoding="utf-8") as handle:
        return json.load(handle)
