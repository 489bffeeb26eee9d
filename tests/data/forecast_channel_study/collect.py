"""Fit moesaic on ETTh1 for one horizon (``moesaic bench forecast``) and save each channel's normal
equations of the closed-form path, then print the first study: a correction per channel and per
horizon step (any span), and a separate path per channel, against the shared path, on the
cross-half validation MSE (choose on one half of the validation windows, score on the other).

Usage: python collect.py H OUTDIR   (H in 96, 192, 336, 720; reads MOESAIC_DATA)
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

from moesaic.heads.ridge import STUDY_ALPHAS, RidgeSamples, RidgeTerms
from moesaic.tasks import forecast

STASH: list[tuple[int, int, int, list[RidgeSamples], list[RidgeSamples]]] = []
_solve = forecast.Forecaster._solve_linear_path


def _patched(self, parts, val_parts, val_batches, config, progress):  # type: ignore[no-untyped-def]
    """Keep the samples the "ridge" stage reads, then run it as usual."""
    model, spec = self.model_, self.spec_
    with torch.no_grad():
        train = [model.ridge_samples(b) for b in self._batches(parts, stride=1)]
        val = [model.ridge_samples(b) for b in self._batches(val_parts, stride=1)]
    STASH.append((spec.num_channels, spec.context_length, spec.horizon, train, val))
    return _solve(self, parts, val_parts, val_batches, config, progress)


forecast.Forecaster._solve_linear_path = _patched  # type: ignore[method-assign]


def _cat(samples: list[RidgeSamples], rows: torch.Tensor) -> RidgeSamples:
    ctx, target, weight = (
        torch.cat([getattr(s, f) for s in samples]) for f in ("context", "target", "weight")
    )
    return RidgeSamples(ctx[rows], target[rows], weight[rows])


def channel_terms(C: int, L: int, H: int, train: list, val: list) -> dict[str, RidgeTerms]:
    """Per channel c: "trC", and the validation windows' halves in time order "AC" and "BC".
    Samples are window-major (channel = index mod C); ETTh1 drops none."""
    n_train, n_val = sum(len(s.weight) for s in train), sum(len(s.weight) for s in val)
    assert n_train % C == 0 and n_val % C == 0
    out = {}
    for c in range(C):
        out[f"tr{c}"] = RidgeTerms.of([_cat(train, torch.arange(c, n_train, C))], L, H)
        rows = torch.arange(c, n_val, C)
        cut = len(rows) // 2
        out[f"A{c}"] = RidgeTerms.of([_cat(val, rows[:cut])], L, H)
        out[f"B{c}"] = RidgeTerms.of([_cat(val, rows[cut:])], L, H)
    return out


def residual_terms(t: RidgeTerms, coef: torch.Tensor) -> RidgeTerms:
    """The terms of what the path ``coef`` ((L + 1, H), bias last) leaves of the targets."""
    r = RidgeTerms(t.gram.shape[0] - 1, t.moment.shape[1])
    r.gram, r.count = t.gram, t.count
    r.moment = t.moment - t.gram @ coef
    r.square = (coef * (t.gram @ coef)).sum(0) - 2 * (coef * t.moment).sum(0) + t.square
    return r


def shared_path(shared: RidgeTerms, pick: RidgeTerms) -> torch.Tensor:
    """The shared path chosen step by step on ``pick`` (as the product chooses it): (L + 1, H)."""
    pairs = [(s, a) for s in shared.spans() for a in STUDY_ALPHAS]
    paths = [shared.solve(a, s) for s, a in pairs]
    best = torch.stack([pick.errors(*p) for p in paths]).argmin(0)
    H, L = best.shape[0], shared.gram.shape[0] - 1
    weight, bias = torch.zeros(H, L), torch.zeros(H)
    for k in best.unique().tolist():
        rows = best == k
        weight[rows], bias[rows] = paths[k][0][rows], paths[k][1][rows]
    return torch.cat([weight.double().T, bias.double()[None]])


def per_step_choice(
    candidates: list[tuple[torch.Tensor, torch.Tensor]], pick: RidgeTerms, score: RidgeTerms
) -> torch.Tensor:
    """(H,) the score half's error of the candidate each step chose on the pick half."""
    chosen = torch.stack([pick.errors(*z) for z in candidates]).argmin(0)
    return torch.stack([score.errors(*z) for z in candidates]).gather(0, chosen[None])[0]


def study(C: int, terms: dict[str, RidgeTerms]) -> dict[str, float]:
    shared = sum((terms[f"tr{c}"] for c in range(1, C)), terms["tr0"])
    L, H = shared.gram.shape[0] - 1, shared.moment.shape[1]
    pairs = [(s, a) for s in shared.spans() for a in STUDY_ALPHAS]
    zero = (torch.zeros(H, L), torch.zeros(H))
    totals = {"shared": 0.0, "corrected": 0.0, "independent": 0.0}
    count = 0
    for pick_tag, score_tag in (("A", "B"), ("B", "A")):
        pick = sum((terms[f"{pick_tag}{c}"] for c in range(1, C)), terms[f"{pick_tag}0"])
        coef = shared_path(shared, pick)
        for c in range(C):
            p, s, t = terms[f"{pick_tag}{c}"], terms[f"{score_tag}{c}"], terms[f"tr{c}"]
            rt, rp, rs = (residual_terms(x, coef) for x in (t, p, s))
            corrections = [zero] + [rt.solve(a, span) for span, a in pairs]
            own = [t.solve(a, span) for span, a in pairs]
            totals["shared"] += float(rs.errors(*zero).mean()) * s.count
            totals["corrected"] += float(per_step_choice(corrections, rp, rs).mean()) * s.count
            totals["independent"] += float(per_step_choice(own, p, s).mean()) * s.count
            count += s.count
    return {k: v / count for k, v in totals.items()}


def main() -> None:
    H, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    sys.argv = [
        "moesaic",
        "bench",
        "forecast",
        "-o",
        f"horizons={H}",
        "-o",
        "systems=moesaic",
        "--out",
        str(out / f"run{H}"),
    ]
    from moesaic.cli.app import main as cli

    with contextlib.suppress(SystemExit):
        cli()
    for C, L, horizon, train, val in STASH:
        terms = channel_terms(C, L, horizon, train, val)
        tensors = {}
        for key, t in terms.items():
            tensors |= {f"{key}_gram": t.gram, f"{key}_moment": t.moment, f"{key}_square": t.square}
            tensors[f"{key}_count"] = torch.tensor([t.count])
        save_file(tensors, str(out / f"terms{horizon}.safetensors"))
        result = study(C, terms)
        change = {k: f"{100 * (v / result['shared'] - 1):+.2f} %" for k, v in result.items()}
        print("STUDY", horizon, json.dumps(result), change, flush=True)


if __name__ == "__main__":
    main()
