"""Backup round trip (issue 13): make data, back it up with scripts/backup, restore it with
scripts/restore into new databases and an empty document folder, start the app on them and
find the same household and the same document, byte for byte. Run by Tests/ops/run on
scripts/test's PostgreSQL pass."""

import hashlib
import os
import subprocess
import tempfile

from opslib import ROOT, Browser, Server, app_environment, check, demo_passwords, free_port, make_databases, run, say, sql

work = tempfile.mkdtemp(prefix="getyour-backup-")
domain = "backup.example.org"
email = f"demo-verified@{domain}"

say("making data: migrate, seed --demo")
port = free_port()
before = app_environment(os.path.join(work, "data-before"), f"http://127.0.0.1:{port}", make_databases("getyour_bk"))
run(before, "migrate")
passwords = demo_passwords(run(before, "seed", "--demo", "--email-domain", domain))
check(email in passwords, "seed --demo printed the demo accounts' passwords")
household = sql(before, f"SELECT h.id FROM households h JOIN users u ON u.id = h.user_id WHERE u.email = '{email}'")
document, digest = sql(
    before,
    f"SELECT d.id || ' ' || d.sha256 FROM documents d JOIN applications a ON a.id = d.application_id "
    f"WHERE a.household_id = '{household}' ORDER BY d.uploaded_at LIMIT 1").split()
reference = sql(before, f"SELECT reference FROM applications WHERE household_id = '{household}' AND status = 'verified'")
check(household and document and reference, "a verified household with a document exists")

say("scripts/backup")
backup = os.path.join(work, "backup")
subprocess.run([os.path.join(ROOT, "scripts/backup"), "--out", backup], env=before, check=True)
for name in ["primary.dump", "analytics.dump", "documents.tar.gz", "MANIFEST"]:
    check(os.path.getsize(os.path.join(backup, name)) > 0, f"the backup holds {name}")

say("scripts/restore into new databases and an empty data folder")
after = app_environment(os.path.join(work, "data-after"), f"http://127.0.0.1:{port}", make_databases("getyour_rs"))
after["GETYOUR_BIN"] = os.environ["GETYOUR_BIN"]
subprocess.run([os.path.join(ROOT, "scripts/restore"), "--from", backup], env=after, check=True)
refused = subprocess.run([os.path.join(ROOT, "scripts/restore"), "--from", backup], env=after, capture_output=True, text=True)
check(refused.returncode != 0 and "already has" in refused.stderr, "a second restore over the data is refused without --force")

say("the app on the restored data")
server = Server(after, port, os.path.join(work, "server.log")).start()
try:
    check(sql(after, f"SELECT h.id FROM households h JOIN users u ON u.id = h.user_id WHERE u.email = '{email}'") == household,
          "the same household id")
    resident = Browser(f"http://127.0.0.1:{port}")
    resident.get("/login")
    resident.expect(resident.post("/login", [("email", email), ("password", passwords[email])]), 303, "the resident signs in")
    dashboard = resident.expect(resident.get("/dashboard"), 200, "the dashboard")
    check(reference in dashboard.text, "the dashboard shows the restored household's verified application")
    file = resident.expect(resident.get(f"/documents/{document}"), 200, "the resident opens the document")
    check(hashlib.sha256(file.body).hexdigest() == digest, "the document's bytes are the ones uploaded")
finally:
    server.stop()
say("backup round trip passed")
