"""Rendering of a fit (and its bootstrap) as plain JSON-ready data and as a readable text summary."""

from __future__ import annotations

import math

import numpy as np

from survey.scoring.bootstrap import BootstrapResult
from survey.scoring.index import GroupIndexResult, IndexResult
from survey.scoring.ipma import IPMAResult
from survey.scoring.pls import PLSResult


def num(x) -> float | None:
    """A JSON-safe float (NaN and infinities become null)."""
    x = float(x)
    return x if math.isfinite(x) else None


def interval_map(boot: BootstrapResult | None, family: str) -> dict[str, dict]:
    if boot is None or family not in boot.estimates:
        return {}
    e = boot[family]
    return {label: {"std_error": num(e.std_error[i]), "percentile": [num(v) for v in e.percentile[i]],
                    "bca": [num(v) for v in e.bca[i]]} for i, label in enumerate(e.labels)}


def to_data(result: PLSResult, index: IndexResult | None, boot: BootstrapResult | None = None,
            index_error: str | None = None, groups: GroupIndexResult | None = None,
            drivers: IPMAResult | None = None) -> dict:
    """Everything a client needs, as plain lists and dicts (keys documented in the issue)."""
    layout, q = result.layout, result.quality
    names = layout.constructs
    path_ci = interval_map(boot, "paths")
    index_ci = interval_map(boot, "index")
    outer = [{"construct": names[layout.block[i]], "item": item, "weight": num(result.outer_weights[i]),
              "loading": num(result.loadings[i]), "communality": num(result.communalities[i]),
              "redundancy": num(result.redundancies[i])} for i, item in enumerate(layout.items)]
    paths = []
    for p in result.inner_model:
        row = {"from": p.source, "to": p.target, "estimate": num(p.estimate), "std_error": num(p.std_error),
               "t": num(p.t), "p": num(p.p)}
        if path_ci:
            row["bootstrap"] = path_ci[f"{p.source} -> {p.target}"]
        paths.append(row)
    constructs = []
    for j, name in enumerate(names):
        row = {"name": name, "mode": layout.modes[j], "r_squared": num(result.r_squared[j]),
               "r_squared_adj": num(result.r_squared_adj[j]), "ave": num(q.ave[j]),
               "block_communality": num(q.block_communality[j]), "mean_redundancy": num(q.mean_redundancy[j]),
               "cronbach_alpha": num(q.cronbach_alpha[j]), "dg_rho": num(q.dg_rho[j]), "rho_c": num(q.rho_c[j]),
               "rho_a": num(q.rho_a[j]), "eig_1st": num(q.eig_1st[j]), "eig_2nd": num(q.eig_2nd[j]),
               "index": None if index is None else num(index.construct_scores[j])}
        if index_ci:
            row["index_bootstrap"] = index_ci[name]
        constructs.append(row)
    out = {
        "model": result.spec.id, "n": num(result.n), "rows": result.moments.rows,
        "scheme": result.spec.estimation.scheme, "convention": result.spec.estimation.convention,
        "iterations": result.iterations, "converged": result.converged,
        "outer": outer, "paths": paths, "constructs": constructs, "effects": result.effects.rows(),
        "gof": num(result.gof),
        "index": {"construct": result.spec.index, "value": None if index is None else num(index.index),
                  "target": result.spec.target, "error": index_error,
                  **({"bootstrap": index_ci[result.spec.index]} if index_ci else {})},
        "htmt": [{"a": names[i], "b": names[j], "htmt": num(q.htmt[i, j])}
                 for i in range(len(names)) for j in range(i + 1, len(names)) if np.isfinite(q.htmt[i, j])],
        "inner_vif": [{"from": names[i], "to": names[j], "vif": num(q.inner_vif[i, j])}
                      for i, j in zip(*np.nonzero(np.isfinite(q.inner_vif)))],
    }
    if groups is not None:
        group_ci = interval_map(boot, "group_index")
        out["groups"] = {"column": groups.column, "rows": [
            {"group": g, "n": int(groups.n[i]), "weighted_n": num(groups.weighted_n[i]),
             "index": num(groups.index[i]), **({"bootstrap": group_ci[str(g)]} if group_ci else {})}
            for i, g in enumerate(groups.groups)]}
    if drivers is not None:
        out["ipma"] = {"target": drivers.target, "index": num(drivers.index), "drivers": [
            {"level": level, "name": d.name, "construct": d.construct, "importance": num(d.importance),
             "performance": num(d.performance), "required_rise": None if d.required_rise is None
             else num(d.required_rise), "reachable": d.reachable}
            for level, family in (("construct", drivers.constructs), ("item", drivers.items)) for d in family]}
    if boot is not None:
        out["bootstrap"] = {
            "resamples": boot.resamples, "seed": boot.seed, "cluster": boot.cluster, "level": boot.level,
            "failed": boot.failed,
            "estimates": {family: [{"label": label, "estimate": num(e.estimate[i]), **interval_map(boot, family)[label]}
                                   for i, label in enumerate(e.labels)] for family, e in boot.estimates.items()},
        }
    return out


def fmt(x, width=8, digits=3) -> str:
    return f"{'-':>{width}}" if x is None else f"{x:>{width}.{digits}f}"


def to_text(data: dict) -> str:
    """A readable summary of :func:`to_data`'s output: paths with CIs, reliability, index with CI."""
    lines = [f"PLS path model {data['model']}: n = {data['n']:g} ({data['rows']} rows), scheme {data['scheme']}, "
             f"{data['iterations']} iterations, {'converged' if data['converged'] else 'NOT converged'}", ""]
    has_ci = any("bootstrap" in p for p in data["paths"])
    level = data.get("bootstrap", {}).get("level", 0.95)
    head = f"{'path':<28}{'estimate':>9}{'se':>8}{'t':>8}{'p':>9}"
    lines += ["Paths", head + (f"   {level:.0%} BCa interval" if has_ci else "")]
    for p in data["paths"]:
        row = f"{p['from'] + ' -> ' + p['to']:<28}{fmt(p['estimate'], 9)}{fmt(p['std_error'])}{fmt(p['t'], 8, 2)}" \
              f"{fmt(p['p'], 9, 4)}"
        if "bootstrap" in p:
            lo, hi = p["bootstrap"]["bca"]
            row += f"   [{fmt(lo, 6)}, {fmt(hi, 6)}]"
        lines.append(row)
    lines += ["", "Constructs", f"{'name':<14}{'R2':>7}{'R2adj':>7}{'AVE':>7}{'alpha':>7}{'rho_c':>7}{'rho_A':>7}"
              f"{'index':>8}" + ("   interval" if has_ci else "")]
    for c in data["constructs"]:
        row = f"{c['name']:<14}{fmt(c['r_squared'], 7)}{fmt(c['r_squared_adj'], 7)}{fmt(c['ave'], 7)}" \
              f"{fmt(c['cronbach_alpha'], 7)}{fmt(c['rho_c'], 7)}{fmt(c['rho_a'], 7)}{fmt(c['index'], 8, 1)}"
        if "index_bootstrap" in c:
            lo, hi = c["index_bootstrap"]["bca"]
            row += f"   [{fmt(lo, 5, 1)}, {fmt(hi, 5, 1)}]"
        lines.append(row)
    idx = data["index"]
    lines += ["", f"GoF {fmt(data['gof'], 0)}"]
    if idx["value"] is None:
        lines.append(f"Index {idx['construct']}: not computed: {idx['error']}")
    else:
        line = f"Index {idx['construct']} = {idx['value']:.1f} (target {idx['target']:g})"
        lo, hi = idx.get("bootstrap", {}).get("bca", (None, None))
        if lo is not None and hi is not None:
            verdict = ("below the target" if hi < idx["target"] else "above the target" if lo > idx["target"]
                       else "the interval includes the target")
            line += f", {level:.0%} BCa interval [{lo:.1f}, {hi:.1f}]: {verdict}"
        lines.append(line)
    if "groups" in data:
        lines += ["", f"Index by {data['groups']['column']}"]
        for g in data["groups"]["rows"]:
            ci = g.get("bootstrap", {}).get("bca")
            lines.append(f"  {str(g['group']):<20}{g['n']:>7}{fmt(g['index'], 8, 1)}"
                         + (f"   [{fmt(ci[0], 5, 1)}, {fmt(ci[1], 5, 1)}]" if ci else ""))
    if "ipma" in data:
        lines += ["", f"Drivers (importance = index points per point of performance; rise to reach "
                      f"{data['ipma']['target']:g})"]
        for d in data["ipma"]["drivers"]:
            if d["level"] == "construct":
                rise = "not reachable" if not d["reachable"] else f"+{d['required_rise']:.1f}"
                lines.append(f"  {d['name']:<14}{fmt(d['importance'], 8)}{fmt(d['performance'], 8, 1)}   {rise}")
    return "\n".join(lines) + "\n"
