from django.db import models


class Event(models.Model):
    title = models.CharField(max_length=200)
    venue_city = models.CharField(max_length=100)
    starts_at = models.DateTimeField()
