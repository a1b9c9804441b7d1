"""Photos sent from phones: checked by content, re-encoded, shrunk, stripped of metadata.

Nothing of the original file is kept: Pillow decodes the pixels and we write
new files, so EXIF (and the GPS position it may hold) never reaches the disk.
"""

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from participation.core.errors import DomainError

MAX_BYTES = 8 * 1024 * 1024
MAX_SIDE = 1600
THUMB_SIDE = 480
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
# Refuse images that decode to absurd sizes (decompression bombs): 40 megapixels.
MAX_PIXELS = 40_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


@dataclass(frozen=True)
class StoredImage:
    name: str        # the full image, e.g. "a1b2….jpg"
    thumb_name: str  # its thumbnail
    width: int
    height: int


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _refuse():
    return DomainError(_l("This file is not a photo we can use. Send a JPEG, PNG or WebP image "
                          "of at most 8 MB."), "photo")


def store_image(stream) -> StoredImage:
    """Check, re-encode and save an uploaded image; raise DomainError for anything else."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise DomainError(_l("This photo is larger than 8 MB. Send a smaller one."), "photo")
    if not data:
        raise _refuse()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise _refuse()
            if probe.width * probe.height > MAX_PIXELS:
                raise _refuse()
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)  # keep the photo upright, then drop EXIF
            has_alpha = image.mode in ("RGBA", "LA") or "transparency" in image.info
            image = image.convert("RGBA" if has_alpha else "RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse() from None
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    base = secrets.token_hex(16)
    extension, fmt, options = (("png", "PNG", {"optimize": True}) if has_alpha
                               else ("jpg", "JPEG", {"quality": 82, "optimize": True}))
    folder = upload_dir()
    name, thumb_name = f"{base}.{extension}", f"{base}-thumb.{extension}"
    image.save(folder / name, fmt, **options)
    thumb.save(folder / thumb_name, fmt, **options)
    return StoredImage(name, thumb_name, image.width, image.height)


def delete_image(*names: str | None) -> None:
    for name in names:
        if name:
            (upload_dir() / name).unlink(missing_ok=True)
