#!/usr/bin/env python3
"""Render openapi.yaml as a self-contained HTML reference page (build step).

The page needs no network and no JavaScript: attaind serves it at /docs.
usage: gen_docs.py openapi.yaml OUTPUT.html
"""
import html
import json
import sys

import yaml

METHODS = ["get", "post", "put", "patch", "delete"]


def esc(s):
    return html.escape(str(s or ""))


def ref_name(ref):
    return ref.split("/")[-1]


def schema_summary(s, spec, depth=0):
    """A compact type description: Team, [Person], string (date), one of a|b."""
    if not isinstance(s, dict):
        return ""
    if "$ref" in s:
        name = ref_name(s["$ref"])
        return f'<a href="#schema-{esc(name)}">{esc(name)}</a>'
    if "oneOf" in s or "anyOf" in s:
        return " | ".join(schema_summary(x, spec, depth) for x in s.get("oneOf", s.get("anyOf")))
    t = s.get("type", "object")
    if isinstance(t, list):
        t = " | ".join(t)
    if t == "array" or (isinstance(s.get("type"), list) and "array" in s["type"]):
        return "[" + schema_summary(s.get("items", {}), spec, depth) + "]"
    extra = []
    if "format" in s:
        extra.append(s["format"])
    if "enum" in s:
        extra.append(" | ".join(json.dumps(e) for e in s["enum"]))
    for k in ("minimum", "maximum", "minLength", "maxLength", "pattern"):
        if k in s:
            extra.append(f"{k} {s[k]}")
    return esc(t) + (f' <span class="muted">({esc(", ".join(map(str, extra)))})</span>' if extra else "")


def properties_table(s, spec):
    props = s.get("properties") or {}
    if not props:
        return ""
    req = set(s.get("required") or [])
    rows = []
    for name, p in props.items():
        desc = p.get("description", "") if isinstance(p, dict) else ""
        rows.append(f"<tr><td><code>{esc(name)}</code>{' <b>*</b>' if name in req else ''}</td>"
                    f"<td>{schema_summary(p, spec)}</td><td>{esc(desc)}</td></tr>")
    return "<table><tr><th>field</th><th>type</th><th>meaning</th></tr>" + "".join(rows) + "</table>"


def resolve(obj, spec):
    while isinstance(obj, dict) and "$ref" in obj:
        node = spec
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node[part]
        obj = node
    return obj


def main():
    spec = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
    info = spec.get("info", {})
    out = []
    out.append("<!doctype html><html lang=en><head><meta charset=utf-8>")
    out.append(f"<title>{esc(info.get('title'))} API reference</title>")
    out.append("""<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
code,pre{font:13px ui-monospace,monospace;background:#f4f4f4;padding:1px 4px;border-radius:3px}
pre{padding:8px;overflow:auto}
.op{border:1px solid #ddd;border-radius:6px;margin:1em 0;padding:.6em 1em}
.m{display:inline-block;min-width:4.5em;font-weight:bold;text-transform:uppercase}
.get{color:#1565c0}.post{color:#2e7d32}.put,.patch{color:#ef6c00}.delete{color:#c62828}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
.muted{color:#777}nav a{margin-right:1em}
</style></head><body>""")
    out.append(f"<h1>{esc(info.get('title'))} <span class=muted>{esc(info.get('version'))}</span></h1>")
    out.append(f"<div>{esc(info.get('description')).replace(chr(10) + chr(10), '<p>')}</div>")
    tags = [t["name"] for t in spec.get("tags", [])]
    ops_by_tag = {}
    for path, item in spec.get("paths", {}).items():
        for m in METHODS:
            if m in item:
                op = item[m]
                for t in op.get("tags", ["other"]):
                    ops_by_tag.setdefault(t, []).append((path, m, op, item.get("parameters", [])))
                    if t not in tags:
                        tags.append(t)
    out.append("<nav>" + "".join(f'<a href="#tag-{esc(t)}">{esc(t)}</a>' for t in tags) +
               '<a href="#schemas">schemas</a></nav>')
    for t in tags:
        out.append(f'<h2 id="tag-{esc(t)}">{esc(t)}</h2>')
        for path, m, op, common in ops_by_tag.get(t, []):
            out.append(f'<div class=op id="{esc(op.get("operationId", ""))}"><div><span class="m {m}">{m}</span>'
                       f'<code>{esc(path)}</code> — {esc(op.get("summary"))}</div>')
            if op.get("description"):
                out.append(f"<p>{esc(op['description'])}</p>")
            params = [resolve(p, spec) for p in common + op.get("parameters", [])]
            if params:
                out.append("<table><tr><th>parameter</th><th>in</th><th>type</th><th>meaning</th></tr>")
                for p in params:
                    out.append(f"<tr><td><code>{esc(p.get('name'))}</code>{' <b>*</b>' if p.get('required') else ''}"
                               f"</td><td>{esc(p.get('in'))}</td><td>{schema_summary(p.get('schema', {}), spec)}</td>"
                               f"<td>{esc(p.get('description'))}</td></tr>")
                out.append("</table>")
            body = resolve(op.get("requestBody"), spec)
            if body:
                for ctype, media in body.get("content", {}).items():
                    out.append(f"<div>Body <code>{esc(ctype)}</code>: {schema_summary(media.get('schema', {}), spec)}</div>")
            out.append("<table><tr><th>status</th><th>meaning</th><th>body</th></tr>")
            for code, resp in op.get("responses", {}).items():
                resp = resolve(resp, spec)
                bodies = ", ".join(f"<code>{esc(c)}</code> {schema_summary(mm.get('schema', {}), spec)}"
                                   for c, mm in (resp.get("content") or {}).items())
                out.append(f"<tr><td>{esc(code)}</td><td>{esc(resp.get('description'))}</td><td>{bodies}</td></tr>")
            out.append("</table></div>")
    out.append('<h2 id="schemas">Schemas</h2>')
    for name, s in spec.get("components", {}).get("schemas", {}).items():
        out.append(f'<div class=op id="schema-{esc(name)}"><b>{esc(name)}</b> {schema_summary(s, spec) if "properties" not in s else ""}')
        if s.get("description"):
            out.append(f"<p>{esc(s['description'])}</p>")
        out.append(properties_table(s, spec))
        out.append("</div>")
    out.append("</body></html>\n")
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
