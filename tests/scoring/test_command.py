"""The ``survey model fit`` command: JSON keys, text summary, exit status 2 with one message."""

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.scoring.command import add_arguments, main, run

DATA = Path(__file__).parent / "data"
MODELS = Path(__file__).parents[2] / "models"
SATISFACTION = str(DATA / "satisfaction.csv")
PLSPM_MODEL = str(MODELS / "plspm-satisfaction.toml")
#: the GoF R plspm published for the satisfaction model, and our agreement with plspm
PLSPM_GOF = 0.609741624338411
PLSPM_TOL = 1e-8


def test_add_arguments_builds_a_fit_subparser(capsys):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([PLSPM_MODEL, SATISFACTION, "--format", "json", "--scheme", "path"])
    assert run(args) == 0
    assert json.loads(capsys.readouterr().out)["scheme"] == "path"


def test_json_has_the_documented_keys(capsys):
    assert main(["fit", PLSPM_MODEL, SATISFACTION, "--format", "json", "--bootstrap", "30", "--seed", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"n", "iterations", "converged", "outer", "paths", "constructs", "effects", "gof", "bootstrap"} <= set(out)
    assert out["n"] == 250 and out["converged"] is True
    assert set(out["outer"][0]) >= {"construct", "item", "weight", "loading", "communality", "redundancy"}
    assert set(out["paths"][0]) >= {"from", "to", "estimate", "std_error", "t", "p", "bootstrap"}
    assert set(out["constructs"][0]) >= {"name", "r_squared", "r_squared_adj", "ave", "block_communality",
                                         "mean_redundancy", "cronbach_alpha", "rho_c", "rho_a", "index"}
    assert set(out["effects"][0]) == {"from", "to", "direct", "indirect", "total"}
    assert out["gof"] == pytest.approx(PLSPM_GOF, abs=PLSPM_TOL)
    lo, hi = out["paths"][0]["bootstrap"]["bca"]
    assert lo < out["paths"][0]["estimate"] < hi


def test_text_summary(capsys):
    assert main(["fit", PLSPM_MODEL, SATISFACTION, "--bootstrap", "20"]) == 0
    text = capsys.readouterr().out
    assert "VAL -> SAT" in text and "Index SAT =" in text and "BCa" in text and "Drivers" in text


def write(tmp_path, frame, name="data.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return str(path)


def bad_inputs(tmp_path):
    data = pd.read_csv(SATISFACTION, index_col=0)
    text = data.astype(object)
    text.loc[3, "sat2"] = "very"
    cyclic = tmp_path / "cyclic.toml"
    cyclic.write_text(Path(PLSPM_MODEL).read_text() + '\n[[paths]]\nfrom = ["LOY"]\nto = ["IMAG"]\n')
    empty = tmp_path / "empty.toml"
    empty.write_text(Path(PLSPM_MODEL).read_text().replace('items = ["val1", "val2", "val3", "val4"]', "items = []"))
    constant = data.copy()
    constant["loy2"] = 7
    blank = data.copy()
    blank["imag3"] = np.nan
    weights = data.assign(w=np.where(np.arange(len(data)) == 5, np.nan, 1.0))
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81\x00garbage\x00")
    return {
        "missing column": [PLSPM_MODEL, write(tmp_path, data.drop(columns=["qual3"]))],
        "non-numeric": [PLSPM_MODEL, write(tmp_path, text)],
        "cycle": [str(cyclic), SATISFACTION],
        "empty block": [str(empty), SATISFACTION],
        "too few rows": [PLSPM_MODEL, write(tmp_path, data.head(20))],
        "unreadable data": [PLSPM_MODEL, str(binary)],
        "absent data": [PLSPM_MODEL, str(tmp_path / "absent.csv")],
        "absent model": [str(tmp_path / "absent.toml"), SATISFACTION],
        "no weights column": [PLSPM_MODEL, SATISFACTION, "--weights", "w"],
        "no cluster column": [PLSPM_MODEL, SATISFACTION, "--bootstrap", "5", "--cluster", "firm"],
        "bootstrap of available": [PLSPM_MODEL, SATISFACTION, "--bootstrap", "5", "--missing", "available"],
        "constant item": [PLSPM_MODEL, write(tmp_path, constant, "constant.csv")],
        "unanswered item": [PLSPM_MODEL, write(tmp_path, blank, "blank.csv")],
        "missing weight": [PLSPM_MODEL, write(tmp_path, weights, "weights.csv"), "--weights", "w"],
        "bad level": [PLSPM_MODEL, SATISFACTION, "--bootstrap", "5", "--level", "1.5"],
    }


@pytest.mark.parametrize("case", ["missing column", "non-numeric", "cycle", "empty block", "too few rows",
                                  "unreadable data", "absent data", "absent model", "no weights column",
                                  "no cluster column", "bootstrap of available", "constant item",
                                  "unanswered item", "missing weight", "bad level"])
def test_bad_input_exits_2_with_one_message(tmp_path, capsys, case):
    assert main(["fit", *bad_inputs(tmp_path)[case]]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("survey model fit: error:")
    assert "Traceback" not in captured.err


def test_weights_column_and_cluster(tmp_path, capsys):
    data = pd.read_csv(SATISFACTION, index_col=0)
    data["w"] = np.where(data["gender"] == "male", 1.5, 0.75)
    data["firm"] = np.arange(len(data)) % 20
    path = write(tmp_path, data)
    assert main(["fit", PLSPM_MODEL, path, "--weights", "w", "--bootstrap", "20", "--cluster", "firm",
                 "--by", "gender", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == pytest.approx(data["w"].sum())
    assert out["bootstrap"]["cluster"] == "firm"
    assert [g["label"] for g in out["bootstrap"]["estimates"]["group_index"]] == ["female", "male"]
    assert [g["group"] for g in out["groups"]["rows"]] == ["female", "male"]
    assert all(g["bootstrap"]["percentile"][0] < g["index"] < g["bootstrap"]["percentile"][1]
               for g in out["groups"]["rows"])
    assert {d["name"] for d in out["ipma"]["drivers"] if d["level"] == "construct"} == {"IMAG", "EXPE", "QUAL", "VAL"}
