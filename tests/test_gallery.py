"""Every bundled problem: at a reduced budget against a looser bound on every run of the suite, and
at its shipped budget against its target with ``pytest -m validation``. The entries (targets and
budgets) are those of benchmarks/gallery.py, which writes docs/gallery.md."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("gallery", ROOT / "benchmarks" / "gallery.py")
gallery = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gallery)


def test_every_bundled_spec_is_in_the_gallery():
    assert {p.stem for p in (ROOT / "problems").glob("*.yaml")} == set(gallery.ENTRIES)


@pytest.mark.parametrize("name", list(gallery.ENTRIES))
def test_reduced_budget_reaches_its_looser_bound(name):
    entry = gallery.ENTRIES[name]
    _, errors, _ = gallery.run(entry, fast=True)
    for measure, bound in entry.fast_target.items():
        assert errors[measure] <= bound, f"{name}: {measure} {errors[measure]:.3e} > {bound:.0e}"


@pytest.mark.validation
@pytest.mark.parametrize("name", list(gallery.ENTRIES))
def test_shipped_budget_reaches_the_target(name):
    entry = gallery.ENTRIES[name]
    _, errors, wall = gallery.run(entry)
    for measure, bound in entry.target.items():
        assert errors[measure] <= bound, f"{name}: {measure} {errors[measure]:.3e} > {bound:.0e}"
    assert wall <= 600, f"{name}: {wall:.0f} s, over the 10-minute budget"
