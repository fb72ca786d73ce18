"""The API browser and the dashboard in a real headless Chromium (Debian's `chromium` and
`chromium-driver`, which `make test` installs), driven by Selenium against a live server.

Each test keeps a screenshot under build/screenshots/ and fails on any console error it did
not cause on purpose.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from fakerancher import FakeRancher

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"
WAIT = 10.0


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = "needs Debian's chromium and chromium-driver: `make test` installs them"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in a container
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        # Nothing leaves the machine: no component updates, sync or field trials.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-default-apps",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver's path is given, so Selenium Manager downloads nothing.
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def chrome(browser: WebDriver, request: pytest.FixtureRequest) -> Iterator[WebDriver]:
    """The browser, fresh for one test; its screenshot is kept even when the test fails."""
    browser.get("about:blank")
    console_errors(browser)  # drop what earlier tests left
    try:
        yield browser
    finally:
        shot(browser, request.node.name)


def shot(driver: WebDriver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def console_errors(driver: WebDriver) -> list[dict[str, Any]]:
    """The console's errors since the last look (network ones included)."""
    entries: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return [e for e in entries if e["level"] == "SEVERE"]


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], Any], what: str) -> Any:
    try:
        return WebDriverWait(driver, WAIT).until(condition)
    except TimeoutException:
        raise AssertionError(f"timed out waiting for {what} on {driver.current_url}") from None


def css(driver: WebDriver | WebElement, selector: str) -> WebElement:
    return driver.find_element(By.CSS_SELECTOR, selector)


def texts(driver: WebDriver, selector: str) -> list[str]:
    """The text of every match, read in one step (the dashboard redraws its rows each second,
    so an element found first may be gone by the time it is read)."""
    found: list[str] = driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent)", selector
    )
    return found


def state_of(driver: WebDriver) -> str:
    return css(driver, "h1 .badge").get_attribute("data-state") or ""


def navigate(driver: WebDriver, click: Callable[[], None]) -> None:
    """Click something that loads a new page, and wait for that page."""
    old = css(driver, "html")
    click()
    wait_for(driver, lambda d: _stale(old), "a new page")
    wait_for(driver, lambda d: d.execute_script("return document.readyState") == "complete", "load")


def _stale(element: WebElement) -> bool:
    try:
        element.is_enabled()
    except Exception:
        return True
    return False


# -- the scenario of the issue ----------------------------------------------------------------
def test_browse_create_deactivate_and_find_the_call(
    chrome: WebDriver, fake_rancher_server: FakeRancher
) -> None:
    fake = fake_rancher_server
    registry = fake.create("registry", serverAddress="quay.io", name="Quay")
    chrome.get(f"{fake.url}/v1")
    assert chrome.title == "API v1"

    # The version page links every collection; follow registries, then the registry.
    navigate(chrome, lambda: css(chrome, f'a[href="{fake.url}/v1/registries"]').click())
    navigate(chrome, lambda: css(chrome, 'tr[data-id="1sp1"] td a').click())
    assert chrome.title == "registry 1sp1" and state_of(chrome) == "active"
    # Its JSON has clickable links: follow `credentials`, an empty collection of credentials.
    navigate(chrome, lambda: css(chrome, f'a[href="{registry["links"]["credentials"]}"]').click())
    assert chrome.title == "registryCredential collection"

    # The create form is built from the schema: required and create-only fields are marked.
    form = wait_for(chrome, lambda d: d.find_element(By.ID, "create-form"), "the create form")
    assert css(form, 'label[for="f-registryId"] .req').text == "*"
    assert css(form, 'label[for="f-registryId"] .tag').text == "create-only"
    assert css(form, "#f-secretValue").get_attribute("type") == "password"
    wait_for(chrome, lambda d: css(d, '#f-registryId option[value="1sp1"]'), "registry choices")
    Select(css(form, "#f-registryId")).select_by_value("1sp1")
    css(form, "#f-email").send_keys("ci@example.com")
    css(form, "#f-publicValue").send_keys("robot")
    css(form, "#f-secretValue").send_keys("s3cret-value")
    shot(chrome, "create-credential-form")
    navigate(chrome, lambda: css(form, "button[type=submit]").click())

    # The new credential's own page: the secret of the create answer is nowhere on it.
    assert chrome.title == "registryCredential 1c1"
    assert state_of(chrome) == "active"
    assert "s3cret-value" not in chrome.page_source
    navigate(chrome, lambda: css(chrome, 'button[data-name="deactivate"]').click())
    assert state_of(chrome) == "inactive"
    assert {
        b.get_attribute("data-name")
        for b in chrome.find_elements(By.CSS_SELECTOR, "#actions button[data-name]")
    } >= {"activate", "remove"}
    shot(chrome, "credential-inactive")

    # The dashboard lists the call that did it.
    chrome.get(f"{fake.url}/_fake")
    row = wait_for(
        chrome,
        lambda d: next((t for t in texts(d, "#calls tr") if "deactivate" in t), None),
        "the deactivate call",
    )
    assert "POST" in row and "/v1/registrycredentials/1c1" in row and "202" in row
    assert texts(chrome, '#counts .badge[data-type="registryCredential"]') == ["inactive 1"]
    assert console_errors(chrome) == []
    fake.assert_called("POST", "/v1/registrycredentials/1c1", times=1)


def test_a_refused_create_shows_cattles_error(
    chrome: WebDriver, fake_rancher_server: FakeRancher
) -> None:
    chrome.get(f"{fake_rancher_server.url}/v1/registrycredentials")
    form = wait_for(chrome, lambda d: d.find_element(By.ID, "create-form"), "the create form")
    css(form, "#f-email").send_keys("ci@example.com")
    css(form, "button[type=submit]").click()
    error = wait_for(chrome, lambda d: d.find_element(By.ID, "error"), "the error")
    assert error.text == "422 MissingRequired — field registryId"
    assert css(form, "#f-registryId").get_attribute("aria-invalid") == "true"
    # The browser reports the refused request itself, and nothing else.
    errors = console_errors(chrome)
    assert [(e["source"], "422" in e["message"]) for e in errors] == [("network", True)]
    assert len(fake_rancher_server.list("registryCredential")) == 0

    # A refused delete (an active resource) says so next to the buttons, and changes nothing.
    fake_rancher_server.create("registry", serverAddress="quay.io")
    chrome.get(f"{fake_rancher_server.url}/v1/registries/1sp1")
    wait_for(chrome, lambda d: d.find_element(By.ID, "delete"), "the delete button").click()
    error = wait_for(chrome, lambda d: d.find_element(By.ID, "error"), "the error")
    assert error.text == "405 Method not allowed"
    assert state_of(chrome) == "active"
    errors = console_errors(chrome)
    assert [(e["source"], "405" in e["message"]) for e in errors] == [("network", True)]


def test_a_collection_sorts_filters_and_pages(
    chrome: WebDriver, fake_rancher_server: FakeRancher
) -> None:
    fake = fake_rancher_server
    for name in ("delta", "alpha", "bravo", "charlie", "beta"):
        fake.create("registry", serverAddress=f"{name}.io", name=name)
    chrome.get(f"{fake.url}/v1/registries?limit=2")

    def names() -> list[str]:
        return [
            r.find_elements(By.TAG_NAME, "td")[1].text
            for r in chrome.find_elements(By.CSS_SELECTOR, "#items tbody tr")
        ]

    assert names() == ["delta", "alpha"]
    navigate(chrome, lambda: css(chrome, 'th a[data-sort="name"]').click())
    assert names() == ["alpha", "beta"]
    navigate(chrome, lambda: css(chrome, "#next-page").click())
    assert names() == ["bravo", "charlie"]
    navigate(chrome, lambda: css(chrome, 'th a[data-sort="name"]').click())  # reverse
    assert "order=desc" in chrome.current_url

    filters = wait_for(chrome, lambda d: d.find_element(By.ID, "filter"), "the filter form")
    Select(css(filters, "#filter-field")).select_by_value("name")
    Select(css(filters, "#filter-modifier")).select_by_value("prefix")
    css(filters, "#filter-value").send_keys("b")
    navigate(chrome, lambda: css(filters, "button[type=submit]").click())
    assert "name_prefix=b" in chrome.current_url and "marker" not in chrome.current_url
    assert names() == ["bravo", "beta"]
    assert "name prefix b" in css(chrome, ".chip").text
    navigate(chrome, lambda: css(chrome, ".chip a").click())
    assert "name_prefix" not in chrome.current_url
    assert console_errors(chrome) == []


def test_the_dashboard_refreshes_itself_and_drives_the_clock(
    chrome: WebDriver, fake_rancher_server: FakeRancher
) -> None:
    fake = fake_rancher_server
    fake.transitions.set("manual", type="registry", process="deactivate")
    fake.faults.add(method="GET", path="/v1/registrationtokens", status=503, times=1)
    chrome.get(f"{fake.url}/_fake")
    wait_for(chrome, lambda d: texts(d, '#counts .badge[data-type="project"]'), "the counts")
    chrome.execute_script("window.sameDocument = true")

    # Changes made by others show up without a reload.
    created = requests.post(
        f"{fake.url}/v1/registries", json={"serverAddress": "quay.io"}, timeout=5
    )
    requests.post(created.json()["actions"]["deactivate"], timeout=5)
    requests.get(f"{fake.url}/v1/registrationtokens", timeout=5)
    requests.get(f"{fake.url}/v1/nothing", timeout=5)
    wait_for(
        chrome,
        lambda d: texts(d, '#counts .badge[data-type="registry"]') == ["deactivating 1"],
        "the new registry",
    )
    pending = " ".join(texts(chrome, "#pending tr"))
    assert "registry 1sp1" in pending and "manual" in pending
    assert "manual" in " ".join(texts(chrome, "#policies tr"))
    faults = " ".join(texts(chrome, "#faults tr"))
    assert "503" in faults and "/v1/registrationtokens" in faults
    assert chrome.execute_script("return window.sameDocument") is True

    # The call log, filtered by status.
    Select(css(chrome, "#status-filter")).select_by_value("4")
    rows = texts(chrome, "#calls tr")
    assert len(rows) == 1 and "/v1/nothing" in rows[0] and "404" in rows[0]
    Select(css(chrome, "#status-filter")).select_by_value("5")
    assert "503" in " ".join(texts(chrome, "#calls tr"))

    # The clock: freeze, advance, and complete the manual transition.
    css(chrome, "#freeze").click()
    wait_for(chrome, lambda d: texts(d, "#clock-state") == ["frozen"], "a frozen clock")
    before = fake.clock.now()
    css(chrome, "#advance").clear()
    css(chrome, "#advance").send_keys("90")
    css(chrome, "#advance-form button").click()
    wait_for(chrome, lambda d: fake.clock.now() == pytest.approx(before + 90), "the clock to move")
    css(chrome, "#advance-manual").click()
    wait_for(
        chrome,
        lambda d: texts(d, '#counts .badge[data-type="registry"]') == ["inactive 1"],
        "the transition to complete",
    )
    assert chrome.execute_script("return window.sameDocument") is True
    shot(chrome, "dashboard")
    assert console_errors(chrome) == []


def test_user_input_stays_text(chrome: WebDriver, fake_rancher_server: FakeRancher) -> None:
    fake = fake_rancher_server
    evil = "<img src=x onerror=\"document.title='pwned'\">"
    registry = fake.create("registry", serverAddress="quay.io", name=evil)
    fake.create(
        "registryCredential", registryId=registry["id"], email="e@x.io", secretValue="hunter2"
    )
    for path in ("/v1/registries", "/v1/registries/1sp1", "/v1/registrycredentials", "/_fake"):
        chrome.get(f"{fake.url}{path}")
        time.sleep(0.2)
        assert chrome.title != "pwned"
        assert not chrome.find_elements(By.CSS_SELECTOR, "main img")
        assert "hunter2" not in chrome.page_source
    chrome.get(f"{fake.url}/v1/registries")
    assert evil in css(chrome, "#items").text
    assert console_errors(chrome) == []
