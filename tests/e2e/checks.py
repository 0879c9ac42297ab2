"""What every browser journey checks on every page: axe-core finds no accessibility
violations, and the browser refused nothing under the Content-Security-Policy.

axe-core is run through Playwright's ``evaluate`` (the DevTools protocol), not added as a
``<script>`` tag: the site's policy allows no inline script, and the tests must not relax
it, or a page that needs ``'unsafe-inline'`` would pass here and break for users.
"""

from __future__ import annotations

from pathlib import Path
from weakref import WeakKeyDictionary

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

_refused: WeakKeyDictionary = WeakKeyDictionary()


def watch_policy(page):
    """Record what the browser refuses under the page's Content-Security-Policy from now on
    (Chromium reports each refusal as a console error); returns the page."""
    refused: list[str] = []
    _refused[page] = refused

    def seen(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", seen)
    return page


def check_accessible(page, within: str | None = None) -> None:
    """No axe-core violations on the page (or only within the ``within`` selector), and no
    script or style refused by the Content-Security-Policy so far."""
    refused = _refused.get(page, [])
    assert refused == [], f"{page.url}: refused by the Content-Security-Policy:\n" + "\n".join(refused)
    page.evaluate(AXE.read_text(encoding="utf-8"))
    if within:
        result = page.evaluate("async (selector) => await axe.run(selector)", within)
    else:
        result = page.evaluate("async () => await axe.run()")
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(n["target"][0]) if n["target"] else "?" for n in v["nodes"][:3])
        for v in result["violations"]
    ]
    assert problems == [], f"{page.url}:\n" + "\n".join(problems)
