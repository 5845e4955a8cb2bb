from django.http import JsonResponse

from .importer import parse_pipeline


def upload_pipeline(request):
    text = request.FILES["pipeline"].read().decode("utf-8")
    pipeline = parse_pipeline(text)
    return JsonResponse({"steps": len(pipeline.get("steps", []))})
