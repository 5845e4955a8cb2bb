from jinja2 import Environment, PackageLoader

env = Environment(loader=PackageLoader("notifications", "templates"), autoescape=False)


def render_digest(display_name: str, items: list[dict]) -> str:
    return env.get_template("digest.html").render(name=display_name, items=items)
