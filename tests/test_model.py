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
