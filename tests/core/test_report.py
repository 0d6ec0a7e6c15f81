import json
import math
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from agenteff import datasets, report  # noqa: E402
from agenteff.schema import SchemaError  # noqa: E402


@pytest.fixture
def figures(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTEFF_FIGURES_DIR", str(tmp_path))
    return tmp_path


def test_claim_status_is_derived_from_the_values():
    assert report.claim("k", "r2", 0.524, 0.5241, tolerance=0.001)["status"] == "reproduced"
    differs = report.claim("k", "r2", 0.89, -0.5, unit="R^2", tolerance=0.01, note="no released code")
    assert differs["status"] == "differs"
    assert differs["note"].startswith("differs by -1.39 R^2; no released code")
    assert report.claim("k", "x", 0.87, None)["status"] == "not reproducible"
    assert report.claim("k", "x", 0.87, math.nan)["status"] == "not reproducible"
    assert report.claim("k", "x", None, 0.3)["status"] == "new"
    with pytest.raises(ValueError, match="give a tolerance"):
        report.claim("k", "x", 1.0, 1.0)
    with pytest.raises(ValueError, match="status must be one of"):
        report.claim("k", "x", 1.0, 1.0, status="fine")


def test_claim_takes_a_published_point_value_with_its_unit_and_source():
    published = report.PaperValue("p/x", "pass^1", value=0.42, unit="fraction", source="arXiv:1 v1, Table 2")
    row = report.claim("k", "pass^1", published, 0.4225, tolerance=0.005)
    assert (row["paper_value"], row["unit"], row["status"]) == (0.42, "fraction", "reproduced")
    assert row["note"] == "paper: arXiv:1 v1, Table 2"
    far = report.claim("k", "pass^1", published, 0.30, tolerance=0.005, note="why")
    assert far["status"] == "differs" and far["note"] == "differs by -0.12 fraction; why (paper: arXiv:1 v1, Table 2)"


def test_claim_against_a_published_range_or_bound():
    saving = report.PaperValue("p/saving", "waste reduction", low=15, high=20, unit="%")
    assert report.claim("k", "saving", saving, 17.0, tolerance=0)["status"] == "reproduced"
    assert report.claim("k", "saving", saving, 14.6, tolerance=0.5)["status"] == "reproduced"
    outside = report.claim("k", "saving", saving, 9.0, tolerance=0.5)
    assert outside["status"] == "differs" and outside["note"].startswith("outside the published 15 to 20 %")
    assert outside["paper_value"] == "15 to 20"
    drop = report.PaperValue("p/drop", "utility drop", high=5, unit="%")
    assert report.claim("k", "drop", drop, 4.9, tolerance=0)["status"] == "reproduced"
    assert report.claim("k", "drop", drop, 5.2, tolerance=0)["status"] == "differs"
    assert report.claim("k", "drop", drop, None)["status"] == "not reproducible"


def test_qualitative_paper_claims_need_an_explicit_status():
    statement = report.PaperValue("p/q", "MCPP beats every baseline")
    with pytest.raises(ValueError, match="qualitative"):
        report.claim("k", "beats", statement, 0.05, tolerance=0.01)
    row = report.claim("k", "beats", statement, "ties the oracle", status="differs")
    assert row["paper_value"] == "MCPP beats every baseline"


def test_paper_values_are_looked_up_by_key_and_name_the_missing_key():
    values = datasets.paper_values()
    assert values["tau-bench/leaderboard-pass-hat-4"].value == pytest.approx(0.2)
    assert values["tau-bench/leaderboard-pass-hat-4"].source.startswith("arXiv:2406.12045")
    with pytest.raises(KeyError, match="no published value has key 'tau-bench/nope'"):
        values["tau-bench/nope"]


def test_empty_cells_of_a_paper_value_row_are_missing_not_na(tmp_path):
    from agenteff.datasets import published

    header = ",".join(c.name for c in published.PAPER_VALUES.columns)
    (tmp_path / "a.csv").write_text(header + "\nx/y,P,,v1,abstract,q,,1.5,,,,\n")
    (value,) = published.as_paper_values(published.parse({"a.csv": tmp_path / "a.csv"})["paper_values"]).values()
    assert (value.value, value.low, value.unit, value.source) == (1.5, None, "", "P v1, abstract")
    assert report.claim("k", "q", value, 1.5, tolerance=0)["unit"] == ""


def test_an_arxiv_id_is_read_as_text(tmp_path):
    from agenteff.datasets import published

    header = ",".join(c.name for c in published.PAPER_VALUES.columns)
    (tmp_path / "a.csv").write_text(header + "\nx/y,P,2605.06110,v2,abstract,q,,1,,,,\n")
    table = published.parse({"a.csv": tmp_path / "a.csv"})["paper_values"]
    assert published.as_paper_values(table)["x/y"].source == "arXiv:2605.06110 v2, abstract"
    assert datasets.paper_values()["mcpp/consistent-improvement"].source == "arXiv:2605.06110 v2, abstract"


def test_paper_value_keys_must_be_unique_across_files(tmp_path):
    from agenteff.datasets import published

    header = ",".join(c.name for c in published.PAPER_VALUES.columns)
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text(header + "\nx/y,P,,v1,abstract,q,,1,,,,\n")
    with pytest.raises(SchemaError, match="x/y"):
        published.parse({"a.csv": tmp_path / "a.csv", "b.csv": tmp_path / "b.csv"})


def test_write_claims_and_gallery(figures):
    report.set_style()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set(title="A line", xlabel="x (units)", ylabel="y (units)")
    report.save_fig(report.StudyFigure("line", fig, "A straight line."), "01_demo")
    plt.close(fig)
    table = report.write_claims([report.claim("demo/slope", "slope", 1.0, 1.0, tolerance=0.01)], "01_demo")
    assert table.columns.tolist() == report.CLAIM_COLUMNS
    assert (figures / "01_demo" / "line.png").stat().st_size > 0
    assert (figures / "01_demo" / "line.svg").exists()
    assert json.loads((figures / "01_demo" / "figures.json").read_text()) == {"line": "A straight line."}
    gallery = report.build_gallery().read_text()
    assert "![line](01_demo/line.png)" in gallery and "1 claims: 1 reproduced." in gallery
    assert "| demo/slope | slope | 1.0 | 1.0 |" in gallery


def test_saved_figures_are_byte_stable(figures):
    report.set_style()
    outputs = []
    for _ in range(2):
        fig, ax = plt.subplots()
        ax.bar(["a", "b"], [1, 2])
        ax.set(title="Bars", xlabel="group", ylabel="count")
        report.save_fig(report.StudyFigure("bars", fig, "Bars."), "01_demo")
        plt.close(fig)
        outputs.append(
            ((figures / "01_demo" / "bars.png").read_bytes(), (figures / "01_demo" / "bars.svg").read_bytes())
        )
    assert outputs[0] == outputs[1]


def test_simulated_figures_must_say_so():
    fig, ax = plt.subplots()
    ax.set_title("Success by architecture")
    with pytest.raises(ValueError, match="must say 'simulated'"):
        report.mark_simulated(fig)
    ax.set_title("Success by architecture (simulated)")
    assert report.mark_simulated(fig) is fig
    assert any(t.get_text() == "simulated data" for t in fig.texts)
    plt.close(fig)


@report.figure
def _line_chart(slope: float):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, slope])
    return fig, f"A line of slope {slope:g}."


def test_a_figure_function_names_its_files_after_itself_and_carries_its_caption(figures):
    made = _line_chart(2.0)
    assert (made.name, made.caption) == ("_line_chart", "A line of slope 2.")
    report.save_fig(made, "01_demo")
    plt.close(made.figure)
    assert (figures / "01_demo" / "_line_chart.png").exists()
    assert json.loads((figures / "01_demo" / "figures.json").read_text()) == {"_line_chart": "A line of slope 2."}
    with pytest.raises(TypeError, match="takes what a study's figure function returns"):
        report.save_fig(made.figure, "01_demo")


def test_a_figure_function_without_a_caption_is_refused():
    @report.figure
    def uncaptioned():
        return plt.figure(), " "

    with pytest.raises(ValueError, match="uncaptioned returned no caption"):
        uncaptioned()
    plt.close("all")


def test_claim_keys_are_stable_slugs_unique_within_a_table(figures):
    with pytest.raises(ValueError, match="claim key 'LODO R2' is not lower-case words"):
        report.claim("LODO R2", "R^2 leaving one benchmark out", None, 0.3)
    rows = [report.claim("lodo/r2", "a", None, 0.3), report.claim("lodo/r2", "b", None, 0.4)]
    with pytest.raises(ValueError, match="key 'lodo/r2' is used twice"):
        report.write_claims(rows, "01_demo")
    assert not (figures / "01_demo" / "claims.csv").exists()


def test_paper_values_read_empty_cells_as_missing(tmp_path):
    from agenteff.datasets import published

    header = ",".join(c.name for c in published.PAPER_VALUES.columns)
    (tmp_path / "a.csv").write_text(header + "\nx/q,P,,v1,Figure 1,holds,,,,,,\n")
    statement = published.as_paper_values(published.parse({"a.csv": tmp_path / "a.csv"})["paper_values"])["x/q"]
    assert (statement.value, statement.unit, statement.source) == (None, "", "P v1, Figure 1")
    assert report.claim("k", "holds", statement, "yes", status="reproduced")["unit"] == ""


def _claim_rows(values) -> list[dict]:
    # rows built column by column, so the test holds whatever columns a claim row carries
    return [
        {**dict.fromkeys(report.CLAIM_COLUMNS, ""), "key": f"value-{i}", "claim": f"value {i}",
         "reproduced_value": value, "status": "new"}
        for i, value in enumerate(values)
    ]  # fmt: skip


def test_reproduced_floats_are_written_to_eight_significant_digits(figures):
    values = [0.1 + 0.2, 2 / 3, 123456789.0, -1e-17, 1e-17, 12, "a sentence", None, float("nan"), np.float32(0.1)]
    table = report.write_claims(_claim_rows([*values, 72876.91]), "01_demo")
    assert table["reproduced_value"].tolist()[:7] == [0.3, 0.66666667, 123456790.0, 0.0, 0.0, 12, "a sentence"]
    assert table["reproduced_value"].iloc[10] == 72876.91  # a value rounded to the cent keeps its cents
    assert table["reproduced_value"].iloc[7] is None and math.isnan(table["reproduced_value"].iloc[8])
    assert table["reproduced_value"].iloc[9] == 0.1  # float32's 0.100000001 too
    written = pd.read_csv(figures / "01_demo" / "claims.csv", keep_default_na=False)["reproduced_value"].tolist()
    assert written[:5] == ["0.3", "0.66666667", "123456790.0", "0.0", "0.0"]  # no "-0.0" for a zero computed < 0


def test_claims_differing_in_the_last_float_digits_write_the_same_bytes(figures):
    report.write_claims(_claim_rows([0.1 + 0.2, 1 / 3]), "01_demo")
    first = (figures / "01_demo" / "claims.csv").read_bytes()
    report.write_claims(_claim_rows([0.3, 0.3333333333333333 + 1e-16]), "01_demo")
    assert (figures / "01_demo" / "claims.csv").read_bytes() == first


def _svg_of_a_line(path, y_noise: float) -> str:
    fig, ax = plt.subplots()
    ax.plot([0.0, 1.0, 2.0], [0.3, 0.7 + y_noise, 0.5])
    ax.set(title="p = 0.0312345", xlabel="x (units)", ylabel="y (units)")
    report._save_svg(fig, path)
    plt.close(fig)
    return path.read_text()


def test_svg_coordinates_do_not_carry_last_digit_noise_and_text_is_kept(tmp_path):
    report.set_style()
    exact, noisy = _svg_of_a_line(tmp_path / "a.svg", 0.0), _svg_of_a_line(tmp_path / "b.svg", 1e-7)
    assert exact == noisy  # 1e-7 moves the point by about 1e-4 pt: below the 1/100 pt written
    assert "p = 0.0312345" in exact  # text is not rounded, only attribute numbers
    assert not re.search(r'="[^"]*\d\.\d{3}', exact)
    assert 'd="M ' in exact  # still a drawn path
