import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from agenteff import metrics, plots  # noqa: E402


def test_draw_frontier_steps_through_the_frontier_points_in_cost_order():
    points = metrics.pareto_frontier(pd.DataFrame({"cost_usd": [4.0, 1.0, 2.0, 3.0], "accuracy": [0.9, 0.5, 0.4, 0.7],
                                                   "name": ["d", "a", "b", "c"]}))
    fig, ax = plt.subplots()
    plots.draw_frontier(ax, points, "cost_usd", "accuracy", accuracy_scale=100, label="name")
    step = ax.lines[0]
    assert step.get_xdata().tolist() == [1.0, 3.0, 4.0] and step.get_ydata().tolist() == [50.0, 70.0, 90.0]
    assert sorted(t.get_text() for t in ax.texts) == ["a", "c", "d"]
    assert ax.get_xscale() == "log"
    (scatter,) = ax.collections
    assert np.allclose(sorted(scatter.get_sizes()), [40, 80, 80, 80])
    plt.close(fig)
