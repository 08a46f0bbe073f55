"""The TypeScript client (clients/typescript, issue 14 item 2): its types, generated from
openapi.yaml by the default openapi-typescript, compile under --strict, and a small program
drives the main flows through it against the session's attaind."""

import json
import os
import subprocess
import uuid
from pathlib import Path

from contract import ok

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "typescript"


def run(cmd, **kw):
    r = subprocess.run(cmd, cwd=CLIENT, capture_output=True, text=True, timeout=600, **kw)
    assert r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def test_the_client_compiles_strict_and_drives_the_main_flows(server, client, tokens):
    assert (CLIENT / "node_modules" / ".bin" / "tsc").exists(), "scripts/deps runs npm ci in clients/typescript"
    run(["npm", "run", "--silent", "generate"])
    # tsconfig.json is --strict (plus noUncheckedIndexedAccess); the program checks its types too
    run([str(CLIENT / "node_modules" / ".bin" / "tsc"), "-p", "tsconfig.test.json"])
    org = "it-ts-" + uuid.uuid4().hex[:12]
    token = tokens.token(org, ["admin"], sub="admin-" + org)
    env = {**os.environ, "ATTAIN_URL": server.base_url, "ATTAIN_TOKEN": token}
    out = run(["node", "build-test/test/flow.js"], env=env)
    result = json.loads(out.stdout.strip().splitlines()[-1])

    assert result["bulk"] == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0, "errors": []}
    assert result["pages"] == 2 and len(set(result["deals"])) == 3
    assert result["csv_lines"] == 4
    assert 0 <= result["score"]["score"] <= 100
    # what the program wrote is there, read back by the validating client
    admin = client(token)
    person = ok(admin.get(f"/v1/people/{result['person']}"))
    assert person["team_id"] == result["team"] and person["ramp_months"] == 0 and person["active"] is True
    deals = ok(admin.get(f"/v1/deals?owner_id={result['person']}"))["items"]
    assert sorted(d["id"] for d in deals) == sorted(result["deals"])
    assert sorted(d["amount"] for d in deals) == [1000.5, 2000.5, 3000.5]
    quota = ok(admin.get(f"/v1/quotas/{result['quota']['id']}"))
    assert quota["amount"] == 100000 and quota["assignee"] == {"type": "person", "id": result["person"]}
