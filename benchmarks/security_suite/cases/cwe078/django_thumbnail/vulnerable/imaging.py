import subprocess

MEDIA = "/srv/media"


def make_thumbnail(name: str, width) -> str:
    output = f"{MEDIA}/thumbs/{width}-{name}"
    subprocess.run(
        f"convert {MEDIA}/{name} -resize {width}x {output}", shell=True, check=True
    )
    return output
