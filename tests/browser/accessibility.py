"""An accessibility sweep: what axe-core (vendored: tests/browser/vendor/axe.min.js, v4.10.3, MPL-2.0) finds on every
page a person reaches by following the site's own links from their home page.

The crawl follows same-site links breadth-first, one page per address pattern (digits stand for any number, so one
breach case stands for all), skipping downloads, the admin, the API's docs (a third party's page) and signing out.
Each page is checked against WCAG 2.0, 2.1 and 2.2 A and AA; a violation is serious or critical by axe's own impact.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
FAILING_IMPACTS = {"serious", "critical"}
SKIP = re.compile(r"^/(admin|api|logout|static|media)/|\.(csv|xlsx|json|pdf|png|svg)$|/download|/export")


@dataclass
class Finding:
    url: str
    rule: str
    impact: str
    help: str
    targets: list[str] = field(default_factory=list)

    def __str__(self):
        return f"{self.url}: {self.rule} ({self.impact}): {self.help} at {', '.join(self.targets[:3])}"


def pattern(path: str) -> str:
    """One address pattern per kind of page: numbers and query strings do not make another kind."""
    return re.sub(r"/\d+(?=/|$)", "/N", path)


def check_page(page) -> list[Finding]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", TAGS
    )
    return [
        Finding(page.url, v["id"], v["impact"], v["help"], [" ".join(n["target"]) for n in v["nodes"]])
        for v in result["violations"]
        if v["impact"] in FAILING_IMPACTS
    ]


def sweep(page, base_url: str, *, start: str = "/", limit: int = 100) -> tuple[list[str], list[Finding]]:
    """Visit up to `limit` kinds of page reachable from `start`; return the pages visited and what axe found."""
    seen_patterns, queue, visited, findings = set(), [start], [], []
    while queue and len(visited) < limit:
        path = queue.pop(0)
        if pattern(urlsplit(path).path) in seen_patterns:
            continue
        seen_patterns.add(pattern(urlsplit(path).path))
        response = page.goto(base_url + path)
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        visited.append(path)
        findings += check_page(page)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or SKIP.search(parts.path):
                continue
            if pattern(parts.path) not in seen_patterns:
                queue.append(parts.path)
    return visited, findings
