import requests

AVATAR_DIR = "/srv/media/avatars"


def download_avatar(user_id: int, url: str) -> str:
    path = f"{AVATAR_DIR}/{int(user_id)}.img"
    with requests.get(url, stream=True, timeout=15) as response, open(path, "wb") as out:
        for chunk in response.iter_content(65536):
            out.write(chunk)
    return path
