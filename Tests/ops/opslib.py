"""Helpers for the operations tests (Tests/ops): a cookie-keeping HTTP client that fills in
CSRF tokens like the site's own forms, TOTP codes, throw-away databases made with
ref/sql/roles.sql, and app processes. Standard library only."""

import base64
import hashlib
import hmac
import http.cookiejar
import json
import os
import re
import shlex
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def say(message):
    print(f"==> {message}", file=sys.stderr, flush=True)


def fail(message):
    raise SystemExit(f"FAILED: {message}")


def check(condition, message):
    if not condition:
        fail(message)
    print(f"  ok  {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    @property
    def location(self):
        return self.headers.get("Location")


class Browser:
    """Keeps cookies, never follows redirects, and sends the last page's csrf_token."""

    def __init__(self, base):
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)
        self.last_page = ""

    def _send(self, method, path, body=None, content_type=None, headers=None):
        request = urllib.request.Request(self.base + path, data=body, method=method)
        if content_type:
            request.add_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with self.opener.open(request, timeout=60) as answer:
                response = Response(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as error:
            response = Response(error.code, error.headers, error.read())
        if (response.headers.get("Content-Type") or "").startswith("text/html"):
            self.last_page = response.text
        return response

    def get(self, path, headers=None):
        return self._send("GET", path, headers=headers)

    @property
    def csrf(self):
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.last_page)
        return found.group(1) if found else None

    def post(self, path, fields=()):
        fields = list(fields)
        if self.csrf:
            fields.insert(0, ("csrf_token", self.csrf))
        body = urllib.parse.urlencode(fields).encode()
        return self._send("POST", path, body, "application/x-www-form-urlencoded")

    def upload(self, path, filename, content_type, data):
        boundary = "----GetYourOps" + uuid.uuid4().hex[:12]
        parts = []
        if self.csrf:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{self.csrf}\r\n'.encode())
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode())
        parts.append(data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self._send("POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}")

    def expect(self, response, status, what):
        if response.status != status:
            fail(f"{what}: expected {status}, got {response.status}\n{response.text[:2000]}")
        return response


def totp(secret_base32, at=None):
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    counter = int((at or time.time()) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def sign_in_staff(browser, email, password):
    """Password, then the first-time authenticator set-up, as a new staff member does it."""
    browser.get("/login")
    answer = browser.expect(browser.post("/login", [("email", email), ("password", password)]), 303, f"staff sign-in {email}")
    if answer.location == "/staff/two-factor/setup":
        page = browser.expect(browser.get("/staff/two-factor/setup"), 200, "the authenticator set-up page").text
        shown = re.search(r'<p class="secret"><code>([A-Z2-7 ]+)</code>', page)
        if not shown:
            fail(f"no key on the set-up page:\n{page[:3000]}")
        secret = shown.group(1).replace(" ", "")
        browser.expect(browser.post("/staff/two-factor/setup", [("code", totp(secret))]), 303, "authenticator set-up")
        return secret
    return None


# Databases -------------------------------------------------------------------------------

def superuser_psql():
    command = os.environ.get("GETYOUR_TEST_PG_SUPERUSER_PSQL")
    if not command:
        fail("GETYOUR_TEST_PG_SUPERUSER_PSQL is not set: run under scripts/test's PostgreSQL pass")
    return shlex.split(command)


def make_databases(prefix):
    """New primary and analytics databases with the roles of ref/sql/roles.sql; returns the
    environment variables that point the app (base role) and migrate (migration role) at them."""
    subprocess.run(
        superuser_psql() + ["-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-v", f"prefix={prefix}",
                            "-v", f"primary_db={prefix}", "-v", f"analytics_db={prefix}_analytics",
                            "-v", "migrator_password=migrator", "-v", "app_password=app", "-v", "reader_password=reader",
                            "-f", os.path.join(ROOT, "ref/sql/roles.sql")],
        check=True, stdout=subprocess.DEVNULL)
    address = os.environ["GETYOUR_TEST_PG_ADDRESS"]
    def url(role, password, database):
        return f"postgres://{prefix}_{role}:{password}@{address}/{database}?sslmode=disable"
    return {
        "GETYOUR_DATABASE_PRIMARY_URL": url("app", "app", prefix),
        "GETYOUR_DATABASE_ANALYTICS_URL": url("app", "app", prefix + "_analytics"),
        "GETYOUR_DATABASE_PRIMARY_MIGRATION_URL": url("migrator", "migrator", prefix),
        "GETYOUR_DATABASE_ANALYTICS_MIGRATION_URL": url("migrator", "migrator", prefix + "_analytics"),
        "GETYOUR_DATABASE_APP_ROLE": f"{prefix}_app",
        "GETYOUR_DATABASE_ANALYTICS_READER_ROLE": f"{prefix}_analytics_reader",
    }


def sql(environment, query):
    """One value from the primary database, as the migration role."""
    url = environment["GETYOUR_DATABASE_PRIMARY_MIGRATION_URL"]
    answer = subprocess.run(["psql", url, "-X", "-A", "-t", "-c", query], check=True, capture_output=True, text=True)
    return answer.stdout.strip()


# The app ---------------------------------------------------------------------------------

def app_environment(data_dir, base_url, databases, extra=None):
    """`dev` settings as close to production as plain HTTP on loopback allows."""
    environment = dict(os.environ)
    for name in list(environment):
        if name.startswith("GETYOUR_") and not name.startswith("GETYOUR_TEST_") and name != "GETYOUR_BIN":
            del environment[name]
    environment.update({
        "GETYOUR_ENV": "dev",
        "GETYOUR_ROOT": ROOT,
        "GETYOUR_DATA_DIR": data_dir,
        "GETYOUR_APP_PUBLIC_BASE_URL": base_url,
        "GETYOUR_SECURITY_SECRET_KEY": "ops-test-secret-key-0123456789-abcdefghij",
        "GETYOUR_SECURITY_SECURE_COOKIES": "false",
        "GETYOUR_SECURITY_BCRYPT_COST": "4",
        "GETYOUR_NOTIFICATIONS_EMAIL_BACKEND": "file",
        "GETYOUR_NOTIFICATIONS_SMS_BACKEND": "file",
        "GETYOUR_NOTIFICATIONS_SENDGRID_API_KEY": "SG.unused",
        "GETYOUR_NOTIFICATIONS_FROM_EMAIL": "getyour@city.example",
        "GETYOUR_NOTIFICATIONS_TWILIO_ACCOUNT_SID": "ACunused",
        "GETYOUR_NOTIFICATIONS_TWILIO_AUTH_TOKEN": "unused",
        "GETYOUR_NOTIFICATIONS_TWILIO_FROM": "+19705550100",
        "GETYOUR_CONTACT_EMAIL": "getyour@city.example",
        "GETYOUR_CONTACT_PHONE": "970-555-0100",
        "GETYOUR_JOBS_INTERVAL_SECONDS": "1",
        "GETYOUR_METRICS_TOKEN": "ops-test-metrics-token-0123456789abcdef",
    })
    environment.update(databases)
    environment.update(extra or {})
    return environment


def binary():
    path = os.environ.get("GETYOUR_BIN")
    if not path:
        fail("GETYOUR_BIN is not set")
    return path


def run(environment, *arguments):
    answer = subprocess.run([binary(), *arguments], env=environment, capture_output=True, text=True)
    if answer.returncode != 0:
        fail(f"getyour {' '.join(arguments)} failed:\n{answer.stdout}\n{answer.stderr}")
    return answer.stdout


def demo_passwords(seed_output):
    """email -> password from the table `getyour seed --demo` prints."""
    passwords = {}
    for line in seed_output.splitlines():
        cells = line.split()
        if len(cells) >= 3 and "@" in cells[0] and cells[2] != "(unchanged)":
            passwords[cells[0]] = cells[2]
    return passwords


class Server:
    """`getyour serve` on a loopback port, its output in a log file."""

    def __init__(self, environment, port, log_path):
        self.environment, self.port, self.log_path = environment, port, log_path
        self.process = None

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [binary(), "serve", "--hostname", "127.0.0.1", "--port", str(self.port)],
            env=self.environment, stdout=log, stderr=subprocess.STDOUT)
        wait_ready(f"http://127.0.0.1:{self.port}", self.process, self.log_path)
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


def wait_ready(base, process=None, log_path=None, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            fail(f"the server stopped:\n{open(log_path).read()[-3000:] if log_path else ''}")
        try:
            with urllib.request.urlopen(base + "/healthz?ready=1", timeout=2) as answer:
                if answer.status == 200:
                    return json.loads(answer.read())
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.3)
    fail(f"{base} did not become ready")


def metric(base, token, series):
    """The value of one series line of /metrics (0 when absent)."""
    request = urllib.request.Request(base + "/metrics", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(series):
            total += float(line.rsplit(" ", 1)[1])
    return total


# The S3-compatible store (scripts/s3.sh) ---------------------------------------------------

def s3_client():
    """A boto3 client for the test S3 server, with the key the app uses."""
    import boto3

    return boto3.client(
        "s3", endpoint_url=os.environ["GETYOUR_TEST_S3_ENDPOINT"], region_name="us-east-1",
        aws_access_key_id=os.environ["GETYOUR_TEST_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["GETYOUR_TEST_S3_SECRET_ACCESS_KEY"])


def s3_environment(bucket):
    """Creates `bucket` and returns the settings that put the app's documents in it."""
    if not os.environ.get("GETYOUR_TEST_S3_ENDPOINT"):
        fail("GETYOUR_TEST_S3_ENDPOINT is not set: run under scripts/test (scripts/s3.sh starts the server)")
    s3_client().create_bucket(Bucket=bucket)
    return {
        "GETYOUR_DOCUMENTS_BACKEND": "s3",
        "GETYOUR_DOCUMENTS_S3_ENDPOINT": os.environ["GETYOUR_TEST_S3_ENDPOINT"],
        "GETYOUR_DOCUMENTS_S3_BUCKET": bucket,
        "GETYOUR_DOCUMENTS_S3_ACCESS_KEY_ID": os.environ["GETYOUR_TEST_S3_ACCESS_KEY_ID"],
        "GETYOUR_DOCUMENTS_S3_SECRET_ACCESS_KEY": os.environ["GETYOUR_TEST_S3_SECRET_ACCESS_KEY"],
        "GETYOUR_DOCUMENTS_S3_ENCRYPTION": "aes256",
    }


def s3_objects(bucket):
    """{key: size} of every object in the bucket."""
    answer = s3_client().list_objects_v2(Bucket=bucket)
    return {item["Key"]: item["Size"] for item in answer.get("Contents", [])}


# A resident ------------------------------------------------------------------------------

def apply_until_documents(resident, base, email, confirmation, first="Rosa", last="Ramos", phone="(970) 555-0177"):
    """Signs up (reading the confirmation email with `confirmation(email)`) and answers every
    step before the documents; returns the checklist items."""
    resident.get("/signup")
    password = "amber kettle meadow stone"
    resident.expect(resident.post("/signup", [
        ("first_name", first), ("last_name", last), ("email", email), ("phone", phone),
        ("password", password), ("password_confirmation", password), ("language", "en"), ("privacy_ack", "yes"),
    ]), 303, "sign-up")
    link = re.search(re.escape(base) + r"(/signup/confirm/\S+)", confirmation(email)).group(1)
    resident.get(link)
    resident.expect(resident.post(link), 303, "the confirmation button signs the resident in")
    resident.get("/apply/get-ready")
    resident.get("/apply/address")
    resident.expect(resident.post("/apply/address", [
        ("street", "300 Civic Center Dr"), ("unit", ""), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80521"),
        ("mailing_same", "yes")]), 303, "address")
    resident.get("/apply/household")
    resident.expect(resident.post("/apply/household", [("rent_own", "rent"), ("duration", "1_to_3")]), 303, "household")
    members = resident.get("/apply/members").text
    applicant = "/apply/members/" + re.search(r'href="/apply/members/([0-9a-fA-F-]{36})"', members).group(1)
    resident.get(applicant)
    resident.expect(resident.post(applicant, [("first_name", first), ("last_name", last), ("birthdate", "1983-05-14")]),
                    303, "the applicant's birthdate")
    resident.get("/apply/members/new")
    resident.expect(resident.post("/apply/members/new", [("first_name", "Tomas"), ("last_name", last), ("birthdate", "2012-01-30")]),
                    303, "a second member")
    resident.get("/apply/members")
    resident.expect(resident.post("/apply/members"), 303, "members done")
    resident.get("/apply/programs")
    resident.expect(resident.post("/apply/programs", [("programs", "snap")]), 303, "programs")
    page = resident.get("/apply/documents").text
    return re.findall(r'action="/apply/documents/((?:member|program)-[a-z0-9_-]+)"', page)
