"""The Adan optimizer."""

import math

import torch


class Adan(torch.optim.Optimizer):
    r"""Adan, adaptive Nesterov momentum.

    Xie, Zhou, Li, Lin & Yan, "Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing
    Deep Models", IEEE TPAMI 2024 (arXiv:2208.06677). The update is the one computed by the
    authors' PyTorch implementation (github.com/sail-sg/Adan).

    ``betas`` are decay factors, as in Adam: ``betas = (1 - β1, 1 - β2, 1 - β3)`` for the paper's
    β1 = 0.02, β2 = 0.08, β3 = 0.01. At step k (per parameter group), with ``g_k`` the gradient and
    ``d_k = g_k - g_{k-1}`` (``d_1 = 0``)::

        m_k = b1 m_{k-1} + (1 - b1) g_k
        v_k = b2 v_{k-1} + (1 - b2) d_k
        n_k = b3 n_{k-1} + (1 - b3) (g_k + b2 d_k)^2
        u_k = (m_k / c1 + b2 v_k / c2) / (sqrt(n_k) / sqrt(c3) + eps),   c_i = 1 - b_i^k
        θ_k = (θ_{k-1} - lr u_k) / (1 + lr wd)            (proximal weight decay, the default)
        θ_k = θ_{k-1} (1 - lr wd) - lr u_k                (no_prox=True)

    Args:
        params: iterable of parameters or of dicts defining parameter groups.
        lr: learning rate.
        betas: decay factors of the gradient, gradient-difference and squared-term averages.
        eps: added to the denominator for numerical stability.
        weight_decay: decoupled weight decay.
        max_grad_norm: if > 0, all gradients are first scaled by
            ``min(1, max_grad_norm / (norm + eps))`` where ``norm`` is the global gradient norm
            over every parameter of every group. It is a global setting: per-group values are
            ignored. ``p.grad`` itself is left unchanged.
        no_prox: apply the weight decay multiplicatively before the step instead of proximally.
    """

    def __init__(self, params, lr=1e-3, betas=(0.98, 0.92, 0.99), eps=1e-8, weight_decay=0.0,
                 max_grad_norm=0.0, no_prox=False):
        # `not x >= 0` also rejects NaN.
        if not lr >= 0.0:
            raise ValueError(f"invalid learning rate: {lr}")
        if not eps >= 0.0:
            raise ValueError(f"invalid eps: {eps}")
        if len(betas) != 3 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"invalid betas, need three values in [0, 1): {betas}")
        if not weight_decay >= 0.0:
            raise ValueError(f"invalid weight_decay: {weight_decay}")
        if not max_grad_norm >= 0.0:
            raise ValueError(f"invalid max_grad_norm: {max_grad_norm}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        max_grad_norm=max_grad_norm, no_prox=no_prox)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        """Perform one optimization step; return the closure's loss (None without a closure)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()

        scale = 1.0
        max_norm = self.defaults["max_grad_norm"]
        if max_norm > 0:
            # Summed as Python floats (double precision) whatever the parameters' dtypes.
            norm = math.sqrt(sum(p.grad.pow(2).sum().item()
                                 for group in self.param_groups for p in group["params"]
                                 if p.grad is not None))
            scale = min(1.0, max_norm / (norm + self.defaults["eps"]))

        for group in self.param_groups:
            # The step count lives in the group so that state_dict() carries it.
            group["step"] = k = group.get("step", 0) + 1
            beta1, beta2, beta3 = group["betas"]
            lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
            bc1, bc2, bc3 = 1 - beta1 ** k, 1 - beta2 ** k, 1 - beta3 ** k

            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError("Adan does not support sparse gradients")
                grad = p.grad if scale == 1.0 else p.grad * scale
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_diff"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    # g_0 := g_1, so the first difference is zero.
                    state["prev_grad"] = grad.clone()
                m, v, n = state["exp_avg"], state["exp_avg_diff"], state["exp_avg_sq"]

                diff = grad - state["prev_grad"]
                m.mul_(beta1).add_(grad, alpha=1 - beta1)
                v.mul_(beta2).add_(diff, alpha=1 - beta2)
                nesterov = diff.mul_(beta2).add_(grad)  # g + b2 d, reusing diff's buffer
                n.mul_(beta3).addcmul_(nesterov, nesterov, value=1 - beta3)
                denom = n.sqrt().div_(math.sqrt(bc3)).add_(eps)

                if group["no_prox"]:
                    p.mul_(1 - lr * wd)
                p.addcdiv_(m, denom, value=-lr / bc1)
                p.addcdiv_(v, denom, value=-lr * beta2 / bc2)
                if not group["no_prox"]:
                    p.div_(1 + lr * wd)
                state["prev_grad"].copy_(grad)

        return loss
