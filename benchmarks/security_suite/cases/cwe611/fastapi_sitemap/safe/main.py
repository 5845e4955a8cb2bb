import defusedxml.ElementTree as SafeET
from fastapi import FastAPI, UploadFile

app = FastAPI()


@app.post("/sitemaps")
async def upload_sitemap(sitemap: UploadFile):
    tree = SafeET.parse(sitemap.file)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    return {"urls": [loc.text for loc in tree.iterfind(".//s:loc", ns)]}
