"""Frozen, validated configuration dataclasses and their YAML form.

Every configuration object in moesaic is a frozen dataclass that validates itself in
``__post_init__``. YAML is only the saved form: :func:`from_dict` rebuilds a (nested)
dataclass from plain data and rejects unknown keys by listing the valid ones, and
:func:`apply_overrides` applies CLI overrides such as ``moe.top_k=1``.
"""

from __future__ import annotations

import dataclasses
import numbers
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """One or more configuration problems, all reported at once."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(self.problems))


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _coerce(tp: Any, value: Any, where: str) -> Any:
    """Turn plain YAML data into the annotated type where that is unambiguous; a value of the wrong
    kind (2.5 for a whole number, "maybe" for true/false) is a ConfigError naming the field."""
    if _is_dataclass_type(tp):
        if not isinstance(value, Mapping):
            raise ConfigError(
                [f"{where}: expected a mapping for {tp.__name__}, found {type(value).__name__}"]
            )
        return from_dict(tp, value, where=where)
    origin = typing.get_origin(tp)
    if origin in (tuple, list) and isinstance(value, str):
        # a comma-separated list, as typed on a command line: `members=ar,zscore`
        value = [yaml.safe_load(part.strip()) for part in value.split(",") if part.strip()]
    if origin in (tuple, list) and isinstance(value, list | tuple):
        args = typing.get_args(tp)
        inner = args[0] if args else Any
        items = [_coerce(inner, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin in (typing.Union, types.UnionType):
        arms = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None or len(arms) != 1:
            return value
        return _coerce(arms[0], value, where)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError([f"{where}: expected true or false, found {value!r}"])
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ConfigError([f"{where}: expected a whole number, found {value!r}"])
        return int(value)
    if tp is float:
        if isinstance(value, str):
            # YAML 1.1 reads "3e-4" (no dot) as a string; a float field means a number was meant.
            try:
                return float(value)
            except ValueError:
                raise ConfigError([f"{where}: expected a number, found {value!r}"]) from None
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError([f"{where}: expected a number, found {value!r}"])
        return float(value)
    if tp is str and not isinstance(value, str):
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return str(value)  # YAML reads `name=2024` as a number; a text field means the text
        raise ConfigError([f"{where}: expected a text, found {value!r}"])
    return value


def from_dict(cls: type[T], data: Mapping[str, Any], *, where: str = "") -> T:
    """Build the dataclass ``cls`` from a mapping, recursing into nested dataclasses.

    Raises:
        ConfigError: unknown keys (listing the valid ones) or a value the dataclass rejects.
    """
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    prefix = f"{where}: " if where else ""
    unknown = sorted(set(data) - fields)
    if unknown:
        raise ConfigError(
            [f"{prefix}{cls.__name__}: unknown keys {unknown}; valid keys are {sorted(fields)}"]
        )
    kwargs = {k: _coerce(hints[k], v, f"{where}.{k}" if where else k) for k, v in data.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as err:
        if isinstance(err, ConfigError):
            raise
        raise ConfigError([f"{prefix}{err}"]) from err


def to_dict(config: Any) -> dict[str, Any]:
    """The plain-data form of a (nested) config dataclass; tuples become lists."""

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, Path):
            return str(value)
        return value

    return plain(config)  # type: ignore[no-any-return]


def save_yaml(config: Any, path: Path) -> None:
    """Write a config as YAML, atomically."""
    from moesaic.atomic import write_text_atomic

    write_text_atomic(path, yaml.safe_dump(to_dict(config), sort_keys=False))


def load_yaml(cls: type[T], path: Path) -> T:
    """Read a config of type ``cls`` from a YAML file."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError([f"{path}: file not found"]) from err
    except yaml.YAMLError as err:
        raise ConfigError([f"{path}: not valid YAML ({err})"]) from err
    if not isinstance(data, Mapping):
        raise ConfigError([f"{path}: expected a mapping at the top level, found {type(data).__name__}"])
    return from_dict(cls, data, where=str(path))


def apply_overrides(config: T, overrides: Iterable[str]) -> T:
    """Apply ``dotted.key=value`` overrides (values parsed as YAML scalars).

    Example: ``apply_overrides(cfg, ["moe.top_k=1", "train.lr=3e-4"])``.

    A ``max_steps`` set at or below its section's ``warmup_steps``, when ``warmup_steps`` is not set
    too, brings the warm-up down to a tenth of the steps (``train.max_steps=50`` just works).
    """
    data = to_dict(config)
    problems = []
    sections_set: dict[int, tuple[dict[str, Any], set[str]]] = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            problems.append(f"override {item!r}: expected KEY=VALUE, for example moe.top_k=1")
            continue
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                problems.append(
                    f"override {item!r}: {part!r} is not a section; sections are "
                    f"{sorted(k for k, v in node.items() if isinstance(v, dict))}"
                )
                break
            node = node[part]
        else:
            if parts[-1] not in node:
                problems.append(
                    f"override {item!r}: unknown key {parts[-1]!r}; valid keys are {sorted(node)}"
                )
                continue
            try:
                node[parts[-1]] = yaml.safe_load(raw)
            except yaml.YAMLError:  # not a YAML scalar or list ("[bold]x"): the text as typed
                node[parts[-1]] = raw
            sections_set.setdefault(id(node), (node, set()))[1].add(parts[-1])
    if problems:
        raise ConfigError(problems)
    for node, keys in sections_set.values():
        steps, warmup = node.get("max_steps"), node.get("warmup_steps")
        lowered = "max_steps" in keys and "warmup_steps" not in keys
        if lowered and isinstance(steps, int) and isinstance(warmup, int) and steps >= 1 and warmup >= steps:
            node["warmup_steps"] = steps // 10
    return from_dict(type(config), data)
