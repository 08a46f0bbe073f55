"""/docs (issue 14 item 3): loaded in headless Chromium, the page shows the contract's Markdown
rendered (no raw `##`, backtick or `*` bullet in its text), every operation with its id, a
navigation by tag and a curl example per operation, and loads nothing from another host.

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON messages
ended by NUL on fds 3 and 4), so the test reads the DOM's innerText, not the HTML source, with
nothing but the standard library."""

import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

import pytest
import yaml

from contract import SPEC_PATH

# a limit only against a hung browser: every step waits for its answer or event
HANG = 300


def _onto_3_and_4(read_end, write_end):
    """In the child: the pipe ends become fds 3 and 4 (through copies above both, so one
    end already at 3 or 4 is not overwritten before it is moved)."""
    r = fcntl.fcntl(read_end, fcntl.F_DUPFD, 10)
    w = fcntl.fcntl(write_end, fcntl.F_DUPFD, 10)
    os.dup2(r, 3)
    os.dup2(w, 4)


class Chromium:
    def __init__(self):
        exe = shutil.which("chromium")
        assert exe, "chromium is missing (scripts/deps --test installs it)"
        self.profile = tempfile.mkdtemp(prefix="attain-chromium-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # the browser reads commands on fd 3 and writes answers on fd 4
        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--no-first-run", "--disable-extensions", "--disable-background-networking",
             f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=lambda: _onto_3_and_4(to_chrome_r, from_chrome_w))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            assert left > 0, "chromium did not answer"
            ready, _, _ = select.select([self.from_chrome], [], [], left)
            if ready:
                chunk = os.read(self.from_chrome, 1 << 16)
                assert chunk, "chromium closed its pipe"
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, session=None, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + HANG
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                assert "error" not in m, m
                return m["result"]
            self.events.append(m)

    def wait_event(self, method, session):
        deadline = time.monotonic() + HANG
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == method and m.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(self._read_message(deadline))

    def close(self):
        try:
            self.send("Browser.close")
        except (AssertionError, OSError):
            pass
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_chrome)
        os.close(self.from_chrome)
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def page(server):
    """The rendered /docs: its innerText, and facts read from its DOM."""
    browser = Chromium()
    try:
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        browser.send("Page.enable", session)
        browser.send("Page.navigate", session, url=server.base_url + "/docs")
        browser.wait_event("Page.loadEventFired", session)
        probe = """JSON.stringify({
            text: document.body.innerText,
            title: document.title,
            ops: [...document.querySelectorAll('main .operation[id]')].map(e => e.id),
            nav: [...document.querySelectorAll('nav a')].map(a => a.getAttribute('href')),
            curls: [...document.querySelectorAll('main pre.curl code')].map(c => c.innerText),
            scripts: document.scripts.length,
            resources: performance.getEntriesByType('resource').map(r => r.name),
            headings: [...document.querySelectorAll('main h2, main h3')].map(h => h.innerText),
            tables: document.querySelectorAll('main .intro table, main .op > table, main .op > p code').length
        })"""
        r = browser.send("Runtime.evaluate", session, expression=probe, returnByValue=True)
        yield json.loads(r["result"]["value"])
    finally:
        browser.close()


def operations():
    spec = yaml.safe_load(open(SPEC_PATH, encoding="utf-8"))
    return [(path, m, op) for path, item in spec["paths"].items()
            for m, op in item.items() if m in ("get", "post", "put", "patch", "delete")], spec


def test_no_raw_markdown_reaches_the_text(page):
    text = page["text"]
    assert "Authentication" in text and "attain API" in page["title"]
    for line in text.splitlines():
        assert not line.lstrip().startswith("#"), f"a raw heading: {line!r}"
        assert not line.lstrip().startswith("* "), f"a raw bullet: {line!r}"
    curls = "\n".join(page["curls"])
    # the curl examples are code, with shell quoting: backticks are checked outside them
    prose = text
    for c in page["curls"]:
        prose = prose.replace(c, "")
    assert "`" not in prose, prose[max(0, prose.find("`") - 200):prose.find("`") + 200]
    assert "`" not in curls
    assert "## " not in prose and "**" not in prose


def test_markdown_becomes_headings_lists_code_and_tables(page):
    assert "Authentication" in page["headings"] and "Roles" in page["headings"]
    assert page["tables"] > 100


def test_every_operation_with_its_id_a_curl_example_and_a_nav_link(page):
    ops, spec = operations()
    assert len(ops) > 60
    ids = [op["operationId"] for _, _, op in ops]
    assert sorted(page["ops"]) == sorted(ids)
    for i in ids:
        assert i in page["text"], i
        assert f"#{i}" in page["nav"], i
    for t in spec["tags"]:
        assert f"#tag-{t['name']}" in page["nav"]
    assert len(page["curls"]) == len(ids)
    curl_of = dict(zip(page["ops"], page["curls"]))  # both in page order, one per operation
    for path, method, op in ops:
        c = curl_of[op["operationId"]]
        assert c.startswith("curl"), c
        assert ("-X " + method.upper() in c) == (method != "get"), (op["operationId"], c)
        assert "http://localhost:8080" + path.split("{")[0] in c, (op["operationId"], c)
        assert ("Authorization: Bearer $TOKEN" in c) == (op.get("security") != []), c


def test_the_page_loads_nothing_from_another_host(page, server):
    assert page["scripts"] == 0
    assert all(r.startswith(server.base_url) for r in page["resources"]), page["resources"]
