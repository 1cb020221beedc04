"""A resident's whole application in a real browser, with axe on every page.

Fails on any WCAG 2.2 A/AA violation axe reports, or when a page does not say what a
person would expect. Prints 'browser: N passed, M failed' at the end.
"""
import argparse
import subprocess
import base64
import glob
import hashlib
import hmac
import os
import struct
import traceback
import re
import sys
import time

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# ChromeDriver sometimes answers this while the page it just loaded is still settling, under
# CPU load; the same call a moment later works. Nothing else is retried.
DRIVER_RACE = "does not belong to the document"


def settled(call, attempts=4):
    """Runs a driver call, retrying only ChromeDriver's document race."""
    for attempt in range(attempts):
        try:
            return call()
        except WebDriverException as error:
            if DRIVER_RACE not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.5)


def totp(secret_base32, at=None):
    """RFC 6238 (SHA-1, 30 s, 6 digits), as an authenticator app computes it."""
    key = base64.b32decode(secret_base32.replace(" ", "") + "=" * (-len(secret_base32.replace(" ", "")) % 8))
    counter = struct.pack(">Q", int((at or time.time()) // 30))
    mac = hmac.new(key, counter, hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


class Journey:
    def __init__(self, base, fixtures, screenshots, mail, staff_link, jobs):
        self.base, self.fixtures, self.screenshots = base, fixtures, screenshots
        self.mail, self.staff_link, self.jobs = mail, staff_link, jobs
        options = webdriver.ChromeOptions()
        for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=412,1400", "--lang=en-US"]:
            options.add_argument(flag)
        options.binary_location = "/usr/bin/chromium"
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.set_page_load_timeout(60)
        self.driver.set_script_timeout(60)
        self.passed, self.failed, self.shot = 0, 0, 0

    def check(self, name, expect_text=None):
        """axe + a screenshot + an expected text on the current page."""
        settled(lambda: self._check(name, expect_text))

    def _check(self, name, expect_text):
        self.shot += 1
        self.driver.save_screenshot(os.path.join(self.screenshots, f"{self.shot:02d}-{name}.png"))
        problems = []
        if expect_text and expect_text not in self.driver.page_source:
            problems.append(f"expected text not found: {expect_text!r}")
        axe = Axe(self.driver)
        axe.inject()
        results = axe.run(options='{"runOnly": {"type": "tag", "values": %s}}' % str(TAGS).replace("'", '"'))
        for violation in results["violations"]:
            targets = [" ".join(node["target"]) for node in violation["nodes"]][:3]
            problems.append(f"axe {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
        if problems:
            self.failed += 1
            print(f"FAIL {name} ({self.driver.current_url})")
            for problem in problems:
                print(f"    {problem}")
        else:
            self.passed += 1
            print(f"ok   {name}")

    def go(self, path):
        self.driver.get(self.base + path)

    def fill(self, name, value):
        def run():
            field = self.driver.find_element(By.NAME, name)
            field.clear()
            field.send_keys(value)
        settled(run)

    def set_value(self, name, value):
        """Date inputs take the browser's locale format when typed; set the value itself."""
        settled(lambda: self.driver.execute_script("arguments[0].value = arguments[1]", self.driver.find_element(By.NAME, name), value))

    def click(self, css):
        settled(lambda: self.driver.find_element(By.CSS_SELECTOR, css).click())

    def navigate(self, element):
        """Clicks something that loads a new page and waits until it has."""
        page = settled(lambda: self.driver.find_element(By.TAG_NAME, "html"))
        try:
            element.click()
        except WebDriverException as error:
            # Reported when the click's navigation finished before ChromeDriver did; the page
            # did change (the wait below proves it), so it is not a failure.
            if DRIVER_RACE not in str(error):
                raise

        def page_changed(_):
            try:
                page.is_enabled()
                return False
            except StaleElementReferenceException:
                return True
            except WebDriverException as error:
                # "does not belong to the document": the old page's node is gone, so it changed.
                if DRIVER_RACE in str(error):
                    return True
                raise

        WebDriverWait(self.driver, 45).until(page_changed)
        WebDriverWait(self.driver, 45).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def submit(self, form_css="main form[method=post]:last-of-type"):
        self.navigate(settled(lambda: self.driver.find_element(By.CSS_SELECTOR, form_css + " button[type=submit]")))

    def run(self):
        d = self.driver
        self.go("/")
        self.check("landing", "How it works")
        self.go("/?lang=es")
        self.check("landing-es", "Cómo funciona")
        self.go("/?lang=en")
        # "Get ready" is public, before an account exists (issue 14).
        self.go("/apply/get-ready")
        self.check("get-ready-public", "Create your account")
        self.go("/apply/get-ready?lang=es")
        self.check("get-ready-public-es", "Cree su cuenta")
        self.go("/?lang=en")

        self.go("/signup")
        self.check("signup")
        self.submit("form[action='/signup']")
        self.check("signup-errors", "There is a problem")
        email = self.email = f"browser.{int(time.time())}@example.com"
        for name, value in [("first_name", "Maria"), ("last_name", "Lopez"), ("email", email),
                            ("phone", "(970) 555-0142"), ("password", "amber kettle meadow stone"),
                            ("password_confirmation", "amber kettle meadow stone")]:
            self.fill(name, value)
        self.click("input[name=language][value=en]")
        self.click("input[name=privacy_ack]")
        self.submit("form[action='/signup']")
        self.check("signup-check-email", "Check your email")
        self.go(self.link_in_mail(email, "/signup/confirm/"))
        self.check("signup-confirm", "Confirm my email address")
        self.submit("form[action^='/signup/confirm/']")
        self.check("get-ready", "Before you start")

        self.go("/apply/address")
        self.check("address")
        self.fill("street", "300 civic center drive")
        self.fill("city", "Fort Collins")
        self.fill("zip", "80521")
        self.click("input[name=mailing_same][value=yes]")
        self.submit("form[action='/apply/address']")
        self.check("address-confirm", "300 Civic Center Dr")
        self.click("input[name=choice][value=suggested]")
        self.submit("form[action='/apply/address/confirm']")

        self.check("household", "Step 3 of 7")
        self.submit("form[action='/apply/household']")
        self.check("household-errors", "Choose whether you rent or own")
        self.click("input[name=rent_own][value=rent]")
        self.click("input[name=duration][value='1_to_3']")
        self.submit("form[action='/apply/household']")

        self.check("members", "Maria Lopez")
        self.navigate(settled(lambda: d.find_element(By.CSS_SELECTOR, "a[href^='/apply/members/']:not([href$='new'])")))
        self.check("member-edit")
        self.set_value("birthdate", "1985-04-27")
        self.submit("form[action^='/apply/members/']")
        self.navigate(settled(lambda: d.find_element(By.CSS_SELECTOR, "a[href='/apply/members/new']")))
        self.fill("first_name", "Leo")
        self.fill("last_name", "Lopez")
        self.set_value("birthdate", "2015-09-02")
        self.submit("form[action='/apply/members/new']")
        self.check("members-two", "Leo Lopez")
        self.submit("form[action='/apply/members']")

        self.check("programs", "SNAP")
        self.click("input[name=programs][value=snap]")
        self.submit("form[action='/apply/programs']")

        self.check("documents", "Upload your documents")
        uploads = {"member": "id-card.jpg", "program": "benefit-letter.pdf"}
        def next_needed():
            forms = [f for f in d.find_elements(By.CSS_SELECTOR, "form[enctype='multipart/form-data']")
                     if "(needed)" in f.find_element(By.XPATH, "./ancestor::section").text]
            if not forms:
                return None
            form = forms[0]
            kind = "member" if "/member-" in form.get_attribute("action") else "program"
            form.find_element(By.NAME, "files").send_keys(os.path.join(self.fixtures, uploads[kind]))
            return form.find_element(By.CSS_SELECTOR, "button[type=submit]")

        while (button := settled(next_needed)) is not None:
            self.navigate(button)
        self.check("documents-done", "Your files were uploaded")
        self.submit("form[action='/apply/documents']")

        self.check("review", "Check your answers before you submit")
        self.click("input[name=declaration]")
        self.submit("form[action='/apply/submit']")
        self.check("submitted", "Your application has been submitted")
        reference = re.search(r"GY-[A-Z0-9]{8}", d.page_source)
        if not reference:
            self.failed += 1
            print("FAIL submitted: no reference number shown")
        # The welcome email is queued with the submission and written by the worker.
        welcome = [text for text in self.mail_to(self.email) if "Kind: welcome" in text]
        if welcome and reference and reference.group(0) in welcome[-1]:
            self.passed += 1
            print("ok   welcome email after getyour jobs --once")
        else:
            self.failed += 1
            print("FAIL no welcome email with the reference after getyour jobs --once")

        self.navigate(settled(lambda: d.find_element(By.CSS_SELECTOR, "main a[href='/dashboard']")))
        self.check("dashboard", "Welcome to your dashboard")
        self.submit("form[action='/dashboard/programs/recreation/apply']")
        self.check("dashboard-applied", "You have applied")
        self.click("input[name=rating][value='5']")
        self.fill("comment", "Clear and quick")
        self.submit("form[action='/feedback']")
        self.check("dashboard-feedback", "Thank you for your feedback")

        self.go("/settings")
        self.check("settings", "Your settings")
        # Mailing address and account deletion: each mistake explained on the same page.
        self.click("input[name='mailing_same'][value='no']")
        self.fill("mailing_city", "Loveland")
        self.submit("form[action='/settings/mailing']")
        self.check("settings-mailing-error", "Enter the street address")
        self.submit("form[action='/settings/delete']")
        self.check("settings-delete-error", "Tick the box to confirm")
        # A named contact: a mistake, then saved, then shown on settings.
        self.go("/settings/contact")
        self.check("settings-contact", "A person who helps you")
        self.fill("contact_name", "Rosa Helper")
        self.fill("contact_relationship", "daughter")
        self.click("input[name='contact_receives'][value='copy']")
        self.submit("main form[action='/settings/contact']")
        self.check("settings-contact-error", "Enter their email address or phone number")
        self.fill("contact_email", "rosa.helper@example.net")
        self.submit("main form[action='/settings/contact']")
        self.check("settings-contact-saved", "Your named contact is Rosa Helper (daughter).")
        self.go("/no-such-page")
        self.check("not-found", "Page not found")
        self.submit("form[action='/logout']")
        self.check("signed-out", "You have signed out")
        self.go("/programs")
        self.check("programs-public", "Grocery Tax Rebate")
        self.go("/")
        self.fill("street", "1200 County Road 54G")
        self.fill("city", "Laporte")
        self.fill("zip", "80535")
        self.submit("form[action='/address-check']")
        self.check("address-check", "outside our service area")
        self.go("/password-reset")
        self.check("password-reset")
        self.go("/login")
        self.check("login")
        self.staff()

    def mail_to(self, address):
        """Runs `getyour jobs --once` (which sends what the outbox holds), then returns the
        messages the file mailer wrote to `address`, oldest first."""
        subprocess.run(self.jobs, shell=True, check=True, stdout=subprocess.DEVNULL)
        texts = [open(name).read() for name in sorted(glob.glob(os.path.join(self.mail, "*.txt")))]
        return [text for text in texts if f"To: {address}" in text]

    def link_in_mail(self, address, path):
        """The newest link to `path` in a message written to `address` by the file mailer."""
        for text in reversed(self.mail_to(address)):
            found = re.search(r"(https?://\S+%s\S+)" % re.escape(path), text)
            if found:
                return found.group(1).replace(self.base, "")
        raise AssertionError(f"no mail to {address} with a {path} link")

    def staff(self):
        """An admin sets a password, sets up two-step sign-in, keeps the recovery codes, signs
        in again with one of them, and opens the staff accounts page."""
        d = self.driver
        self.go(self.staff_link.replace(self.base, ""))
        password = "lantern copper willow ridge"
        self.fill("password", password)
        self.fill("password_confirmation", password)
        self.submit("form[method=post]")
        self.fill("email", "browser.admin@city.example")
        self.fill("password", password)
        self.submit("form[action='/login']")
        self.check("staff-two-factor-setup", "Set up two-step sign-in")
        secret = settled(lambda: d.find_element(By.CSS_SELECTOR, "p.secret code").text)
        self.fill("code", "000000")
        self.submit("form[action='/staff/two-factor/setup']")
        self.check("staff-two-factor-setup-error", "That code is not right")
        self.fill("code", totp(secret))
        self.submit("form[action='/staff/two-factor/setup']")
        self.check("staff-recovery-codes", "Your recovery codes")
        codes = [element.text for element in settled(lambda: d.find_elements(By.CSS_SELECTOR, "ul.recovery-codes code"))]
        self.navigate(settled(lambda: d.find_element(By.CSS_SELECTOR, "main a[href='/staff']")))
        self.check("staff-home", "Staff workspace")
        self.submit("form[action='/logout']")
        self.fill("email", "browser.admin@city.example")
        self.fill("password", password)
        self.submit("form[action='/login']")
        self.check("staff-two-factor", "Enter your sign-in code")
        self.fill("code", codes[0])
        self.submit("form[action='/login/two-factor']")
        self.go("/staff/admin/staff")
        self.check("staff-admin-staff", "browser.admin@city.example")
        self.navigate(settled(lambda: d.find_element(By.CSS_SELECTOR, "main a[href^='/staff/admin/staff/']")))
        self.check("staff-admin-staff-change", "Change a staff account")
        self.go("/staff/admin/staff")
        self.submit("form[action='/staff/admin/staff']")
        self.check("staff-admin-invite-errors", "Enter an email address")
        self.fill("email", "colleague@city.example")
        self.fill("first_name", "Cole")
        self.fill("last_name", "League")
        self.click("input[name=role][value=verifier]")
        self.submit("form[action='/staff/admin/staff']")
        self.check("staff-admin-invited", "The invitation is on its way.")
        self.navigate(settled(lambda: d.find_element(
            By.XPATH, "//tr[td[contains(., 'colleague@city.example')]]//a[starts-with(@href, '/staff/admin/staff/')]")))
        self.click("input[name=active][value=no]")
        self.submit("main form[method=post]")
        self.check("staff-admin-deactivated", "deactivated")

        # Programs: an admin changes one (a mistake first), then opens the form for a new one.
        self.go("/staff/admin/programs")
        self.check("staff-admin-programs", "Eligibility programs")
        self.navigate(settled(lambda: d.find_element(By.CSS_SELECTOR, "main a[href='/staff/admin/programs/benefit/recreation']")))
        self.check("staff-admin-program-edit", "Change a benefit program")
        self.fill("name_en", " ")
        self.fill("ceiling", "forty")
        self.submit("main form[method=post]")
        self.check("staff-admin-program-errors", "Enter a whole number from 1 to 200")
        self.fill("name_en", "Recreation Reduced Fee")
        self.fill("ceiling", "45")
        self.submit("main form[method=post]")
        self.check("staff-admin-program-saved", "The program was saved.")
        self.go("/staff/admin/programs/eligibility/new")
        self.check("staff-admin-program-new", "Add an eligibility program")
        self.go("/staff/admin/programs/benefit/new")
        self.check("staff-admin-benefit-new", "Add a benefit program")
        self.go("/staff/messages/failed")
        self.check("staff-failed-messages", "Messages that could not be delivered")
        self.go("/staff/feedback")
        self.check("staff-feedback", "Clear and quick")
        self.go("/staff/audit")
        self.check("staff-audit", "Audit log")
        self.go("/staff/audit?from=2026-02-30")
        self.check("staff-audit-errors", "Enter a day like 2026-12-31")

        # The verification loop: the queue, the household, a request for information.
        self.go("/staff")
        self.check("staff-queue", "Applications to check")
        self.navigate(settled(lambda: d.find_element(By.CSS_SELECTOR, "main table a[href^='/staff/households/']")))
        self.check("staff-household", "Verify this application")
        household = d.current_url
        self.click("input[name=items]")
        self.fill("message", "Please upload a clearer photo of your ID.")
        self.submit("form[action$='/request-info']")
        self.check("staff-household-requested", "The request was sent to the resident")
        self.sign_out_and_in(self.email, "amber kettle meadow stone")
        self.go("/dashboard")
        self.check("dashboard-needs-info", "Please upload a clearer photo of your ID.")
        self.go("/apply/respond")
        self.check("respond", "City staff need more from you")
        form = settled(lambda: d.find_element(By.CSS_SELECTOR, "form[enctype='multipart/form-data']"))
        form.find_element(By.NAME, "files").send_keys(os.path.join(self.fixtures, "id-card.jpg"))
        self.navigate(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        self.check("respond-uploaded", "Your files were uploaded")
        self.fill("message", "Here is a clearer photo.")
        self.submit("form[action='/apply/respond']")
        self.check("dashboard-responded", "Your answer was sent")
        self.sign_out_and_in("browser.admin@city.example", password)
        self.check("staff-two-factor-again", "Enter your sign-in code")
        self.fill("code", codes[1])
        self.submit("form[action='/login/two-factor']")
        self.check("staff-queue-answered", "Answered")
        d.get(household)
        self.check("staff-household-answered", "Here is a clearer photo.")
        # An admin replaces a file for the resident: with no file first, then with a photo.
        self.submit("form[action$='/replace']")
        self.check("staff-household-replace-errors", "There is a problem")
        form = settled(lambda: d.find_element(By.CSS_SELECTOR, "form[action$='/replace']"))
        form.find_element(By.NAME, "files").send_keys(os.path.join(self.fixtures, "id-card.jpg"))
        self.navigate(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        self.check("staff-household-replaced", "The file was replaced and waits for review.")
        self.submit("form[action$='/verify']")
        self.check("staff-household-verified", "The application is verified")

        # The program's list: the verified household asked for recreation; enroll it.
        self.go("/staff/programs/recreation")
        self.check("staff-program-list", "Applied")
        self.navigate(settled(lambda: d.find_element(By.CSS_SELECTOR, "button[name=decision][value=decline]")))
        self.check("staff-program-list-errors", "Choose at least one household")
        self.click("input[name=households]")
        self.navigate(settled(lambda: d.find_element(By.CSS_SELECTOR, "button[name=decision][value=enroll]")))
        self.check("staff-program-enrolled", "Enrolled. Each household is told")
        self.go("/staff/programs/recreation?status=enrolled")
        self.check("staff-program-enrolled-tab", "Enrolled until")
        self.go("/staff/programs/recreation?status=expired")
        self.check("staff-program-ended-tab", "Ended")
        time.sleep(1.5)  # the analytics writer flushes every second
        self.go("/staff/analytics")
        self.check("staff-analytics", "Application funnel")

        self.sign_out_and_in(self.email, "amber kettle meadow stone")
        self.go("/dashboard")
        self.check("dashboard-verified", "Verified: your documents have been checked")
        self.check("dashboard-enrolled", "Enrolled until")
        enrolled = [text for text in self.mail_to(self.email) if "You are now enrolled in" in text]
        if enrolled:
            self.passed += 1
            print("ok   enrolment email after getyour jobs --once")
        else:
            self.failed += 1
            print("FAIL no enrolment email after getyour jobs --once")

        # Renewal: the resident says the household changed (they now own their home), keeps
        # the files staff accepted, reviews what changed and submits; staff compare and verify.
        self.submit("form[action='/renew']")
        self.check("renewal-changes", "What has changed since your last application?")
        self.click("input[name=changed][value=household]")
        self.click("input[name=changed][value=none]")
        self.submit("form[action='/apply/changes']")
        self.check("renewal-changes-errors", "not both")
        self.click("input[name=changed][value=none]")
        self.submit("form[action='/apply/changes']")
        self.check("renewal-household", "rent or own")
        self.click("input[name=rent_own][value=own]")
        self.submit("form[action='/apply/household']")
        self.check("renewal-documents", "Accepted with your last application")
        self.submit("form[action='/apply/documents']")
        self.check("renewal-review", "What changed since your last application")
        self.click("input[name=declaration]")
        self.submit("form[action='/apply/submit']")
        self.check("renewal-submitted", "Your application has been submitted")
        self.go("/dashboard")
        self.check("dashboard-renewal-submitted", "Enrolled until")
        self.sign_out_and_in("browser.admin@city.example", password)
        self.fill("code", codes[2])
        self.submit("form[action='/login/two-factor']")
        self.go("/staff?status=renewal")
        self.check("staff-queue-renewals", "Renewal")
        d.get(household)
        self.check("staff-household-renewal", "What this renewal changes")
        self.submit("form[action$='/verify']")
        self.check("staff-household-renewal-verified", "The application is verified")
        self.submit("form[action$='/renewal']")
        self.check("staff-household-renewal-started", "A renewal was started")
        self.go("/staff/renewals?days=400")
        self.check("staff-renewals-due-errors", "Enter a whole number of days from 1 to 365")
        self.go("/staff/renewals?days=365")
        self.check("staff-renewals-due", "Renewals due")
        self.sign_out_and_in(self.email, "amber kettle meadow stone")
        self.go("/dashboard")
        self.check("dashboard-renewing", "Continue your renewal")

    def sign_out_and_in(self, email, password):
        self.submit("form[action='/logout']")
        self.go("/login")
        self.fill("email", email)
        self.fill("password", password)
        self.submit("form[action='/login']")

    def close(self):
        self.driver.quit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--mail", required=True)
    parser.add_argument("--staff-link", required=True)
    parser.add_argument("--jobs", required=True, help="shell command that runs getyour jobs --once")
    args = parser.parse_args()
    journey = Journey(args.base, args.fixtures, args.screenshots, args.mail, args.staff_link, args.jobs)
    try:
        journey.run()
    except Exception as error:  # a step that could not be carried out is a failure too
        journey.failed += 1
        print(f"FAIL journey stopped at {journey.driver.current_url}: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
        frames = [line for line in traceback.format_tb(error.__traceback__) if "journey.py" in line]
        print("    at " + " <- ".join(f.strip().splitlines()[0] for f in reversed(frames)))
        journey.driver.save_screenshot(os.path.join(args.screenshots, "failure.png"))
        with open(os.path.join(args.screenshots, "failure.html"), "w") as f:
            f.write(journey.driver.page_source)
    finally:
        journey.close()
    print(f"browser: {journey.passed} passed, {journey.failed} failed")
    sys.exit(1 if journey.failed else 0)


if __name__ == "__main__":
    main()
