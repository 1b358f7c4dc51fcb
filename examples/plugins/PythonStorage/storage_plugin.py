"""PythonStorage: a GrpcPlugins storage plugin in Python, written from docs/protocol.md alone.

Files on disk under the Init config key "root": each item is objects/<id> (its bytes) and objects/<id>.json (its
metadata). A Store writes to tmp/ and renames into objects/ only after the host's StoreEnd marker has arrived and
agrees with the bytes, so a cut-off or damaged upload leaves nothing. SHA-256 digests, ranged reads, list paging,
Stat and Stats. The launcher (./PythonStorage) generates the protos' code and runs this file.
"""

import base64
import hashlib
import json
import os
import time
import uuid

from google.protobuf import timestamp_pb2

from grpcplugins.plugin.v1 import plugin_pb2 as pb
from grpcplugins.storage.v1 import storage_pb2 as st, storage_pb2_grpc as st_grpc
from grpcplugins_runtime import Lifecycle, fail, serve

VERSIONS = (1, 2)  # storage serves grpcplugins.storage.v1 under app protocols 1 and 2
CHUNK = 64 * 1024
DEFAULT_PAGE = 100
STORE_END_HEADER = "grpcplugins-store-end"


# ---- the storage itself ----

class Storage(st_grpc.StorageServiceServicer):
    def __init__(self, state):
        self.state = state

    def _root(self, context):
        if not self.state.get("root"):
            fail(context, pb.ERROR_CODE_FAILED_PRECONDITION,
                 "The plugin was called before Init: the host must call PluginService/Init first.", pb.ERROR_SOURCE_HOST)
        return self.state["root"]

    def _meta_path(self, root, item_id):
        return os.path.join(root, "objects", item_id + ".json")

    def _load(self, context, root, item_id):
        try:
            uuid.UUID(hex=item_id)
            with open(self._meta_path(root, item_id), encoding="utf-8") as f:
                return json.load(f)
        except (ValueError, FileNotFoundError):
            fail(context, pb.ERROR_CODE_NOT_FOUND, f"No stored item has the id '{item_id}'. List the items to find it.", id=item_id)

    @staticmethod
    def _metadata(record):
        created = timestamp_pb2.Timestamp(seconds=record["created_at"][0], nanos=record["created_at"][1])
        return st.ObjectMetadata(name=record["name"], size=record["size"], mime_type=record["mime_type"],
                                 created_at=created, custom=record["custom"], sha256=record["sha256"],
                                 owner=record.get("owner", ""))  # sidecars written before owners have none

    def Store(self, request_iterator, context):
        root = self._root(context)
        expects_end = any(k == STORE_END_HEADER for k, _ in context.invocation_metadata())
        item_id = uuid.uuid4().hex
        part = os.path.join(root, "tmp", item_id + ".part")
        digest, size, metadata, end = hashlib.sha256(), 0, None, None
        try:
            with open(part, "wb") as out:
                for message in request_iterator:
                    kind = message.WhichOneof("part")
                    if metadata is None:
                        if kind != "metadata":
                            fail(context, pb.ERROR_CODE_INVALID_ARGUMENT, "The Store stream must begin with a metadata message, then the chunks.", pb.ERROR_SOURCE_HOST)
                        metadata = message.metadata
                    elif end is not None:
                        fail(context, pb.ERROR_CODE_INVALID_ARGUMENT, f"A {kind} message came after the Store's StoreEnd, which must be the last; nothing was stored.", pb.ERROR_SOURCE_HOST)
                    elif kind == "chunk":
                        out.write(message.chunk)
                        digest.update(message.chunk)
                        size += len(message.chunk)
                    elif kind == "end":
                        end = message.end
                    else:
                        fail(context, pb.ERROR_CODE_INVALID_ARGUMENT, f"A {kind} message came after the Store's first; only chunks and one StoreEnd may follow.", pb.ERROR_SOURCE_HOST)
                if metadata is None:
                    fail(context, pb.ERROR_CODE_INVALID_ARGUMENT, "The Store stream was empty: send a metadata message first, then the chunks.", pb.ERROR_SOURCE_HOST)
                # grpcio may end a cancelled stream like a complete one: only the end marker proves the upload whole.
                if end is None or not context.is_active():
                    fail(context, pb.ERROR_CODE_CANCELLED,
                         f"The Store stream ended after {size} bytes without its StoreEnd message, so the upload was cut off; nothing was stored."
                         + ("" if expects_end else " This plugin declares CAPABILITY_STORE_END: use a host that sends StoreEnd."),
                         pb.ERROR_SOURCE_HOST)
                sha256 = digest.hexdigest()
                if end.total_size != size or end.sha256.lower() != sha256:
                    fail(context, pb.ERROR_CODE_INVALID_ARGUMENT,
                         f"The Store's StoreEnd says {end.total_size} bytes with SHA-256 '{end.sha256}', but {size} bytes with SHA-256 '{sha256}' arrived; nothing was stored. Send the content again.",
                         pb.ERROR_SOURCE_HOST)
                out.flush()
                os.fsync(out.fileno())
            now = time.time_ns()
            record = {"id": item_id, "name": metadata.name, "size": size, "mime_type": metadata.mime_type or "application/octet-stream",
                      "created_at": [now // 1_000_000_000, now % 1_000_000_000], "custom": dict(metadata.custom), "sha256": sha256,
                      "owner": metadata.owner}
            # The commit: the bytes move into objects/ first, then the metadata, which is what makes the item visible.
            os.replace(part, os.path.join(root, "objects", item_id))
            meta_part = part + ".json"
            with open(meta_part, "w", encoding="utf-8") as f:
                json.dump(record, f)
            os.replace(meta_part, self._meta_path(root, item_id))
            return st.StoreResponse(id=item_id, metadata=self._metadata(record))
        finally:
            for leftover in (part, part + ".json"):
                if os.path.exists(leftover):
                    os.remove(leftover)

    def Retrieve(self, request, context):
        root = self._root(context)
        record = self._load(context, root, request.id)
        if request.offset < 0 or request.length < 0 or request.offset > record["size"]:
            fail(context, pb.ERROR_CODE_INVALID_ARGUMENT,
                 f"The range starts at {request.offset} (length {request.length}), outside the item's {record['size']} bytes.", pb.ERROR_SOURCE_HOST)
        yield st.RetrieveResponse(metadata=self._metadata(record))
        left = record["size"] - request.offset if request.length == 0 else min(request.length, record["size"] - request.offset)
        with open(os.path.join(root, "objects", request.id), "rb") as f:
            f.seek(request.offset)
            while left > 0 and context.is_active():
                chunk = f.read(min(CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield st.RetrieveResponse(chunk=chunk)

    def Stat(self, request, context):
        root = self._root(context)
        return st.StatResponse(metadata=self._metadata(self._load(context, root, request.id)))

    def Delete(self, request, context):
        root = self._root(context)
        self._load(context, root, request.id)
        os.remove(self._meta_path(root, request.id))  # invisible from here on
        try:
            os.remove(os.path.join(root, "objects", request.id))
        except FileNotFoundError:
            pass
        return st.DeleteResponse()

    def _all(self, root):
        records = []
        for entry in os.listdir(os.path.join(root, "objects")):
            if entry.endswith(".json"):
                try:
                    with open(os.path.join(root, "objects", entry), encoding="utf-8") as f:
                        records.append(json.load(f))
                except (OSError, ValueError):
                    pass  # deleted meanwhile
        return sorted(records, key=lambda r: (r["name"], r["id"]))

    def List(self, request, context):
        root = self._root(context)
        limit = request.limit if request.limit > 0 else DEFAULT_PAGE
        after = None
        if request.page_token:
            try:
                after = tuple(json.loads(base64.urlsafe_b64decode(request.page_token.encode())))
            except ValueError:
                fail(context, pb.ERROR_CODE_INVALID_ARGUMENT, "The page token is not one this plugin gave: start the listing again without it.", pb.ERROR_SOURCE_HOST)
        matching = [r for r in self._all(root) if r["name"].startswith(request.prefix) and (after is None or (r["name"], r["id"]) > after)]
        page = matching[:limit]
        token = ""
        if len(matching) > limit:
            last = page[-1]
            token = base64.urlsafe_b64encode(json.dumps([last["name"], last["id"]]).encode()).decode()
        return st.ListResponse(items=[st.Item(id=r["id"], metadata=self._metadata(r)) for r in page], next_page_token=token)

    def Stats(self, request, context):
        records = self._all(self._root(context))
        return st.StatsResponse(total_items=len(records), total_size=sum(r["size"] for r in records))


# ---- lifecycle (docs/protocol.md section 5); grpcplugins_runtime does the rest of the protocol ----

class StorageLifecycle(Lifecycle):
    def __init__(self, state):
        super().__init__()
        self.state = state

    def GetMetadata(self, request, context):
        return pb.GetMetadataResponse(metadata=pb.PluginMetadata(
            name="python-storage", version="1.0.0", type=pb.PLUGIN_TYPE_STORAGE, description="Files on disk, in Python",
            license="MIT", api_versions=[f"v{v}" for v in VERSIONS],
            capabilities=[pb.CAPABILITY_RANGED_READS, pb.CAPABILITY_SHA256_DIGESTS, pb.CAPABILITY_STORE_END],
            services=["grpcplugins.storage.v1.StorageService"]))

    def Init(self, request, context):
        root = request.config.get("root")
        if not root:
            fail(context, pb.ERROR_CODE_INVALID_ARGUMENT, "The config has no 'root': set Plugins:<name>:Config:root to the folder to store files in.", pb.ERROR_SOURCE_HOST)
        for sub in ("objects", "tmp"):
            os.makedirs(os.path.join(root, sub), exist_ok=True)
        for leftover in os.listdir(os.path.join(root, "tmp")):  # parts of uploads cut off by a crash
            os.remove(os.path.join(root, "tmp", leftover))
        self.state["root"] = root
        return pb.InitResponse()


def main():
    state = {}
    serve("PythonStorage", VERSIONS, StorageLifecycle(state),
          lambda server: st_grpc.add_StorageServiceServicer_to_server(Storage(state), server))


if __name__ == "__main__":
    main()
