"""Training options: what a spec's ``training`` section becomes, with the defaults in one place
(the YAML loader reads them from these dataclasses), and their check against a problem."""

from dataclasses import dataclass, field

import torch

from pinnsolve.causal import CausalWeighting
from pinnsolve.errors import SpecError, check_choice
from pinnsolve.problem import Problem

DEFAULT_PDE_POINTS = 4096
DEFAULT_CONDITION_POINTS = 256
DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass
class AdaptiveSampling:
    """Residual-based adaptive distribution, RAD (Wu, Zhu, Tan, Kartha & Lu, "A comprehensive study
    of non-adaptive and residual-based adaptive sampling for physics-informed neural networks",
    CMAME 403, 2023, eq. 2): interior points are drawn from ``candidates`` quasi-random points with
    probability p(x) ∝ ε(x)^k / mean(ε^k) + c, ε the residual magnitude. k = 1, c = 1 is the
    paper's robust choice: half the points follow the residual, half stay spread out."""

    k: float = 1.0
    c: float = 1.0
    candidates: int = 65536


DERIVATIVES = ("forward", "autograd")
# "highest": float32 matrix products in full float32; "tf32": on NVIDIA GPUs (Ampere and later),
# with TensorFloat-32 inputs (10-bit mantissa); "bf16": the losses evaluated under bfloat16 autocast
PRECISIONS = ("highest", "tf32", "bf16")
POLISH_TYPES = ("lbfgs", "bfgs", "ssbfgs", "ssbroyden", "lm", "natural_gradient")


@dataclass
class PolishConfig:
    """The second phase: a method that uses curvature, with the loss weights frozen."""

    type: str = "lbfgs"          # one of POLISH_TYPES
    iterations: int = 0          # 0: no polish phase
    # "auto": lbfgs starts in the first phase's dtype and is promoted to float64 when float32
    # stalls; the dense and Gauss–Newton methods run in float64
    dtype: str = "auto"
    history: int = 50            # lbfgs: curvature pairs kept
    damping: float | None = None  # lm: λ's start (1e-3); natural_gradient: ε (1e-10); × mean diag(JᵀJ)
    points: dict[str, int] = field(default_factory=dict)  # per term; defaults to the first phase's
    resample_every: int = 0      # 0: one point set; else new points this often


@dataclass
class TrainingConfig:
    iterations: int = 10000
    points: dict[str, int] = field(default_factory=dict)  # per term: "pde" and each condition's name
    # first phase: points per step, per point set (the others whole); cycles through each set
    batch_size: dict[str, int] = field(default_factory=dict)
    sampler: str = "sobol"
    resample_every: int = 0      # 0: keep the first points
    adaptive: AdaptiveSampling | None = None  # how interior points are resampled; None: quasi-random
    causal: CausalWeighting | None = None  # time-causal weights on the interior residuals; None: plain mean
    seed: int = 0
    log_every: int = 100
    schedule: dict | None = None  # {"type": "exponential" | "cosine" | "plateau", ...options}
    clip_grad_norm: float = 0.0   # 0: no clipping
    early_stopping: dict | None = None  # {"patience": steps, "min_delta": relative improvement}
    polish: PolishConfig = field(default_factory=PolishConfig)
    checkpoint_every: int = 1000  # steps between checkpoints, when the run has a checkpoint file; 0: only at the end
    device: str = "cpu"
    dtype: str = "float32"
    # "forward": one forward Taylor-mode pass gives every derivative the residuals read, where the
    # network and the orders allow it (nested autograd serves the rest); "autograd": nested autograd
    derivatives: str = "forward"
    compile: bool = False  # torch.compile the derivative engine: pays on long runs, costs seconds to start
    precision: str = "highest"  # one of PRECISIONS: reduced precision is opt-in, and costs digits


def check_training(config: TrainingConfig, problem: Problem) -> None:
    """Point counts may be given for the sampled point sets only (``"pde"`` and each condition),
    causal weighting needs a time variable of the problem's, and the Gauss–Newton polishes the
    plain mean-square loss."""
    check_choice(config.polish.type, "training.polish.type", POLISH_TYPES)
    check_choice(config.derivatives, "training.derivatives", DERIVATIVES)
    check_choice(config.precision, "training.precision", PRECISIONS)
    if config.precision == "tf32" and not config.device.startswith("cuda"):
        raise SpecError("training.precision", f"tf32 is a mode of NVIDIA GPUs; this run's device is {config.device}: "
                                              "use highest, or bf16")
    if config.precision == "bf16" and config.dtype != "float32":
        raise SpecError("training.precision", "bf16 evaluates a float32 network in bfloat16; set training.dtype: float32")
    if config.causal is not None:
        check_choice(config.causal.variable, "training.causal.variable", problem.domain.variables)
        if config.polish.type in ("lm", "natural_gradient") and config.polish.iterations > 0:
            raise SpecError("training.polish.type", f"{config.polish.type} needs the plain mean-square loss; "
                                                    "training.causal weights it in time: use type ssbroyden")
    sampled = [name for name, source in problem.point_sets.items() if source.sampled]
    for path, counts in (("training.points", config.points), ("training.polish.points", config.polish.points),
                         ("training.batch_size", config.batch_size)):
        for name in counts:
            check_choice(name, path, sampled)
