"""
contract.py — check HTTP responses against openapi.yaml.

Every response the integration tests receive goes through Contract.validate:
the path must match a path template of the document (templated segments such
as {team_id} match one segment), the method must be documented for it, the
status must be documented (exactly, else "default"), the media type must be
one the document lists for that status, a JSON body must validate against the
schema (Draft 2020-12, "#/components/..." refs resolved against the whole
document, formats checked), and every response header marked required must be
present and well-formed. A path that matches no template may only answer 404,
and a method the path does not serve only 405 with an Allow header (both as
problem+json), as the document's info.description says.

Any mismatch raises AssertionError naming the method, path, status and what
is wrong. Also here: small assertion helpers shared by the test modules.
"""

import csv
import io
import json
import os
import re
from urllib.parse import urlsplit

import yaml
from jsonschema import Draft202012Validator, FormatChecker, RefResolver
from jsonschema.exceptions import best_match

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC_PATH = os.path.join(ROOT, "openapi.yaml")

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
JSON_TYPES = ("application/json", "application/problem+json")
KNOWN_TYPES = JSON_TYPES + ("text/csv", "text/plain", "application/yaml", "text/html")
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}")

PROBLEM_BASE = "https://attain.dev/problems/"
PROBLEM_TYPES = {
    400: PROBLEM_BASE + "validation",
    401: PROBLEM_BASE + "unauthorized",
    403: PROBLEM_BASE + "forbidden",
    404: PROBLEM_BASE + "not-found",
    405: PROBLEM_BASE + "method-not-allowed",
    409: PROBLEM_BASE + "conflict",
    412: PROBLEM_BASE + "precondition-failed",
    413: PROBLEM_BASE + "payload-too-large",
    415: PROBLEM_BASE + "unsupported-media-type",
    422: PROBLEM_BASE + "unprocessable",
    429: PROBLEM_BASE + "too-many-requests",
    500: PROBLEM_BASE + "internal",
    503: PROBLEM_BASE + "unavailable",
}


def media_type(value):
    """The media type of a Content-Type value, lower-case, without parameters."""
    return (value or "").split(";", 1)[0].strip().lower()


class ContractError(AssertionError):
    pass


class Contract:
    def __init__(self, path=SPEC_PATH):
        with open(path, encoding="utf-8") as f:
            self.spec = yaml.safe_load(f)
        self.resolver = RefResolver(base_uri="", referrer=self.spec)
        self.format_checker = FormatChecker()
        self._validators = {}
        routes = []
        for template, item in self.spec["paths"].items():
            segs = template.strip("/").split("/")
            parts = []
            for seg in segs:
                if seg.startswith("{") and seg.endswith("}"):
                    parts.append("[^/]+")
                else:
                    parts.append(re.escape(seg))
            rx = re.compile("^/" + "/".join(parts) + "$")
            nparams = sum(1 for s in segs if s.startswith("{"))
            routes.append((nparams, template, rx, item))
        # Literal templates win over templated ones.
        routes.sort(key=lambda r: r[0])
        self.routes = [(t, rx, item) for _, t, rx, item in routes]

    # -- document access -------------------------------------------------

    def deref(self, obj):
        """Follow local $ref chains ("#/components/...")."""
        seen = 0
        while isinstance(obj, dict) and "$ref" in obj and len(obj) >= 1:
            ref = obj["$ref"]
            if not ref.startswith("#/"):
                raise ValueError("only local refs are supported: " + ref)
            node = self.spec
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            obj = node
            seen += 1
            if seen > 20:
                raise ValueError("ref loop at " + ref)
        return obj

    def match(self, path):
        """(template, path item) for a concrete request path, or (None, None)."""
        for template, rx, item in self.routes:
            if rx.match(path):
                return template, item
        return None, None

    def schema(self, name):
        return self.spec["components"]["schemas"][name]

    def validator(self, schema):
        # Keyed by identity: every schema object lives in self.spec for good.
        key = id(schema)
        v = self._validators.get(key)
        if v is None:
            v = Draft202012Validator(schema, resolver=self.resolver,
                                     format_checker=self.format_checker)
            self._validators[key] = v
        return v

    def check_schema(self, instance, schema, where):
        v = self.validator(schema)
        err = best_match(v.iter_errors(instance))
        if err is not None:
            loc = "/".join(str(p) for p in err.absolute_path) or "(root)"
            raise ContractError(f"{where}: body does not match the schema at {loc}: "
                                f"{err.message}\nbody: {json.dumps(instance)[:2000]}")

    # -- the check ---------------------------------------------------------

    def validate(self, response):
        """Raise ContractError unless `response` (a requests.Response) conforms."""
        req = response.request
        method = req.method.lower()
        path = urlsplit(req.url).path
        status = response.status_code
        where = f"{req.method} {path} -> {status}"

        if "X-Request-Id" not in response.headers:
            raise ContractError(f"{where}: no X-Request-Id header")

        template, item = self.match(path)
        if template is None or method not in item:
            self._validate_undocumented(response, where, path, template is None)
            return

        op = item[method]
        responses = op.get("responses", {})
        spec_resp = responses.get(str(status))
        if spec_resp is None:
            spec_resp = responses.get(f"{str(status)[0]}XX") or responses.get("default")
        if spec_resp is None:
            raise ContractError(f"{where}: status {status} is not documented for "
                                f"{req.method} {template} (documented: {sorted(responses)})"
                                f"\nbody: {response.text[:1000]}")
        spec_resp = self.deref(spec_resp)
        self._validate_headers(response, spec_resp, where)
        self._validate_body(response, spec_resp, where, path)

    def _validate_undocumented(self, response, where, path, unmatched):
        status = response.status_code
        allowed = {404} if unmatched else {405}
        allowed.add(413)  # the size guard runs before routing
        if path.startswith("/v1/"):
            allowed.add(401)  # authentication runs before routing under /v1
        if status not in allowed:
            what = "matches no path of the document" if unmatched else "uses a method the path does not serve"
            raise ContractError(f"{where}: the request {what}; expected one of {sorted(allowed)}"
                                f"\nbody: {response.text[:1000]}")
        if status == 405:
            allow = response.headers.get("Allow")
            if not allow:
                raise ContractError(f"{where}: 405 without an Allow header")
        if status == 401 and "WWW-Authenticate" not in response.headers:
            raise ContractError(f"{where}: 401 without WWW-Authenticate")
        problem = self.deref({"$ref": "#/components/schemas/Problem"})
        ct = media_type(response.headers.get("Content-Type"))
        if ct != "application/problem+json":
            raise ContractError(f"{where}: expected application/problem+json, got {ct!r}")
        body = self._json(response, where)
        self.check_schema(body, problem, where)
        self._problem_invariants(body, response, where, path)

    def _validate_headers(self, response, spec_resp, where):
        for name, h in (spec_resp.get("headers") or {}).items():
            h = self.deref(h)
            value = response.headers.get(name)
            if value is None:
                if h.get("required"):
                    raise ContractError(f"{where}: required header {name} is missing")
                continue
            schema = self.deref(h.get("schema") or {})
            if schema.get("type") == "integer":
                if not re.fullmatch(r"[0-9]+", value.strip()):
                    raise ContractError(f"{where}: header {name}: {value!r} is not an integer")
                n = int(value)
                if "minimum" in schema and n < schema["minimum"]:
                    raise ContractError(f"{where}: header {name}: {n} < {schema['minimum']}")
            else:
                if "const" in schema and value != schema["const"]:
                    raise ContractError(f"{where}: header {name}: {value!r} != {schema['const']!r}")
                if "pattern" in schema and not re.search(schema["pattern"], value):
                    raise ContractError(f"{where}: header {name}: {value!r} does not match "
                                        f"{schema['pattern']}")
                if len(value) < schema.get("minLength", 0):
                    raise ContractError(f"{where}: header {name} is empty")

    def _validate_body(self, response, spec_resp, where, path):
        content = spec_resp.get("content")
        if not content:
            if response.content:
                raise ContractError(f"{where}: expected no body, got {response.content[:200]!r}")
            return
        ct = media_type(response.headers.get("Content-Type"))
        if ct not in content:
            raise ContractError(f"{where}: content type {ct!r} is not documented "
                                f"(documented: {sorted(content)})\nbody: {response.text[:500]}")
        if ct not in KNOWN_TYPES:
            raise ContractError(f"{where}: unexpected content type {ct!r}")
        media = content[ct]
        if ct in JSON_TYPES:
            body = self._json(response, where)
            schema = media.get("schema")
            if schema is not None:
                self.check_schema(body, schema, where)
            if ct == "application/problem+json":
                self._problem_invariants(body, response, where, path)
            etag = response.headers.get("ETag")
            if etag is not None and isinstance(body, dict) and "version" in body:
                if etag != f'"{body["version"]}"':
                    raise ContractError(f"{where}: ETag {etag} does not match version "
                                        f"{body['version']}")
        elif ct == "text/csv":
            self._validate_csv(response, content, where)
        elif not response.content:
            raise ContractError(f"{where}: empty {ct} body")

    def _json(self, response, where):
        try:
            return json.loads(response.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ContractError(f"{where}: body is not JSON ({e}): {response.content[:300]!r}")

    def _problem_invariants(self, body, response, where, path):
        if body.get("status") != response.status_code:
            raise ContractError(f"{where}: problem status {body.get('status')} != HTTP status")
        if body.get("request_id") != response.headers.get("X-Request-Id"):
            raise ContractError(f"{where}: problem request_id {body.get('request_id')!r} != "
                                f"X-Request-Id {response.headers.get('X-Request-Id')!r}")
        if body.get("instance") != path:
            raise ContractError(f"{where}: problem instance {body.get('instance')!r} != {path!r}")
        want = PROBLEM_TYPES.get(response.status_code)
        if want and body.get("type") != want:
            raise ContractError(f"{where}: problem type {body.get('type')!r} != {want!r}")

    def _validate_csv(self, response, content, where):
        text = response.content.decode("utf-8")
        first = text.find("\n")
        if first < 1 or text[first - 1] != "\r":
            raise ContractError(f"{where}: CSV lines must end with CRLF (RFC 4180)")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        if not rows or not rows[0]:
            raise ContractError(f"{where}: CSV without a header row")
        header = rows[0]
        for i, row in enumerate(rows[1:], start=2):
            if len(row) != len(header):
                raise ContractError(f"{where}: CSV row {i} has {len(row)} cells, header has "
                                    f"{len(header)}")
        js = content.get("application/json", {}).get("schema")
        if js is not None:
            js = self.deref(js)
            item = self.deref(js.get("properties", {}).get("items", {}).get("items", {}))
            props = list(item.get("properties", {}))
            if any("." in h for h in header):
                rows_of = [k for k in ("items", "points") if k in js.get("properties", {})]
                # a list's (or a series') rows, or one object as one flat row
                item = self.deref(js["properties"][rows_of[0]].get("items", {})) if rows_of else js
                # nested objects flattened to dotted columns (performance): each column must be
                # a scalar of the item's schema, reached through its objects
                flat = self._flat_fields(item)
                unknown = [h for h in header if h not in flat]
                if unknown:
                    raise ContractError(f"{where}: CSV columns {unknown} are no fields of the item schema")
            elif props and sorted(header) != sorted(props):
                raise ContractError(f"{where}: CSV header {header} != item fields {props}")

    def _flat_fields(self, schema, prefix=""):
        """The dotted names of a schema's scalar fields, through nested objects (arrays left out)."""
        out = set()
        schema = self.deref(schema)
        for part in schema.get("allOf", []):
            out |= self._flat_fields(part, prefix)
        for name, sub in schema.get("properties", {}).items():
            sub = self.deref(sub)
            kind = sub.get("type")
            kinds = kind if isinstance(kind, list) else [kind]
            if "object" in kinds or (kind is None and "properties" in sub):
                out |= self._flat_fields(sub, prefix + name + ".")
                if "null" in kinds:
                    out.add(prefix + name)  # a null object is one empty cell
            elif "array" not in kinds:
                out.add(prefix + name)
        return out


_contract = None


def get_contract():
    global _contract
    if _contract is None:
        _contract = Contract()
    return _contract


# -- helpers for the tests ------------------------------------------------

def problem(r, status, field=None):
    """
    Assert that r is a problem+json answer with `status` (the contract has
    already checked its shape); when field is given, errors[] must name it.
    Returns the problem body.
    """
    assert r.status_code == status, (
        f"{r.request.method} {r.request.path_url}: expected {status}, got {r.status_code}: "
        f"{r.text[:1000]}")
    assert media_type(r.headers.get("Content-Type")) == "application/problem+json", r.headers
    body = r.json()
    assert body["status"] == status
    if field is not None:
        fields = [e["field"] for e in body.get("errors") or []]
        assert field in fields, f"expected errors[] to name {field!r}, got {fields}: {body}"
    return body


def ok(r, status=200):
    """Assert the status; return the JSON body (None for an empty or non-JSON body)."""
    assert r.status_code == status, (
        f"{r.request.method} {r.request.path_url}: expected {status}, got {r.status_code}: "
        f"{r.text[:1000]}")
    if r.content and media_type(r.headers.get("Content-Type")) in JSON_TYPES:
        return r.json()
    return None


def parse_csv(r):
    """(header, rows as dicts) of a text/csv response."""
    assert media_type(r.headers.get("Content-Type")) == "text/csv", r.headers
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8"), newline="")))
    header = rows[0]
    return header, [dict(zip(header, row)) for row in rows[1:]]
