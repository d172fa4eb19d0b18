"""Debian's chromium driven by Playwright, with screenshots kept under ``test-artifacts/``."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from pgagent_live.app import static_dir

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Without these, chromium reaches for Google's hosts, which a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"expected Debian's chromium at {CHROMIUM}: run 'make test'")
    if not (static_dir() / "app.js").exists():
        pytest.fail("expected the built page in the package: run 'make build'")

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    opened = await context.new_page()
    yield opened

    ARTIFACTS.mkdir(exist_ok=True)
    await opened.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    await context.close()
