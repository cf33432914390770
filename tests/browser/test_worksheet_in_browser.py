"""The worksheet as a research coordinator sees it in a real browser (Debian's chromium), launched
as an EHR launches it, against sekmet-fhir behind the mock SMART EHR."""

from __future__ import annotations

import datetime
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_stack import AS_OF, DemoStack, Visit
from playwright.sync_api import Page, expect

from cds.demo.requests import demo_names, demo_resources
from cds.trials.loader import load_trials

pytestmark = pytest.mark.browser
AS_OF_DATE = datetime.date.fromisoformat(AS_OF)

# WCAG 2.1 A and AA rules, and axe's best practices (landmarks, heading order).
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}
# Printable width at 96 px per inch of A4 (210 mm) and Letter (8.5 in) with the 12 mm margins of the print CSS.
PRINT_WIDTHS_PX = {"A4": round((210 - 24) / 25.4 * 96), "Letter": round((8.5 * 25.4 - 24) / 25.4 * 96)}


def criterion_row(page: Page, label: str):
    return page.locator("tr.criterion").filter(has=page.get_by_role("rowheader", name=label))


def test_a_candidate_shows_the_decision_first_then_every_criterion_with_evidence(visit: Visit, demo: DemoStack):
    page = visit.open_worksheet(demo, "eligible")
    expect(page.get_by_role("heading", level=1)).to_have_text("Eligibility worksheet")
    expect(page.locator(".decisions")).to_contain_text("✓ Possible candidate")
    expect(page.locator(".decisions")).to_contain_text("6 items to confirm at screening")
    sle = criterion_row(page, "SLE diagnosis")
    expect(sle).to_contain_text("✓ Fits")
    expect(sle).to_contain_text("Diagnosis of SLE as defined by the American College of Rheumatology (ACR) 1997 criteria")
    expect(sle.locator(".evidence")).to_contain_text("Systemic lupus erythematosus (active)")
    expect(sle.locator(".evidence")).to_contain_text("2019-11-19")
    expect(sle.locator(".evidence")).to_contain_text("Condition/demo-eligible-sle")
    expect(criterion_row(page, "Hemoglobin below 85 g/L").locator(".evidence")).to_contain_text("12.8 g/dL")
    expect(page.locator("#trial-nct05247203 .checklist li")).to_have_count(6)
    expect(page.locator(".timeline")).to_have_count(0)


def test_a_washout_shows_when_the_patient_may_become_a_candidate(visit: Visit, demo: DemoStack):
    page = visit.open_worksheet(demo, "washout")
    expect(page.locator(".decisions")).to_contain_text("◷ Not eligible until 2026-07-04")
    timeline = page.locator(".timeline")
    expect(timeline.locator(".timeline-bar")).to_have_count(1)
    expect(timeline).to_contain_text("Live vaccine in the last 28 days (E8): last record 2026-06-05, blocks until 2026-07-04")
    expect(timeline).to_contain_text("May become a candidate from 2026-07-04")
    expect(criterion_row(page, "Live vaccine in the last 28 days")).to_contain_text("✗ Blocks until 2026-07-04")


def test_missing_labs_are_listed_to_confirm_at_screening(visit: Visit, demo: DemoStack):
    page = visit.open_worksheet(demo, "missing-labs")
    expect(page.locator(".decisions")).to_contain_text("✓ Possible candidate")
    checklist = page.locator("#trial-nct05247203 .checklist li")
    expect(checklist).to_have_count(13)
    expect(checklist.filter(has_text="Hemoglobin below 85 g/L")).to_contain_text("no hemoglobin result in the last 90 days")
    expect(checklist.filter(has_text="Positive ANA or anti-dsDNA")).to_contain_text("no ANA/anti-dsDNA result")
    expect(criterion_row(page, "Hemoglobin below 85 g/L")).to_contain_text("? To confirm")
    expect(criterion_row(page, "Hemoglobin below 85 g/L")).to_contain_text("status: unknown")


def test_keyboard_alone_reaches_every_control_with_a_visible_focus(visit: Visit, demo: DemoStack):
    page = visit.open_worksheet(demo, "washout")
    trials = list(load_trials().values())  # the worksheet lists them in this order
    expected = ["Skip to the worksheet", "Print worksheet", "Close worksheet", *(t.nct_id for t in trials), "The trial on ClinicalTrials.gov"]
    focused = []
    for _ in expected:
        page.keyboard.press("Tab")
        focused.append(
            page.evaluate(
                """() => { const e = document.activeElement; const s = getComputedStyle(e);
                   return {text: e.textContent.trim(), outline: s.outlineStyle !== 'none' && s.outlineWidth !== '0px',
                           visible: e.getBoundingClientRect().top >= 0}; }"""
            )
        )
    assert [f["text"] for f in focused] == expected
    assert all(f["outline"] and f["visible"] for f in focused)
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # follows the decision table's last link to its trial's section
    assert page.evaluate("location.hash") == f"#trial-{trials[-1].id}"

    fresh = visit.open_worksheet(demo, "washout")
    fresh.keyboard.press("Tab")
    fresh.keyboard.press("Enter")  # the skip link moves focus to the worksheet itself
    assert fresh.evaluate("document.activeElement.id") == "main"


def test_the_print_view_fits_a4_and_letter_without_buttons(visit: Visit, demo: DemoStack):
    page = visit.open_worksheet(demo, "washout")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print worksheet")).to_be_hidden()
    expect(page.get_by_role("button", name="Close worksheet")).to_be_hidden()
    for paper, width in PRINT_WIDTHS_PX.items():
        page.set_viewport_size({"width": width, "height": 1000})
        overflow = page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('body *')].map(e => e.getBoundingClientRect().right))"
        )
        assert overflow <= width + 0.5, f"content is {overflow} px wide on {paper} ({width} px)"
        pdf = page.pdf(format=paper, print_background=True)
        assert pdf.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert 1 < pages <= 12, f"{paper}: {pages} pages"  # each further trial starts a page of its own


def test_no_patient_data_in_urls_storage_or_logs(visit: Visit, demo: DemoStack):
    pages = [visit.open_worksheet(demo, name) for name in demo_names()]
    patient_ids = [demo_resources(name, AS_OF_DATE)["patient"][0]["id"] for name in demo_names()]
    names = ("Alex", "Demo")
    for url in visit.urls:
        assert not any(secret in url for secret in (*patient_ids, *names)), url
    for page in pages:
        assert page.evaluate("[localStorage.length, sessionStorage.length]") == [0, 0]
        assert not any(name in page.title() for name in names)
    for cookie in visit.context.cookies():
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert not any(patient in cookie["value"] for patient in patient_ids)
    log = demo.log_text()
    for secret in (*patient_ids, "Alex", "code=", "state=", "access_token"):
        assert secret not in log


def test_the_worksheet_has_no_serious_or_critical_accessibility_violation(visit: Visit, demo: DemoStack):
    axe = Axe()
    pages = [visit.open_worksheet(demo, name) for name in demo_names()]
    error_page = visit.context.new_page()
    error_page.goto(f"{demo.service_url}/worksheet/launch")
    problems = []
    for page in [*pages, error_page]:
        results = axe.run(page, options=AXE_OPTIONS)
        problems += [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
    assert problems == []


def test_an_unlisted_ehr_gets_a_page_that_says_so(visit: Visit, demo: DemoStack):
    page = visit.context.new_page()
    response = page.goto(f"{demo.service_url}/worksheet/launch?iss=https%3A%2F%2Fehr.example.net%2Ffhir&launch=x")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("This EHR is not allowed to launch the worksheet")
