"""Reference solution of the focusing nonlinear Schrödinger equation by split-step Fourier.

The problem is i h_t + 0.5 h_xx + |h|² h = 0 on x ∈ [−5, 5] with periodic boundaries, t ∈ [0, π/2],
h(0, x) = 2 sech(x): the benchmark of Raissi, Perdikaris & Karniadakis (J. Comput. Phys. 378, 2019,
section 3.1.1), a second-order soliton that breathes with period π/2.

Splitting: h_t = (i/2) h_xx + i|h|² h is the sum of two flows solvable exactly. The linear flow is
diagonal in Fourier space, ĥ_k ← e^{−ik²τ/2} ĥ_k (N equispaced points and the FFT). The nonlinear
flow leaves |h| unchanged pointwise, so it is the phase rotation h ← h·e^{i|h|²τ}. Strang splitting
(half nonlinear, full linear, half nonlinear) is second order; three Strang steps of lengths w₁h, w₀h,
w₁h with w₁ = 1/(2 − 2^{1/3}), w₀ = 1 − 2w₁ compose to fourth order (Yoshida, Phys. Lett. A 150,
1990), and adjacent nonlinear half steps merge. Both flows are unitary, so Σ|h_j|² (the mass) is
conserved to rounding.

The corner. The periodic extension of 2 sech(x) is continuous, but its slope jumps from
−2 sech(5) tanh(5) ≈ −0.027 to +0.027 across x = ±5: a corner, whose Fourier coefficients decay only
like k⁻². Nothing smooths it (the equation is dispersive), so the solution keeps a k⁻² tail and any
Fourier method converges only algebraically: the relative L2 error falls ~2.8× per doubling of the
modes (as N^{−3/2}), and the splitting loses its formal order on the tail. The initial data are
therefore the Fourier projection (coefficients from a 16× finer FFT), which halves the error against
interpolation at the grid points, and the default resolution is high. Initial data that are smooth
and periodic on the domain (e.g. a soliton on a wider domain) converge spectrally and at fourth order.

Evaluation anywhere: ĥ and its nonlinear part N̂ = FFT(i|h|²h) are kept at the steps that bracket the
requested times. Between steps the linear rotation is divided out, g(s) = e^{ik²s/2} ĥ(t_n + s)
(g′ = e^{ik²s/2} N̂, slow), g is interpolated by cubic Hermite polynomials and the rotation put back;
so the fast phases of the high modes are exact rather than interpolated. In x the Fourier series is
summed (exact trigonometric interpolation). At t = 0 the initial data are returned as given. Only
steps up to the latest requested time are integrated.

Accuracy of the defaults (2048 modes, 4000 steps), measured on the grid x = linspace(−5, 5, 256,
endpoint=False), t = linspace(0, π/2, 201) against a run with 8192 modes and 16000 steps (itself
~5e-8 from converged): relative L2 error 3e-7 for |h| and 4e-7 for h = u + iv, maximum 1e-6; the
time stepping contributes 1e-7 and the interpolation between steps nothing measurable. Before the
corner's unresolved tail has dispersed (t ≲ 1e-3) the error reaches 2e-5 within ~0.1 of x = ±5 and
~3e-6 elsewhere; t = 0 itself is exact.
"""

import numpy as np

from pinnsolve.references.spectral import StepBrackets, hermite_weights, sum_between_steps

# Modes: the corner leaves a relative L2 error of ~4e-7 with 2048 modes (1.1e-6 with 1024). Steps:
# the splitting error is 1e-7 with 4000 steps (4e-7 with 2000; order ~2 on the corner's tail).
DEFAULT_MODES = 2048
DEFAULT_STEPS = 4000
T_END = np.pi / 2
HALF_WIDTH = 5.0
# The initial data are projected from samples this many times finer; what those alias is then
# ~1/250 of the tail that is cut off.
PROJECTION_REFINEMENT = 16
# Yoshida's fourth-order composition of three Strang steps.
W1 = 1 / (2 - 2 ** (1 / 3))
W0 = 1 - 2 * W1


def _two_sech(x: np.ndarray) -> np.ndarray:
    return 2.0 / np.cosh(x)


def schrodinger(x, t, modes: int = DEFAULT_MODES, steps: int = DEFAULT_STEPS, *, initial=None,
                half_width: float = HALF_WIDTH) -> dict[str, np.ndarray]:
    """{"u": Re h, "v": Im h, "h": |h|} at (x, t), x ∈ [−half_width, half_width] and t ∈ [0, π/2]
    broadcast against each other.

    modes is the number of grid points and Fourier modes in x (even), steps the number of fourth-order
    split steps over [0, π/2], initial a function of an array of x giving h(0, x) (default 2 sech x;
    it should be periodic on the domain), half_width the half length of the periodic domain.
    """
    x, t = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64))
    if isinstance(modes, bool) or not isinstance(modes, (int, np.integer)) or modes < 16 or modes % 2:
        raise ValueError(f"modes must be an even integer >= 16, got {modes!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if not (np.isfinite(half_width) and half_width > 0):
        raise ValueError(f"half_width must be a finite positive number, got {half_width}")
    initial = _two_sech if initial is None else initial
    if not callable(initial):
        raise ValueError("initial must be a function of x")
    if not np.all(np.isfinite(x)) or np.any(np.abs(x) > half_width):
        raise ValueError(f"x must lie in [-{half_width}, {half_width}]")
    if not np.all(np.isfinite(t)) or np.any(t < 0) or np.any(t > T_END):
        raise ValueError("t must lie in [0, pi/2]")
    modes, steps, length = int(modes), int(steps), 2.0 * float(half_width)
    if x.size == 0:
        return {"u": np.zeros(x.shape), "v": np.zeros(x.shape), "h": np.zeros(x.shape)}

    # Work in ξ = x + half_width ∈ [0, L], where the grid is ξ_j = jL/N and FFT index j is e^{iκjξ}.
    kappa = 2 * np.pi / length
    k = kappa * np.fft.fftfreq(modes, 1.0 / modes)
    h_hat = _projected_initial_data(initial, modes, length, half_width)

    brackets = StepBrackets(t, T_END, steps)
    h, times = brackets.h, brackets.times
    half = modes // 2
    back = np.exp(0.5j * k**2 * h)

    # Between consecutive kept steps, at offset s into the step: Hermite weights, the values at
    # t_{n+1} rotated back by e^{ik²h/2}, the result forward by e^{−ik²s/2}. The coefficients are
    # reordered to j = −N/2 … N/2 (index j + N/2), the Nyquist term split evenly between ±N/2 (the
    # symmetric trigonometric interpolant).
    def coefficients(previous, current, rows):
        (n, h0, nl0), (_, h1, nl1) = previous, current
        s = times[rows] - n * h
        h00, h10, h01, h11 = (c[:, None] for c in hermite_weights(s / h, h))
        g = h00 * h0 + h10 * nl0 + back * (h01 * h1 + h11 * nl1)
        g *= np.exp(-0.5j * np.outer(s, k**2)) / modes
        ordered = np.empty((len(s), modes + 1), dtype=np.complex128)
        ordered[:, :half] = g[:, half:]  # j = −N/2 … −1
        ordered[:, half:modes] = g[:, :half]  # j = 0 … N/2 − 1
        ordered[:, 0] /= 2
        ordered[:, modes] = ordered[:, 0]
        return ordered

    xi = x.ravel() + half_width
    states = _integrate(h_hat, k, steps, brackets.kept)
    values = sum_between_steps(brackets, xi, kappa, modes + 1, states, coefficients)
    values *= np.exp(-1j * kappa * half * xi)
    at_start = t.ravel() == 0
    if np.any(at_start):
        values[at_start] = _initial_values(initial, x.ravel()[at_start])
    values = values.reshape(x.shape)
    return {"u": values.real.copy(), "v": values.imag.copy(), "h": np.abs(values)}


def _initial_values(initial, x: np.ndarray) -> np.ndarray:
    values = np.asarray(initial(x), dtype=np.complex128)
    if values.shape != x.shape or not np.all(np.isfinite(values)):
        raise ValueError("initial must return finite values of the same shape as its argument")
    return values


def _projected_initial_data(initial, modes: int, length: float, half_width: float) -> np.ndarray:
    """FFT-scaled coefficients (N·c_j, FFT order) of the Fourier projection of the initial data.

    The coefficients come from samples 16× finer, so the modes beyond ±N/2 are left out rather than
    aliased onto the kept ones; the Nyquist slot gets c_{N/2} + c_{−N/2}, the best fit by its cosine.
    """
    fine = modes * PROJECTION_REFINEMENT
    c = np.fft.fft(_initial_values(initial, length * np.arange(fine) / fine - half_width)) / fine
    half = modes // 2
    out = np.concatenate([c[:half], [c[half] + c[-half]], c[fine - half + 1:]])
    return out * modes


def _integrate(h_hat: np.ndarray, k: np.ndarray, steps: int, kept: np.ndarray):
    """Fourth-order split steps up to step kept[-1], yielding (step, ĥ, FFT(i|h|²h)) at the steps in kept."""
    h = T_END / steps
    linear = [np.exp(-0.5j * k**2 * w * h) for w in (W1, W0, W1)]
    # Nonlinear substeps around the linear ones: w₁/2, (w₁ + w₀)/2, (w₀ + w₁)/2, w₁/2.
    nonlinear_lengths = [h * w for w in (W1 / 2, (W1 + W0) / 2, (W0 + W1) / 2, W1 / 2)]
    field = np.fft.ifft(h_hat)
    slot = 0
    for step in range(int(kept[-1]) + 1):
        if step == kept[slot]:
            yield step, np.fft.fft(field), np.fft.fft(1j * np.abs(field) ** 2 * field)
            slot += 1
            if slot == len(kept):
                return
        field = field * np.exp(1j * np.abs(field) ** 2 * nonlinear_lengths[0])
        for rotation, tau in zip(linear, nonlinear_lengths[1:]):
            field = np.fft.ifft(rotation * np.fft.fft(field))
            field = field * np.exp(1j * np.abs(field) ** 2 * tau)

