"""Evidence photos: JPEG, PNG or WebP up to PHOTO_MAX_BYTES, kept under the data folder as photos/ab/<sha256>."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

PHOTO_MAX_BYTES = 5 * 1024 * 1024  # the audit form shrinks photos to about 1600 px (a few hundred KB) before keeping them


def media_type(data: bytes) -> str | None:
    """The image type by its first bytes (never by what the client says), or None when it is none we accept."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def photo_path(data_dir: str | Path, sha256: str) -> Path:
    return Path(data_dir) / "photos" / sha256[:2] / sha256


def save_photo(data_dir: str | Path, data: bytes) -> str:
    """Write the photo durably (temporary file, fsync, rename) unless it is there already; returns its sha256."""
    sha256 = hashlib.sha256(data).hexdigest()
    path = photo_path(data_dir, sha256)
    if path.exists():
        return sha256
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return sha256
