"""Screenshots of the worksheet and of a card, from the running code, for docs/ and the README.

They go to a temporary folder on every run (so the pictures are known to be takeable), and to
the folder TRIALCDS_SCREENSHOTS_DIR names when it is set:

    TRIALCDS_SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest tests/browser -k screenshots

The card is shown the way the CDS Hooks sandbox shows one, in a ~420 px side panel: summary,
source, the markdown detail rendered (markdown-it, CommonMark, raw HTML off, as the sandbox
sanitizes it), then the suggestion and link buttons.
"""

from __future__ import annotations

import datetime
import html
import os
import re
from pathlib import Path

import pytest
import requests
from browser_stack import AS_OF, DemoStack, Visit
from click.testing import CliRunner
from markdown_it import MarkdownIt
from playwright.sync_api import expect

from bench.bulk_export import main as bulk_export
from cds.cli import main
from cds.demo.requests import demo_request
from cds.trials.loader import load_trials

pytestmark = pytest.mark.browser

PANEL_WIDTH_PX = 420
# One screen of an EHR's side panel (a 1080 px display less the EHR's own header and toolbars).
CARD_SCREEN_HEIGHT_PX = 900
WORKSHEET_VIEWPORT = {"width": 1200, "height": 1300}
CARD_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Card</title><style>
body {{ margin: 0; background: #eef1f5; font: 14px/1.4 system-ui, sans-serif; color: #222; }}
.panel {{ width: {width}px; padding: 12px; }}
.card {{ background: #fff; border: 1px solid #ccd; border-left: 6px solid #1f6feb; border-radius: 4px; padding: 10px 12px; }}
.summary {{ font-weight: 700; font-size: 15px; margin: 0 0 4px; }}
.source {{ color: #555; font-size: 12px; margin: 0 0 8px; }}
.detail ul {{ padding-left: 18px; }} .detail p {{ margin: 6px 0; }}
.buttons {{ display: flex; flex-wrap: wrap; gap: 6px; margin-top: 10px; }}
.buttons button {{ font: inherit; padding: 4px 10px; border-radius: 4px; border: 1px solid #1f6feb; background: #fff; color: #1f6feb; }}
.buttons button.suggestion {{ background: #1f6feb; color: #fff; }}
</style></head><body><main class="panel"><article class="card">
<h1 class="summary">{summary}</h1><p class="source">Source: {source}</p>
<div class="detail">{detail}</div>
<div class="buttons">{buttons}</div>
</article></main></body></html>"""


def screenshot_dirs(tmp_path: Path) -> list[Path]:
    """Always a temporary folder; also the one TRIALCDS_SCREENSHOTS_DIR names."""
    folders = [tmp_path]
    if os.environ.get("TRIALCDS_SCREENSHOTS_DIR"):
        folders.append(Path(os.environ["TRIALCDS_SCREENSHOTS_DIR"]))
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    return folders


def card_html(card: dict) -> str:
    """A card as the sandbox lays it out; every text from the card is escaped or rendered as markdown."""
    markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
    buttons = [f'<button class="suggestion">{html.escape(s["label"])}</button>' for s in card.get("suggestions", [])]
    buttons += [f"<button>{html.escape(link['label'])}</button>" for link in card.get("links", [])]
    return CARD_PAGE.format(
        width=PANEL_WIDTH_PX,
        summary=html.escape(card["summary"]),
        source=html.escape(card["source"]["label"]),
        detail=markdown.render(card.get("detail", "")),
        buttons="".join(buttons),
    )


@pytest.mark.parametrize("name", ["eligible", "washout", "missing-labs"])
def test_screenshot_of_the_worksheet(visit: Visit, demo: DemoStack, name: str, tmp_path: Path):
    page = visit.open_worksheet(demo, name)
    page.set_viewport_size(WORKSHEET_VIEWPORT)
    for folder in screenshot_dirs(tmp_path):
        target = folder / f"worksheet-{name}.png"
        page.screenshot(path=str(target))
        assert target.read_bytes().startswith(b"\x89PNG")


def test_screenshot_of_a_card_in_a_narrow_panel(visit: Visit, demo: DemoStack, tmp_path: Path):
    hook = demo_request("eligible", datetime.date.fromisoformat(AS_OF))
    answer = requests.post(f"{demo.service_url}/cds-services/trial-eligibility", json=hook, timeout=60)
    # The demo patient may join two trials; the card of the trial its record was written for.
    (card,) = [c for c in answer.json()["cards"] if c["extension"]["trialcds.evaluation"]["trial"] == "nct05247203"]
    page = visit.context.new_page()
    page.set_viewport_size({"width": PANEL_WIDTH_PX + 24, "height": CARD_SCREEN_HEIGHT_PX})
    page.set_content(card_html(card))
    expect(page.get_by_role("button", name="Open the eligibility worksheet")).to_be_visible()
    # Issue 13: the referral button is on the panel's first screen, not several screens down.
    referral = page.get_by_role("button", name="Refer to the NCT05247203 study team for screening").bounding_box()
    assert referral is not None and referral["y"] + referral["height"] <= CARD_SCREEN_HEIGHT_PX
    assert page.evaluate("document.documentElement.scrollWidth") <= PANEL_WIDTH_PX + 24
    for folder in screenshot_dirs(tmp_path):
        target = folder / "card-eligible.png"
        page.locator(".panel").screenshot(path=str(target))
        assert target.read_bytes().startswith(b"\x89PNG")


def test_screenshot_of_the_population_report(visit: Visit, external_data: Path, tmp_path: Path):
    """report.html as the README's screening command writes it for ../shared/data/external,
    opened from disk (it needs no server)."""
    export, out = tmp_path / "external-export", tmp_path / "screen"
    exported = CliRunner().invoke(bulk_export, [str(external_data), str(export)])
    assert exported.exit_code == 0, exported.output
    run = CliRunner().invoke(main, ["screen", str(export), "--out", str(out), "--as-of", "2026-11-25"])
    assert run.exit_code == 0, run.stderr
    page = visit.context.new_page()
    page.set_viewport_size({"width": 1200, "height": 1600})
    page.goto((out / "report.html").as_uri())
    expect(page.get_by_role("heading", level=1)).to_have_text("Population pre-screening")
    expect(page.get_by_role("heading", level=2, name=re.compile("^NCT"))).to_have_count(len(load_trials()))
    for folder in screenshot_dirs(tmp_path):
        target = folder / "population-report.png"
        page.screenshot(path=str(target))
        assert target.read_bytes().startswith(b"\x89PNG")
