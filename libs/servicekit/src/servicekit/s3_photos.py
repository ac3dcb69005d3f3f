"""Photos in S3-compatible object storage (MinIO, Ceph RGW, Aliyun OSS, Tencent COS, AWS S3), so
that every replica of a service reads what any other stored (docs/operations.md, "Photos").

The client is the ``minio`` package: it signs every request with AWS Signature V4 and speaks plain
S3 over path-style URLs, so any S3-compatible peer works. It was chosen over boto3 for its cost in
a service process (measured with both on the same machine, after importing the service: +9.5 MiB
RSS and about half the import time for minio, +22 MiB for boto3; bench/README.md, "Object
storage client"). It is synchronous (urllib3): every call runs in a worker thread, never on the
event loop.

Objects are ``<bucket>/<service_name>/<owner parts>/<uuid>.<ext>``: the rows keep the same
relative path as on local disk, and several services can share one bucket without one's orphan
sweep seeing another's objects. The bucket is private: photos are streamed back by the service
after its own authorisation, never through presigned URLs (the storage need not be reachable from
outside, nothing is readable by whoever holds a link, and the API's photo URLs stay as they are).
"""

from __future__ import annotations

import asyncio
import functools
import io
from typing import Any
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.error import S3Error

from servicekit.errors import ProblemError
from servicekit.health import HealthCheck
from servicekit.imaging import CleanPhoto
from servicekit.logging import get_logger
from servicekit.photos import PhotoSettings, PhotoStream, StoredObject, new_photo_name

log = get_logger(__name__)

_READ_CHUNK = 256 * 1024
_MISSING = {"NoSuchKey", "NoSuchObject", "NotFound"}


def _client(
    endpoint: str, access_key: str, secret_key: str, region: str
) -> tuple[Minio, urllib3.PoolManager]:
    parts = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"photo_s3_endpoint must be http(s)://host[:port], not {endpoint!r}")
    # A request to the storage either answers within seconds or the photo route says 503: the
    # library's defaults (5 minutes, 5 retries) would hold a request and a thread far too long.
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=2.0, read=10.0),
        maxsize=16,
        retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )
    client = Minio(
        parts.netloc,
        access_key=access_key,
        secret_key=secret_key,
        secure=parts.scheme == "https",
        region=region,  # known, so no GetBucketLocation round trip before the first request
        http_client=http,
    )
    return client, http


class S3PhotoStore:
    """servicekit.photos.PhotoStorage over S3."""

    def __init__(
        self,
        client: Minio,
        bucket: str,
        prefix: str,
        *,
        create_bucket: bool = True,
        http: urllib3.PoolManager | None = None,
    ) -> None:
        if not prefix or "/" in prefix:
            raise ValueError(f"unsafe key prefix {prefix!r}")
        self.client = client
        self._http = http
        self.bucket = bucket
        self.prefix = prefix
        self.create_bucket = create_bucket

    @classmethod
    def from_settings(cls, settings: PhotoSettings) -> S3PhotoStore:
        client, http = _client(
            settings.photo_s3_endpoint,
            settings.photo_s3_access_key.get_secret_value(),
            settings.photo_s3_secret_key.get_secret_value(),
            settings.photo_s3_region,
        )
        return cls(
            client,
            settings.photo_s3_bucket,
            settings.service_name,
            create_bucket=settings.photo_s3_create_bucket,
            http=http,
        )

    def key_of(self, relative: str) -> str:
        parts = relative.split("/")
        if any(part in {"", ".", ".."} for part in parts):
            raise ValueError("path escapes the photo prefix")
        return f"{self.prefix}/{relative}"

    async def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(functools.partial(function, *args, **kwargs))
        except S3Error as exc:
            if exc.code in _MISSING:
                raise FileNotFoundError(exc.code) from exc
            log.warning("photo_storage_failed", code=exc.code, bucket=self.bucket)
            raise ProblemError("photo_storage_unavailable", 503) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            log.warning("photo_storage_unreachable", error=repr(exc)[:300])
            raise ProblemError("photo_storage_unavailable", 503) from exc

    async def prepare(self) -> None:
        if self.create_bucket and not await self._call(self.client.bucket_exists, self.bucket):
            try:
                await self._call(self.client.make_bucket, self.bucket)
            except ProblemError:
                # Another replica created it meanwhile, or these credentials may not: the
                # readiness check says which.
                if not await self._call(self.client.bucket_exists, self.bucket):
                    raise

    async def save(self, photo: CleanPhoto, *parts: str) -> str:
        relative = new_photo_name(photo, *parts)
        await self._call(
            self.client.put_object,
            self.bucket,
            self.key_of(relative),
            io.BytesIO(photo.data),
            len(photo.data),
            content_type=photo.content_type,
        )
        return relative

    async def open(self, relative: str) -> PhotoStream:
        response = await self._call(self.client.get_object, self.bucket, self.key_of(relative))
        length = response.headers.get("content-length")

        def close() -> None:
            response.close()
            response.release_conn()

        return PhotoStream(
            int(length) if length is not None else None, functools.partial(response.read, _READ_CHUNK), close
        )

    async def read(self, relative: str) -> bytes:
        return await (await self.open(relative)).read()

    async def delete(self, relative: str) -> None:
        # S3 answers a delete of a missing key with success.
        await self._call(self.client.remove_object, self.bucket, self.key_of(relative))

    async def listing(self) -> list[StoredObject]:
        def walk() -> list[StoredObject]:
            start = len(self.prefix) + 1
            return [
                StoredObject(item.object_name[start:], item.last_modified.timestamp())
                for item in self.client.list_objects(self.bucket, prefix=f"{self.prefix}/", recursive=True)
                if item.object_name and item.last_modified and not item.is_dir
            ]

        result: list[StoredObject] = await self._call(walk)
        return result

    def health_check(self) -> HealthCheck:
        async def check() -> str | None:
            exists = await self._call(self.client.bucket_exists, self.bucket)
            return None if exists else f"bucket {self.bucket} missing"

        return check

    async def aclose(self) -> None:
        if self._http is not None:
            self._http.clear()
