"""Drawing files in, grayscale pages out: PNG, JPG, TIFF, BMP, and PDF through ``pdftoppm``."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from moesaic.data.tables import DataFormatError, check_file
from moesaic.drawings.ocr import MissingEngineError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
PDF_DPI = 200


class PageRangeError(ValueError):
    """A page the drawing file does not have. ``page`` counts from 0, as in the library; the CLI
    words it in its own terms (``--page`` counts from 1)."""

    def __init__(self, path: Path | str, page: int, pages: int) -> None:
        self.path, self.page, self.pages = Path(path), page, pages
        super().__init__(
            f"{path} has {pages} page(s): page {page + 1} does not exist "
            f"(`page` counts from 0 and must be in [0, {pages - 1}], got {page})"
        )

    def in_words(self, option: str) -> str:
        """The error for a user who counts pages from 1 with ``option`` (``--page``)."""
        what = "the PDF" if self.path.suffix.lower() == ".pdf" else "the file"
        count = f"{self.pages} page" + ("s" if self.pages != 1 else "")
        return (
            f"{self.path}: page {self.page + 1} does not exist: {what} has {count} ({option} counts from 1)"
        )


def load_pages(path: Path, *, dpi: int = PDF_DPI) -> list[np.ndarray]:
    """The pages of a drawing file as grayscale arrays (H, W) uint8 (see :func:`to_gray`).

    PNG, JPG, TIFF and BMP give one page; a PDF gives one page per sheet, rasterised at ``dpi``
    by ``pdftoppm`` (Debian package ``poppler-utils``).

    Raises:
        DataFormatError: a missing file, an unknown suffix, or a file that is not an image.
        MissingEngineError: a PDF without ``pdftoppm`` on the PATH.
    """
    path = Path(path)
    check_file(path, f"a drawing file ({', '.join((*IMAGE_SUFFIXES, '.pdf'))}), one sheet at a time")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _pdf_pages(path, dpi)
    if suffix not in IMAGE_SUFFIXES:
        raise DataFormatError(
            path, f"expected a drawing as one of {(*IMAGE_SUFFIXES, '.pdf')}, found {suffix!r}"
        )
    try:
        with Image.open(path) as image:
            return [to_gray(image)]
    except (OSError, Image.DecompressionBombError) as err:
        raise DataFormatError(path, f"not a readable image ({err})") from None


def to_gray(image: Image.Image) -> np.ndarray:
    """The image as grayscale (H, W) uint8, dark ink on light paper.

    A transparent image (a CAD export: black lines on a transparent background) is laid on white
    paper first, as a viewer shows it; dropping the alpha channel would leave all black. A 16-bit
    image is scaled to 8 bits; a plain conversion would clip every tone above 255 to white.
    """
    if image.mode.startswith("I"):
        pixels = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or pixels.max() > 255 else 255.0
        return np.clip(pixels * (255.0 / top) + 0.5, 0, 255).astype(np.uint8)
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(paper, rgba).convert("L"))
    return np.asarray(image.convert("L"))


def _pdf_pages(path: Path, dpi: int) -> list[np.ndarray]:
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise MissingEngineError(
            "reading PDF drawings needs `pdftoppm`: install the Debian package poppler-utils "
            "(apt-get install poppler-utils)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [exe, "-r", str(dpi), "-gray", "-png", str(path), f"{tmp}/page"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise DataFormatError(path, f"pdftoppm could not rasterise it: {done.stderr.strip()}")
        pages = sorted(Path(tmp).glob("page*.png"))
        if not pages:
            raise DataFormatError(path, "the PDF has no pages")
        out = []
        for page in pages:
            with Image.open(page) as image:
                out.append(to_gray(image))
        return out
