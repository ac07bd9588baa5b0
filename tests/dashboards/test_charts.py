"""The server-drawn charts (futuresocial/charts.py), where a page test would not look."""

import re

from futuresocial.charts import HEIGHT, WIDTH, Series, bar_chart


def test_a_long_legend_wraps_onto_more_rows_inside_the_chart():
    """The compliance dashboard's "Cases by rule" named seven rules on one row: the last ones ran off the chart."""
    labels = [
        "Pay over the cap",
        "Charge over the cap",
        "Agency suspended",
        "Cooling-off period",
        "Experience below minimum",
        "References missing",
        "Project team not approved",
    ]
    svg = bar_chart(["Alpha", "Beta"], [Series(label, [("Alpha", 1), ("Beta", 2)]) for label in labels], title="t")
    placed = re.findall(r'<text class="legend" x="(\d+)" y="(\d+)">([^<]+)</text>', svg)
    assert [label for _, _, label in placed] == labels
    assert all(int(x) + 7 * len(label) <= WIDTH for x, _, label in placed)
    rows = sorted({int(y) for _, y, _ in placed})
    assert len(rows) >= 2
    height = int(re.search(r'viewBox="0 0 \d+ (\d+)"', svg).group(1))
    assert height > HEIGHT and max(rows) < height
