"""One page template for every report: sections of text, tables and embedded charts.

Report builders return a `Page` (plain data) and never write HTML; rendering escapes every
value (autoescape), so a creator id or a reason text cannot inject markup into a case file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jinja2 import Environment, select_autoescape


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass(frozen=True)
class Chart:
    title: str
    uri: str  # a data:image/png;base64 URI: the report carries its images
    caption: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass(frozen=True)
class Page:
    title: str
    subtitle: str
    sections: list[Section]


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ page.title }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem;
       color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } .subtitle { color: #555; margin-top: 0; }
section { border-top: 1px solid #ddd; margin-top: 1.5rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.85rem; }
</style>
</head>
<body>
<h1>{{ page.title }}</h1>
<p class="subtitle">{{ page.subtitle }}</p>
{% for section in page.sections %}
<section>
<h2>{{ section.title }}</h2>
{% for paragraph in section.paragraphs %}<p>{{ paragraph }}</p>
{% endfor %}
{% if section.bullets %}<ul>{% for item in section.bullets %}<li>{{ item }}</li>{% endfor %}</ul>{% endif %}
{% for table in section.tables %}
<table>
{% if table.caption %}<caption>{{ table.caption }}</caption>{% endif %}
<thead><tr>{% for column in table.columns %}<th>{{ column }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in table.rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
{% endfor %}
{% for chart in section.charts %}
<figure>
<img src="{{ chart.uri }}" alt="{{ chart.title }}">
<figcaption><strong>{{ chart.title }}</strong>
{% if chart.caption %}. {{ chart.caption }}{% endif %}</figcaption>
</figure>
{% endfor %}
</section>
{% endfor %}
</body>
</html>
"""

_ENVIRONMENT = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def render(page: Page) -> str:
    """The page as one self-contained HTML document: inline CSS, embedded images, no scripts."""
    return _ENVIRONMENT.from_string(_TEMPLATE).render(page=page)


def number(value: float | None, spec: str = ".3f") -> str:
    """A table cell for a number that may be undefined."""
    return "-" if value is None or value != value else format(value, spec)


def cell(value, spec: str) -> str:
    """A figure as a table shows it, "-" where it is undefined (no ground truth, nothing to count)."""
    if value is None:
        return "-"
    return number(value, spec) if isinstance(value, float) else format(value, spec)
