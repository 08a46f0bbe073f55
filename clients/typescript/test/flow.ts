/*
 * The main flows through the typed client against a running attaind
 * (tests/integration/test_ts_client.py starts it and runs this compiled):
 * a team, a person, deals by bulk, a quota, a lead scored, the deals read
 * back two at a time, and as CSV. ATTAIN_URL and ATTAIN_TOKEN (an admin of a
 * fresh org) come from the environment; the outcome is one JSON line on
 * stdout, and any failed check exits 1.
 */
import { asCsv, createAttainClient } from "../src/index.js";
import type { RequestBodies, Schemas } from "../src/index.js";

/* Compile-time checks: a list's data is exactly its JSON type (no `| string`), and a
   person is created without the fields the server defaults (ramp_months, active). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}
const minimalPerson: RequestBodies["PersonCreate"] = { name: "n", email: "n@example.com" };
const minimalStages: RequestBodies["StageListPut"] = {
  items: [{ key: "won", name: "Won", probability: 100, forecast_category: "closed" }],
};
const minimalConversion: RequestBodies["LeadConversion"] = {};
void [minimalPerson, minimalStages, minimalConversion];

function check(cond: unknown, what: string): asserts cond {
  if (!cond) {
    console.error(`flow: ${what}`);
    process.exit(1);
  }
}

function need<T>(value: T | undefined, what: string, error?: unknown): T {
  check(value !== undefined, `${what}: no data (${JSON.stringify(error)})`);
  return value;
}

async function main(): Promise<void> {
  const baseUrl = process.env["ATTAIN_URL"];
  const token = process.env["ATTAIN_TOKEN"];
  check(baseUrl && token, "ATTAIN_URL and ATTAIN_TOKEN must be set");
  const api = createAttainClient({ baseUrl, token });
  const tag = Math.random().toString(36).slice(2, 10);

  const t = await api.POST("/v1/teams", { body: { name: `ts team ${tag}` } });
  const team = need(t.data, "create team", t.error);
  check(t.response.status === 201, `team status ${t.response.status}`);

  const p = await api.POST("/v1/people", {
    body: { name: `ts rep ${tag}`, email: `rep-${tag}@example.com`, team_id: team.id, segment: "b2b" },
  });
  const rep = need(p.data, "create person", p.error);
  check(rep.ramp_months === 0 && rep.active === true, "server defaults of a person");

  const bad = await api.POST("/v1/people", { body: { name: `no email ${tag}`, email: "not-an-email" } });
  check(bad.data === undefined && bad.response.status === 400, `bad person: ${bad.response.status}`);

  const deals: Schemas["DealBulkItem"][] = [1, 2, 3].map((i) => ({
    external_id: `ts-${tag}-${i}`,
    name: `ts deal ${i}`,
    owner_id: rep.id,
    amount: 1000 * i + 0.5,
    stage: i === 3 ? "closed_won" : "proposal",
    close_date: "2026-11-1" + String(i),
  }));
  const b = await api.POST("/v1/deals/bulk", { body: deals });
  const bulk = need(b.data, "bulk deals", b.error);
  check(bulk.created === 3 && bulk.rejected === 0, `bulk: ${JSON.stringify(bulk)}`);
  const again = need((await api.POST("/v1/deals/bulk", { body: deals })).data, "bulk again");
  check(again.unchanged === 3 && again.created === 0, `bulk re-run: ${JSON.stringify(again)}`);

  const q = await api.POST("/v1/quotas", {
    body: { assignee: { type: "person", id: rep.id }, period: "FY2026", metric: "revenue", amount: 100000 },
  });
  const quota = need(q.data, "create quota", q.error);

  const s = await api.POST("/v1/leads/score", {
    body: { segment: "b2b", budget: 50000, authority: "economic_buyer", need: "high", engagement: 80 },
  });
  const score = need(s.data, "score lead", s.error);
  check(score.score >= 0 && score.score <= 100, `score ${score.score}`);

  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const r = await api.GET("/v1/deals", {
      params: { query: { owner_id: rep.id, limit: 2, ...(cursor ? { cursor } : {}) } },
    });
    const page = need(r.data, "list deals", r.error);
    assertType<Equal<typeof page, Schemas["DealList"]>>();
    for (const d of page.items) ids.push(d.id);
    cursor = page.next_cursor ?? undefined;
    pages++;
  } while (cursor && pages < 10);
  check(pages === 2 && ids.length === 3, `paging: ${pages} pages, ${ids.length} deals`);

  const c = await api.GET("/v1/deals", { params: { query: { owner_id: rep.id } }, ...asCsv });
  const csv = need(c.data, "deals as CSV", c.error);
  assertType<Equal<typeof csv, string>>();
  check(csv.startsWith("id,") && csv.trim().split("\r\n").length === 4, `csv: ${csv.slice(0, 80)}`);

  console.log(
    JSON.stringify({
      team: team.id,
      person: rep.id,
      bulk,
      quota: { id: quota.id, amount: quota.amount },
      score: { score: score.score, grade: score.grade },
      deals: ids,
      pages,
      csv_lines: csv.trim().split("\r\n").length,
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
