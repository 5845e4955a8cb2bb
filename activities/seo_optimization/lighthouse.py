"""Lighthouse itself, when it and Chromium are installed: each page is loaded in headless
Chromium (`--headless=new --no-sandbox`, as root here) and Lighthouse's verdict on the
same audits the static checks run is read from its JSON report.

A directory is served by a loopback HTTP server for the run, so Lighthouse sees real
HTTP answers (and the site's robots.txt) exactly as a crawler would. Nothing here is
required: without Lighthouse, Chromium or Node the report says which is missing and
how to install it.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

from activities.seo_optimization.checks import PAGE_AUDITS

VERSION = "12.2.3"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL = (
    f"install them with `apt-get install -y chromium` and `make lighthouse` (npm "
    f"lighthouse@{VERSION} into .venv/node, Node 20), or set ATTUNE_LIGHTHOUSE and CHROME_PATH"
)
BATCH_SCRIPT = Path(__file__).with_name("lighthouse_pages.mjs")
LIGHTHOUSE_AUDITS = tuple(a for a in PAGE_AUDITS if a != "structured-data")
"""Lighthouse's structured-data audit is manual (no verdict), so it is not asked for."""


@dataclass(frozen=True)
class Tools:
    node: str
    lighthouse: str
    chromium: str


def find_lighthouse() -> str | None:
    """ATTUNE_LIGHTHOUSE, the copy `make lighthouse` puts beside attune's Python, one
    under $ATTUNE_HOME/tools, or `lighthouse` on PATH."""
    from activities.artifacts import attune_home

    configured = os.environ.get("ATTUNE_LIGHTHOUSE")
    if configured:
        return configured if Path(configured).is_file() else None
    for prefix in (Path(sys.prefix) / "node", attune_home() / "tools"):
        candidate = prefix / "node_modules" / ".bin" / "lighthouse"
        if candidate.exists():
            return str(candidate)
    return shutil.which("lighthouse")


def find_chromium() -> str | None:
    configured = os.environ.get("CHROME_PATH")
    if configured:
        return configured if Path(configured).is_file() else None
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def find_tools() -> tuple[Tools | None, str]:
    """The tools, or None and what is missing with how to install it."""
    missing = []
    node = shutil.which("node")
    lighthouse = find_lighthouse()
    chromium = find_chromium()
    if node is None:
        missing.append("Node.js")
    if lighthouse is None:
        missing.append(f"Lighthouse {VERSION}")
    if chromium is None:
        missing.append("Chromium")
    if missing:
        return None, f"{' and '.join(missing)} not installed: {INSTALL}"
    assert node and lighthouse and chromium
    return Tools(node=node, lighthouse=lighthouse, chromium=chromium), ""


def lighthouse_version(tools: Tools) -> str:
    done = subprocess.run(
        [tools.lighthouse, "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    return done.stdout.strip()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Quiet: Lighthouse's report is the record."""


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """`root` over HTTP on a free loopback port, for the length of the block."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def verdicts(report: dict) -> dict[str, str]:
    """pass, fail or na per audit of a Lighthouse JSON report, or of a line of the batch
    runner (na: not applicable, manual, or an audit that errored)."""
    found = {}
    for audit in LIGHTHOUSE_AUDITS:
        entry = report.get("audits", {}).get(audit)
        if entry is None:
            continue
        mode, score = entry.get("scoreDisplayMode"), entry.get("score")
        if mode in ("notApplicable", "manual", "error") or score is None:
            found[audit] = "na"
        else:
            found[audit] = "pass" if score >= 1 else "fail"
    return found


def run_lighthouse(tools: Tools, url: str, timeout_s: int) -> dict[str, str]:
    """Lighthouse's verdicts on one page; RuntimeError with its last words on failure."""
    command = [
        tools.lighthouse,
        url,
        "--output=json",
        "--output-path=stdout",
        "--quiet",
        "--throttling-method=provided",
        "--disable-full-page-screenshot",
        f"--only-audits={','.join(LIGHTHOUSE_AUDITS)}",
        f"--chrome-flags={CHROME_FLAGS}",
        f"--max-wait-for-load={max(5, timeout_s // 2) * 1000}",
    ]
    env = {**os.environ, "CHROME_PATH": tools.chromium}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, check=False, env=env
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"Lighthouse ran past {timeout_s} s on {url}") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"Lighthouse exited {done.returncode}")
    try:
        report = json.loads(done.stdout)
    except ValueError:
        raise RuntimeError("Lighthouse printed no JSON report") from None
    if report.get("runtimeError"):
        raise RuntimeError(report["runtimeError"].get("message", "runtime error"))
    return verdicts(report)


def package_dir(tools: Tools) -> Path | None:
    """The Lighthouse package behind the `lighthouse` command, when it is an npm install
    (its bin is `cli/index.js` in the package)."""
    cli = Path(tools.lighthouse).resolve()
    root = cli.parent.parent
    if cli.name == "index.js" and (root / "core" / "index.js").is_file():
        return root
    return None


def run_batch(
    tools: Tools,
    package: Path,
    urls: list[str],
    timeout_s: int,
    on_page: Callable[[str, dict[str, str] | None, str], None],
) -> None:
    """Lighthouse on `urls` in one Node process and one Chromium (lighthouse_pages.mjs);
    `on_page(url, verdicts, error)` as each page is done."""
    job = {
        "lighthouse": str(package),
        "chromePath": tools.chromium,
        "chromeFlags": CHROME_FLAGS.split(),
        "audits": list(LIGHTHOUSE_AUDITS),
        "timeoutMs": timeout_s * 1000,
        "urls": urls,
    }
    with subprocess.Popen(
        [tools.node, str(BATCH_SCRIPT), json.dumps(job)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        done: set[str] = set()
        try:
            for line in process.stdout:
                try:
                    answer = json.loads(line)
                except ValueError:
                    continue
                done.add(answer["url"])
                if "error" in answer:
                    on_page(answer["url"], None, answer["error"])
                else:
                    on_page(answer["url"], verdicts(answer), "")
        except BaseException:
            _stop(process)
            raise
        stderr = process.stderr.read() if process.stderr else ""
        process.wait()
    last = (
        stderr.strip().splitlines() or [f"Lighthouse's Node process exited {process.returncode}"]
    )[-1]
    for url in urls:
        if url not in done:
            on_page(url, None, last)


def _stop(process: subprocess.Popen) -> None:
    """SIGINT first: chrome-launcher closes its Chromium on it, where SIGKILL would leave
    the browser running."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def lighthouse_pages(
    tools: Tools,
    root: Path | None,
    pages: list[tuple[str, str]],
    timeout_s: int,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Verdicts by page path, and the error of each page Lighthouse could not audit.
    `pages` are (path, URL); with `root`, the pages are served from it instead. One
    Node process audits them all when Lighthouse is an npm install, else its CLI runs
    once per page."""
    results: dict[str, dict[str, str]] = {}
    errors: dict[str, str] = {}
    package = package_dir(tools)

    def each(base: str | None) -> None:
        addresses = {(f"{base}/{quote(path)}" if base else url): path for path, url in pages}
        if package is not None:

            def on_page(url: str, found: dict[str, str] | None, error: str) -> None:
                path = addresses[url]
                if found is None:
                    errors[path] = error
                else:
                    results[path] = found
                if progress:
                    progress(len(results) + len(errors))

            run_batch(tools, package, list(addresses), timeout_s, on_page)
            return
        for number, (address, path) in enumerate(addresses.items(), 1):
            try:
                results[path] = run_lighthouse(tools, address, timeout_s)
            except (RuntimeError, OSError) as err:
                errors[path] = str(err)
            if progress:
                progress(number)

    if root is None:
        each(None)
    else:
        with serve(root) as base:
            each(base)
    return results, errors
