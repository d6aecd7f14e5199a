"""The two renderers of a report's sections (:mod:`rllib_gnn.service.report_sections`):
Markdown (``evaluation.md``) and HTML (the body of ``report.html``)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from rllib_gnn.service.report_runs import value_text
from rllib_gnn.service.report_sections import Section

__all__ = ["html_table", "markdown_table", "render_html", "render_markdown"]


def _cell(v) -> str:
    """A table cell as text: floats with 4 decimals, None empty, one line."""
    text = f"{v:.4f}" if isinstance(v, float) else value_text(v) if v is not None else ""
    return text.replace("\n", " ")


def _columns(rows: Sequence[dict]) -> list:
    return list(dict.fromkeys(k for r in rows for k in r))


def markdown_table(rows: Sequence[dict]) -> str:
    """A Markdown table with one column per key (in first-seen order) of ``rows``."""
    if not rows:
        return "_(no rows)_"
    keys = _columns(rows)

    def cell(v) -> str:
        return _cell(v).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(k) for k in keys) + " |",
             "|" + "|".join("---" for _ in keys) + "|"]
    lines += ["| " + " | ".join(cell(r.get(k)) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def html_table(rows: Sequence[dict]) -> str:
    """An HTML table with one column per key (in first-seen order) of ``rows``."""
    if not rows:
        return "<p><em>(no rows)</em></p>"
    keys = _columns(rows)
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in keys)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(r.get(k)))}</td>" for k in keys)
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_markdown(sections: Sequence[Section]) -> str:
    """The sections as one Markdown document."""
    parts: list[str] = []
    for s in sections:
        parts += ["#" * s.level + " " + s.heading, ""]
        for text in s.text:
            parts += [text, ""]
        if s.bullets:
            parts += [f"- {item}" for item in s.bullets] + [""]
        for rows in s.tables:
            parts += [markdown_table(rows), ""]
    return "\n".join(parts)


def _inline(text: str) -> str:
    """``text`` escaped for HTML, its Markdown code spans (between backticks) as <code>."""
    pieces = re.split(r"`([^`]*)`", text)
    return "".join(f"<code>{html.escape(p, quote=False)}</code>" if i % 2
                   else html.escape(p, quote=False) for i, p in enumerate(pieces))


def render_html(sections: Sequence[Section]) -> str:
    """The sections as HTML elements, one line per heading, paragraph, list or table."""
    out: list[str] = []
    for s in sections:
        out.append(f"<h{s.level}>{_inline(s.heading)}</h{s.level}>")
        out += [f"<p>{_inline(text)}</p>" for text in s.text]
        if s.bullets:
            out.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in s.bullets)
                       + "</ul>")
        out += [html_table(rows) for rows in s.tables]
    return "\n".join(out)
