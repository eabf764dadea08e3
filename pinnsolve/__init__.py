"""pinnsolve: physics-informed neural networks for partial differential equations."""

__version__ = "0.1.0"

from pinnsolve.causal import CausalWeighting  # noqa: E402
from pinnsolve.config import AdaptiveSampling, PolishConfig, TrainingConfig  # noqa: E402
from pinnsolve.domain import Domain  # noqa: E402
from pinnsolve.errors import SpecError  # noqa: E402
from pinnsolve.observations import Observations  # noqa: E402
from pinnsolve.problem import Dirichlet, Initial, Neumann, Periodic, Problem, Robin, Unknown  # noqa: E402
from pinnsolve.results import Result, load_result  # noqa: E402
from pinnsolve.solve import solve  # noqa: E402
from pinnsolve.terms import GivenPoints, Interior, Term  # noqa: E402
from pinnsolve.train import TrainingDiverged, TrainingInterrupted, TrainingStopped  # noqa: E402

__all__ = ["AdaptiveSampling", "CausalWeighting", "Dirichlet", "Domain", "GivenPoints", "Initial", "Interior", "Neumann",
           "Observations", "Periodic", "PolishConfig", "Problem", "Result", "Robin", "SpecError", "Term", "TrainingConfig",
           "TrainingDiverged", "TrainingInterrupted", "TrainingStopped", "Unknown", "__version__", "load_result", "solve"]
