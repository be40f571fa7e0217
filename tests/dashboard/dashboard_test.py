#!/usr/bin/env python3
"""The dashboard in a real browser.

Starts a broker (`--store memory --http`) and a node from BIN_DIR, then headless
Chromium, and drives the page through Chromium's DevTools protocol the way a user
would (mouse clicks at the elements' places, typed text, the keyboard): submits
tasks and sees them in the list, follows a `count` task's progress live to its end,
checks that task data is shown as text (no markup from a task reaches the page),
retries a failed task, cancels a running one, saves screenshots (wide, narrow, dark)
into OUTPUT_DIR, and sees the page say so when the broker goes away.

Usage: dashboard_test.py BIN_DIR OUTPUT_DIR

Needs Debian's chromium and python3-websocket (tools/install-deps.sh --tests).
Every wait is bounded; the broker, the node and Chromium are stopped at the end,
on failure too, and die with this script if it is killed.
"""

import base64
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

try:
    import websocket  # Debian's python3-websocket
except ImportError:
    sys.exit("dashboard_test: python3-websocket is missing (tools/install-deps.sh --tests installs it)")

WAIT_S = 20
WHOLE_TEST_S = 150
CHROMIUM = os.environ.get("ZEROTASK_CHROMIUM", "/usr/bin/chromium")
NODE_NAME = "dashboard-test-node"


class TestFailure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def step(text):
    print(f"dashboard_test: {text}", flush=True)


def wait_until(what, probe, timeout=WAIT_S, interval=0.1):
    """Calls probe() until it returns something true, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TestFailure(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def free_port():
    """A loopback TCP port that was free a moment ago, below the kernel's ephemeral
    range so that no outgoing connection takes it meanwhile."""
    start = 20000 + (os.getpid() % 500) * 16
    for port in list(range(start, 30000)) + list(range(20000, start)):
        if port in free_port.taken:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        free_port.taken.add(port)
        return port
    raise TestFailure("no free loopback port between 20000 and 30000")


free_port.taken = set()


def die_with_parent():
    """Runs in the child before exec: it gets SIGKILL when this script dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


class Processes:
    """The child processes of the test, each in its own process group, logging to
    a file in the output directory; stop_all() ends each one by its id."""

    def __init__(self, output_dir):
        self.output_dir = output_dir
        self.children = []

    def start(self, name, argv):
        log = open(os.path.join(self.output_dir, f"{name}.log"), "wb")
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                 preexec_fn=die_with_parent, start_new_session=True)
        self.children.append((name, child, log))
        return child

    def stop(self, name):
        """SIGTERM to the process `name` (its group), and waits for it to end."""
        for child_name, child, _ in self.children:
            if child_name == name and child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
                child.wait(timeout=WAIT_S)

    def check_running(self):
        for name, child, _ in self.children:
            if child.poll() is not None:
                raise TestFailure(f"{name} exited with status {child.returncode}; see {self.log_path(name)}")

    def log_path(self, name):
        return os.path.join(self.output_dir, f"{name}.log")

    def stop_all(self):
        # The browser first (so that it does not reconnect its event streams),
        # then the node, then the broker.
        for name, child, log in reversed(self.children):
            if child.poll() is None:
                try:
                    os.killpg(child.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    child.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
                    child.wait(timeout=5)
            else:
                # Chromium's helpers may outlive its main process: end its group.
                try:
                    os.killpg(child.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            log.close()

    def print_logs(self):
        """The ends of the broker's and the node's logs (Chromium's is mostly noise
        about D-Bus: only its path is printed)."""
        for name, _, _ in self.children:
            if name == "chromium":
                print(f"----- Chromium's log: {self.log_path(name)}", file=sys.stderr)
                continue
            try:
                with open(self.log_path(name), "rb") as log:
                    tail = log.read()[-3000:].decode("utf-8", "replace")
            except OSError:
                continue
            print(f"----- last lines of {name}.log -----\n{tail}", file=sys.stderr)


def http(base, method, path, body=None):
    """One call of the broker's HTTP interface: (status, parsed JSON body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
    except (urllib.error.URLError, ConnectionError, socket.timeout):
        return None, None


class DevTools:
    """A DevTools protocol session with one page. Events that arrive between
    answers are recorded: page errors, console errors and the URLs requested."""

    def __init__(self, websocket_url):
        # Chromium refuses DevTools connections that carry an Origin header it
        # was not told to allow; this client sends none.
        self.socket = websocket.create_connection(websocket_url, timeout=WAIT_S, suppress_origin=True)
        self.next_id = 0
        self.page_errors = []
        self.requested_urls = []

    def close(self):
        self.socket.close()

    def call(self, method, **params):
        self.next_id += 1
        call_id = self.next_id
        self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        deadline = time.monotonic() + WAIT_S
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TestFailure(f"Chromium did not answer {method} within {WAIT_S} s")
            self.socket.settimeout(remaining)
            message = json.loads(self.socket.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise TestFailure(f"{method} failed: {message['error']}")
                return message.get("result", {})
            self.record(message)

    def record(self, message):
        method = message.get("method")
        params = message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            description = details.get("exception", {}).get("description") or details.get("text")
            self.page_errors.append(f"uncaught exception: {description}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            texts = [str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", [])]
            self.page_errors.append(f"console.{params['type']}: {' '.join(texts)}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.page_errors.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}")
        elif method == "Network.requestWillBeSent":
            self.requested_urls.append(params.get("request", {}).get("url", ""))

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            description = details.get("exception", {}).get("description") or details.get("text")
            raise TestFailure(f"page script failed: {description}\n  in: {expression[:200]}")
        return result.get("result", {}).get("value")

    def query(self, selector, expression):
        """Evaluates `expression` with `e` bound to the element matching `selector`
        (null when there is none)."""
        return self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                             f"return {expression}; }})()")

    def text(self, selector):
        return self.query(selector, "e ? e.textContent : null")

    def click(self, selector):
        """A left click with the mouse at the centre of the element, as a user would
        do it: fails when the element is hidden, disabled or covered by another."""
        def measure():
            return self.query(selector, """e && (() => {
                e.scrollIntoView({block: 'center', inline: 'center'});
                const r = e.getBoundingClientRect();
                const x = r.left + r.width / 2, y = r.top + r.height / 2;
                const top = document.elementFromPoint(x, y);
                return {x, y, width: r.width, height: r.height, disabled: e.disabled === true,
                        reachable: top !== null && (top === e || e.contains(top))};
            })()""")

        def settled():
            # The page moves while its lists refresh: click where the element stays.
            first = measure()
            time.sleep(0.1)
            second = measure()
            return second if first and second and (first["x"], first["y"]) == (second["x"], second["y"]) else None

        target = measure() and wait_until(f"{selector} to stay in place", settled)
        check(target, f"no element {selector} to click")
        check(target["width"] > 0 and target["height"] > 0, f"{selector} is not visible")
        check(not target["disabled"], f"{selector} is disabled")
        check(target["reachable"], f"{selector} is covered by another element")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=target["x"], y=target["y"], button="left", clickCount=1)

    def type_into(self, selector, text):
        """Focuses a field, empties it and types `text` into it."""
        found = self.query(selector, "e && (e.focus(), e.select(), true)")
        check(found, f"no field {selector}")
        self.call("Input.dispatchKeyEvent", type="keyDown", key="Backspace", code="Backspace", windowsVirtualKeyCode=8)
        self.call("Input.dispatchKeyEvent", type="keyUp", key="Backspace", code="Backspace", windowsVirtualKeyCode=8)
        if text:
            self.call("Input.insertText", text=text)
        value = self.query(selector, "e.value")
        check(value == text, f"{selector} holds {value!r} after typing {text!r}")

    def press_enter_on(self, selector):
        """Focuses the element and presses Enter: what a keyboard user does."""
        found = self.query(selector, "e && (e.focus(), document.activeElement === e)")
        check(found, f"{selector} cannot take the keyboard focus")
        self.call("Input.dispatchKeyEvent", type="keyDown", key="Enter", code="Enter", windowsVirtualKeyCode=13, text="\r")
        self.call("Input.dispatchKeyEvent", type="keyUp", key="Enter", code="Enter", windowsVirtualKeyCode=13)

    def screenshot(self, path):
        """The whole page, not only the window, as a PNG."""
        metrics = self.call("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        with open(path, "wb") as out:
            out.write(base64.b64decode(shot["data"]))


def start_chromium(processes, profile_dir):
    processes.start("chromium", [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--disable-extensions", "--mute-audio", "--window-size=1360,1000",
        f"--user-data-dir={profile_dir}", "--remote-debugging-port=0", "about:blank"])
    port_file = os.path.join(profile_dir, "DevToolsActivePort")

    def devtools_port():
        processes.check_running()
        try:
            with open(port_file) as lines:
                first = lines.readline().strip()
        except OSError:
            return None
        return int(first) if first.isdigit() else None

    port = wait_until("Chromium's DevToolsActivePort file", devtools_port)

    def page_target():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as response:
                targets = json.loads(response.read())
        except (urllib.error.URLError, ConnectionError, socket.timeout):
            return None
        pages = [target for target in targets if target.get("type") == "page"]
        return pages[0]["webSocketDebuggerUrl"] if pages else None

    return DevTools(wait_until("Chromium's page target", page_target))


class Dashboard:
    """The dashboard page as the test sees it."""

    def __init__(self, devtools):
        self.page = devtools

    def visible(self, selector):
        return self.page.query(selector, "e !== null && e.getClientRects().length > 0")

    def submit(self, function, params, priority=""):
        """Fills in and sends the submit form; returns the message it shows."""
        before = self.page.query("#submit-message", "e.dataset.submittedId || ''")
        self.page.type_into("#submit-function", function)
        self.page.type_into("#submit-params", params)
        if priority:
            if not self.page.query("#submit-form details", "e.open"):
                self.page.click("#submit-form details > summary")
            self.page.type_into("#submit-priority", priority)
        # The previous answer goes, so that the wait below sees only this one.
        self.page.query("#submit-message", "e.hidden = true")
        self.page.click("#submit-button")
        wait_until(f"the answer to submitting {function}",
                   lambda: self.page.query("#submit-message", "!e.hidden && !e.classList.contains('pending')"))
        message = self.page.text("#submit-message")
        submitted = self.page.query("#submit-message", "e.dataset.submittedId || ''")
        return message, (submitted if submitted and submitted != before else None)

    def submit_ok(self, function, params):
        message, task_id = self.submit(function, params)
        check(task_id, f"submitting {function} {params} failed: {message}")
        check(task_id in message, f"the submit message does not name task {task_id}: {message!r}")
        # Until the new task is in the list the page is still growing: what comes
        # after the list (the form) moves, and a click would miss it.
        self.wait_in_list(task_id)
        return task_id

    def list_row(self, task_id):
        return f'#tasks-table tbody tr[data-task-id="{task_id}"]'

    def wait_in_list(self, task_id):
        wait_until(f"task {task_id} in the task list", lambda: self.visible(self.list_row(task_id)))

    def detail_state(self):
        return self.page.text("#detail-state")

    def wait_detail(self, task_id, state):
        def shown():
            return (self.page.text("#detail-id") == task_id and self.visible("#detail-body")
                    and self.detail_state() == state)
        wait_until(f"task {task_id} shown {state} in the detail panel", shown)

    def detail_field(self, label):
        return self.page.evaluate(f"""(() => {{
            for (const dt of document.querySelectorAll('#detail-fields dt'))
              if (dt.textContent === {json.dumps(label)}) return dt.nextElementSibling.textContent;
            return null; }})()""")

    def progress(self):
        """(done, total) from the progress bar, or None when it is hidden."""
        return self.page.query("#detail-progress", """e && e.closest('#detail-progress-block').hidden === false &&
            e.hasAttribute('aria-valuenow') ? [Number(e.getAttribute('aria-valuenow')),
                                               Number(e.getAttribute('aria-valuemax'))] : null""")


def start_system(bin_dir, processes):
    """A broker with --http and a node; returns the HTTP base address."""
    broker_port, events_port, http_port = free_port(), free_port(), free_port()
    base = f"http://127.0.0.1:{http_port}"
    processes.start("broker", [
        os.path.join(bin_dir, "broker"), "--store", "memory",
        "--endpoint", f"tcp://127.0.0.1:{broker_port}", "--events", f"tcp://127.0.0.1:{events_port}",
        "--http", f"127.0.0.1:{http_port}"])

    def healthy():
        processes.check_running()
        return http(base, "GET", "/healthz")[0] == 200

    wait_until("the broker's /healthz", healthy)
    processes.start("node", [
        os.path.join(bin_dir, "node"), "--broker", f"tcp://127.0.0.1:{broker_port}",
        "--events", f"tcp://127.0.0.1:{events_port}", "--threads", "2", "--name", NODE_NAME])
    step(f"broker at {base} with node {NODE_NAME}")
    return base


def check_overview(devtools):
    wait_until("the node in the Nodes table",
               lambda: NODE_NAME in (devtools.text("#nodes-table tbody") or ""))
    wait_until("count and fail in the Functions table",
               lambda: all(name in (devtools.text("#functions-table tbody") or "") for name in ("count", "fail")))
    check(devtools.text("#live-text") == "live",
          f"the page does not say it is live: {devtools.text('#live-text')!r}")
    step("the overview shows the node and its functions")


def check_bad_submissions(page, devtools):
    """Bad input is refused with a message: one the page finds, one the broker finds."""
    message, task_id = page.submit("count", "[1,")
    check(task_id is None and "not valid JSON" in message, f"bad JSON params gave {message!r}")
    message, task_id = page.submit("count", "[3]", priority="42")
    check(task_id is None and "refused" in message and "priority" in message,
          f"a priority of 42 gave {message!r}")
    devtools.type_into("#submit-priority", "")
    # Chromium logs the broker's 400 answer as a failed load: that one is expected.
    expected = [error for error in devtools.page_errors if "status of 400" in error and error.endswith("/tasks")]
    check(len(expected) == 1, f"the refused submission was not one 400 from POST /tasks: {devtools.page_errors}")
    devtools.page_errors.remove(expected[0])
    step(f"bad submissions are refused with a message: {message!r}")


def check_live_progress(page, devtools, count_id):
    """The count task, opened from the keyboard (the id in the list is a button),
    moves its progress bar from the task's event stream to the end."""
    devtools.press_enter_on(f"{page.list_row(count_id)} button.task-link")
    wait_until("the count task in the detail panel", lambda: devtools.text("#detail-id") == count_id)
    wait_until("the detail's live event stream", lambda: page.visible("#detail-live"))
    check(any(f"/events?task={count_id}" in url for url in devtools.requested_urls),
          "the detail panel did not open GET /events?task=<id>")
    seen = set()
    deadline = time.monotonic() + WAIT_S
    while True:
        progress = page.progress()
        if progress:
            seen.add(progress[0])
            if progress[0] == 50 and page.detail_state() == "SUCCEEDED":
                break
        if time.monotonic() > deadline:
            raise TestFailure(f"the count task did not reach 50/50 SUCCEEDED within {WAIT_S} s; "
                              f"progress seen: {sorted(seen)}, state {page.detail_state()!r}")
        time.sleep(0.05)
    # The page reads the overview every 5 s: only events move the bar this often.
    intermediate = sorted(value for value in seen if 0 < value < 50)
    check(len(intermediate) >= 5, f"the progress bar did not move live; values seen: {sorted(seen)}")
    check(devtools.text("#detail-result").strip() == "50", f"count's result shows {devtools.text('#detail-result')!r}")
    check(devtools.text("#detail-progress-text").startswith("50 / 50"),
          f"the progress text says {devtools.text('#detail-progress-text')!r}")
    check(devtools.query("#action-cancel", "e.disabled") and devtools.query("#action-retry", "e.disabled"),
          "Cancel or Retry is enabled on a succeeded task")
    step(f"count progressed live through {len(intermediate)} intermediate values to 50/50, SUCCEEDED")


def check_markup_is_text(page, devtools, echo_id, markup):
    devtools.click(f"{page.list_row(echo_id)} button.task-link")
    page.wait_detail(echo_id, "SUCCEEDED")
    check(devtools.text("#detail-result") == json.dumps(markup),
          f"the echo result shows {devtools.text('#detail-result')!r}")
    check(json.dumps(markup) in devtools.text("#detail-params"),
          f"the echo params show {devtools.text('#detail-params')!r}")
    check(devtools.evaluate("document.querySelector('main img, main b') === null && window.__xss === undefined"),
          "markup from a task became part of the page")
    step("markup in a task's params and result is shown as text")


def check_retry(page, devtools, base, fail_id):
    """Dead letters: the FAILED counter filters the list; Retry runs the task again."""
    devtools.click('.stat[data-state="FAILED"]')
    page.wait_in_list(fail_id)
    wait_until("a list of only FAILED tasks", lambda: devtools.evaluate(
        "[...document.querySelectorAll('#tasks-table tbody .badge')].every(b => b.textContent === 'FAILED')"))
    check(devtools.query('.stat[data-state="FAILED"]', "e.getAttribute('aria-pressed')") == "true",
          "the FAILED counter does not show that it filters")
    devtools.click(f"{page.list_row(fail_id)} button.task-link")
    page.wait_detail(fail_id, "FAILED")
    check("boom from the dashboard test" in devtools.text("#detail-outcome"),
          f"the error is not shown: {devtools.text('#detail-outcome')!r}")
    check(page.detail_field("Attempt").startswith("1 "), f"attempt shows {page.detail_field('Attempt')!r}")
    check(devtools.query("#action-cancel", "e.disabled"), "Cancel is enabled on a failed task")
    devtools.click("#action-retry")
    wait_until("the retry's message", lambda: "Queued again" in (devtools.text("#action-message") or ""))
    wait_until("the retried task's second attempt, failed again, in the detail panel",
               lambda: page.detail_state() == "FAILED" and (page.detail_field("Attempt") or "").startswith("2 "))
    status, task = http(base, "GET", f"/tasks/{fail_id}")
    check(status == 200 and task["state"] == "FAILED" and task["attempt"] == 2,
          f"the broker has the retried task as {status} {task}")
    devtools.click('.stat[data-state="FAILED"]')  # pressed again: all tasks
    wait_until("the unfiltered list", lambda: devtools.query("#filter-state", "e.value") == "")
    step(f"retried failed task {fail_id}: it ran a second attempt")


def check_cancel(page, devtools):
    """A running task, opened from the link in the submit form's answer, cancelled."""
    long_id = page.submit_ok("count", "[1000, 100]")
    devtools.click("#submit-message button")
    wait_until("the long count running with progress",
               lambda: devtools.text("#detail-id") == long_id and page.detail_state() == "RUNNING" and page.progress())
    devtools.click("#action-cancel")
    page.wait_detail(long_id, "CANCELLED")
    check("was cancelled" in devtools.text("#detail-outcome"),
          f"the cancelled task's error is not shown: {devtools.text('#detail-outcome')!r}")
    step(f"cancelled running task {long_id}")


def take_screenshots(page, devtools, base, output_dir):
    """A task in progress in a wide window, a narrow window, the dark scheme."""
    shown_id = page.submit_ok("count", "[40, 150]")
    devtools.click("#submit-message button")
    wait_until("the new count at a third of its way",
               lambda: devtools.text("#detail-id") == shown_id and (page.progress() or [0])[0] >= 14)
    devtools.evaluate("window.scrollTo(0, 0)")
    wide = os.path.join(output_dir, "dashboard.png")
    devtools.screenshot(wide)
    devtools.call("Emulation.setDeviceMetricsOverride", width=400, height=900, deviceScaleFactor=1, mobile=True)
    wait_until("the narrow layout", lambda: devtools.evaluate("window.innerWidth") == 400)
    overflow = devtools.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    check(overflow <= 0, f"the page is {overflow} px wider than a 400 px window")
    narrow = os.path.join(output_dir, "dashboard-narrow.png")
    devtools.screenshot(narrow)
    devtools.call("Emulation.setDeviceMetricsOverride", width=1360, height=1000, deviceScaleFactor=1, mobile=False)
    devtools.call("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": "dark"}])
    dark = os.path.join(output_dir, "dashboard-dark.png")
    devtools.screenshot(dark)
    http(base, "DELETE", f"/tasks/{shown_id}")  # so that the node stops at once
    for path in (wide, narrow, dark):
        print(f"dashboard_test: screenshot {path}", flush=True)


def run(bin_dir, output_dir, processes, profile_dir):
    base = start_system(bin_dir, processes)
    devtools = start_chromium(processes, profile_dir)
    for domain in ("Runtime", "Log", "Network", "Page"):
        devtools.call(f"{domain}.enable")
    devtools.call("Emulation.setDeviceMetricsOverride", width=1360, height=1000, deviceScaleFactor=1, mobile=False)
    devtools.call("Page.navigate", url=base + "/")
    page = Dashboard(devtools)

    check_overview(devtools)
    check_bad_submissions(page, devtools)
    markup = '<img src=x onerror="window.__xss = 1"><b>bold</b>'
    count_id = page.submit_ok("count", "[50, 100]")
    fail_id = page.submit_ok("fail", '["boom from the dashboard test"]')
    echo_id = page.submit_ok("echo", json.dumps([markup]))
    for task_id in (count_id, fail_id, echo_id):
        page.wait_in_list(task_id)  # all three still there
    step(f"submitted count {count_id}, fail {fail_id} and echo {echo_id}: each appeared in the task list")
    check_live_progress(page, devtools, count_id)
    check_markup_is_text(page, devtools, echo_id, markup)
    check_retry(page, devtools, base, fail_id)
    check_cancel(page, devtools)
    take_screenshots(page, devtools, base, output_dir)

    check(not devtools.page_errors, "the page reported errors:\n  " + "\n  ".join(devtools.page_errors))
    foreign = [url for url in devtools.requested_urls if not url.startswith(base + "/") and not url.startswith("data:")]
    check(not foreign, f"the page fetched from elsewhere than the broker: {foreign}")

    # A broker that goes away is said so (its failed requests are expected now).
    processes.stop("broker")
    wait_until("the page saying the broker is unreachable", lambda: devtools.text("#live-text") == "broker unreachable"
               and not devtools.query("#banner", "e.hidden"))
    step(f"with the broker stopped the page says: {devtools.text('#banner')!r}")
    devtools.close()


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: dashboard_test.py BIN_DIR OUTPUT_DIR")
    bin_dir, output_dir = sys.argv[1], sys.argv[2]
    for program in ("broker", "node"):
        if not os.access(os.path.join(bin_dir, program), os.X_OK):
            sys.exit(f"dashboard_test: no executable {program} in {bin_dir}")
    if not os.access(CHROMIUM, os.X_OK):
        sys.exit(f"dashboard_test: no Chromium at {CHROMIUM} (tools/install-deps.sh --tests installs Debian's chromium)")
    os.makedirs(output_dir, exist_ok=True)

    def overall_timeout(signum, frame):
        raise TestFailure(f"the whole test ran past {WHOLE_TEST_S} s")

    signal.signal(signal.SIGALRM, overall_timeout)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit("dashboard_test: terminated"))
    signal.alarm(WHOLE_TEST_S)
    processes = Processes(output_dir)
    profile_dir = tempfile.mkdtemp(prefix="zerotask-dashboard-chromium-")
    failure = None
    try:
        run(bin_dir, output_dir, processes, profile_dir)
    except TestFailure as error:
        failure = error
    finally:
        signal.alarm(0)
        processes.stop_all()
        shutil.rmtree(profile_dir, ignore_errors=True)
    if failure:
        processes.print_logs()
        print(f"dashboard_test: FAILED: {failure}", file=sys.stderr)
        return 1
    print("dashboard_test: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
