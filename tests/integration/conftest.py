"""
conftest.py — the real attaind on a real PostgreSQL, spoken to over HTTP.

Environment (set by the test script):
  ATTAIND              path of the attaind binary (default: build/attaind)
  ATTAINCTL            path of attainctl (default: build/attainctl)
  ATTAIN_TEST_PG_URL   superuser URL of the throwaway cluster
  ATTAIN_TEST_PG_DIR   its directory (for scripts/pg kill / start)
  ATTAIN_TEST_PG_PORT  its port

One database per session (attain_it_<random>), one attaind for the whole
session (stopped with SIGTERM at the end: it must exit 0). Every test module
works in its own org, so modules never see each other's rows.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import jwt
import pytest
import requests

from contract import ROOT, get_contract

HS256_SECRET = "attain-integration-test-secret-0123456789"  # 40 bytes
assert len(HS256_SECRET) >= 32
ISSUER = "attain-test"
AUDIENCE = "attain-api"
START_TIMEOUT = 30.0


def _env_path(name, default):
    v = os.environ.get(name)
    return os.path.abspath(v) if v else os.path.join(ROOT, default)


ATTAIND = _env_path("ATTAIND", "build/attaind")
ATTAINCTL = _env_path("ATTAINCTL", "build/attainctl")


def _keys_dir():
    unit = os.path.join(ROOT, "tests", "unit", "keys")
    names = ("rsa_private.pem", "rsa_public.pem", "ec_private.pem", "ec_public.pem",
             "rsa2_private.pem", "rsa2_public.pem")
    if all(os.path.exists(os.path.join(unit, n)) for n in names):
        return unit
    own = os.path.join(ROOT, "tests", "integration", "keys")
    if not all(os.path.exists(os.path.join(own, n)) for n in names):
        _generate_keys(own)
    return own


def _generate_keys(d):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    os.makedirs(d, exist_ok=True)

    def write(name, key):
        with open(os.path.join(d, name + "_private.pem"), "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        with open(os.path.join(d, name + "_public.pem"), "wb") as f:
            f.write(key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

    write("rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    write("rsa2", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    write("ec", ec.generate_private_key(ec.SECP256R1()))


KEYS_DIR = _keys_dir()


def key_file(name):
    return os.path.join(KEYS_DIR, name)


def read_key(name):
    with open(key_file(name), "rb") as f:
        return f.read()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- PostgreSQL --------------------------------------------------------------

def pg_url():
    url = os.environ.get("ATTAIN_TEST_PG_URL")
    if not url:
        pytest.fail("ATTAIN_TEST_PG_URL is not set (the superuser URL of the test cluster)",
                    pytrace=False)
    return url


def psql(url, sql):
    r = subprocess.run(["psql", url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"psql failed ({sql}): {r.stderr.strip()}")
    return r.stdout.strip()


def with_dbname(url, name):
    u = urlsplit(url)
    return urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))


@pytest.fixture(scope="session")
def database():
    """A fresh database for this session; its URL."""
    admin_url = pg_url()
    name = "attain_it_" + secrets.token_hex(6)
    psql(admin_url, f"CREATE DATABASE {name}")
    yield with_dbname(admin_url, name)
    try:
        psql(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    except Exception:  # best effort: the cluster is thrown away anyway
        pass


class PostgresControl:
    """Crash and restart the test cluster with scripts/pg."""

    def __init__(self):
        self.dir = os.environ.get("ATTAIN_TEST_PG_DIR")
        self.port = os.environ.get("ATTAIN_TEST_PG_PORT")
        self.script = os.path.join(ROOT, "scripts", "pg")

    def available(self):
        return bool(self.dir and self.port)

    def kill(self):
        subprocess.run([self.script, "kill", self.dir], check=True, timeout=120)

    def start(self):
        subprocess.run([self.script, "start", self.dir, self.port], check=True, timeout=180)

    def is_up(self):
        try:
            psql(pg_url(), "SELECT 1")
            return True
        except Exception:
            return False


@pytest.fixture
def postgres():
    """
    Crash/restart control of the cluster. Whatever the test does, the cluster
    is running again when the test ends, so later tests have their database.
    """
    ctl = PostgresControl()
    if not ctl.available():
        pytest.fail("ATTAIN_TEST_PG_DIR and ATTAIN_TEST_PG_PORT must be set", pytrace=False)
    yield ctl
    if not ctl.is_up():
        ctl.start()


# -- attaind -------------------------------------------------------------------

class ServerLog:
    """stdout and stderr of an attaind, captured to files; JSON lines parsed."""

    def __init__(self, directory, name):
        self.out_path = os.path.join(directory, name + ".stdout")
        self.err_path = os.path.join(directory, name + ".stderr")
        self.out = open(self.out_path, "wb")
        self.err = open(self.err_path, "wb")

    def close(self):
        self.out.close()
        self.err.close()

    def text(self):
        parts = []
        for p in (self.out_path, self.err_path):
            with open(p, "rb") as f:
                parts.append(f.read().decode("utf-8", "replace"))
        return "\n".join(parts)

    def stderr_text(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def entries(self):
        """Every JSON object logged so far (stdout and stderr)."""
        out = []
        for line in self.text().splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
        return out

    def requests(self, request_id=None):
        """The per-request log lines (those with request_id, route and status)."""
        found = [e for e in self.entries()
                 if "request_id" in e and "status" in e and "route" in e]
        if request_id is not None:
            found = [e for e in found if e.get("request_id") == request_id]
        return found

    def wait_request(self, request_id, timeout=60.0):
        """The log lines of one request, waiting for the first to appear."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.requests(request_id)
            if found or time.monotonic() > deadline:
                if found:
                    time.sleep(0.2)  # let a (wrong) second line show up too
                    found = self.requests(request_id)
                return found
            time.sleep(0.05)


class Server:
    """One attaind process."""

    def __init__(self, env, log, port, args=()):
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.log = log
        self.env = env
        self.proc = subprocess.Popen([ATTAIND, *args], env=env, cwd=ROOT,
                                     stdin=subprocess.DEVNULL, stdout=log.out, stderr=log.err)

    def api(self, token=None):
        """A validating client of this server."""
        return Api(self.base_url, token)

    def wait_healthy(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"attaind exited with {self.proc.returncode} while starting:\n"
                                     f"{self.log.text()[-4000:]}")
            try:
                r = requests.get(self.base_url + "/healthz", timeout=1)
                if r.status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.proc.kill()
        raise AssertionError(f"attaind did not answer /healthz within {timeout}s:\n"
                             f"{self.log.text()[-4000:]}")

    def stop(self, timeout=20.0):
        """SIGTERM, wait, return the exit status (killed and -9 after timeout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.log.close()
                return -9
        self.log.close()
        return self.proc.returncode


def base_env(database_url, port):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATTAIN_", "DATABASE_URL"))}
    env.update({
        "DATABASE_URL": database_url,
        "ATTAIN_LISTEN": f"127.0.0.1:{port}",
        "ATTAIN_JWT_HS256_SECRET": HS256_SECRET,
        "ATTAIN_JWT_PUBLIC_KEYS": f"rsa1={key_file('rsa_public.pem')},ec1={key_file('ec_public.pem')}",
        "ATTAIN_JWT_ISSUER": ISSUER,
        "ATTAIN_JWT_AUDIENCE": AUDIENCE,
        "ATTAIN_LOG_LEVEL": "info",
    })
    return env


def _check_binary():
    if not os.access(ATTAIND, os.X_OK):
        pytest.fail(f"attaind not found at {ATTAIND} (set ATTAIND)", pytrace=False)


@pytest.fixture(scope="session")
def logdir():
    d = tempfile.mkdtemp(prefix="attain-it-")
    return d


@pytest.fixture(scope="session")
def server(database, logdir):
    """The session's attaind; at the end SIGTERM must make it exit 0."""
    _check_binary()
    port = free_port()
    srv = Server(base_env(database, port), ServerLog(logdir, "attaind"), port)
    srv.wait_healthy()
    yield srv
    rc = srv.stop()
    assert rc == 0, f"attaind exited with {rc} on SIGTERM:\n{srv.log.text()[-4000:]}"


@pytest.fixture
def server_log(server):
    """The captured log of the session's attaind."""
    return server.log


@pytest.fixture(scope="session")
def start_attaind(database, logdir):
    """
    start_attaind(env={...}, wait=True, args=()) -> Server: an extra attaind
    on its own port with the session's settings overridden by env (a value of
    None removes the setting). With wait=False it is not waited for (for
    settings that must stop the start). Every server still running at the end
    of the session is stopped.
    """
    _check_binary()
    started = []

    def start(env=None, wait=True, args=()):
        port = free_port()
        e = base_env(database, port)
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        log = ServerLog(logdir, f"extra-{len(started)}-{port}")
        srv = Server(e, log, port, args)
        started.append(srv)
        if wait:
            srv.wait_healthy()
        return srv

    yield start
    for srv in started:
        if srv.proc.poll() is None:
            srv.stop()


@pytest.fixture(scope="session")
def run_attaind(database):
    """
    run_attaind(args=(), env=None, timeout=20) -> CompletedProcess (text): run
    attaind to completion (for --help and for settings that must stop the
    start) with the session's settings overridden by env (None removes one).
    """
    _check_binary()

    def run(args=(), env=None, timeout=20):
        e = base_env(database, free_port())
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        return subprocess.run([ATTAIND, *args], env=e, cwd=ROOT, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)

    return run


# -- tokens --------------------------------------------------------------------

class Tokens:
    """Mint test JWTs (HS256 with the session secret; RS256 kid rsa1; ES256 kid ec1)."""

    secret = HS256_SECRET
    issuer = ISSUER
    audience = AUDIENCE

    def claims(self, org, roles, sub=None, person_id=None, **extra):
        now = int(time.time())
        c = {
            "sub": sub or f"user-{uuid.uuid4().hex[:8]}",
            "org": org,
            "roles": list(roles),
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 3600,
        }
        if person_id is not None:
            c["person_id"] = str(person_id)
        for k, v in extra.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def hs256(self, org, roles=("admin",), **kw):
        return jwt.encode(self.claims(org, roles, **kw), HS256_SECRET, algorithm="HS256")

    def rs256(self, org, roles=("admin",), kid="rsa1", key="rsa_private.pem", **kw):
        return jwt.encode(self.claims(org, roles, **kw), read_key(key), algorithm="RS256",
                          headers={"kid": kid})

    def es256(self, org, roles=("admin",), kid="ec1", key="ec_private.pem", **kw):
        return jwt.encode(self.claims(org, roles, **kw), read_key(key), algorithm="ES256",
                          headers={"kid": kid})

    def token(self, org, roles=("admin",), **kw):
        return self.hs256(org, roles, **kw)


@pytest.fixture(scope="session")
def tokens():
    return Tokens()


# -- the validating client -------------------------------------------------------

_DEFAULT = object()


class Api:
    """
    A requests.Session with a base URL and a default bearer token; every
    response is checked against openapi.yaml (contract.py) before it is
    returned, so a test never sees a response that breaks the contract.
    """

    def __init__(self, base_url, token=None, session=None):
        self.base_url = base_url
        self.token = token
        self.session = session or requests.Session()
        self.contract = get_contract()

    def as_token(self, token):
        """The same server with another token (None: no Authorization header)."""
        return Api(self.base_url, token, self.session)

    def request(self, method, path, *, token=_DEFAULT, headers=None, timeout=30, **kw):
        h = {}
        tok = self.token if token is _DEFAULT else token
        if tok is not None:
            h["Authorization"] = f"Bearer {tok}"
        h.update(headers or {})
        r = self.session.request(method, self.base_url + path, headers=h, timeout=timeout, **kw)
        self.contract.validate(r)
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture(scope="session")
def anon(server):
    """A validating client without a token."""
    return Api(server.base_url)


@pytest.fixture(scope="module")
def org():
    """This module's own org id (it comes into being on its first call)."""
    return "it-" + uuid.uuid4().hex[:12]


@pytest.fixture(scope="module")
def other_org():
    return "it-other-" + uuid.uuid4().hex[:12]


@pytest.fixture(scope="module")
def client(server):
    """client(token) -> a validating client of the session's attaind."""
    session = requests.Session()

    def make(token=None):
        return Api(server.base_url, token, session)

    return make


@pytest.fixture(scope="module")
def admin(client, tokens, org):
    """An admin of this module's org."""
    return client(tokens.token(org, ["admin"], sub="admin-" + org))


@pytest.fixture
def scratch_admin(client, tokens):
    """
    An admin of a brand-new org for this one test: a write that should have
    been refused but was not cannot spoil the module's own org.
    """
    org = "it-scratch-" + uuid.uuid4().hex[:12]
    return client(tokens.token(org, ["admin"], sub="admin-" + org))


@pytest.fixture(scope="module")
def other_admin(client, tokens, other_org):
    """An admin of another org."""
    return client(tokens.token(other_org, ["admin"], sub="admin-" + other_org))


# -- ordering: the database outage test runs last ----------------------------------

def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda it: 1 if it.get_closest_marker("outage") else 0)
