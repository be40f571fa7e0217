"""A small zerotask client in Python, written from docs/PROTOCOL.md alone.

It speaks JSON-RPC 2.0 over one ZeroMQ DEALER socket to the broker's request
endpoint (and a SUB socket to its event endpoint for `watch`). It needs only
python3-zmq (Debian's package) and the standard library.

    from zerotask_client import Client, RpcError

    with Client("tcp://127.0.0.1:5555") as client:
        print(client.call("add", 5, 6))                # 11, or raises RpcError
        task_id = client.submit("count", 10, priority=9)
        print(client.result(task_id, timeout=30))      # waits for the task

Thread contract: a Client owns ZeroMQ sockets, which are not thread-safe, so one
Client belongs to one thread; give each thread its own (they are cheap).

Every blocking method takes a timeout in seconds (None: wait for ever) and raises
the built-in TimeoutError when the broker has not answered by then. A JSON-RPC
error from the broker is raised as RpcError, with the broker's code, message and
data. A request in flight when the broker restarts gets no answer (its reply
would go to a connection that is gone): it ends in TimeoutError. A task submitted
with an idempotency_key can be submitted again without making a second one.
"""

import itertools
import json
import time

import zmq

# Method namespaces the broker keeps for itself (PROTOCOL.md section 4, "Direct
# calls"): a method in one of them is not a call of a function of that name.
RESERVED_PREFIXES = ("task.", "node.", "broker.", "schedule.", "limits.", "event.", "rpc.")

# The states after which a task no longer changes (PROTOCOL.md section 3, "States").
FINAL_STATES = frozenset(("SUCCEEDED", "FAILED", "CANCELLED"))

# The broker's task.wait long poll is at most an hour (PROTOCOL.md, task.wait).
_MAX_WAIT_MS = 3_600_000

# Time allowed for a reply on top of a long poll's own duration.
_REPLY_MARGIN_S = 5.0

# The application error codes of PROTOCOL.md section 2, by name.
TASK_FAILED = -32000
TIMED_OUT = -32001
CANCELLED = -32002
OVERLOADED = -32003
NOT_FOUND = -32004
NO_NODE = -32006
NOT_CANCELLABLE = -32007
UNKNOWN_NODE = -32008
UNKNOWN_FUNCTION = -32009
STORE_UNAVAILABLE = -32010
NOT_RETRYABLE = -32011


class RpcError(Exception):
    """A JSON-RPC error answered by the broker (or stored as a task's error)."""

    def __init__(self, code, message, data=None):
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message
        self.data = data

    @classmethod
    def from_error_object(cls, error):
        """Builds the exception from a JSON-RPC error object; a malformed one is a
        protocol error of its own rather than a KeyError."""
        if not isinstance(error, dict) or not isinstance(error.get("code"), int):
            return cls(-32603, f"malformed error object from the broker: {error!r}")
        return cls(error["code"], str(error.get("message", "")), error.get("data"))


def events_endpoint_for(request_endpoint):
    """The broker's default event endpoint for a request endpoint: the port + 1
    for tcp, the same address with ".events" appended for ipc and inproc."""
    if request_endpoint.startswith("tcp://"):
        host, separator, port = request_endpoint[len("tcp://"):].rpartition(":")
        if not separator or not port.isdigit():
            raise ValueError(f"a tcp endpoint needs a port: {request_endpoint}")
        return f"tcp://{host}:{int(port) + 1}"
    if request_endpoint.startswith(("ipc://", "inproc://")):
        return request_endpoint + ".events"
    raise ValueError(f"unsupported endpoint (tcp://, ipc:// or inproc:// expected): {request_endpoint}")


def _params_of(args, kwargs):
    """JSON-RPC params from positional or keyword arguments, never both."""
    if args and kwargs:
        raise ValueError("params are either positional (an array) or keywords (an object), not both")
    return dict(kwargs) if kwargs else list(args)


def _deadline(timeout):
    return None if timeout is None else time.monotonic() + timeout


def _remaining_ms(deadline):
    """Milliseconds left before `deadline` for zmq.Poller.poll (None: for ever)."""
    if deadline is None:
        return None
    return max(0, int((deadline - time.monotonic()) * 1000))


class Client:
    """A connection to one broker. See the module's text for the thread contract."""

    def __init__(self, endpoint="tcp://127.0.0.1:5555", events_endpoint=None, context=None):
        self.endpoint = endpoint
        self.events_endpoint = events_endpoint or events_endpoint_for(endpoint)
        self._own_context = context is None
        self._context = context or zmq.Context()
        self._socket = self._context.socket(zmq.DEALER)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.connect(endpoint)
        self._ids = itertools.count(1)

    def close(self):
        self._socket.close()
        if self._own_context:
            self._context.term()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- any method ---------------------------------------------------------------

    def request(self, method, params=None, timeout=30.0):
        """Sends one JSON-RPC request and returns its result, or raises RpcError
        (the broker's error) or TimeoutError (no answer within `timeout` s)."""
        request_id = next(self._ids)
        message = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        # A DEALER may send the body alone; the reply then comes back alone too.
        self._socket.send(json.dumps(message, allow_nan=False).encode())
        reply = self._receive_reply(request_id, _deadline(timeout), method)
        if "error" in reply:
            raise RpcError.from_error_object(reply["error"])
        if "result" not in reply:
            raise RpcError(-32603, f"reply to {method} has neither result nor error: {reply!r}")
        return reply["result"]

    def notify(self, method, params=None):
        """Sends a JSON-RPC notification: never answered, not even with an error."""
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self._socket.send(json.dumps(message, allow_nan=False).encode())

    def _receive_reply(self, request_id, deadline, method):
        poller = zmq.Poller()
        poller.register(self._socket, zmq.POLLIN)
        while True:
            if not poller.poll(_remaining_ms(deadline)):
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(f"no answer to {method} from {self.endpoint} in time")
                continue
            frames = self._socket.recv_multipart()
            try:
                reply = json.loads(frames[-1])
            except ValueError:
                continue  # not JSON: nothing this client sent can be matched to it
            # Replies to requests given up on (timed out) come late: skip them. An
            # error with a null id answers a body the broker could not read, which
            # can only be the one request this client is waiting for.
            if isinstance(reply, dict) and (reply.get("id") == request_id or
                                            (reply.get("id") is None and "error" in reply)):
                return reply

    # -- calls and tasks ----------------------------------------------------------

    def call(self, function, *args, timeout=60.0, **kwargs):
        """Calls `function` with positional params (an array) or keyword params (an
        object) and returns its result when the task ends. Raises RpcError with the
        task's error (-32000 when the function raised, -32002 when cancelled)."""
        if function.startswith(RESERVED_PREFIXES):
            raise ValueError(f"{function} is in a reserved namespace: use request() for it")
        return self.request(function, _params_of(args, kwargs), timeout)

    def submit(self, function, *args, params=None, timeout=30.0, **options):
        """Submits a task and returns its id at once. Params are the positional
        arguments, or `params` (an array or an object); the other keywords are
        task.submit fields (queue, priority, max_retries, timeout_ms,
        idempotency_key, countdown_ms, eta, depends_on, unique, ...)."""
        if args and params is not None:
            raise ValueError("give params either positionally or as params=, not both")
        fields = dict(options, function=function, params=list(args) if params is None else params)
        return self.request("task.submit", fields, timeout)["id"]

    def submit_many(self, tasks, timeout=30.0):
        """Submits a list of task.submit param objects ({"function", "params", ...})
        at once, all or none; returns their ids in the same order."""
        return self.request("task.submit_many", {"tasks": list(tasks)}, timeout)["ids"]

    def get(self, task_id, timeout=30.0):
        """The task object (PROTOCOL.md section 3); RpcError -32004 if unknown."""
        return self.request("task.get", {"id": task_id}, timeout)

    def wait(self, task_id, timeout=30.0):
        """Waits up to `timeout` s for the task to end; returns the task object,
        final or (once the time has passed) in its current state."""
        deadline = time.monotonic() + timeout
        while True:
            wait_ms = min(_MAX_WAIT_MS, _remaining_ms(deadline))
            task = self.request("task.wait", {"id": task_id, "timeout_ms": wait_ms},
                                wait_ms / 1000 + _REPLY_MARGIN_S)
            if task.get("state") in FINAL_STATES or time.monotonic() >= deadline:
                return task

    def result(self, task_id, timeout=30.0):
        """Waits for the task and returns its result; raises its error as RpcError,
        or TimeoutError if it has not ended within `timeout` s."""
        return result_of(self.wait(task_id, timeout))

    def cancel(self, task_id, timeout=30.0):
        """Cancels a task; returns the task object (CANCELLED, or RUNNING with
        cancel_requested until its node reports). RpcError -32007 if it had ended."""
        return self.request("task.cancel", {"id": task_id}, timeout)

    def retry(self, task_id, timeout=30.0):
        """Queues a FAILED task again; returns the task object."""
        return self.request("task.retry", {"id": task_id}, timeout)

    def list_tasks(self, timeout=30.0, **filters):
        """task.list with its filters (state, function, offset, limit)."""
        return self.request("task.list", filters, timeout)

    # -- the broker ---------------------------------------------------------------

    def ping(self, timeout=30.0):
        return self.request("broker.ping", None, timeout)

    def stats(self, timeout=30.0):
        return self.request("broker.stats", None, timeout)

    def nodes(self, timeout=30.0):
        return self.request("broker.nodes", None, timeout)["nodes"]

    def functions(self, timeout=30.0):
        return self.request("broker.functions", None, timeout)["functions"]

    # -- watching -----------------------------------------------------------------

    def watch(self, task_id, timeout=60.0, poll_interval=0.5):
        """Yields what happens to a task until it ends: first its task object, then
        each event body published on task.<id> (state changes, progress, partial
        results). Events are hints that can be missed, so while none arrives the
        task is read again every `poll_interval` s and yielded when it changed.
        Raises TimeoutError if the task has not ended within `timeout` s."""
        deadline = time.monotonic() + timeout
        subscriber = self._context.socket(zmq.SUB)
        subscriber.setsockopt(zmq.LINGER, 0)
        try:
            # Subscribe first, then read the state. The subscription takes effect
            # only once it has reached the broker, so events of the first moments
            # can still be missed: the re-reads below catch what they said.
            subscriber.setsockopt(zmq.SUBSCRIBE, f"task.{task_id}".encode())
            subscriber.connect(self.events_endpoint)
            task = self.get(task_id)
            yield task
            poller = zmq.Poller()
            poller.register(subscriber, zmq.POLLIN)
            while task.get("state") not in FINAL_STATES:
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"task {task_id} did not end within {timeout} s")
                wait_ms = min(_remaining_ms(deadline), int(poll_interval * 1000))
                if poller.poll(wait_ms):
                    frames = subscriber.recv_multipart()
                    if len(frames) != 2:
                        continue
                    try:
                        event = json.loads(frames[1])
                    except ValueError:
                        continue
                    if not isinstance(event, dict):
                        continue
                    yield event
                    # A progress or partial event says RUNNING; only a state change
                    # can be final, and it carries the result or error.
                    if "progress" not in event and "partial" not in event:
                        task = dict(task, **event)
                else:
                    latest = self.get(task_id, timeout=_remaining_ms(deadline) / 1000 + _REPLY_MARGIN_S)
                    if latest != task:
                        task = latest
                        yield task
        finally:
            subscriber.close()


def result_of(task):
    """The result of a task object; raises its error as RpcError, or TimeoutError
    when the task has not ended yet."""
    state = task.get("state")
    if state == "SUCCEEDED":
        return task.get("result")
    if state in FINAL_STATES:
        return _raise_task_error(task)
    raise TimeoutError(f"task {task.get('id')} is still {state}")


def _raise_task_error(task):
    error = task.get("error")
    if error is None:
        raise RpcError(CANCELLED if task.get("state") == "CANCELLED" else TASK_FAILED,
                       f"task {task.get('id')} is {task.get('state')}", {"task": task.get("id")})
    raise RpcError.from_error_object(error)
