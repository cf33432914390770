"""report.html: one page per run that reads without a server, and says what the CSV files say."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markupsafe import escape
from patients import healthy_patient, lupus_patient
from screening import Screened, screen

from bench.bulk_export import resource_lines, write_export


class _Page(HTMLParser):
    """The tags, the attributes that load something, and the text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.loads: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.loads += [f"{tag} {k}={v}" for k, v in attrs if k in ("src", "srcset") or (tag == "link" and k == "href")]

    def handle_data(self, data: str) -> None:
        self.text.append(data.strip())


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> Screened:
    """Two candidates now, two held back 10 and 20 days by a live vaccine (washout 28 days), three without lupus."""
    folder = tmp_path_factory.mktemp("report")
    people = lupus_patient("now-1") + lupus_patient("now-2") + lupus_patient("soon-1", live_vaccine_days_ago=10)
    people += lupus_patient("soon-2", live_vaccine_days_ago=20)
    people += [r for n in range(3) for r in healthy_patient(f"h{n}")]
    write_export(resource_lines(people), folder / "export")
    return screen(folder / "export", folder / "out", "--trial", "nct05247203")  # the trial these patients are written for


def _page(screened: Screened) -> _Page:
    page = _Page()
    page.feed((screened.out / "report.html").read_text(encoding="utf-8"))
    return page


def test_the_page_is_self_contained(screened: Screened) -> None:
    page = _page(screened)
    assert "script" not in page.tags and "iframe" not in page.tags and "img" not in page.tags
    assert page.loads == []
    html = (screened.out / "report.html").read_text(encoding="utf-8")
    assert "@import" not in html and "url(" not in html


def test_the_page_shows_the_funnel_counts_of_attrition_csv(screened: Screened) -> None:
    body = re.sub(r"\s+", " ", (screened.out / "report.html").read_text(encoding="utf-8"))
    rows = screened.csv("attrition.csv")
    assert (rows[0]["remaining"], rows[-1]["remaining"]) == ("7", "2")  # two are held back by the vaccine today
    for row in rows:
        cells = f'<td>{escape(row["label"])}</td> <td class="n">{row["removed"]}</td> <td class="n">{row["remaining"]}</td>'
        assert cells in body, row["label"]


def test_the_washout_calendar_counts_candidates_by_the_week_they_become_eligible(screened: Screened) -> None:
    rows = {r["patient"]: r for r in screened.csv("candidates.csv")}
    assert rows.keys() == {"Patient/now-1", "Patient/now-2", "Patient/soon-1", "Patient/soon-2"}
    # E8 clears 29 days after the vaccine: 19 days from now (week 3) and 9 days from now (week 2).
    assert (rows["Patient/soon-1"]["eligible_from"], rows["Patient/soon-2"]["eligible_from"]) == ("2026-12-14", "2026-12-04")
    html = (screened.out / "report.html").read_text(encoding="utf-8")
    assert 'title="now (2026-11-25): 2"' in html
    assert 'title="week 2 (2026-12-02 to 2026-12-08): 1"' in html
    assert 'title="week 3 (2026-12-09 to 2026-12-15): 1"' in html
    assert 'title="week 1 (2026-11-25 to 2026-12-01): 0"' in html


def test_the_candidate_list_names_each_candidate_with_what_to_confirm(screened: Screened) -> None:
    text = " ".join(_page(screened).text)
    for row in screened.csv("candidates.csv"):
        assert row["patient"] in text
        assert row["strongest_evidence"].startswith("I3 SLE diagnosis: Systemic lupus erythematosus")
    assert "Patient/h0" not in text
