"""Bearer tokens over HTTP (DESIGN §4) and the settings that stop the start (§3)."""

import base64
import hashlib
import hmac
import json
import re
import time

import jwt
import pytest

from conftest import AUDIENCE, HS256_SECRET, read_key
from contract import ok, problem

SETTINGS = ("DATABASE_URL", "ATTAIN_LISTEN", "ATTAIN_THREADS", "ATTAIN_DB_POOL",
            "ATTAIN_JWT_HS256_SECRET", "ATTAIN_JWT_PUBLIC_KEYS", "ATTAIN_JWT_ISSUER",
            "ATTAIN_JWT_AUDIENCE", "ATTAIN_MAX_BODY", "ATTAIN_LOG_LEVEL", "ATTAIN_MIGRATE")


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def craft(header, claims, key=None, signature=None):
    """
    A JWT built by hand: header/claims given as dict or raw JSON text; signed
    with HMAC-SHA256 under `key` (bytes) when given, else with `signature`
    (raw bytes, b"" for none).
    """
    h = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    c = claims if isinstance(claims, str) else json.dumps(claims, separators=(",", ":"))
    signing_input = b64url(h) + "." + b64url(c)
    if key is not None:
        sig = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    else:
        sig = signature or b""
    return signing_input + "." + b64url(sig)


def claims(tokens, org, **kw):
    return tokens.claims(org, ["admin"], **kw)


def assert_invalid_token(api, token):
    r = api.get("/v1/org", token=token)
    problem(r, 401)
    challenge = r.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer"), challenge
    assert 'error="invalid_token"' in challenge, challenge
    return r


# -- the happy paths ----------------------------------------------------------------

def test_hs256_accepted(admin, org):
    assert ok(admin.get("/v1/org"))["id"] == org


def test_rs256_with_kid_accepted(anon, tokens, org):
    assert ok(anon.get("/v1/org", token=tokens.rs256(org)))["id"] == org


def test_es256_with_kid_accepted(anon, tokens, org):
    assert ok(anon.get("/v1/org", token=tokens.es256(org)))["id"] == org


def test_audience_array_accepted(anon, tokens, org):
    t = tokens.hs256(org, aud=["other-api", AUDIENCE])
    ok(anon.get("/v1/org", token=t))


def test_person_id_claim_accepted(anon, tokens, org):
    ok(anon.get("/v1/org", token=tokens.hs256(org, ["rep"], person_id="12345")))


# -- no token ----------------------------------------------------------------------

def test_missing_token_is_401_with_realm(anon):
    r = anon.get("/v1/org")
    problem(r, 401)
    challenge = r.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer"), challenge
    assert 'realm="attain"' in challenge, challenge
    assert "error=" not in challenge, challenge


def test_every_v1_route_needs_a_token(anon):
    for method, path in (("GET", "/v1/teams"), ("POST", "/v1/teams"), ("GET", "/v1/teams/1"),
                         ("PATCH", "/v1/teams/1"), ("DELETE", "/v1/teams/1"),
                         ("GET", "/v1/people"), ("POST", "/v1/people"),
                         ("GET", "/v1/people/1"), ("PATCH", "/v1/org"),
                         ("GET", "/v1/periods"), ("GET", "/v1/periods/2026-07")):
        kw = {"json": {"name": "x"}} if method in ("POST", "PATCH") else {}
        problem(anon.request(method, path, **kw), 401)


# -- attacks: each one is 401 invalid_token ----------------------------------------------

def test_alg_none_unsigned(anon, tokens, org):
    assert_invalid_token(anon, craft({"alg": "none", "typ": "JWT"}, claims(tokens, org)))


def test_alg_none_with_signature(anon, tokens, org):
    t = craft({"alg": "none", "typ": "JWT"}, claims(tokens, org), key=HS256_SECRET.encode())
    assert_invalid_token(anon, t)
    t = craft({"alg": "None", "typ": "JWT"}, claims(tokens, org))
    assert_invalid_token(anon, t)


def test_hs256_signed_with_rsa_public_key_pem(anon, tokens, org):
    pem = read_key("rsa_public.pem")
    c = claims(tokens, org)
    assert_invalid_token(anon, craft({"alg": "HS256", "typ": "JWT", "kid": "rsa1"}, c, key=pem))
    assert_invalid_token(anon, craft({"alg": "HS256", "typ": "JWT"}, c, key=pem))
    # The PEM without its trailing newline, as some libraries strip it.
    assert_invalid_token(anon, craft({"alg": "HS256", "typ": "JWT", "kid": "rsa1"}, c,
                                     key=pem.strip()))


def test_hs256_signed_with_ec_public_key_pem(anon, tokens, org):
    pem = read_key("ec_public.pem")
    assert_invalid_token(anon, craft({"alg": "HS256", "typ": "JWT", "kid": "ec1"},
                                     claims(tokens, org), key=pem))


def test_wrong_secret(anon, tokens, org):
    t = jwt.encode(claims(tokens, org), "another-secret-of-forty-bytes-0123456789", algorithm="HS256")
    assert_invalid_token(anon, t)


def test_tampered_claims(anon, tokens, org):
    good = tokens.hs256(org, ["rep"])
    h, _, s = good.split(".")
    forged = claims(tokens, org)  # admin instead of rep, old signature kept
    assert_invalid_token(anon, h + "." + b64url(json.dumps(forged)) + "." + s)


def test_expired(anon, tokens, org):
    now = int(time.time())
    assert_invalid_token(anon, tokens.hs256(org, iat=now - 7200, exp=now - 3600))


def test_not_before_in_the_future(anon, tokens, org):
    assert_invalid_token(anon, tokens.hs256(org, nbf=int(time.time()) + 3600))


def test_missing_exp(anon, tokens, org):
    assert_invalid_token(anon, tokens.hs256(org, exp=None))


def test_wrong_issuer(anon, tokens, org):
    assert_invalid_token(anon, tokens.hs256(org, iss="someone-else"))
    assert_invalid_token(anon, tokens.hs256(org, iss=None))


def test_wrong_audience(anon, tokens, org):
    assert_invalid_token(anon, tokens.hs256(org, aud="other-api"))
    assert_invalid_token(anon, tokens.hs256(org, aud=None))


def test_unknown_kid(anon, tokens, org):
    assert_invalid_token(anon, tokens.rs256(org, kid="nope"))
    assert_invalid_token(anon, jwt.encode(claims(tokens, org), HS256_SECRET, algorithm="HS256",
                                          headers={"kid": "nope"}))


def test_rs256_signed_by_another_key(anon, tokens, org):
    assert_invalid_token(anon, tokens.rs256(org, kid="rsa1", key="rsa2_private.pem"))


def test_algorithm_other_than_the_keys(anon, tokens, org):
    # An ES256 token naming the RSA key, an RS256 token naming the EC key,
    # an RS256 token without kid (the HS256 slot).
    assert_invalid_token(anon, tokens.es256(org, kid="rsa1"))
    assert_invalid_token(anon, tokens.rs256(org, kid="ec1"))
    t = jwt.encode(claims(tokens, org), read_key("rsa_private.pem"), algorithm="RS256")
    assert_invalid_token(anon, t)


def test_lower_case_alg(anon, tokens, org):
    t = craft({"alg": "hs256", "typ": "JWT"}, claims(tokens, org), key=HS256_SECRET.encode())
    assert_invalid_token(anon, t)


def test_duplicate_header_keys(anon, tokens, org):
    c = claims(tokens, org)
    key = HS256_SECRET.encode()
    assert_invalid_token(anon, craft('{"alg":"none","alg":"HS256","typ":"JWT"}', c, key=key))
    assert_invalid_token(anon, craft('{"alg":"HS256","alg":"HS256","typ":"JWT"}', c, key=key))
    assert_invalid_token(anon, craft('{"alg":"HS256","typ":"JWT","kid":"x","kid":"y"}', c, key=key))


@pytest.mark.parametrize("token", [
    "garbage",
    "a.b.c",
    "a.b",
    "....",
    "eyJhbGciOiJIUzI1NiJ9.eyJ.c2ln",
    "eyJhbGciOiJIUzI1NiJ9.%%%.sig",
    "x" * 9000,
])
def test_garbage(anon, token):
    assert_invalid_token(anon, token)


def test_header_not_an_object(anon, tokens, org):
    c = claims(tokens, org)
    key = HS256_SECRET.encode()
    assert_invalid_token(anon, craft('["HS256"]', c, key=key))
    assert_invalid_token(anon, craft({"alg": "HS256"}, "[1,2]", key=key))


def test_bad_claim_types(anon, tokens, org):
    base = claims(tokens, org)
    for change in ({"roles": "admin"}, {"roles": None}, {"roles": [1]}, {"org": None},
                   {"org": 7}, {"org": ""}, {"sub": None}, {"exp": "tomorrow"}):
        c = dict(base)
        for k, v in change.items():
            if v is None:
                c.pop(k)
            else:
                c[k] = v
        assert_invalid_token(anon, jwt.encode(c, HS256_SECRET, algorithm="HS256"))


def test_scheme_is_not_bearer(anon, tokens, org):
    r = anon.get("/v1/org", token=None, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    problem(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


# -- roles claim -----------------------------------------------------------------------

def test_no_known_role_is_403(anon, tokens, org):
    problem(anon.get("/v1/org", token=tokens.hs256(org, [])), 403)
    problem(anon.get("/v1/teams", token=tokens.hs256(org, ["guest"])), 403)
    # Unknown names beside a known one are ignored.
    ok(anon.get("/v1/org", token=tokens.hs256(org, ["guest", "rep"])))


# -- settings --------------------------------------------------------------------------

def _one_line_naming(proc, name):
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one stderr line, got {lines}"
    assert name in lines[0], lines[0]


def test_short_hs256_secret_stops_the_start(run_attaind):
    p = run_attaind(env={"ATTAIN_JWT_HS256_SECRET": "0123456789"})
    assert p.returncode == 2, (p.returncode, p.stderr)
    _one_line_naming(p, "ATTAIN_JWT_HS256_SECRET")


def test_bad_db_pool_stops_the_start(run_attaind):
    p = run_attaind(env={"ATTAIN_DB_POOL": "abc"})
    assert p.returncode == 2, (p.returncode, p.stderr)
    _one_line_naming(p, "ATTAIN_DB_POOL")


@pytest.mark.parametrize("listen", ["nonsense", "127.0.0.1:notaport", "127.0.0.1:99999"])
def test_bad_listen_stops_the_start(run_attaind, listen):
    p = run_attaind(env={"ATTAIN_LISTEN": listen})
    assert p.returncode == 2, (p.returncode, p.stderr)
    _one_line_naming(p, "ATTAIN_LISTEN")


def test_bad_max_body_stops_the_start(run_attaind):
    p = run_attaind(env={"ATTAIN_MAX_BODY": "-5"})
    assert p.returncode == 2, (p.returncode, p.stderr)
    _one_line_naming(p, "ATTAIN_MAX_BODY")


def test_help_lists_every_setting(run_attaind):
    p = run_attaind(args=["--help"])
    assert p.returncode == 0, (p.returncode, p.stderr)
    for name in SETTINGS:
        assert re.search(r"\b" + name + r"\b", p.stdout), f"--help does not mention {name}"
