"""One chart description, three renderings: an ECharts option for the dashboard, SVG for the PDF
reports (WeasyPrint draws it, no browser needed) and PNG for the Word reports (Pillow).

Only what the centre's charts need: vertical bars (grouped or stacked) with optional lines, and
horizontal bars. Gauges exist only on the dashboard (echarts_gauge).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from django.conf import settings

PALETTE = ["#0b5cad", "#b4232a", "#1f7a3a", "#b7791f", "#7b3fa0", "#0f8a8a", "#616e7c", "#d9480f", "#364fc7"]


@dataclass
class Series:
    name: str
    values: list[float | int | None]
    kind: str = "bar"  # bar | line
    axis: int = 0  # line series may use a second value axis
    color: str | None = None


@dataclass
class Chart:
    title: str
    categories: list[str]
    series: list[Series]
    kind: str = "bar"  # bar (vertical) | hbar (horizontal)
    stacked: bool = False
    units: tuple[str, ...] = ("件",)
    height: int = 320
    extra: dict = field(default_factory=dict)

    def colors(self) -> list[str]:
        return [s.color or PALETTE[i % len(PALETTE)] for i, s in enumerate(self.series)]


def _num(v):
    return None if v is None else float(v)


# --- ECharts --------------------------------------------------------------------------------------


def echarts(chart: Chart) -> dict:
    colors = chart.colors()
    value_axes = [
        {"type": "value", "name": unit, "splitLine": {"lineStyle": {"color": "#e4e7eb"}}}
        for unit in chart.units
    ]
    category_axis = {"type": "category", "data": chart.categories, "axisLabel": {"hideOverlap": True}}
    series = []
    for s, color in zip(chart.series, colors, strict=True):
        item = {
            "name": s.name,
            "type": s.kind,
            "data": [_num(v) for v in s.values],
            "itemStyle": {"color": color},
        }
        if s.kind == "line":
            item["smooth"] = False
            item["yAxisIndex"] = s.axis
            item["lineStyle"] = {"color": color}
        elif chart.stacked:
            item["stack"] = "all"
        if chart.kind == "hbar":
            item["label"] = {"show": True, "position": "right"}
            item.pop("yAxisIndex", None)
        series.append(item)
    option = {
        "color": colors,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 40, "containLabel": True},
        "series": series,
        "animation": False,
    }
    if chart.kind == "hbar":
        option["xAxis"] = value_axes[0]
        option["yAxis"] = {**category_axis, "inverse": True}
    else:
        option["xAxis"] = category_axis
        option["yAxis"] = value_axes if len(value_axes) > 1 else value_axes[0]
    return option


def echarts_gauge(title: str, value, subtitle: str) -> dict:
    """An on-time gauge: green from 95 %, amber from 80 %, red below; no value says why in words."""
    if value is None:
        return {
            "title": {
                "text": "—",
                "subtext": subtitle,
                "left": "center",
                "top": "38%",
                "textStyle": {"fontSize": 28, "color": "#9aa5b1"},
                "subtextStyle": {"fontSize": 12, "color": "#616e7c"},
            },
            "series": [],
        }
    v = float(value)
    color = "#1f7a3a" if v >= 95 else "#b7791f" if v >= 80 else "#c0262d"
    return {
        "animation": False,
        "series": [
            {
                "type": "gauge",
                "min": 0,
                "max": 100,
                "radius": "92%",
                "center": ["50%", "58%"],
                "startAngle": 200,
                "endAngle": -20,
                "progress": {"show": True, "width": 14, "itemStyle": {"color": color}},
                "axisLine": {"lineStyle": {"width": 14, "color": [[1, "#e4e7eb"]]}},
                "axisTick": {"show": False},
                "splitLine": {"show": False},
                "axisLabel": {"show": False},
                "pointer": {"show": False},
                "anchor": {"show": False},
                "detail": {
                    "formatter": "{value}%",
                    "fontSize": 24,
                    "offsetCenter": [0, "0%"],
                    "color": color,
                },
                "title": {"offsetCenter": [0, "45%"], "fontSize": 12, "color": "#616e7c"},
                "data": [{"value": v, "name": subtitle}],
            }
        ],
    }


# --- SVG (PDF reports) ----------------------------------------------------------------------------


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    import math

    exp = 10 ** math.floor(math.log10(v))
    for step in (1, 2, 2.5, 5, 10):
        if v <= step * exp:
            return step * exp
    return 10 * exp


def _fmt(v: float, short: bool = True) -> str:
    if short and v >= 10000:
        return f"{v / 10000:.1f}万"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _layout(chart: Chart):
    bars = [s for s in chart.series if s.kind == "bar"]
    lines = [s for s in chart.series if s.kind == "line"]
    if chart.stacked:
        top = max([sum((v or 0) for v in col) for col in zip(*[s.values for s in bars], strict=True)] or [0])
    else:
        top = max([(v or 0) for s in bars for v in s.values] or [0])
    line_top = max([(v or 0) for s in lines for v in s.values] or [0])
    return bars, lines, _nice_max(top), _nice_max(line_top)


def svg(chart: Chart, width: int = 640, height: int = 260) -> str:
    """A self-contained SVG; text uses the print font of documents/base_print.html."""
    colors = dict(zip([s.name for s in chart.series], chart.colors(), strict=True))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Noto Sans CJK SC, JiefenSans, sans-serif" font-size="10">'
    ]
    legend_x = 8
    for s in chart.series:
        out.append(f'<rect x="{legend_x}" y="4" width="10" height="10" fill="{colors[s.name]}"/>')
        out.append(f'<text x="{legend_x + 14}" y="13">{escape(s.name)}</text>')
        legend_x += 24 + 11 * len(s.name)
    if chart.kind == "hbar":
        out += _svg_hbar(chart, colors, width, height)
    else:
        out += _svg_vbar(chart, colors, width, height)
    out.append("</svg>")
    return "".join(out)


def _svg_vbar(chart: Chart, colors, width, height) -> list[str]:
    bars, lines, top, line_top = _layout(chart)
    left, right, top_pad, bottom = 48, 40 if lines else 12, 26, 34
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    n = max(1, len(chart.categories))
    slot = plot_w / n
    out = []
    for i in range(5):
        y = top_pad + plot_h - plot_h * i / 4
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e4e7eb"/>')
        out.append(f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end">{_fmt(top * i / 4)}</text>')
        if lines:
            out.append(
                f'<text x="{left + plot_w + 4}" y="{y + 3:.1f}">{_fmt(line_top * i / 4, short=False)}</text>'
            )
    group = len(bars) if not chart.stacked else 1
    bar_w = max(1.0, slot * 0.7 / max(1, group))
    every = max(1, n // 12)
    for c, category in enumerate(chart.categories):
        x0 = left + slot * c + slot * 0.15
        base = top_pad + plot_h
        for b, s in enumerate(bars):
            v = float(s.values[c] or 0)
            h = plot_h * v / top
            if chart.stacked:
                out.append(
                    f'<rect x="{x0:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colors[s.name]}"/>'
                )
                base -= h
            else:
                out.append(
                    f'<rect x="{x0 + b * bar_w:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                    f'fill="{colors[s.name]}"/>'
                )
        if c % every == 0:
            out.append(
                f'<text x="{left + slot * c + slot / 2:.1f}" y="{top_pad + plot_h + 14}" text-anchor="middle">'
                f"{escape(category)}</text>"
            )
    for s in lines:
        points = []
        for c, v in enumerate(s.values):
            if v is None:
                continue
            x = left + slot * c + slot / 2
            y = top_pad + plot_h - plot_h * float(v) / line_top
            points.append(f"{x:.1f},{y:.1f}")
        if points:
            out.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{colors[s.name]}" stroke-width="2"/>'
            )
    return out


def _svg_hbar(chart: Chart, colors, width, height) -> list[str]:
    bars, _lines, top, _ = _layout(chart)
    left, right, top_pad = 120, 60, 24
    n = max(1, len(chart.categories))
    row = (height - top_pad - 4) / n
    plot_w = width - left - right
    out = []
    for c, category in enumerate(chart.categories):
        y = top_pad + row * c
        out.append(
            f'<text x="{left - 6}" y="{y + row * 0.65:.1f}" text-anchor="end">{escape(category[:12])}</text>'
        )
        for b, s in enumerate(bars):
            v = float(s.values[c] or 0)
            w = plot_w * v / top
            h = row * 0.7 / len(bars)
            yy = y + row * 0.15 + b * h
            out.append(
                f'<rect x="{left}" y="{yy:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colors[s.name]}"/>'
            )
            out.append(f'<text x="{left + w + 4:.1f}" y="{yy + h * 0.8:.1f}">{_fmt(v)}</text>')
    return out


# --- PNG (Word reports) ---------------------------------------------------------------------------


def png(chart: Chart, width: int = 1280, height: int = 520) -> bytes:
    """The same chart as a PNG, drawn by Pillow at twice the SVG's size for a sharp print."""
    from PIL import Image, ImageDraw, ImageFont

    font_path = Path(settings.BASE_DIR) / "static" / "fonts" / "NotoSansSC-Regular-GB2312.otf"
    try:
        font = ImageFont.truetype(str(font_path), 20)
        small = ImageFont.truetype(str(font_path), 16)
    except OSError:
        font = small = ImageFont.load_default()
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    colors = dict(zip([s.name for s in chart.series], chart.colors(), strict=True))
    x = 16
    for s in chart.series:
        draw.rectangle([x, 8, x + 20, 28], fill=colors[s.name])
        draw.text((x + 26, 6), s.name, fill="#1f2933", font=font)
        x += 50 + int(draw.textlength(s.name, font=font))
    bars, lines, top, line_top = _layout(chart)
    n = max(1, len(chart.categories))
    if chart.kind == "hbar":
        left, right, top_pad = 240, 120, 48
        row = (height - top_pad - 8) / n
        plot_w = width - left - right
        for c, category in enumerate(chart.categories):
            y = top_pad + row * c
            label = category[:12]
            draw.text(
                (left - 12 - draw.textlength(label, font=font), y + row * 0.2),
                label,
                fill="#1f2933",
                font=font,
            )
            for b, s in enumerate(bars):
                v = float(s.values[c] or 0)
                w = plot_w * v / top
                h = row * 0.7 / len(bars)
                yy = y + row * 0.15 + b * h
                draw.rectangle([left, yy, left + max(1, w), yy + h], fill=colors[s.name])
                draw.text((left + w + 8, yy), _fmt(v), fill="#1f2933", font=small)
    else:
        left, right, top_pad, bottom = 96, 80 if lines else 24, 52, 68
        plot_w, plot_h = width - left - right, height - top_pad - bottom
        slot = plot_w / n
        for i in range(5):
            y = top_pad + plot_h - plot_h * i / 4
            draw.line([left, y, left + plot_w, y], fill="#e4e7eb", width=2)
            text = _fmt(top * i / 4)
            draw.text((left - 8 - draw.textlength(text, font=font), y - 12), text, fill="#616e7c", font=font)
            if lines:
                draw.text(
                    (left + plot_w + 8, y - 12),
                    _fmt(line_top * i / 4, short=False),
                    fill="#616e7c",
                    font=font,
                )
        group = len(bars) if not chart.stacked else 1
        bar_w = max(2.0, slot * 0.7 / max(1, group))
        every = max(1, n // 12)
        for c, category in enumerate(chart.categories):
            x0 = left + slot * c + slot * 0.15
            base = top_pad + plot_h
            for b, s in enumerate(bars):
                v = float(s.values[c] or 0)
                h = plot_h * v / top
                if chart.stacked:
                    draw.rectangle([x0, base - h, x0 + bar_w, base], fill=colors[s.name])
                    base -= h
                else:
                    xb = x0 + b * bar_w
                    draw.rectangle([xb, base - h, xb + bar_w, base], fill=colors[s.name])
            if c % every == 0:
                w = draw.textlength(category, font=font)
                draw.text(
                    (left + slot * c + slot / 2 - w / 2, top_pad + plot_h + 10),
                    category,
                    fill="#1f2933",
                    font=font,
                )
        for s in lines:
            points = [
                (left + slot * c + slot / 2, top_pad + plot_h - plot_h * float(v) / line_top)
                for c, v in enumerate(s.values)
                if v is not None
            ]
            if len(points) > 1:
                draw.line(points, fill=colors[s.name], width=4)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
