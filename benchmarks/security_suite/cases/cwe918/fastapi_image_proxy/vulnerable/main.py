import httpx
from fastapi import FastAPI
from fastapi.responses import Response

app = FastAPI()


@app.get("/proxy/image")
async def proxy_image(src: str):
    async with httpx.AsyncClient(timeout=10) as client:
        upstream = await client.get(src)
    return Response(upstream.content, media_type=upstream.headers.get("content-type"))
