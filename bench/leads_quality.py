#!/usr/bin/env python3
"""
bench/leads_quality.py — the lead-scoring quality bar through the API (helper
of bench/leads_quality.sh, which starts PostgreSQL and attaind).

  leads_quality.py BASE_URL TOKEN DATA_DIR

1. Reads DATA_DIR/x_education_leads.csv and the fixed split
   DATA_DIR/split_x_education.csv (README.md there).
2. Loads the train rows through POST /v1/leads/bulk (NDJSON) as b2c leads:
   `Prospect ID` is the external_id, `Lead Source` the source, Converted=1 the
   status converted and 0 disqualified; every other field known when a lead
   arrives goes into attributes (numbers as numbers, Yes/No as booleans,
   blank and "Select" left out). `Tags` and `Lead Quality` (entered by sales
   during follow-up: they leak the outcome) and `Lead Number` (an id) are left out.
3. Trains through POST /v1/lead-scoring/models/b2c/train and prints the
   service's own evaluation (its holdout of the train rows).
4. Scores every test row through POST /v1/leads/score (the same mapping,
   without status) and prints the holdout AUC of the probability and of the
   score, the Brier score, the calibration by decile and the time taken.
Exit status 1 when the target (AUC >= 0.90 and every decile within 5 points)
is missed, 2 on an error.
"""

import csv
import json
import math
import os
import sys
import time

import requests

LEAVE_OUT = {"Prospect ID", "Lead Number", "Converted", "Tags", "Lead Quality", "Lead Source"}
NUMERIC = {"TotalVisits", "Total Time Spent on Website", "Page Views Per Visit",
           "Asymmetrique Activity Score", "Asymmetrique Profile Score"}
TARGET_AUC = 0.90
TARGET_GAP = 5.0


def die(message):
    print(f"leads_quality.py: {message}", file=sys.stderr)
    sys.exit(2)


def lead(row, with_status):
    attributes = {}
    for k, v in row.items():
        if not k or k in LEAVE_OUT:
            continue
        v = (v or "").strip()
        if v in ("", "Select"):
            continue
        if k in NUMERIC:
            f = float(v)
            attributes[k] = int(f) if f.is_integer() else f
        elif v in ("Yes", "No"):
            attributes[k] = v == "Yes"
        else:
            attributes[k] = v
    out = {"external_id": row["Prospect ID"], "segment": "b2c", "attributes": attributes}
    source = (row["Lead Source"] or "").strip()
    if source and source != "Select":
        out["source"] = source
    if with_status:
        out["status"] = "converted" if row["Converted"] == "1" else "disqualified"
    return out


def auc(p, y):
    pairs = sorted(zip(p, y))
    n1 = sum(y)
    n0 = len(y) - n1
    rank_sum, i = 0.0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        avg = (i + 1 + j) / 2
        rank_sum += avg * sum(1 for k in range(i, j) if pairs[k][1])
        i = j
    return (rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0)


def deciles(p, y):
    pairs = sorted(zip(p, y))
    n, at, out = len(pairs), 0, []
    for b in range(10):
        size = n // 10 + (1 if b < n % 10 else 0)
        chunk = pairs[at:at + size]
        at += size
        out.append((b + 1, size, 100 * sum(q for q, _ in chunk) / size, 100 * sum(t for _, t in chunk) / size))
    return out


def main():
    base, token, data = sys.argv[1], sys.argv[2], sys.argv[3]
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + token
    with open(os.path.join(data, "x_education_leads.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(data, "split_x_education.csv"), newline="") as f:
        split = {int(r["row"]): r["set"] for r in csv.DictReader(f)}
    train = [r for i, r in enumerate(rows, 1) if split[i] == "train"]
    test = [r for i, r in enumerate(rows, 1) if split[i] == "test"]
    print(f"data: {len(rows)} leads, {len(train)} train, {len(test)} test ({data})")

    t0 = time.monotonic()
    body = "".join(json.dumps(lead(r, True)) + "\n" for r in train).encode()
    r = s.post(base + "/v1/leads/bulk?atomic=true", data=body,
               headers={"Content-Type": "application/x-ndjson"}, timeout=600)
    if r.status_code != 200:
        die(f"bulk load failed: {r.status_code} {r.text[:2000]}")
    res = r.json()
    t_load = time.monotonic() - t0
    print(f"bulk load: created {res['created']}, updated {res['updated']}, unchanged {res['unchanged']}, "
          f"rejected {res['rejected']} in {t_load:.2f} s")

    t0 = time.monotonic()
    r = s.post(base + "/v1/lead-scoring/models/b2c/train", timeout=600)
    t_train = time.monotonic() - t0
    if r.status_code != 200:
        die(f"training failed: {r.status_code} {r.text[:2000]}")
    ev = r.json()
    print(f"train: {t_train:.2f} s; model version {ev['version']}, {ev['columns']} columns, alpha {ev['alpha']}, "
          f"n_train {ev['n_train']}, n_holdout {ev['n_holdout']}")
    print(f"  the service's own holdout (20 % of the train rows by lead id): AUC {ev['auc']:.4f}, "
          f"Brier {ev['brier']:.4f}")

    t0 = time.monotonic()
    probs, scores, ys = [], [], []
    for row in test:
        r = s.post(base + "/v1/leads/score", json=lead(row, False), timeout=60)
        if r.status_code != 200:
            die(f"score failed: {r.status_code} {r.text[:2000]}")
        out = r.json()
        probs.append(out["probability"] / 100)
        scores.append(out["score"])
        ys.append(1 if row["Converted"] == "1" else 0)
    t_score = time.monotonic() - t0
    a_p, a_s = auc(probs, ys), auc(scores, ys)
    brier = sum((p - y) ** 2 for p, y in zip(probs, ys)) / len(ys)
    print(f"score: {len(test)} test leads through POST /v1/leads/score in {t_score:.2f} s "
          f"({1000 * t_score / len(test):.2f} ms each)")
    print(f"holdout (fixed test split, {len(test)} leads): AUC of probability {a_p:.4f}, AUC of score {a_s:.4f}, "
          f"Brier {brier:.4f} (reference logistic regression: AUC 0.885)")
    print("calibration by decile of predicted probability:")
    print("  decile  count  predicted %  observed %   gap")
    worst = 0.0
    for d, n, pred, obs in deciles(probs, ys):
        worst = max(worst, abs(pred - obs))
        print(f"  {d:6d}  {n:5d}  {pred:11.2f}  {obs:10.2f}  {pred - obs:+5.2f}")
    print(f"worst decile gap: {worst:.2f} points")
    ok = a_p >= TARGET_AUC and worst <= TARGET_GAP
    print(f"target (AUC >= {TARGET_AUC}, every decile within {TARGET_GAP} points): {'met' if ok else 'MISSED'}")
    print(f"time: load {t_load:.2f} s, train {t_train:.2f} s, score {t_score:.2f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except requests.RequestException as e:
        print(f"leads_quality.py: {e}", file=sys.stderr)
        sys.exit(2)
