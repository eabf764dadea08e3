"""Data-parallel training on this CPU with gloo: two processes train exactly the network one
process trains, see the same loss weights, write one result, and a process that dies stops the
other with a clear message instead of a hang."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from pinnsolve.distributed import Group
from pinnsolve.terms import PointSet

WORKER = Path(__file__).parent / "distributed" / "worker.py"

# Heat with gradient-norm annealing (whose per-term gradients must be summed across processes),
# odd point counts (uneven shares), mini-batches that wrap around, resampling, a periodic pair
# condition and an ssbroyden polish (line searches on the global loss), in float64.
SPEC = {
    "name": "ddp",
    "variables": {"x": [0, 1], "t": [0, 0.5]},
    "fields": ["u"],
    "params": {"k": 0.1},
    "pde": "u_t - k*u_xx",
    "conditions": [{"type": "initial", "value": "sin(2*pi*x)"},
                   {"type": "periodic", "variable": "x", "derivatives": 1}],
    "network": {"type": "mlp", "width": 12, "depth": 2},
    "optimizer": {"type": "adan", "lr": 3e-3},
    "weighting": {"type": "gradnorm", "every": 5},
    "training": {"iterations": 30, "points": {"pde": 101, "initial": 33, "periodic": 17}, "batch_size": {"pde": 64},
                 "resample_every": 10,
                 "log_every": 5, "dtype": "float64", "polish": {"type": "ssbroyden", "iterations": 10}},
    "evaluation": {"grid": {"x": 11, "t": 5}},
}


def torchrun(processes: int, *command: str, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           f"--nproc_per_node={processes}", *command], capture_output=True, text=True, timeout=timeout,
                          env=os.environ | {"OMP_NUM_THREADS": "1"})


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ddp")
    spec = folder / "ddp.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    saved = {}
    for processes in (1, 2):
        out = folder / f"p{processes}"
        out.mkdir()
        done = torchrun(processes, str(WORKER), str(spec), str(out))
        assert done.returncode == 0, done.stderr[-3000:]
        saved[processes] = [dict(np.load(path)) for path in sorted(out.glob("rank*.npz"))]
    return saved


def test_two_processes_train_the_network_one_process_trains(runs):
    (alone,), (first, second) = runs[1], runs[2]
    for key in (k for k in alone if k.startswith("state/")):
        scale = max(1.0, np.abs(alone[key]).max())
        assert np.abs(first[key] - alone[key]).max() <= 1e-10 * scale, key
        np.testing.assert_array_equal(first[key], second[key])  # the processes never drift apart
    assert int(alone["processes"]) == 1 and int(first["processes"]) == int(second["processes"]) == 2


def test_every_process_sees_the_global_losses_and_the_same_weights(runs):
    (alone,), (first, second) = runs[1], runs[2]
    weights = [k for k in alone if k.startswith("history/weight/")]
    assert weights and any(np.ptp(alone[k]) > 0 for k in weights)  # annealing did move them
    for key in weights + [k for k in alone if k.startswith("history/loss/")]:
        np.testing.assert_array_equal(first[key], second[key])
        np.testing.assert_allclose(first[key], alone[key], rtol=1e-10, atol=1e-14)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_process_that_dies_stops_the_other_with_a_clear_message(tmp_path):
    spec = tmp_path / "long.yaml"
    spec.write_text(yaml.safe_dump(SPEC | {"training": SPEC["training"] | {"iterations": 10**6}}))
    port = free_port()
    processes = [subprocess.Popen([sys.executable, "-m", "pinnsolve", "run", str(spec), "--out", str(tmp_path / "out"),
                                   "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=os.environ | {"RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2",
                                                    "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
                                                    "OMP_NUM_THREADS": "1"})
                 for rank in (0, 1)]
    deadline = time.monotonic() + 120
    while not (tmp_path / "out" / "checkpoint.pt").exists():  # training is under way
        assert time.monotonic() < deadline and processes[0].poll() is None, processes[0].communicate()[1]
        time.sleep(0.2)
    processes[1].send_signal(signal.SIGKILL)
    killed = time.monotonic()
    _, stderr = processes[0].communicate(timeout=90)
    assert time.monotonic() - killed <= 60
    assert processes[0].returncode == 1
    assert "another process of this 2-process run stopped answering" in stderr
    assert stderr.strip().count("\n") == 0, stderr  # one line, no traceback


def test_shares_cover_every_point_once_and_keep_pairs_together():
    points = np.arange(2 * 7 * 2, dtype=float).reshape(2, 7, 2)
    shares = [Group(rank, 3).shard({"periodic": PointSet(points, {"normal": points[0]})})["periodic"] for rank in range(3)]
    assert [len(s) for s in shares] == [3, 2, 2]
    np.testing.assert_array_equal(np.concatenate([s.points for s in shares], axis=1), points)
    np.testing.assert_array_equal(np.concatenate([s.data["normal"] for s in shares]), points[0])


def test_a_group_of_one_changes_nothing():
    import torch

    group = Group()
    batches = {"pde": PointSet(np.zeros((5, 2)))}
    assert group.shard(batches)["pde"] is batches["pde"] and group.leader
    value = torch.tensor([1.5, 2.0], requires_grad=True)
    total = group.sum(value)
    assert not total.requires_grad and total.tolist() == [1.5, 2.0]
    assert group.agree(True) and not group.agree(False)
    like = [torch.zeros(2), torch.zeros(3)]
    summed = group.sum_gradients([None, torch.ones(3)], like)
    assert summed[0].tolist() == [0.0, 0.0] and summed[1].tolist() == [1.0, 1.0, 1.0]


def test_the_command_line_writes_one_result_and_resumes_as_if_uninterrupted(tmp_path):
    spec = tmp_path / "ddp.yaml"
    spec.write_text(yaml.safe_dump(SPEC | {"training": SPEC["training"] | {"iterations": 20, "polish": {"iterations": 0}}}))
    run = ["-m", "pinnsolve", "run", str(spec), "--quiet"]
    outputs = []
    for command in (run + ["--out", str(tmp_path / "straight")], run + ["--out", str(tmp_path / "resumed"), "--iterations", "10"],
                    run + ["--out", str(tmp_path / "resumed"), "--iterations", "20", "--resume"]):
        done = torchrun(2, *command)
        assert done.returncode == 0, done.stderr[-3000:]
        outputs.append(done.stdout)
    # one process reports and writes, and the file says how many trained
    assert outputs[0].count("wrote ") == 1
    assert sorted(p.name for p in (tmp_path / "straight").iterdir()) == ["checkpoint.pt", "history.png", "result.h5",
                                                                          "slices.png", "solution.png"]
    with h5py.File(tmp_path / "straight" / "result.h5") as a, h5py.File(tmp_path / "resumed" / "result.h5") as b:
        assert a.attrs["processes"] == 2
        for key in a["model"]:
            np.testing.assert_array_equal(a[f"model/{key}"][()], b[f"model/{key}"][()])


@pytest.mark.parametrize("training, path, message", [
    ({"causal": {"epsilon": 1.0}}, "training.causal", "causal weights need all interior points at once"),
    ({"polish": {"type": "lm", "iterations": 5}}, "training.polish.type", "lm differentiates the residuals point by point"),
])
def test_what_several_processes_cannot_share_is_refused_before_training(training, path, message):
    from pinnsolve.errors import SpecError
    from pinnsolve.spec import build_spec

    spec = build_spec(SPEC | {"conditions": SPEC["conditions"][:1], "weighting": {"type": "fixed"},
                              "training": {"iterations": 1} | training})
    Group(0, 1).check(spec.training, spec.problem)  # one process: anything goes
    with pytest.raises(SpecError) as caught:
        Group(0, 2).check(spec.training, spec.problem)
    assert caught.value.path == path and message in caught.value.message
