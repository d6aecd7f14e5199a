(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("report-data").textContent);
  var SVGNS = "http://www.w3.org/2000/svg";
  var W = 860, H = 380, M = {l: 72, r: 18, t: 16, b: 46};
  var hidden = {};
  var showSeeds = false;
  var charts = [];

  function el(tag, attrs, parent) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(v) {
    if (v === null || !isFinite(v)) return "n/a";
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
    return String(+v.toPrecision(6));
  }
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) { hi = lo + 1; lo = lo - 1; }
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
    var err = (hi - lo) / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    return out;
  }
  function nearest(xs, x) {
    var lo = 0, hi = xs.length - 1;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (xs[mid] < x) lo = mid; else hi = mid; }
    return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
  }
  function visible(chart) {
    return chart.series.filter(function (s) { return !hidden[s.group]; });
  }
  function extent(chart) {
    var vs = visible(chart); if (!vs.length) vs = chart.series;
    var x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    vs.forEach(function (s) {
      s.x.forEach(function (x, i) {
        var m = s.mean[i], d = s.std[i] || 0;
        if (x === null || m === null) return;
        x0 = Math.min(x0, x); x1 = Math.max(x1, x);
        y0 = Math.min(y0, m - d); y1 = Math.max(y1, m + d);
      });
      if (showSeeds) s.seeds.forEach(function (sd) {
        sd.x.forEach(function (x, i) {
          x0 = Math.min(x0, x); x1 = Math.max(x1, x);
          y0 = Math.min(y0, sd.y[i]); y1 = Math.max(y1, sd.y[i]);
        });
      });
    });
    if (!isFinite(x0)) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
    if (x1 === x0) { x0 -= 0.5; x1 += 0.5; }
    if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
    var pad = (y1 - y0) * 0.05;
    return [x0, x1, y0 - pad, y1 + pad];
  }
  function path(xs, ys, sx, sy) {
    var d = "", pen = false;
    for (var i = 0; i < xs.length; i++) {
      if (xs[i] === null || ys[i] === null) { pen = false; continue; }
      d += (pen ? "L" : "M") + sx(xs[i]).toFixed(2) + "," + sy(ys[i]).toFixed(2);
      pen = true;
    }
    return d;
  }
  function render(chart) {
    var svg = chart.svg;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var e = extent(chart);
    var sx = function (x) { return M.l + (x - e[0]) / (e[1] - e[0]) * (W - M.l - M.r); };
    var sy = function (y) { return H - M.b - (y - e[2]) / (e[3] - e[2]) * (H - M.t - M.b); };
    chart.sx = sx; chart.e = e;
    var ax = el("g", {"class": "axis"}, svg);
    niceTicks(e[0], e[1], 7).forEach(function (t) {
      el("line", {x1: sx(t), x2: sx(t), y1: M.t, y2: H - M.b}, ax);
      el("text", {x: sx(t), y: H - M.b + 15, "text-anchor": "middle"}, ax).textContent = fmt(t);
    });
    niceTicks(e[2], e[3], 6).forEach(function (t) {
      el("line", {x1: M.l, x2: W - M.r, y1: sy(t), y2: sy(t)}, ax);
      el("text", {x: M.l - 6, y: sy(t) + 4, "text-anchor": "end"}, ax).textContent = fmt(t);
    });
    el("rect", {x: M.l, y: M.t, width: W - M.l - M.r, height: H - M.t - M.b, fill: "none",
                stroke: "#888"}, svg);
    el("text", {x: (M.l + W - M.r) / 2, y: H - 8, "text-anchor": "middle", "font-size": 12},
       svg).textContent = chart.x_label;
    el("text", {x: 14, y: (M.t + H - M.b) / 2, "text-anchor": "middle", "font-size": 12,
                transform: "rotate(-90 14 " + (M.t + H - M.b) / 2 + ")"}, svg).textContent = chart.metric;
    var clip = "clip-" + chart.index;
    var defs = el("defs", {}, svg);
    el("rect", {x: M.l, y: M.t, width: W - M.l - M.r, height: H - M.t - M.b},
       el("clipPath", {id: clip}, defs));
    var plot = el("g", {"clip-path": "url(#" + clip + ")"}, svg);
    visible(chart).forEach(function (s) {
      var up = s.mean.map(function (m, i) { return m === null ? null : m + (s.std[i] || 0); });
      var dn = s.mean.map(function (m, i) { return m === null ? null : m - (s.std[i] || 0); });
      var band = path(s.x, up, sx, sy);
      var back = path(s.x.slice().reverse(), dn.slice().reverse(), sx, sy);
      if (band && back) el("path", {d: band + "L" + back.slice(1) + "Z", fill: s.color,
                                    "fill-opacity": 0.18, stroke: "none"}, plot);
      if (showSeeds) s.seeds.forEach(function (sd) {
        el("path", {d: path(sd.x, sd.y, sx, sy), fill: "none", stroke: s.color,
                    "stroke-width": 0.8, "stroke-opacity": 0.45}, plot);
      });
      el("path", {d: path(s.x, s.mean, sx, sy), fill: "none", stroke: s.color,
                  "stroke-width": 2}, plot);
      if (s.x.length === 1) el("circle", {cx: sx(s.x[0]), cy: sy(s.mean[0]), r: 4,
                                          fill: s.color}, plot);
    });
    chart.hover = el("g", {}, svg);
    chart.sy = sy;
  }
  function onMove(chart, evt) {
    var rect = chart.svg.getBoundingClientRect();
    var px = (evt.clientX - rect.left) * W / rect.width;
    var e = chart.e, g = chart.hover;
    while (g.firstChild) g.removeChild(g.firstChild);
    if (px < M.l || px > W - M.r) { chart.tip.style.display = "none"; return; }
    var x = e[0] + (px - M.l) / (W - M.l - M.r) * (e[1] - e[0]);
    var lines = [];
    el("line", {x1: px, x2: px, y1: M.t, y2: H - M.b, stroke: "#555", "stroke-dasharray": "3,3"}, g);
    visible(chart).forEach(function (s) {
      if (!s.x.length) return;
      var i = nearest(s.x, x);
      if (s.mean[i] === null) return;
      el("circle", {cx: chart.sx(s.x[i]), cy: chart.sy(s.mean[i]), r: 3.5, fill: s.color,
                    stroke: "#fff"}, g);
      lines.push('<span style="color:' + s.color + '">\u25A0</span> ' + esc(s.group) +
                 ": " + fmt(s.mean[i]) + " \u00B1 " + fmt(s.std[i]) + " (x=" + fmt(s.x[i]) +
                 ", n=" + s.n + ")");
    });
    if (!lines.length) { chart.tip.style.display = "none"; return; }
    chart.tip.innerHTML = "<b>" + esc(chart.x_label) + " \u2248 " + fmt(x) + "</b><br>" + lines.join("<br>");
    chart.tip.style.display = "block";
    var box = chart.div.getBoundingClientRect();
    var left = evt.clientX - box.left + 14, top = evt.clientY - box.top + 10;
    if (left + chart.tip.offsetWidth > box.width) left = Math.max(0, left - chart.tip.offsetWidth - 28);
    chart.tip.style.left = left + "px"; chart.tip.style.top = top + "px";
  }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c];
    });
  }
  function legend(chart) {
    var box = chart.legend;
    while (box.firstChild) box.removeChild(box.firstChild);
    chart.series.forEach(function (s) {
      var span = document.createElement("span");
      span.className = hidden[s.group] ? "off" : "";
      span.title = "click to hide / show this group";
      span.innerHTML = '<i style="background:' + s.color + '"></i>' + esc(s.group) +
                       " (n=" + s.n + ")";
      span.addEventListener("click", function () {
        hidden[s.group] = !hidden[s.group];
        redraw();
      });
      box.appendChild(span);
    });
  }
  function redraw() {
    charts.forEach(function (c) { legend(c); render(c); });
  }
  var root = document.getElementById("charts");
  if (!DATA.charts.length) root.innerHTML = "<p>No metrics to plot.</p>";
  DATA.charts.forEach(function (c, index) {
    var div = document.createElement("div");
    div.className = "chart";
    var h = document.createElement("h3");
    h.textContent = c.metric;
    div.appendChild(h);
    var lg = document.createElement("div");
    lg.className = "legend";
    div.appendChild(lg);
    var svg = el("svg", {viewBox: "0 0 " + W + " " + H, role: "img"}, div);
    var tip = document.createElement("div");
    tip.className = "tip";
    div.appendChild(tip);
    root.appendChild(div);
    var chart = {metric: c.metric, x_label: c.x_label || DATA.x_label, series: c.series,
                 svg: svg, legend: lg, tip: tip, div: div, index: index};
    svg.addEventListener("mousemove", function (evt) { onMove(chart, evt); });
    svg.addEventListener("mouseleave", function () {
      tip.style.display = "none";
      if (chart.hover) while (chart.hover.firstChild) chart.hover.removeChild(chart.hover.firstChild);
    });
    charts.push(chart);
  });
  document.getElementById("show-seeds").addEventListener("change", function (evt) {
    showSeeds = evt.target.checked;
    redraw();
  });
  redraw();
})();
