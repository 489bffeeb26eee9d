"""FMC-MWO2KG: maintenance failure observations labelled with ISO 14224-style failure modes.

Stewart, Liu & Cardell-Oliver, "MWO2KG and Echidna", 2022; used in Stewart, Hodkiewicz & Li,
"Large Language Models for Failure Mode Classification: An Investigation", 2023.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import NamedTuple

from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import Document, MaintenanceData
from moesaic.data.tables import DataFormatError, read_text_checked

SPLITS = ("train", "dev", "test")


class LabelledText(NamedTuple):
    text: str
    label: str
    line: int  # 1-based line in the file


def _unquote(cell: str) -> str:
    # A CSV writer quotes a cell holding a comma; undo that, but leave any other quote alone.
    if len(cell) >= 2 and cell[0] == cell[-1] == '"':
        return cell[1:-1].replace('""', '"')
    return cell


def read_fmc_file(path: Path) -> list[LabelledText]:
    """A header-less ``observation,label`` file, one item per non-blank line.

    Labels never hold a comma but observations may, so the last comma splits the line.

    Raises:
        DataFormatError: a line without a comma, or with an empty observation or label,
            naming the line; a file without any item.
    """
    items = []
    for number, line in enumerate(read_text_checked(path).splitlines(), start=1):
        if not line.strip():
            continue
        text, comma, label = line.rpartition(",")
        if not comma:
            raise DataFormatError(
                path, f"expected `observation,label`, found no comma in {line!r}", line=number
            )
        text, label = _unquote(text.strip()).strip(), _unquote(label.strip()).strip()
        if not text or not label:
            missing = "observation" if not text else "label"
            raise DataFormatError(
                path, f"expected `observation,label`, found an empty {missing} in {line!r}", line=number
            )
        items.append(LabelledText(text, label, number))
    if not items:
        raise DataFormatError(path, "no items found; expected one `observation,label` per line")
    return items


def load(folder: Path) -> MaintenanceData:
    documents = []
    for split in SPLITS:
        for i, item in enumerate(read_fmc_file(folder / f"{split}.txt")):
            documents.append(
                Document(
                    doc_id=f"{split}-{i}",
                    kind="text",
                    text=item.text,
                    fields={"label": item.label, "split": split},
                )
            )
    splits = Counter(str(d.fields["split"]) for d in documents)
    labels = Counter(str(d.fields["label"]) for d in documents)
    counts = {
        "observations": len(documents),
        "classes": len(labels),
        **{f"split={s}": splits[s] for s in SPLITS},
        **{f"label={name}": n for name, n in labels.most_common()},
    }
    return MaintenanceData(
        name="fmc_mwo2kg", documents=tuple(documents), meta={"counts": counts, "source": str(folder)}
    )


INFO = DatasetInfo(
    name="fmc_mwo2kg",
    modality="text",
    description="626 maintenance observations labelled with 22 ISO 14224-style failure modes",
    licence="Apache-2.0",
    citation="Stewart, Liu & Cardell-Oliver, MWO2KG and Echidna, 2022",
    loader=load,
    expected={
        "documents": 626,
        "observations": 626,
        "classes": 22,
        "split=train": 502,
        "split=dev": 62,
        "split=test": 62,
    },
)
