"""Two app servers, one database (issue 13): two `getyour serve` instances on loopback behind
nginx (round robin), one PostgreSQL, documents in one S3-compatible bucket (the test server
scripts/s3.sh starts; no shared folder), and two `getyour jobs` workers. A resident signs up, applies with uploads and submits, and a verifier verifies,
all through nginx, so consecutive requests land on different instances: the session, the
CSRF token, the uploads, the documents and the outbox must work whichever one answers.
Halfway through, one instance is stopped (as a deploy does) and later started again: nothing
is lost. Each message is sent once although two workers run. Run by Tests/ops/run on
scripts/test's PostgreSQL pass."""

import collections
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

from opslib import (
    ROOT, Browser, Server, app_environment, apply_until_documents, check, demo_passwords, fail, free_port, make_databases, metric,
    run, s3_environment, s3_objects, say, sign_in_staff, sql,
)

work = tempfile.mkdtemp(prefix="getyour-two-servers-")
data_dir = os.path.join(work, "data")
front, port_a, port_b = free_port(), free_port(), free_port()
base = f"http://127.0.0.1:{front}"
environment = app_environment(
    data_dir, base, make_databases("getyour_lb"),
    # nginx on loopback is the trusted proxy: the client is the address it saw.
    {"GETYOUR_APP_TRUSTED_PROXIES": "127.0.0.1", **s3_environment("getyour-two-servers")})
token = environment["GETYOUR_METRICS_TOKEN"]

say("migrate, seed --demo (for the staff accounts)")
run(environment, "migrate")
passwords = demo_passwords(run(environment, "seed", "--demo", "--email-domain", "lb.example.org"))
verifier_email = "demo-verifier@lb.example.org"

processes = []
servers = {
    "a": Server(environment, port_a, os.path.join(work, "a.log")),
    "b": Server(environment, port_b, os.path.join(work, "b.log")),
}
nginx = None


def start_workers():
    for name in ["jobs-1", "jobs-2"]:
        log = open(os.path.join(work, f"{name}.log"), "ab")
        processes.append(subprocess.Popen([os.environ["GETYOUR_BIN"], "jobs"], env=environment, stdout=log, stderr=subprocess.STDOUT))


def start_nginx():
    user = "user root;" if os.geteuid() == 0 else ""
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as file:
        file.write(f"""
{user}
worker_processes 2;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {work}/nginx-access.log;
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    fastcgi_temp_path {work}/nginx-fastcgi;
    uwsgi_temp_path {work}/nginx-uwsgi;
    scgi_temp_path {work}/nginx-scgi;
    client_max_body_size 25m;
    upstream getyour {{
        server 127.0.0.1:{port_a} max_fails=1 fail_timeout=3s;
        server 127.0.0.1:{port_b} max_fails=1 fail_timeout=3s;
    }}
    server {{
        listen 127.0.0.1:{front};
        location = /metrics {{ return 404; }}
        location / {{
            proxy_pass http://getyour;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-ID $request_id;
            proxy_request_buffering off;
            proxy_next_upstream error timeout;
        }}
    }}
}}
""")
    nginx_binary = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen([nginx_binary, "-e", f"{work}/nginx-error.log", "-c", conf, "-p", work])
    processes.append(process)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            if Browser(base).get("/healthz").status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    fail("nginx did not start:\n" + open(f"{work}/nginx-error.log").read())


def served(name):
    return metric(f"http://127.0.0.1:{servers[name].port}", token, "getyour_http_requests_total{")


def mail_to(address, kind=None):
    found = []
    for path in sorted(glob.glob(os.path.join(data_dir, "mail", "**", "*.txt"), recursive=True)):
        text = open(path, encoding="utf-8").read()
        if f"To: {address}" in text and (kind is None or re.search(rf"^Kind: .*\b{kind}\b", text, re.M)):
            found.append(text)
    return found


def wait_for_mail(address, kind, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = mail_to(address, kind)
        if found:
            return found[-1]
        time.sleep(0.3)
    fail(f"no {kind} email to {address}")


try:
    for server in servers.values():
        server.start()
    start_workers()
    nginx = start_nginx()

    say("a resident applies through nginx")
    email = "rosa.ramos@lb.example.org"
    resident = Browser(base)
    items = apply_until_documents(resident, base, email, lambda address: wait_for_mail(address, "signup_confirm"))
    check(len(items) >= 3, f"the checklist asks for {len(items)} documents")
    fixtures = os.path.join(ROOT, "Tests/Fixtures/documents")
    for item in items:
        resident.get("/apply/documents")
        name, kind = ("id-card.jpg", "image/jpeg") if item.startswith("member") else ("benefit-letter.pdf", "application/pdf")
        with open(os.path.join(fixtures, name), "rb") as file:
            resident.expect(resident.upload(f"/apply/documents/{item}", name, kind, file.read()), 303, f"upload for {item}")
    check(served("a") > 5 and served("b") > 5, f"both instances answered the resident (a: {served('a'):.0f}, b: {served('b'):.0f})")

    say("instance a stops in the middle of the application (as in a deploy)")
    before_stop = served("b")
    servers["a"].stop()
    resident.get("/apply/documents")
    resident.expect(resident.post("/apply/documents"), 303, "documents done, with instance a gone")
    resident.get("/apply/review")
    submitted = resident.expect(resident.post("/apply/submit", [("declaration", "yes")]), 303, "submit, with instance a gone")
    check(submitted.location == "/apply/submitted", "the application is submitted")
    check(served("b") > before_stop, "instance b took over")
    household = sql(environment, f"SELECT h.id FROM households h JOIN users u ON u.id = h.user_id WHERE u.email = '{email}'")
    check(sql(environment, f"SELECT count(*) FROM documents d JOIN applications a ON a.id = d.application_id WHERE a.household_id = '{household}'")
          == str(len(items)), "every upload is kept")
    # (The demo households' documents, uploaded by `seed --demo`, are in the bucket too.)
    keys = sql(environment, "SELECT storage_key FROM documents WHERE purged_at IS NULL")
    check(sorted("documents/" + key for key in keys.split()) == sorted(s3_objects("getyour-two-servers")),
          "each upload is one object in the bucket, whichever instance received it")
    check(not os.path.exists(os.path.join(data_dir, "documents")), "no document is on a server's disk")
    servers["a"].start()
    time.sleep(3.5)  # nginx's fail_timeout: a is back in rotation

    say("a verifier verifies through nginx")
    staff = Browser(base)
    sign_in_staff(staff, verifier_email, passwords[verifier_email])
    a_before, b_before = served("a"), served("b")
    page = staff.expect(staff.get(f"/staff/households/{household}"), 200, "the household page").text
    documents = re.findall(r'href="/staff/documents/([0-9a-fA-F-]{36})"', page)
    check(len(set(documents)) >= len(items), "the household page links every document")
    for document in documents[:len(items)]:
        staff.expect(staff.get(f"/staff/documents/{document}"), 200, "each document opens, whichever instance answers")
    staff.get(f"/staff/households/{household}")
    application = re.search(r'action="/staff/applications/([0-9a-fA-F-]{36})/verify"', staff.last_page).group(1)
    revision = re.search(r'name="revision" value="(\d+)"', staff.last_page).group(1)
    staff.expect(staff.post(f"/staff/applications/{application}/verify", [("revision", revision)]), 303, "verify")
    check(sql(environment, f"SELECT status FROM applications WHERE id = '{application}'") == "verified", "the application is verified")
    check(served("a") > a_before and served("b") > b_before, "both instances answered the verifier")
    resident.expect(resident.get("/dashboard"), 200, "the resident's dashboard")

    say("two workers send each message once")
    wait_for_mail(email, "verified")
    user = sql(environment, f"SELECT id FROM users WHERE email = '{email}'")
    mine = f"(household_id = '{household}' OR user_id = '{user}')"
    deadline = time.time() + 30
    while time.time() < deadline and sql(environment, f"SELECT count(*) FROM outbox_messages WHERE {mine} AND status IN ('pending', 'sending')") != "0":
        time.sleep(0.5)
    check(sql(environment, f"SELECT count(*) FROM outbox_messages WHERE {mine} AND status IN ('pending', 'sending', 'failed')") == "0",
          "every message to the resident left the outbox")
    check(sql(environment, "SELECT count(*) FROM outbox_messages WHERE status = 'failed'") == "0", "no message failed")
    kinds = collections.Counter()
    for text in mail_to(email):
        kinds[re.search(r"^Kind: (.*)$", text, re.M).group(1)] += 1
    check(kinds and all(count == 1 for count in kinds.values()), f"one email per message to the resident: {dict(kinds)}")
    check(any("verified" in kind for kind in kinds), "the verification email was sent")
    texts = collections.Counter()
    for path in glob.glob(os.path.join(data_dir, "sms", "**", "*.txt"), recursive=True):
        text = open(path, encoding="utf-8").read()
        if "+19705550177" in text:
            texts[re.search(r"^Kind: (.*)$", text, re.M).group(1)] += 1
    check(texts and all(count == 1 for count in texts.values()), f"one text per message: {dict(texts)}")

    say("the logs: JSON lines with route patterns, and no personal data")
    logged = {}
    for name in ["jobs-1", "jobs-2"]:
        lines = [line for line in open(os.path.join(work, f"{name}.log"), encoding="utf-8").read().splitlines() if line.strip()]
        check(any('"message":"jobs round"' in line for line in lines) and all(json.loads(line) is not None for line in lines),
              f"worker {name} logs each round as one JSON object")
    for name in ["a", "b"]:
        # (Blank lines are the console's, on shutdown; every log record is one JSON object.)
        lines = [line for line in open(os.path.join(work, f"{name}.log"), encoding="utf-8").read().splitlines() if line.strip()]
        check(lines and all(json.loads(line) is not None for line in lines), f"instance {name} logs one JSON object per line")
        check(any('"route":"/apply/' in line for line in lines), f"instance {name} logs route patterns")
        logged[name] = lines
    check(any('"route":"/apply/documents/:item"' in line for line in logged["a"] + logged["b"]),
          "an upload is logged as its pattern, /apply/documents/:item")
    for log in glob.glob(os.path.join(work, "*.log")):
        text = open(log, encoding="utf-8", errors="replace").read().lower()
        for secret in ["rosa", "ramos", "5550177", "civic center"]:
            if secret in text:
                fail(f"{os.path.basename(log)} contains personal data ({secret})")
    check(True, "no name, email, phone or address in any server, worker or nginx log")
    say("two servers behind nginx passed")
finally:
    for server in servers.values():
        server.stop()
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
