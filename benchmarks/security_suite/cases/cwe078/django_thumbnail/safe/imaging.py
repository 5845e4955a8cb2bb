import shlex
import subprocess

MEDIA = "/srv/media"


def make_thumbnail(name: str, width) -> str:
    output = f"{MEDIA}/thumbs/{width}-{name}"
    source = shlex.quote(f"{MEDIA}/{name}")
    subprocess.run(
        f"convert {source} -resize {width}x {shlex.quote(output)}", shell=True, check=True
    )
    return output
