"""Drive the built docs site in Debian's headless Chromium (Playwright), as a user would: type into Material's
search box and read what it shows. Shared by tests/test_site.py and benchmarks/site_search.py."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import socketserver
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import yaml

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def search_box_queries(file: Path) -> list[dict]:
    """Entries of an eval file ({q, expect}) that a search box can hold: one line, under 300 characters."""
    entries = yaml.safe_load(Path(file).read_text())
    return [e for e in entries if "\n" not in e["q"].strip() and len(e["q"]) < 300]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serve(site: Path):
    """The site on a localhost port, as any static host would serve it."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class SiteBrowser:
    """One Chromium page on the site. Every request is checked: anything not from `origin` is recorded and
    aborted (so a test can assert that nothing leaves the site)."""

    def __init__(self, playwright, origin: str, user_data_dir: Path):
        self.origin = origin
        self.external: list[str] = []
        self.requested: list[str] = []
        self.errors: list[str] = []
        self.context = playwright.chromium.launch_persistent_context(
            str(user_data_dir), executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
        )
        self.context.route("**/*", self._route)
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _route(self, route):
        url = route.request.url
        self.requested.append(url)
        if url.startswith(self.origin + "/") or url.startswith("file://"):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def open(self, path: str = "index.html") -> None:
        self.page.goto(f"{self.origin}/{path}" if "://" not in path else path)
        self.page.wait_for_load_state("load")

    @property
    def worker(self):
        for worker in self.page.workers:
            if "/assets/kb/search." in worker.url:
                return worker
        return None

    def worker_state(self) -> dict:
        worker = self.worker
        return json.loads(worker.evaluate("JSON.stringify(self.kb)")) if worker else {}

    def type_query(self, query: str) -> None:
        box = self.page.locator("input.md-search__input")
        box.click()
        box.fill(query)
        box.press("End")  # a keyup: Material sends the query to the worker on keyup

    def wait_for(self, query: str, mode: str = "semantic", timeout: float = 120.0) -> dict:
        """Wait until the worker has answered `query` in `mode`; returns its record (slugs, ms)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.worker_state()
            result = state.get("lastResult") or {}
            if result.get("query") == query and result.get("mode") == mode:
                return {**result, "timings": state.get("timings", {})}
            if state.get("model") == "failed" or state.get("index") == "failed":
                raise AssertionError(f"search worker failed: {state.get('error')}")
            self.page.wait_for_timeout(50)
        raise AssertionError(f"no {mode} answer for {query!r} within {timeout} s: {self.worker_state()}")

    def shown_titles(self) -> list[str]:
        """The result titles the search box shows, top first."""
        self.page.wait_for_selector(".md-search-result__item")
        return [t.strip() for t in self.page.locator(".md-search-result__item h1").all_inner_texts()]

    def close(self) -> None:
        self.context.close()
