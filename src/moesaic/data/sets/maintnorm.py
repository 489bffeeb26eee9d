"""MaintNorm: raw vs normalised maintenance short texts from three mining companies.

Bikaun, Hodkiewicz & Liu, "MaintNorm: A corpus and benchmark model for lexical normalisation
and masking of industrial maintenance short text", W-NUT 2024.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import NamedTuple

from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import Document, MaintenanceData
from moesaic.data.tables import DataFormatError, read_text_checked

SPLITS = ("train", "val", "test")


class NormText(NamedTuple):
    """One text of a ``.norm`` file.

    Attributes:
        tokens: the original tokens, as written.
        normalised: the normalised form of each token ("" when the token is deleted; may hold
            several words or a mask such as ``<id>``).
        line: the 1-based line of its first token.
    """

    tokens: tuple[str, ...]
    normalised: tuple[str, ...]
    line: int


def read_norm_file(path: Path) -> list[NormText]:
    """A CoNLL-like ``.norm`` file: ``<original>\\t<normalised>`` per line, a blank line between texts.

    Raises:
        DataFormatError: a non-blank line without exactly one tab, or with an empty original
            token, naming the line; a file without any text.
    """
    texts: list[NormText] = []
    tokens: list[str] = []
    normalised: list[str] = []
    first = 0
    for number, line in enumerate(read_text_checked(path).splitlines(), start=1):
        if not line.strip():
            if tokens:
                texts.append(NormText(tuple(tokens), tuple(normalised), first))
                tokens, normalised = [], []
            continue
        if line.count("\t") != 1:
            found = "no tab" if "\t" not in line else f"{line.count(chr(9))} tabs"
            raise DataFormatError(
                path,
                f"expected `<original token><TAB><normalised token>`, found {found} in {line!r}",
                line=number,
            )
        raw, norm = line.split("\t")
        if not raw.strip():
            raise DataFormatError(
                path, f"expected an original token before the tab, found {line!r}", line=number
            )
        if not tokens:
            first = number
        tokens.append(raw.strip())
        normalised.append(norm.strip())
    if tokens:
        texts.append(NormText(tuple(tokens), tuple(normalised), first))
    if not texts:
        raise DataFormatError(path, "no texts found; expected token lines separated by blank lines")
    return texts


def load(folder: Path) -> MaintenanceData:
    documents = []
    for split in SPLITS:
        for i, item in enumerate(read_norm_file(folder / f"combined_{split}.norm")):
            documents.append(
                Document(
                    doc_id=f"{split}-{i}",
                    kind="text",
                    text=" ".join(item.tokens),
                    fields={"split": split, "tokens": item.tokens, "normalised": item.normalised},
                )
            )
    per_split = Counter(str(d.fields["split"]) for d in documents)
    counts = {
        "texts": len(documents),
        **{f"split={s}": per_split[s] for s in SPLITS},
        "tokens": sum(len(d.fields["tokens"]) for d in documents),
    }
    return MaintenanceData(
        name="maintnorm", documents=tuple(documents), meta={"counts": counts, "source": str(folder)}
    )


INFO = DatasetInfo(
    name="maintnorm",
    modality="text",
    description="MaintNorm: 12,000 maintenance short texts, raw vs normalised tokens (train/val/test)",
    licence="MIT",
    citation="Bikaun, Hodkiewicz & Liu, MaintNorm, W-NUT 2024",
    loader=load,
    expected={"documents": 12000, "texts": 12000, "split=train": 9600, "split=val": 1200, "split=test": 1200},
)
