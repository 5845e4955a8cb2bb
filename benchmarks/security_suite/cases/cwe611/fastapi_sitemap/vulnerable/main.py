from fastapi import FastAPI, UploadFile
from lxml import etree

app = FastAPI()


@app.post("/sitemaps")
async def upload_sitemap(sitemap: UploadFile):
    parser = etree.XMLParser(load_dtd=True, no_network=False)
    tree = etree.parse(sitemap.file, parser)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    return {"urls": [loc.text for loc in tree.iterfind(".//s:loc", ns)]}
