#!/usr/bin/env python3
"""The Python client and node of examples/python against the real executables:
a broker (`broker --store memory`, or an SQLite file across a restart), the Python
example node, the C++ `node` and `zt`, all on free loopback ports.

    test_python_examples.py --bin-dir BUILD/bin [unittest arguments, e.g. a class name]

Plain unittest and python3-zmq; every wait has a deadline, and every process
started is killed and reaped at the end, whatever happened. Logs of the processes
are printed when a test fails.
"""

import argparse
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

# No __pycache__ folders in the source tree, from this process or the nodes it starts.
sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "python")
sys.path.insert(0, EXAMPLES)

# The examples need python3-zmq: say so plainly when this interpreter lacks it.
if importlib.util.find_spec("zmq") is None:
    print(f"python3-zmq is not importable by {sys.executable} (on Debian: apt-get install python3-zmq)",
          file=sys.stderr)
    sys.exit(1)

from zerotask_client import Client, RpcError  # noqa: E402

BIN_DIR = None  # from --bin-dir
TASK_ID = re.compile(r"^[0-9a-f]{16}$")
SYSTEMS = []  # every System made, so that the logs of a failed run can be printed
# Children are killed when this process dies, even by SIGKILL (a CTest timeout):
# util-linux's setpriv sets the parent-death signal, which survives its exec.
DIE_WITH_THIS_PROCESS = ["setpriv", "--pdeathsig", "KILL"] if shutil.which("setpriv") else []


def wait_until(condition, timeout=10.0, interval=0.05):
    """Polls `condition` until it is true or `timeout` s have passed; returns its
    last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return condition()


def free_port_pair():
    """A loopback port whose next port is free too (the broker binds both)."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port >= 65535:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free pair of loopback ports found")


def cpu_seconds(pid):
    """The CPU time a process has used so far, user and system (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class System:
    """A broker and nodes as child processes, with their logs in a temporary folder."""

    def __init__(self):
        self.folder = tempfile.TemporaryDirectory(prefix="zerotask-python-")
        self.processes = {}  # name -> Popen
        self.endpoint = None
        self.client = None
        SYSTEMS.append(self)

    def log_path(self, name):
        return os.path.join(self.folder.name, f"{name}.log")

    def spawn(self, name, command):
        log = open(self.log_path(name), "ab")
        try:
            process = subprocess.Popen(DIE_WITH_THIS_PROCESS + command, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        finally:
            log.close()
        self.processes[name] = process
        return process

    def start_broker(self, *extra):
        """Starts the broker and waits until it answers broker.ping. A restart keeps
        the port (the nodes reconnect to it); a first start takes a free pair, and
        another one if that was taken meanwhile."""
        for _ in range(1 if self.endpoint else 5):
            endpoint = self.endpoint or f"tcp://127.0.0.1:{free_port_pair()}"
            process = self.spawn("broker", [os.path.join(BIN_DIR, "broker"), "--endpoint", endpoint,
                                            "--heartbeat-ms", "200", "--retry-backoff-ms", "50",
                                            "--log-level", "warn", *extra])
            if self.client is None:
                self.client = Client(endpoint)
            if wait_until(lambda: process.poll() is not None or self.answers(), timeout=10) and \
                    process.poll() is None:
                self.endpoint = endpoint
                return process
            self.kill("broker")
            if self.endpoint is None:
                self.client.close()
                self.client = None
        raise RuntimeError(f"the broker did not start; log: {self.tail('broker')}")

    def answers(self):
        try:
            self.client.ping(timeout=0.5)
            return True
        except (TimeoutError, RpcError):
            return False

    def node_names(self):
        try:
            return {node["name"] for node in self.client.nodes(timeout=2)}
        except (TimeoutError, RpcError):
            return set()

    def start_python_node(self, name, *extra):
        process = self.spawn(name, [sys.executable, os.path.join(EXAMPLES, "zerotask_node.py"),
                                    "--broker", self.endpoint, "--name", name, "--log-level", "info", *extra])
        self.wait_for_node(name, process)
        return process

    def start_cpp_node(self, name):
        process = self.spawn(name, [os.path.join(BIN_DIR, "node"), "--broker", self.endpoint, "--name", name,
                                    "--threads", "2", "--heartbeat-ms", "200", "--log-level", "warn"])
        self.wait_for_node(name, process)
        return process

    def wait_for_node(self, name, process):
        if not wait_until(lambda: process.poll() is not None or name in self.node_names(), timeout=15) or \
                process.poll() is not None:
            raise RuntimeError(f"node {name} never joined; log: {self.tail(name)}")

    def zt(self, *args, timeout=20):
        command = [os.path.join(BIN_DIR, "zt"), args[0], "--broker", self.endpoint, *args[1:]]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def kill(self, name):
        process = self.processes.pop(name)
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)

    def stop(self, name, timeout=20):
        """SIGTERM, then the exit status (SIGKILL and an error past `timeout` s)."""
        process = self.processes.pop(name)
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            raise AssertionError(f"{name} did not stop within {timeout} s of SIGTERM")

    def tail(self, name, lines=40):
        try:
            with open(self.log_path(name), errors="replace") as log:
                return "".join(log.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def print_logs(self):
        for entry in sorted(os.listdir(self.folder.name)):
            if entry.endswith(".log"):
                print(f"--- {entry} (last 40 lines)\n{self.tail(entry[:-4])}", file=sys.stderr)

    def close(self):
        """Kills whatever still runs and removes the folder (after the logs, if any
        test failed, were printed by main)."""
        for name in list(self.processes):
            self.kill(name)
        if self.client is not None:
            self.client.close()
            self.client = None


class SharedSystemTest(unittest.TestCase):
    """One broker (memory store), the Python example node and the C++ node, used by
    every case; each case makes tasks of its own."""

    @classmethod
    def setUpClass(cls):
        cls.system = System()
        cls.addClassCleanup(cls.system.close)
        cls.system.start_broker("--store", "memory")
        cls.system.start_python_node("python-node", "--workers", "4")
        cls.system.start_cpp_node("cpp-node")
        cls.client = cls.system.client

    def test_the_python_client_calls_the_cpp_nodes_add(self):
        self.assertEqual(self.client.call("add", 5, 6, timeout=10), 11)
        self.assertEqual(self.client.call("subtract", 5, 6, timeout=10), -1)

    def test_the_python_client_calls_the_python_nodes_functions(self):
        self.assertEqual(self.client.call("py.upper", "zerotask", timeout=10), "ZEROTASK")
        self.assertEqual(self.client.call("py.sum", 1, 2, 3.5, timeout=10), 6.5)

    def test_zt_calls_the_python_nodes_functions(self):
        upper = self.system.zt("call", "py.upper", '"abc"')
        self.assertEqual(upper.returncode, 0, upper.stderr)
        self.assertEqual(upper.stdout.strip(), "ABC")
        total = self.system.zt("call", "py.sum", "1", "2", "39")
        self.assertEqual(total.returncode, 0, total.stderr)
        self.assertEqual(total.stdout.strip(), "42")

    def test_zt_watch_shows_the_progress_of_a_python_task(self):
        submitted = self.system.zt("submit", "py.count", "3", "100")
        self.assertEqual(submitted.returncode, 0, submitted.stderr)
        task_id = submitted.stdout.strip()
        self.assertRegex(task_id, TASK_ID)
        watched = self.system.zt("watch", task_id)
        self.assertEqual(watched.returncode, 0, watched.stderr)
        self.assertIn("3/3 step 3 of 3", watched.stdout)
        self.assertIn("SUCCEEDED", watched.stdout)

    def test_a_python_exception_is_a_json_rpc_error_for_the_python_client(self):
        with self.assertRaises(RpcError) as raised:
            self.client.call("py.fail", "the disk is on fire", timeout=10)
        self.assertEqual(raised.exception.code, -32000)
        self.assertEqual(raised.exception.message, "the disk is on fire")
        self.assertEqual(raised.exception.data["type"], "ValueError")
        self.assertRegex(raised.exception.data["task"], TASK_ID)

    def test_a_python_exception_is_an_error_for_zt(self):
        failed = self.system.zt("call", "py.fail", '"no luck"')
        self.assertNotEqual(failed.returncode, 0)
        self.assertIn("no luck", failed.stderr + failed.stdout)

    def test_a_cpp_exception_is_a_json_rpc_error_for_the_python_client(self):
        task_id = self.client.submit("fail", "cpp says no", max_retries=0)
        with self.assertRaises(RpcError) as raised:
            self.client.result(task_id, timeout=10)
        self.assertEqual(raised.exception.code, -32000)
        self.assertEqual(raised.exception.message, "cpp says no")
        self.assertEqual(raised.exception.data["type"], "std::runtime_error")

    def test_bad_params_of_a_python_function_fail_the_task_with_the_reason(self):
        task_id = self.client.submit("py.upper", 42, max_retries=0)
        with self.assertRaises(RpcError) as raised:
            self.client.result(task_id, timeout=10)
        self.assertEqual((raised.exception.code, raised.exception.message), (-32000, "py.upper expects one string"))
        self.assertEqual(raised.exception.data["type"], "TypeError")

    def test_broker_errors_are_raised_with_their_codes(self):
        cases = [
            (lambda: self.client.get("ffffffffffffffff"), -32004),
            (lambda: self.client.request("task.no_such_method", {}), -32601),
            (lambda: self.client.request("task.submit", {"params": [1]}), -32602),
            (lambda: self.client.request("task.submit", {"function": "add", "priority": 10}), -32602),
        ]
        for call, code in cases:
            with self.assertRaises(RpcError) as raised:
                call()
            self.assertEqual(raised.exception.code, code, raised.exception.message)
            self.assertTrue(raised.exception.message)
        finished = self.client.submit("py.upper", "done")
        self.assertEqual(self.client.result(finished, timeout=10), "DONE")
        with self.assertRaises(RpcError) as raised:
            self.client.cancel(finished)
        self.assertEqual(raised.exception.code, -32007)

    def test_submit_get_and_wait_follow_a_python_task(self):
        task_id = self.client.submit("py.sum", 20, 22)
        self.assertRegex(task_id, TASK_ID)
        task = self.client.wait(task_id, timeout=10)
        self.assertEqual((task["state"], task["result"], task["node"]), ("SUCCEEDED", 42, "python-node"))
        self.assertEqual(self.client.get(task_id)["function"], "py.sum")

    def test_progress_of_a_python_task_is_seen_while_it_runs(self):
        task_id = self.client.submit("py.count", 5, 60)
        seen = list(self.client.watch(task_id, timeout=20))
        progress = [event["progress"] for event in seen if "progress" in event]
        self.assertTrue(progress, f"no progress among {seen}")
        self.assertTrue(all(set(p) == {"done", "total", "message"} and p["total"] == 5 for p in progress))
        self.assertEqual([p["done"] for p in progress], sorted(p["done"] for p in progress))
        self.assertEqual(seen[-1]["state"], "SUCCEEDED")
        task = self.client.get(task_id)
        self.assertEqual(task["result"], 5)
        self.assertEqual(task["progress"], {"done": 5, "total": 5, "message": "step 5 of 5"})

    def test_progress_of_a_cpp_task_is_seen_by_the_python_client(self):
        task_id = self.client.submit("count", 4, 60)
        seen = list(self.client.watch(task_id, timeout=20))
        self.assertTrue(any("progress" in event for event in seen), f"no progress among {seen}")
        self.assertEqual(self.client.result(task_id, timeout=5), 4)

    def test_partial_results_of_a_python_task_arrive_in_order(self):
        task_id = self.client.submit("py.squares", 5)
        self.assertEqual(self.client.result(task_id, timeout=10), [0, 1, 4, 9, 16])
        self.assertEqual(self.client.get(task_id)["partials"], [0, 1, 4, 9, 16])

    def test_a_running_python_task_is_cancelled(self):
        task_id = self.client.submit("py.sleep", 60)
        self.assertTrue(wait_until(lambda: self.client.get(task_id)["state"] == "RUNNING", timeout=10))
        answer = self.client.cancel(task_id)
        self.assertEqual((answer["state"], answer.get("cancel_requested")), ("RUNNING", True))
        started = time.monotonic()
        with self.assertRaises(RpcError) as raised:
            self.client.result(task_id, timeout=5)
        self.assertEqual(raised.exception.code, -32002)
        self.assertLess(time.monotonic() - started, 5)  # the node stopped it, not the grace period
        self.assertEqual(self.client.get(task_id)["state"], "CANCELLED")

    def test_a_python_task_past_its_timeout_fails_as_timed_out(self):
        task_id = self.client.submit("py.sleep", 60, timeout_ms=300, max_retries=0)
        with self.assertRaises(RpcError) as raised:
            self.client.result(task_id, timeout=10)
        self.assertEqual(raised.exception.code, -32001)
        self.assertEqual(raised.exception.message, "task timed out after 300 ms")

    def test_submit_many_chains_a_cpp_task_into_a_python_task(self):
        ids = self.client.submit_many([
            {"function": "add", "params": [1, 2]},
            {"function": "py.sum", "params": [10], "depends_on": [0], "pass_results": "prepend"},
            {"function": "py.upper", "params": ["many"]},
        ])
        self.assertEqual(len(ids), 3)
        self.assertEqual([self.client.result(task_id, timeout=10) for task_id in ids], [3, 13, "MANY"])

    def test_a_call_not_answered_in_time_raises_timeout_error(self):
        started = time.monotonic()
        with self.assertRaises(TimeoutError):
            self.client.call("py.sleep", 1, timeout=0.2)
        self.assertLess(time.monotonic() - started, 2)
        self.assertEqual(self.client.call("py.upper", "still fine", timeout=10), "STILL FINE")


class NodeLifecycleTest(unittest.TestCase):
    """A system of its own for each case: a broker on an SQLite store restarted
    under the Python node; the node's slots; its clean stop; a refused hello."""

    def setUp(self):
        self.system = System()
        self.addCleanup(self.system.close)
        self.store = os.path.join(self.system.folder.name, "tasks.db")

    def test_a_python_node_delivers_its_running_task_to_a_restarted_broker(self):
        self.system.start_broker("--store", self.store)
        self.system.start_python_node("python-node")
        client = self.system.client
        task_id = client.submit("py.count", 4, 500)
        # Progress: the node runs it (RUNNING alone says only that it was handed out).
        self.assertTrue(wait_until(lambda: "progress" in client.get(task_id), timeout=10))
        self.system.kill("broker")
        self.system.start_broker("--store", self.store)
        self.assertTrue(wait_until(lambda: "python-node" in self.system.node_names(), timeout=10),
                        "the Python node did not say hello to the restarted broker")
        task = client.wait(task_id, timeout=15)
        # Attempt 1: the node reclaimed its lease in its hello; the task did not run again.
        self.assertEqual((task["state"], task["result"], task["attempt"]), ("SUCCEEDED", 4, 1))
        self.assertEqual(client.call("py.upper", "after restart", timeout=10), "AFTER RESTART")

    def test_a_python_node_stops_cleanly_on_sigterm(self):
        self.system.start_broker("--store", "memory")
        self.system.start_python_node("python-node")
        client = self.system.client
        running = client.submit("py.count", 3, 200)
        # Its first progress report: the function has started (RUNNING alone says
        # only that the broker handed it out; a task not started is handed back).
        self.assertTrue(wait_until(lambda: "progress" in client.get(running), timeout=10))
        self.assertEqual(self.system.stop("python-node"), 0)
        self.assertEqual(client.get(running)["state"], "SUCCEEDED")  # finished within the grace period
        self.assertTrue(wait_until(lambda: not self.system.node_names(), timeout=5), "the node did not say bye")

    def test_a_python_node_never_runs_more_tasks_than_its_workers(self):
        self.system.start_broker("--store", "memory")
        self.system.start_python_node("python-node", "--workers", "2")
        client = self.system.client
        ids = [client.submit("py.sleep", 0.3) for _ in range(6)]
        most_running = 0
        deadline = time.monotonic() + 20
        while client.stats()["tasks"]["SUCCEEDED"] < len(ids):
            self.assertLess(time.monotonic(), deadline, "the tasks did not all end within 20 s")
            most_running = max(most_running, client.nodes()[0]["running"])
            time.sleep(0.02)
        self.assertEqual(most_running, 2)
        self.assertEqual([client.result(task_id, timeout=5) for task_id in ids], [0.3] * 6)

    def test_an_idle_python_node_after_work_does_not_spin(self):
        self.system.start_broker("--store", "memory")
        node = self.system.start_python_node("python-node")
        client = self.system.client
        ids = client.submit_many([{"function": "py.sum", "params": [number, 1]} for number in range(200)])
        self.assertEqual(client.result(ids[-1], timeout=20), 200)
        self.assertTrue(wait_until(lambda: client.stats()["tasks"]["SUCCEEDED"] == 200, timeout=10))
        before = cpu_seconds(node.pid)
        time.sleep(1.0)
        # Heartbeats cost next to nothing; a loop that spins takes a good part of a core.
        self.assertLess(cpu_seconds(node.pid) - before, 0.2)

    def test_a_python_node_the_broker_refuses_exits_with_the_reason(self):
        self.system.start_broker("--store", "memory")
        process = self.system.spawn("refused", [sys.executable, os.path.join(EXAMPLES, "zerotask_node.py"),
                                                "--broker", self.system.endpoint, "--name", "n" * 200])
        self.assertEqual(process.wait(timeout=15), 1)
        self.assertIn("the broker refused node.hello", self.system.tail("refused"))
        self.assertIn("(code -32602)", self.system.tail("refused"))


def main():
    global BIN_DIR
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", required=True, help="the build's bin folder (broker, node, zt)")
    options, unittest_args = parser.parse_known_args()
    BIN_DIR = os.path.abspath(options.bin_dir)
    for program in ("broker", "node", "zt"):
        if not os.access(os.path.join(BIN_DIR, program), os.X_OK):
            print(f"{program} is not built in {BIN_DIR}", file=sys.stderr)
            return 1
    program = unittest.main(argv=[sys.argv[0], "-v", *unittest_args], exit=False)
    if not program.result.wasSuccessful():
        for system in SYSTEMS:
            system.print_logs()
    for system in SYSTEMS:
        system.folder.cleanup()
    return 0 if program.result.wasSuccessful() and program.result.testsRun else 1


if __name__ == "__main__":
    sys.exit(main())
