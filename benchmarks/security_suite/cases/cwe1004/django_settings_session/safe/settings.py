import os

DEBUG = False
ALLOWED_HOSTS = ["portal.example.com"]
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]

SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
