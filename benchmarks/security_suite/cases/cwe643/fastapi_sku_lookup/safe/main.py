from fastapi import FastAPI
from lxml import etree

app = FastAPI()
INVENTORY = etree.parse("inventory.xml")
FIND_QUANTITY = etree.XPath("//item[@sku=$sku]/quantity/text()")


@app.get("/stock/{sku}")
def stock(sku: str):
    quantities = FIND_QUANTITY(INVENTORY, sku=sku)
    return {"sku": sku, "quantity": int(quantities[0]) if quantities else 0}
