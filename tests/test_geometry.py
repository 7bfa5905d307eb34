"""Decision regions against the closed forms of docs/math.md, "Decision boundaries (Table 1)": two classes, W_0 at 0° and W_1 at 90°."""
import math

import pytest
import torch

from sphereface_viz.geometry import (circle_points, decision_regions, directions,
                                     fibonacci_sphere, gap_fraction)
from sphereface_viz.losses import build_loss

N = 36000  # 0.01° steps


def two_classes(name, **hparams):
    loss = build_loss(name, 2, 2, **hparams)
    with torch.no_grad():
        loss.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 3.0]]))  # a norm ≠ 1 must not matter
    return loss


def boundaries_between(loss):
    """On the arc from W_0 (0°) to W_1 (90°): where class 0's region ends and class 1's begins, degrees."""
    phi, points = circle_points(N, torch.float64)
    between = phi <= math.pi / 2 + 1e-12
    owner = decision_regions(loss, points[between])
    deg = torch.rad2deg(phi[between])
    return deg[owner == 0].max().item(), deg[owner == 1].min().item()


def test_a_softmax_m4_owns_18_degrees_and_leaves_a_54_degree_gap():
    loss = two_classes("a_softmax", m=4, lambda_base=0, lambda_min=0)
    hi0, lo1 = boundaries_between(loss)
    assert hi0 == pytest.approx(18, abs=0.02) and lo1 == pytest.approx(72, abs=0.02)
    assert lo1 - hi0 == pytest.approx((4 - 1) / (4 + 1) * 90, abs=0.03)


@pytest.mark.parametrize("m", [1.5, 2, 3])
def test_a_softmax_gap_is_m_minus_1_over_m_plus_1_theta12(m):
    loss = two_classes("a_softmax", m=m, lambda_base=0, lambda_min=0)
    hi0, lo1 = boundaries_between(loss)
    assert lo1 - hi0 == pytest.approx((m - 1) / (m + 1) * 90, abs=0.03)


def test_lambda_shrinks_the_a_softmax_margin_as_spec_says():
    # docs/math.md, "λ dilutes m": m = 4, classes 90° apart: 54° at λ = 0 but about 21° at λ = 5.
    loss = two_classes("a_softmax", m=4, lambda_base=0, lambda_min=5)
    hi0, lo1 = boundaries_between(loss)
    assert lo1 - hi0 == pytest.approx(21, abs=1.0)


def test_arcface_boundary_theta1_plus_m_equals_theta2():
    m = 0.3
    loss = two_classes("arcface", m=m)
    hi0, lo1 = boundaries_between(loss)  # θ_0 + m = θ_1 = 90° − θ_0  →  θ_0 = (90° − m)/2
    assert hi0 == pytest.approx((90 - math.degrees(m)) / 2, abs=0.02)
    assert lo1 - hi0 == pytest.approx(math.degrees(m), abs=0.03)


def test_cosface_boundary():
    m = 0.2
    loss = two_classes("cosface", m=m)
    hi0, _ = boundaries_between(loss)  # cos θ − m = cos(90° − θ) = sin θ  →  √2 cos(θ + 45°) = m
    assert hi0 == pytest.approx(math.degrees(math.acos(m / math.sqrt(2))) - 45, abs=0.02)


def test_modified_softmax_bisects_and_leaves_no_gap():
    loss = two_classes("modified_softmax")
    hi0, lo1 = boundaries_between(loss)
    assert hi0 == pytest.approx(45, abs=0.015) and lo1 == pytest.approx(45, abs=0.015)  # a tie at 45° exactly
    assert gap_fraction(loss) == pytest.approx(0, abs=1e-3)


def test_sv_softmax_regions_equal_its_base_loss():
    sv = two_classes("sv_softmax", variant="arc", m=0.3, t=1.4)
    arc = two_classes("arcface", m=0.3)
    points = circle_points(3600)[1]
    assert torch.equal(decision_regions(sv, points), decision_regions(arc, points))


def test_softmax_with_bias_gives_a_line_off_the_origin():
    loss = build_loss("softmax", 2, 2)
    with torch.no_grad():
        loss.weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0]]))
        loss.bias.copy_(torch.tensor([1.0, -1.0]))  # boundary 2x + 2 = 0: the line x = −1
    xs = torch.linspace(-3, 3, 601)
    points = torch.stack([xs, torch.full_like(xs, 5.0)], dim=1)
    owner = decision_regions(loss, points)
    assert (owner[xs > -0.99] == 0).all() and (owner[xs < -1.01] == 1).all()


def by_every_class(loss, points):
    """The definition itself: x belongs to i if f_i(x | i) beats every f_k(x | i), i tried one by one."""
    owner = torch.full((len(points),), -1, dtype=torch.long)
    with torch.no_grad():
        for i in range(loss.num_classes):
            logits = loss.margin_logits(points, torch.full((len(points),), i, dtype=torch.long))
            target = logits[:, i].clone()
            logits[:, i] = -math.inf
            owner[target > logits.max(dim=1).values] = i
    return owner


@pytest.mark.parametrize("name, hparams", [
    ("softmax", {}), ("modified_softmax", {}), ("a_softmax", {"m": 4.0}), ("a_softmax", {"m": 2.5}),
    ("a_softmax", {"m": 3.0, "lambda_base": 5.0, "lambda_min": 5.0}), ("cosface", {"m": 0.35}),
    ("arcface", {"m": 0.5}), ("arcface", {"m": 2.5}), ("sv_softmax", {"t": 1.4, "m": 0.2, "variant": "arc"}),
    ("sv_softmax", {"t": 2.0, "m": 0.0, "variant": "plain"}), ("sv_softmax", {"t": 1.2, "m": 0.3, "variant": "am"})])
@pytest.mark.parametrize("dim", [2, 3])
def test_regions_checking_only_the_largest_plain_logit_equal_those_trying_every_class(name, hparams, dim):
    """decision_regions checks one class per point, the one with the largest margin-free logit: right because
    every margin only lowers the target logit and raises the others. Random W (norms too) and points, some far
    out and some near the origin, and the origin itself, where no class wins (all logits 0)."""
    generator = torch.Generator().manual_seed(dim)
    loss = build_loss(name, dim, 10, **hparams)
    with torch.no_grad():
        loss.weight.copy_(torch.randn(10, dim, generator=generator) * torch.rand(10, 1, generator=generator) * 3)
        if getattr(loss, "bias", None) is not None:
            loss.bias.copy_(torch.randn(10, generator=generator))
    points = torch.randn(20000, dim, generator=generator) * torch.rand(20000, 1, generator=generator) * 5
    points[-1] = 0.0
    assert torch.equal(decision_regions(loss, points), by_every_class(loss, points))


@pytest.mark.parametrize("name", ["modified_softmax", "a_softmax", "cosface", "arcface", "sv_softmax"])
def test_normalised_losses_do_not_depend_on_the_norm(name):
    loss = build_loss(name, 3, 10)
    points = fibonacci_sphere(2000)
    base = decision_regions(loss, points)
    for r in (0.01, 7.0, 300.0):
        assert torch.equal(decision_regions(loss, points * r), base)


def test_regions_do_not_advance_a_softmax_annealing():
    loss = build_loss("a_softmax", 2, 10)
    decision_regions(loss, directions(2, 100))
    assert loss.iteration == 0


def test_gap_fraction_of_a_softmax_on_the_circle():
    # W_0 at 0°, W_1 at 180°, m = 2: class 0 needs cos 2θ > −cos θ, i.e. θ < 60°; so each class owns
    # 120° and the gaps, (m − 1)/(m + 1)·180° = 60° on either side, make a third of the circle.
    loss = build_loss("a_softmax", 2, 2, m=2, lambda_base=0, lambda_min=0)
    with torch.no_grad():
        loss.weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0]]))
    assert gap_fraction(loss) == pytest.approx(1 / 3, abs=1e-3)


def test_remembered_regions_follow_every_change_of_the_loss():
    # decision_regions remembers results by content: each change below must give the closed form's gap again,
    # never the regions remembered from before it (the gap is (m − 1)/(m + 1)·90° between W's 90° apart).
    loss = two_classes("a_softmax", m=2, lambda_base=0, lambda_min=0)
    gap = lambda: (lambda hi0, lo1: lo1 - hi0)(*boundaries_between(loss))  # noqa: E731
    assert gap() == pytest.approx(30, abs=0.03)
    loss.m = 3  # a hyper-parameter
    assert gap() == pytest.approx(45, abs=0.03)
    loss.lambda_min = 5.0  # λ: at m = 3, λ = 5 leaves about a third of the gap
    assert gap() < 25
    loss.lambda_min = 0.0
    with torch.no_grad():
        loss.weight.copy_(torch.tensor([[1.0, 0.0], [0.5, 0.75 ** 0.5]]))  # W moved in place: 60° apart
    assert gap() == pytest.approx(30, abs=0.03)
    annealing = two_classes("a_softmax", m=4)  # λ from 1000, the run schedule over 1,650 forward passes
    before = decision_regions(annealing, circle_points(360)[1])
    annealing.iteration = 1650  # the counter alone moves λ to its floor, 0: the full margin's gaps open
    after = decision_regions(annealing, circle_points(360)[1])
    assert (before == -1).sum() < 5 and (after == -1).sum() > 50  # 1° samples


def fresh_cache(monkeypatch, max_bytes):
    """An empty regions cache of this many bytes, counted as the app's cache counts them."""
    from cachetools import LRUCache

    from sphereface_viz import geometry

    cache = LRUCache(maxsize=max_bytes, getsizeof=geometry._cache.getsizeof)
    monkeypatch.setattr(geometry, "_cache", cache)
    return cache


def counted_owners(monkeypatch, delay=None):
    """Record each computation of regions (the loss's m); `delay(...)` runs before it computes."""
    from sphereface_viz import geometry

    computed, real = [], geometry._owners

    def owners(loss, points):
        computed.append(loss.m)
        if delay is not None:
            delay()
        return real(loss, points)

    monkeypatch.setattr(geometry, "_owners", owners)
    return computed, real


def test_the_app_bounds_its_remembered_regions_in_bytes():
    from sphereface_viz import geometry

    assert geometry._cache.maxsize == geometry.CACHE_BYTES == 16 * 2**20
    assert geometry._cache.getsizeof(torch.zeros(720, dtype=torch.int16)) == 1440  # bytes, not entries


def test_threads_asking_for_the_same_new_regions_compute_them_once(monkeypatch):
    import threading
    import time

    from sphereface_viz import geometry

    fresh_cache(monkeypatch, 2**20)  # nothing remembered: the regions are new
    asked = threading.Semaphore(0)  # one release per thread that has its key and is about to look
    fingerprint = geometry.fingerprint

    def fingerprinted(loss, points):
        key = fingerprint(loss, points)
        asked.release()
        return key

    def until_both_asked():
        assert asked.acquire(timeout=10) and asked.acquire(timeout=10)
        time.sleep(0.1)  # from its fingerprint to waiting for this computation is a few lines

    monkeypatch.setattr(geometry, "fingerprint", fingerprinted)
    computed, real = counted_owners(monkeypatch, until_both_asked)
    loss, points = build_loss("cosface", 2, 10, m=0.123), circle_points(720)[1]
    results = [None, None]

    def ask(k):
        results[k] = decision_regions(loss, points)

    threads = [threading.Thread(target=ask, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert computed == [0.123]
    expected = real(loss, points)
    assert all(torch.equal(r, expected) for r in results)
    assert torch.equal(decision_regions(loss, points), expected) and computed == [0.123]  # remembered


def test_remembered_regions_stay_within_their_bound_least_recently_used_first(monkeypatch):
    cache = fresh_cache(monkeypatch, 3 * 720 * 2)  # three 720-point circles, two bytes a point
    computed, real = counted_owners(monkeypatch)
    loss, points = build_loss("cosface", 2, 10), circle_points(720)[1]

    def regions(m):
        loss.m = m
        return decision_regions(loss, points)

    for m in (0.11, 0.12, 0.13, 0.14, 0.15):
        regions(m)
        assert cache.currsize == sum(o.nbytes for o in cache.values()) <= 3 * 720 * 2
    assert len(cache) == 3 and computed == [0.11, 0.12, 0.13, 0.14, 0.15]
    regions(0.13)  # remembered: now the most recently used of 0.13, 0.14, 0.15
    regions(0.16)  # drops 0.14
    regions(0.13), regions(0.15)
    assert computed[5:] == [0.16]
    regions(0.14)
    assert computed[5:] == [0.16, 0.14] and cache.currsize == 3 * 720 * 2
    assert torch.equal(regions(0.15), real(loss, points))  # a remembered answer is the computed one


def test_regions_larger_than_the_whole_cache_are_computed_and_not_kept(monkeypatch):
    cache = fresh_cache(monkeypatch, 100)  # fewer bytes than 720 points take
    computed, real = counted_owners(monkeypatch)
    loss, points = build_loss("cosface", 2, 10, m=0.2), circle_points(720)[1]
    for _ in range(2):
        assert torch.equal(decision_regions(loss, points), real(loss, points))
    assert computed == [0.2, 0.2] and len(cache) == 0
