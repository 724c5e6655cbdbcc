"""The Markdown our reports write, rendered as one plain HTML page with no extra dependency.

It covers what the training report and the ablation table use, nothing more: headings, bullets, paragraphs with
``**bold**``, ``code`` spans and ``[links](href)``, pipe tables (wide ones scroll inside their box) and ``![alt](src)``
images. Text is escaped; a ``\\|`` inside a table cell is a literal bar."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")

_STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.4}"
          ".wrap{max-width:100%;overflow-x:auto;margin:1em 0}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;white-space:nowrap}th{background:#f2f4f7}"
          "img{max-width:100%}")


def inline(text: str) -> str:
    """One line of Markdown text as escaped HTML: links as ``<a>``, ``code`` as ``<code>``, ``**x**`` as ``<b>``."""
    out, last = [], 0
    for m in _LINK.finditer(text):
        out.append(_spans(text[last:m.start()]))
        out.append(f'<a href="{html.escape(m.group(2))}">{_spans(m.group(1))}</a>')
        last = m.end()
    out.append(_spans(text[last:]))
    return "".join(out)


def _spans(text: str) -> str:
    escaped = html.escape(text)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escaped)


def _cells(line: str) -> list[str]:
    return [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(line.strip()[1:-1])]


def markdown_page(lines: Iterable[str], *, title: str = "") -> str:
    """The whole page for ``lines`` (each item may hold several lines)."""
    body: list[str] = []
    table: list[list[str]] = []

    def flush_table() -> None:
        if table:
            head, *rest = table
            body.append("<div class='wrap'><table><tr>" + "".join(f"<th>{inline(c)}</th>" for c in head) + "</tr>"
                        + "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>" for row in rest)
                        + "</table></div>")
            table.clear()

    for block in lines:
        for line in block.split("\n"):
            if line.startswith("|"):
                cells = _cells(line)
                if not all(c and set(c) <= {"-", ":"} for c in cells):
                    table.append(cells)
                continue
            flush_table()
            image = _IMAGE.fullmatch(line.strip())
            if line.startswith("#"):
                level = min(len(line) - len(line.lstrip("#")), 6)
                body.append(f"<h{level}>{inline(line.lstrip('#').strip())}</h{level}>")
            elif image:
                body.append(f'<img src="{html.escape(image.group(2))}" alt="{html.escape(image.group(1))}">')
            elif line.startswith("- "):
                body.append(f"<p>• {inline(line[2:])}</p>")
            elif line.strip():
                body.append(f"<p>{inline(line)}</p>")
    flush_table()
    head = f"<title>{html.escape(title)}</title>" if title else ""
    return f"<!doctype html><meta charset='utf-8'>{head}<style>{_STYLE}</style>\n" + "\n".join(body)
