"""Resumable document uploads over tus 1.0.0 (core, creation, creation-with-upload,
checksum, termination, expiration). See docs/uploads.md.

The protocol is header-driven, so these views read headers rather than JSON; every
error is still problem+json. A PATCH never holds a database transaction while bytes
arrive: it streams into a file of its own, then appends under a short row lock.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request, send_file, url_for
from flask.views import MethodView
from flask_jwt_extended import current_user, verify_jwt_in_request
from flask_smorest import Blueprint
from werkzeug.http import http_date

from api.security import BEARER, citizen_required, request_language
from api.transactions import commit_step, commits
from api.uploads import body
from api.uploads.settings import settings
from app.errors import Forbidden, Gone, NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from app.extensions import db
from app.jobs import push_worker
from app.limits import per_user
from app.models.uploads import COMPLETE, Upload
from app.public_urls import public_url
from app.services import (
    tus,
    upload_expiry,
    upload_store,
    uploads,
    warehouse_access,
)

# These views answer with Responses of their own; this is what the OpenAPI document says.
NO_CONTENT = {"204": {"description": "Done (the tus headers say where the upload stands)"}}
CAPABILITIES = {"204": {"description": "tus capabilities: Tus-Version, Tus-Extension, Tus-Max-Size"}}
JSON_OK = {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}}
FILE_OK = {
    "200": {
        "description": "The stored file, in its own type",
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    }
}

blp = Blueprint(
    "uploads", __name__, url_prefix="/api/v1/uploads", description="Resumable document uploads (tus 1.0.0)"
)


@blp.before_request
def _limits() -> None:
    # A PATCH body may be larger than the JSON API's global limit, but never unbounded.
    request.max_content_length = settings().chunk_max
    if request.method != "OPTIONS" and request.method != "GET":
        tus.check_version(request.headers.get("Tus-Resumable"))


@blp.before_request
def _sweeping() -> None:
    # Uploads left unfinished must expire even in a process that never sends a push.
    push_worker.ensure_sweeping(current_app._get_current_object())  # type: ignore[attr-defined]


@blp.after_request
def _tus_headers(resp: Response) -> Response:
    resp.headers["Tus-Resumable"] = tus.TUS_VERSION
    return resp


def _discovery() -> Response:
    s = settings()
    return Response(
        status=204,
        headers={
            "Tus-Version": tus.TUS_VERSION,
            "Tus-Extension": tus.TUS_EXTENSIONS,
            "Tus-Max-Size": str(s.max_size),
            "Tus-Checksum-Algorithm": ",".join(tus.CHECKSUMS),
        },
    )


def _status_headers(upload: Upload) -> dict[str, str]:
    headers = {
        "Upload-Offset": str(upload.offset),
        "Upload-Length": str(upload.length),
        "Cache-Control": "no-store",
    }
    if upload.status != COMPLETE:
        headers["Upload-Expires"] = http_date(upload.expires_at)
    return headers


@blp.route("", methods=["OPTIONS", "POST"], provide_automatic_options=False)
class UploadCollection(MethodView):
    @blp.doc(responses=CAPABILITIES)
    def options(self) -> Response:
        """Server capabilities: tus version, extensions, size limit, checksum algorithms."""
        return _discovery()

    @blp.doc(security=BEARER, responses={"201": {"description": "Created; see Location"}})
    @citizen_required
    @per_user("RATELIMIT_UPLOADS_USER")
    def post(self) -> Response:
        """Create an upload (Upload-Length, Upload-Metadata), optionally with its first bytes."""
        length = tus.parse_int(request.headers.get("Upload-Length"), "Upload-Length")
        if length == 0:
            raise ValidationFailed(
                "An empty file is not a document.", errors={"Upload-Length": ["Must be at least 1 byte."]}
            )
        s = settings()
        if length > s.max_size:
            raise PayloadTooLarge(f"At most {s.max_size} bytes.", extra={"max_bytes": s.max_size})
        upload = uploads.create(
            db.session, s, current_user, length, request.headers.get("Upload-Metadata"), request_language()
        )
        commit_step()
        with_body = (request.content_type or "").startswith(tus.OCTET_STREAM) and (
            request.content_length or request.headers.get("Transfer-Encoding")
        )
        if with_body and upload.status != COMPLETE:
            upload_id = upload.id
            try:
                stored = body.write_body(upload)
            except tus.ChecksumMismatch:
                # The client never got a Location for it: leave nothing behind.
                gone = db.session.get(Upload, upload_id)
                if gone is not None:
                    uploads.discard(db.session, s, gone)
                    commit_step()
                raise
            if stored is None:
                raise NotFound("The upload was removed meanwhile.")
            upload = stored
        # Never from the request's Host header (app/public_urls.py).
        location = public_url(url_for("uploads.UploadItem", upload_id=str(upload.id)))
        headers = {"Location": location, **_status_headers(upload)}
        return Response(status=201, headers=headers)


@blp.route(
    "/<upload_id>",
    methods=["OPTIONS", "HEAD", "GET", "PATCH", "DELETE", "POST"],
    provide_automatic_options=False,
)
class UploadItem(MethodView):
    @blp.doc(responses=CAPABILITIES)
    def options(self, upload_id: str) -> Response:
        return _discovery()

    @blp.doc(security=BEARER, responses={"200": {"description": "Upload-Offset, Upload-Length"}})
    def head(self, upload_id: str) -> Response:
        """How far the upload got (Upload-Offset) and how long it lives (Upload-Expires)."""
        upload = self._mine(upload_id)
        if upload.status != COMPLETE and upload.offset == upload.length:
            # A crash after the last bytes but before completion: finish it now.
            body.finish_again(upload)
        return Response(
            status=200, headers={**_status_headers(upload), "Upload-Metadata": upload.metadata_header}
        )

    @blp.doc(security=BEARER, responses=JSON_OK)
    def get(self, upload_id: str) -> Response:
        """The upload as JSON (status, offset, sha256, detected type)."""
        verify_jwt_in_request()
        upload = self._mine(upload_id)
        resp = current_app.json.response(uploads.upload_dict(upload))
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @blp.doc(security=BEARER, responses=NO_CONTENT)
    @per_user("RATELIMIT_UPLOADS_USER")
    def patch(self, upload_id: str) -> Response:
        """Append bytes at Upload-Offset (Content-Type: application/offset+octet-stream)."""
        if not (request.content_type or "").startswith(tus.OCTET_STREAM):
            raise UnsupportedMediaType(f"Send the bytes as {tus.OCTET_STREAM}.")
        tus.parse_checksum(request.headers.get("Upload-Checksum"))  # 400 before anything else
        upload = self._mine(upload_id)
        offset = tus.parse_int(request.headers.get("Upload-Offset"), "Upload-Offset")
        if offset != upload.offset:
            raise tus.OffsetMismatch(
                f"The server has {upload.offset} bytes of this upload; send from there.",
                headers={"Upload-Offset": str(upload.offset)},
                extra={"offset": upload.offset},
            )
        if upload.status == COMPLETE:
            if request.content_length:
                raise PayloadTooLarge("The upload is already complete.")
            return Response(status=204, headers=_status_headers(upload))
        stored = body.write_body(upload)
        if stored is None:
            raise NotFound("No such upload.")
        return Response(status=204, headers=_status_headers(stored))

    @blp.doc(security=BEARER, responses=NO_CONTENT)
    @commits
    def delete(self, upload_id: str) -> Response:
        """Terminate: forget the upload and its bytes."""
        upload = self._mine(upload_id, alive=False)
        uploads.terminate(db.session, settings(), upload)
        return Response(status=204)

    @blp.doc(responses=NO_CONTENT)
    def post(self, upload_id: str) -> Response:
        """X-HTTP-Method-Override for clients that cannot send PATCH or DELETE."""
        method = (request.headers.get("X-HTTP-Method-Override") or "").upper()
        if method == "PATCH":
            return self.patch(upload_id)
        if method == "DELETE":
            return self.delete(upload_id)
        raise ValidationFailed("POST here needs X-HTTP-Method-Override: PATCH or DELETE.")

    @staticmethod
    def _mine(upload_id: str, alive: bool = True) -> Upload:
        verify_jwt_in_request()
        if current_user.is_official:
            raise Forbidden("Uploads are made by citizens.")
        upload = uploads.get_owned(db.session, current_user, upload_id)
        if alive:
            s, key = settings(), upload.id
            try:
                upload_expiry.ensure_alive(db.session, s, upload)
            except Gone:
                commit_step()
                upload_store.drop_partial(s, key)  # its bytes go once the commit says expired
                raise
            finally:
                commit_step()
        return upload


@blp.get("")
@blp.doc(security=BEARER, responses=JSON_OK)
@citizen_required
def list_uploads() -> Any:
    """My uploads, newest first (finished and unfinished)."""
    return {"items": [uploads.upload_dict(u) for u in uploads.list_owned(db.session, current_user)]}


@blp.get("/<upload_id>/content")
@blp.doc(security=BEARER, responses=FILE_OK)
@commits
def content(upload_id: str) -> Response:
    """The stored file: for its owner, or an official of the agency handling a dossier using it."""
    verify_jwt_in_request()
    user = current_user
    upload, use = uploads.readable_by(db.session, user, upload_id)
    path = upload_store.content_path(settings(), upload)
    if use is not None:
        # An official reading a citizen's file is in the citizen's access log, like record reads.
        warehouse_access.log_upload_read(db.session, upload, user, dossier_id=use[0], document_code=use[1])
    resp = send_file(
        path,
        mimetype=upload.content_type or "application/octet-stream",
        as_attachment=True,
        download_name=uploads.clean_filename(upload.filename) or f"{upload.id}",
        etag=upload.sha256,
        conditional=True,
        max_age=0,
    )
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp
