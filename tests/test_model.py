"""The feature CNN: its output is the 2-D or 3-D feature, and weight decay reaches only its body."""
import pytest
import torch

from sphereface_viz.model import FeatureNet, NetConfig, decay_groups


@pytest.mark.parametrize("dim,size", [(2, 8), (3, 28)])
def test_the_net_maps_images_to_features_of_its_dimension(dim, size):
    torch.manual_seed(0)
    net = FeatureNet(NetConfig(dim=dim, width=4, image_size=size)).eval()
    images = torch.randn(5, 1, size, size)
    features = net(images)
    assert features.shape == (5, dim)
    # nothing after the feature layer: flipping its sign flips every feature, so every direction is
    # reachable (a ReLU there would have kept the features in one corner of the sphere)
    with torch.no_grad():
        for p in net.head[-1].parameters():
            p.neg_()
    torch.testing.assert_close(net(images), -features)


def test_weight_decay_reaches_the_body_but_not_the_feature_layer_or_w():
    net = FeatureNet(NetConfig(dim=2, width=4, image_size=8))
    w = torch.nn.Parameter(torch.randn(10, 2))
    body, free = decay_groups(net, [w], 0.002)
    assert body["weight_decay"] == 0.002 and free["weight_decay"] == 0.0
    feature_layer = list(net.head[-1].parameters())
    assert {id(p) for p in free["params"]} == {id(p) for p in feature_layer + [w]}
    assert len(body["params"]) + len(feature_layer) == len(list(net.parameters()))


def test_impossible_shapes_are_refused():
    with pytest.raises(ValueError, match="dim"):
        FeatureNet(NetConfig(dim=4))
    with pytest.raises(ValueError, match="8×8"):
        FeatureNet(NetConfig(image_size=4))


def test_the_folded_network_gives_the_eval_features_with_no_batch_norm_in_its_convs():
    """Folding is exact algebra (γ(W∗x − μ)/σ + β as one conv): the same features as the network in eval
    mode, with batch-norm statistics far from 0 and 1, and the network itself left as it was."""
    torch.manual_seed(0)
    net = FeatureNet(NetConfig(dim=3, width=8, image_size=28))
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-2, 2)
                module.running_var.uniform_(0.2, 3)
                module.weight.uniform_(0.5, 2)
                module.bias.uniform_(-1, 1)
    net.train()
    images = torch.randn(16, 1, 28, 28)
    folded = net.folded()
    assert net.training and not folded.training
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.body.modules())
    net.eval()
    with torch.no_grad():
        torch.testing.assert_close(folded(images), net(images), rtol=1e-4, atol=1e-5)
