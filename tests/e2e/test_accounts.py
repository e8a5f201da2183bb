"""Accounts in the real window: wrong password, untrusted certificate, restart with the keyring,
two accounts side by side."""

import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from conftest import Peer, screenshot
from linnet_harness.peer_client import PeerError
from flows import (account_element, account_state, by_testid, fill_add_account, messages_text,
                   sign_in, wait_account_state, waiting)


def test_wrong_password_is_explained_and_the_right_one_signs_in(linnet, prosody):
    prosody.register("wendy", "right-pw")
    fill_add_account(linnet, prosody, "wendy@localhost", "wrong-pw")
    wait = waiting(linnet, 20)
    notice = wait.until(EC.visibility_of_element_located(by_testid("account-error")))
    assert notice.get_attribute("data-code") == "auth_failed"
    assert "password" in notice.text.lower()
    screenshot(linnet, "wrong-password")
    # The user corrects the password and signs in again.
    fill_add_account(linnet, prosody, "wendy@localhost", "right-pw")
    wait.until(EC.visibility_of_element_located(by_testid("account-list")))
    wait_account_state(linnet, "wendy@localhost", "online")
    assert len(linnet.find_elements(By.CSS_SELECTOR, '[data-jid="wendy@localhost"]')) == 1


def test_untrusted_certificate_shows_its_fingerprint_and_trusting_it_connects(launcher, prosody):
    prosody.register("tess", "tess-pw")
    # The app does not know the harness CA: the server's certificate is untrusted.
    driver = launcher.start(trust_ca=False)
    fill_add_account(driver, prosody, "tess@localhost", "tess-pw")
    wait = waiting(driver, 20)
    notice = wait.until(EC.visibility_of_element_located(by_testid("account-error")))
    assert notice.get_attribute("data-code") == "certificate_untrusted"
    shown = driver.find_element(*by_testid("certificate-fingerprint")).text
    assert "".join(c for c in shown if c.isalnum()).lower() == prosody.cert_sha256.lower()
    assert "localhost" in driver.find_element(*by_testid("certificate-subject")).text
    screenshot(driver, "untrusted-certificate")
    driver.find_element(*by_testid("trust-certificate")).click()
    wait.until(EC.visibility_of_element_located(by_testid("account-list")))
    wait_account_state(driver, "tess@localhost", "online")


def test_restart_signs_in_from_the_keyring_and_keeps_history(launcher, prosody):
    prosody.register("rita", "rita-pw")
    prosody.register("sam", "sam-pw")
    data = launcher.new_data_dir()
    driver = launcher.start(data)
    sign_in(driver, prosody, "rita@localhost", "rita-pw")
    wait = waiting(driver, 30)
    peer = Peer.for_server(prosody, "sam", "sam-pw", auto_accept=True)
    try:
        peer.send("rita@localhost", "before the restart")
        wait.until(EC.element_to_be_clickable(by_testid("conversation-sam@localhost"))).click()
        wait.until(lambda d: "before the restart" in " ".join(messages_text(d)))
        composer = driver.find_element(*by_testid("composer"))
        composer.send_keys("my reply")
        composer.send_keys(Keys.ENTER)
        peer.wait_for(lambda e: e.get("event") == "message" and e.get("body") == "my reply", timeout=20)
        launcher.stop(driver, shot="restart-before")

        # Encrypted at rest: no file in the data folder is plain SQLite or holds our text in
        # clear, and the folder is the user's alone.
        files = [f for f in data.rglob("*") if f.is_file()]
        assert any(f.name == "linnet.sqlite" for f in files), files
        for f in files:
            content = f.read_bytes()
            assert not content.startswith(b"SQLite format 3"), f"{f} is plain SQLite"
            for text in (b"before the restart", b"my reply", b"rita@localhost"):
                assert text not in content, f"{text!r} in clear in {f}"
        assert data.stat().st_mode & 0o777 == 0o700, oct(data.stat().st_mode)

        # Same data folder, same keyring: no password asked, history there.
        driver = launcher.start(data)
        wait = waiting(driver, 30)
        wait.until(EC.visibility_of_element_located(by_testid("account-list")))
        assert not driver.find_elements(*by_testid("add-account-form"))
        wait_account_state(driver, "rita@localhost", "online")
        wait.until(EC.element_to_be_clickable(by_testid("conversation-sam@localhost"))).click()
        wait.until(lambda d: all(any(want in t for t in messages_text(d))
                                 for want in ("before the restart", "my reply")))
        screenshot(driver, "restart-after")
        # And it still works both ways.
        peer.send("rita@localhost", "after the restart")
        wait.until(lambda d: any("after the restart" in t for t in messages_text(d)))
    finally:
        peer.close()


def test_two_accounts_one_disabled_and_enabled_again(linnet, prosody):
    prosody.register("uma", "uma-pw")
    prosody.register("vic", "vic-pw")
    prosody.register("walt", "walt-pw")
    sign_in(linnet, prosody, "uma@localhost", "uma-pw")
    linnet.find_element(*by_testid("add-account")).click()
    sign_in(linnet, prosody, "vic@localhost", "vic-pw")
    wait_account_state(linnet, "uma@localhost", "online")
    screenshot(linnet, "two-accounts")

    # Disable uma: she goes offline, vic stays online.
    account_element(linnet, "uma@localhost").find_element(
        By.CSS_SELECTOR, 'button[aria-label="Disable uma@localhost"]').click()
    wait_account_state(linnet, "uma@localhost", "offline")
    time.sleep(1)
    assert account_state(linnet, "vic@localhost") == "online"

    # A message to vic arrives while uma is disabled, and is shown as vic's.
    peer = Peer.for_server(prosody, "walt", "walt-pw", auto_accept=True)
    try:
        peer.send("vic@localhost", "for vic")
        conv = waiting(linnet, 20).until(
            EC.element_to_be_clickable(by_testid("conversation-walt@localhost")))
        label = conv.find_element(*by_testid("account-label"))
        assert label.get_attribute("title") == "Account: vic@localhost", \
            "the conversation shows which account it belongs to"

        # Enable uma again: she comes back online; vic is untouched.
        account_element(linnet, "uma@localhost").find_element(
            By.CSS_SELECTOR, 'button[aria-label="Enable uma@localhost"]').click()
        wait_account_state(linnet, "uma@localhost", "online")
        assert account_state(linnet, "vic@localhost") == "online"
        peer.send("uma@localhost", "for uma")
        waiting(linnet, 20).until(
            lambda d: len(d.find_elements(*by_testid("conversation-walt@localhost"))) == 2)
    finally:
        peer.close()


def test_a_lost_database_key_is_explained_and_starting_afresh_keeps_the_old_file(launcher, prosody):
    import subprocess

    prosody.register("lena", "lena-pw")
    data = launcher.new_data_dir()
    driver = launcher.start(data)
    sign_in(driver, prosody, "lena@localhost", "lena-pw")
    launcher.stop(driver)
    db = data / "linnet.sqlite"
    before = db.read_bytes()

    # The keyring loses the database key (another machine, a reset keyring).
    subprocess.run(["secret-tool", "clear", "service", "im.linnet.desktop",
                    "username", "linnet:database-key"], check=True, timeout=10)
    driver = launcher.start(data)
    wait = waiting(driver, 30)
    screen = wait.until(EC.visibility_of_element_located(by_testid("database-problem")))
    message = driver.find_element(*by_testid("database-problem-message")).text
    assert "no longer in the system keyring" in message, message
    assert not driver.find_elements(*by_testid("add-account-form")), "no silent new database"
    assert db.read_bytes() == before, "the file is untouched"
    screenshot(driver, "database-key-lost")

    # A wrong passphrase is told, and the file stays there, encrypted. (SQLite may fold the
    # last run's write-ahead log into it meanwhile: raw encrypted pages, still the same data.)
    screen.find_element(*by_testid("database-passphrase")).send_keys("not it")
    screen.find_element(*by_testid("database-unlock")).click()
    wait.until(lambda d: "could not be opened" in d.find_element(*by_testid("database-problem-message")).text)
    before = db.read_bytes()
    assert before and not before.startswith(b"SQLite format 3")

    # Starting afresh, after the warning: the old file is kept beside the new database.
    driver.find_element(*by_testid("database-start-afresh")).click()
    wait.until(EC.visibility_of_element_located(by_testid("database-afresh-warning")))
    driver.find_element(*by_testid("database-afresh-confirm")).click()
    wait.until(EC.visibility_of_element_located(by_testid("add-account-form")))
    kept = list(data.glob("linnet-unreadable-*.sqlite"))
    assert len(kept) == 1 and kept[0].read_bytes() == before, kept
    assert db.exists() and not db.read_bytes().startswith(b"SQLite format 3")


def _login_works(prosody, user: str, password: str) -> bool:
    """Whether an independent client (slixmpp) logs in as `user` with `password`."""
    try:
        Peer.for_server(prosody, user, password).close()
        return True
    except PeerError:
        return False


def test_an_account_is_created_in_the_window_its_password_changed_and_it_is_deleted(linnet, prosody):
    prosody.register("taken", "taken-pw")
    wait = waiting(linnet, 30)
    wait.until(EC.element_to_be_clickable(by_testid("create-account"))).click()
    form = wait.until(EC.visibility_of_element_located(by_testid("create-account-form")))
    form.find_element(*by_testid("register-server-input")).send_keys("localhost")
    host = form.find_element(*by_testid("register-host-input"))
    if not host.is_displayed():
        for summary in form.find_elements(By.TAG_NAME, "summary"):
            summary.click()
    host.send_keys("127.0.0.1")
    port = form.find_element(*by_testid("register-port-input"))
    port.clear()
    port.send_keys(str(prosody.ports.c2s))
    form.find_element(*by_testid("register-continue")).click()

    # The server's own form (Prosody's XEP-0004 form), drawn field by field; a taken name is
    # refused in words and the same form takes another.
    user = wait.until(EC.visibility_of_element_located(by_testid("register-field-username")))
    password = linnet.find_element(*by_testid("register-field-password"))
    assert password.get_attribute("type") == "password"
    user.send_keys("taken")
    password.send_keys("una-pw")
    linnet.find_element(*by_testid("register-submit")).click()
    error = wait.until(EC.visibility_of_element_located(by_testid("register-error")))
    assert "taken" in error.get_attribute("textContent"), error.get_attribute("textContent")
    screenshot(linnet, "register-taken")
    user.clear()
    user.send_keys("una")
    linnet.find_element(*by_testid("register-submit")).click()
    wait.until(lambda d: d.find_elements(*by_testid("register-done"))
               or d.find_elements(*by_testid("account-list")))
    for done in linnet.find_elements(*by_testid("register-done")):
        done.click()
    wait.until(EC.visibility_of_element_located(by_testid("account-list")))
    wait_account_state(linnet, "una@localhost", "online")
    assert _login_works(prosody, "una", "una-pw"), "the new account does not take its password"

    # A new password, changed on the server from the account's settings.
    item = account_element(linnet, "una@localhost")
    account_id = item.get_attribute("data-testid").removeprefix("account-")
    item.find_element(*by_testid(f"edit-account-{account_id}")).click()
    wait.until(EC.visibility_of_element_located(by_testid("new-password-input"))).send_keys("una-new")
    change = linnet.find_element(*by_testid("change-password"))
    assert not change.is_enabled(), "enabled before the two passwords match"
    linnet.find_element(*by_testid("confirm-password-input")).send_keys("una-new")
    change.click()
    wait.until(EC.visibility_of_element_located(by_testid("password-changed")))
    wait_account_state(linnet, "una@localhost", "online")
    assert _login_works(prosody, "una", "una-new")
    assert not _login_works(prosody, "una", "una-pw"), "the old password still works"

    # Deleted on the server, after typing its address.
    linnet.find_element(*by_testid("delete-on-server")).click()
    dialog = wait.until(EC.visibility_of_element_located(by_testid("delete-on-server-dialog")))
    confirm = dialog.find_element(*by_testid("delete-on-server-confirm"))
    assert not confirm.is_enabled(), "deleting needs the address typed"
    assert "una@localhost" in dialog.get_attribute("textContent")
    dialog.find_element(*by_testid("delete-confirm-input")).send_keys("una@localhost")
    screenshot(linnet, "delete-on-server")
    confirm.click()
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-jid="una@localhost"]'))
    assert not _login_works(prosody, "una", "una-new"), "the account still exists on the server"


def test_a_server_command_is_run_from_the_accounts_settings_with_its_form(linnet, prosody):
    # Prosody's own ad-hoc commands (XEP-0050): the harness makes admin@localhost an admin, who
    # is offered mod_admin_adhoc's "Add User", a form stage.
    prosody.register("admin", "admin-pw")
    sign_in(linnet, prosody, "admin@localhost", "admin-pw")
    wait = waiting(linnet, 30)
    item = account_element(linnet, "admin@localhost")
    account_id = item.get_attribute("data-testid").removeprefix("account-")
    item.find_element(*by_testid(f"edit-account-{account_id}")).click()
    section = wait.until(EC.visibility_of_element_located(by_testid(f"adhoc-commands-{account_id}")))
    # The connection details name the login: Prosody 0.12 offers SCRAM-SHA-1 (and PLAIN, which
    # stays off unless allowed).
    via = linnet.find_element(*by_testid(f"connected-via-{account_id}")).get_attribute("textContent")
    assert "Signed in with SCRAM-SHA-1." in via, via
    assert not linnet.find_element(*by_testid(f"edit-allow-plain-{account_id}")).is_selected()
    section.find_element(*by_testid("adhoc-list")).click()
    add_user = wait.until(EC.element_to_be_clickable(
        (By.CSS_SELECTOR, '[data-testid="adhoc-command"][data-node="http://jabber.org/protocol/admin#add-user"]')))
    names = [b.get_attribute("textContent") for b in linnet.find_elements(*by_testid("adhoc-command"))]
    assert "Get uptime" in names, names
    add_user.click()
    wait.until(EC.visibility_of_element_located(by_testid("adhoc-field-accountjid"))).send_keys("vera@localhost")
    linnet.find_element(*by_testid("adhoc-field-password")).send_keys("vera-pw")
    linnet.find_element(*by_testid("adhoc-field-password-verify")).send_keys("vera-pw")
    screenshot(linnet, "adhoc-add-user")
    linnet.find_element(*by_testid("adhoc-action-complete")).click()
    wait.until(lambda d: d.find_element(*by_testid("adhoc-stage")).get_attribute("data-status") == "completed")
    screenshot(linnet, "adhoc-done")
    assert _login_works(prosody, "vera", "vera-pw"), "the command did not create the account"
    linnet.find_element(*by_testid("adhoc-close")).click()
    wait.until(EC.visibility_of_element_located(by_testid("adhoc-list")))
