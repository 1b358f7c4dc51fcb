"""PythonShareLinks: a GrpcPlugins HTTP route plugin in Python that adds share links to the file-transfer host.

Routes (grpcplugins.http.v1.RouteService), mounted by the host under its prefix (/v1/ext):
  POST   /shares            session: create an expiring link to a file the signed-in user may read
  GET    /shares/{token}    public:  download the file by its link, streamed, Range supported
  GET    /share-links       admin:   list every link
  DELETE /share-links/{id}  admin:   revoke a link
Files are read through the host callback ReadFile ("files.read"): on the user's behalf (user_id) when the link is
made, so that the host refuses another user's file; links live in the host callbacks' key-value store ("kv"), so they
survive the plugin's restart and upgrade. The launcher (./PythonShareLinks) generates the protos' code and runs this.
"""

import hashlib
import json
import re
import os
import secrets
import threading
import time
from datetime import datetime, timezone

import grpc

from grpcplugins.host.v1 import host_callbacks_pb2 as hc, host_callbacks_pb2_grpc as hc_grpc
from grpcplugins.http.v1 import http_pb2 as hp, http_pb2_grpc as hp_grpc
from grpcplugins.plugin.v1 import plugin_pb2 as pb
from grpcplugins_runtime import Lifecycle, fail, logger, serve

VERSIONS = (1, 2)
TOKEN_METADATA_KEY = "x-grpcplugins-host-token"
KEY_PREFIX = "link/"
MAX_REQUEST_BODY = 64 * 1024
CHUNK = 64 * 1024
ADMIN_ROLE = "admin"
DEFAULT_TTL = 24 * 3600
MAX_TTL = 30 * 24 * 3600

log = logger("PythonShareLinks")


# ---- HTTP answers ----

class HttpAnswer(Exception):
    """An answer other than success: a problem body shaped as the host's own (status, code, message)."""

    def __init__(self, status, code, message, headers=()):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, list(headers)


def head(status, headers):
    return hp.HandleResponse(head=hp.ResponseHead(status=status, headers=[hp.Header(name=n, value=v) for n, v in headers]))


def json_answer(status, body, headers=()):
    data = json.dumps(body).encode()
    yield head(status, [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(data))), *headers])
    if data:
        yield hp.HandleResponse(body=data)


def problem_answer(error):
    data = json.dumps({"status": error.status, "code": error.code, "message": error.message}).encode()
    yield head(error.status, [("Content-Type", "application/problem+json"), ("Content-Length", str(len(data))),
                              ("Cache-Control", "no-store"), *error.headers])
    yield hp.HandleResponse(body=data)


def iso(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat().replace("+00:00", "Z")


def header(request_head, name):
    for h in request_head.headers:
        if h.name.lower() == name.lower():
            return h.value
    return None


def link_id(token):
    """The id a link is kept and listed under: a digest of its token, so the store and the admin list hold no token."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def resolve_range(value, size):
    """The (first, length) of a single 'bytes=' range, None to send everything, or raises 416 (RFC 9110 14.1.2)."""
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", value or "")
    if not match or (match.group(1) == "" and match.group(2) == ""):
        return None  # absent, several ranges, or another unit: the whole content, as RFC 9110 allows
    first, last = match.group(1), match.group(2)
    if first == "":
        suffix = min(int(last), size)
        if suffix == 0:
            raise HttpAnswer(416, "range_not_satisfiable", f"The range '{value}' selects no byte of the {size}-byte file.",
                             [("Content-Range", f"bytes */{size}")])
        return size - suffix, suffix
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise HttpAnswer(416, "range_not_satisfiable", f"The range '{value}' starts past the end of the {size}-byte file.",
                         [("Content-Range", f"bytes */{size}")])
    return start, end - start + 1


# ---- host callbacks (docs/protocol.md section 13) ----

class Host:
    def __init__(self):
        self.address = os.environ.get("GRPCPLUGINS_HOST_CALLBACKS_ADDR")
        self.token = os.environ.get("GRPCPLUGINS_HOST_CALLBACKS_TOKEN", "")
        self._stub = None
        self._lock = threading.Lock()

    def stub(self):
        if not self.address:
            raise HttpAnswer(503, "unavailable", "The host offers no host callbacks, which share links need: serve them "
                                                 "(AddGrpcPluginsHostCallbacks) and grant this plugin 'files.read' and 'kv'.")
        with self._lock:
            if self._stub is None:
                self._stub = hc_grpc.HostCallbacksServiceStub(grpc.insecure_channel("unix:" + self.address))
            return self._stub

    def metadata(self):
        return ((TOKEN_METADATA_KEY, self.token),)

    def call(self, what, function, request):
        try:
            return function(request, metadata=self.metadata(), timeout=30)
        except grpc.RpcError as error:
            raise self.problem(what, error)

    @staticmethod
    def problem(what, error):
        code = error.code()
        if code == grpc.StatusCode.NOT_FOUND:
            return HttpAnswer(404, "not_found", error.details())
        if code == grpc.StatusCode.PERMISSION_DENIED:
            return HttpAnswer(503, "unavailable", f"The host refused {what}: {error.details()}")
        return HttpAnswer(503, "unavailable", f"The host could not {what} ({code.name}: {error.details()}); try again.")

    def get_link(self, identifier):
        answer = self.call("read a share link", self.stub().GetValue, hc.GetValueRequest(key=KEY_PREFIX + identifier))
        return json.loads(answer.value) if answer.found else None

    def put_link(self, link):
        self.call("keep the share link", self.stub().PutValue, hc.PutValueRequest(key=KEY_PREFIX + link["id"], value=json.dumps(link).encode()))

    def delete_link(self, identifier):
        return self.call("revoke the share link", self.stub().DeleteValue, hc.DeleteValueRequest(key=KEY_PREFIX + identifier)).deleted

    def links(self):
        answer = self.call("list share links", self.stub().ListValues, hc.ListValuesRequest(prefix=KEY_PREFIX))
        return [json.loads(e.value) for e in answer.entries]

    def open_file(self, file_id, user_id="", offset=0):
        """Opens a ReadFile stream; returns (call, metadata). The caller cancels the call when done early."""
        call = self.stub().ReadFile(hc.ReadFileRequest(file_id=file_id, user_id=user_id, offset=offset), metadata=self.metadata())
        try:
            first = next(call)
        except StopIteration:
            raise HttpAnswer(502, "internal", f"The host's ReadFile of '{file_id}' ended before its metadata.")
        except grpc.RpcError as error:
            raise self.problem("read the file", error)
        if first.WhichOneof("part") != "metadata":
            call.cancel()
            raise HttpAnswer(502, "internal", f"The host's ReadFile of '{file_id}' sent content before its metadata.")
        return call, first.metadata


# ---- the routes ----

class Routes(hp_grpc.RouteServiceServicer):
    def __init__(self, host, state):
        self.host, self.state = host, state

    def GetRoutes(self, request, context):
        return hp.GetRoutesResponse(routes=[
            hp.Route(method="POST", path_template="/shares", gate=hp.ROUTE_GATE_SESSION),
            hp.Route(method="GET", path_template="/shares/{token}", gate=hp.ROUTE_GATE_PUBLIC),
            hp.Route(method="GET", path_template="/share-links", gate=hp.ROUTE_GATE_ADMIN),
            hp.Route(method="DELETE", path_template="/share-links/{id}", gate=hp.ROUTE_GATE_ADMIN),
        ])

    def Handle(self, request_iterator, context):
        first = next(request_iterator, None)
        if first is None or first.WhichOneof("message") != "head":
            fail(context, pb.ERROR_CODE_INVALID_ARGUMENT,
                 "A Handle call must begin with the request head.", pb.ERROR_SOURCE_HOST)
        request = first.head
        route = (request.route.method, request.route.path_template)
        try:
            if route == ("POST", "/shares"):
                answer = self.create(request, read_body(request_iterator))
            elif route == ("GET", "/shares/{token}"):
                answer = self.download(request, context)
            elif route == ("GET", "/share-links"):
                answer = self.list_links()
            elif route == ("DELETE", "/share-links/{id}"):
                answer = self.revoke(request.route_values.get("id", ""))
            else:
                raise HttpAnswer(404, "not_found", f"This plugin serves no route {request.method} {request.path}.")
            yield from answer
        except HttpAnswer as error:
            yield from problem_answer(error)

    def create(self, request, body):
        if not request.user_id:
            raise HttpAnswer(401, "unauthenticated", "Creating a share link needs a session: sign in and send the token.")
        try:
            asked = json.loads(body or b"{}")
        except ValueError as error:
            raise HttpAnswer(400, "invalid_argument", f"The body is not JSON ({error}); send {{\"fileId\": \"...\", \"ttlSeconds\": 3600}}.")
        if not isinstance(asked, dict):
            asked = {}
        file_id = asked.get("fileId")
        ttl = asked.get("ttlSeconds", DEFAULT_TTL)
        if not isinstance(file_id, str) or not file_id:
            raise HttpAnswer(400, "invalid_argument", "Send {\"fileId\": \"...\"} with the id of one of your files (GET /v1/files lists them).")
        if not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 1 or ttl > MAX_TTL:
            raise HttpAnswer(400, "invalid_argument", f"ttlSeconds must be a whole number from 1 to {MAX_TTL} (30 days); it defaults to {DEFAULT_TTL}.")

        # An admin may share any file, so the plugin reads as itself; anyone else reads on their own behalf, and the
        # host answers NOT_FOUND for a file that is not theirs: no user can share another's file.
        admin = any(r.lower() == ADMIN_ROLE for r in request.roles)
        try:
            call, metadata = self.host.open_file(file_id, "" if admin else request.user_id)
        except HttpAnswer as error:
            if error.status == 404:
                raise HttpAnswer(404, "not_found", f"No file with id '{file_id}' is yours to share; list your files with GET /v1/files.")
            raise
        call.cancel()  # only the metadata was needed

        token = secrets.token_urlsafe(32)
        now = time.time()
        link = {"id": link_id(token), "fileId": file_id, "name": metadata.name, "size": metadata.size,
                "mimeType": metadata.mime_type, "owner": metadata.owner, "createdBy": request.user_id,
                "createdAt": now, "expiresAt": now + ttl}
        self.host.put_link(link)
        log(f"user {request.user_id} shared file {file_id} as link {link['id']} for {ttl} s")
        prefix = request.path[: -len("/shares")] if request.path.endswith("/shares") else ""
        url = f"{prefix}/shares/{token}"
        return json_answer(201, {"token": token, "url": url, **describe(link)}, [("Location", url), ("Cache-Control", "no-store")])

    def download(self, request, context):
        token = request.route_values.get("token", "")
        link = self.host.get_link(link_id(token)) if token else None
        if link is None:
            raise HttpAnswer(404, "not_found", "No share link has this token: it was revoked, or never existed. Ask for a new link.")
        if time.time() >= link["expiresAt"]:
            raise HttpAnswer(410, "not_found", f"This share link expired at {iso(link['expiresAt'])}. Ask for a new link.")
        size = link["size"]
        wanted = resolve_range(header(request, "Range"), size)
        first, length = wanted if wanted else (0, size)
        try:
            call, metadata = self.host.open_file(link["fileId"], "", first)
        except HttpAnswer as error:
            if error.status == 404:
                raise HttpAnswer(404, "not_found", "The shared file was deleted; the link no longer leads anywhere.")
            raise
        context.add_callback(call.cancel)  # the client went away: stop reading from the host

        headers = [("Content-Type", metadata.mime_type or "application/octet-stream"), ("Accept-Ranges", "bytes"),
                   ("Content-Length", str(length)), ("Cache-Control", "private, no-store"),
                   ("Content-Disposition", content_disposition(metadata.name))]
        if metadata.sha256:
            headers.append(("ETag", f"\"{metadata.sha256}\""))
        if wanted:
            headers.append(("Content-Range", f"bytes {first}-{first + length - 1}/{metadata.size}"))
        return stream(call, 206 if wanted else 200, headers, length)

    def list_links(self):
        links = sorted(self.host.links(), key=lambda l: l["createdAt"])
        return json_answer(200, {"links": [describe(l) for l in links]}, [("Cache-Control", "no-store")])

    def revoke(self, identifier):
        if not re.fullmatch(r"[0-9a-f]{32}", identifier or "") or not self.host.delete_link(identifier):
            raise HttpAnswer(404, "not_found", f"No share link has the id '{identifier}'; GET /v1/ext/share-links lists them.")
        log(f"link {identifier} revoked")
        return iter([head(204, [])])


def describe(link):
    return {"id": link["id"], "fileId": link["fileId"], "name": link["name"], "size": link["size"],
            "owner": link["owner"], "createdBy": link["createdBy"], "createdAt": iso(link["createdAt"]),
            "expiresAt": iso(link["expiresAt"]), "expired": time.time() >= link["expiresAt"]}


def content_disposition(name):
    from urllib.parse import quote
    return f"attachment; filename*=UTF-8''{quote(name, safe='')}"


def stream(call, status, headers, length):
    """The response head, then the host's chunks as they come, stopped after length bytes (a Range read ends early)."""
    yield head(status, headers)
    left = length
    try:
        for message in call:
            if left <= 0:
                break
            chunk = message.chunk
            if len(chunk) > left:
                chunk = chunk[:left]
            left -= len(chunk)
            for at in range(0, len(chunk), CHUNK):
                yield hp.HandleResponse(body=chunk[at:at + CHUNK])
    finally:
        call.cancel()
    if left > 0:
        # The file ended early or the host failed mid-way: end the call with an error so the host aborts the response.
        raise RuntimeError(f"the host's ReadFile ended {left} bytes short")


def read_body(request_iterator):
    body = bytearray()
    for message in request_iterator:
        if message.WhichOneof("message") == "body":
            body += message.body
            if len(body) > MAX_REQUEST_BODY:
                raise HttpAnswer(413, "invalid_argument", f"The body is over {MAX_REQUEST_BODY} bytes; send only {{\"fileId\", \"ttlSeconds\"}}.")
    return bytes(body)


# ---- lifecycle (docs/protocol.md section 5); grpcplugins_runtime does the rest of the protocol ----

class ShareLinksLifecycle(Lifecycle):
    def __init__(self, state):
        super().__init__()
        self.state = state

    def GetMetadata(self, request, context):
        return pb.GetMetadataResponse(metadata=pb.PluginMetadata(
            name="python-share-links", version="1.0.0", type=pb.PLUGIN_TYPE_CUSTOM,
            description="Expiring share links to stored files, in Python", license="MIT",
            api_versions=[f"v{v}" for v in VERSIONS], services=["grpcplugins.http.v1.RouteService"]))

    def Init(self, request, context):
        self.state["config"] = dict(request.config)
        return pb.InitResponse()


def main():
    state = {}
    serve("PythonShareLinks", VERSIONS, ShareLinksLifecycle(state),
          lambda server: hp_grpc.add_RouteServiceServicer_to_server(Routes(Host(), state), server), max_workers=32)


if __name__ == "__main__":
    main()
