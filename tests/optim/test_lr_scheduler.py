"""Learning-rate schedulers against torch.optim.lr_scheduler: lr (and momentum) sequences, warnings, state."""
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import huoba  # noqa: E402

STEPS = 40


def make_opt(lib, name="SGD", groups=1, **kwargs):
    params = [lib.zeros(2, requires_grad=True) for _ in range(groups)]
    if groups == 1:
        return getattr(lib.optim, name)(params, **kwargs)
    return getattr(lib.optim, name)([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)], **kwargs)


def momentum_of(group):
    if "betas" in group:
        return group["betas"][0]
    return group.get("momentum")


def run(lib, build, steps=STEPS, opt_kwargs=None, groups=1, name="SGD", metrics=None):
    opt = make_opt(lib, name, groups, **(opt_kwargs or dict(lr=0.1)))
    sched = build(lib.optim.lr_scheduler, opt)
    lrs = [list(sched.get_last_lr())]
    moms = [[momentum_of(g) for g in opt.param_groups]]
    for i in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
        lrs.append(list(sched.get_last_lr()))
        assert [g["lr"] for g in opt.param_groups] == lrs[-1]
        moms.append([momentum_of(g) for g in opt.param_groups])
    return np.array(lrs, dtype=float), np.array(moms, dtype=float), sched, opt


def compare(build, **kw):
    lr_t, mom_t, sched_t, opt_t = run(torch, build, **kw)
    lr_o, mom_o, sched_o, opt_o = run(huoba, build, **kw)
    np.testing.assert_allclose(lr_o, lr_t, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(mom_o, mom_t, rtol=1e-13, atol=1e-16)
    assert sorted(sched_o.state_dict()) == sorted(sched_t.state_dict())
    assert repr(opt_o) == repr(opt_t)
    return sched_o, sched_t


SCHEDULERS = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[5, 10, 10, 22], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "CosineAnnealingLR_T7": lambda m, o: m.CosineAnnealingLR(o, T_max=7),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lr_lambda=lambda e: 0.95 ** e + 0.01 * (e % 3)),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lr_lambda=lambda e: 0.97),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=12),
    "LinearLR_default": lambda m, o: m.LinearLR(o),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=7),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=25, power=2.0),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.01),
    "CosineAnnealingWarmRestarts_1": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=6),
    "CyclicLR": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4),
    "CyclicLR_tri2": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3, step_size_down=5, mode="triangular2"),
    "CyclicLR_exp": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=5, mode="exp_range", gamma=0.97,
                                            cycle_momentum=False),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=STEPS),
    "OneCycleLR_linear3": lambda m, o: m.OneCycleLR(o, max_lr=0.5, epochs=4, steps_per_epoch=10,
                                                    anneal_strategy="linear", three_phase=True, pct_start=0.25),
    "OneCycleLR_nomom": lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=STEPS + 5, cycle_momentum=False,
                                                  div_factor=10.0, final_div_factor=100.0),
    "SequentialLR": lambda m, o: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=5),
                                                    m.ExponentialLR(o, gamma=0.9),
                                                    m.StepLR(o, step_size=4)], milestones=[5, 20]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.5, total_iters=4),
                                                         m.ExponentialLR(o, gamma=0.95)]),
    "Chained_cos_step": lambda m, o: m.ChainedScheduler([m.CosineAnnealingLR(o, T_max=8),
                                                         m.MultiStepLR(o, [3, 9])], optimizer=o),
}


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_sequence(name, groups):
    opt_kwargs = dict(lr=0.1, momentum=0.9)
    compare(SCHEDULERS[name], opt_kwargs=opt_kwargs, groups=groups)


@pytest.mark.parametrize("name", ["OneCycleLR", "OneCycleLR_linear3", "CyclicLR", "CyclicLR_tri2"])
def test_momentum_cycling_with_adam_betas(name):
    compare(SCHEDULERS[name], opt_kwargs=dict(lr=0.1), name="Adam")


def test_lambda_lr_per_group():
    compare(lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** e]), groups=2)


def test_cyclic_without_momentum_support_errors():
    for lib in (torch, huoba):
        opt = make_opt(lib, "Adagrad", lr=0.1)
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1 with `cycle_momentum` "
                                             "option enabled"):
            lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)


def test_one_cycle_too_many_steps():
    msgs = []
    for lib in (torch, huoba):
        opt = make_opt(lib, "SGD", lr=0.1, momentum=0.9)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
        for _ in range(3):
            opt.step()
            sched.step()
        with pytest.raises(ValueError) as info:
            sched.step()
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1] == "Tried to step 4 times. The specified number of total steps is 3"


PLATEAU = {
    "min_rel": (dict(mode="min", factor=0.5, patience=2), [1.0, 0.9, 0.95, 0.93, 0.92, 0.91, 0.5, 0.6, 0.6, 0.6,
                                                         0.6, 0.4, 0.4, 0.4, 0.4, 0.4] * 2 + [0.3] * 8),
    "max_abs_cooldown": (dict(mode="max", factor=0.1, patience=1, threshold=0.05, threshold_mode="abs", cooldown=2,
                              min_lr=1e-4), [0.1, 0.2, 0.22, 0.24, 0.26, 0.5, 0.5, 0.5, 0.5, 0.5] * 4),
    "min_abs_minlrs": (dict(mode="min", factor=0.3, patience=0, threshold=0.1, threshold_mode="abs",
                            min_lr=[0.003, 0.02]), list(np.linspace(1, 0.5, 40))),
    "max_rel_eps": (dict(mode="max", factor=0.9, patience=3, eps=1e-3), [math.sin(i) for i in range(40)]),
}


@pytest.mark.parametrize("case", list(PLATEAU))
def test_reduce_lr_on_plateau(case):
    kwargs, metrics = PLATEAU[case]
    build = lambda m, o: m.ReduceLROnPlateau(o, **kwargs)  # noqa: E731
    sched_o, sched_t = compare(build, metrics=metrics, steps=len(metrics), groups=2)
    sd_o, sd_t = sched_o.state_dict(), sched_t.state_dict()
    for key in ("best", "num_bad_epochs", "cooldown_counter", "last_epoch", "mode", "threshold", "min_lrs",
                "_last_lr"):
        assert sd_o[key] == sd_t[key], key


def test_reduce_lr_on_plateau_tensor_metric_and_errors():
    for lib in (torch, huoba):
        opt = make_opt(lib, "SGD", lr=1.0)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
        sched.step(lib.tensor(1.0))
        sched.step(lib.tensor(2.0))
        assert sched.get_last_lr() == [0.1]
        with pytest.raises(ValueError, match=r"^Factor should be < 1.0.$"):
            lib.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
        with pytest.raises(ValueError, match="^mode avg is unknown!$"):
            lib.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="avg")
        with pytest.raises(ValueError, match="^threshold mode x is unknown!$"):
            lib.optim.lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="x")
        with pytest.raises(ValueError, match="^expected 1 min_lrs, got 2$"):
            lib.optim.lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0, 0])


def _warnings(fn):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fn()
    return [(w.category, str(w.message)) for w in record]


def test_warning_scheduler_before_optimizer():
    def scenario(lib):
        opt = make_opt(lib, "SGD", lr=0.1)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        first = _warnings(sched.step)
        opt.step()
        second = _warnings(sched.step)
        return first, second

    t_first, t_second = scenario(torch)
    o_first, o_second = scenario(huoba)
    assert o_first == t_first and len(t_first) == 1
    assert o_second == t_second == []


def test_warning_optimizer_step_overridden():
    def scenario(lib):
        opt = make_opt(lib, "SGD", lr=0.1)
        sched = lib.optim.lr_scheduler.ExponentialLR(opt, 0.5)
        opt.step = lambda closure=None: None
        return _warnings(sched.step)

    assert scenario(huoba) == scenario(torch)
    assert len(scenario(torch)) == 1


def test_no_warning_in_normal_use_and_hooks_still_run():
    opt = make_opt(huoba, "SGD", lr=0.1)
    calls = []
    opt.register_step_post_hook(lambda o, a, k: calls.append(1))
    sched = huoba.optim.lr_scheduler.StepLR(opt, 2)
    assert _warnings(lambda: (opt.step(), sched.step())) == []
    assert calls == [1] and opt._opt_called


def test_get_lr_outside_step_warns_and_epoch_deprecation():
    for lib in (torch, huoba):
        opt = make_opt(lib, "SGD", lr=0.1)
        sched = lib.optim.lr_scheduler.StepLR(opt, 3, gamma=0.5)
        assert _warnings(sched.get_lr) == [
            (UserWarning, "To get the last learning rate computed by the scheduler, please use `get_last_lr()`.")]
    results = []
    for lib in (torch, huoba):
        opt = make_opt(lib, "SGD", lr=0.1)
        sched = lib.optim.lr_scheduler.MultiStepLR(opt, [2, 5], gamma=0.5)
        opt.step()
        w = _warnings(lambda: sched.step(7))
        results.append((w, sched.get_last_lr(), sched.last_epoch))
    assert results[0] == results[1]


def test_closed_form_epochs():
    for build in [lambda m, o: m.StepLR(o, 3), lambda m, o: m.ExponentialLR(o, 0.8),
                  lambda m, o: m.CosineAnnealingLR(o, 10), lambda m, o: m.LinearLR(o, total_iters=4),
                  lambda m, o: m.ConstantLR(o), lambda m, o: m.PolynomialLR(o, 6),
                  lambda m, o: m.CosineAnnealingWarmRestarts(o, 3, 2)]:
        seqs = []
        for lib in (torch, huoba):
            opt = make_opt(lib, "SGD", lr=0.1)
            sched = build(lib.optim.lr_scheduler, opt)
            seq = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for e in [1, 5, 2, 9, 0, 12]:
                    opt.step()
                    sched.step(e)
                    seq.append(sched.get_last_lr()[0])
            seqs.append(seq)
        np.testing.assert_allclose(seqs[1], seqs[0], rtol=1e-13)


def test_initial_lr_and_resume():
    for lib in (torch, huoba):
        opt = make_opt(lib, "SGD", groups=2, lr=0.1)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
        assert sched.base_lrs == [0.1, 0.2] and sched.last_epoch == 0 and sched._step_count == 1
    msgs = []
    for lib in (torch, huoba):
        opt = make_opt(lib, "SGD", lr=0.1)
        with pytest.raises(KeyError) as info:
            lib.optim.lr_scheduler.StepLR(opt, 2, last_epoch=3)
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]
    assert "param 'initial_lr' is not specified in param_groups[0]" in msgs[0]


def test_scheduler_type_error():
    for lib in (torch, huoba):
        with pytest.raises(TypeError, match="^list is not an Optimizer$"):
            lib.optim.lr_scheduler.StepLR([], 2)
        with pytest.raises(TypeError, match="^int is not an Optimizer$"):
            lib.optim.lr_scheduler.ReduceLROnPlateau(3)


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "LambdaLR", "SequentialLR",
                                  "ChainedScheduler", "CyclicLR", "CosineAnnealingWarmRestarts"])
def test_scheduler_state_dict_roundtrip(name):
    build = SCHEDULERS[name]
    opt = make_opt(huoba, "SGD", lr=0.1, momentum=0.9)
    sched = build(huoba.optim.lr_scheduler, opt)
    for _ in range(7):
        opt.step()
        sched.step()
    sd = sched.state_dict()
    assert "optimizer" not in sd
    keys = sorted(sd)
    opt_sd = opt.state_dict()

    opt2 = make_opt(huoba, "SGD", lr=0.1, momentum=0.9)
    sched2 = build(huoba.optim.lr_scheduler, opt2)
    opt2.load_state_dict(opt_sd)
    sched2.load_state_dict(sd)
    assert sched2.get_last_lr() == sched.get_last_lr()
    for _ in range(10):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
        assert sched2.get_last_lr() == sched.get_last_lr()

    # the same keys as torch's state dict
    opt_t = make_opt(torch, "SGD", lr=0.1, momentum=0.9)
    sched_t = build(torch.optim.lr_scheduler, opt_t)
    assert sorted(sched_t.state_dict()) == keys


def test_tensor_lr_with_scheduler():
    results = []
    for lib in (torch, huoba):
        opt = make_opt(lib, "SGD", lr=lib.tensor(0.1))
        lr_tensor = opt.param_groups[0]["lr"]
        sched = lib.optim.lr_scheduler.ExponentialLR(opt, 0.5)
        for _ in range(3):
            opt.step()
            sched.step()
        assert opt.param_groups[0]["lr"] is lr_tensor
        results.append((float(lr_tensor), [float(x) for x in sched.get_last_lr()]))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-6)


def test_sequential_and_chained_errors():
    for lib in (torch, huoba):
        m = lib.optim.lr_scheduler
        opt = make_opt(lib, "SGD", lr=0.1)
        with pytest.raises(ValueError) as info:
            m.SequentialLR(opt, [m.StepLR(opt, 2)], milestones=[3])
        assert str(info.value) == ("Sequential Schedulers expects number of schedulers provided to be one more than "
                                   "the number of milestone points, but got number of schedulers 1 and the number "
                                   "of milestones to be equal to 1")
        with pytest.raises(ValueError, match="ChainedScheduler expects at least one scheduler to be chained, but "
                                             "got no scheduler."):
            m.ChainedScheduler([])
        with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
            m.ChainedScheduler([m.ReduceLROnPlateau(opt)])
