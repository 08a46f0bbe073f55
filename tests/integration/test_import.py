"""
attainctl import KIND FILE: CRM exports (CSV or NDJSON) in through the same
validation and upsert as the API, run as the built binary against the
suite's PostgreSQL, and read back over the API: each kind, references by
e-mail and external_id, rejected rows named by line and field, the dry run,
a re-run that changes nothing, and a Salesforce report through its map file.
"""
import os
import subprocess
from pathlib import Path

import pytest

from conftest import ATTAINCTL, psql
from contract import ok

ROOT = Path(__file__).resolve().parents[2]
SALESFORCE_MAP = ROOT / "cmd/attainctl/maps/salesforce-opportunities.map"
HUBSPOT_MAP = ROOT / "cmd/attainctl/maps/hubspot-deals.map"


def attainctl(database, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTAIN_")}
    env["DATABASE_URL"] = database
    return subprocess.run([ATTAINCTL, *args], env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def imp(database, server, org, tmp_path_factory):
    """imp(kind, text, *options, name=...) -> the finished attainctl import of text written to a file."""
    d = tmp_path_factory.mktemp("import")

    def run(kind, text, *options, name=None):
        path = d / (name or f"{kind}.csv")
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        return attainctl(database, "import", kind, str(path), "--org", org, *options)
    run.dir = d
    return run


def summary(r):
    """The counts of the summary line: {'rows': n, 'created': n, ...}."""
    line = r.stdout.strip().splitlines()[-1]
    counts = line.split(": ", 1)[1].split(" (")[0]
    return {k: int(v) for k, v in (part.split(": ") for part in counts.split(", "))}


def items(api, path):
    return ok(api.get(path))["items"]


@pytest.fixture(scope="module")
def org_tree(imp, admin):
    """Teams T-ROOT > T-WEST and people ann (T-ROOT), bob (T-WEST), imported once."""
    teams = ("\ufeffexternal_id,name,parent\r\n"
             "T-ROOT,Sales,\r\n"
             "T-WEST,\"West, Coast\",T-ROOT\r\n")
    r = imp("teams", teams)
    assert r.returncode == 0, r.stderr
    assert summary(r) == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    people = ("external_id,name,email,team,segment,ramp_months,active\n"
              "P-ANN,Ann Lee,Ann@Example.com,T-ROOT,b2b,0,yes\n"
              "P-BOB,\"Bob \"\"B\"\" Ray\",bob@example.com,T-WEST,B2B,3,true\n")
    r = imp("people", people)
    assert r.returncode == 0, r.stderr
    return {t["external_id"]: t for t in items(admin, "/v1/teams?limit=100")}


def person(admin, external_id):
    return items(admin, f"/v1/people?external_id={external_id}")[0]


def deal(admin, external_id):
    found = items(admin, f"/v1/deals?external_id={external_id}")
    return found[0] if found else None


def test_teams_with_parents_by_external_id_and_a_rerun_unchanged(imp, admin, org_tree):
    assert org_tree["T-WEST"]["parent_id"] == org_tree["T-ROOT"]["id"]
    assert org_tree["T-WEST"]["name"] == "West, Coast"
    r = imp("teams", "external_id,name,parent\nT-ROOT,Sales,\nT-WEST,\"West, Coast\",T-ROOT\n")
    assert r.returncode == 0, r.stderr
    assert summary(r)["unchanged"] == 2 and summary(r)["created"] == 0 and summary(r)["updated"] == 0
    r = imp("teams", "external_id,name,parent\nT-WEST,West,T-ROOT\nT-BAD,Orphan,T-NONE\n")
    assert r.returncode == 1
    assert summary(r)["updated"] == 1
    assert "teams.csv:3: parent: no team of the org has this external_id" in r.stderr
    assert {t["external_id"]: t for t in items(admin, "/v1/teams?limit=100")}["T-WEST"]["name"] == "West"


def test_people_with_team_by_external_id_and_bad_rows(imp, admin, org_tree):
    bob = person(admin, "P-BOB")
    assert bob["name"] == 'Bob "B" Ray' and bob["team_id"] == org_tree["T-WEST"]["id"]
    assert bob["segment"] == "b2b" and bob["ramp_months"] == 3
    r = imp("people", "external_id,name,email,team\n"
                      "P-ANN,Ann Lee,Ann@Example.com,T-ROOT\n"
                      "P-X,Bad Mail,not-an-email,T-ROOT\n"
                      "P-Y,Ragged\n")
    assert r.returncode == 1
    assert summary(r) == {"rows": 3, "created": 0, "updated": 0, "unchanged": 1, "rejected": 2}
    assert "people.csv:3: email: must be an e-mail address" in r.stderr
    assert "people.csv:4: row: has 2 fields, the header has 4" in r.stderr
    assert not items(admin, "/v1/people?external_id=P-X")


DEALS = ("external_id,name,owner,amount,stage,close_date\n"
         "D-1,Big deal,ann@example.com,\"1,250.50\",Prospecting,2026-07-01\n"
         "D-2,\"Two\nlines\",P-BOB,300,Closed Won,7/15/2026\n"
         "D-3,No owner,nobody@example.com,10,prospecting,2026-07-01\n"
         "D-4,Bad amount,P-ANN,1.234,prospecting,2026-07-01\n"
         "D-5,Bad stage,P-ANN,5,nowhere,2026-07-01\n")


def test_deals_owner_by_email_or_external_id_rejected_lines_and_rerun(imp, admin, org_tree):
    r = imp("deals", DEALS)
    assert r.returncode == 1, r.stderr
    assert summary(r) == {"rows": 5, "created": 2, "updated": 0, "unchanged": 0, "rejected": 3}
    # the line where the record starts: D-2 spans lines 3 and 4
    assert "deals.csv:5: owner: no person of the org has this e-mail or external_id" in r.stderr
    assert "deals.csv:6: amount:" in r.stderr
    assert "deals.csv:7: stage:" in r.stderr
    d1, d2 = deal(admin, "D-1"), deal(admin, "D-2")
    assert d1["owner_id"] == person(admin, "P-ANN")["id"] and d1["amount"] == 1250.5
    assert d2["owner_id"] == person(admin, "P-BOB")["id"] and d2["name"] == "Two\nlines"
    assert d2["status"] == "won" and d2["close_date"] == "2026-07-15"
    assert deal(admin, "D-3") is None
    r = imp("deals", DEALS)
    assert summary(r)["unchanged"] == 2 and summary(r)["created"] == 0 and summary(r)["updated"] == 0
    assert deal(admin, "D-1")["version"] == d1["version"]


def test_dry_run_writes_nothing(imp, admin, org_tree, database, org):
    before = psql(database, f"SELECT count(*) FROM deals WHERE org_id = '{org}'")
    r = imp("deals", "external_id,name,owner,amount,stage,close_date\n"
                     "D-DRY,Dry,P-ANN,5,prospecting,2026-07-01\n"
                     "D-1,Renamed,P-ANN,5,prospecting,2026-07-01\n", "--dry-run", "--batch", "1", name="dry.csv")
    assert r.returncode == 0, r.stderr
    assert "dry run: nothing written" in r.stdout
    assert summary(r)["created"] == 1 and summary(r)["updated"] == 1
    assert psql(database, f"SELECT count(*) FROM deals WHERE org_id = '{org}'") == before
    assert deal(admin, "D-DRY") is None and deal(admin, "D-1")["name"] == "Big deal"
    r = imp("teams", "external_id,name,parent\nT-DRY,Dry,\nT-DRY2,Dry child,T-DRY\n", "--dry-run", name="dry-teams.csv")
    assert r.returncode == 0 and summary(r)["created"] == 2, r.stderr
    assert "T-DRY" not in {t["external_id"] for t in items(admin, "/v1/teams?limit=100")}


def test_quotas_by_person_email_or_team_and_rerun(imp, admin, org_tree):
    text = ("person,team,period,metric,amount\n"
            "ann@example.com,,FY2026,,100000\n"
            ",T-ROOT,FY2026-Q3,revenue,\"250,000\"\n"
            "P-BOB,,2026-13,revenue,5\n")
    r = imp("quotas", text)
    assert r.returncode == 1
    assert summary(r) == {"rows": 3, "created": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert "quotas.csv:4: period:" in r.stderr
    ann = person(admin, "P-ANN")
    q = items(admin, f"/v1/quotas?assignee=person:{ann['id']}")
    assert [(x["period"], x["amount"]) for x in q] == [("FY2026", 100000)]
    r = imp("quotas", text)
    assert summary(r)["unchanged"] == 2 and summary(r)["created"] == 0
    r = imp("quotas", "person,period,amount\nP-ANN,FY2026,120000\n")
    assert r.returncode == 0 and summary(r)["updated"] == 1
    assert items(admin, f"/v1/quotas?assignee=person:{ann['id']}")[0]["amount"] == 120000


def test_leads_from_ndjson(imp, admin, org_tree):
    text = ('{"external_id":"L-1","company":"Acme","owner":"ann@example.com","segment":"b2b","budget":5000}\n'
            "\n"
            '{"external_id":"L-2","company":"Beta","owner":"P-BOB","engagement":500}\n'
            "not json\n"
            '{"external_id":"L-3","company":"Gamma","status":"qualified","attributes":{"k":"v"}}\n'
            '{"external_id":"L-4","company":"Delta","email":"not an address"}\n')
    r = imp("leads", text, name="leads.ndjson")
    assert r.returncode == 1, r.stderr
    assert summary(r) == {"rows": 5, "created": 2, "updated": 0, "unchanged": 0, "rejected": 3}
    assert "leads.ndjson:3: engagement: must be an integer from 0 to 100" in r.stderr
    assert "leads.ndjson:4: item: is not JSON" in r.stderr
    # checked as POST /v1/leads/bulk checks an item (api/leads.c lead_read)
    assert "leads.ndjson:6: email: must be an e-mail address" in r.stderr
    leads = {x["external_id"]: x for x in items(admin, "/v1/leads?limit=100")}
    assert leads["L-1"]["owner_id"] == person(admin, "P-ANN")["id"]
    assert set(leads) == {"L-1", "L-3"}
    r = imp("leads", text, name="leads.ndjson")
    assert summary(r)["unchanged"] == 2


def test_a_salesforce_report_through_its_map(imp, admin, org_tree):
    text = ('"Opportunity Owner","Owner Email","Account Name","Opportunity Name","Stage","Fiscal Period",'
            '"Amount","Probability (%)","Close Date","Created Date","Type","Opportunity ID"\r\n'
            '"Ann Lee","ann@example.com","Acme, Inc.","Acme renewal","Closed Won","Q3-2026",'
            '"12,500.00","100%","8/31/2026","6/1/2026","Existing Customer - Upgrade","0065g00000AbCdE"\r\n'
            '"Bob Ray","bob@example.com","Beta","Beta pilot","Needs Analysis","Q4-2026",'
            '"4,000.00","40%","11/15/2026","9/2/2026","New Customer","0065g00000FgHiJ"\r\n')
    r = imp("deals", text, "--map-file", str(SALESFORCE_MAP), name="salesforce.csv")
    assert r.returncode == 0, r.stderr
    assert summary(r)["created"] == 2
    d = deal(admin, "0065g00000AbCdE")
    assert (d["name"], d["account"], d["stage"], d["status"]) == ("Acme renewal", "Acme, Inc.", "closed_won", "won")
    assert (d["amount"], d["close_date"], d["created_on"]) == (12500, "2026-08-31", "2026-06-01")
    assert d["owner_id"] == person(admin, "P-ANN")["id"]
    b = deal(admin, "0065g00000FgHiJ")
    assert b["stage"] == "needs_analysis" and b["probability"] == 40


def test_a_hubspot_export_through_its_map_and_map_options(imp, admin, org_tree):
    text = ("Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Create Date,Pipeline,Deal Type,"
            "Deal owner email\n"
            "9001,HubSpot deal,Closed Lost,2026-05-01 10:30,Ann Lee,700,2026-03-01 09:00,Sales Pipeline,"
            "New Business,ann@example.com\n")
    r = imp("deals", text, "--map-file", str(HUBSPOT_MAP), name="hubspot.csv")
    assert r.returncode == 0, r.stderr
    d = deal(admin, "9001")
    assert (d["status"], d["close_date"], d["amount"]) == ("lost", "2026-05-01", 700)
    # --map renames on the command line; an unknown column is ignored with a warning
    r = imp("deals", "Id,Title,Who,Extra\nM-1,Mapped,P-ANN,x\n", "--map", "Id=external_id,Title=name,Who=owner",
            name="mapped.csv")
    assert r.returncode == 1  # a new deal needs its amount, stage and close date
    assert 'ignoring column "Extra"' in r.stderr
    assert "mapped.csv:2: " in r.stderr


def test_usage_and_file_errors_exit_2(imp, database, other_admin):
    assert attainctl(database, "import", "widgets", "x.csv").returncode == 2
    assert attainctl(database, "import", "deals").returncode == 2
    r = attainctl(database, "import", "deals", str(imp.dir / "missing.csv"))
    assert r.returncode == 2 and "No such file" in r.stderr
    (imp.dir / "empty.csv").write_text("")
    r = attainctl(database, "import", "deals", str(imp.dir / "empty.csv"), "--org", "x")
    assert r.returncode == 2 and "empty" in r.stderr
    r = attainctl(database, "import", "deals", str(imp.dir / "empty.csv"), "--map", "nonsense")
    assert r.returncode == 2
    # a dry run into an org that does not exist writes nothing, not even the org
    (imp.dir / "dry-org.csv").write_text("external_id,name\nT-1,One\n")
    r = attainctl(database, "import", "teams", str(imp.dir / "dry-org.csv"), "--org", "it-import-nowhere",
                  "--dry-run")
    assert r.returncode == 2 and "no org it-import-nowhere" in r.stderr
    assert psql(database, "SELECT count(*) FROM orgs WHERE org_id = 'it-import-nowhere'") == "0"
    # with more than one org in the database, --org is required
    ok(other_admin.get("/v1/org"))
    (imp.dir / "one.csv").write_text("external_id\nX\n")
    r = attainctl(database, "import", "teams", str(imp.dir / "one.csv"))
    assert r.returncode == 2 and "--org is required" in r.stderr


def test_help_tells_of_import():
    r = subprocess.run([ATTAINCTL, "import", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--dry-run" in r.stdout and "--map-file" in r.stdout
    r = subprocess.run([ATTAINCTL, "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "import KIND FILE" in r.stdout


def test_a_progress_bar_on_a_terminal_only(imp, database, org, org_tree):
    import pty
    path = imp.dir / "progress.csv"
    path.write_text("external_id,name\nT-ROOT,Sales\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTAIN_")}
    env["DATABASE_URL"] = database
    master, slave = pty.openpty()
    try:
        r = subprocess.run([ATTAINCTL, "import", "teams", str(path), "--org", org], env=env, stdout=subprocess.PIPE,
                           stderr=slave, text=True, timeout=120)
        os.close(slave)
        slave = None
        shown = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert r.returncode == 0
    assert b"100% 1 rows" in shown and b"rows/s" in shown
    plain = imp("teams", "external_id,name\nT-ROOT,Sales\n", name="progress.csv")
    assert "rows/s" not in plain.stderr and "[" not in plain.stderr
