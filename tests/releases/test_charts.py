import xml.etree.ElementTree as ET

import pytest
from msgspec.structs import replace

from survey.releases.charts import change_chart, index_chart, ipma_chart, nice
from tests.releases.pages_fixtures import tables  # noqa: F401  (fixture)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg" and root.get("viewBox", "").startswith("0 0 360 ")
    assert root.find(SVG + "title").text and root.find(SVG + "desc").text
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(SVG + "text")]


def ticks(root: ET.Element, axis: str) -> dict[float, float]:
    """Tick value -> its position on the axis, read from the tick labels."""
    out = {}
    for t in root.iter(SVG + "text"):
        if t.get("class") == f"tick {axis}":
            out[float(t.text.replace("+", ""))] = float(t.get(axis)) - (4 if axis == "y" else 0)
    return out


def at(scale: dict[float, float], value: float) -> float:
    """The position of ``value`` by linear interpolation between the lowest and highest ticks."""
    low, high = min(scale), max(scale)
    return scale[low] + (value - low) / (high - low) * (scale[high] - scale[low])


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_index_chart_target_line_and_suppressed_industry(tables, locale):
    root = parse(index_chart(tables, locale))
    line = next(e for e in root.iter(SVG + "line") if e.get("class") == "target")
    assert line.get("x1") == line.get("x2") and line.get("stroke-dasharray")
    assert float(line.get("x1")) == pytest.approx(at(ticks(root, "x"), 85.0), abs=0.1)
    shown = texts(root)
    assert ("汽车" if locale == "zh" else "automobiles") in shown
    assert ("电子商务" if locale == "zh" else "e-commerce") in shown and "—" in shown
    assert "87.7▲" in shown and "79.1†" in shown
    assert len([r for r in root.iter(SVG + "rect")]) == 2  # the suppressed industry has no bar


def test_index_chart_intervals_are_drawn_at_their_values(tables):
    root = parse(index_chart(tables, "zh"))
    scale = ticks(root, "x")
    first = next(e for e in root.iter(SVG + "path") if e.get("class") == "ci").get("d")
    start = float(first[1:].split()[0])
    assert start == pytest.approx(at(scale, 87.654321 - 1.4), abs=0.1)


def test_ipma_target_line_at_85_on_the_performance_axis(tables):
    root = parse(ipma_chart(tables, "en", "automobile"))
    line = next(e for e in root.iter(SVG + "line") if e.get("class") == "target")
    assert line.get("y1") == line.get("y2")
    assert float(line.get("y1")) == pytest.approx(at(ticks(root, "y"), 85.0), abs=0.1)
    points = [e for e in root.iter(SVG + "circle")]
    assert len(points) == 4
    assert {"image", "expectations", "perceived quality", "perceived value"} <= set(texts(root))


def test_ipma_labels_do_not_overlap(tables):
    root = parse(ipma_chart(tables, "zh", "mobile_phone"))
    labels = [(float(t.get("x")), float(t.get("y"))) for t in root.iter(SVG + "text") if t.get("class") == "point"]
    assert len(labels) == 4
    assert all(abs(a[1] - b[1]) >= 12 or abs(a[0] - b[0]) > 40 for i, a in enumerate(labels) for b in labels[i + 1:])


def test_change_chart_marks_significant_changes(tables):
    root = parse(change_chart(tables, "zh"))
    shown = texts(root)
    assert "+2.2*" in shown and "-0.8" in shown and "—" in shown
    zero = next(e for e in root.iter(SVG + "line") if e.get("class") == "zero")
    assert float(zero.get("x1")) == pytest.approx(at(ticks(root, "x"), 0.0), abs=0.1)


def test_text_is_escaped(tables):
    odd = replace(tables, drivers=tuple(replace(d, construct="<&\"x>") for d in tables.drivers))
    root = parse(ipma_chart(odd, "en", "automobile"))
    assert "<&\"x>" in texts(root)


@pytest.mark.parametrize("value, expected", [(0.37, 0.5), (1.0, 1.0), (2.3, 5.0), (7.0, 10.0), (0.09, 0.1)])
def test_nice_rounds_up_to_1_2_5(value, expected):
    assert nice(value) == pytest.approx(expected)
