"""The problem gallery: every bundled spec, its target, and docs/gallery.md written from measurements.

    python3 benchmarks/gallery.py                      # every problem at its shipped budget
    python3 benchmarks/gallery.py wave lorenz_inverse  # some of them
    python3 benchmarks/gallery.py wave --seeds 1 2     # more seeds: the spread (runs add up per seed)

Each run is measured against the problem's target (relative L2 error of a field on the spec's
evaluation grid, of a pressure up to its additive constant, or the relative error of a learned
parameter), timed, and stored in benchmarks/gallery.json; docs/gallery.md and its
figures (docs/figures/gallery/) are then rewritten from everything stored there. The reduced
budgets and looser bounds that tests/test_gallery.py runs on every commit live here too, so the
suite and the gallery check the same problems. Run it alone: wall times are part of the record.
"""

import argparse
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
RECORD = Path(__file__).resolve().parent / "gallery.json"
PAGE = ROOT / "docs" / "gallery.md"
FIGURES = ROOT / "docs" / "figures" / "gallery"


@dataclass
class Entry:
    """A bundled problem: its target at the shipped budget, and a reduced budget (``fast``: spec
    overrides) with a looser bound that the test suite checks in under ~30 s."""

    name: str
    target: dict[str, float]
    fast: dict = field(default_factory=dict)
    fast_target: dict[str, float] = field(default_factory=dict)


GALLERY = [
    # Raissi, Perdikaris & Karniadakis (2019) report 6.7e-4 on Burgers; Wang, Teng & Perdikaris (2021)
    # 1.27e-2 on Helmholtz with their learning-rate annealing.
    Entry("burgers", {"u": 2e-4}, {"training.iterations": 300, "training.polish.iterations": 300,
                                   "training.points.pde": 1000, "training.polish.points.pde": 2000}, {"u": 0.2}),
    Entry("burgers_precise", {"u": 2e-5}, {"training.iterations": 200, "training.polish.iterations": 100,
                                           "training.points.pde": 500, "training.polish.points.pde": 1000}, {"u": 0.3}),
    Entry("heat", {"u": 2e-3}, {"training.iterations": 300, "training.polish.iterations": 100}, {"u": 0.05}),
    Entry("helmholtz", {"u": 1e-4}, {"training.iterations": 1500, "training.polish.iterations": 300}, {"u": 0.05}),
    Entry("poisson_2d", {"u": 1e-4}, {"training.iterations": 200, "training.polish.iterations": 100}, {"u": 2e-3}),
    Entry("poisson_3d", {"u": 1e-3}, {"training.iterations": 200, "training.polish.iterations": 100}, {"u": 5e-3}),
    Entry("poisson_disk", {"u": 1e-4}, {"training.iterations": 300, "training.polish.iterations": 100}, {"u": 1e-2}),
    Entry("plate_hole", {"u": 1e-4}, {"training.iterations": 300, "training.polish.iterations": 100}, {"u": 2e-2}),
    Entry("l_shape", {"u": 1e-3}, {"training.iterations": 300, "training.polish.iterations": 200,
                                   "training.polish.points.pde": 2048}, {"u": 0.1}),
    Entry("heat_disk", {"u": 1e-3}, {"training.iterations": 300, "training.polish.iterations": 200,
                                     "training.polish.points.pde": 2048}, {"u": 0.05}),
    Entry("wave", {"u": 5e-3}, {"training.iterations": 300, "training.polish.iterations": 200}, {"u": 0.1}),
    Entry("lotka_volterra", {"prey": 5e-4, "predator": 5e-4},
          {"training.iterations": 300, "training.polish.iterations": 200}, {"prey": 0.02, "predator": 0.02}),
    Entry("taylor_green", {"u": 1e-2, "v": 1e-2, "p~": 3e-2},
          {"training.iterations": 500, "training.polish.iterations": 300, "training.points.pde": 512}, {"u": 0.1, "v": 0.1}),
    Entry("taylor_green_pressure", {"p~": 1e-2},
          {"training.iterations": 500, "training.polish.iterations": 300, "training.points.pde": 512}, {"p~": 0.3}),
    Entry("allen_cahn", {"u": 1e-2}, {"training.iterations": 800, "training.polish.iterations": 300,
                                      "training.points.pde": 2048}, {"u": 0.3}),
    # Raissi, Perdikaris & Karniadakis (2019) report 1.97e-3 for |h|.
    Entry("schrodinger", {"|u,v|": 1e-2}, {"training.iterations": 1000, "training.polish.iterations": 300,
                                           "training.points.pde": 2048}, {"|u,v|": 0.5}),
    Entry("burgers_inverse", {"param l1": 1e-2, "param l2": 1e-2},
          {"training.iterations": 1000, "training.polish.iterations": 1000, "training.points.pde": 1000},
          {"param l1": 0.05, "param l2": 0.3}),
    Entry("lorenz_inverse", {"param sigma": 2e-2, "param rho": 2e-2, "param beta": 2e-2},
          {"training.iterations": 1000, "training.polish.iterations": 500},
          {"param sigma": 0.1, "param rho": 0.1, "param beta": 0.1}),
]
ENTRIES = {entry.name: entry for entry in GALLERY}


def measure(result, name: str) -> float:
    """The error ``name`` of a result: a field's relative L2 error (``u``), the same after removing
    the mean difference over space at each time (``p~``: a pressure, defined up to a constant), that
    of the modulus of several fields (``|u,v|``: |h| for h = u + iv), or a learned parameter's
    relative error (``param nu``)."""
    if name.startswith("param "):
        return result.param_errors[name.removeprefix("param ")]
    if name.startswith("|"):
        fields = name.strip("|").split(",")
        return _relative_l2(*(np.sqrt(sum(values[f] ** 2 for f in fields)) for values in (result.solution, result.reference)))
    if name.endswith("~"):
        # An incompressible flow's pressure enters only through its gradient: it is defined up to a
        # constant at each instant, so the mean difference is removed over space at each time.
        field_ = name[:-1]
        difference = result.solution[field_] - result.reference[field_]
        space = tuple(i for i, v in enumerate(result.variables) if v != "t")
        return _relative_l2(result.solution[field_] - difference.mean(axis=space, keepdims=True), result.reference[field_])
    return result.metrics[name]["rel_l2"]


def _relative_l2(prediction: np.ndarray, reference: np.ndarray) -> float:
    return float(np.linalg.norm(prediction - reference) / np.linalg.norm(reference))


def run(entry: Entry, fast: bool = False, seed: int | None = None, folder: Path | None = None):
    """Train on the entry's spec (at the reduced budget when ``fast``); the result, its measured
    errors by target name, and the wall time. Plots go to ``folder`` when given."""
    from pinnsolve.plots import save_plots
    from pinnsolve.solve import solve
    from pinnsolve.spec import load_spec

    overrides = dict(entry.fast) if fast else {}
    if seed is not None:
        overrides["training.seed"] = seed
    spec = load_spec(PROBLEMS / f"{entry.name}.yaml", overrides)
    started = time.perf_counter()
    result = solve(spec.problem, spec.network, spec.optimizer, spec.weighting, spec.training, spec.axes,
                   spec=spec.text)
    wall = time.perf_counter() - started
    if folder is not None:
        save_plots(result, folder)
    targets = entry.fast_target if fast else entry.target
    return result, {name: measure(result, name) for name in targets}, wall


def _reached(result, name: str, bound: float) -> str:
    """When a field's logged error first met its bound, for the progress line ('' for other measures)."""
    errors = result.history.get(f"rel_l2/{name}")
    if errors is None:
        return ""
    met = np.flatnonzero(errors <= bound)
    return f", met at {result.history['time'][met[0]]:.0f} s" if len(met) else ", never met"


def _label(name: str) -> str:
    if name.startswith("param "):
        return f"{name.removeprefix('param ')} relative error"
    if name.endswith("~"):
        return f"{name[:-1]} rel. L2, up to a constant"
    if name.startswith("|"):
        return f"\\|{' + i'.join(name.strip('|').split(','))}\\| rel. L2"  # escaped: the label sits in a table
    return f"{name} rel. L2"


def write_page(record: dict) -> None:
    """docs/gallery.md from every measurement stored in the record."""
    import yaml

    lines = ["# Problem gallery", "",
             "Every spec in `problems/`, run at its shipped budget and checked against an independent reference "
             "(analytic, or a numerical solver in `pinnsolve/references/` with its own convergence tests). "
             "This page is written by `python3 benchmarks/gallery.py` from the measurements it stores in "
             "`benchmarks/gallery.json`; `pytest -m validation` asserts the same targets, and the default "
             "test suite runs every problem at a reduced budget against a looser bound.", "",
             f"Measured on {record.get('machine', 'this machine')}. Errors are relative L2 errors on the spec's "
             "evaluation grid, unless the row says otherwise; with several seeds, the worst and the median.", "",
             "| problem | what is measured | target | measured (worst / median over seeds) | seeds | wall time (s) | reproduce |",
             "|---|---|---|---|---|---|---|"]
    sections = []
    for entry in GALLERY:
        runs = record["problems"].get(entry.name)
        if not runs:
            continue
        walls = [r["wall"] for r in runs]
        for name, bound in entry.target.items():
            values = [r["errors"][name] for r in runs]
            verdict = "" if max(values) <= bound else " **(above target)**"
            lines.append(f"| [{entry.name}](#{entry.name}) | {_label(name)} | {bound:.3g} | "
                         f"{max(values):.2e} / {statistics.median(values):.2e}{verdict} | {len(runs)} | "
                         f"{max(walls):.0f} | `pinnsolve run problems/{entry.name}.yaml` |")
        description = yaml.safe_load((PROBLEMS / f"{entry.name}.yaml").read_text()).get("description", "")
        sections += [f"## {entry.name}", "", f"{description}. Spec: [`problems/{entry.name}.yaml`](../problems/{entry.name}.yaml).", ""]
        if (FIGURES / f"{entry.name}.png").exists():
            sections += [f"![{entry.name}](figures/gallery/{entry.name}.png)", ""]
    PAGE.write_text("\n".join(lines + [""] + sections))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="problems to run (default: all)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="training seeds (default: 0)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in ENTRIES]
    if unknown:
        parser.error(f"unknown problem {unknown[0]!r}; problems are {', '.join(ENTRIES)}")
    record = json.loads(RECORD.read_text()) if RECORD.exists() else {"problems": {}}
    record["machine"] = f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}"
    failed = []
    for name in args.names or list(ENTRIES):
        entry = ENTRIES[name]
        runs = {r["seed"]: r for r in record["problems"].get(name, [])}  # a seed run again replaces its record
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as folder:
                result, errors, wall = run(entry, seed=seed, folder=Path(folder))
                figure = FIGURES / f"{name}.png"
                if seed == 0 or not figure.exists():  # the figure shows seed 0 where there is one
                    FIGURES.mkdir(parents=True, exist_ok=True)
                    shutil.copy(Path(folder) / "solution.png", figure)
            runs[seed] = {"seed": seed, "errors": errors, "wall": wall}
            status = all(errors[k] <= bound for k, bound in entry.target.items()) and wall <= 600
            failed += [] if status else [f"{name} (seed {seed})"]
            print(f"{name} seed {seed}: " + ", ".join(f"{k} {v:.2e} (target {entry.target[k]:.3g}{_reached(result, k, entry.target[k])})"
                                                      for k, v in errors.items())
                  + f", {wall:.0f} s" + ("" if status else "  MISSED"), flush=True)
        record["problems"][name] = [runs[seed] for seed in sorted(runs)]
        RECORD.write_text(json.dumps(record, indent=1) + "\n")
        write_page(record)
    if failed:
        print("missed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
