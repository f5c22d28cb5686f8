"""Model files: the shipped ones load, bad ones give one clear error naming the file and the key."""

from pathlib import Path

import pytest

from survey.scoring.spec import ModelFileError, decode_model, load_model

MODELS = Path(__file__).parents[2] / "models"

GOOD = """
id = "tiny"
title = "Tiny model"
scale = [1, 10]
index = "SAT"
target = 85

[estimation]
scheme = "centroid"
scaled = true
tolerance = 1e-8
max_iterations = 100

[[constructs]]
name = "QUAL"
items = ["q1", "q2"]

[[constructs]]
name = "SAT"
items = ["s1", "s2"]
mode = "B"

[[paths]]
from = ["QUAL"]
to = ["SAT"]
"""


def test_shipped_models_load():
    csi = load_model(MODELS / "after-sales-csi.toml")
    assert csi.index == "SAT" and csi.target == 85 and csi.scale == (1, 10)
    assert csi.estimation.scaled and csi.estimation.scheme == "path"
    assert csi.construct("QUAL").items == ["qua1", "qua2", "qua3", "qua4", "qua5", "qua6"]
    assert len(csi.edges) == 10 and ("IMAG", "LOY") in csi.edges
    assert load_model(MODELS / "plspm-satisfaction.toml").estimation.convention == "plspm"
    assert load_model(MODELS / "seminr-mobi-basic.toml").construct("Quality").mode == "B"


def test_paths_expand_to_every_pair():
    spec = decode_model(GOOD.replace('from = ["QUAL"]', 'from = ["QUAL"]').replace(
        '[[paths]]\nfrom = ["QUAL"]\nto = ["SAT"]',
        '[[paths]]\nfrom = ["QUAL", "IMG"]\nto = ["SAT"]\n[[paths]]\nfrom = ["IMG"]\nto = ["QUAL"]')
        + '[[constructs]]\nname = "IMG"\nitems = ["i1"]\n')
    assert spec.edges == (("QUAL", "SAT"), ("IMG", "SAT"), ("IMG", "QUAL"))


def test_with_items_adds_industry_items_without_touching_the_original():
    csi = load_model(MODELS / "after-sales-csi.toml")
    car = csi.with_items("QUAL", ["qua_car1", "qua_car2"])
    assert car.construct("QUAL").items[-2:] == ["qua_car1", "qua_car2"]
    assert len(csi.construct("QUAL").items) == 6
    with pytest.raises(ModelFileError, match="duplicate|more than once"):
        csi.with_items("QUAL", ["img1"])
    with pytest.raises(ModelFileError, match="NOPE"):
        csi.with_items("NOPE", ["x1"])


@pytest.mark.parametrize(("change", "message"), [
    (("scheme = \"centroid\"", "scheme = \"magic\""), r"\$\.estimation\.scheme"),
    (("target = 85", "target = 185"), r"\$\.target"),
    (("tolerance = 1e-8", "tolerance = -1"), r"\$\.estimation\.tolerance"),
    (("mode = \"B\"", "mode = \"C\""), r"\$\.constructs\[1\]\.mode"),
    (("items = [\"q1\", \"q2\"]", "items = []"), r"\$\.constructs\[0\]\.items"),
    (("title = \"Tiny model\"", "title = \"Tiny\"\ncolour = \"red\""), "unknown field `colour`"),
    (("index = \"SAT\"", "index = \"LOY\""), "index construct 'LOY'"),
    (("to = [\"SAT\"]", "to = [\"LOY\"]"), "'LOY' is not a construct"),
    (("items = [\"s1\", \"s2\"]", "items = [\"s1\", \"q1\"]"), "q1"),
    (("id = \"tiny\"\n", ""), "missing required field `id`"),
])
def test_bad_model_names_file_and_key(tmp_path, change, message):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace(*change))
    with pytest.raises(ModelFileError, match=message) as err:
        load_model(path)
    assert str(path) in str(err.value)


def test_cycle_unreadable_and_invalid_toml(tmp_path):
    cyclic = tmp_path / "cyclic.toml"
    cyclic.write_text(GOOD + '[[paths]]\nfrom = ["SAT"]\nto = ["QUAL"]\n')
    with pytest.raises(ModelFileError, match="cycle"):
        load_model(cyclic)
    with pytest.raises(ModelFileError, match="cannot read"):
        load_model(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("id = [")
    with pytest.raises(ModelFileError, match="not valid TOML"):
        load_model(broken)


def test_scoring_is_pure():
    """survey/scoring imports neither the web framework nor the database layer."""
    for path in (Path(__file__).parents[2] / "survey" / "scoring").glob("*.py"):
        text = path.read_text()
        for banned in ("litestar", "sqlalchemy"):
            assert f"import {banned}" not in text and f"from {banned}" not in text, path.name
