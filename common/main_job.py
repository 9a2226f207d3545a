"""``lstm-suite run``: the main job. Every domain's default experiment in one profile, then one summary table that
says, per domain, the LSTM's score, the best baseline's, whether the LSTM is ahead of it and whether that is
beyond the test set's sampling noise (the run's significance.json)."""
from __future__ import annotations

import time
from pathlib import Path


def _reserve_summary(out: Path) -> tuple[str, Path]:
    """The main job's stamp (it names every run directory of the job) and its summary file, made here so that a
    second job started in the same second takes ``<stamp>-2`` instead of sharing the first one's directories."""
    from .config import first_free, make_out_folder

    out = make_out_folder(out)
    stamp = first_free(time.strftime("%Y%m%d-%H%M%S"), lambda n: (out / f"summary-{n}.md").open("x").close())
    path = out / f"summary-{stamp}.md"
    path.write_text("# lstm-suite run\n\n(not finished: the job is still running or was stopped; this table is written "
                    "when every domain has finished)\n", encoding="utf-8")
    return stamp, path


def run_main_job(out: Path, profile: str) -> int:
    """Every domain's default experiment under ``profile`` (and the mechanisms' quick experiments), then the summary
    table: printed, and written to ``<out>/summary-<stamp>.md``."""
    import pandas as pd

    from domains import DOMAINS, get_domain

    from .experiment import run_experiment

    start, rows = time.perf_counter(), []
    stamp, path = _reserve_summary(out)
    for name in DOMAINS:
        domain = get_domain(name)
        from .config import apply_overrides

        base = domain.smoke_config() if profile == "smoke" else domain.default_config(profile)
        cfg = apply_overrides(base, {"out": str(out)})
        res = run_experiment(cfg, domain, run_name=stamp)
        first = res.table.columns[2]
        lstm_row, rest = res.table.iloc[0], res.table[res.table["source"] == "this run, baseline"]
        best, best_value = _best_baseline(rest, first)
        rows.append({"domain": name, "dataset": cfg.dataset, "data": res.data_label, "metric": first,
                     "LSTM": lstm_row[first], "best baseline": best,
                     "LSTM vs baseline": _standing(lstm_row[first], best_value, first) + _noise(res.run_dir, best),
                     "seconds": f"{res.seconds:.0f}", "run directory": str(res.run_dir)})
        if domain.run_experiments is not None and domain.experiments_in_main_job:
            folder, claims = domain.run_experiments(["all"], profile, str(out), run_name=stamp)
            verdict = {True: "held", False: "did NOT hold", None: "undecided"}
            for c in claims:
                rows.append({"domain": f"{name}/{c.experiment}", "dataset": "generated",
                             "data": "generated (simulated)",
                             "metric": "claim", "LSTM": verdict[c.held], "best baseline": "", "LSTM vs baseline": "",
                             "seconds": f"{c.seconds:.0f}", "run directory": str(folder / "report.md")})
    summary = pd.DataFrame(rows)
    path.write_text("# lstm-suite run\n\n" + summary.to_markdown(index=False) + "\n", encoding="utf-8")
    print("\n" + summary.drop(columns=["run directory"]).to_string(index=False))
    print(f"\nAll done in {time.perf_counter() - start:.0f}s. Summary: {path}; run directories under {out}/")
    return 0


def _best_baseline(rows, metric: str) -> tuple[str, float | None]:
    """The best baseline on ``metric`` as ``"name: value"``, and its value (``("", None)`` when none scored)."""
    from .metrics import GREATER_IS_BETTER

    vals = [(float(v), m) for v, m in zip(rows[metric], rows["model"]) if str(v) not in ("", "nan")]
    if not vals:
        return "", None
    v, m = (max if GREATER_IS_BETTER.get(metric, False) else min)(vals)
    return f"{m}: {v:.4g}", v


def _noise(run_dir: Path, best: str) -> str:
    """``", within noise"`` or ``", beyond noise"``: whether the paired bootstrap interval of the LSTM's difference
    from the best baseline (``"name: value"``) excludes 0, from the run's ``significance.json``; "" without one."""
    import json

    path = Path(run_dir) / "significance.json"
    if not best or not path.is_file():
        return ""
    name = best.rsplit(": ", 1)[0]
    verdict = next((r["verdict"] for r in json.loads(path.read_text(encoding="utf-8"))["rows"]
                    if r["baseline"] == name), "")
    return {"within noise": ", within noise", "LSTM better": ", beyond noise",
            "baseline better": ", beyond noise"}.get(verdict, "")


def _standing(lstm, best, metric: str) -> str:
    """``ahead``, ``behind`` or ``level``: the LSTM against the best baseline on ``metric`` (``""`` without one)."""
    from .metrics import GREATER_IS_BETTER

    if best is None or str(lstm) in ("", "nan"):
        return ""
    diff = (float(lstm) - best) * (1 if GREATER_IS_BETTER.get(metric, False) else -1)
    return "ahead" if diff > 0 else "behind" if diff < 0 else "level"
