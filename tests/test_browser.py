"""Headless chromium loads every page of the built book: no console errors, nothing off-machine.

The site is served by a ``http.server`` bound to 127.0.0.1 on a free port (lives as long as the
test). Chromium is driven over the DevTools protocol through ``--remote-debugging-pipe`` (JSON
messages on file descriptors 3/4), so no websocket library or browser download is needed —
only Debian's ``chromium`` (``scripts/ensure-chromium.sh``); the tests skip when it is absent.
Every request of every frame (maps are ``<iframe srcdoc>``) is recorded; only 127.0.0.1,
localhost, ``data:``, ``blob:`` and ``about:`` URLs are allowed.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import selectors
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ALLOWED_HOSTS = {"127.0.0.1", "localhost"}
ALLOWED_SCHEMES = {"data", "blob", "about"}
PAGE_TIMEOUT = 20.0  # seconds for one page to load
SETTLE = 0.3  # quiet network time after the load event before a page counts as done


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


# ------------------------------------------------------------------------------ local server

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """Serve ``directory`` on 127.0.0.1:<free port> for the duration of the block."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ------------------------------------------------------------------------------ DevTools client

class Chromium:
    """Minimal DevTools-protocol client over ``--remote-debugging-pipe``."""

    def __init__(self, executable: str, profile: Path):
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds():  # the child expects commands on fd 3 and writes replies to fd 4
            a, b = os.dup(to_child_r), os.dup(from_child_w)  # (in case either already is 3 or 4)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.closerange(5, 1 << 16)  # nothing else leaks into the browser

        self.proc = subprocess.Popen(
            [executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--remote-debugging-pipe", f"--user-data-dir={profile}", "--no-first-run",
             "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--disable-default-apps", "--mute-audio",
             "--metrics-recording-only", "--disable-features=Translate,MediaRouter,OptimizationHints",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire_fds, close_fds=False,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._from_child, selectors.EVENT_READ)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.send("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _read_messages(self, timeout: float) -> list[dict]:
        if not self._selector.select(timeout):
            return []
        chunk = os.read(self._from_child, 1 << 20)
        if not chunk:
            raise RuntimeError("chromium closed the DevTools pipe")
        self._buffer += chunk
        *complete, self._buffer = self._buffer.split(b"\0")
        return [json.loads(m) for m in complete if m]

    def send(self, method: str, params: dict | None = None, *, session: str | None = None,
             timeout: float = 30.0) -> dict:
        self._next_id += 1
        my_id = self._next_id
        message = {"id": my_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self._read_messages(deadline - time.monotonic()):
                if m.get("id") == my_id:
                    if "error" in m:
                        raise RuntimeError(f"{method}: {m['error']}")
                    return m.get("result", {})
                self._on_event(m)
        raise TimeoutError(method)

    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            for m in self._read_messages(left):
                self._on_event(m)

    def _on_event(self, m: dict) -> None:
        if "method" not in m:
            return
        self.events.append(m)
        if m["method"] == "Target.attachedToTarget":  # iframes in their own process, workers
            session = m["params"]["sessionId"]
            for method in ("Runtime.enable", "Log.enable", "Network.enable"):
                self._post(method, session)
            self._post("Target.setAutoAttach", session,
                       {"autoAttach": True, "waitForDebuggerOnStart": False, "flatten": True})
            self._post("Runtime.runIfWaitingForDebugger", session)

    def _post(self, method: str, session: str, params: dict | None = None) -> None:
        """Send without waiting (used from the event handler)."""
        self._next_id += 1
        os.write(self._to_child, json.dumps({"id": self._next_id, "method": method, "params": params or {},
                                             "sessionId": session}).encode() + b"\0")


class PageVisit:
    """What one page did: its requests, console errors and whether it loaded."""

    def __init__(self, url: str):
        self.url = url
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.loaded = False

    @property
    def external(self) -> list[str]:
        return [u for u in self.requests if not is_local(u)]


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ALLOWED_SCHEMES:
        return True
    return parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname in ALLOWED_HOSTS


def _summarise(events: list[dict], visit: PageVisit) -> None:
    for e in events:
        method, p = e["method"], e.get("params", {})
        if method == "Network.requestWillBeSent":
            visit.requests.append(p["request"]["url"])
        elif method == "Network.webSocketCreated":
            visit.requests.append(p["url"])
        elif (method == "Network.responseReceived" and p["response"]["status"] >= 400
              and urlsplit(p["response"]["url"]).path != "/favicon.ico"):  # fetched by the browser itself
            visit.errors.append(f"HTTP {p['response']['status']} {p['response']['url']}")
        elif method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            visit.errors.append(f"exception: {d.get('exception', {}).get('description') or d.get('text')}")
        elif method == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            visit.errors.append(f"console.{p['type']}: {args}")
        elif (method == "Log.entryAdded" and p["entry"]["level"] == "error"
              and urlsplit(p["entry"].get("url", "")).path != "/favicon.ico"):
            visit.errors.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}".strip())


@contextlib.contextmanager
def browser(tmp_path: Path):
    executable = find_chromium()
    if executable is None:
        pytest.skip("chromium not installed (scripts/ensure-chromium.sh installs it)")
    chrome = Chromium(executable, tmp_path / "profile")
    try:
        target = chrome.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = chrome.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            chrome.send(method, session=session)
        chrome.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": False,
                                             "flatten": True}, session=session)
        chrome.send("Network.setCacheDisabled", {"cacheDisabled": True}, session=session)
        yield chrome, session
    finally:
        chrome.close()


def visit(chrome: Chromium, session: str, url: str) -> PageVisit:
    """Load ``url``, wait for the load event and a quiet network, and summarise what happened."""
    result = PageVisit(url)
    parts = urlsplit(url)
    # every page as a reader's first visit: nothing remembered from earlier pages
    chrome.send("Storage.clearDataForOrigin", {"origin": f"{parts.scheme}://{parts.netloc}",
                                               "storageTypes": "all"}, session=session)
    start = len(chrome.events)
    nav = chrome.send("Page.navigate", {"url": url}, session=session)
    if nav.get("errorText"):
        result.errors.append(f"navigation: {nav['errorText']}")
        return result
    deadline = time.monotonic() + PAGE_TIMEOUT
    while time.monotonic() < deadline and not result.loaded:
        chrome.pump(0.05)
        result.loaded = any(e["method"] == "Page.loadEventFired" and e.get("sessionId") == session
                            for e in chrome.events[start:])
    seen = -1
    while time.monotonic() < deadline and seen != len(chrome.events):  # until nothing new for SETTLE s
        seen = len(chrome.events)
        chrome.pump(SETTLE)
    _summarise(chrome.events[start:], result)
    if not result.loaded:
        result.errors.append("page did not finish loading")
    return result


def site_pages(site: Path) -> list[str]:
    """Every page of a site; theme fragments under ``_static/`` etc. are assets, not pages."""
    pages = (p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    return sorted(p for p in pages if not p.startswith("_"))


# ------------------------------------------------------------------------------ checker self-test

FAKE_PAGES = {
    "index.html": '<html><body><h1>ok</h1><img alt="dot" src="data:image/gif;base64,'
                  'R0lGODlhAQABAAAAACw="><script src="_static/app.js"></script></body></html>',
    "_static/app.js": "document.title = 'fine';",
    "bad.html": '<html><body><img alt="" src="https://tiles.example.com/1/2/3.png">'
                '<script>console.error("boom"); undefinedFunction();</script>'
                '<script src="missing.js"></script></body></html>',
    "map.html": '<html><body><iframe srcdoc="&lt;script src=&quot;https://cdn.example.org/leaflet.js&quot;'
                '&gt;&lt;/script&gt;&lt;p&gt;map&lt;/p&gt;"></iframe></body></html>',
}


@pytest.mark.browser
def test_checker_sees_errors_and_external_requests(tmp_path):
    site = tmp_path / "site"
    for rel, text in FAKE_PAGES.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    with serve(site) as base, browser(tmp_path) as (chrome, session):
        visits = {page: visit(chrome, session, f"{base}/{page}") for page in site_pages(site)}
    assert sorted(visits) == ["bad.html", "index.html", "map.html"]
    good = visits["index.html"]
    assert good.loaded and good.errors == [] and good.external == []
    assert f"{base}/_static/app.js" in good.requests
    bad = visits["bad.html"]
    assert bad.external == ["https://tiles.example.com/1/2/3.png"]
    assert any("boom" in e for e in bad.errors)
    assert any("undefinedFunction" in e for e in bad.errors)
    assert any("404" in e and "missing.js" in e for e in bad.errors)
    assert visits["map.html"].external == ["https://cdn.example.org/leaflet.js"]  # inside the iframe


# ------------------------------------------------------------------------------ the built book

@pytest.mark.book
@pytest.mark.browser
@pytest.mark.xdist_group("book")
def test_every_page_of_the_book_loads_cleanly(built_book, tmp_path):
    if find_chromium() is None:
        pytest.skip("chromium not installed (scripts/ensure-chromium.sh installs it)")
    site = built_book.site
    pages = site_pages(site)
    assert "index.html" in pages and len(pages) >= 5
    started = time.monotonic()
    with serve(site) as base, browser(tmp_path) as (chrome, session):
        visits = [visit(chrome, session, f"{base}/{page}") for page in pages]
    errors = {v.url: v.errors for v in visits if v.errors}
    external = {v.url: v.external for v in visits if v.external}
    requests = sum(len(v.requests) for v in visits)
    print(f"\nbrowser: {len(visits)} pages loaded in {time.monotonic() - started:.1f} s, "
          f"{requests} requests, {sum(map(len, errors.values()))} console errors, "
          f"{sum(map(len, external.values()))} external requests")
    assert all(v.loaded for v in visits)
    assert errors == {}
    assert external == {}
