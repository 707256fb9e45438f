"""A page as a reader's browser shows it: Debian's headless Chromium loads it at the width of
an A4 page, lists the text that overflows its box, and runs axe-core (from npm, installed by
`scripts/setup --test`) for accessibility violations."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent.parent / ".cache" / "axe" / "node_modules" / \
    "axe-core" / "axe.min.js"
A4_WIDTH_PX = 794  # 210 mm at 96 px per inch
CHECK = """<script>%s</script><script>
window.addEventListener('load', () => {
  const overflowing = [];
  for (const el of document.querySelectorAll('td, th, p, h1, h2, h3, li, figcaption')) {
    if (el.scrollWidth > el.clientWidth + 1) {
      overflowing.push(el.tagName + ': ' + el.textContent.trim().slice(0, 60));
    }
  }
  axe.run(document, {resultTypes: ['violations']}).then(found => {
    const out = document.createElement('pre');
    out.id = 'netq-check';
    out.textContent = JSON.stringify({overflowing, violations: found.violations.map(v => (
      {id: v.id, impact: v.impact, help: v.help,
       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))});
    document.body.appendChild(out);
  });
});
</script>"""


def check(page: Path) -> dict[str, Any]:
    """{"overflowing": [element: text], "violations": [axe's, with impact]} for the page."""
    browser = shutil.which("chromium")
    assert browser, "chromium is missing: scripts/setup --test installs Debian's chromium"
    assert AXE.is_file(), f"{AXE} is missing: scripts/setup --test installs axe-core from npm"
    text = page.read_text("utf-8").replace(
        "</body>", CHECK % AXE.read_text("utf-8") + "</body>")
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / page.name
        copy.write_text(text, "utf-8")
        result = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--window-size={A4_WIDTH_PX},1123", "--virtual-time-budget=60000",
             "--dump-dom", copy.as_uri()], capture_output=True, text=True, timeout=300)
    found = re.search(r'<pre id="netq-check">(.*?)</pre>', result.stdout, re.S)
    assert found, f"the check did not run in chromium: {result.stderr[-2000:]}"
    return json.loads(html.unescape(found[1]))  # type: ignore[no-any-return]
