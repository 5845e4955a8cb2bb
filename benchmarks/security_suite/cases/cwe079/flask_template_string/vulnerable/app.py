from flask import Flask, render_template_string, request

app = Flask(__name__)

PAGE = """
<!doctype html>
<title>Preview</title>
<article class="comment">{body}</article>
"""


@app.post("/comments/preview")
def preview_comment():
    body = request.form["body"]
    return render_template_string(PAGE.format(body=body))
