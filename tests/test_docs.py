"""The docs say what the code does: every YAML block in README.md and docs/ validates, and the
bundled specs they name are the files.

A block with ``pde`` and the variables or a geometry is a whole spec. Any other block is a fragment, laid over a bundled spec:
``problems/heat.yaml`` (``problems/poisson_disk.yaml`` for a geometry), or the one its first line names (``# in problems/plate_hole.yaml``, with
``, under training`` when the block sits inside that section). A block that repeats a top-level
key lists alternatives, each checked on its own. ``# not checked: why`` exempts a block.
"""

import re
from pathlib import Path

import pytest
import yaml

from pinnsolve.spec import _Loader, build_spec

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
MARK = re.compile(r"# in (problems/\w+\.yaml)(?:, under (\w+))?")


def blocks():
    for page in PAGES:
        text = page.read_text()
        for match in re.finditer(r"```yaml\n(.*?)```", text, re.S):
            line = text[:match.start()].count("\n") + 1
            yield pytest.param(match.group(1), id=f"{page.name}:{line}")


def alternatives(text: str) -> list[str]:
    """The block whole, or one piece per top-level key where a key repeats."""
    try:
        yaml.load(text, Loader=_Loader)
        return [text]
    except yaml.YAMLError:
        pieces = re.split(r"\n(?=[A-Za-z_])", text)
        return [piece for piece in pieces if piece.strip() and not piece.lstrip().startswith("#")]


@pytest.mark.parametrize("text", list(blocks()))
def test_every_yaml_block_in_the_docs_validates(text):
    if text.startswith("# not checked:"):
        return
    mark = MARK.match(text)
    default = "problems/poisson_disk.yaml" if re.search(r"^geometry:", text, re.M) else "problems/heat.yaml"
    base = yaml.load((ROOT / (mark.group(1) if mark else default)).read_text(), Loader=_Loader)
    for piece in alternatives(text):
        fragment = yaml.load(piece, Loader=_Loader)
        if mark and mark.group(2):
            fragment = {mark.group(2): {**base.get(mark.group(2), {}), **fragment}}
        whole = "pde" in fragment and ("variables" in fragment or "geometry" in fragment)
        # the base's point counts name its conditions: new conditions leave them out
        under = {k: v for k, v in base.items() if not ("conditions" in fragment and k == "training")}
        build_spec(fragment if whole else {**under, **fragment}, folder=ROOT)


def test_the_docs_quote_the_bundled_specs_as_they_are():
    """A block that starts with a bundled spec's name is that spec (or the part of it shown)."""
    names = {path.stem: yaml.load(path.read_text(), Loader=_Loader) for path in (ROOT / "problems").glob("*.yaml")}
    for page in PAGES:
        for match in re.finditer(r"```yaml\n(.*?)```", page.read_text(), re.S):
            try:
                shown = yaml.load(match.group(1), Loader=_Loader)
            except yaml.YAMLError:  # alternatives, side by side
                continue
            if isinstance(shown, dict) and shown.get("name") in names:
                spec = names[shown["name"]]
                for key, value in shown.items():
                    assert spec.get(key) == value, f"{page.name}: {shown['name']}.{key} differs from the file"
