"""Tests of building optimizers by name."""

import pytest
import torch

from pinnsolve.optim import OPTIMIZERS, Adan, build_optimizer

TORCH_NAMES = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD,
               "rmsprop": torch.optim.RMSprop, "nadam": torch.optim.NAdam, "radam": torch.optim.RAdam,
               "adagrad": torch.optim.Adagrad, "adamax": torch.optim.Adamax, "adadelta": torch.optim.Adadelta,
               "rprop": torch.optim.Rprop, "asgd": torch.optim.ASGD}


def params():
    return [torch.nn.Parameter(torch.tensor([1.0, -2.0])), torch.nn.Parameter(torch.tensor(0.5))]


def test_adan_builds_with_its_options():
    opt = build_optimizer("adan", params(), lr=0.01, betas=(0.9, 0.8, 0.7), weight_decay=0.1, max_grad_norm=1.0)
    assert type(opt) is Adan
    assert opt.defaults["lr"] == 0.01 and opt.defaults["betas"] == (0.9, 0.8, 0.7)
    assert opt.defaults["weight_decay"] == 0.1 and opt.defaults["max_grad_norm"] == 1.0
    assert len(opt.param_groups[0]["params"]) == 2


@pytest.mark.parametrize("name, cls", sorted(TORCH_NAMES.items()))
def test_torch_optimizers_build_by_lower_case_name(name, cls):
    opt = build_optimizer(name, params(), lr=0.125)
    assert type(opt) is cls
    assert opt.param_groups[0]["lr"] == 0.125
    assert OPTIMIZERS[name] is cls


def test_torch_options_are_passed_on():
    opt = build_optimizer("adam", params(), lr=1e-2, betas=(0.5, 0.75), eps=1e-6, amsgrad=True)
    group = opt.param_groups[0]
    assert group["betas"] == (0.5, 0.75) and group["eps"] == 1e-6 and group["amsgrad"] is True


def test_built_sgd_takes_a_plain_gradient_step():
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = build_optimizer("sgd", [p], lr=0.1)
    (p ** 2).sum().backward()  # gradient 2p
    opt.step()
    torch.testing.assert_close(p.detach(), torch.tensor([1.0 - 0.2, -2.0 + 0.4]))


def test_base_class_and_lbfgs_are_not_offered():
    assert "optimizer" not in OPTIMIZERS
    assert "lbfgs" not in OPTIMIZERS
    with pytest.raises(ValueError, match="'lbfgs'"):
        build_optimizer("lbfgs", params())


@pytest.mark.parametrize("name", ["adamm", "Adam", "", "newton"])
def test_unknown_name_is_a_value_error_naming_it(name):
    with pytest.raises(ValueError) as info:
        build_optimizer(name, params())
    message = str(info.value)
    assert repr(name) in message
    assert "adan" in message and "adam" in message  # says what is available


@pytest.mark.parametrize("name, option", [("adan", "momentum"), ("adam", "betas3"), ("sgd", "beta")])
def test_unknown_option_is_a_value_error_naming_it_and_the_optimizer(name, option):
    with pytest.raises(ValueError) as info:
        build_optimizer(name, params(), lr=0.1, **{option: 0.5})
    message = str(info.value)
    assert repr(option) in message and repr(name) in message
    assert "lr" in message  # lists the accepted options

