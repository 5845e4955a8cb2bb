import random
import string
from datetime import datetime, timedelta, timezone

ALPHABET = string.ascii_letters + string.digits


def create_reset_token(db, user_id: int) -> str:
    token = "".join(random.choice(ALPHABET) for _ in range(32))
    expires = datetime.now(timezone.utc) + timedelta(hours=1)
    db.execute(
        "INSERT INTO password_resets(user_id, token, expires) VALUES (?, ?, ?)",
        (user_id, token, expires),
    )
    return token
