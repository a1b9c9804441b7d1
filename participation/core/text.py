"""Text helpers: safe Markdown for long texts, and normalisation for matching."""

import re
import unicodedata
from functools import lru_cache

import bleach
from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable(["image"])

ALLOWED_TAGS = ["p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code"]
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"]}


def _link_rel(attrs, new=False):
    attrs[(None, "rel")] = "nofollow ugc noopener"
    return attrs


def render_markdown(text: str | None) -> Markup:
    """A small Markdown subset rendered to HTML that is safe to show as is."""
    return _render_markdown(text or "")


# Rendering and cleaning takes a millisecond or two a text, and lists show twenty of
# them on every view: the result depends on the text alone, so each process keeps the
# latest ones (bounded: a few megabytes at most).
@lru_cache(maxsize=2048)
def _render_markdown(text: str) -> Markup:
    html = _markdown.render(text)
    clean = bleach.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                         protocols=["http", "https", "mailto"], strip=True)
    linked = bleach.linkify(clean, callbacks=[_link_rel], skip_tags=["code"])
    return Markup(linked)  # noqa: S704  # nosec B704 — bleach allow-list just above


# Characters that change how text looks without being text: bidi overrides,
# zero-width marks, control characters (but tab and newlines).
_INVISIBLE = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f"
                        r"\u202a-\u202e\u2060-\u2069\ufeff]")


def clean_line(text: str | None) -> str:
    """One line of user text: invisible and control characters removed, spaces squeezed."""
    text = unicodedata.normalize("NFC", text or "")
    text = _INVISIBLE.sub("", text)
    return " ".join(text.split())


def fold(text: str) -> str:
    """Lower case, without accents: the key two strings are compared on."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
