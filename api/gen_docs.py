#!/usr/bin/env python3
"""Render openapi.yaml as a self-contained HTML reference page (build step).

The descriptions are CommonMark with GitHub's tables: each is rendered here, at build time, by
cmark-gfm (its safe mode: raw HTML in a description is dropped), so the page needs no network and
no JavaScript. Navigation by tag, a `curl` example per operation. attaind serves it at /docs.

usage: gen_docs.py --cmark PATH/cmark-gfm openapi.yaml OUTPUT.html
"""
import argparse
import html
import json
import re
import subprocess

import yaml

METHODS = ["get", "post", "put", "patch", "delete"]
BASE_URL = "http://localhost:8080"

CMARK = "cmark-gfm"
_rendered = {}


def esc(s):
    return html.escape(str(s if s is not None else ""))


def md(text):
    """A description (CommonMark + tables) as HTML blocks."""
    text = str(text or "").strip()
    if not text:
        return ""
    if text not in _rendered:
        out = subprocess.run([CMARK, "--extension", "table", "--extension", "strikethrough",
                              "--extension", "autolink", "--to", "html"],
                             input=text, capture_output=True, text=True, check=True)
        _rendered[text] = out.stdout.strip()
    return _rendered[text]


SPLIT = "ATTAIN-DOCS-SPLIT-7F3A"


def prerender(spec):
    """Every description of the spec in one cmark-gfm run (one process, not hundreds)."""
    texts = []

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "description" and isinstance(v, str) and v.strip():
                    texts.append(v.strip())
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(spec)
    texts = list(dict.fromkeys(t for t in texts if SPLIT not in t))
    joined = f"\n\n{SPLIT}\n\n".join(texts)
    out = subprocess.run([CMARK, "--extension", "table", "--extension", "strikethrough",
                          "--extension", "autolink", "--to", "html"],
                         input=joined, capture_output=True, text=True, check=True).stdout
    parts = out.split(f"<p>{SPLIT}</p>")
    if len(parts) == len(texts):  # else a snippet swallowed a marker: md() renders one by one
        _rendered.update((t, h.strip()) for t, h in zip(texts, parts))


def md_inline(text):
    """A short description for a table cell: one paragraph loses its <p>."""
    h = md(text)
    m = re.fullmatch(r"<p>(.*)</p>", h, re.S)
    return m.group(1) if m and "<p>" not in m.group(1) else h


def ref_name(ref):
    return ref.split("/")[-1]


def resolve(obj, spec):
    while isinstance(obj, dict) and "$ref" in obj:
        node = spec
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node[part]
        obj = node
    return obj


def schema_summary(s, spec):
    """A compact type description: Team, [Person], string (date), one of a|b."""
    if not isinstance(s, dict):
        return ""
    if "$ref" in s:
        name = ref_name(s["$ref"])
        return f'<a href="#schema-{esc(name)}">{esc(name)}</a>'
    if "oneOf" in s or "anyOf" in s:
        return " | ".join(schema_summary(x, spec) for x in s.get("oneOf", s.get("anyOf")))
    if "allOf" in s:
        return " &amp; ".join(schema_summary(x, spec) for x in s["allOf"])
    t = s.get("type", "object" if "properties" in s else "any")
    if "enum" in s and "type" not in s:
        t = "enum"
    if isinstance(t, list):
        if "array" in t:
            return "[" + schema_summary(s.get("items", {}), spec) + "]" + (" | null" if "null" in t else "")
        t = " | ".join(t)
    if t == "array":
        return "[" + schema_summary(s.get("items", {}), spec) + "]"
    extra = []
    if "format" in s:
        extra.append(s["format"])
    if "enum" in s:
        extra.append(" | ".join(json.dumps(e) for e in s["enum"]))
    for k in ("minimum", "maximum", "minLength", "maxLength", "pattern", "default"):
        if k in s:
            extra.append(f"{k} {json.dumps(s[k]) if k == 'default' else s[k]}")
    return esc(t) + (f' <span class="muted">({esc(", ".join(map(str, extra)))})</span>' if extra else "")


def properties_table(s, spec):
    s = resolve(s, spec)
    props = s.get("properties") or {}
    if not props:
        return ""
    req = set(s.get("required") or [])
    rows = []
    for name, p in props.items():
        desc = p.get("description", "") if isinstance(p, dict) else ""
        rows.append(f"<tr><td><code>{esc(name)}</code>{' <b>*</b>' if name in req else ''}</td>"
                    f"<td>{schema_summary(p, spec)}</td><td>{md_inline(desc)}</td></tr>")
    return ("<table><tr><th>field</th><th>type</th><th>meaning</th></tr>" + "".join(rows) + "</table>")


# -- curl examples ---------------------------------------------------------------------


def sample(s, spec, depth=0):
    """An example value of a schema: its own example, else a plausible minimal one."""
    s = resolve(s, spec)
    if not isinstance(s, dict) or depth > 6:
        return None
    if s.get("examples"):
        return s["examples"][0]
    if "example" in s:
        return s["example"]
    if "default" in s:
        return s["default"]
    for k in ("oneOf", "anyOf"):
        if k in s:
            for alt in s[k]:
                if resolve(alt, spec).get("type") != "null":
                    return sample(alt, spec, depth + 1)
    if "allOf" in s:
        out = {}
        for part in s["allOf"]:
            v = sample(part, spec, depth + 1)
            if isinstance(v, dict):
                out.update(v)
        return out
    if "enum" in s:
        return next((e for e in s["enum"] if e is not None), None)
    t = s.get("type", "object" if "properties" in s else None)
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    if t == "object":
        return {k: sample(v, spec, depth + 1) for k, v in (s.get("properties") or {}).items()
                if k in (s.get("required") or [])}
    if t == "array":
        return [sample(s.get("items", {}), spec, depth + 1)]
    if t == "string":
        fmt = s.get("format")
        if fmt == "date":
            return "2026-11-30"
        if fmt == "date-time":
            return "2026-11-30T12:00:00Z"
        if fmt == "email":
            return "ada@example.com"
        if s.get("pattern", "").startswith("^[0-9]"):
            return "1"
        return "text"
    if t == "integer":
        return s.get("minimum", 1) if s.get("minimum", 1) > 0 else 1
    if t == "number":
        return 1000
    if t == "boolean":
        return True
    return None


def shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def curl_example(path, method, op, params, spec):
    url = path
    query = []
    for p in params:
        if p.get("in") == "path":
            v = sample(p.get("schema", {}), spec)
            if p.get("example") is not None:
                v = p["example"]
            url = url.replace("{" + p["name"] + "}", str(v if v not in (None, "text") else "1"))
        elif p.get("in") == "query" and p.get("required"):
            v = p.get("example", sample(p.get("schema", {}), spec))
            query.append(f"{p['name']}={v}")
    if query:
        url += "?" + "&".join(query)
    lines = ["curl" + ("" if method == "get" else f" -X {method.upper()}")]
    if op.get("security", spec.get("security")) != []:
        lines.append('-H "Authorization: Bearer $TOKEN"')
    body = resolve(op.get("requestBody"), spec)
    if body:
        content = body.get("content", {})
        media = content.get("application/json")
        if media:
            ex = media.get("example")
            if ex is None and media.get("examples"):
                ex = resolve(next(iter(media["examples"].values())), spec).get("value")
            if ex is None:
                ex = sample(media.get("schema", {}), spec)
            lines.append("-H 'Content-Type: application/json'")
            lines.append("-d " + shell_quote(json.dumps(ex, separators=(",", ":"), ensure_ascii=False)))
        elif content:
            ctype = next(iter(content))
            lines.append(f"-H 'Content-Type: {ctype}' --data-binary @body")
    lines.append(shell_quote(BASE_URL + url))
    return " \\\n  ".join(lines)


# -- the page ----------------------------------------------------------------------------

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#222;display:flex}
nav{position:sticky;top:0;height:100vh;overflow:auto;min-width:19em;max-width:21em;padding:1em;
  border-right:1px solid #ddd;background:#fafafa;font-size:13px;box-sizing:border-box}
nav a{display:block;color:#333;text-decoration:none;padding:1px 0}nav a:hover{text-decoration:underline}
nav .tag{font-weight:bold;margin-top:.8em}nav .opl{padding-left:.8em;color:#555;white-space:nowrap}
main{max-width:1000px;padding:1em 2em;min-width:0}
code,pre{font:13px ui-monospace,monospace;background:#f4f4f4;border-radius:3px}
code{padding:1px 4px}pre{padding:8px;overflow:auto}pre code{padding:0;background:none}
.op{border:1px solid #ddd;border-radius:6px;margin:1em 0;padding:.6em 1em}
.m{display:inline-block;min-width:4.5em;font-weight:bold;text-transform:uppercase}
.get{color:#1565c0}.post{color:#2e7d32}.put,.patch{color:#ef6c00}.delete{color:#c62828}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;
  vertical-align:top}td p{margin:0 0 .3em}
.muted{color:#777}.opid{font-size:12px;color:#777}
h4{margin:.8em 0 .2em}
"""


def main():
    global CMARK
    ap = argparse.ArgumentParser()
    ap.add_argument("--cmark", default="cmark-gfm")
    ap.add_argument("spec")
    ap.add_argument("output")
    args = ap.parse_args()
    CMARK = args.cmark
    spec = yaml.safe_load(open(args.spec, encoding="utf-8"))
    prerender(spec)
    info = spec.get("info", {})
    tag_desc = {t["name"]: t.get("description", "") for t in spec.get("tags", [])}
    tags = list(tag_desc)
    ops_by_tag = {}
    for path, item in spec.get("paths", {}).items():
        for m in METHODS:
            if m in item:
                op = item[m]
                for t in op.get("tags", ["other"]):
                    ops_by_tag.setdefault(t, []).append((path, m, op, item.get("parameters", [])))
                    if t not in tags:
                        tags.append(t)
                        tag_desc[t] = ""

    out = ["<!doctype html><html lang=en><head><meta charset=utf-8>",
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{esc(info.get('title'))} API reference</title>",
           f"<style>{STYLE}</style></head><body>"]
    nav = ['<nav><a href="#top"><b>' + esc(info.get("title")) + "</b></a>"]
    for t in tags:
        nav.append(f'<a class=tag href="#tag-{esc(t)}">{esc(t)}</a>')
        for path, m, op, _ in ops_by_tag.get(t, []):
            nav.append(f'<a class=opl href="#{esc(op.get("operationId", ""))}">'
                       f'<span class="{m}">{m.upper()}</span> {esc(path)}</a>')
    nav.append('<a class=tag href="#schemas">schemas</a></nav>')
    out += nav
    out.append('<main id="top">')
    out.append(f"<h1>{esc(info.get('title'))} <span class=muted>{esc(info.get('version'))}</span></h1>")
    if info.get("summary"):
        out.append(f"<p>{esc(info['summary'])}</p>")
    out.append(f"<div class=intro>{md(info.get('description'))}</div>")
    out.append("<p>Every example below assumes <code>TOKEN</code> holds a bearer token "
               "(<code>attainctl token</code>) and the service on <code>localhost:8080</code>.</p>")
    for t in tags:
        out.append(f'<h2 id="tag-{esc(t)}">{esc(t)}</h2>')
        out.append(md(tag_desc.get(t)))
        for path, m, op, common in ops_by_tag.get(t, []):
            opid = op.get("operationId", "")
            out.append(f'<div class="op operation" id="{esc(opid)}"><h3><span class="m {m}">{m}</span>'
                       f'<code>{esc(path)}</code> — {esc(op.get("summary"))}</h3>'
                       f'<div class=opid>operationId <code>{esc(opid)}</code></div>')
            out.append(md(op.get("description")))
            params = [resolve(p, spec) for p in common + op.get("parameters", [])]
            if params:
                out.append("<h4>Parameters</h4><table><tr><th>parameter</th><th>in</th><th>type</th>"
                           "<th>meaning</th></tr>")
                for p in params:
                    out.append(f"<tr><td><code>{esc(p.get('name'))}</code>{' <b>*</b>' if p.get('required') else ''}"
                               f"</td><td>{esc(p.get('in'))}</td><td>{schema_summary(p.get('schema', {}), spec)}</td>"
                               f"<td>{md_inline(p.get('description'))}</td></tr>")
                out.append("</table>")
            body = resolve(op.get("requestBody"), spec)
            if body:
                out.append("<h4>Body</h4>" + md(body.get("description")))
                for ctype, media in body.get("content", {}).items():
                    schema = media.get("schema", {})
                    out.append(f"<div><code>{esc(ctype)}</code>{' (required)' if body.get('required') else ''}: "
                               f"{schema_summary(schema, spec)}</div>")
                    if "$ref" not in schema:
                        out.append(md(schema.get("description")))
                        out.append(properties_table(schema, spec))
                        items = schema.get("properties", {}).get("items", {}).get("items", {})
                        if isinstance(items, dict) and "properties" in items:
                            out.append("<div>each of <code>items</code>:</div>" + properties_table(items, spec))
            out.append("<h4>Example</h4><pre class=curl><code>" + esc(curl_example(path, m, op, params, spec)) + "</code></pre>")
            out.append("<h4>Responses</h4><table><tr><th>status</th><th>meaning</th><th>body</th></tr>")
            for code, resp in op.get("responses", {}).items():
                resp = resolve(resp, spec)
                bodies = ", ".join(f"<code>{esc(c)}</code> {schema_summary(mm.get('schema', {}), spec)}"
                                   for c, mm in (resp.get("content") or {}).items())
                out.append(f"<tr><td>{esc(code)}</td><td>{md_inline(resp.get('description'))}</td>"
                           f"<td>{bodies}</td></tr>")
            out.append("</table></div>")
    out.append('<h2 id="schemas">Schemas</h2>')
    for name, s in spec.get("components", {}).get("schemas", {}).items():
        out.append(f'<div class=op id="schema-{esc(name)}"><h3>{esc(name)}</h3>')
        if "properties" not in s:
            out.append(f"<div>{schema_summary(s, spec)}</div>")
        out.append(md(s.get("description")))
        out.append(properties_table(s, spec))
        out.append("</div>")
    out.append("</main></body></html>\n")
    with open(args.output, "w", encoding="utf-8") as f:
        f.write("\n".join(x for x in out if x))


if __name__ == "__main__":
    main()
