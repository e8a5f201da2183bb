"""What a person does in the Linnet window, as reusable steps for the end-to-end tests."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait


def by_testid(tid: str):
    return (By.CSS_SELECTOR, f'[data-testid="{tid}"]')


def waiting(driver, timeout: float = 30, **kwargs) -> WebDriverWait:
    """A WebDriverWait that also tries again when the element it had found was replaced before it
    was read (Svelte re-renders a row when its data changes, so a node found a moment ago can be
    stale): every wait in the end-to-end tests goes through here."""
    return WebDriverWait(driver, timeout,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
                         **kwargs)


def fill_add_account(driver, prosody, jid: str, password: str) -> None:
    """Types a JID and password into the add-account form, with the harness's host and port
    under Advanced, and presses Sign in."""
    wait = waiting(driver, 30)
    form = wait.until(EC.visibility_of_element_located(by_testid("add-account-form")))
    jid_input = form.find_element(*by_testid("jid-input"))
    jid_input.clear()
    jid_input.send_keys(jid)
    pw = form.find_element(*by_testid("password-input"))
    pw.clear()
    pw.send_keys(password)
    host = form.find_element(*by_testid("host-input"))
    if not host.is_displayed():
        for summary in form.find_elements(By.TAG_NAME, "summary"):
            summary.click()
    host.clear()
    host.send_keys("127.0.0.1")
    port = form.find_element(*by_testid("port-input"))
    port.clear()
    port.send_keys(str(prosody.ports.c2s))
    form.find_element(*by_testid("sign-in")).click()


def account_element(driver, jid: str):
    """The account's entry in the account list."""
    return driver.find_element(By.CSS_SELECTOR, f'[data-testid^="account-"][data-jid="{jid}"]')


def account_state(driver, jid: str) -> str | None:
    """The connection state the account list shows for `jid` (data-state), None if absent."""
    items = driver.find_elements(By.CSS_SELECTOR, f'[data-testid^="account-"][data-jid="{jid}"]')
    if not items:
        return None
    states = items[0].find_elements(*by_testid("connection-state"))
    return states[0].get_attribute("data-state") if states else None


def wait_account_state(driver, jid: str, state: str, timeout: float = 30) -> None:
    waiting(driver, timeout).until(
        lambda d: account_state(d, jid) == state,
        message=f"{jid} never showed state {state!r}",
    )


def sign_in(driver, prosody, jid: str, password: str) -> None:
    """Adds an account through the form and waits until the account list shows it online."""
    fill_add_account(driver, prosody, jid, password)
    waiting(driver, 30).until(EC.visibility_of_element_located(by_testid("account-list")))
    wait_account_state(driver, jid, "online")


def messages_text(driver) -> list[str]:
    return [m.text for m in driver.find_elements(*by_testid("message"))]
