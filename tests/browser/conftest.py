"""Session fixtures of the browser tests: one demo stack (sekmet-fhir with the demo patients,
the mock SMART EHR, the service under gunicorn) and one chromium for the whole session; a
fresh browser context (no cookies, no storage) per test, which records every URL it requests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_stack import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DemoStack,
    Visit,
    start_demo,
    stop_demo,
)
from playwright.sync_api import Browser, sync_playwright


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    stack = start_demo(tmp_path_factory.mktemp("demo-worksheet"))
    try:
        yield stack
    finally:
        stop_demo(stack.process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def visit(browser: Browser) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    recorded = Visit(context)
    context.on("request", lambda request: recorded.urls.append(request.url))
    try:
        yield recorded
    finally:
        context.close()
