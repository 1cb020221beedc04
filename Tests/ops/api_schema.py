"""The partner API against its own OpenAPI document (issue 15): schemathesis (PyPI) generates
requests for every operation in /api/v1/openapi.json and sends them, with an admin token, to
a real server on the throw-away PostgreSQL with the demo data; no answer may be a 5xx, and
every answer must match the document's schema and content type. Run by Tests/ops/run."""

import os
import subprocess
import sys
import tempfile

from opslib import Server, app_environment, fail, free_port, make_databases, run, say

work = tempfile.mkdtemp(prefix="getyour-api-schema-")
port = free_port()
base = f"http://127.0.0.1:{port}"
environment = app_environment(
    os.path.join(work, "data"), base, make_databases("getyour_api"),
    {
        "GETYOUR_API_JWT_HS256_SECRET": "ops-api-secret-0123456789-abcdefghijklmn",
        # schemathesis sends many requests in a minute: the limit is tested in the Swift suite.
        "GETYOUR_API_REQUESTS_PER_MINUTE": "1000000",
    })
run(environment, "migrate")
run(environment, "seed", "--demo", "--email-domain", "api.example.org")
token = run(environment, "api-token", "--sub", "schemathesis", "--roles", "admin", "--ttl", "60m").strip().splitlines()[-1]
server = Server(environment, port, os.path.join(work, "server.log"))
try:
    server.start()
    say("schemathesis against /api/v1/openapi.json")
    command = [
        os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run", f"{base}/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance",
        "--max-examples", "40", "--workers", "1", "--seed", "1",
    ]
    answer = subprocess.run(command, capture_output=True, text=True)
    print(answer.stdout[-12000:])
    if answer.returncode != 0:
        print(answer.stderr[-3000:])
        print(open(os.path.join(work, "server.log")).read()[-3000:])
        fail("schemathesis found answers that break the OpenAPI document (above)")
    say("the API matches its OpenAPI document")
finally:
    server.stop()
