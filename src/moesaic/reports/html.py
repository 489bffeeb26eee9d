"""A self-contained HTML page: sections of text, tables and plots embedded as PNG data URIs."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2
import pandas as pd

_TEMPLATE = jinja2.Template(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { border-bottom: 2px solid #246; } h2 { color: #246; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; }
th { background: #eef; } img { max-width: 100%; border: 1px solid #ddd; }
.note { color: #555; font-size: 0.9rem; }
</style></head><body>
<h1>{{ title }}</h1>
{% if subtitle %}<p class="note">{{ subtitle }}</p>{% endif %}
{% for s in sections %}<section><h2>{{ s.heading }}</h2>
{% for part in s.parts %}{{ part }}
{% endfor %}</section>{% endfor %}
</body></html>
""",
    autoescape=False,
)


@dataclass
class Section:
    """One titled part of a page; ``parts`` are HTML fragments made by the helpers below."""

    heading: str
    parts: list[str] = field(default_factory=list)

    def text(self, text: str) -> Section:
        self.parts.append(f"<p>{html.escape(text)}</p>")
        return self

    def table(self, frame: pd.DataFrame, *, max_rows: int = 20) -> Section:
        shown = frame.head(max_rows)
        self.parts.append(shown.to_html(index=False, escape=True, border=0, na_rep=""))
        if len(frame) > max_rows:
            self.parts.append(f"<p class='note'>{len(frame) - max_rows} more rows not shown.</p>")
        return self

    def figure(self, fig: Any, *, alt: str) -> Section:
        self.parts.append(f"<img alt='{html.escape(alt)}' src='{figure_to_data_uri(fig)}'>")
        return self

    def image(self, png: bytes, *, alt: str) -> Section:
        uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        self.parts.append(f"<img alt='{html.escape(alt)}' src='{uri}'>")
        return self


def figure_to_data_uri(fig: Any) -> str:
    """A matplotlib figure as a PNG data URI; the figure is closed afterwards."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def render_page(title: str, sections: Sequence[Section], *, subtitle: str = "") -> str:
    """The whole page as one HTML string."""
    return _TEMPLATE.render(title=html.escape(title), subtitle=html.escape(subtitle), sections=sections)
