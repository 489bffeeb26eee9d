"""MaintIE: maintenance work-order short texts with fine-grained entity and relation annotations.

Bikaun, French, Stewart, Liu & Hodkiewicz, "MaintIE: A Fine-Grained Annotation Schema and
Benchmark for Information Extraction from Low-Quality Maintenance Short Texts", LREC-COLING 2024.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import Document, MaintenanceData
from moesaic.data.sets._json import read_json_checked, require_list, require_mapping
from moesaic.data.tables import DataFormatError


def _span(entity: Mapping[str, Any], n_tokens: int, path: Path, where: str) -> dict[str, Any]:
    start, end, kind = entity.get("start"), entity.get("end"), entity.get("type")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= n_tokens):
        raise DataFormatError(
            path,
            f"{where}: expected token indices 0 <= start < end <= {n_tokens}, "
            f"found start={start!r}, end={end!r}",
        )
    if not isinstance(kind, str) or not kind:
        raise DataFormatError(path, f"{where}: expected a non-empty string `type`, found {kind!r}")
    return {"start": start, "end": end, "type": kind}


def _relation(relation: Mapping[str, Any], n_entities: int, path: Path, where: str) -> dict[str, Any]:
    head, tail, kind = relation.get("head"), relation.get("tail"), relation.get("type")
    for name, value in (("head", head), ("tail", tail)):
        if not (isinstance(value, int) and 0 <= value < n_entities):
            raise DataFormatError(
                path, f"{where}: `{name}` must index one of the {n_entities} entities, found {value!r}"
            )
    if not isinstance(kind, str) or not kind:
        raise DataFormatError(path, f"{where}: expected a non-empty string `type`, found {kind!r}")
    return {"head": head, "tail": tail, "type": kind}


def read_annotations(path: Path) -> tuple[Document, ...]:
    """A MaintIE-format corpus: a JSON list of ``{"text", "tokens", "entities", "relations"}``.

    Returns one Document(kind="annotation") per item, ``doc_id`` its list index; ``fields``
    holds ``tokens`` (tuple of str), ``entities`` (tuple of {start, end, type}, token spans,
    end-exclusive) and ``relations`` (tuple of {head, tail, type}, indices into ``entities``).

    Raises:
        DataFormatError: invalid JSON, or an item with a missing field or an out-of-range
            span or relation, naming the item.
    """
    documents = []
    for i, raw in enumerate(require_list(read_json_checked(path), path, "the annotated texts")):
        item = require_mapping(raw, path, f"item {i}")
        text, tokens = item.get("text"), item.get("tokens")
        if not isinstance(text, str):
            raise DataFormatError(path, f"item {i}: expected a string `text`, found {text!r}")
        if not (isinstance(tokens, list) and all(isinstance(t, str) for t in tokens)):
            raise DataFormatError(path, f"item {i}: expected `tokens` as a list of strings, found {tokens!r}")
        entities = tuple(
            _span(
                require_mapping(e, path, f"item {i}, entity {j}"), len(tokens), path, f"item {i}, entity {j}"
            )
            for j, e in enumerate(require_list(item.get("entities", []), path, f"item {i} entities"))
        )
        relations = tuple(
            _relation(
                require_mapping(r, path, f"item {i}, relation {j}"),
                len(entities),
                path,
                f"item {i}, relation {j}",
            )
            for j, r in enumerate(require_list(item.get("relations", []), path, f"item {i} relations"))
        )
        documents.append(
            Document(
                doc_id=str(i),
                kind="annotation",
                text=text,
                fields={"tokens": tuple(tokens), "entities": entities, "relations": relations},
            )
        )
    return tuple(documents)


def scheme_types(nodes: list[Any], *, leaves_only: bool = False) -> list[str]:
    """Full names of the types of a MaintIE scheme hierarchy (``name`` / ``children`` nodes).

    Every node is a usable annotation type (annotators may stop at a coarse level), so by
    default all nodes are listed; ``leaves_only`` keeps the most specific ones.
    """
    names: list[str] = []
    for node in nodes:
        children = node.get("children") or []
        if not (children and leaves_only):
            names.append(str(node.get("fullname") or node.get("name")))
        names.extend(scheme_types(children, leaves_only=leaves_only))
    return names


def load(folder: Path) -> MaintenanceData:
    documents = read_annotations(folder / "gold_release.json")
    scheme_path = folder / "scheme.json"
    scheme = require_mapping(read_json_checked(scheme_path), scheme_path, "the scheme")
    for key in ("entity", "relation"):
        require_list(scheme.get(key), scheme_path, f"`{key}`")
    relation_types = Counter(r["type"] for d in documents for r in d.fields["relations"])
    counts = {
        "texts": len(documents),
        "entities": sum(len(d.fields["entities"]) for d in documents),
        "relations": sum(len(d.fields["relations"]) for d in documents),
        "entity_classes": len(scheme["entity"]),
        # The README's "224 leaf types" counts every node of the hierarchy; 196 of them are leaves.
        "entity_types": len(scheme_types(scheme["entity"])),
        "entity_leaf_types": len(scheme_types(scheme["entity"], leaves_only=True)),
        "relation_types": len(scheme_types(scheme["relation"], leaves_only=True)),
        **{f"relation={kind}": n for kind, n in relation_types.most_common()},
    }
    return MaintenanceData(
        name="maintie", documents=documents, meta={"scheme": scheme, "counts": counts, "source": str(folder)}
    )


INFO = DatasetInfo(
    name="maintie",
    modality="text",
    description="MaintIE gold corpus: 1,076 work-order texts with entities (224 types) and 6 relation types",
    licence="MIT",
    citation="Bikaun et al., MaintIE, LREC-COLING 2024",
    loader=load,
    expected={
        "documents": 1076,
        "texts": 1076,
        "entities": 3397,
        "relations": 2341,
        "entity_classes": 5,
        "entity_types": 224,
        "relation_types": 6,
        "relation=hasParticipant/hasPatient": 1206,
        "relation=hasPart": 533,
        "relation=isA": 364,
        "relation=hasParticipant/hasAgent": 166,
        "relation=contains": 38,
        "relation=hasProperty": 34,
    },
)
