"""Accounts in the real window: wrong password, untrusted certificate, restart with the keyring,
two accounts side by side."""

import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from conftest import Peer, screenshot
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
