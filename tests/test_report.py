import json
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from agenteff import report  # noqa: E402


@pytest.fixture
def figures(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTEFF_FIGURES_DIR", str(tmp_path))
    return tmp_path


def test_claim_status_is_derived_from_the_values():
    assert report.claim("r2", 0.524, 0.5241, tolerance=0.001)["status"] == "reproduced"
    differs = report.claim("r2", 0.89, -0.5, unit="R^2", tolerance=0.01, note="no released code")
    assert differs["status"] == "differs"
    assert differs["note"].startswith("differs by -1.39 R^2; no released code")
    assert report.claim("x", 0.87, None)["status"] == "not reproducible"
    assert report.claim("x", 0.87, math.nan)["status"] == "not reproducible"
    assert report.claim("x", None, 0.3)["status"] == "new"
    with pytest.raises(ValueError, match="give a tolerance"):
        report.claim("x", 1.0, 1.0)
    with pytest.raises(ValueError, match="status must be one of"):
        report.claim("x", 1.0, 1.0, status="fine")


def test_write_claims_and_gallery(figures):
    report.set_style()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set(title="A line", xlabel="x (units)", ylabel="y (units)")
    report.save_fig(fig, "line", "01_demo", "A straight line.")
    plt.close(fig)
    table = report.write_claims([report.claim("slope", 1.0, 1.0, tolerance=0.01)], "01_demo")
    assert table.columns.tolist() == report.CLAIM_COLUMNS
    assert (figures / "01_demo" / "line.png").stat().st_size > 0
    assert (figures / "01_demo" / "line.svg").exists()
    assert json.loads((figures / "01_demo" / "figures.json").read_text()) == {"line": "A straight line."}
    gallery = report.build_gallery().read_text()
    assert "![line](01_demo/line.png)" in gallery and "1 claims: 1 reproduced." in gallery
    assert "| slope | 1.0 | 1.0 |" in gallery


def test_saved_figures_are_byte_stable(figures):
    report.set_style()
    outputs = []
    for _ in range(2):
        fig, ax = plt.subplots()
        ax.bar(["a", "b"], [1, 2])
        ax.set(title="Bars", xlabel="group", ylabel="count")
        report.save_fig(fig, "bars", "01_demo", "Bars.")
        plt.close(fig)
        outputs.append(((figures / "01_demo" / "bars.png").read_bytes(), (figures / "01_demo" / "bars.svg").read_bytes()))
    assert outputs[0] == outputs[1]


def test_simulated_figures_must_say_so(figures):
    fig, ax = plt.subplots()
    ax.set_title("Success by architecture")
    with pytest.raises(ValueError, match="must say 'simulated'"):
        report.save_fig(fig, "s", "02_demo", "caption", simulated=True)
    ax.set_title("Success by architecture (simulated)")
    report.save_fig(fig, "s", "02_demo", "caption", simulated=True)
    assert any(t.get_text() == "simulated data" for t in fig.texts)
    plt.close(fig)
