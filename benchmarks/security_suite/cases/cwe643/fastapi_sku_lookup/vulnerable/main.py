from fastapi import FastAPI
from lxml import etree

app = FastAPI()
INVENTORY = etree.parse("inventory.xml")


@app.get("/stock/{sku}")
def stock(sku: str):
    find = etree.XPath(f"//item[@sku='{sku}']/quantity/text()")
    quantities = find(INVENTORY)
    return {"sku": sku, "quantity": int(quantities[0]) if quantities else 0}
