"""Upload bytes in S3-compatible object storage, shared by every app node.

Layout under the bucket's prefix:
- `partial/<upload id hex>/<start offset, 12 digits>`: one object per appended range. A range
  is written under the committed offset it starts at, while the upload's row is locked, and
  the offset moves only after the write; a range written but never committed (a node died
  in between) sits at the committed offset and the next append there replaces it.
- `blobs/<sha256>`: a finished file, named by its content (written once, never changed).

Blobs are immutable, so each node may keep a copy on its own disk (the local upload
directory acts as that cache) without ever serving stale bytes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from app.errors import DomainError

OFFSET_DIGITS = 12
_clients: dict[tuple[str | None, str | None], Any] = {}
_clients_lock = threading.Lock()


class StorageUnavailable(DomainError):
    """The object store did not answer: nothing was committed, the client retries."""

    status, slug, title = 503, "service-unavailable", "Service unavailable"

    def __init__(self) -> None:
        super().__init__(
            "File storage is briefly unavailable; try again.",
            headers={"Retry-After": "2"},
            extra={"retry_after": 2},
        )


def _client(endpoint: str | None, region: str | None) -> Any:
    """One boto3 client per process and endpoint (boto3 clients are thread-safe)."""
    key = (endpoint, region)
    with _clients_lock:
        if key not in _clients:
            import boto3
            from botocore.config import Config

            _clients[key] = boto3.client(
                "s3",
                endpoint_url=endpoint,
                region_name=region or "us-east-1",
                config=Config(
                    retries={"max_attempts": 3, "mode": "standard"},
                    connect_timeout=5,
                    read_timeout=30,
                    s3={"addressing_style": "path"},
                ),
            )
        return _clients[key]


@dataclass(frozen=True)
class S3Store:
    bucket: str
    prefix: str = ""
    endpoint: str | None = None
    region: str | None = None

    @classmethod
    def from_env(cls, config: Any) -> S3Store | None:
        env = os.environ
        bucket = config.get("UPLOAD_S3_BUCKET") or env.get("UPLOAD_S3_BUCKET")
        if not bucket:
            return None
        prefix = (config.get("UPLOAD_S3_PREFIX") or env.get("UPLOAD_S3_PREFIX") or "").strip("/")
        return cls(
            bucket=bucket,
            prefix=f"{prefix}/" if prefix else "",
            endpoint=config.get("UPLOAD_S3_ENDPOINT_URL") or env.get("UPLOAD_S3_ENDPOINT_URL") or None,
            region=config.get("UPLOAD_S3_REGION") or env.get("UPLOAD_S3_REGION") or None,
        )

    # ---- plumbing -------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        return _client(self.endpoint, self.region)

    def _call(self, method: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if code in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(kwargs.get("Key", "")) from exc
            if status >= 500 or code in ("SlowDown", "ServiceUnavailable", "InternalError"):
                raise StorageUnavailable() from exc
            raise
        except BotoCoreError as exc:  # connection refused, timeouts, DNS
            raise StorageUnavailable() from exc

    def _partial_prefix(self, upload_hex: str) -> str:
        return f"{self.prefix}partial/{upload_hex}/"

    def _blob_key(self, sha: str) -> str:
        return f"{self.prefix}blobs/{sha}"

    def _list(self, prefix: str) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Prefix": prefix}
            if token:
                kwargs["ContinuationToken"] = token
            page = self._call("list_objects_v2", **kwargs)
            yield from page.get("Contents", [])
            if not page.get("IsTruncated"):
                return
            token = page.get("NextContinuationToken")

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (for local setups; production creates it)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    # ---- unfinished uploads ---------------------------------------------------------------

    def put_range(self, upload_hex: str, start: int, src: BinaryIO) -> None:
        key = f"{self._partial_prefix(upload_hex)}{start:0{OFFSET_DIGITS}d}"
        self._call("put_object", Key=key, Body=src.read())

    def read_partial(self, upload_hex: str, out: BinaryIO, limit: int) -> int:
        """Write the upload's committed bytes (the first `limit`) to `out`; returns how many.

        Ranges are read in offset order; each contributes only its part past what is already
        written, and a gap ends the file (bytes past it were never committed)."""
        ranges = sorted(
            (int(obj["Key"].rsplit("/", 1)[1]), obj["Key"])
            for obj in self._list(self._partial_prefix(upload_hex))
        )
        written = 0
        for start, key in ranges:
            if written >= limit or start > written:
                break
            body = self._call("get_object", Key=key)["Body"].read()
            piece = body[written - start : limit - start]
            out.write(piece)
            written += len(piece)
        return written

    def drop_partial(self, upload_hex: str) -> None:
        keys = [{"Key": obj["Key"]} for obj in self._list(self._partial_prefix(upload_hex))]
        for i in range(0, len(keys), 1000):
            self._call("delete_objects", Delete={"Objects": keys[i : i + 1000], "Quiet": True})

    def partial_ids(self) -> set[str]:
        """The upload ids (hex) that have ranges stored."""
        head = f"{self.prefix}partial/"
        return {obj["Key"][len(head) :].split("/", 1)[0] for obj in self._list(head)}

    # ---- finished files -------------------------------------------------------------------

    def has_blob(self, sha: str) -> bool:
        try:
            self._call("head_object", Key=self._blob_key(sha))
        except FileNotFoundError:
            return False
        return True

    def put_blob(self, sha: str, path: Path) -> None:
        with open(path, "rb") as fh:
            self._call("put_object", Key=self._blob_key(sha), Body=fh)

    def fetch_blob(self, sha: str, dest: Path) -> None:
        """Copy a blob to `dest` (atomically: a reader never sees half a file)."""
        body = self._call("get_object", Key=self._blob_key(sha))["Body"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f"{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "wb") as fh:
                for piece in iter(lambda: body.read(64 * 1024), b""):
                    fh.write(piece)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)

    def delete_blob(self, sha: str) -> None:
        self._call("delete_object", Key=self._blob_key(sha))
