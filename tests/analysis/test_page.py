"""The HTML page: every figure inline and linked, no broken link, nothing
fetched from elsewhere, sortable tables; it opens in headless Chromium without
console messages and renders something. The Markdown summary links every figure."""

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser

import pytest

from conftest import colours


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.imgs, self.figures, self.scripts_src, self.tables = set(), [], [], {}, [], []
        self._fig = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            assert a["id"] not in self.ids, f"duplicate id {a['id']}"
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag == "figure":
            self._fig = a.get("data-figure")
            self.figures[self._fig] = []
        if tag == "img":
            self.imgs.append(a.get("src", ""))
            if self._fig:
                self.figures[self._fig].append(a.get("src", ""))
        if tag in ("script", "link", "iframe") and ("src" in a or "href" in a):
            self.scripts_src.append(a.get("src") or a.get("href"))
        if tag == "table":
            self.tables.append(a.get("class", ""))

    def handle_endtag(self, tag):
        if tag == "figure":
            self._fig = None


def parse(out):
    with open(os.path.join(out, "index.html"), encoding="utf-8") as fh:
        text = fh.read()
    p = Page()
    p.feed(text)
    return p, text


def test_html_references_every_figure(full_report):
    out, _ = full_report
    page, _ = parse(out)
    with open(os.path.join(out, "figures.json"), encoding="utf-8") as fh:
        m = json.load(fh)
    for f in m["figures"]:
        assert f["name"] in page.figures, f["name"]
        srcs = page.figures[f["name"]]
        assert len(srcs) == 1 and srcs[0].startswith("data:image/png;base64,")
        with open(os.path.join(out, f["files"]["png"]), "rb") as fh:
            assert base64.b64decode(srcs[0].split(",", 1)[1]) == fh.read()
        assert f"#fig-{f['name']}" in page.hrefs
        for name in f["files"].values():
            assert name in page.hrefs


def test_no_broken_links(full_report):
    out, _ = full_report
    page, _ = parse(out)
    assert page.hrefs
    for h in page.hrefs:
        if h.startswith("#"):
            assert h[1:] in page.ids, f"dangling anchor {h}"
        else:
            assert not re.match(r"^[a-z]+:", h), f"external link {h}"
            assert os.path.isfile(os.path.join(out, h)), f"missing file {h}"
    assert not page.scripts_src, "the page must not load anything"
    for src in page.imgs:
        assert src.startswith("data:"), src


def test_rows_and_figures_link_both_ways(full_report, files):
    from lbanalysis import results
    out, _ = full_report
    page, text = parse(out)
    res = results.read_results(files["multi"])
    for r in res.rows:
        assert f"row-{r['index']}" in page.ids
    knn = next(r for r in res.rows if r["id"] == "knn_search/dim_128/100")
    row_html = re.search(rf'<tr id="row-{knn["index"]}">.*?</tr>', text).group(0)
    assert 'href="#fig-knn_latency_vs_k"' in row_html
    assert f'href="#row-{knn["index"]}"' in text
    assert "sortable" in " ".join(page.tables)


def test_metadata_on_the_page(full_report, files):
    from lbanalysis import results
    out, _ = full_report
    _, text = parse(out)
    res = results.read_results(files["multi"])
    for key in ("machine", "git_commit", "compiler", "build_type", "hostname"):
        assert res.attrs[key] in text


def test_markdown_summary(full_report):
    out, _ = full_report
    with open(os.path.join(out, "summary.md"), encoding="utf-8") as fh:
        md = fh.read()
    with open(os.path.join(out, "figures.json"), encoding="utf-8") as fh:
        m = json.load(fh)
    for f in m["figures"]:
        assert f"]({f['files']['png']})" in md
    for link in re.findall(r"\]\(([^)#]+)\)", md):
        assert os.path.isfile(os.path.join(out, link)), link
    assert "## Baseline against current" in md and "## History" in md
    assert "% of hardware bound" in md


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        exe = shutil.which(name)
        if exe:
            return exe
    pytest.fail("headless Chromium is needed (Debian: apt-get install chromium)")


def test_opens_in_headless_chromium(full_report, tmp_path):
    out, _ = full_report
    shot = tmp_path / "page.png"
    profile = tempfile.mkdtemp(prefix="lb-chromium-")
    try:
        p = subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--enable-logging=stderr", "--v=0", "--window-size=1280,1600", f"--screenshot={shot}",
             "file://" + os.path.abspath(os.path.join(out, "index.html"))],
            capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    log = p.stdout + p.stderr
    # the page writes nothing to the console: any console line is an error
    console = [l for l in log.splitlines() if ":CONSOLE" in l or "Uncaught" in l]
    assert not console, "\n".join(console)
    assert shot.exists() and shot.stat().st_size > 0, log[-2000:]
    assert colours(str(shot)) > 1, "blank screenshot"


SORT_PROBE = """<script>
(function () {
  function column() {
    return Array.prototype.map.call(document.querySelectorAll('#benchmarks tbody tr'),
      function (r) { return r.cells[2].getAttribute('data-v'); }).join(' ');
  }
  var th = document.querySelectorAll('#benchmarks th')[2];
  th.click();
  document.body.setAttribute('data-asc', column());
  th.click();
  document.body.setAttribute('data-desc', column());
}());
</script></body>"""


def test_tables_sort_in_the_browser(full_report, tmp_path):
    """Clicking the median's header sorts the rows by it, then the other way."""
    out, _ = full_report
    with open(os.path.join(out, "index.html"), encoding="utf-8") as fh:
        page = fh.read()
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", SORT_PROBE, 1), encoding="utf-8")
    profile = tempfile.mkdtemp(prefix="lb-chromium-")
    try:
        p = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--disable-background-networking", f"--user-data-dir={profile}", "--dump-dom",
                            f"file://{probe}"], capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    asc = re.search(r'data-asc="([^"]*)"', p.stdout)
    desc = re.search(r'data-desc="([^"]*)"', p.stdout)
    assert asc and desc, p.stderr[-2000:]
    up = [float(v) for v in asc.group(1).split()]
    down = [float(v) for v in desc.group(1).split()]
    assert len(up) > 10 and up == sorted(up) and down == sorted(up, reverse=True)
