/*
 * The report page's own script and style, inlined into the HTML. The script reads the embedded
 * JSON, draws the charts with Chart.js (and chartjs-chart-matrix for heatmaps) and renders a
 * trajectory when its link is followed (#t/<run>/<row>/<trajectory>). Everything that came from
 * a model or a dataset is put on the page with textContent, never as markup.
 *
 * Kept as plain browser JavaScript in a String.raw literal (no backticks, no template
 * substitutions inside); tests parse it with `new Function` so a syntax error cannot ship.
 */

export const CLIENT_STYLE = String.raw`
:root { --fg: #1d2330; --muted: #5b6473; --line: #d9dde5; --bg: #ffffff; --soft: #f4f6f9; --accent: #2458c6; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 16px 24px 8px; border-bottom: 1px solid var(--line); background: var(--soft); }
header h1 { margin: 0 0 4px; font-size: 20px; }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; font-weight: 600; }
main { padding: 8px 24px 40px; max-width: 1500px; }
section { margin-top: 18px; }
h2 { font-size: 17px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td { font-variant-numeric: tabular-nums; }
.ci { color: var(--muted); font-size: 12px; }
.note { color: var(--muted); font-size: 12.5px; }
.notice { background: #fff6dd; border: 1px solid #ecd58c; padding: 6px 10px; border-radius: 4px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 14px; }
.chart { position: relative; height: 300px; min-width: 0; border: 1px solid var(--line); border-radius: 4px; padding: 6px; background: #fff; }
#similarity .chart, #comparison .chart, #verifier .chart { max-width: 900px; }
h4 { font-size: 14px; margin: 10px 0 4px; }
table.problems td:last-child { min-width: 170px; max-width: 360px; }
a.traj { display: inline-block; min-width: 1.6em; text-align: center; color: var(--accent); }
.more { color: var(--muted); font-size: 12px; }
#viewer { border: 2px solid var(--accent); border-radius: 6px; padding: 4px 14px 14px; margin-top: 24px; }
.turn { border-top: 1px solid var(--line); margin-top: 10px; padding-top: 6px; }
.msg, .cand { margin: 6px 0; }
.role { font-weight: 600; color: var(--muted); text-transform: uppercase; font-size: 11px; letter-spacing: 0.04em; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 4px; padding: 6px 8px; margin: 4px 0; overflow-x: auto; white-space: pre-wrap; word-break: break-word; font: 12.5px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; max-height: 420px; overflow-y: auto; }
pre.diff .add { background: #e3f6e5; color: #125c1d; display: block; }
pre.diff .del { background: #fde6e6; color: #8a1414; display: block; }
pre.diff .same { display: block; color: #444; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; margin-left: 4px; background: var(--soft); border: 1px solid var(--line); }
.ok { background: #e3f6e5; border-color: #9fd6a6; }
.bad { background: #fde6e6; border-color: #efaaaa; }
ul.tests { margin: 2px 0 6px; padding-left: 18px; font-size: 12.5px; }
summary { cursor: pointer; }
.tree-view { margin: 6px 0 12px; }
ul.tree { list-style: none; margin: 0; padding-left: 20px; border-left: 1px dotted var(--line); }
.tree-view > ul.tree { padding-left: 0; border-left: none; }
ul.tree li { margin: 2px 0; }
.node { display: inline-block; padding: 1px 6px; border: 1px solid transparent; border-radius: 4px; }
.node a { color: var(--accent); cursor: pointer; font-weight: 600; }
.node.path { background: #eef3ff; border-color: var(--accent); }
.node.path > a { text-decoration: underline; }
`;

export const CLIENT_SCRIPT = String.raw`
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var S = data.strings;
  var PALETTE = ["#2458c6", "#e07b1a", "#2c9f45", "#c93a3a", "#8256c2", "#8c5a44", "#d45fb0", "#6f7782", "#a9a21c", "#1ba7b8"];
  function color(i, alpha) {
    var h = PALETTE[i % PALETTE.length];
    if (alpha === undefined) return h;
    var n = parseInt(h.slice(1), 16);
    return "rgba(" + ((n >> 16) & 255) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }
  var multi = data.runs.length > 1;
  var withData = data.runs.filter(function (r) { return r.totals.trajectories > 0; });
  var charts = [];
  window.codeloopCharts = charts;

  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.responsive = true;
  Chart.defaults.font.size = 12;

  function make(id, config) {
    var el = document.getElementById(id);
    if (!el) return;
    charts.push(new Chart(el, config));
  }
  function title(text) { return { display: true, text: text, font: { size: 13, weight: "bold" } }; }
  function pct(v) { return v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%"; }
  // Log axes: label only 1, 2 and 5 times a power of ten, compactly (2k, 1.5M).
  function compact(v) {
    if (v >= 1e6) return +(v / 1e6).toPrecision(3) + "M";
    if (v >= 1e3) return +(v / 1e3).toPrecision(3) + "k";
    return String(+v.toPrecision(3));
  }
  function logTick(v) {
    if (!(v > 0)) return "";
    var m = v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9));
    return Math.abs(m - 1) < 1e-6 || Math.abs(m - 2) < 1e-6 || Math.abs(m - 5) < 1e-6 ? compact(v) : "";
  }
  function logAxis(label) {
    return { type: "logarithmic", title: { display: true, text: label }, ticks: { autoSkip: false, maxRotation: 0, callback: logTick } };
  }
  var percentAxis = function (label) {
    return { min: 0, max: 100, title: { display: true, text: label }, ticks: { callback: function (v) { return v + "%"; } } };
  };

  function budgetChart(id, axis, label) {
    make(id, {
      type: "line",
      data: {
        datasets: withData.map(function (r) {
          return {
            label: r.name,
            data: r.metrics.budget[axis].map(function (p) { return { x: p.budget, y: 100 * p.value }; }),
            borderColor: color(r.index),
            backgroundColor: color(r.index, 0.25),
            pointRadius: 2,
            borderWidth: 2
          };
        })
      },
      options: {
        scales: { x: logAxis(label), y: percentAxis("solved") },
        plugins: { title: title("Solve rate by budget (" + label + ")"), legend: { display: multi } }
      }
    });
  }
  budgetChart("chart-budget-calls", "calls", "LLM calls per problem");
  budgetChart("chart-budget-tokens", "tokens", "tokens per problem");

  (function () {
    var datasets = [];
    withData.forEach(function (r) {
      r.nAtKCurve.forEach(function (c, j) {
        if (multi && c.label !== "1") return;
        var name = c.label === "k/T" ? "n = k/T (pass@(k/T))" : "n = " + c.label;
        var idx = multi ? r.index : j;
        datasets.push({
          label: multi ? r.name + ": " + name : name,
          data: c.points.map(function (p) { return { x: p.k, y: 100 * p.value }; }),
          borderColor: color(idx),
          backgroundColor: color(idx, 0.25),
          pointRadius: 3,
          borderWidth: 2
        });
      });
    });
    make("chart-nak", {
      type: "line",
      data: { datasets: datasets },
      options: {
        scales: { x: logAxis("k (programs; a trajectory costs T)"), y: percentAxis("pass n@k") },
        plugins: { title: title("pass n@k vs k") }
      }
    });
  })();

  var ORDER = ["easy", "medium", "hard", "unknown"];
  function groupChart(id, key, label, limit) {
    var counts = {};
    withData.forEach(function (r) {
      Object.keys(r.metrics[key]).forEach(function (g) { counts[g] = Math.max(counts[g] || 0, r.metrics[key][g].problems); });
    });
    var groups = Object.keys(counts).sort(function (a, b) {
      if (key === "byDifficulty") {
        var ia = ORDER.indexOf(a), ib = ORDER.indexOf(b);
        if (ia !== ib) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
        return a < b ? -1 : a > b ? 1 : 0;
      }
      return counts[b] - counts[a] || (a < b ? -1 : 1);
    }).slice(0, limit);
    make(id, {
      type: "bar",
      data: {
        labels: groups,
        datasets: withData.map(function (r) {
          return {
            label: r.name,
            data: groups.map(function (g) {
              var m = r.metrics[key][g];
              var p = m && m.passAtK.filter(function (x) { return x.k === 1; })[0];
              return p ? 100 * p.value : null;
            }),
            backgroundColor: color(r.index, 0.7),
            borderColor: color(r.index),
            borderWidth: 1,
            minBarLength: 2
          };
        })
      },
      options: {
        indexAxis: key === "byTag" ? "y" : "x",
        scales: key === "byTag" ? { x: percentAxis("pass@1") } : { y: percentAxis("pass@1") },
        plugins: { title: title("pass@1 by " + label), legend: { display: multi } }
      }
    });
  }
  groupChart("chart-difficulty", "byDifficulty", "difficulty", 50);
  groupChart("chart-tags", "byTag", "tag (30 most common)", 30);

  (function () {
    var kinds = Object.keys(data.similarityByFeedback);
    var labels = [];
    for (var b = 0; b < 10; b++) labels.push((b / 10).toFixed(1) + "–" + ((b + 1) / 10).toFixed(1));
    make("chart-similarity", {
      type: "bar",
      data: {
        labels: labels,
        datasets: kinds.map(function (k, i) {
          var s = data.similarityByFeedback[k];
          return {
            label: k + " (" + s.count + " pairs)",
            data: s.histogram.map(function (c) { return s.count ? (100 * c) / s.count : 0; }),
            backgroundColor: color(i, 0.7),
            borderColor: color(i),
            borderWidth: 1
          };
        })
      },
      options: {
        scales: { x: { title: { display: true, text: "similarity of consecutive codes" } }, y: { min: 0, title: { display: true, text: "% of pairs" } } },
        plugins: { title: title("Similarity distribution per feedback kind") }
      }
    });
  })();

  (function () {
    var c = data.comparison;
    if (!c || !c.chart) return;
    var key = function (r, axis) { return axis === "run" ? r.name : r.axes[axis]; };
    var xs = [], ys = [];
    c.rows.forEach(function (r) {
      if (xs.indexOf(key(r, c.chart.x)) < 0) xs.push(key(r, c.chart.x));
      if (c.chart.y && ys.indexOf(key(r, c.chart.y)) < 0) ys.push(key(r, c.chart.y));
    });
    // Runs sharing a cell (more than two varying axes) are averaged.
    var cells = {};
    c.rows.forEach(function (r) {
      if (r.value === null) return;
      var id = key(r, c.chart.x) + "\u0000" + (c.chart.y ? key(r, c.chart.y) : "");
      var e = cells[id] || (cells[id] = { x: key(r, c.chart.x), y: c.chart.y ? key(r, c.chart.y) : null, sum: 0, n: 0 });
      e.sum += r.value;
      e.n += 1;
    });
    var points = Object.keys(cells).map(function (id) { var e = cells[id]; return { x: e.x, y: e.y, v: e.sum / e.n }; });
    if (!c.chart.y) {
      make("chart-comparison", {
        type: "bar",
        data: {
          labels: xs,
          datasets: [{
            label: c.metric,
            data: xs.map(function (x) { var p = points.filter(function (q) { return q.x === x; })[0]; return p ? 100 * p.v : null; }),
            backgroundColor: color(0, 0.7),
            borderColor: color(0),
            borderWidth: 1,
            minBarLength: 2
          }]
        },
        options: {
          scales: { x: { title: { display: true, text: c.chart.x } }, y: percentAxis(c.metric) },
          plugins: { title: title(c.metric + " per " + c.chart.x), legend: { display: false } }
        }
      });
      return;
    }
    var max = Math.max.apply(null, points.map(function (p) { return p.v; }).concat([1e-9]));
    var shade = function (v, a) {
      var t = Math.max(0, Math.min(1, v / max));
      return "rgba(" + Math.round(240 - 200 * t) + "," + Math.round(244 - 110 * t) + "," + Math.round(250 - 60 * t) + "," + a + ")";
    };
    var labelsPlugin = {
      id: "cellLabels",
      afterDatasetsDraw: function (chart) {
        var ctx = chart.ctx;
        var meta = chart.getDatasetMeta(0);
        ctx.save();
        ctx.font = "12px system-ui, sans-serif";
        ctx.textAlign = "center";
        ctx.textBaseline = "middle";
        meta.data.forEach(function (el, i) {
          var p = chart.data.datasets[0].data[i];
          var center = el.getCenterPoint();
          ctx.fillStyle = p.v / max > 0.6 ? "#ffffff" : "#1d2330";
          ctx.fillText(pct(p.v), center.x, center.y);
        });
        ctx.restore();
      }
    };
    make("chart-comparison", {
      type: "matrix",
      data: {
        datasets: [{
          label: c.metric,
          data: points,
          backgroundColor: function (ctx) { var p = ctx.dataset.data[ctx.dataIndex]; return p ? shade(p.v, 1) : "#fff"; },
          borderColor: "#ffffff",
          borderWidth: 1,
          width: function (ctx) { var a = ctx.chart.chartArea; return a ? a.width / xs.length - 2 : 10; },
          height: function (ctx) { var a = ctx.chart.chartArea; return a ? a.height / ys.length - 2 : 10; }
        }]
      },
      options: {
        scales: {
          x: { type: "category", labels: xs, offset: true, grid: { display: false }, title: { display: true, text: c.chart.x } },
          y: { type: "category", labels: ys, offset: true, grid: { display: false }, title: { display: true, text: c.chart.y } }
        },
        plugins: {
          title: title(c.metric + ": " + c.chart.x + " × " + c.chart.y),
          legend: { display: false },
          tooltip: { callbacks: { label: function (ctx) { var p = ctx.raw; return p.x + " / " + p.y + ": " + pct(p.v); } } }
        }
      },
      plugins: [labelsPlugin]
    });
  })();

  // Best-of-N curves of each best-of-N run: pass rate of each rule's pick among n candidates.
  (function () {
    var LABELS = { "random": "random", "public-tests": "PT", "verifier": "LV", "public-tests+verifier": "PT+LV", "oracle": "oracle" };
    data.runs.forEach(function (r) {
      var b = r.verifier && r.verifier.bestOfN;
      if (!b) return;
      make("chart-bestofn-" + r.index, {
        type: "line",
        data: {
          datasets: b.curves.map(function (c, i) {
            return {
              label: LABELS[c.rule] || c.rule,
              data: c.points.map(function (p) { return { x: p.n, y: 100 * p.passRate }; }),
              borderColor: color(i),
              backgroundColor: color(i, 0.25),
              borderDash: c.rule === "oracle" ? [6, 4] : [],
              pointRadius: 3,
              borderWidth: 2
            };
          })
        },
        options: {
          scales: {
            x: { type: "linear", min: 1, max: b.candidatesPerTurn, title: { display: true, text: "n (candidates the rule picks from)" }, ticks: { stepSize: 1 } },
            y: percentAxis("pass rate (first turns)")
          },
          plugins: { title: title("Best-of-n on first turns: " + r.name) }
        }
      });
    });
  })();

  // ----- trajectory viewer -----
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function verdictBadge(prefix, t) {
    if (!t) return el("span", "badge", prefix + ": not run");
    var ok = t.verdict === "accepted";
    return el("span", "badge " + (ok ? "ok" : "bad"), prefix + ": " + t.verdict + " " + t.passed + "/" + t.total + (t.infrastructureFailure ? " (infrastructure failure)" : ""));
  }
  // The tests that did not pass (the badge already says how many did), at most 20.
  function testList(t) {
    var ul = el("ul", "tests");
    var failed = t.tests.filter(function (x) { return x.verdict !== "accepted"; });
    failed.slice(0, 20).forEach(function (x) {
      ul.appendChild(el("li", null, "test " + x.index + ": " + x.verdict + (x.message ? " — " + x.message : "")));
    });
    if (failed.length > 20) ul.appendChild(el("li", "note", (failed.length - 20) + " more"));
    return ul;
  }
  function block(label, text, open) {
    var d = el("details");
    if (open) d.open = true;
    d.appendChild(el("summary", null, label));
    d.appendChild(el("pre", null, text));
    return d;
  }
  function diffBlock(ops) {
    var pre = el("pre", "diff");
    ops.forEach(function (op) {
      var lines = op[1].split("\n");
      if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
      var cls = op[0] === 1 ? "add" : op[0] === -1 ? "del" : "same";
      var mark = op[0] === 1 ? "+ " : op[0] === -1 ? "- " : "  ";
      lines.forEach(function (line) { pre.appendChild(el("span", cls, mark + line)); });
    });
    return pre;
  }
  // A tree search's trajectory: its nodes as nested lists, the path to the submission marked.
  function shortVerdict(prefix, v) {
    if (!v) return el("span", "badge", prefix + ": not run");
    return el("span", "badge " + (v.verdict === "accepted" ? "ok" : "bad"), prefix + " " + v.passed + "/" + v.total);
  }
  function treeBlock(tree) {
    var byTurn = {};
    tree.nodes.forEach(function (n) { byTurn[n.turn] = n; });
    var wrap = el("div", "tree-view");
    wrap.appendChild(el("div", "role", "search tree: " + tree.nodes.length + " nodes, " + tree.roots.length + " root" + (tree.roots.length === 1 ? "" : "s") + ", depth " + tree.depth + (tree.submittedPath.length ? "; path to the submission: turn " + tree.submittedPath.join(" → ") : "; no submission")));
    function list(turns) {
      var ul = el("ul", "tree");
      turns.forEach(function (i) {
        var n = byTurn[i];
        if (!n) return;
        var li = el("li");
        li.setAttribute("data-turn", String(n.turn));
        var box = el("span", "node" + (n.onPath ? " path" : ""));
        var a = el("a", null, "turn " + n.turn);
        a.addEventListener("click", function () {
          var target = document.getElementById("turn-" + n.turn);
          if (target) target.scrollIntoView();
        });
        box.appendChild(a);
        if (n.failed) box.appendChild(el("span", "badge bad", "request failed"));
        else if (!n.hasCode) box.appendChild(el("span", "badge", "no code"));
        else box.appendChild(shortVerdict("public", n.public));
        if (n.hidden) box.appendChild(shortVerdict("hidden", n.hidden));
        if (n.submitted) box.appendChild(el("span", "badge ok", "submitted"));
        li.appendChild(box);
        if (n.children.length) li.appendChild(list(n.children));
        ul.appendChild(li);
      });
      return ul;
    }
    wrap.appendChild(list(tree.roots));
    return wrap;
  }
  function turnTitle(u, tree) {
    if (!tree) return "Turn " + u.index + (u.parentTurn === null ? "" : " (continues turn " + u.parentTurn + ", candidate " + u.parentCandidate + ")");
    var n = tree.nodes.filter(function (x) { return x.turn === u.index; })[0];
    return "Turn " + u.index + (u.parentTurn === null ? " (root" : " (refines turn " + u.parentTurn) + (n ? ", depth " + n.depth : "") + ")" + (n && n.onPath ? " · on the submitted path" : "");
  }
  function renderTrajectory(key, t) {
    var parts = key.split("/");
    var run = data.runs[Number(parts[0])];
    var row = run && run.problems[Number(parts[1])];
    var box = el("div", "trajectory");
    var h = el("h3", null, (multi ? run.name + " · " : "") + "problem " + t.problemId + (row && row.title ? " (" + row.title + ")" : "") + " · trajectory " + t.trajectory);
    box.appendChild(h);
    var head = el("p");
    head.appendChild(el("span", "badge", "status: " + t.status));
    head.appendChild(el("span", "badge", "turns: " + t.turns.length));
    head.appendChild(el("span", "badge", t.submittedTurn === null ? "no submission" : "submitted: turn " + t.submittedTurn + " candidate " + t.submittedCandidate));
    head.appendChild(verdictBadge("hidden", t.grade));
    var back = el("a", null, " back to the problem table");
    back.href = "#p-" + parts[0] + "-" + parts[1];
    head.appendChild(back);
    if (data.viewerUrl) {
      // The viewer names runs by id; ids and problem ids are URL-encoded, and the base URL was
      // checked to be http(s) when the report was written.
      var open = el("a", "viewer", " open in the viewer");
      open.href = data.viewerUrl + "#/run/" + encodeURIComponent(run.runId) + "/t/" + encodeURIComponent(t.problemId) + "/" + t.trajectory;
      open.target = "_blank";
      open.rel = "noopener noreferrer";
      head.appendChild(open);
    }
    box.appendChild(head);
    if (t.error) box.appendChild(el("p", "notice", "error: " + t.error));
    if (t.grade && t.grade.verdict !== "accepted") box.appendChild(testList(t.grade));
    if (t.tree) box.appendChild(treeBlock(t.tree));
    t.turns.forEach(function (u) {
      var d = el("div", "turn");
      d.id = "turn-" + u.index;
      d.appendChild(el("h4", null, turnTitle(u, t.tree)));
      var msgs = el("div", "messages");
      u.messages.forEach(function (m) {
        var wrap = el("div", "msg");
        wrap.appendChild(el("div", "role", m.role + (u.history === "replace" ? " (whole dialog)" : "")));
        wrap.appendChild(el("pre", "content", S[m.content]));
        msgs.appendChild(wrap);
      });
      var md = el("details");
      md.open = u.index > 0;
      md.appendChild(el("summary", null, "prompt messages sent this turn (" + u.messages.length + ")"));
      md.appendChild(msgs);
      d.appendChild(md);
      u.candidates.forEach(function (c) {
        var cd = el("div", "cand");
        var line = el("div");
        line.appendChild(el("b", null, "candidate " + c.index));
        if (c.selected) line.appendChild(el("span", "badge ok", "continued"));
        line.appendChild(el("span", "badge", (c.finishReason || "no answer") + ", " + c.promptTokens + "+" + c.completionTokens + " tokens, " + Math.round(c.latencyMs) + " ms" + (c.cached ? ", cached" : "")));
        line.appendChild(verdictBadge("public", c.public));
        if (c.hidden) line.appendChild(verdictBadge("hidden", c.hidden));
        cd.appendChild(line);
        if (c.modelError) cd.appendChild(el("p", "notice", "model error: " + c.modelError));
        if (c.public && c.public.verdict !== "accepted") cd.appendChild(testList(c.public));
        cd.appendChild(block("raw answer", S[c.answer], false));
        cd.appendChild(c.code === null ? el("p", "note", "no code extracted") : block("extracted code (" + c.extraction + ")", S[c.code], true));
        d.appendChild(cd);
      });
      if (u.diff) {
        d.appendChild(el("div", "role", "diff of the code to turn " + u.diffAgainst));
        d.appendChild(diffBlock(u.diff));
      }
      box.appendChild(d);
    });
    return box;
  }
  function route() {
    var hash = location.hash.slice(1);
    if (hash.indexOf("t/") !== 0) return;
    var key = hash.slice(2);
    var section = document.getElementById("viewer");
    var body = document.getElementById("viewer-body");
    while (body.firstChild) body.removeChild(body.firstChild);
    var t = data.trajectories[key];
    if (t) body.appendChild(renderTrajectory(key, t));
    else body.appendChild(el("p", "notice", "Trajectory " + key + " is not embedded in this report."));
    section.hidden = false;
    section.scrollIntoView();
  }
  window.addEventListener("hashchange", route);
  route();
})();
`;
