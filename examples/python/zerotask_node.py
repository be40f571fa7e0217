#!/usr/bin/env python3
"""A small zerotask node in Python, written from docs/PROTOCOL.md alone.

As a library:

    from zerotask_node import Node

    node = Node("tcp://127.0.0.1:5555", workers=4)

    @node.function("py.upper")
    def upper(params, task):
        return params[0].upper()

    node.run()          # until node.stop(), from another thread or a signal handler

A function gets the task's params (a list or a dict, as sent) and a TaskContext
(`task.id`, `task.attempt`, `task.report_progress(...)`, `task.report_partial(...)`,
`task.stop_requested()`, `task.wait_for_stop(seconds)`). What it returns is the
result; an exception it raises becomes the task's error, -32000 with the
exception's message and its type in `data.type`.

It uses zerotask_client.py (beside it) for RpcError and the error codes.

Run as a program it is an example node serving py.upper, py.sum, py.count (reports
progress), py.squares (streams partial results), py.sleep (stops when cancelled)
and py.fail (raises); `zerotask_node.py -h` says how.

Threads: run() is the I/O thread: it alone owns the ZeroMQ socket (a DEALER on the
broker's request endpoint). Functions run in `workers` worker threads, which hand
results, progress and partial results back through a queue and wake the I/O
thread through a pipe. stop() is safe from any thread and from a signal handler.

The protocol as PROTOCOL.md section 5 gives it: node.hello with the node's
functions and free slots, node.run and node.cancel from the broker, node.done,
node.progress, node.pull, node.heartbeat every heartbeat_ms, and node.bye. Results
are kept until a later heartbeat's answer confirms them and sent again after a
new hello, so a broker restart loses none; a node that hears nothing for three
heartbeat intervals opens a new connection and says hello again, naming the tasks
it still runs.
"""

import json
import logging
import os
import queue
import socket
import threading
import time

import zmq

from zerotask_client import CANCELLED, TASK_FAILED, TIMED_OUT, UNKNOWN_FUNCTION, UNKNOWN_NODE, RpcError

log = logging.getLogger("zerotask.node")

# Until the hello's answer says otherwise (PROTOCOL.md, node.hello).
_DEFAULT_HEARTBEAT_MS = 1000
_DEFAULT_MAX_DEPTH = 64
_DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024

# A broker silent for this many heartbeat intervals is given up on.
_SILENT_INTERVALS = 3

# A hello refused with these (PROTOCOL.md section 2) will not be taken if said
# again: the node's own params are wrong.
_REFUSED_FOR_GOOD = (-32600, -32602)

# Bytes of a node.done message around its results, and of one result entry
# around its value: room kept when checking against the broker's size limit.
_DONE_OVERHEAD = 96
_SEPARATORS = (",", ":")

# Messages read from the socket in one turn, so timers and results are not starved.
_MAX_READS_PER_TURN = 1000


class NodeRefused(RpcError):
    """The broker refused this node's hello (a bad name, function list or queue)."""

    def __init__(self, code, message, data=None):
        super().__init__(code, message, data)
        self.args = (f"the broker refused node.hello: {message} (code {code})",)


def json_depth(value):
    """How deeply arrays and objects nest in `value` (a scalar is 0, [1] is 1),
    counted without recursion so that a deep value cannot overflow the stack."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _dumps(value):
    # NaN and infinities are not JSON: refuse them rather than send "NaN".
    return json.dumps(value, separators=_SEPARATORS, allow_nan=False)


def _type_name(exception):
    kind = type(exception)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


class TaskContext:
    """What a function knows of the task it runs. Its methods may be called from
    the function's thread (or any thread the function starts)."""

    def __init__(self, node, task_id, attempt, function, timeout_ms):
        self.id = task_id
        self.attempt = attempt
        self.function = function
        self.timeout_ms = timeout_ms
        self._node = node
        self._stop = threading.Event()
        self._cancelled_at = None  # monotonic time of the node.cancel, if one came
        self._deadline = None  # monotonic time the timeout fires, once started
        self._started = False

    @property
    def key(self):
        """The lease token: the task id with its attempt."""
        return (self.id, self.attempt)

    def stop_requested(self):
        """True once the task was cancelled or ran past its timeout: the function
        should return soon (whatever it returns then, the task ends as cancelled or
        timed out)."""
        return self._stop.is_set() or (self._deadline is not None and time.monotonic() >= self._deadline)

    def wait_for_stop(self, seconds):
        """Sleeps up to `seconds`, waking early when the stop is requested; returns
        stop_requested()."""
        if self._deadline is not None:
            seconds = min(seconds, max(0.0, self._deadline - time.monotonic()))
        self._stop.wait(seconds)
        return self.stop_requested()

    def report_progress(self, progress=None, *, done=None, total=None, message=None):
        """Reports progress: any JSON value, or the {"done", "total", "message"}
        shape that `zt watch` draws as a bar. Only the latest report goes out when
        the function reports faster than the node sends."""
        if progress is None:
            progress = {key: value for key, value in (("done", done), ("total", total), ("message", message))
                        if value is not None}
        self._node._report(self, "progress", progress)

    def report_partial(self, partial):
        """Streams one partial result: every one reaches the broker, in order,
        before the task's result."""
        self._node._report(self, "partial", partial)

    def _start(self):
        self._started = True
        if self.timeout_ms is not None:
            self._deadline = time.monotonic() + self.timeout_ms / 1000

    def _cancel(self):
        if self._cancelled_at is None:
            self._cancelled_at = time.monotonic()
        self._stop.set()

    def _stop_error(self):
        """The error that replaces the function's outcome: the cancel or the timeout,
        whichever fired first, or None when neither did."""
        now = time.monotonic()
        timed_out_at = self._deadline if self._deadline is not None and now >= self._deadline else None
        if self._cancelled_at is not None and (timed_out_at is None or self._cancelled_at <= timed_out_at):
            return {"code": CANCELLED, "message": "task cancelled", "data": {"type": "zerotask::Cancelled"}}
        if timed_out_at is not None:
            return {"code": TIMED_OUT, "message": f"task timed out after {self.timeout_ms} ms",
                    "data": {"type": "zerotask::TimedOut"}}
        return None


class _Function:
    def __init__(self, name, callable_, max_retries, timeout_ms):
        self.name = name
        self.callable = callable_
        self.max_retries = max_retries
        self.timeout_ms = timeout_ms

    def hello_entry(self):
        """The entry of node.hello's `functions`: the bare name, or an object when
        the function has defaults of its own."""
        if self.max_retries is None and self.timeout_ms is None:
            return self.name
        entry = {"name": self.name}
        if self.max_retries is not None:
            entry["max_retries"] = self.max_retries
        if self.timeout_ms is not None:
            entry["timeout_ms"] = self.timeout_ms
        return entry


class _Outgoing:
    """One message body waiting to be sent. `kept` ones (results and partials) stay
    until a heartbeat's answer confirms them and are sent again after a new hello."""

    def __init__(self, kind, key, text, kept):
        self.kind = kind  # "done" (text: one result entry), "progress", "partial", "pull" (text: params)
        self.key = key
        self.text = text
        self.kept = kept
        self.sequence = 0  # set when sent on a connection


class Node:
    """A zerotask node. Register functions, then run() on the thread that is to
    own the socket; stop() from anywhere."""

    def __init__(self, endpoint="tcp://127.0.0.1:5555", name=None, workers=4, queues=None,
                 shutdown_grace=10.0, context=None):
        if workers < 1:
            raise ValueError("a node needs at least one worker")
        self.endpoint = endpoint
        self.name = name or f"{socket.gethostname()}-py-{os.getpid()}"
        self.workers = workers
        self.queues = list(queues) if queues else None
        self.shutdown_grace = shutdown_grace
        self._functions = {}
        self._own_context = context is None
        self._context = context or zmq.Context()
        self._stop_requested = threading.Event()
        self._outbox = queue.Queue()  # (TaskContext, kind, text) from workers
        self._work = queue.Queue()  # (TaskContext, _Function, params) for workers
        # Wakes the I/O thread from workers and signal handlers. A socket pair rather
        # than a pipe: once closed, a late write fails instead of reaching whatever
        # file reuses the descriptor.
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._wake_write.setblocking(False)
        # What the broker allows, from the hello's answer; read by workers too.
        self.max_depth = _DEFAULT_MAX_DEPTH
        self.max_message_bytes = _DEFAULT_MAX_MESSAGE_BYTES
        self.heartbeat_ms = _DEFAULT_HEARTBEAT_MS
        self.epoch = None

    # -- the public surface -------------------------------------------------------

    def register(self, name, function, max_retries=None, timeout_ms=None):
        """Serves `function(params, task)` as `name`. `max_retries` (0 to 100) and
        `timeout_ms` (1 to 86,400,000) are defaults for its tasks that set none."""
        if not isinstance(name, str) or not 1 <= len(name.encode()) <= 128:
            raise ValueError("a function name is 1 to 128 bytes")
        self._functions[name] = _Function(name, function, max_retries, timeout_ms)

    def function(self, name, max_retries=None, timeout_ms=None):
        """Decorator form of register()."""
        def decorate(function):
            self.register(name, function, max_retries, timeout_ms)
            return function
        return decorate

    def stop(self):
        """Asks run() to stop: no new tasks, running ones get `shutdown_grace`
        seconds to finish, then node.bye. Safe from any thread or signal handler."""
        self._stop_requested.set()
        self._wake()

    @property
    def stopping(self):
        """True once stop() was called."""
        return self._stop_requested.is_set()

    def run(self):
        """Serves tasks until stop(); a Node runs once. Raises NodeRefused if the
        broker refuses the hello. Reconnects by itself when the broker goes silent
        or restarts."""
        if not self._functions:
            raise ValueError("register at least one function before run()")
        workers = [threading.Thread(target=self._work_loop, name=f"zerotask-worker-{i}", daemon=True)
                   for i in range(self.workers)]
        for worker in workers:
            worker.start()
        self._socket = None
        self._tasks = {}  # key -> TaskContext of every task held (waiting or running)
        self._reclaimed = set()  # keys of tasks held from before the latest hello
        self._outgoing = []  # _Outgoing not sent yet, in order
        self._unconfirmed = []  # kept _Outgoing sent on this connection, in order
        self._sequence = 0
        self._heartbeats = {}  # request id -> highest sequence sent before it
        self._request_ids = 0
        self._stop_deadline = None
        self._next_hello = None  # a refused hello is said again at this time
        try:
            self._connect()
            while not self._finished():
                if self._stop_requested.is_set() and self._stop_deadline is None:
                    self._begin_stop()
                self._poll()
                self._take_reports()
                self._on_timers()
                self._flush()
            self._say_bye()
        finally:
            for task in self._tasks.values():
                task._cancel()  # a function still running past the grace period may notice
            for _ in workers:
                self._work.put(None)
            if self._socket is not None:
                self._socket.close()
            self._wake_read.close()
            self._wake_write.close()
            if self._own_context:
                self._context.term()

    # -- called from worker threads -----------------------------------------------

    def _work_loop(self):
        while True:
            item = self._work.get()
            if item is None:
                return
            task, function, params = item
            if task._cancelled_at is not None:
                self._finish(task, None, task._stop_error())  # cancelled while waiting: never started
                continue
            # Started before the stop is checked, so that the I/O thread, stopping,
            # either sees the task started or sees it handed back.
            task._start()
            if self._stop_requested.is_set():
                task._started = False
                continue  # not started: node.bye hands it back to the broker
            try:
                result, error = function.callable(params, task), None
            except Exception as exception:  # the function's failure is the task's error
                result, error = None, {"code": TASK_FAILED, "message": str(exception) or _type_name(exception),
                                       "data": {"type": _type_name(exception)}}
            self._finish(task, result, task._stop_error() or error)

    def _finish(self, task, result, error):
        """Encodes the task's result entry for node.done, within the broker's limits."""
        entry = {"id": task.id, "attempt": task.attempt}
        if error is None and json_depth(result) > self.max_depth - 8:
            error = {"code": TASK_FAILED, "message": f"result nested deeper than {self.max_depth - 8} levels",
                     "data": {"type": "zerotask::ResultTooDeep"}}
        if error is None:
            try:
                text = _dumps(dict(entry, result=result))
            except (TypeError, ValueError) as exception:
                error = {"code": TASK_FAILED, "message": f"result is not JSON: {exception}",
                         "data": {"type": _type_name(exception)}}
            else:
                if len(text) + _DONE_OVERHEAD > self.max_message_bytes // 2:
                    error = {"code": TASK_FAILED,
                             "message": f"result of {len(text)} bytes exceeds the broker's limit",
                             "data": {"type": "zerotask::ResultTooLarge"}}
        if error is not None:
            text = _dumps(dict(entry, error=error))
        self._outbox.put((task, "done", text))
        self._wake()

    def _report(self, task, kind, value):
        """Queues a progress report or a partial result; one that the broker would
        refuse (too deep, too large) is logged and not sent."""
        if json_depth(value) > self.max_depth - 8:
            log.warning("%s of task %s nested deeper than %d levels: not sent", kind, task.id, self.max_depth - 8)
            return
        text = _dumps({"id": task.id, "attempt": task.attempt, kind: value})
        if len(text) + _DONE_OVERHEAD > self.max_message_bytes // 2:
            log.warning("%s of task %s is %d bytes, past the broker's limit: not sent", kind, task.id, len(text))
            return
        self._outbox.put((task, kind, text))
        self._wake()

    def _wake(self):
        try:
            self._wake_write.send(b"\0")
        except OSError:
            pass  # full (the I/O thread is woken already) or closed (run() has ended)

    # -- the I/O thread: connection -----------------------------------------------

    def _connect(self):
        """A fresh DEALER (so a fresh routing identity) and a hello on it."""
        if self._socket is not None:
            self._socket.close()
        self._socket = self._context.socket(zmq.DEALER)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.connect(self.endpoint)
        self._poller = zmq.Poller()
        self._poller.register(self._socket, zmq.POLLIN)
        self._poller.register(self._wake_read.fileno(), zmq.POLLIN)
        self._hello()

    def _hello(self):
        """Says hello (again) on the current socket: results not confirmed yet are
        sent again once it is answered."""
        self._welcomed = False
        self._heartbeats.clear()
        self._outgoing[:0] = self._unconfirmed
        self._unconfirmed = []
        self._reclaimed = set(self._tasks)
        params = {"node": self.name, "functions": [f.hello_entry() for f in self._functions.values()],
                  "slots": 0 if self._stop_deadline is not None else self.workers - len(self._tasks)}
        if self.queues:
            params["queues"] = self.queues
        if self._tasks:
            params["running"] = [{"id": task_id, "attempt": attempt} for task_id, attempt in self._tasks]
        self._hello_id = self._send_request("node.hello", params)
        self._last_heard = time.monotonic()
        self._next_heartbeat = self._last_heard + self.heartbeat_ms / 1000

    def _send_request(self, method, params=None):
        self._request_ids += 1
        message = {"jsonrpc": "2.0", "id": self._request_ids, "method": method}
        if params is not None:
            message["params"] = params
        self._send(_dumps(message))
        return self._request_ids

    def _send(self, body):
        """Sends one body (a node sends no delimiter frame). False when the
        connection cannot take it now."""
        try:
            self._socket.send(body.encode(), zmq.NOBLOCK)
            return True
        except zmq.Again:
            return False

    # -- the I/O thread: the loop -------------------------------------------------

    def _poll(self):
        now = time.monotonic()
        deadlines = [self._last_heard + _SILENT_INTERVALS * self.heartbeat_ms / 1000, now + 1.0]
        if self._welcomed:
            deadlines.append(self._next_heartbeat)
        if self._stop_deadline is not None:
            deadlines.append(self._stop_deadline)
        if self._next_hello is not None:
            deadlines.append(self._next_hello)
        if self._outgoing and self._welcomed:
            deadlines.append(now + 0.01)  # the connection could not take everything: try again soon
        timeout_ms = max(0, int((min(deadlines) - now) * 1000))
        for source, _ in self._poller.poll(timeout_ms):
            if source == self._wake_read.fileno():  # the poller answers with the descriptor
                try:
                    while self._wake_read.recv(4096):
                        pass
                except BlockingIOError:
                    pass
        for _ in range(_MAX_READS_PER_TURN):
            try:
                frames = self._socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            self._last_heard = time.monotonic()
            self._on_message(frames[-1])

    def _on_message(self, body):
        try:
            message = json.loads(body)
        except (ValueError, RecursionError):
            log.warning("unreadable message from the broker ignored")
            return
        if not isinstance(message, dict):
            log.warning("message from the broker that is not an object ignored")
            return
        method = message.get("method")
        params = message.get("params")
        if method == "node.run" and isinstance(params, dict) and isinstance(params.get("tasks"), list):
            for entry in params["tasks"]:
                self._on_run(entry)
        elif method == "node.cancel" and isinstance(params, dict) and isinstance(params.get("tasks"), list):
            for entry in params["tasks"]:
                key = (entry.get("id"), entry.get("attempt")) if isinstance(entry, dict) else None
                if key and isinstance(key[0], str) and isinstance(key[1], int) and key in self._tasks:
                    self._tasks[key]._cancel()  # other entries (not held, malformed) are ignored
        elif method is None and "id" in message:
            self._on_reply(message)
        else:
            log.warning("unexpected message from the broker ignored: %.200s", body)

    def _on_run(self, entry):
        if not (isinstance(entry, dict) and isinstance(entry.get("id"), str) and
                isinstance(entry.get("attempt"), int) and isinstance(entry.get("function"), str)):
            log.warning("malformed task in node.run ignored: %.200r", entry)
            return
        timeout_ms = entry.get("timeout_ms")
        task = TaskContext(self, entry["id"], entry["attempt"], entry["function"],
                           timeout_ms if isinstance(timeout_ms, int) else None)
        if task.key in self._tasks:
            return  # the same lease handed out twice: it already runs here
        function = self._functions.get(task.function)
        self._tasks[task.key] = task
        if function is None:
            self._outbox.put((task, "done", _dumps({"id": task.id, "attempt": task.attempt, "error": {
                "code": UNKNOWN_FUNCTION, "message": f"node {self.name} has no function {task.function}"}})))
            return
        self._work.put((task, function, entry.get("params", [])))

    def _on_reply(self, reply):
        request_id = reply.get("id")
        error = reply.get("error")
        if request_id == self._hello_id:
            self._on_hello_reply(reply.get("result"), error)
        elif request_id in self._heartbeats:
            confirmed = self._heartbeats.pop(request_id)
            if isinstance(error, dict) and error.get("code") == UNKNOWN_NODE:
                log.warning("the broker does not know this node (it restarted?): saying hello again")
                self._hello()
            elif error is None:
                self._unconfirmed = [item for item in self._unconfirmed if item.sequence > confirmed]
            else:
                log.warning("node.heartbeat refused: %s", error)
        elif error is not None:
            log.warning("broker error to request %s: %s", request_id, error)

    def _on_hello_reply(self, result, error):
        if error is not None:
            code = error.get("code") if isinstance(error, dict) else None
            message = error.get("message", "") if isinstance(error, dict) else str(error)
            if code in _REFUSED_FOR_GOOD:
                raise NodeRefused(code, message, error.get("data"))
            log.warning("node.hello refused (%s, code %s): trying again", message, code)
            self._next_hello = time.monotonic() + self.heartbeat_ms / 1000
            return
        if not isinstance(result, dict):
            result = {}

        def positive(field, current):  # a missing or nonsensical value keeps the current one
            value = result.get(field)
            return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else current

        self.epoch = result.get("epoch")
        self.heartbeat_ms = positive("heartbeat_ms", self.heartbeat_ms)
        self.max_depth = positive("max_depth", self.max_depth)
        self.max_message_bytes = positive("max_message_bytes", self.max_message_bytes)
        self._welcomed = True
        self._next_heartbeat = time.monotonic() + self.heartbeat_ms / 1000
        log.info("node %s joined broker %s (epoch %s)", self.name, self.endpoint, self.epoch)

    def _take_reports(self):
        """Moves what the workers reported into the outgoing list, in order."""
        while True:
            try:
                task, kind, text = self._outbox.get_nowait()
            except queue.Empty:
                return
            if kind == "progress":
                # Coalesce: a progress report not sent yet is replaced by a newer one.
                self._outgoing = [item for item in self._outgoing
                                  if not (item.kind == "progress" and item.key == task.key)]
            self._outgoing.append(_Outgoing(kind, task.key, text, kept=kind != "progress"))
            if kind == "done":
                self._tasks.pop(task.key, None)
                if task.key in self._reclaimed:
                    # A task from before the hello ended: its worker is free again.
                    self._reclaimed.discard(task.key)
                    if self._stop_deadline is None:
                        slots = _dumps({"slots": self.workers - len(self._reclaimed)})
                        self._outgoing.append(_Outgoing("pull", None, slots, kept=False))

    def _on_timers(self):
        now = time.monotonic()
        if now - self._last_heard > _SILENT_INTERVALS * self.heartbeat_ms / 1000:
            log.warning("no answer from the broker for %d heartbeat intervals: reconnecting", _SILENT_INTERVALS)
            self._connect()
            return
        if self._next_hello is not None and now >= self._next_hello:
            self._next_hello = None
            self._hello()
            return
        if self._welcomed and now >= self._next_heartbeat:
            self._heartbeats[self._send_request("node.heartbeat")] = self._sequence
            self._next_heartbeat = now + self.heartbeat_ms / 1000

    def _flush(self):
        """Sends what is waiting, in order: consecutive results in node.done
        messages of at most half the broker's message limit."""
        if not self._welcomed:
            return
        while self._outgoing:
            first = self._outgoing[0]
            if first.kind == "done":
                count, size = 0, _DONE_OVERHEAD
                for item in self._outgoing:
                    if item.kind != "done" or (count and size + len(item.text) + 1 > self.max_message_bytes // 2):
                        break
                    count, size = count + 1, size + len(item.text) + 1
                batch = self._outgoing[:count]
                body = ('{"jsonrpc":"2.0","method":"node.done","params":{"results":[' +
                        ",".join(item.text for item in batch) + "]}}")
            else:
                batch = [first]
                method = "node.pull" if first.kind == "pull" else "node.progress"
                body = '{"jsonrpc":"2.0","method":"' + method + '","params":' + first.text + "}"
            if not self._send(body):
                return  # sent later, when the connection takes it
            del self._outgoing[:len(batch)]
            for item in batch:
                if item.kept:
                    self._sequence += 1
                    item.sequence = self._sequence
                    self._unconfirmed.append(item)

    # -- the I/O thread: stopping -------------------------------------------------

    def _begin_stop(self):
        log.info("node %s stopping: no new tasks, %d running", self.name, len(self._tasks))
        self._stop_deadline = time.monotonic() + self.shutdown_grace
        self._outgoing.append(_Outgoing("pull", None, _dumps({"slots": 0}), kept=False))

    def _finished(self):
        """Stopping ends once no started task runs and everything is sent, or when
        the grace period is over. Tasks not started are handed back by node.bye."""
        if self._stop_deadline is None:
            return False
        if time.monotonic() >= self._stop_deadline:
            return True
        return not self._outgoing and not any(task._started for task in self._tasks.values())

    def _say_bye(self):
        """node.bye as a request: its answer, after every earlier message of this
        connection was handled, confirms the results sent before it."""
        if not self._welcomed:
            return
        bye_id = self._send_request("node.bye")
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            if not self._socket.poll(max(1, int((deadline - time.monotonic()) * 1000)), zmq.POLLIN):
                break
            try:
                reply = json.loads(self._socket.recv_multipart()[-1])
            except ValueError:
                continue
            if isinstance(reply, dict) and reply.get("id") == bye_id:
                log.info("node %s said goodbye", self.name)
                return
        log.warning("node.bye not answered within 2 s")


# -- the example node ---------------------------------------------------------------

def _numbers(params, function):
    if not isinstance(params, list) or not all(
            isinstance(value, (int, float)) and not isinstance(value, bool) for value in params):
        raise TypeError(f"{function} expects numbers")
    return params


def _count(params, function):
    """The leading count (0 to 10,000) of py.count, py.squares and py.sleep."""
    if not isinstance(params, list) or not 1 <= len(params) <= 2 or not all(
            isinstance(value, (int, float)) and not isinstance(value, bool) for value in params) \
            or not 0 <= params[0] <= 10_000:
        raise TypeError(f"{function} expects a number from 0 to 10000 (and optionally a delay in ms)")
    return params[0]


def example_node(endpoint, name=None, workers=4, queues=None, shutdown_grace=10.0):
    """The example node: a few functions that show results, errors, progress,
    partial results and cancellation."""
    node = Node(endpoint, name=name, workers=workers, queues=queues, shutdown_grace=shutdown_grace)

    @node.function("py.upper")
    def upper(params, task):
        """py.upper("abc") = "ABC"."""
        if not (isinstance(params, list) and len(params) == 1 and isinstance(params[0], str)):
            raise TypeError("py.upper expects one string")
        return params[0].upper()

    @node.function("py.sum")
    def total(params, task):
        """py.sum(1, 2, 3.5) = 6.5."""
        return sum(_numbers(params, "py.sum"))

    @node.function("py.count")
    def count(params, task):
        """py.count(n, delay_ms=100): counts to n, one step every delay_ms, reporting
        {"done", "total", "message"} after each; the result is n."""
        steps = int(_count(params, "py.count"))
        delay = (params[1] if len(params) > 1 else 100) / 1000
        for step in range(1, steps + 1):
            if task.wait_for_stop(delay):
                return None  # cancelled or timed out: the node reports which
            task.report_progress(done=step, total=steps, message=f"step {step} of {steps}")
        return steps

    @node.function("py.squares")
    def squares(params, task):
        """py.squares(n): streams 0, 1, 4, ... (n of them) as partial results, then
        returns them all."""
        values = [value * value for value in range(int(_count(params, "py.squares")))]
        for value in values:
            task.report_partial(value)
        return values

    @node.function("py.sleep")
    def sleep(params, task):
        """py.sleep(seconds): sleeps, waking early when cancelled or timed out."""
        seconds = _count(params, "py.sleep")
        task.wait_for_stop(seconds)
        return seconds

    @node.function("py.fail", max_retries=0)
    def fail(params, task):
        """py.fail(message): raises ValueError(message); never retried."""
        raise ValueError(params[0] if isinstance(params, list) and params and isinstance(params[0], str)
                         else "py.fail always fails")

    return node


def main(argv=None):
    import argparse
    import signal
    import sys

    parser = argparse.ArgumentParser(
        description="An example zerotask node in Python serving py.upper, py.sum, py.count, "
                    "py.squares, py.sleep and py.fail. Stops cleanly on SIGINT or SIGTERM; "
                    "a second signal exits at once.")
    parser.add_argument("--broker", default="tcp://127.0.0.1:5555", help="the broker's request endpoint")
    parser.add_argument("--name", help="the node's name (default: HOST-py-PID)")
    parser.add_argument("--workers", type=int, default=4, help="worker threads, so tasks run at once")
    parser.add_argument("--queues", help="comma-separated queues to serve (default: default)")
    parser.add_argument("--grace-ms", type=int, default=10_000, help="time running tasks get at shutdown")
    parser.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    options = parser.parse_args(argv)
    if options.workers < 1:
        parser.error("--workers must be at least 1")
    logging.basicConfig(level=options.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")

    node = example_node(options.broker, options.name, options.workers,
                        options.queues.split(",") if options.queues else None, options.grace_ms / 1000)

    def on_signal(signum, frame):
        if node.stopping:
            os._exit(1)  # the second signal: at once; the broker requeues what this node held
        node.stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        node.run()
    except NodeRefused as refused:
        print(f"zerotask_node: {refused}", file=sys.stderr)
        return 1
    except zmq.ZMQError as failure:
        print(f"zerotask_node: {failure} ({options.broker})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
