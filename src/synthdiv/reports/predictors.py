"""Table Q: every measured property of the trained sets ranked by how well it predicts the test loss,
from the runner's predictors.json (:mod:`synthdiv.stats.predictors`: the computation and what
its intervals include)."""

from __future__ import annotations

import json
from typing import Any

from synthdiv.experiments import layout
from synthdiv.stats.predictors import SETS_FOR_A_RESULT
from synthdiv.reports.generations import TextTable
from synthdiv.reports.plane import group_title
from synthdiv.reports.plotting import SkipFigure
from synthdiv.reports.rundir import RunData

TABLE_PREDICTORS = ("Table Q", "Which measured property of the training sets predicts the test loss")
HEADERS = ["student", "rank", "property", "ρ with test loss [95 % CI]", "p (permutation, Holm)",
           "leave-one-set-out RMSE (mean only)", "gain [95 % CI]", "verdict"]


def read_predictors(run: RunData) -> dict[str, Any]:
    path = run.run_dir / layout.PREDICTORS
    if not path.is_file():
        raise SkipFigure(f"no {layout.PREDICTORS} in the run folder (written by synthdiv run for runs with at least 4 trained sets)")
    return json.loads(path.read_text(encoding="utf-8"))


def _verdict(row: dict[str, Any], lead_only: bool) -> str:
    if not row["resolved"]:
        return "not resolved"
    return "a lead: too few sets" if lead_only else ("predicts: more of it, higher loss" if row["rho"] > 0
                                                     else "predicts: more of it, lower loss")


def _rows(group: dict[str, Any]) -> list[list[str]]:
    ranking = group.get("ranking")
    if ranking is None:
        return [[group_title(group), "–", "–", "–", "–", "–", "–", f"no ranking: {group.get('skipped')}"]]
    out = []
    for rank, r in enumerate(ranking["properties"], start=1):
        gain = "–" if r["loo_gain"] is None else f"{r['loo_gain']:+.2f} [{r['loo_gain_ci_low']:+.2f}, {r['loo_gain_ci_high']:+.2f}]"
        out.append([group_title(group), str(rank), r["label"], f"{r['rho']:+.2f} [{r['rho_ci_low']:+.2f}, {r['rho_ci_high']:+.2f}]",
                    f"{r['p_holm']:.3g}", f"{r['loo_rmse']:.5f} ({r['loo_rmse_mean_only']:.5f})", gain,
                    _verdict(r, ranking["lead_only"])])
    return out


def table_predictors(run: RunData) -> TextTable:
    data = read_predictors(run)
    groups = data["groups"]
    if not groups:
        raise SkipFigure("no trained sets")
    rows = [row for g in groups for row in _rows(g)]
    counts = "; ".join(f"{group_title(g)}: {g['ranking']['sets']} sets, "
                       + ("one seed" if g["ranking"]["seeds"] == 1 else f"up to {g['ranking']['seeds']} seeds a set")
                       for g in groups if g.get("ranking"))
    note = ("Each row is one property measured on the training sets (every diversity and shift number, the size-matched "
            "diversity, the size), against the test loss of the student trained on each set. ρ: Spearman's rank correlation "
            "across the sets, its 95 % interval over bootstrap draws of the test records (and of the seeds, where a set has "
            "several). p: a permutation test of ρ across the sets, Holm-adjusted over the properties, because a table of "
            "many properties finds some by chance. RMSE: each set's loss predicted by a line fitted on the other sets, "
            "beside predicting their mean; gain = 1 − RMSE / RMSE(mean only), above 0 when the property helps. A property "
            "predicts the loss when its ρ interval excludes 0 and its p is below 0.05; with fewer than "
            f"{SETS_FOR_A_RESULT} sets the permutation test can rarely reach that, and any such row is read as a lead. "
            f"Ranked: resolved first, then by |ρ|. Sets: {counts or 'none ranked'}. Properties correlated with each other "
            "(distinct-1 … 5, say) rise and fall together: the table says which numbers track the loss, not why.")
    return TextTable("table_predictors", *TABLE_PREDICTORS, note, HEADERS, rows)
