"""The variants of the per-channel correction, on the terms ``collect.py`` saved (validation only):
a bias per channel; spans capped at 64, 32 or 16 steps (or any span); one (span, penalty) per
channel for every step, per block of 2 to 16 equal blocks of steps, or per step. Each is chosen on
one half of the validation windows and scored on the other, both ways; the table gives the
change against the shared path alone, in % of its cross-half validation MSE, by horizon.

Usage: python variants.py OUTDIR   (after collect.py for H = 96, 192, 336 and 720)
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).parent))
from collect import residual_terms, shared_path

from moesaic.heads.ridge import STUDY_ALPHAS, RidgeTerms

HORIZONS = (96, 192, 336, 720)
BLOCKS = (1, 2, 4, 8, 16, 0)  # 0: a choice per step


def load(path: Path) -> tuple[int, dict[str, RidgeTerms]]:
    d = load_file(str(path))
    terms = {}
    for key in {k.rsplit("_", 1)[0] for k in d}:
        t = RidgeTerms(d[f"{key}_gram"].shape[0] - 1, d[f"{key}_moment"].shape[1])
        t.gram, t.moment, t.square = d[f"{key}_gram"], d[f"{key}_moment"], d[f"{key}_square"]
        t.count = int(d[f"{key}_count"])
        terms[key] = t
    return sum(k.startswith("tr") for k in terms), terms


def variants(C: int, terms: dict[str, RidgeTerms]) -> dict[str, float]:
    shared = sum((terms[f"tr{c}"] for c in range(1, C)), terms["tr0"])
    L, H = shared.gram.shape[0] - 1, shared.moment.shape[1]
    caps = {"any span": L, "span<=64": 64, "span<=32": 32, "span<=16": 16}
    sums: dict[str, torch.Tensor] = {}
    count = 0

    def add(key: str, errors: torch.Tensor, n: int) -> None:
        sums[key] = sums.get(key, torch.zeros(H, dtype=torch.float64)) + errors * n

    for pick_tag, score_tag in (("A", "B"), ("B", "A")):
        pick = sum((terms[f"{pick_tag}{c}"] for c in range(1, C)), terms[f"{pick_tag}0"])
        coef = shared_path(shared, pick)
        for c in range(C):
            rt, rp, rs = (residual_terms(terms[f"{tag}{c}"], coef) for tag in ("tr", pick_tag, score_tag))
            zero = (torch.zeros(H, L), torch.zeros(H))
            add("shared", rs.errors(*zero), rs.count)
            bias = (zero[0], (rt.moment[-1] / rt.gram[-1, -1]).float())  # the mean residual
            both = torch.stack([rp.errors(*zero), rp.errors(*bias)]).argmin(0)
            add(
                "bias only",
                torch.stack([rs.errors(*zero), rs.errors(*bias)]).gather(0, both[None])[0],
                rs.count,
            )
            for name, cap in caps.items():
                candidates = [zero] + [rt.solve(a, s) for s in rt.spans() if s <= cap for a in STUDY_ALPHAS]
                on_pick = torch.stack([rp.errors(*z) for z in candidates])
                on_score = torch.stack([rs.errors(*z) for z in candidates])
                for blocks in BLOCKS:
                    key = f"{name}, {'per step' if blocks == 0 else f'blocks={blocks}'}"
                    if blocks == 0:
                        add(key, on_score.gather(0, on_pick.argmin(0)[None])[0], rs.count)
                        continue
                    chosen = torch.zeros(H, dtype=torch.float64)
                    for low, high in itertools.pairwise(torch.linspace(0, H, blocks + 1).long().tolist()):
                        k = int(on_pick[:, low:high].sum(1).argmin())
                        chosen[low:high] = on_score[k, low:high]
                    add(key, chosen, rs.count)
            count += rs.count
    base = float(sums["shared"].mean()) / count
    return {k: 100 * (float(v.mean()) / count / base - 1) for k, v in sums.items()}


def main() -> None:
    out = Path(sys.argv[1])
    table = {H: variants(*load(out / f"terms{H}.safetensors")) for H in HORIZONS}
    print(f"{'variant':28s}" + "".join(f"{f'H={H}':>9s}" for H in HORIZONS) + "  average   worst")
    for key in table[HORIZONS[0]]:
        values = [table[H][key] for H in HORIZONS]
        row = "".join(f"{v:+9.2f}" for v in values)
        print(f"{key:28s}{row}  {sum(values) / len(values):+7.2f} {max(values):+7.2f}")


if __name__ == "__main__":
    main()
