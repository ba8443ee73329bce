"""The server side of the go-plugin handshake for Python plugins.

serve() refuses to run without the magic cookie (a plugin is not a program to start by hand),
listens on a unix socket in a private temporary directory (TLS with the host's certificate
required when the host asks for auto-mTLS), prints the handshake line, serves
plugin.PluginService and grpc.health.v1.Health (service "plugin") on a thread pool, and on
SIGTERM (or when the host process is gone) stops taking calls, lets those in flight finish and
returns.
"""

import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from concurrent import futures

import grpc

from . import values

MAGIC_COOKIE_KEY = "JANK_PLUGIN"
MAGIC_COOKIE_VALUE = "jank-plugin"
CORE_PROTOCOL_VERSION = 1
APP_PROTOCOL_VERSION = 1
PROTOCOL_VERSIONS_ENV = "PLUGIN_PROTOCOL_VERSIONS"
CLIENT_CERT_ENV = "PLUGIN_CLIENT_CERT"
UNIX_SOCKET_DIR_ENV = "PLUGIN_UNIX_SOCKET_DIR"
# The health service name go-plugin registers; hosts probe it.
HEALTH_SERVICE = "plugin"
# How long calls in flight may take to finish after SIGTERM. The runner waits a few seconds
# before it kills a plugin that has not exited.
STOP_GRACE_SECONDS = 5.0
# Calls served at once; more wait in the pool's queue. Matches the examples' runner.max_concurrency.
DEFAULT_MAX_WORKERS = 64

log = logging.getLogger("jankrunner_sdk")


class PluginError(Exception):
    """An error a plugin reports to its caller: the runner answers PLUGIN_ERROR with this message.
    ``code`` is the gRPC status it travels as (INVALID_ARGUMENT unless told)."""

    def __init__(self, message, code=grpc.StatusCode.INVALID_ARGUMENT):
        super().__init__(message)
        if not isinstance(code, grpc.StatusCode) or code == grpc.StatusCode.OK:
            raise ValueError(f"a PluginError needs a grpc.StatusCode other than OK, got {code!r}")
        self.code = code

    @classmethod
    def unknown_method(cls, method):
        """The error for a method this plugin does not have."""
        return cls(f"unknown method '{method}'", grpc.StatusCode.UNIMPLEMENTED)


class Handler:
    """What a plugin author may subclass (a plain function works too). Calls arrive concurrently,
    each on a thread of the pool, so implementations must be thread-safe and may block."""

    def execute(self, method, args):
        """Runs one method: ``args`` is a dict (empty when the caller sent none); returns a dict.
        Raise PluginError for an error the caller should see, with its message."""
        raise PluginError.unknown_method(method)

    def healthy(self):
        """Whether the plugin can take calls; answered to the host's HealthCheck."""
        return True


def serve(handler, max_workers=DEFAULT_MAX_WORKERS):
    """Serves ``handler`` until the host stops this process (SIGTERM), then returns once the calls
    in flight have finished (or after STOP_GRACE_SECONDS, exiting without them)."""
    _refuse_to_run_by_hand()
    # The handshake line must be the first thing on stdout: fd 1 (Python's and C code's) now goes
    # to stderr, and only the handshake is written to a copy of the original.
    handshake_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    if not logging.getLogger().handlers:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        running = _Running(_as_handler(handler), max_workers)
    except Exception as e:  # noqa: BLE001 - any failure to start is reported the same way
        print(f"plugin failed to start: {e}", file=sys.stderr)
        sys.exit(1)
    handshake_out.write(running.handshake_line + "\n")
    handshake_out.flush()
    running.wait_for_stop()
    running.stop()


def _refuse_to_run_by_hand():
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        print("This program is a jank-runner plugin. It is not meant to be run directly:"
              " start it through the runner (scripts/runner plugins exec ID METHOD).", file=sys.stderr)
        sys.exit(1)
    versions = os.environ.get(PROTOCOL_VERSIONS_ENV, "").strip()
    if versions and str(APP_PROTOCOL_VERSION) not in [v.strip() for v in versions.split(",")]:
        print(f"The host speaks plugin protocol versions {versions}; this plugin speaks {APP_PROTOCOL_VERSION}.",
              file=sys.stderr)
        sys.exit(1)


def _as_handler(handler):
    if isinstance(handler, Handler) or hasattr(handler, "execute"):
        return handler
    if callable(handler):
        function = handler

        class _FunctionHandler(Handler):
            def execute(self, method, args):
                return function(method, args)
        return _FunctionHandler()
    raise TypeError(f"serve() needs a function execute(method, args) or an object with one, got {handler!r}")


def _stubs():
    try:
        from jankrunner_proto import health_pb2, health_pb2_grpc, plugin_pb2, plugin_pb2_grpc
    except ImportError as e:
        raise RuntimeError(f"the generated message classes are missing ({e}): build the plugin with"
                           " proto/sdk-python/build-plugin, which generates them into jankrunner_proto") from e
    return plugin_pb2, plugin_pb2_grpc, health_pb2, health_pb2_grpc


class _Running:
    """A started server, its socket directory and the calls in flight."""

    def __init__(self, handler, max_workers):
        plugin_pb2, plugin_pb2_grpc, health_pb2, health_pb2_grpc = _stubs()
        # Before the server starts: a SIGTERM right after the handshake is a graceful stop too.
        self._stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda number, frame: self._stop.set())
        self._calls = _CallsInFlight()
        self._health = _health_servicer(health_pb2, health_pb2_grpc)
        # A directory only this user can enter (mkdtemp makes it 0700), so no other user can
        # connect to the socket.
        self._socket_dir = tempfile.mkdtemp(prefix="plugin", dir=os.environ.get(UNIX_SOCKET_DIR_ENV) or None)
        socket_path = os.path.join(self._socket_dir, "plugin.sock")
        self._pool = futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="plugin-call")
        self._server = grpc.server(self._pool)
        plugin_pb2_grpc.add_PluginServiceServicer_to_server(
            _plugin_servicer(plugin_pb2, plugin_pb2_grpc, handler, self._calls), self._server)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        # auto-mTLS, as go-plugin does it: the host's certificate in the environment means "TLS,
        # and only that client"; ours goes back in the handshake.
        client_cert = os.environ.get(CLIENT_CERT_ENV, "").strip()
        cert_field = ""
        address = "unix:" + socket_path
        if client_cert:
            from . import tls  # cryptography is imported only by plugins that need it
            certificate = tls.EphemeralCertificate()
            bound = self._server.add_secure_port(address, tls.server_credentials(client_cert, certificate))
            cert_field = certificate.handshake_field()
        else:
            bound = self._server.add_insecure_port(address)
        if not bound:
            raise RuntimeError(f"cannot listen on {socket_path}")
        self._server.start()
        self.handshake_line = f"{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|unix|{socket_path}|grpc|{cert_field}"

    def wait_for_stop(self):
        # The host normally stops us (SIGTERM, or the kernel's parent-death signal); this covers a
        # host that started us without one and then vanished: we are handed to another parent.
        host = os.getppid()
        while not self._stop.wait(1.0):
            if os.getppid() != host:
                log.info("host process %d is gone; plugin stopping", host)
                return

    def stop(self):
        self._health.stopping()
        in_flight = self._calls.count()
        if in_flight:
            log.info("stopping: letting %d call(s) in flight finish", in_flight)
        # No new calls from here on; those in flight get the grace period.
        self._server.stop(STOP_GRACE_SECONDS).wait()
        finished = self._calls.wait_until_idle(STOP_GRACE_SECONDS)
        shutil.rmtree(self._socket_dir, ignore_errors=True)
        if not finished:
            # A handler thread cannot be interrupted; waiting for it would keep the process alive.
            log.warning("%d call(s) still running after %.0f s; exiting without them",
                        self._calls.count(), STOP_GRACE_SECONDS)
            logging.shutdown()
            os._exit(0)
        self._pool.shutdown(wait=True)


class _CallsInFlight:
    def __init__(self):
        self._count = 0
        self._idle = threading.Condition()

    def __enter__(self):
        with self._idle:
            self._count += 1

    def __exit__(self, *exc):
        with self._idle:
            self._count -= 1
            if self._count == 0:
                self._idle.notify_all()

    def count(self):
        with self._idle:
            return self._count

    def wait_until_idle(self, timeout):
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout)


def _plugin_servicer(plugin_pb2, plugin_pb2_grpc, handler, calls):

    class PluginService(plugin_pb2_grpc.PluginServiceServicer):

        def Execute(self, request, context):  # noqa: N802 - gRPC's name
            with calls:
                try:
                    args = values.from_any_map(request.args)
                except ValueError as e:
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
                try:
                    data = handler.execute(request.method, args)
                except PluginError as e:
                    context.abort(e.code, str(e))
                except Exception as e:  # noqa: BLE001 - a bug in the handler is the caller's INTERNAL error
                    log.exception("method '%s' failed", request.method)
                    context.abort(grpc.StatusCode.INTERNAL, f"{type(e).__name__}: {e}")
                try:
                    packed = values.to_any_map(data)
                except ValueError as e:
                    context.abort(grpc.StatusCode.INTERNAL, f"method '{request.method}' returned what is not JSON: {e}")
                response = plugin_pb2.ExecuteResponse()
                for key, entry in packed.items():
                    response.data[key].CopyFrom(entry)
                return response

        def HealthCheck(self, request, context):  # noqa: N802 - gRPC's name
            return plugin_pb2.HealthCheckResponse(status="healthy" if handler.healthy() else "unhealthy")

    return PluginService()


def _health_servicer(health_pb2, health_pb2_grpc):
    serving_status = health_pb2.HealthCheckResponse.ServingStatus

    class Health(health_pb2_grpc.HealthServicer):
        """grpc.health.v1 Check for "" and "plugin" (Watch stays unimplemented: hosts only Check)."""

        def __init__(self):
            self._status = serving_status.Value("SERVING")

        def stopping(self):
            self._status = serving_status.Value("NOT_SERVING")

        def Check(self, request, context):  # noqa: N802 - gRPC's name
            if request.service not in ("", HEALTH_SERVICE):
                context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service '{request.service}'")
            return health_pb2.HealthCheckResponse(status=self._status)

    return Health()
