import pandas as pd
import pytest

from agenteff.schema import RUNS, SAMPLES, STEPS, Column, Schema, SchemaError, read_table, validate, write_table


def runs_frame(**overrides):
    row = {
        "run_id": "r1",
        "task": "t1",
        "suite": "s",
        "architecture": "single",
        "n_agents": 1,
        "model": "m",
        "seed": 0,
        "success": True,
    }
    row.update(overrides)
    return pd.DataFrame([row])


def test_valid_runs_get_canonical_dtypes():
    table = validate(runs_frame(success="true", n_agents="3"), RUNS)
    assert table["success"].dtype == "boolean" and bool(table.loc[0, "success"]) is True
    assert str(table["n_agents"].dtype) == "Int64" and table.loc[0, "n_agents"] == 3
    assert list(table.columns[:3]) == ["run_id", "task", "suite"]


def test_missing_column_names_the_file_and_column():
    frame = runs_frame().drop(columns="model")
    with pytest.raises(SchemaError, match=r"my_runs\.csv: column 'model' is missing"):
        validate(frame, RUNS, source="my_runs.csv")


def test_bad_value_names_file_row_and_column():
    frame = pd.concat([runs_frame(), runs_frame(run_id="r2", n_agents=2.5)], ignore_index=True)
    with pytest.raises(SchemaError, match=r"x\.csv: row 2, column 'n_agents': expected a whole number, got 2\.5"):
        validate(frame, RUNS, source="x.csv")


def test_bounds_allowed_values_and_missing():
    with pytest.raises(SchemaError, match=r"row 1, column 'n_agents': 0 is outside"):
        validate(runs_frame(n_agents=0), RUNS)
    steps = pd.DataFrame([{"run_id": "r1", "step": 0, "agent_id": "a", "role": "boss", "round": 0, "turn": 0}])
    with pytest.raises(SchemaError, match=r"column 'role': 'boss' is not one of"):
        validate(steps, STEPS)
    with pytest.raises(SchemaError, match=r"column 'success': missing value"):
        validate(runs_frame(success=None), RUNS)
    with pytest.raises(SchemaError, match=r"column 'success': expected true/false, got 'maybe'"):
        validate(runs_frame(success="maybe"), RUNS)


def test_duplicate_keys_are_rejected():
    frame = pd.concat([runs_frame(), runs_frame()], ignore_index=True)
    with pytest.raises(SchemaError, match=r"row 2, column 'run_id': duplicate row"):
        validate(frame, RUNS)


def test_extra_columns_kept_unless_schema_forbids():
    assert "notes" in validate(runs_frame(notes="x"), RUNS).columns
    strict = Schema("strict", (Column("a", "int"),), extra_columns=False)
    with pytest.raises(SchemaError, match="column 'b' is not part of schema 'strict'"):
        validate(pd.DataFrame({"a": [1], "b": [2]}), strict)


def test_write_then_read_round_trip(tmp_path):
    samples = pd.DataFrame(
        [
            {
                "dataset": "d",
                "problem_id": "1",
                "model": "m",
                "method": "greedy",
                "sample_index": 0,
                "answer": "1/2",
                "gold": "0.5",
                "correct": True,
            }
        ]
    )
    for suffix in (".csv", ".parquet", ".jsonl"):
        path = write_table(samples, tmp_path / f"samples{suffix}", SAMPLES)
        back = read_table(path, SAMPLES)
        assert back.loc[0, "answer"] == "1/2" and bool(back.loc[0, "correct"]) is True


def test_bad_write_leaves_existing_file_intact(tmp_path):
    path = tmp_path / "runs.csv"
    write_table(runs_frame(), path, RUNS)
    before = path.read_bytes()
    with pytest.raises(SchemaError):
        write_table(runs_frame(n_agents=-1), path, RUNS)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["runs.csv"]  # no temporary file left behind


def test_read_names_file_for_unreadable_input(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet")
    with pytest.raises(SchemaError, match="broken.parquet: cannot be read"):
        read_table(path, RUNS)
    bad = tmp_path / "runs.csv"
    bad.write_text(
        "run_id,task,suite,architecture,n_agents,model,seed,success\nr1,t,s,single,1,m,0,true\nr2,t,s,single,x,m,0,true\n"
    )
    with pytest.raises(SchemaError, match=r"runs\.csv: row 2, column 'n_agents': expected a number, got 'x'"):
        read_table(bad, RUNS)


def test_describe_lists_every_column():
    table = SAMPLES.describe()
    assert table["column"].tolist() == SAMPLES.names
