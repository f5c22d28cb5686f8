"""Server-side SVG charts of a release: index by industry, importance-performance, change since the previous release.

Plain SVG strings: text stays text (the reader's fonts draw the Chinese), the size follows the viewBox, every
chart has a <title> and <desc>, and every piece of text is XML-escaped.  The tables beside each chart carry the
same numbers for readers who cannot see it.
"""

from __future__ import annotations

import math
from html import escape

from survey.regions import load_industries
from survey.releases.tables import DriverRow, IndexCell, ReleaseTables

WIDTH = 360
LEFT, RIGHT = 8, 292  # the bars' scale; the value column is to the right of it
ROW = 36
BLUE, ORANGE, GREY, LIGHT = "#0b57a4", "#c25e00", "#6b7079", "#c9d3de"
LABELS: dict[str, tuple[str, str]] = {
    "index": ("各行业顾客满意度指数及95%置信区间", "Customer satisfaction index by industry, with 95% intervals"),
    "index_desc": ("横条为指数（0-100），细线为95%置信区间，虚线为目标值{t:g}；“—”为样本量不足未发布。",
                   "Bars show the index (0-100), thin lines the 95% interval, the dashed line the target {t:g}; "
                   "“—” marks an industry not published (insufficient sample)."),
    "target": ("目标 {t:g}", "target {t:g}"),
    "ipma": ("{name}：重要性-绩效分析", "{name}: importance-performance"),
    "ipma_desc": ("每个点是一个驱动因素：横轴为重要性（对满意度的总效应），纵轴为绩效（0-100），虚线为目标值{t:g}。",
                  "Each point is a driver: importance (total effect on satisfaction) across, performance (0-100) "
                  "up; the dashed line is the target {t:g}."),
    "importance": ("重要性（总效应）", "importance (total effect)"),
    "performance": ("绩效", "performance"),
    "change": ("各行业指数较上期变化及95%置信区间", "Change of the index since the previous release, with 95% intervals"),
    "change_desc": ("横条为较上期的变化（分），细线为95%置信区间，*表示变化显著；“—”为无可比数据。",
                    "Bars show the change in points, thin lines the 95% interval, * a significant change; "
                    "“—” marks no comparable value."),
}
CONSTRUCTS: dict[str, tuple[str, str]] = {
    "IMAG": ("企业形象", "image"), "EXPE": ("顾客预期", "expectations"), "QUAL": ("感知质量", "perceived quality"),
    "VAL": ("感知价值", "perceived value"), "SAT": ("顾客满意", "satisfaction"), "LOY": ("顾客忠诚", "loyalty"),
}


def label(key: str, locale: str, **values: object) -> str:
    """A chart label in the locale, with its placeholders filled."""
    return LABELS[key][locale == "en"].format(**values)


def construct_name(code: str, locale: str) -> str:
    """A construct's name in the locale; unknown codes as they are."""
    return CONSTRUCTS[code][locale == "en"] if code in CONSTRUCTS else code


def industry_name(code: str, locale: str) -> str:
    """An industry's name from the programme's list; unknown codes as they are."""
    found = [i for i in load_industries().industries if i.code == code]
    return found[0].name(locale) if found else code


def ordered_industries(tables: ReleaseTables) -> list[str]:
    """The release's industries in the programme's order, then any others alphabetically."""
    present = {c.industry for c in tables.cells if c.level == "industry"} | {s.industry for s in tables.sample}
    known = [code for code in load_industries().codes() if code in present]
    return known + sorted(present - set(known) - {None})


def industry_cells(tables: ReleaseTables) -> list[tuple[str, IndexCell | None]]:
    """Each industry with its industry-level cell (None when the release has none)."""
    cells = {c.industry: c for c in tables.cells if c.level == "industry"}
    return [(code, cells.get(code)) for code in ordered_industries(tables)]


def index_chart(tables: ReleaseTables, locale: str) -> str:
    """Horizontal bars of the industry indices from 0 to 100, their intervals and a dashed target line."""
    target = tables.methods.target
    rows = industry_cells(tables)
    top, bottom = 30, 30 + ROW * len(rows)
    x = scale(0.0, 100.0, LEFT, RIGHT)
    body = [axis_x(x, range(0, 101, 20), bottom)]
    for k, (code, cell) in enumerate(rows):
        y = top + k * ROW
        body.append(text(LEFT, y + 12, industry_name(code, locale)))
        if cell is None or cell.index is None:
            body.append(text(LEFT, y + 28, "—", cls="none"))
            continue
        colour = {"above": BLUE, "below": ORANGE}.get(cell.vs_target or "", GREY)
        body.append(f'<rect x="{x(0):.1f}" y="{y + 17}" width="{x(cell.index) - x(0):.1f}" height="12" '
                    f'fill="{colour}" fill-opacity="0.45"/>')
        body.append(whisker(x, cell.ci_low, cell.ci_high, y + 23))
        mark = {"above": "▲", "below": "▼"}.get(cell.vs_target or "", "")
        flag = "†" if cell.status == "imprecise" else ""
        body.append(text(RIGHT + 6, y + 28, f"{cell.index:.1f}{mark}{flag}", cls="value"))
    body.append(target_line_x(x(target), top - 12, bottom, label("target", locale, t=target)))
    return svg("index-chart", bottom + 24, label("index", locale), label("index_desc", locale, t=target), body)


def change_chart(tables: ReleaseTables, locale: str) -> str:
    """Bars of each industry's change since the previous release from 0, with interval whiskers; * = significant."""
    rows = industry_cells(tables)
    ends = [abs(v) for _, c in rows if c is not None for v in (c.change, c.change_low, c.change_high)
            if v is not None]
    half = nice(max(ends, default=1.0))
    top, bottom = 12, 12 + ROW * len(rows)
    x = scale(-half, half, LEFT, RIGHT)
    body = [axis_x(x, (-half, -half / 2, 0.0, half / 2, half), bottom, signed=True),
            f'<line class="zero" x1="{x(0):.1f}" y1="{top}" x2="{x(0):.1f}" y2="{bottom}" stroke="#1b1b1b"/>']
    for k, (code, cell) in enumerate(rows):
        y = top + k * ROW
        body.append(text(LEFT, y + 12, industry_name(code, locale)))
        if cell is None or cell.change is None:
            body.append(text(RIGHT + 6, y + 28, "—", cls="none"))
            continue
        start, end = sorted((x(0), x(cell.change)))
        colour = BLUE if cell.change_significant else GREY
        body.append(f'<rect x="{start:.1f}" y="{y + 17}" width="{end - start:.1f}" height="12" fill="{colour}" '
                    f'fill-opacity="{0.6 if cell.change_significant else 0.3}"/>')
        body.append(whisker(x, cell.change_low, cell.change_high, y + 23))
        body.append(text(RIGHT + 6, y + 28, f"{cell.change:+.1f}{'*' if cell.change_significant else ''}",
                         cls="value"))
    return svg("change-chart", bottom + 24, label("change", locale), label("change_desc", locale), body)


def ipma_chart(tables: ReleaseTables, locale: str, industry: str) -> str:
    """One industry's drivers: importance across, performance up, with the dashed target line and labels."""
    drivers: list[DriverRow] = [d for d in tables.drivers if d.industry == industry]
    target = tables.methods.target
    left, right, top, bottom = 44, 340, 14, 214
    span = nice(max((d.importance for d in drivers), default=0.1) * 1.15)
    x = scale(0.0, span, left, right)
    low = max(0.0, min(40.0, 10 * math.floor(min((d.performance for d in drivers), default=40.0) / 10)))
    y = scale(low, 100.0, bottom, top)
    step = 10 if 100 - low <= 60 else 20
    ticks = [low + step * k for k in range(int((100 - low) // step) + 1)]
    parts = 4 if f"{span:e}".startswith("2") else 5
    body = [axis_x(x, [span * k / parts for k in range(parts + 1)], bottom, left_edge=left),
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="{GREY}"/>']
    body += [text(left - 4, y(v) + 4, f"{v:g}", cls="tick y", anchor="end") for v in ticks]
    body.append(text((left + right) / 2, bottom + 32, label("importance", locale), anchor="middle"))
    body.append(f'<text x="12" y="{(top + bottom) / 2:.1f}" transform="rotate(-90 12 {(top + bottom) / 2:.1f})" '
                f'text-anchor="middle" font-size="12">{escape(label("performance", locale))} (0-100)</text>')
    body.append(f'<line class="target" x1="{left}" y1="{y(target):.1f}" x2="{right}" y2="{y(target):.1f}" '
                f'stroke="{ORANGE}" stroke-width="1.5" stroke-dasharray="5 4"/>')
    body.append(text(right, y(target) - 4, label("target", locale, t=target), anchor="end", cls="target-label"))
    points = sorted(drivers, key=lambda d: -d.performance)
    caption = label("target", locale, t=target)
    taken = [(right - width_of(caption), right, y(target) - 14, y(target) - 2)]
    taken += [(x(d.importance) - 5, x(d.importance) + 5, y(d.performance) - 5, y(d.performance) + 5) for d in points]
    for d in points:
        px, py = x(d.importance), y(d.performance)
        body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4.5" fill="{BLUE}"/>')
    for d in points:
        name = construct_name(d.construct, locale)
        tx, ty, anchor = place(name, x(d.importance), y(d.performance), taken, right)
        body.append(text(tx, ty, name, anchor=anchor, cls="point"))
    name = industry_name(industry, locale)
    return svg(f"ipma-{industry}", bottom + 42, label("ipma", locale, name=name),
               label("ipma_desc", locale, t=target), body)


def width_of(name: str) -> float:
    """The rough width of a 12px label: CJK characters are square, Latin ones about half as wide."""
    return sum(12 if ord(ch) > 0x2E80 else 6.5 for ch in name)


def place(name: str, px: float, py: float, taken: list[tuple[float, float, float, float]], right: float):
    """Where a point's label goes: beside it, right then left, level, above or below, where it covers nothing."""
    width = width_of(name)
    candidates = [(px + dx, py + dy, anchor) for dy in (4, -8, 16, -20, 28)
                  for dx, anchor in ((7, "start"), (-7, "end"))]
    for tx, ty, anchor in candidates:
        box = (tx if anchor == "start" else tx - width, (tx + width) if anchor == "start" else tx, ty - 10, ty + 2)
        if box[1] <= right + 16 and box[0] >= 0 and all(
                box[1] < a or box[0] > b or box[3] < c or box[2] > d for a, b, c, d in taken):
            break
    else:
        tx, ty, anchor = candidates[0]
        box = (tx, tx + width, ty - 10, ty + 2)
    taken.append(box)
    return tx, ty, anchor


def scale(low: float, high: float, start: float, end: float):
    """A linear map from [low, high] (values outside are clamped) to [start, end]."""
    return lambda value: start + (min(max(value, low), high) - low) / (high - low) * (end - start)


def nice(value: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten that is at least ``value``."""
    power = 10 ** math.floor(math.log10(value)) if value > 0 else 1.0
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value - 1e-12)


def axis_x(x, values, bottom: float, *, signed: bool = False, left_edge: float = LEFT) -> str:
    """The horizontal axis: a base line, light grid lines and the tick values."""
    parts = [f'<line x1="{left_edge}" y1="{bottom}" x2="{x(max(values)):.1f}" y2="{bottom}" stroke="{GREY}"/>']
    for v in values:
        parts.append(f'<line x1="{x(v):.1f}" y1="{bottom}" x2="{x(v):.1f}" y2="{bottom + 4}" stroke="{GREY}"/>')
        parts.append(text(x(v), bottom + 16, f"{v:+g}" if signed and v else f"{v:g}", cls="tick x", anchor="middle"))
    return "".join(parts)


def whisker(x, low: float | None, high: float | None, y: float) -> str:
    """A 95% interval as a line with end caps; nothing without an interval."""
    if low is None or high is None:
        return ""
    a, b = x(low), x(high)
    return (f'<path class="ci" d="M{a:.1f} {y}H{b:.1f}M{a:.1f} {y - 5}v10M{b:.1f} {y - 5}v10" '
            f'stroke="#1b1b1b" stroke-width="1.5" fill="none"/>')


def target_line_x(at: float, top: float, bottom: float, caption: str) -> str:
    """The dashed vertical target line with its caption above it."""
    return (f'<line class="target" x1="{at:.1f}" y1="{top}" x2="{at:.1f}" y2="{bottom}" stroke="{ORANGE}" '
            f'stroke-width="1.5" stroke-dasharray="5 4"/>' + text(at, top - 4, caption, anchor="middle",
                                                                   cls="target-label"))


def text(x: float, y: float, content: str, *, cls: str = "", anchor: str = "start") -> str:
    """An escaped text element."""
    klass = f' class="{cls}"' if cls else ""
    return (f'<text{klass} x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="12">'
            f'{escape(content, quote=False)}</text>')


def svg(ident: str, height: float, title: str, desc: str, body: list[str]) -> str:
    """The chart's root element: responsive viewBox, accessible name and description."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
            f'aria-labelledby="{ident}-t {ident}-d" fill="#1b1b1b"><title id="{ident}-t">{escape(title)}</title>'
            f'<desc id="{ident}-d">{escape(desc)}</desc>{"".join(body)}</svg>')
