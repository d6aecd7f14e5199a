"""The self-contained ``report.html`` page: the template, CSS and JavaScript of
``rllib_gnn/service/assets/`` (package data) filled with the rendered sections and the
charts' data.

The JavaScript draws each chart as inline SVG from the JSON embedded in the page (no
network): hovering shows values, a click on a legend entry hides or shows a group. A page
without charts (a report of evaluation records alone) has neither the charts' block nor
the script.
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources

from rllib_gnn.training.files import json_safe

__all__ = ["page"]


def _asset(name: str) -> str:
    return resources.files("rllib_gnn.service").joinpath("assets", name).read_text("utf-8")


def _script_json(data: dict) -> str:
    """``data`` as JSON that is safe inside a <script> element (no ``<``, ``>``, ``&``)."""
    payload = json.dumps(json_safe(data), separators=(",", ":"))
    return payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page(title: str, header: str, sections: str, data: dict | None = None) -> str:
    """The page titled ``title`` with the HTML ``header`` (title section) and ``sections``
    (the report's other sections) around the charts, which the page's script draws from
    ``data``: ``x_label``, ``groups`` (``name``, ``color``, ``seeds``) and ``charts``
    (``metric``, its own ``x_label`` where it has one, and the ``series`` of
    :func:`~rllib_gnn.service.report_curves.chart_series`); None: no charts."""
    curves = script = ""
    if data is not None:
        curves = _asset("curves.html")
        script = (f'<script type="application/json" id="report-data">{_script_json(data)}'
                  f'</script>\n<script>\n{_asset("report.js")}</script>')
    fill = {"TITLE": html.escape(title), "STYLE": _asset("report.css"), "HEADER": header,
            "CURVES": curves, "SECTIONS": sections, "SCRIPT": script}
    # One pass over the template: a placeholder inside a filled-in value stays as it is.
    return re.sub(r"__(TITLE|STYLE|HEADER|CURVES|SECTIONS|SCRIPT)__",
                  lambda m: fill[m.group(1)], _asset("page.html"))
