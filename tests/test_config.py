from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from moesaic.config import ConfigError, apply_overrides, from_dict, load_yaml, save_yaml, to_dict
from moesaic.train import TrainConfig


@dataclass(frozen=True)
class Inner:
    top_k: int = 2
    num_experts: int = 4

    def __post_init__(self) -> None:
        if not 1 <= self.top_k <= self.num_experts:
            raise ValueError(f"`top_k` must be in [1, num_experts={self.num_experts}], got {self.top_k}")


@dataclass(frozen=True)
class Outer:
    name: str = "tiny"
    lr: float = 1e-3
    sizes: tuple[int, ...] = (1, 2)
    moe: Inner = field(default_factory=Inner)


def test_from_dict_builds_nested_config_and_coerces_types() -> None:
    cfg = from_dict(Outer, {"lr": 1, "sizes": [3, 4], "moe": {"top_k": 1}})
    assert cfg == Outer(lr=1.0, sizes=(3, 4), moe=Inner(top_k=1))
    assert isinstance(cfg.lr, float)


def test_unknown_key_lists_valid_keys() -> None:
    with pytest.raises(
        ConfigError, match=r"moe: Inner: unknown keys \['topk'\]; valid keys are \['num_experts', 'top_k'\]"
    ):
        from_dict(Outer, {"moe": {"topk": 1}})


def test_invalid_value_is_reported_with_its_section() -> None:
    with pytest.raises(ConfigError, match=r"moe: `top_k` must be in \[1, num_experts=4\], got 9"):
        from_dict(Outer, {"moe": {"top_k": 9}})


def test_yaml_round_trip(tmp_path: Path) -> None:
    cfg = Outer(name="x", sizes=(5,), moe=Inner(top_k=3))
    save_yaml(cfg, tmp_path / "c.yaml")
    assert load_yaml(Outer, tmp_path / "c.yaml") == cfg
    assert to_dict(cfg)["sizes"] == [5]


def test_overrides_apply_dotted_keys_and_reject_unknown_ones() -> None:
    cfg = apply_overrides(Outer(), ["moe.top_k=1", "lr=3e-4"])
    assert cfg.moe.top_k == 1 and cfg.lr == pytest.approx(3e-4)
    with pytest.raises(ConfigError, match="unknown key 'k'"):
        apply_overrides(Outer(), ["moe.k=1"])
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        apply_overrides(Outer(), ["moe.top_k"])


@dataclass(frozen=True)
class Job:
    train: TrainConfig = field(default_factory=lambda: TrainConfig(warmup_steps=100, max_steps=2000))


def test_fewer_steps_than_the_default_warm_up_bring_the_warm_up_down_unless_it_is_set_too() -> None:
    assert apply_overrides(Job(), ["train.max_steps=60"]).train.warmup_steps == 6
    assert apply_overrides(Job(), ["train.max_steps=500"]).train.warmup_steps == 100  # still in range
    set_too = apply_overrides(Job(), ["train.max_steps=60", "train.warmup_steps=3"]).train
    assert (set_too.max_steps, set_too.warmup_steps) == (60, 3)
    with pytest.raises(ConfigError, match=r"warmup_steps.*in \[0, max_steps=60\), got 80"):
        apply_overrides(Job(), ["train.max_steps=60", "train.warmup_steps=80"])  # asked for: refused


def test_load_yaml_rejects_a_list_at_top_level(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="expected a mapping at the top level, found list"):
        load_yaml(Outer, path)


@dataclass(frozen=True)
class Kinds:
    runs: int = 1
    flag: bool = False
    names: tuple[str, ...] = ("a",)
    limit: int | None = None
    label: str = "x"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("runs=2.5", "runs: expected a whole number, found 2.5"),
        ("runs=true", "runs: expected a whole number, found True"),
        ("flag=maybe", "flag: expected true or false, found 'maybe'"),
        ("limit=abc", "limit: expected a whole number, found 'abc'"),
        ("names=[a, [b]]", r"names\[1\]"),
    ],
)
def test_overrides_of_the_wrong_kind_name_the_field_and_what_it_expects(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        apply_overrides(Kinds(), [override])


def test_a_comma_separated_list_and_numbers_for_text_are_read_as_meant() -> None:
    cfg = apply_overrides(Kinds(), ["names=ar,zscore", "limit=3", "label=2024"])
    assert (cfg.names, cfg.limit, cfg.label) == (("ar", "zscore"), 3, "2024")
    assert apply_overrides(Kinds(), ["limit=null"]).limit is None
