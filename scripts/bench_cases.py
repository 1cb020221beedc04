#!/usr/bin/env python3
"""The cases of scripts/bench, against a server it started: page loads with wrk, and whole
applications over HTTP as a resident's browser sends them (CSRF tokens from the pages, cookies
kept, redirects not followed). Standard library only; reuses Tests/ops/opslib.py.

  wrk       one page under wrk (GET or POST), with its targets; with --flood, while another
            wrk sends valid sign-ins

  prepare   two residents through the real pages: one who submitted (the dashboard case) and
            one with a draft at the household step (the step-page cases); prints their cookies
            and form tokens as JSON
  whole     one application, sign-up to submit with 4 uploads, one request at a time; the
            server's CPU time per request is read from /proc/<pid>/task/*/schedstat, and the
            time spent on the password-hashing threads (named bcrypt-N) is reported apart
  upload    a 20 MB document, then one over the limit, with the server's peak memory
  soak      N residents in parallel completing whole applications for S seconds

  report    every case of the run (from the JSON file) with the targets it meets

Each case prints one line for people and appends one JSON line to --json; progress goes to
stderr."""

import argparse
import datetime
import subprocess
import tempfile
import glob
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests", "ops"))
from opslib import Browser, ROOT  # noqa: E402

FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "documents")
PASSWORD = "amber kettle meadow stone"


def step_label(path):
    """The route pattern of a path, so steps of different residents are counted together."""
    path = path.split("?")[0]
    path = re.sub(r"/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "/:id", path)
    path = re.sub(r"/apply/documents/(?:member|program)-[a-z0-9_-]+", "/apply/documents/:item", path)
    return re.sub(r"/signup/confirm/.+", "/signup/confirm/:token", path)


class StepFailed(Exception):
    pass


# The server process ---------------------------------------------------------------------

def cpu_ns(pid, only=None):
    """CPU time (ns) used so far by the server's threads, or by those whose name starts with `only`."""
    total = 0
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            if only is not None:
                with open(os.path.join(task, "comm")) as comm:
                    if not comm.read().startswith(only):
                        continue
            with open(os.path.join(task, "schedstat")) as stat:
                total += int(stat.read().split()[0])
        except OSError:
            pass  # a thread that ended between the listing and the read
    return total


def peak_rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(re.search(r"^VmHWM:\s+(\d+) kB", status.read(), re.M).group(1))


# Mail (the file mailer's folder) ----------------------------------------------------------

class Mailbox:
    """Finds the sign-up confirmation link for an address; reads each file once."""

    def __init__(self, data_dir, base):
        self.folder = os.path.join(data_dir, "mail")
        self.base = base
        self.seen = set()
        self.links = {}
        self.lock = threading.Lock()

    def _scan(self):
        for path in glob.glob(os.path.join(self.folder, "*signup_confirm*.txt")):
            if path in self.seen:
                continue
            self.seen.add(path)
            text = open(path, encoding="utf-8").read()
            to = re.search(r"^To: (\S+)", text, re.M)
            link = re.search(re.escape(self.base) + r"(/signup/confirm/\S+)", text)
            if to and link:
                self.links[to.group(1)] = link.group(1)

    def confirmation(self, email, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            with self.lock:
                if email not in self.links:
                    self._scan()
                if email in self.links:
                    return self.links.pop(email)
            time.sleep(0.05)
        raise StepFailed(f"no confirmation email to {email} within {seconds} s")


# A resident -------------------------------------------------------------------------------

class Resident(Browser):
    """A browser that records each request's wall time (and, with `pid`, server CPU time)."""

    def __init__(self, base, pid=None):
        super().__init__(base)
        self.pid = pid
        self.steps = []  # (label, seconds, cpu_ns or None)

    def _send(self, method, path, body=None, content_type=None, headers=None):
        label = method + " " + step_label(path)
        before = cpu_ns(self.pid) if self.pid else None
        start = time.perf_counter()
        try:
            response = super()._send(method, path, body, content_type, headers)
        except OSError as error:
            raise StepFailed(f"{label}: {error}") from error
        elapsed = time.perf_counter() - start
        self.steps.append((label, elapsed, (cpu_ns(self.pid) - before) if self.pid else None))
        return response

    def must(self, response, status, what):
        if response.status != status:
            raise StepFailed(f"{what}: expected {status}, got {response.status}: {response.text[:300]!r}")
        return response


def addresses(count):
    """Distinct in-area addresses from the local verifier's sample file."""
    found = []
    with open(os.path.join(ROOT, "settings", "addresses.csv"), encoding="utf-8") as file:
        for line in file:
            cells = line.rstrip("\n").split(",")
            if line.startswith("#") or cells[0] == "street" or len(cells) < 6 or cells[5] != "true":
                continue
            found.append(cells[:5])
    if len(found) < count:
        raise SystemExit(f"settings/addresses.csv has {len(found)} in-area addresses; {count} asked for")
    return found[:count]


def sign_up(resident, mailbox, email, first="Rosa", last="Ramos"):
    resident.get("/signup")
    resident.must(resident.post("/signup", [
        ("first_name", first), ("last_name", last), ("email", email), ("phone", "(970) 555-0177"),
        ("password", PASSWORD), ("password_confirmation", PASSWORD), ("language", "en"), ("privacy_ack", "yes"),
    ]), 303, "sign-up")
    link = mailbox.confirmation(email)
    resident.get(link)
    resident.must(resident.post(link), 303, "the confirmation signs the resident in")


def apply_until_household(resident, address):
    street, unit, city, state, zip_code = address
    resident.get("/apply/get-ready")
    resident.get("/apply/address")
    answer = resident.must(resident.post("/apply/address", [
        ("street", street), ("unit", unit), ("city", city), ("state", state), ("zip", zip_code), ("mailing_same", "yes")]),
        303, "address")
    if answer.location and answer.location.startswith("/apply/address/confirm"):
        resident.get(answer.location)
        resident.must(resident.post("/apply/address/confirm", [("choice", "suggested")]), 303, "address confirmation")
    resident.get("/apply/household")


def apply_until_documents(resident, first="Rosa", last="Ramos", second_member=True):
    """From the household step to the documents page; returns the checklist items."""
    resident.must(resident.post("/apply/household", [("rent_own", "rent"), ("duration", "1_to_3")]), 303, "household")
    members = resident.get("/apply/members").text
    applicant = "/apply/members/" + re.search(r'href="/apply/members/([0-9a-fA-F-]{36})"', members).group(1)
    resident.get(applicant)
    resident.must(resident.post(applicant, [("first_name", first), ("last_name", last), ("birthdate", "1983-05-14")]),
                  303, "the applicant's birthdate")
    if second_member:
        resident.get("/apply/members/new")
        resident.must(resident.post("/apply/members/new", [("first_name", "Tomas"), ("last_name", last), ("birthdate", "2012-01-30")]),
                      303, "a second member")
    resident.get("/apply/members")
    resident.must(resident.post("/apply/members"), 303, "members done")
    resident.get("/apply/programs")
    resident.must(resident.post("/apply/programs", [("programs", "snap")]), 303, "programs")
    page = resident.get("/apply/documents").text
    items = re.findall(r'action="/apply/documents/((?:member|program)-[a-z0-9_-]+)"', page)
    if not items:
        raise StepFailed("the documents page lists no item")
    return items


def apply_rest(resident, last="Ramos"):
    """From the household step to submitted, with 4 uploads."""
    items = apply_until_documents(resident, last=last)
    for number in range(4):
        item = items[number % len(items)]
        name, kind = ("id-card.jpg", "image/jpeg") if item.startswith("member") else ("benefit-letter.pdf", "application/pdf")
        with open(os.path.join(FIXTURES, name), "rb") as file:
            resident.must(resident.upload(f"/apply/documents/{item}", name, kind, file.read()), 303, f"upload for {item}")
        resident.get("/apply/documents")
    resident.must(resident.post("/apply/documents"), 303, "documents done")
    resident.get("/apply/review")
    answer = resident.must(resident.post("/apply/submit", [("declaration", "yes")]), 303, "submit")
    if answer.location != "/apply/submitted":
        raise StepFailed(f"submit went to {answer.location}")
    resident.get("/apply/submitted")


def whole_application(resident, mailbox, email, address):
    sign_up(resident, mailbox, email)
    apply_until_household(resident, address)
    apply_rest(resident)


def cookie_header(resident):
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in resident.jar)


def percentile(values, fraction):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# Figures and targets ----------------------------------------------------------------------

def record(options, case, summary, figures, targets, errors=0):
    """Prints one line and appends one JSON line; `targets` is [(what, met)]."""
    rss = peak_rss_kb(options.pid) if options.pid else None
    verdict = "; ".join(f"{'met' if met else 'NOT MET'}: {what}" for what, met in targets) or "(no target)"
    print(f"{case:<40} {summary:<44} errors {errors:<5} peak RSS {rss // 1024 if rss else '?':>3} MiB  {verdict}", flush=True)
    if options.json:
        with open(options.json, "a") as file:
            file.write(json.dumps({
                "case": case, "engine": options.engine, "at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                **figures, "errors": errors, "peak_rss_kb": rss,
                "targets": [{"target": what, "met": met} for what, met in targets]}) + "\n")


def milliseconds(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk_script(method, body, cookie, expect):
    """A wrk Lua script: the request, and a count of answers other than `expect` when that
    is not a 2xx/3xx (wrk itself counts non-2xx/3xx answers)."""
    lines = [f'wrk.method = "{method}"']
    if body:
        lines += [f"wrk.body = {json.dumps(body)}", 'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"']
    if cookie:
        lines.append(f'wrk.headers["Cookie"] = {json.dumps(cookie)}')
    if expect >= 400:
        lines += [
            "local threads = {}",
            "function setup(thread) table.insert(threads, thread) end",
            "function init(args) unexpected = 0 end",
            f"function response(status, headers, body) if status ~= {expect} then unexpected = unexpected + 1 end end",
            "function done(summary, latency, requests)",
            "  local total = 0",
            '  for _, thread in ipairs(threads) do total = total + thread:get("unexpected") end',
            '  io.write("unexpected_status " .. total .. "\\n")',
            "end",
        ]
    handle = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    handle.write("\n".join(lines) + "\n")
    handle.close()
    return handle.name


def run_wrk(base, path, connections, seconds, method="GET", body=None, cookie=None, expect=200, threads=2, timeout=10):
    script = wrk_script(method, body, cookie, expect)
    try:
        answer = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout}s", "--latency", "-s", script, base + path],
            capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script)
    found = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", answer).group(1)),
        "p50_ms": round(milliseconds(re.search(r"^\s+50%\s+(\S+)", answer, re.M).group(1)), 2),
        "p99_ms": round(milliseconds(re.search(r"^\s+99%\s+(\S+)", answer, re.M).group(1)), 2),
        "requests": int(re.search(r"(\d+) requests in", answer).group(1)),
    }
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", answer)
    errors = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    if expect >= 400:
        errors += int(re.search(r"unexpected_status (\d+)", answer).group(1))
    else:
        wrong = re.search(r"Non-2xx or 3xx responses: (\d+)", answer)
        errors += int(wrong.group(1)) if wrong else 0
    return found, errors


def speed_targets(found, rps=None, p99=None):
    targets = []
    if rps:
        targets.append((f">= {rps:,} req/s", found["rps"] >= rps))
    if p99:
        targets.append((f"p99 <= {p99} ms", found["p99_ms"] <= p99))
    return targets


def summary_of(found):
    return f"{found['rps']:>9,.0f} req/s  p50 {found['p50_ms']:>7.2f} ms  p99 {found['p99_ms']:>7.2f} ms"


def settle(options, seconds=180):
    """Waits until the server is idle (under 5 % of a core for half a second): the hashing
    a sign-in flood queued must not count against the next case."""
    if not options.pid:
        return
    deadline = time.time() + seconds
    while time.time() < deadline:
        before = cpu_ns(options.pid)
        time.sleep(0.5)
        if cpu_ns(options.pid) - before < 0.05 * 0.5e9:
            return


# Commands ---------------------------------------------------------------------------------

def wrk(options):
    settle(options)
    # One second first, unmeasured: connections opened, caches and pools warm.
    run_wrk(options.base, options.path, options.connections, 1, options.method, options.body, options.cookie, options.expect)
    settle(options)
    before = cpu_ns(options.pid) if options.pid else 0
    found, errors = run_wrk(options.base, options.path, options.connections, options.duration, options.method, options.body,
                            options.cookie, options.expect)
    if options.pid and found["requests"]:
        found["server_cpu_ms_per_request"] = round((cpu_ns(options.pid) - before) / 1e6 / found["requests"], 3)
    found.update({"method": options.method, "path_pattern": step_label(options.path), "connections": options.connections})
    targets = speed_targets(found, options.target_rps, options.target_p99)
    if errors:
        targets.append(("no errors", False))
    record(options, options.name, summary_of(found), found, targets, errors)


def flood(options):
    """Valid sign-ins (bcrypt at the configured cost) from half the connections while the
    other half loads the landing page: hashing must not starve page rendering."""
    half = max(1, options.connections // 2)
    result = {}
    settle(options)

    def sign_ins():
        result["signin"] = run_wrk(options.base, "/login", half, options.duration, "POST", options.body, options.cookie, 303,
                                   threads=1, timeout=60)

    flooding = threading.Thread(target=sign_ins)
    flooding.start()
    time.sleep(1)  # the hashing threads are busy before the page load starts
    landing, landing_errors = run_wrk(options.base, "/", half, max(1, options.duration - 2), threads=1)
    flooding.join()
    signin, signin_errors = result["signin"]
    settle(options)
    figures = {"signin_rps": signin["rps"], "signin_p50_ms": signin["p50_ms"], "signin_p99_ms": signin["p99_ms"],
               "landing_rps": landing["rps"], "landing_p50_ms": landing["p50_ms"], "landing_p99_ms": landing["p99_ms"],
               "connections": half * 2}
    targets = [(f"landing p99 <= {options.target_p99} ms during the flood", landing["p99_ms"] <= options.target_p99)]
    if signin_errors + landing_errors:
        targets.append(("no errors", False))
    record(options, options.name,
           f"{signin['rps']:>6.1f} sign-ins/s; landing {landing['rps']:,.0f} req/s p99 {landing['p99_ms']:.1f} ms",
           figures, targets, signin_errors + landing_errors)


def prepare(options):
    mailbox = Mailbox(options.data, options.base)
    places = addresses(2)
    submitted = Resident(options.base)
    email = f"bench.dashboard.{uuid.uuid4().hex[:8]}@bench.example.org"
    whole_application(submitted, mailbox, email, places[0])
    submitted.must(submitted.get("/dashboard"), 200, "the dashboard")
    draft = Resident(options.base)
    sign_up(draft, mailbox, f"bench.draft.{uuid.uuid4().hex[:8]}@bench.example.org")
    apply_until_household(draft, places[1])
    page = draft.must(draft.get("/apply/household"), 200, "the household step").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    # A valid answer, and one the page refuses (a choice that is not offered, one missing).
    valid = urllib.parse.urlencode([("csrf_token", token), ("rent_own", "rent"), ("duration", "1_to_3")])
    invalid = urllib.parse.urlencode([("csrf_token", token), ("rent_own", "castle"), ("duration", "")])
    if draft.post("/apply/household", [("rent_own", "castle"), ("duration", "")]).status != 422:
        raise StepFailed("the refused household answer did not get a 422")
    signin = Resident(options.base)
    signin.get("/login")
    signin_body = urllib.parse.urlencode([("csrf_token", signin.csrf), ("email", email), ("password", PASSWORD)])
    print(json.dumps({
        "dashboard_cookie": cookie_header(submitted), "draft_cookie": cookie_header(draft),
        "household_valid": valid, "household_invalid": invalid,
        "signin_cookie": cookie_header(signin), "signin_body": signin_body,
    }))


def whole(options):
    mailbox = Mailbox(options.data, options.base)
    # One application first, unmeasured: a server that has been running has every template
    # parsed and every connection open.
    whole_application(Resident(options.base), mailbox, f"bench.warm.{uuid.uuid4().hex[:8]}@bench.example.org", addresses(3)[2])
    resident = Resident(options.base, pid=options.pid)
    settle(options)
    hashing_before = cpu_ns(options.pid, only="bcrypt")
    total_before = cpu_ns(options.pid)
    start = time.perf_counter()
    whole_application(resident, mailbox, f"bench.whole.{uuid.uuid4().hex[:8]}@bench.example.org", addresses(3)[2])
    wall = time.perf_counter() - start
    total = cpu_ns(options.pid) - total_before
    hashing = cpu_ns(options.pid, only="bcrypt") - hashing_before
    costliest = sorted(((label, round(cpu / 1e6, 2)) for label, _, cpu in resident.steps), key=lambda pair: -pair[1])[:5]
    figures = {"requests": len(resident.steps), "wall_s": round(wall, 3), "server_cpu_ms": round(total / 1e6, 1),
               "hashing_cpu_ms": round(hashing / 1e6, 1), "server_cpu_ms_without_hashing": round((total - hashing) / 1e6, 1),
               "costliest_requests_cpu_ms": costliest, "original_cpu_ms": options.original_cpu_ms}
    limit = options.original_cpu_ms / 10
    targets = [(f"server CPU without hashing <= {limit:g} ms (1/10 of the original's {options.original_cpu_ms:g} ms)",
                (total - hashing) / 1e6 <= limit)]
    record(options, options.name,
           f"{len(resident.steps)} requests, {wall:.2f} s wall, CPU {total / 1e6:.0f} ms "
           f"({hashing / 1e6:.0f} hashing, {(total - hashing) / 1e6:.1f} other)", figures, targets)


def upload(options):
    mailbox = Mailbox(options.data, options.base)
    resident = Resident(options.base)
    sign_up(resident, mailbox, f"bench.upload.{uuid.uuid4().hex[:8]}@bench.example.org")
    apply_until_household(resident, addresses(4)[3])
    items = apply_until_documents(resident, first="Lena", last="Large", second_member=False)
    item = next(i for i in items if i.startswith("program"))

    def pdf(size):
        return b"%PDF-1.4\n" + os.urandom(size - 16) + b"\n%%EOF\n"

    # One small document first, so one-time costs of the upload path are not counted.
    resident.must(resident.upload(f"/apply/documents/{item}", "warm.pdf", "application/pdf", pdf(200_000)), 303, "a small upload")
    resident.get("/apply/documents")
    before = peak_rss_kb(options.pid)
    start = time.perf_counter()
    resident.must(resident.upload(f"/apply/documents/{item}", "letter.pdf", "application/pdf", pdf(options.size_mb * 1_000_000)),
                  303, f"a {options.size_mb} MB upload")
    seconds = time.perf_counter() - start
    growth = peak_rss_kb(options.pid) - before
    resident.get("/apply/documents")
    refused = oversize(options, resident, item)
    answered = refused["oversize_answered_after_limit_s"]
    figures = {"mb": options.size_mb, "seconds": round(seconds, 3), "rss_growth_kb": growth, **refused}
    targets = [(f"RSS growth <= 5 MB ({growth / 1024:.1f})", growth <= 5 * 1024),
               ("oversize refused <= 1 s after the limit",
                answered is not None and answered <= 1.0 and refused["oversize_status"] in (413, 422))]
    record(options, options.name,
           f"{options.size_mb} MB in {seconds:.2f} s, RSS +{growth / 1024:.1f} MB; oversize: "
           f"{refused['oversize_status']} after {answered if answered is not None else '?'} s", figures, targets)


def oversize(options, resident, item):
    """Streams a file past the limit (chunked, so the server cannot refuse it by its length)
    and measures how long the answer takes after the limit was crossed."""
    limit = options.limit_mb * 1_048_576
    boundary = "----GetYourBench" + uuid.uuid4().hex[:12]
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{resident.csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="huge.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n%PDF-1.4\n").encode()
    host = urllib.parse.urlparse(options.base)
    connection = socket.create_connection((host.hostname, host.port), timeout=30)
    connection.sendall((f"POST /apply/documents/{item} HTTP/1.1\r\nHost: {host.netloc}\r\nCookie: {cookie_header(resident)}\r\n"
                        f"Content-Type: multipart/form-data; boundary={boundary}\r\nTransfer-Encoding: chunked\r\n\r\n").encode())
    state = {"crossed": None, "answered": None, "status": None}

    def read_answer():
        try:
            first = connection.recv(65536)
            state["answered"] = time.perf_counter()
            found = re.match(rb"HTTP/1\.1 (\d+)", first)
            state["status"] = int(found.group(1)) if found else None
        except OSError:
            state["answered"] = time.perf_counter()

    reader = threading.Thread(target=read_answer, daemon=True)
    reader.start()
    chunk = os.urandom(256 * 1024)
    sent = 0
    try:
        connection.sendall(b"%x\r\n%s\r\n" % (len(head), head))
        deadline = time.perf_counter() + 60
        while state["answered"] is None and time.perf_counter() < deadline and sent < 4 * limit:
            connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
            if state["crossed"] is None and sent > limit:
                state["crossed"] = time.perf_counter()
    except OSError:
        pass  # the server answered and closed the connection
    reader.join(timeout=30)
    connection.close()
    answered = None
    if state["answered"] is not None:
        answered = 0.0 if state["crossed"] is None else max(0.0, state["answered"] - state["crossed"])
    return {"oversize_status": state["status"], "oversize_sent_mb": round(sent / 1_048_576, 1),
            "oversize_answered_after_limit_s": None if answered is None else round(answered, 3)}


def soak(options):
    mailbox = Mailbox(options.data, options.base)
    places = addresses(options.residents + 4)[4:]
    stop_at = time.time() + options.duration
    lock = threading.Lock()
    results = {"completed": 0, "errors": [], "steps": {}}

    def resident_loop(index):
        while time.time() < stop_at:
            resident = Resident(options.base)
            try:
                whole_application(resident, mailbox, f"bench.soak.{index}.{uuid.uuid4().hex[:8]}@bench.example.org", places[index])
                with lock:
                    results["completed"] += 1
            except Exception as error:  # every failure is reported; none stops the soak
                with lock:
                    results["errors"].append(f"{type(error).__name__}: {error}"[:300])
            with lock:
                for label, seconds, _ in resident.steps:
                    results["steps"].setdefault(label, []).append(seconds)

    start = time.time()
    threads = [threading.Thread(target=resident_loop, args=(index,)) for index in range(options.residents)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    minutes = (time.time() - start) / 60
    steps = {label: {"count": len(values), "p50_ms": round(percentile(values, 0.5) * 1000, 1),
                     "p99_ms": round(percentile(values, 0.99) * 1000, 1)} for label, values in sorted(results["steps"].items())}
    figures = {"residents": options.residents, "minutes": round(minutes, 2), "completed": results["completed"],
               "per_minute": round(results["completed"] / minutes, 1), "first_errors": results["errors"][:10], "steps": steps}
    errors = len(results["errors"])
    record(options, options.name, f"{results['completed']} applications, {results['completed'] / minutes:.1f}/min, "
           f"{options.residents} residents", figures, [("0 errors", errors == 0)], errors)
    for label, figures in steps.items():
        print(f"    {label:<44} {figures['count']:>6}  p50 {figures['p50_ms']:>8.1f} ms  p99 {figures['p99_ms']:>8.1f} ms")
    for error in results["errors"][:10]:
        print(f"    error: {error}")


def report(options):
    cases = [json.loads(line) for line in open(options.json)] if os.path.exists(options.json) else []
    met = sum(1 for case in cases for target in case["targets"] if target["met"])
    missed = [(case["case"], target["target"]) for case in cases for target in case["targets"] if not target["met"]]
    peak = max((case["peak_rss_kb"] or 0 for case in cases), default=0)
    print(f"\n{len(cases)} cases, {met} targets met, {len(missed)} not met; server peak RSS {peak / 1024:.1f} MiB "
          f"({'met' if peak <= 60 * 1024 else 'NOT MET'}: <= 60 MB)")
    for case, target in missed:
        print(f"  not met: {case}: {target}")
    if options.json:
        with open(options.json, "a") as file:
            file.write(json.dumps({"case": "server peak RSS", "engine": options.engine, "peak_rss_kb": peak, "errors": 0,
                                   "targets": [{"target": "<= 60 MB", "met": peak <= 60 * 1024}]}) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["wrk", "flood", "prepare", "whole", "upload", "soak", "report"])
    parser.add_argument("--base", default="")
    parser.add_argument("--data", default="", help="the server's data folder (the file mailer writes under mail/)")
    parser.add_argument("--pid", type=int, help="the server's process id (CPU and memory figures)")
    parser.add_argument("--json", default="", help="append one JSON line per case to this file")
    parser.add_argument("--engine", default="postgres")
    parser.add_argument("--name", default="")
    parser.add_argument("--path", default="/")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body")
    parser.add_argument("--cookie")
    parser.add_argument("--expect", type=int, default=200)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=10, help="seconds per case (the soak's length for soak)")
    parser.add_argument("--target-rps", type=int)
    parser.add_argument("--target-p99", type=float)
    parser.add_argument("--residents", type=int, default=20)
    parser.add_argument("--size-mb", type=int, default=20)
    parser.add_argument("--limit-mb", type=int, default=25)
    parser.add_argument("--original-cpu-ms", type=float, default=555.0)
    options = parser.parse_args()
    commands = {"wrk": wrk, "flood": flood, "prepare": prepare, "whole": whole, "upload": upload, "soak": soak, "report": report}
    try:
        commands[options.command](options)
    except StepFailed as error:
        raise SystemExit(f"bench_cases {options.command}: {error}")


if __name__ == "__main__":
    main()
