"""The live numbers beside the Train page's view: the same moment as its frame, as label, value and help."""
import math

from sphereface_viz.theory import best_spread, spread


def numbers(status: dict, angles: dict, loss, dim: int, tested_step: int | None = None) -> list[dict]:
    """The live numbers beside the chart, of the same moment as its figure: label, value and help."""
    def dash(value, form: str) -> str:
        return "—" if value is None or math.isnan(value) else format(value, form)

    def both(key: str, form: str = ".1f") -> str:
        """'test / training' of one measure."""
        return f"{dash(angles.get(key), form)} / {dash(angles.get('train_' + key), form)}"

    def criterion(met: str, intra: str, inter: str) -> str:
        """'not met: 176° within ≥ 0° across': the two angles it compares, in the order it compares them."""
        holds = angles[met]
        return (f"{'met' if holds else 'not met'}: {dash(angles[intra], '.0f')}° within "
                f"{'<' if holds else '≥'} {dash(angles[inter], '.0f')}° across")

    late = f" (test images of step {tested_step:,})" if tested_step not in (None, status["step"]) else ""
    out = [("Step", f"{status['step']:,}", f"epoch {status['epoch']:.2f}"),
           ("Loss", dash(status["loss"], ".3f"), None),
           ("Train accuracy", dash(status["train_accuracy"], ".1%"), "of the latest batch"),
           ("Test accuracy", f"{angles['test_accuracy']:.1%}", "on the test images drawn" + late)]
    if status["lambda"] is not None:
        out.append(("λ (annealing)", f"{status['lambda']:.2f}",
                    "A-Softmax's target logit is (λ cos θ + ψ(θ)) / (1 + λ): large λ, small margin."))
    out += [("Learning rate", f"{status['lr']:.4f}", None),
            ("Intra ° (test / train)", both("intra"),
             "ArcFace's Intra: mean angle between a feature and its class centre. Margins shrink it. "
             "Test: the test images; train: the latest training batches, as the loss saw them." + late),
            ("Inter ° (mean / min)", f"{dash(angles['inter'], '.0f')} / {dash(angles['inter_min'], '.0f')}",
             "angles between class centres (test images): the mean, and the closest two classes"),
            ("W spread ° (now / best)", f"{spread(loss.weight):.0f} / {best_spread(loss.num_classes, dim):.0f}",
             "the smallest angle between two class vectors W_j, against the largest any arrangement allows: 360°/C "
             "on a circle, the Tammes optimum on a sphere (66.1° for ten classes; docs/math.md)"),
            ("Fisher score (test / train)", both("afs", ".4f"),
             "SphereFace's Angular Fisher Score: within-class over between-class scatter of the directions; lower "
             "is more compact"),
            ("SphereFace criterion", criterion("criterion_met", "max_intra_pair", "min_inter_pair"),
             "SphereFace asks that the widest angle between two test features of one class ('within') be smaller "
             "than the narrowest angle between two features of different classes ('across'). These are angles "
             "between single features, not class centres: one stray feature lying on another class makes 'across' "
             "0°, so a single outlier decides it. The robust criterion below uses percentiles instead."),
            ("Robust criterion", criterion("robust_criterion_met", "intra_p95", "inter_p5"),
             "the same with the 95th percentile of same-class pair angles ('within') against the 5th percentile of "
             "different-class ones ('across'): a few outliers no longer decide it")]
    return [{"label": label, "value": value, "help": help} for label, value, help in out]
