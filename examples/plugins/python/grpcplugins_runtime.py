"""grpcplugins_runtime: the GrpcPlugins plugin protocol for Python plugins (docs/protocol.md), in one small module.

What every plugin does the same way lives here: the magic-cookie check, the API version choice, the private socket
folder, the gRPC server with grpc.health.v1, the handshake line on stdout, the end on Shutdown, SIGTERM or a closed
stdin, and typed errors (a google.rpc.Status whose detail is a PluginError). A plugin keeps only its own services:

    class Lifecycle(grpcplugins_runtime.Lifecycle):
        def GetMetadata(self, request, context): ...
        def Init(self, request, context): ...

    grpcplugins_runtime.serve("MyPlugin", (1, 2), Lifecycle(),
                              lambda server: my_grpc.add_MyServiceServicer_to_server(MyService(), server))

It needs the code build.sh generates from plugin.proto and grpc's health.proto on the PYTHONPATH.
"""

import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
from concurrent import futures

import grpc
from google.protobuf import any_pb2
from google.protobuf.internal.encoder import _VarintBytes

from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpcplugins.plugin.v1 import plugin_pb2 as pb, plugin_pb2_grpc as pb_grpc

COOKIE_KEY = "GRPCPLUGINS_MAGIC_COOKIE"
COOKIE_VALUE = "d3c1a5d3f0b74a4b9d2c6e8a1f5b7c90"
MAX_MESSAGE = 4 << 20


def logger(name):
    """A function that writes one line to stderr (the host logs it), prefixed with the plugin's name."""
    def log(message):
        print(f"{name}: {message}", file=sys.stderr, flush=True)
    return log


# ---- errors: a gRPC status whose google.rpc.Status detail carries a PluginError (docs/protocol.md section 7) ----

GRPC_CODE = {
    pb.ERROR_CODE_INVALID_ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    pb.ERROR_CODE_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    pb.ERROR_CODE_CANCELLED: grpc.StatusCode.CANCELLED,
    pb.ERROR_CODE_NOT_SUPPORTED: grpc.StatusCode.UNIMPLEMENTED,
    pb.ERROR_CODE_FAILED_PRECONDITION: grpc.StatusCode.FAILED_PRECONDITION,
    pb.ERROR_CODE_INTERNAL: grpc.StatusCode.INTERNAL,
}


def rpc_status_bytes(code, message, detail):
    """Serializes google.rpc.Status{code, message, details: [detail]} (googleapis google/rpc/status.proto, fields 1-3)
    by hand, so that a plugin needs no googleapis-common-protos."""
    text = message.encode()
    packed = detail.SerializeToString()
    return (b"\x08" + _VarintBytes(code) + b"\x12" + _VarintBytes(len(text)) + text
            + b"\x1a" + _VarintBytes(len(packed)) + packed)


def fail(context, code, message, source=pb.ERROR_SOURCE_PLUGIN, **facts):
    """Ends the call with a typed PluginError (code: a pb.ERROR_CODE_*; facts: its metadata); raises."""
    grpc_code = GRPC_CODE[code]
    detail = any_pb2.Any()
    detail.Pack(pb.PluginError(code=code, message=message, source=source, metadata=facts))
    context.set_trailing_metadata((("grpc-status-details-bin", rpc_status_bytes(grpc_code.value[0], message, detail)),))
    context.abort(grpc_code, message)


# ---- lifecycle and health (docs/protocol.md sections 5 and 6) ----

class Lifecycle(pb_grpc.PluginServiceServicer):
    """The base of a plugin's PluginService: Shutdown ends serve(). A plugin answers GetMetadata and Init."""

    def __init__(self):
        self.stop = threading.Event()

    def Shutdown(self, request, context):
        self.stop.set()
        return pb.ShutdownResponse()


class Health(health_pb2_grpc.HealthServicer):
    """grpc.health.v1: SERVING for the server ("") and for "plugin", NOT_FOUND for any other name."""

    def Check(self, request, context):
        if request.service in ("", "plugin"):
            return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
        context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service '{request.service}'")


# ---- the start: cookie, version, socket, handshake (docs/protocol.md sections 2 to 4) ----

def check_cookie():
    """Exits with a message for a person who ran the plugin by hand: only a host sets the cookie."""
    if os.environ.get(COOKIE_KEY) != COOKIE_VALUE:
        sys.exit("This is a plugin, started by a host: it is not meant to be run by hand. Configure it in a GrpcPlugins "
                 "host (the 'Plugins' section of appsettings.json). (The environment variable GRPCPLUGINS_MAGIC_COOKIE "
                 "that a host sets is missing or wrong.)")


def choose_version(versions):
    """The highest of the plugin's API versions that the host offers in PLUGIN_PROTOCOL_VERSIONS (all when it offers
    none); exits saying both lists when they share none."""
    offered = {int(v.strip()) for v in os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "").split(",") if v.strip().isdigit()}
    shared = [v for v in versions if v in offered] if offered else list(versions)
    if not shared:
        sys.exit(f"This plugin speaks API versions {', '.join(f'v{v}' for v in versions)}, but the host speaks only "
                 f"{', '.join(f'v{v}' for v in sorted(offered))}. Use a host and plugin with a version in common.")
    return max(shared)


def socket_folder():
    """A new folder only this user may enter, under PLUGIN_UNIX_SOCKET_DIR (the temp folder by default)."""
    base = os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or tempfile.gettempdir()
    os.makedirs(base, exist_ok=True)
    folder = os.path.join(base, f"plugin-{os.getpid()}-{secrets.token_hex(12)}")
    os.mkdir(folder, 0o700)
    return folder


def serve(name, versions, lifecycle, add_services, max_workers=16):
    """Runs the plugin until the host ends it: checks the cookie, chooses the API version among versions, serves
    health, lifecycle (a Lifecycle) and the plugin's services (add_services(server) adds them) on a private Unix
    socket, writes the handshake line, and returns after Shutdown, SIGTERM or (GRPCPLUGINS_STDIN_WATCH=1) the end of
    stdin, with the socket folder removed. name prefixes its log lines; max_workers bounds concurrent calls."""
    check_cookie()
    version = choose_version(versions)
    folder = socket_folder()
    sock = os.path.join(folder, "plugin.sock")

    stop = lifecycle.stop
    server = grpc.server(futures.ThreadPoolExecutor(max_workers), options=[
        ("grpc.max_receive_message_length", MAX_MESSAGE), ("grpc.max_send_message_length", MAX_MESSAGE)])
    health_pb2_grpc.add_HealthServicer_to_server(Health(), server)
    pb_grpc.add_PluginServiceServicer_to_server(lifecycle, server)
    add_services(server)
    server.add_insecure_port("unix:" + sock)
    server.start()
    os.chmod(sock, 0o600)

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if os.environ.get("GRPCPLUGINS_STDIN_WATCH") == "1":
        def watch_stdin():  # os.read, not sys.stdin: a thread blocked in a buffered read aborts Python's exit
            while os.read(0, 4096):
                pass
            stop.set()
        threading.Thread(target=watch_stdin, daemon=True).start()

    print(f"1|{version}|unix|{sock}|grpc|", flush=True)  # the only line on stdout
    logger(name)(f"serving API v{version} on {sock}")
    stop.wait()
    server.stop(grace=5).wait()
    shutil.rmtree(folder, ignore_errors=True)
