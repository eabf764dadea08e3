"""Atomic writes: whatever happens while a file is written, the target holds a complete file, the old
one or the new one, never a broken one."""

import os
import random
import signal
import time

import numpy as np
import pytest
import torch

from pinnsolve.checkpoint import load_checkpoint, save_checkpoint
from pinnsolve.files import write_atomically
from pinnsolve.results import Result, load_result


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "data.txt"
    target.write_text("old")

    def failing(temporary):
        temporary.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(target, failing)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.txt"]


def test_the_temporary_keeps_the_suffix_and_lies_beside_the_target(tmp_path):
    seen = []
    write_atomically(tmp_path / "sub" / "plot.png", lambda temporary: (seen.append(temporary), temporary.write_text("x")))
    assert seen[0].parent == tmp_path / "sub" and seen[0].suffix == ".png" and seen[0].name.startswith(".plot.png.")
    assert (tmp_path / "sub" / "plot.png").read_text() == "x"


def result_of(version: int) -> Result:
    """A result big enough (about 4 MB) that a write takes a while; every value encodes ``version``."""
    grid = np.linspace(0, 1, 400)
    values = np.full((400, 400), float(version))
    return Result(name=f"v{version}", spec=f"version: {version}\n", axes={"x": grid, "t": grid},
                  solution={"u": values}, reference={"u": values + 1.0},
                  history={"step": np.arange(1000.0), "total": np.full(1000, float(version))},
                  model_config={}, model_state={"w": np.full((64, 64), float(version))}, attrs={"steps": version})


def assert_complete_result(path):
    result = load_result(path)
    version = result.attrs["steps"]
    assert result.name == f"v{version}" and result.spec == f"version: {version}\n"
    assert np.array_equal(result.solution["u"], np.full((400, 400), float(version)))
    assert np.array_equal(result.reference["u"], np.full((400, 400), version + 1.0))
    assert np.array_equal(result.history["total"], np.full(1000, float(version)))
    assert np.array_equal(result.model_state["w"], np.full((64, 64), float(version)))
    assert result.metrics["u"]["max_abs"] == 1.0


def assert_complete_checkpoint(path):
    saved = load_checkpoint(path)["trainer"]
    assert torch.equal(saved["w"], torch.full((300, 300), float(saved["version"])))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork to start writers quickly")
def test_sigkill_at_any_moment_leaves_only_complete_files(tmp_path):
    """A writer process rewrites a result and a checkpoint in a loop; it is killed with SIGKILL at a
    random moment, 40 times. Every file left under the real names must open and be complete."""
    result_path, checkpoint_path = tmp_path / "result.h5", tmp_path / "checkpoint.pt"
    rng = random.Random(0)
    killed_mid_write = 0
    for round_ in range(40):
        pid = os.fork()
        if pid == 0:  # the writer: never returns; only SIGKILL ends it
            try:
                version = round_ * 1000
                while True:
                    version += 1
                    result_of(version).save(result_path)
                    # numpy builds the tensor: torch's thread pool is not usable in a forked child
                    weights = torch.from_numpy(np.full((300, 300), float(version), dtype=np.float32))
                    save_checkpoint(checkpoint_path, {"version": version, "w": weights})
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.0, 0.4))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".")]
        killed_mid_write += bool(leftovers)
        for leftover in leftovers:  # what a killed writer leaves is only ever a hidden temporary
            assert ".tmp" in leftover.name
            leftover.unlink()
        if result_path.exists():
            assert_complete_result(result_path)
        if checkpoint_path.exists():
            assert_complete_checkpoint(checkpoint_path)
    assert result_path.exists() and checkpoint_path.exists()
    assert killed_mid_write >= 10, "too few kills landed during a write to test anything"
