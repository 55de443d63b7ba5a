"""The dashboard stays light and CSP-clean: its JavaScript and CSS, gzipped file
by file, fit in 120 KB; its page has no inline script or style; every module
one of its files refers to exists. No browser needed."""

import gzip
import re
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
STATIC = ROOT / "static" / "dashboard"
PAGE = ROOT / "templates" / "dashboard" / "index.html"
BUDGET = 120 * 1024

# `import ... from "./x.js"`, `export ... from "./x.js"`, `import("./x.js")`, `import "./x.js"`,
# and module paths held in strings (the router's route table): any quoted relative *.js path.
MODULE_REF = re.compile(r"""["'](\.{1,2}/[^"'\s]+\.js)["']""")


def assets() -> list[Path]:
    files = sorted([*STATIC.rglob("*.js"), *STATIC.rglob("*.css")])
    assert files, "no dashboard assets found"
    return files


def test_javascript_and_css_fit_the_budget_gzipped():
    sizes = {
        path.relative_to(STATIC).as_posix(): len(gzip.compress(path.read_bytes(), 9)) for path in assets()
    }
    total = sum(sizes.values())
    listing = ", ".join(f"{name} {size}" for name, size in sorted(sizes.items(), key=lambda kv: -kv[1]))
    assert total <= BUDGET, f"{total} bytes gzipped > {BUDGET}: {listing}"


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.scripts: list[dict] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name == "style":
                self.problems.append(f"<{tag} style=...>")
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (attrs[name] or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        if tag == "style":
            self.problems.append("<style>")
        if tag == "script":
            self.scripts.append(attrs)
            if not attrs.get("src"):
                self.problems.append("<script> without src")
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append("script text inside <script>")


def test_page_has_no_inline_script_or_style():
    parser = _PageParser()
    parser.feed(PAGE.read_text())
    assert parser.problems == []
    assert parser.scripts, "the page loads its module"
    assert all(s.get("type") == "module" for s in parser.scripts)


def test_every_module_referred_to_exists():
    missing = []
    checked = 0
    for path in STATIC.rglob("*.js"):
        for ref in MODULE_REF.findall(path.read_text()):
            checked += 1
            if not (path.parent / ref).resolve().is_file():
                missing.append(f"{path.relative_to(STATIC)} -> {ref}")
    assert checked > 0
    assert missing == []


def test_no_third_party_origin_or_eval_in_the_code():
    for path in assets():
        text = path.read_text()
        assert not re.search(r"\beval\s*\(|new\s+Function\s*\(", text), path
        assert not re.search(r"""(?:src|href|import)\s*[=(]?\s*["']https?://""", text), path
        assert "@import" not in text or path.suffix != ".css", path
