"""
Every SQL statement the C code sends, read from the sources, and the scans of org-owned tables in
their plans (test_scale_ready.py: "every query filters by org_id").

The statements are taken from the preprocessed sources (the compiler's own `cc -E`, with each file's
flags from the build's compile_commands.json), so macros (DEAL_JSON, IN_SCOPE(...), DB_TS(...))
are expanded exactly as the binary has them:
  - declared: each `DB_STMT(name, sql)` (its expansion `static struct db_stmt name = {...}`);
  - raw: every other string literal (adjacent ones joined) that begins with an SQL keyword: what
    goes to db_exec_raw / db_run / row_exec_raw / db_copy_start, and the format strings of the
    statements made with snprintf (`SAVEPOINT sp%d`, the migrations' INSERT).
"""

import json
import os
import re
import shlex
import subprocess
from concurrent.futures import ThreadPoolExecutor

from contract import ROOT

SOURCE_DIRS = ("internal", "api", "cmd")
_RUN = re.compile(r'(?:"(?:[^"\\\n]|\\.)*"\s*)+')  # adjacent C string literals
_LIT = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
_DECL = re.compile(r'static struct db_stmt (\w+) = \{ \.name = "\w+", \.sql = \((.*?)\) \};', re.S)
_SQL = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH|COPY|SET|ANALYZE|TRUNCATE|CREATE|DROP|BEGIN|COMMIT"
                  r"|ROLLBACK|SAVEPOINT|RELEASE|LOCK|VACUUM|ALTER|GRANT|REINDEX|CLUSTER|REFRESH|RESET|SHOW|START|DISCARD)\b")
_HTTP_METHODS = {"DELETE"}  # route tables name the method: not SQL
_ESC = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}


def _literal(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\":
            out.append(_ESC.get(s[i + 1], s[i + 1]))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def _joined(text):
    return "".join(_literal(x) for x in _LIT.findall(text))


def _preprocess(entry):
    args, out, skip = shlex.split(entry["command"]), [], False
    for a in args:
        if skip:
            skip = False
        elif a in ("-o", "-MQ", "-MF"):
            skip = True
        elif a not in ("-c", "-MD", "-MMD"):
            out.append(a)
    r = subprocess.run(out + ["-E", "-P"], cwd=entry["directory"], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"cc -E {entry['file']}: {r.stderr[:2000]}")
    return r.stdout


def extract(build_dir):
    """({'path:name': sql} of every DB_STMT, [(path, sql)] of every raw statement), from the build's sources."""
    with open(os.path.join(build_dir, "compile_commands.json")) as f:
        entries = json.load(f)
    chosen = {}
    for e in entries:
        path = os.path.relpath(os.path.normpath(os.path.join(e["directory"], e["file"])), ROOT)
        if path.split(os.sep)[0] in SOURCE_DIRS and path.endswith(".c"):
            chosen.setdefault(path, e)
    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = dict(zip(chosen, pool.map(_preprocess, chosen.values())))
    declared, raw = {}, []
    for path, text in sorted(texts.items()):
        spans = []
        for m in _DECL.finditer(text):
            declared[f"{path}:{m.group(1)}"] = _joined(m.group(2))
            spans.append(m.span())
        for m in _RUN.finditer(text):
            if any(a <= m.start() < b for a, b in spans):
                continue
            sql = _joined(m.group(0))
            if _SQL.match(sql) and sql not in _HTTP_METHODS:
                raw.append((path, sql))
    return declared, raw


def param_count(sql):
    return max([int(n) for n in re.findall(r"\$(\d+)", sql)] or [0])


# -- plans ------------------------------------------------------------------------------------------

_ORG_EQ = re.compile(r"\borg_id\s*=|=\s*\(?(?:\w+\.)?org_id\b")  # org_id = $1, x.org_id = y.org_id, = ANY
_SCAN_CONDS = ("Filter", "Index Cond", "Recheck Cond", "TID Cond")
_JOIN_CONDS = ("Hash Cond", "Merge Cond", "Join Filter")


def _conds(node, keys):
    return " ".join(node.get(k, "") for k in keys)


def _bitmap_conds(node):
    s = ""
    for c in node.get("Plans", []):
        if c["Node Type"] in ("Bitmap Index Scan", "BitmapAnd", "BitmapOr"):
            s += " " + _conds(c, _SCAN_CONDS) + _bitmap_conds(c)
    return s


def unconstrained_scans(plan, org_tables):
    """
    The scans in plan (EXPLAIN (FORMAT JSON, VERBOSE)) of an org-owned table that nothing limits to
    one org: neither their own conditions (filter, index or recheck condition) nor a join above them
    on `<their alias>.org_id`. Each as 'Node Type on table alias: conditions'.
    """
    found = []

    def walk(node, above):
        rel = node.get("Relation Name")
        if rel in org_tables and node["Node Type"] != "ModifyTable" and node.get("Schema", "public") == "public":
            alias = node.get("Alias", rel)
            own = _conds(node, _SCAN_CONDS) + _bitmap_conds(node)
            joined = re.compile(r"\b" + re.escape(alias) + r"\.org_id\b")
            if not _ORG_EQ.search(own) and not any(joined.search(_conds(a, _JOIN_CONDS)) for a in above):
                found.append(f"{node['Node Type']} on {rel} {alias}: {' '.join(own.split()) or '(no condition)'}")
        for child in node.get("Plans", []):
            walk(child, above + [node])

    walk(plan, [])
    return found
