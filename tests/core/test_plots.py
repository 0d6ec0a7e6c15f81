import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.markers import MarkerStyle  # noqa: E402

from agenteff import metrics, plots  # noqa: E402


def test_draw_frontier_steps_through_the_frontier_points_in_cost_order():
    points = metrics.pareto_frontier(
        pd.DataFrame({"cost_usd": [4.0, 1.0, 2.0, 3.0], "accuracy": [0.9, 0.5, 0.4, 0.7], "name": ["d", "a", "b", "c"]})
    )
    fig, ax = plt.subplots()
    plots.draw_frontier(ax, points, "cost_usd", "accuracy", accuracy_scale=100, label="name")
    step = ax.lines[0]
    assert step.get_xdata().tolist() == [1.0, 3.0, 4.0] and step.get_ydata().tolist() == [50.0, 70.0, 90.0]
    assert sorted(t.get_text() for t in ax.texts) == ["a", "c", "d"]
    assert ax.get_xscale() == "log"
    (scatter,) = ax.collections
    assert np.allclose(sorted(scatter.get_sizes()), [40, 80, 80, 80])
    plt.close(fig)


def test_draw_frontier_styles_points_by_a_column_with_fixed_level_orders():
    points = metrics.pareto_frontier(
        pd.DataFrame(
            {
                "cost_usd": [1.0, 2.0, 3.0],
                "accuracy": [0.5, 0.4, 0.8],
                "model": ["m", "m", "n"],
                "shape": ["a", "b", "a"],
            }
        )
    )
    fig, (ax, other) = plt.subplots(1, 2)
    plots.draw_frontier(ax, points, "cost_usd", "accuracy", hue="model", style="shape", style_order=["b", "a"])
    # one scatter per (model, shape) that has a point, named by both levels; shape "b" gets the first marker
    assert [c.get_label() for c in ax.collections] == ["m / b", "m / a", "n / a"]
    for collection, marker in zip(ax.collections, [plots.MARKERS[0], plots.MARKERS[1], plots.MARKERS[1]]):
        style = MarkerStyle(marker)
        assert np.allclose(
            collection.get_paths()[0].vertices, style.get_path().transformed(style.get_transform()).vertices
        )
    # the same column as hue and style, with a fixed order: a level keeps its colour in a panel that lacks others
    plots.draw_frontier(
        other,
        points[points["model"] == "n"],
        "cost_usd",
        "accuracy",
        hue="model",
        hue_order=["m", "n"],
        style="model",
        style_order=["m", "n"],
    )
    (only,) = other.collections
    assert only.get_label() == "n" and np.allclose(only.get_facecolor()[0][:3], sns.color_palette("colorblind", 2)[1])
    plt.close(fig)
