"""The machine's ceiling: the smallest Flask page, served by benchmarks/pages.py exactly as
the site is (same gunicorn settings), so that each page's throughput reads as a share of it."""

from flask import Flask

app = Flask(__name__)

PAGE = ("<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Minimal</title>"
        "</head><body><p>Bonjour le Calaisis</p></body></html>")


@app.get("/")
def index():
    return PAGE
