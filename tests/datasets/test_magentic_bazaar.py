"""Parsers of the Magentic Marketplace markets and the Agent Bazaar figure caches, on hand-made files."""

import json

import pytest

from agenteff import datasets
from agenteff.datasets import RemoteFile, bazaar, magentic

CUSTOMER = """id: customer_0001
name: Ana
request: two tacos and a drink, with outdoor seating
menu_features:
  Taco: 3.50
  Drink: 2.00
amenity_features:
- Outdoor Seating
"""
BUSINESS = """id: business_0001
name: Casa
description: food
rating: 0.5
progenitor_customer: customer_0001
menu_features:
  Taco: 3.00
  Drink: 1.50
  Flan: 4.00
amenity_features:
  Outdoor Seating: true
  Free Wifi: false
min_price_factor: 0.8
"""
BASELINES = {
    "pick_any_baseline": {
        "median": 1.5,
        "q1": 1.0,
        "q3": 2.0,
        "min": 0.0,
        "max": 3.0,
        "median_ci_lower": 1.0,
        "median_ci_upper": 2.0,
    },
    "pick_cheapest_baseline": {"constant": 6.5},
    "pick_any_with_amenities_baseline": {
        "median": 6.5,
        "q1": 6.5,
        "q3": 6.5,
        "min": 6.5,
        "max": 6.5,
        "median_ci_lower": 6.5,
        "median_ci_upper": 6.5,
    },
    "pick_optimal_baseline": {"constant": 6.5},
}


def _market(tmp_path, customer=CUSTOMER, business=BUSINESS, market="data/mexican_1_1"):
    files = {}
    for relative, text in [
        (f"{market}/customers/customer_0001.yaml", customer),
        (f"{market}/businesses/business_0001.yaml", business),
        (f"{market}/baseline_utilities.json", json.dumps(BASELINES)),
    ]:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        files[relative] = path
    return files


def test_market_tables_hold_what_the_files_say(tmp_path):
    tables = magentic.parse(_market(tmp_path))
    items = tables["customer_items"].set_index("item")["reference_price"].to_dict()
    assert items == {"Drink": 2.0, "Taco": 3.5}
    assert tables["customer_amenities"]["amenity"].tolist() == ["Outdoor Seating"]
    assert tables["business_items"]["price"].sum() == pytest.approx(8.5)
    offered = tables["business_amenities"].set_index("amenity")["offered"].to_dict()
    assert offered == {"Free Wifi": False, "Outdoor Seating": True}
    published = tables["baselines"].set_index(["baseline", "statistic"])["value"]
    assert published["optimal", "constant"] == 6.5 and published["random", "q3"] == 2.0
    assert tables["customers"]["domain"].tolist() == ["mexican"]


def test_contractors_markets_sit_one_folder_deeper(tmp_path):
    tables = magentic.parse(_market(tmp_path, market="data/contractors/contractors_1_1"))
    assert tables["businesses"]["market"].tolist() == ["contractors_1_1"]


def test_bad_market_files_are_named(tmp_path):
    with pytest.raises(ValueError, match=r"customer_0001.yaml: missing key\(s\) \['amenity_features'\]"):
        magentic.parse(_market(tmp_path, customer=CUSTOMER.split("amenity_features")[0]))
    with pytest.raises(ValueError, match="requires amenity 'Valet'"):
        magentic.parse(_market(tmp_path / "b", customer=CUSTOMER.replace("Outdoor Seating", "Valet")))
    with pytest.raises(ValueError, match="rating"):
        magentic.parse(_market(tmp_path / "c", business=BUSINESS.replace("rating: 0.5", "rating: 7")))
    with pytest.raises(ValueError, match="not a market file"):
        magentic.parse({"data/elsewhere/x.yaml": tmp_path / "x.yaml"})


def test_urls_percent_encode_spaces_and_parentheses_but_the_mirror_path_stays_verbatim():
    file = RemoteFile("o/r", "0" * 40, "fig/(gpt seller) exp2/data.json", "0" * 64)
    assert file.url == "https://raw.githubusercontent.com/o/r/" + "0" * 40 + "/fig/%28gpt%20seller%29%20exp2/data.json"
    assert str(file.relative).endswith("fig/(gpt seller) exp2/data.json")
    pinned = [f for f in datasets.REGISTRY["bazaar-outcomes"].files if " " in f.path]
    assert pinned and all(" " not in f.url and "(" not in f.url for f in pinned)


def _cache(tmp_path, relative, data):
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"_meta": {}, "data": data}))
    return path


def _bazaar_files(tmp_path, heatmap_cell=None):
    sizes = tmp_path / bazaar.SIZES_FILE
    sizes.parent.mkdir(parents=True)
    sizes.write_text('import os\nMODELS = [\n    ("Tiny 3B", 3.0, "x/tiny", "Lab"),\n]\n')
    health = tmp_path / bazaar.HEALTH_VS_SIZE_FILE
    health.parent.mkdir(parents=True)
    health.write_text(
        json.dumps(
            {
                "Tiny 3B": {
                    "0": [{"bankruptcy_rate": 0.8, "final_avg_price": 1.5, "price_std": 0.2, "unit_cost": 1.0}],
                    "3": [],
                }
            }
        )
    )
    cell = heatmap_cell or {
        "bankruptcy_rate": [1.0, 0.2],
        "final_avg_price": [0.0, 2.0],
        "total_volume": [10, 20],
        "price_std": [0.1, 0.3],
    }
    return {
        bazaar.SIZES_FILE: sizes,
        bazaar.HEALTH_VS_SIZE_FILE: health,
        "paper/fig/exp1/exp1_openai_gpt-5.4/data/exp1_heatmap_food.json": _cache(
            tmp_path, "h.json", {"unit_cost": 1.0, "per_seed_data": {"3,1": cell}}
        ),
        "paper/fig/exp1/exp1_openai_gpt-5.4/data/exp1_tokens_tokens.json": _cache(
            tmp_path, "t.json", {"3,3": [{"input": 100, "output": 7}]}
        ),
        "paper/fig/exp2/(gpt seller) exp2_openai_gpt-5.4/data/exp2_score_car.json": _cache(
            tmp_path,
            "s.json",
            {
                "per_seed_data": {
                    "1,1": {"consumer_welfare": [-5.0], "sybil_rev_share": [0.25], "market_volume": [40.0]}
                }
            },
        ),
    }


def test_bazaar_cells_map_grid_positions_to_settings(tmp_path):
    tables = bazaar.parse(_bazaar_files(tmp_path))
    crash = tables["crash_cells"]
    assert crash[["n_stab", "discovery"]].drop_duplicates().values.tolist() == [[3, 3]]  # row 3 col 1 -> k=3, dlc=3
    assert crash["bankruptcy_rate"].tolist() == [1.0, 0.2] and set(crash["model"]) == {"gpt-5.4"}
    tokens = tables["crash_tokens"].iloc[0]
    assert (tokens["n_stab"], tokens["discovery"], tokens["input_tokens"]) == (3, 3, 100)  # values, not positions
    lemon = tables["lemon_cells"].iloc[0]
    assert (lemon["n_sybil"], bool(lemon["rep_visible"]), lemon["source_file"]) == (3, False, "score")
    assert tables["model_sizes"]["params_b"].tolist() == [3.0]
    assert tables["health_vs_size"]["n_stab"].tolist() == [0]


def test_bazaar_rejects_ragged_cells_and_bad_keys(tmp_path):
    ragged = {"bankruptcy_rate": [1.0], "final_avg_price": [0.0, 1.0], "total_volume": [1], "price_std": [0.1]}
    with pytest.raises(ValueError, match="different numbers of seeds"):
        bazaar.parse(_bazaar_files(tmp_path, ragged))
    files = _bazaar_files(tmp_path / "b")
    _cache(tmp_path / "b", "h.json", {"per_seed_data": {"9,9": {}}})
    with pytest.raises(ValueError, match="cell key '9,9'"):
        bazaar.parse(files)


def test_model_labels_unify_the_release_folders():
    assert bazaar.model_label("exp1_antrhopic_claude-sonnet-4.6") == "claude-sonnet-4.6"
    assert bazaar.model_label("exp2_anthropic_claude-sonnet-4-6") == "claude-sonnet-4.6"
    assert bazaar.model_label("(gpt seller) exp2_openai_gpt-5.4") == "gpt-5.4"
    assert bazaar.model_label("exp2_openai-gpt-5.4") == "gpt-5.4"


def test_released_files_load(monkeypatch, tmp_path, shared_dir):
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv(datasets.MIRROR_VARIABLE, str(shared_dir / "mirror"))
    markets = datasets.tables("magentic-markets")
    assert markets["customers"].groupby("market").size().to_dict()["mexican_33_99"] == 33
    assert len(markets["baselines"]) == 7 * 16
    outcomes = datasets.tables("bazaar-outcomes")
    assert {"Llama 3.2 3B", "Hermes 4 405B"} <= set(outcomes["health_vs_size"]["model"])
