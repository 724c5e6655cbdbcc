"""The reports' one Markdown renderer, read back with the standard library's HTML parser: what a reader sees in a
table is what the Markdown said, text never becomes markup, and links and images keep their targets."""

from __future__ import annotations

from html.parser import HTMLParser

from rewardmap.evaluation.markdown import markdown_page


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.tags: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.images: list[tuple[str, str]] = []
        self.text: list[str] = []
        self._href: str | None = None
        self._anchor: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "a":
            self._href, self._anchor = attrs["href"], []
        elif tag == "img":
            self.images.append((attrs["src"], attrs.get("alt", "")))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell))
            self.cell = None
        elif tag == "a":
            self.links.append(("".join(self._anchor), self._href))
            self._href = None

    def handle_data(self, data):
        self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)
        if self._href is not None:
            self._anchor.append(data)


def read(page: str) -> _Reader:
    r = _Reader()
    r.feed(page)
    return r


def test_table_cells_read_back_as_written_and_text_never_becomes_markup():
    md = ["# Results <b>", "", "| recipe | a \\| b | note |", "|---|:-:|---|",
          "| rl-baseline | 0.500 ± 0.010 | <script>alert(1)</script> & co |",
          "| rewardmap | **0.600** | `x < y` |", "", "plain **bold** line"]
    r = read(markdown_page(md, title="t"))
    assert r.rows == [["recipe", "a | b", "note"], ["rl-baseline", "0.500 ± 0.010", "<script>alert(1)</script> & co"],
                      ["rewardmap", "0.600", "x < y"]]
    assert "script" not in r.tags and "b" in r.tags and "code" in r.tags
    assert "Results <b>" in "".join(r.text)


def test_links_and_images_keep_their_targets_and_two_tables_stay_apart():
    md = ["- a [training report](runs/x/seed-0/train/report.html) here", "![reward per step](curves.png)",
          "| a |", "|---|", "| 1 |", "", "| b |", "|---|", "| 2 |"]
    page = markdown_page(md)
    r = read(page)
    assert r.links == [("training report", "runs/x/seed-0/train/report.html")]
    assert r.images == [("curves.png", "reward per step")]
    assert r.rows == [["a"], ["1"], ["b"], ["2"]] and page.count("<table>") == 2
