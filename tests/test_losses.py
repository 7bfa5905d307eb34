"""Each loss against an independent truth: pytorch-metric-learning where it has the same loss,
closed forms computed by hand (in float64, with plain math) elsewhere."""
import math

import pytest
import torch
import torch.nn.functional as F
from pytorch_metric_learning import losses as pml

from sphereface_viz.losses import LOSSES, build_loss, psi



@pytest.fixture(autouse=True)
def float64():
    """Compare in double precision; restored after each test so other modules keep float32."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def batch(n=64, dim=3, classes=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, dim, generator=g) * 3, torch.randint(0, classes, (n,), generator=g)


def pml_twin(pml_loss, ours):
    """Give the reference loss our class vectors (it stores them transposed)."""
    with torch.no_grad():
        pml_loss.W.copy_(ours.weight.t())
    return pml_loss


def test_a_softmax_pure_matches_pml_sphereface():
    x, y = batch()
    for m in (1, 2, 3, 4):
        ours = build_loss("a_softmax", 3, 10, m=m, lambda_base=0, lambda_min=0)
        ref = pml_twin(pml.SphereFaceLoss(num_classes=10, embedding_size=3, margin=m), ours)
        assert torch.allclose(ours(x, y), ref(x, y), atol=1e-9), m


def test_modified_softmax_is_pml_sphereface_with_margin_one():
    x, y = batch()
    ours = build_loss("modified_softmax", 3, 10)
    ref = pml_twin(pml.SphereFaceLoss(num_classes=10, embedding_size=3, margin=1), ours)
    assert torch.allclose(ours(x, y), ref(x, y), atol=1e-9)


def test_cosface_matches_pml():
    x, y = batch()
    ours = build_loss("cosface", 3, 10, s=16, m=0.35)
    ref = pml_twin(pml.CosFaceLoss(num_classes=10, embedding_size=3, margin=0.35, scale=16), ours)
    assert torch.allclose(ours(x, y), ref(x, y), atol=1e-9)


def test_arcface_matches_pml_where_theta_plus_m_below_pi():
    x, y = batch()
    ours = build_loss("arcface", 3, 10, s=12, m=0.3)
    ref = pml_twin(pml.ArcFaceLoss(num_classes=10, embedding_size=3, margin=math.degrees(0.3), scale=12), ours)
    # PML has no continuation past θ + m = π: compare on the samples before it (most of them).
    keep = torch.acos(F.cosine_similarity(x, ours.weight[y], dim=1)) + 0.3 < math.pi - 1e-3
    x, y = x[keep], y[keep]
    assert len(y) > 50
    assert torch.allclose(ours(x, y), ref(x, y), atol=1e-9)


def test_arcface_continues_monotone_past_pi():
    ours = build_loss("arcface", 2, 2, m=0.5)
    theta = torch.tensor([3.0, 3.1])  # θ + m > π
    expected = torch.cos(theta) - 0.5 * math.sin(0.5)
    assert torch.allclose(ours.target_cos(torch.cos(theta)), expected)
    grid = torch.linspace(0, math.pi, 2001)
    values = ours.target_cos(torch.cos(grid))
    assert (values[1:] <= values[:-1] + 1e-12).all()


def test_psi_closed_form_and_properties():
    theta = torch.linspace(0, math.pi, 1001)
    for m in (1, 2, 3, 4, 1.5, 2.7, 3.3):
        k = torch.floor(m * theta / math.pi).clamp(max=math.ceil(m) - 1)
        expected = torch.tensor([(-1) ** int(kk) for kk in k]) * torch.cos(m * theta) - 2 * k
        got = psi(torch.cos(theta), m)
        assert torch.allclose(got, expected, atol=5e-3), m  # the acos clamp moves θ by ~1e-3 at 0 and π
        interior = slice(5, -5)
        assert torch.allclose(got[interior], expected[interior], atol=1e-9), m
        assert (got[1:] <= got[:-1] + 1e-9).all(), f"psi not decreasing for m={m}"
    assert torch.allclose(psi(torch.cos(theta), 1), torch.cos(theta))


def test_psi_integer_chebyshev_agrees_with_real_m_path():
    c = torch.cos(torch.linspace(0.01, math.pi - 0.01, 500))
    for m in (2, 3, 4):
        assert torch.allclose(psi(c, m), psi(c, m + 1e-12), atol=1e-6)


def test_a_softmax_run_schedule_reaches_its_floor_at_the_stated_fraction():
    loss = build_loss("a_softmax", 2, 2, lambda_base=1000, lambda_min=2, lambda_fraction=0.5)
    loss.schedule_steps = 400  # the floor at step 200
    assert loss.lam == 1000
    loss.iteration = 20  # p = 0.1: 2 + 998 · 0.9 / 11
    assert loss.lam == pytest.approx(2 + 998 * 0.9 / 11)
    loss.iteration = 199
    assert loss.lam == pytest.approx(2 + 998 * 0.005 / 100.5)  # p = 0.995
    for loss.iteration in (200, 300, 10_000):
        assert loss.lam == 2
    held = build_loss("a_softmax", 2, 2, lambda_base=0, lambda_min=3)  # base below the floor: constant
    held.iteration = 7
    assert held.lam == 3


def test_a_softmax_lambda_blend_hand_computed():
    loss = build_loss("a_softmax", 2, 2, m=2, lambda_schedule="official", lambda_min=5)
    with torch.no_grad():
        loss.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    # official schedule: λ = max(5, 1000 / (1 + 0.12 iter))
    assert loss.lam == 1000
    loss.iteration = 100
    assert loss.lam == pytest.approx(1000 / 13)
    loss.iteration = 10_000
    assert loss.lam == 5
    x = torch.tensor([[2 * math.cos(0.5), 2 * math.sin(0.5)]])  # ‖x‖ = 2, θ_0 = 0.5, θ_1 = π/2 − 0.5
    logits = loss.margin_logits(x, torch.tensor([0]))
    psi_value = math.cos(2 * 0.5)  # k = 0 since 2·0.5 < π
    assert logits[0, 0].item() == pytest.approx(2 * (5 * math.cos(0.5) + psi_value) / 6)
    assert logits[0, 1].item() == pytest.approx(2 * math.cos(math.pi / 2 - 0.5))


def test_a_softmax_counts_training_forward_passes_only():
    x, y = batch(dim=2)
    loss = build_loss("a_softmax", 2, 10)
    loss(x, y)
    loss(x, y)
    loss.eval()
    loss(x, y)
    loss.margin_logits(x, y)
    assert loss.iteration == 2


def test_non_integer_m_hand_computed():
    loss = build_loss("a_softmax", 2, 2, m=2.5, lambda_base=0, lambda_min=0)
    with torch.no_grad():
        loss.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    theta = 1.6  # 2.5·1.6/π = 1.27 → k = 1
    x = torch.tensor([[math.cos(theta), math.sin(theta)]])
    got = loss.margin_logits(x, torch.tensor([0]))[0, 0].item()
    assert got == pytest.approx(-math.cos(2.5 * theta) - 2)


@pytest.mark.parametrize("variant", ["plain", "am", "arc"])
def test_sv_softmax_hand_computed(variant):
    s, t, m = 8.0, 1.2, 0.3
    loss = build_loss("sv_softmax", 2, 3, s=s, t=t, m=m, variant=variant)
    angles = [0.0, 0.4, 2.0]
    with torch.no_grad():
        loss.weight.copy_(torch.tensor([[math.cos(a), math.sin(a)] for a in angles]))
    phi = 0.25  # the feature's direction: θ_0 = 0.25, θ_1 = 0.15, θ_2 = 1.75
    x = torch.tensor([[5 * math.cos(phi), 5 * math.sin(phi)]])
    cos = [math.cos(phi - a) for a in angles]
    g = {"plain": cos[0], "am": cos[0] - m, "arc": math.cos(0.25 + m)}[variant]
    expected = [s * g] + [s * (t * c + t - 1) if g < c else s * c for c in cos[1:]]
    got = loss.margin_logits(x, torch.tensor([0]))[0].tolist()
    assert got == pytest.approx(expected)
    assert got[1] == pytest.approx(s * (t * cos[1] + t - 1))  # class 1 is nearer: a support vector
    assert got[2] == pytest.approx(s * cos[2])                  # class 2 is far: left alone
    loss_value = -math.log(math.exp(expected[0]) / sum(math.exp(v) for v in expected))
    assert loss(x, torch.tensor([0])).item() == pytest.approx(loss_value)


def test_sv_softmax_with_t_one_is_its_base_loss():
    x, y = batch()
    sv = build_loss("sv_softmax", 3, 10, s=10, t=1.0, m=0.3, variant="am")
    cos = build_loss("cosface", 3, 10, s=10, m=0.3)
    with torch.no_grad():
        cos.weight.copy_(sv.weight)
    assert torch.allclose(sv(x, y), cos(x, y))


def test_softmax_is_cross_entropy_of_affine_logits():
    x, y = batch()
    loss = build_loss("softmax", 3, 10)
    with torch.no_grad():
        loss.bias.copy_(torch.linspace(-1, 1, 10))
    expected = F.cross_entropy(x @ loss.weight.t() + loss.bias, y)
    assert torch.allclose(loss(x, y), expected)


@pytest.mark.parametrize("name", [n for n in LOSSES if n != "softmax"])
def test_detach_mode_same_value_plain_gradient(name):
    x, y = batch()
    x.requires_grad_(True)
    detached = build_loss(name, 3, 10, detach=True)
    plain = build_loss(name, 3, 10)
    with torch.no_grad():
        plain.weight.copy_(detached.weight)
    assert torch.allclose(detached(x, y), plain(x, y))
    # The detached target's gradient is that of scale·cos θ_y: compare with a margin-free twin.
    grad = torch.autograd.grad(detached.margin_logits(x, y).gather(1, y[:, None]).sum(), x)[0]
    reference = detached.scale(x) * detached.cosines(x)
    expected = torch.autograd.grad(reference.gather(1, y[:, None]).sum(), x)[0]
    assert torch.allclose(grad, expected)


@pytest.mark.parametrize("name", list(LOSSES))
def test_finite_at_cos_one_and_zero_feature(name):
    loss = build_loss(name, 2, 3)
    with torch.no_grad():
        loss.weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]]))
    x = torch.tensor([[2.0, 0.0], [-3.0, 0.0], [0.0, 0.0], [0.0, 1.0]], requires_grad=True)
    y = torch.tensor([0, 0, 1, 2])  # cos θ_y = 1, cos θ_y = −1, a zero feature, cos θ_y = 1
    value = loss(x, y)
    value.backward()
    assert torch.isfinite(value)
    assert torch.isfinite(x.grad).all() and torch.isfinite(loss.weight.grad).all()


def test_hyperparameters_change_live_without_losing_weights():
    loss = build_loss("a_softmax", 2, 10)
    before = loss.weight.detach().clone()
    loss.m = 2.5
    assert loss.m == 2.5 and torch.equal(loss.weight, before)
    sv = build_loss("sv_softmax", 2, 10)
    sv.t, sv.s, sv.variant = 1.5, 20, "arc"
    assert sv.hparams() == {"detach": False, "s": 20.0, "t": 1.5, "m": 0.1, "variant": "arc"}


@pytest.mark.parametrize("name,key,value", [
    ("a_softmax", "m", 0.5), ("a_softmax", "m", float("nan")), ("cosface", "s", 0), ("arcface", "s", -1),
    ("sv_softmax", "t", 0.9), ("sv_softmax", "variant", "nope"), ("cosface", "m", "abc"), ("arcface", "m", -0.1),
])
def test_impossible_hyperparameters_are_refused(name, key, value):
    loss = build_loss(name, 2, 10)
    with pytest.raises(ValueError, match=key):
        setattr(loss, key, value)
    with pytest.raises(ValueError, match=key):
        build_loss(name, 2, 10, **{key: value})


def test_registry_refuses_unknown_names_and_parameters():
    with pytest.raises(ValueError, match="unknown loss"):
        build_loss("tripletface", 2, 10)
    with pytest.raises(ValueError, match="does not take"):
        build_loss("softmax", 2, 10, m=4)


def test_logits_are_margin_free_and_normalised_weight():
    x, y = batch()
    loss = build_loss("arcface", 3, 10, s=7)
    with torch.no_grad():
        loss.weight.mul_(5)  # a stored norm ≠ 1 must not matter: W is normalised in the forward pass
    expected = 7 * F.normalize(x, dim=1) @ F.normalize(loss.weight, dim=1).t()
    assert torch.allclose(loss.logits(x), expected)


def test_a_seventh_loss_is_one_class_and_appears_everywhere():
    """A throwaway loss declares its logits and one parameter; the CLI, the trainer's live set, the app's
    controls and the margin sweep read it from that declaration alone."""
    from sphereface_viz import losses
    from sphereface_viz.cli import parser
    from sphereface_viz.recipe import TrainConfig
    from sphereface_viz.trainer import Trainer

    class Shifted(losses.ScaledLoss):
        """f_y = s (cos θ_y − q²)."""
        name, title = "shifted_test", "Shifted (test)"
        q = losses.HyperParam(0.2, 0.0, 1.0, widget=(0.0, 1.0, 0.05), grid=(0.0, 0.3), help="the shift's root")

        def target_cos(self, cos_y):
            return cos_y - self.q ** 2

    losses.register(Shifted)
    try:
        args = parser().parse_args(["train", "--loss", "shifted_test", "--q", "0.5", "--out", "x"])
        assert args.q == 0.5 and "the shift's root" in parser()._subparsers._group_actions[0].choices["train"].format_help()
        config = TrainConfig(loss="shifted_test", hparams={"q": 0.5}, width=4, epochs=1, eval_size=50)
        assert "q" in config.live
        trainer = Trainer(config)
        assert trainer.loss.q == 0.5 and Shifted.swept().grid == (0.0, 0.3)
        trainer.set_live(q=0.1)
        assert trainer.loss.q == 0.1 and trainer.live_values()["q"] == 0.1
        assert trainer.loss.target_cos(torch.tensor([[1.0]])).item() == pytest.approx(1 - 0.01)
        with pytest.raises(ValueError, match="q must be"):
            TrainConfig(loss="shifted_test", hparams={"q": 2.0})
        from pages.ui.hparams import shown
        assert list(shown("shifted_test")) == ["s", "q"]  # the Train page's live sliders
    finally:
        losses.LOSSES.pop("shifted_test")
