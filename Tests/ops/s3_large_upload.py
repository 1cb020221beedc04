"""A 20 MB document through the real server into the S3-compatible store (issue 14): the
upload streams from the browser to a temporary file and from there to the bucket in parts,
and the download streams back, so the server's peak memory (VmHWM) grows by less than 5 MB
for either. The object is the file, byte for byte; removing it in the app removes the object.
Run by Tests/ops/run on scripts/test's PostgreSQL pass, with scripts/s3.sh's server."""

import glob
import hashlib
import os
import re
import tempfile

from opslib import (
    Browser, Server, app_environment, apply_until_documents, check, fail, free_port, make_databases, run, s3_client,
    s3_environment, s3_objects, say, sql,
)

BUCKET = "getyour-large-upload"
LIMIT_KB = 5 * 1024

work = tempfile.mkdtemp(prefix="getyour-s3-large-")
data_dir = os.path.join(work, "data")
port = free_port()
base = f"http://127.0.0.1:{port}"
environment = app_environment(data_dir, base, make_databases("getyour_s3"), s3_environment(BUCKET))
run(environment, "migrate")
run(environment, "seed")
server = Server(environment, port, os.path.join(work, "server.log"))


def peak_kb():
    status = open(f"/proc/{server.process.pid}/status").read()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1))


def confirmation(address):
    run(environment, "jobs", "--once")
    for path in sorted(glob.glob(os.path.join(data_dir, "mail", "**", "*.txt"), recursive=True)):
        text = open(path, encoding="utf-8").read()
        if f"To: {address}" in text and re.search(r"^Kind: .*\bsignup_confirm\b", text, re.M):
            return text
    fail(f"no confirmation email to {address}")


try:
    server.start()
    resident = Browser(base)
    items = apply_until_documents(resident, base, "lena.large@s3.example.org", confirmation, first="Lena", last="Large")
    item = next(i for i in items if i.startswith("program"))

    say("a 9 MB upload and download first (the server's threads, pools and allocator are warm)")
    warm = b"%PDF-1.4\n" + os.urandom(9_000_000 - 16) + b"\n%%EOF\n"
    start = peak_kb()
    resident.get("/apply/documents")
    resident.expect(resident.upload(f"/apply/documents/{item}", "letter.pdf", "application/pdf", warm), 303, "a 9 MB upload")
    first = sql(environment, "SELECT id FROM documents ORDER BY uploaded_at LIMIT 1")
    resident.expect(resident.get(f"/documents/{first}"), 200, "the 9 MB document")
    say(f"peak memory {start} kB before the first large upload and download, {peak_kb()} kB after (one-time costs)")

    say("a 20 MB upload, streamed to the bucket in parts")
    large = b"%PDF-1.4\n" + os.urandom(20_000_000 - 16) + b"\n%%EOF\n"
    before = peak_kb()
    resident.get("/apply/documents")
    resident.expect(resident.upload(f"/apply/documents/{item}", "scan.pdf", "application/pdf", large), 303, "the 20 MB upload")
    after_upload = peak_kb()
    row = sql(environment, f"SELECT id || ' ' || storage_key || ' ' || sha256 FROM documents WHERE byte_size = {len(large)}")
    check(row, "the 20 MB document has its row")
    document, key, digest = row.split()
    check(s3_objects(BUCKET).get("documents/" + key) == len(large), "the object in the bucket has the file's size")
    head = s3_client().head_object(Bucket=BUCKET, Key="documents/" + key)
    check(head.get("ServerSideEncryption") == "AES256", "the object is stored with server-side encryption")
    check(head["ETag"].strip('"').endswith("-3"), f"it went up as a multipart upload of 8 MiB parts ({head['ETag']})")
    check(digest == hashlib.sha256(large).hexdigest(), "the row's SHA-256 is of the stored bytes")
    growth = after_upload - before
    say(f"peak memory {before} kB before, {after_upload} kB after the upload (+{growth} kB)")
    check(growth < LIMIT_KB, f"the server's peak memory grew by {growth} kB for a 20 MB upload (limit {LIMIT_KB} kB)")

    say("the 20 MB document streamed back")
    answer = resident.get(f"/documents/{document}")
    resident.expect(answer, 200, "the large document")
    check(hashlib.sha256(answer.body).hexdigest() == digest, "the download is the upload, byte for byte")
    after_download = peak_kb()
    check(after_download - before < LIMIT_KB,
          f"the server's peak memory grew by {after_download - before} kB after the download too (limit {LIMIT_KB} kB)")

    say("removing the document removes the object")
    resident.get("/apply/documents")
    resident.expect(resident.post(f"/apply/documents/file/{document}/delete"), 303, "remove the document")
    check("documents/" + key not in s3_objects(BUCKET), "the object is gone from the bucket")
    tmp = os.path.join(data_dir, "tmp")
    check(not os.path.isdir(tmp) or not os.listdir(tmp), "no temporary file is left on the server")
    say("20 MB through the S3 store passed")
finally:
    server.stop()
