// Kairos insights dashboard: the outcome figures (docs/metrics.md) as
// charts, drawn with the vendored Chart.js (assets/vendor). Text from the
// API (trigger ids, segment keys, notes) is set with textContent, never as
// HTML. A figure without data shows "no data", never a zero; a verdict on a
// too small sample shows "inconclusive".
(function () {
  "use strict";

  const T = {
    en: {
      title: "Kairos insights", back: "← Console", from: "From", to: "To", last7: "7 days", last30: "30 days",
      last90: "90 days", interval: "Trend by", auto: "auto", day: "day", week: "week", month: "month",
      by: "Break down by", none: "—", trigger: "trigger", channel: "channel", segment: "segment", apply: "Show",
      loading: "Loading…", generated: "Computed", no_data: "no data",
      uplift_title: "Uplift per trigger (treatment − holdout, 95% interval)",
      uplift_hint: "Bars are percentage points; whiskers the 95% interval. Pale bars: too few customers to judge.",
      recovery_title: "Mood recovery after an intervention", rates_title: "Bot resolution and handoff rate",
      ces_title: "Customer effort (CES, 1–7, lower is easier)", csat_title: "Satisfaction (CSAT, 1–5)",
      nba_title: "Next-best-action adoption (accepted ÷ offered)", churn_title: "Churn prediction quality",
      notes_title: "Notes", conversion: "Conversion uplift", retention: "Retention uplift",
      prevention: "Issue contacts prevented", verdict_helps: "helps", verdict_hurts: "hurts",
      "verdict_no evidence": "no evidence", verdict_inconclusive: "inconclusive", "verdict_no data": "no data",
      treatment: "treatment", holdout: "holdout", customers: "customers", recovery: "recovered",
      recovery_all: "all", recovery_bot: "by the bot", recovery_agent: "by an agent",
      bot_resolution: "Bot resolution", handoff_rate: "Handoff rate", ces: "CES", csat: "CSAT",
      conversations: "Conversations", queue_wait: "Queue wait (median)", first_response: "First response (median)",
      auc: "AUC", precision_at_k: "Precision@k", base_rate: "Base rate", churn_auc: "Churn AUC",
      adoption: "Adoption", conversions: "Conversions (proactive)", incremental_value: "Incremental value",
      minutes_saved: "Agent minutes saved", negative: "turned negative", ratio: "ratio",
      pp: "pp", n: "n", k: "k", churn_hint: "Scored at {cutoff}; {customers} customers, {churned} churned ({model} model). 0.5 is a coin toss.",
      groups_by: "By {by}", group: "group", unavailable: "The figures are unavailable. Try again.",
      forbidden: "Admins only.", mean: "mean", interval95: "95% interval", ces_lower: "lower is easier",
      trigger_col: "Trigger"
    },
    zh: {
      title: "Kairos 数据看板", back: "← 客服台", from: "开始", to: "结束", last7: "近 7 天", last30: "近 30 天",
      last90: "近 90 天", interval: "趋势粒度", auto: "自动", day: "天", week: "周", month: "月",
      by: "分组", none: "—", trigger: "触发器", channel: "渠道", segment: "客群", apply: "查看",
      loading: "加载中…", generated: "计算于", no_data: "暂无数据",
      uplift_title: "各触发器的提升（实验组 − 对照组，95% 置信区间）",
      uplift_hint: "柱为百分点，误差线为 95% 置信区间。浅色柱：样本太少，无法判断。",
      recovery_title: "干预后的情绪恢复", rates_title: "机器人解决率与转人工率",
      ces_title: "客户费力度（CES，1–7，越低越容易）", csat_title: "满意度（CSAT，1–5）",
      nba_title: "下一步最佳行动采纳率（采纳 ÷ 推荐）", churn_title: "流失预测质量",
      notes_title: "说明", conversion: "转化提升", retention: "留存提升",
      prevention: "问题预防（减少的咨询）", verdict_helps: "有效", verdict_hurts: "有害",
      "verdict_no evidence": "无显著差异", verdict_inconclusive: "样本不足", "verdict_no data": "暂无数据",
      treatment: "实验组", holdout: "对照组", customers: "位客户", recovery: "恢复率",
      recovery_all: "全部", recovery_bot: "机器人干预", recovery_agent: "人工干预",
      bot_resolution: "机器人解决率", handoff_rate: "转人工率", ces: "CES", csat: "CSAT",
      conversations: "会话数", queue_wait: "排队等待（中位数）", first_response: "首次响应（中位数）",
      auc: "AUC", precision_at_k: "前 k 名精确率", base_rate: "基准流失率", churn_auc: "流失模型 AUC",
      adoption: "采纳率", conversions: "转化（主动服务）", incremental_value: "增量价值",
      minutes_saved: "节省人工分钟", negative: "情绪转负", ratio: "比例",
      pp: "个百分点", n: "样本", k: "k", churn_hint: "评分时点 {cutoff}；{customers} 位客户，{churned} 位流失（{model} 模型）。0.5 相当于随机猜测。",
      groups_by: "按{by}", group: "分组", unavailable: "暂时无法获取数据，请重试。",
      forbidden: "仅限管理员。", mean: "均值", interval95: "95% 置信区间", ces_lower: "越低越容易",
      trigger_col: "触发器"
    }
  };
  const COLORS = {
    helps: "#2e9e5b", hurts: "#d1453b", "no evidence": "#8a94a6", inconclusive: "#f0c75e", "no data": "#d5d9e2",
    blue: "#3b6df0", violet: "#8250df", teal: "#1f9eaa", orange: "#e07b26", grey: "#8a94a6"
  };

  let lang = localStorage.getItem("kairos.console.lang") ||
    ((navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en");
  const $ = (id) => document.getElementById(id);
  const t = (k) => (T[lang] && T[lang][k]) || T.en[k] || k;
  const fill = (s, o) => s.replace(/\{(\w+)\}/g, (_, k) => (o[k] === undefined || o[k] === null ? "" : String(o[k])));

  function el(tag, text, attrs) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (attrs) for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  const state = { report: null, charts: new Map(), csrf: "" };

  // ---------- formatting: null is "no data", never 0 ----------
  const isNum = (v) => typeof v === "number" && isFinite(v);
  function pct(v, digits) { return isNum(v) ? (v * 100).toFixed(digits === undefined ? 1 : digits) + "%" : t("no_data"); }
  function pp(v) { return isNum(v) ? (v >= 0 ? "+" : "") + (v * 100).toFixed(1) + " " + t("pp") : t("no_data"); }
  function num(v, digits) { return isNum(v) ? v.toFixed(digits === undefined ? 2 : digits) : t("no_data"); }
  function secs(v) {
    if (!isNum(v)) return t("no_data");
    if (v < 90) return Math.round(v) + " s";
    if (v < 5400) return (v / 60).toFixed(1) + " min";
    return (v / 3600).toFixed(1) + " h";
  }
  function ci(lo, hi, f) { return isNum(lo) && isNum(hi) ? "[" + f(lo) + " – " + f(hi) + "]" : ""; }
  const scaled = (v) => (isNum(v) ? v * 100 : null);

  // ---------- Chart.js plugins ----------
  // errorBars draws each dataset's errors[i] = {low, high} (in data units)
  // as a whisker over its bar or point.
  const errorBars = {
    id: "kairosErrorBars",
    afterDatasetsDraw(chart) {
      const ctx = chart.ctx;
      chart.data.datasets.forEach((ds, di) => {
        if (!ds.errors || !chart.isDatasetVisible(di)) return;
        const meta = chart.getDatasetMeta(di);
        const y = chart.scales[meta.yAxisID];
        meta.data.forEach((elem, i) => {
          const e = ds.errors[i];
          if (!e || !isNum(e.low) || !isNum(e.high) || !isNum(elem.x)) return;
          const y1 = y.getPixelForValue(e.low), y2 = y.getPixelForValue(e.high);
          const w = Math.min(7, (elem.width || 12) / 3);
          ctx.save();
          ctx.strokeStyle = "#1d2330";
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.moveTo(elem.x, y1); ctx.lineTo(elem.x, y2);
          ctx.moveTo(elem.x - w, y1); ctx.lineTo(elem.x + w, y1);
          ctx.moveTo(elem.x - w, y2); ctx.lineTo(elem.x + w, y2);
          ctx.stroke();
          ctx.restore();
        });
      });
    }
  };
  // marks writes a label (e.g. "no data") at a category whose bars are
  // all missing, so an empty figure never reads as a zero bar.
  const marks = {
    id: "kairosMarks",
    afterDatasetsDraw(chart, _args, opts) {
      if (!opts || !opts.labels) return;
      const x = chart.scales.x, y = chart.scales.y;
      const ctx = chart.ctx;
      ctx.save();
      ctx.fillStyle = "#8a94a6";
      ctx.font = "12px system-ui, sans-serif";
      ctx.textAlign = "center";
      const base = y.getPixelForValue(Math.max(y.min, Math.min(y.max, 0)));
      opts.labels.forEach((text, i) => {
        if (text) ctx.fillText(text, x.getPixelForValue(i), base - 6);
      });
      ctx.restore();
    }
  };

  // fitWhiskers widens a free y axis so every interval fits on the chart
  // (a whisker cut off at the edge would hide how uncertain a figure is).
  function fitWhiskers(config) {
    const scales = config.options.scales = config.options.scales || {};
    const y = scales.y = scales.y || {};
    if (isNum(y.min) && isNum(y.max)) return;
    let lo = 0, hi = 0;
    config.data.datasets.forEach((ds) => {
      (ds.data || []).forEach((v) => { if (isNum(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
      (ds.errors || []).forEach((e) => {
        if (e && isNum(e.low)) lo = Math.min(lo, e.low);
        if (e && isNum(e.high)) hi = Math.max(hi, e.high);
      });
    });
    const pad = (hi - lo) * 0.05;
    if (!isNum(y.min)) y.suggestedMin = lo < 0 ? lo - pad : lo;
    if (!isNum(y.max)) y.suggestedMax = hi + pad;
  }

  function chartFor(id, config, empty) {
    const old = state.charts.get(id);
    if (old) { old.destroy(); state.charts.delete(id); }
    const canvas = $(id);
    const box = canvas.parentElement.querySelector(".nodata");
    box.textContent = t("no_data");
    box.hidden = !empty;
    canvas.hidden = empty;
    canvas.dataset.empty = String(empty);
    if (empty) return;
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    fitWhiskers(config);
    config.plugins = [errorBars, marks];
    state.charts.set(id, new window.Chart(canvas, config));
  }

  // ---------- the report ----------
  const verdictText = (v) => t("verdict_" + (v || "no data"));
  function badge(v) {
    const b = el("span", verdictText(v), { class: "verdict", "data-verdict": v || "no data" });
    return b;
  }

  function render() {
    const r = state.report;
    if (!r) return;
    $("board").hidden = false;
    const o = r.overall || {};
    renderTiles(r, o);
    renderUplift(o.proactive || []);
    renderRecovery(o.experience || {}, r.series || []);
    renderRates(r.series || []);
    renderMeanTrend("chart-ces", r.series || [], (f) => f.experience && f.experience.ces, COLORS.orange, 1, 7, t("ces"));
    renderMeanTrend("chart-csat", r.series || [], (f) => f.experience && f.experience.csat, COLORS.teal, 1, 5, t("csat"));
    renderNBA((o.prediction && o.prediction.nba) || []);
    renderChurn((o.prediction && o.prediction.churn) || {});
    renderGroups(r);
    const notes = r.notes || [];
    $("card-notes").hidden = !notes.length;
    $("notes").replaceChildren(...notes.map((n) => el("li", n)));
    $("status").textContent = r.generated ? t("generated") + " " + new Date(r.generated).toLocaleString(lang === "zh" ? "zh-CN" : "en") : "";
  }

  function tile(label, value, sub, empty) {
    const d = el("div", null, { class: "tile" });
    if (empty) d.setAttribute("data-nodata", "");
    d.appendChild(el("div", label, { class: "label" }));
    d.appendChild(el("div", value, { class: "value" }));
    d.appendChild(el("div", sub || "", { class: "ci" }));
    return d;
  }
  function rateTile(label, r) {
    r = r || {};
    return tile(label, pct(r.value), isNum(r.value) ? ci(r.low, r.high, (v) => pct(v)) + " " + t("n") + " " + r.n : "", !isNum(r.value));
  }
  function meanTile(label, m, extra) {
    m = m || {};
    return tile(label, num(m.value), isNum(m.value) ? (ci(m.low, m.high, (v) => num(v)) + " " + t("n") + " " + m.n + (extra ? " · " + extra : "")).trim() : "", !isNum(m.value));
  }
  function renderTiles(r, o) {
    const ops = o.operations || {}, ex = o.experience || {}, ch = (o.prediction && o.prediction.churn) || {};
    const led = r.ledger || {};
    $("tiles").replaceChildren(
      tile(t("conversations"), isNum(ops.conversations) && ops.conversations > 0 ? String(ops.conversations) : t("no_data"), "", !(ops.conversations > 0)),
      rateTile(t("bot_resolution"), ops.bot_resolution),
      rateTile(t("handoff_rate"), ops.handoff_rate),
      tile(t("queue_wait"), secs(ops.queue_wait && ops.queue_wait.median_s), ops.queue_wait && ops.queue_wait.n ? t("n") + " " + ops.queue_wait.n : "", !(ops.queue_wait && isNum(ops.queue_wait.median_s))),
      tile(t("first_response"), secs(ops.first_response && ops.first_response.median_s), ops.first_response && ops.first_response.n ? t("n") + " " + ops.first_response.n : "", !(ops.first_response && isNum(ops.first_response.median_s))),
      meanTile(t("ces"), ex.ces, t("ces_lower")),
      meanTile(t("csat"), ex.csat),
      rateTile(t("recovery") + " (" + t("recovery_all") + ")", ex.recovery),
      tile(t("churn_auc"), num(ch.auc), isNum(ch.auc) ? ci(ch.auc_low, ch.auc_high, (v) => num(v)) : "", !isNum(ch.auc)),
      tile(t("conversions"), String(led.conversions || 0), "", false),
      tile(t("incremental_value"), isNum(led.incremental_value) ? "¥" + Math.round(led.incremental_value).toLocaleString() : t("no_data"), "", !isNum(led.incremental_value)),
      tile(t("minutes_saved"), isNum(led.agent_minutes_saved) ? Math.round(led.agent_minutes_saved).toLocaleString() : t("no_data"), "", !isNum(led.agent_minutes_saved))
    );
  }

  // Uplift per trigger: conversion and retention differences (pp) with
  // their intervals; the bar's colour is its verdict.
  function renderUplift(effects) {
    const labels = effects.map((e) => e.trigger);
    const ds = (key, label) => {
      const u = effects.map((e) => e[key] || {});
      return {
        label,
        data: u.map((x) => scaled(x.diff)),
        errors: u.map((x) => ({ low: scaled(x.low), high: scaled(x.high) })),
        backgroundColor: u.map((x) => COLORS[x.verdict] || COLORS["no data"]),
        borderColor: u.map((x) => (x.verdict === "inconclusive" ? "#b38600" : "transparent")),
        borderWidth: u.map((x) => (x.verdict === "inconclusive" ? 1.5 : 0)),
        verdicts: u.map((x) => x.verdict || "no data")
      };
    };
    const conv = ds("conversion", t("conversion")), ret = ds("retention", t("retention"));
    ret.backgroundColor = ret.backgroundColor.map((c) => c + "88");
    // The legend says which bar is which and what the colours mean.
    const legendItems = () => [
      { text: t("conversion"), fillStyle: "#4a5263", strokeStyle: "#4a5263", lineWidth: 0 },
      { text: t("retention"), fillStyle: "#4a526388", strokeStyle: "#4a526388", lineWidth: 0 }
    ].concat(["helps", "no evidence", "hurts", "inconclusive"].map((v) => ({
      text: verdictText(v), fillStyle: COLORS[v], strokeStyle: v === "inconclusive" ? "#b38600" : COLORS[v], lineWidth: v === "inconclusive" ? 1.5 : 0
    })));
    const empty = !effects.length || effects.every((e) => !isNum((e.conversion || {}).diff) && !isNum((e.retention || {}).diff));
    chartFor("chart-uplift", {
      type: "bar",
      data: { labels, datasets: [conv, ret] },
      options: {
        scales: { y: { title: { display: true, text: t("pp") }, grid: { color: (c) => (c.tick && c.tick.value === 0 ? "#1d2330" : "#e3e6ee") } } },
        plugins: {
          legend: { onClick: () => {}, labels: { generateLabels: legendItems } },
          kairosMarks: { labels: effects.map((e) => (!isNum((e.conversion || {}).diff) && !isNum((e.retention || {}).diff) ? t("no_data") : null)) },
          tooltip: { callbacks: { label: (c) => {
            const d = c.dataset, e = d.errors[c.dataIndex];
            return d.label + ": " + pp(isNum(c.raw) ? c.raw / 100 : null) + " " + ci(e.low, e.high, (v) => pp(v / 100)) + " · " + verdictText(d.verdicts[c.dataIndex]);
          } } }
        }
      }
    }, empty);

    const table = $("verdicts");
    const head = el("tr");
    [t("trigger_col"), t("treatment"), t("holdout"), t("conversion"), t("retention"), t("prevention")].forEach((h) => head.appendChild(el("th", h)));
    const rows = effects.map((e) => {
      const tr = el("tr", null, { "data-trigger": e.trigger });
      tr.appendChild(el("td", e.trigger));
      tr.appendChild(el("td", ((e.treatment || {}).customers || 0) + " " + t("customers")));
      tr.appendChild(el("td", ((e.holdout || {}).customers || 0) + " " + t("customers")));
      const cell = (u, cls) => {
        u = u || {};
        const td = el("td", null, { class: cls });
        td.appendChild(el("span", pp(u.diff) + " " + ci(u.low, u.high, (v) => pp(v)) + " "));
        td.appendChild(badge(u.verdict));
        if (u.reason) td.title = u.reason;
        return td;
      };
      tr.appendChild(cell(e.conversion, "conversion"));
      tr.appendChild(cell(e.retention, "retention"));
      const pv = e.prevention || {};
      const td = cell(pv.reduction, "prevention");
      if (isNum(pv.ratio)) td.insertBefore(el("span", t("ratio") + " " + pct(pv.ratio) + " · "), td.firstChild);
      tr.appendChild(td);
      return tr;
    });
    table.replaceChildren(head, ...rows);
  }

  function bucketLabel(b, interval) {
    const s = (b.from || "").slice(0, 10);
    return interval === "month" ? s.slice(0, 7) : s.slice(5);
  }

  function renderRecovery(ex, series) {
    const parts = [["recovery", "recovery_all"], ["recovery_bot", "recovery_bot"], ["recovery_agent", "recovery_agent"]];
    const rates = parts.map(([k]) => ex[k] || {});
    const empty = rates.every((r) => !isNum(r.value));
    chartFor("chart-recovery", {
      type: "bar",
      data: {
        labels: parts.map(([, l]) => t(l)),
        datasets: [{
          label: t("recovery"), data: rates.map((r) => scaled(r.value)),
          errors: rates.map((r) => ({ low: scaled(r.low), high: scaled(r.high) })),
          backgroundColor: [COLORS.violet, COLORS.blue, COLORS.teal]
        }]
      },
      options: {
        scales: { y: { min: 0, max: 100, title: { display: true, text: "%" } } },
        plugins: {
          legend: { display: false },
          kairosMarks: { labels: rates.map((r) => (isNum(r.value) ? null : t("no_data"))) },
          tooltip: { callbacks: { label: (c) => { const r = rates[c.dataIndex]; return pct(r.value) + " " + ci(r.low, r.high, (v) => pct(v)) + " (" + r.k + "/" + r.n + ")"; } } }
        }
      }
    }, empty);
    const interval = state.report.interval;
    const pts = series.map((b) => (b.figures && b.figures.experience && b.figures.experience.recovery) || {});
    chartFor("chart-recovery-trend", lineConfig(series.map((b) => bucketLabel(b, interval)), [{
      label: t("recovery"), data: pts.map((r) => scaled(r.value)), color: COLORS.violet,
      errors: pts.map((r) => ({ low: scaled(r.low), high: scaled(r.high) }))
    }], { min: 0, max: 100 }), pts.every((r) => !isNum(r.value)));
  }

  // lineConfig draws series with gaps where a bucket has no data (null is
  // a gap, not a zero).
  function lineConfig(labels, lines, y) {
    return {
      type: "line",
      data: {
        labels,
        datasets: lines.map((l) => ({
          label: l.label, data: l.data, errors: l.errors, borderColor: l.color, backgroundColor: l.color,
          spanGaps: false, pointRadius: 3, tension: 0.2
        }))
      },
      options: { scales: { y: Object.assign({}, y || {}) }, plugins: { legend: { display: lines.length > 1 } } }
    };
  }

  function renderRates(series) {
    const interval = state.report.interval;
    const labels = series.map((b) => bucketLabel(b, interval));
    const get = (k) => series.map((b) => ((b.figures && b.figures.operations) || {})[k] || {});
    const res = get("bot_resolution"), hand = get("handoff_rate");
    const empty = res.every((r) => !isNum(r.value)) && hand.every((r) => !isNum(r.value));
    chartFor("chart-rates", lineConfig(labels, [
      { label: t("bot_resolution"), data: res.map((r) => scaled(r.value)), color: COLORS.helps, errors: res.map((r) => ({ low: scaled(r.low), high: scaled(r.high) })) },
      { label: t("handoff_rate"), data: hand.map((r) => scaled(r.value)), color: COLORS.orange, errors: hand.map((r) => ({ low: scaled(r.low), high: scaled(r.high) })) }
    ], { min: 0, max: 100, title: { display: true, text: "%" } }), empty);
  }

  function renderMeanTrend(id, series, pick, color, min, max, label) {
    const interval = state.report.interval;
    const pts = series.map((b) => pick(b.figures || {}) || {});
    chartFor(id, lineConfig(series.map((b) => bucketLabel(b, interval)), [{
      label, data: pts.map((m) => (isNum(m.value) ? m.value : null)), color,
      errors: pts.map((m) => ({ low: m.low, high: m.high }))
    }], { min, max }), pts.every((m) => !isNum(m.value)));
  }

  function renderNBA(list) {
    const rates = list.map((a) => a.rate || {});
    chartFor("chart-nba", {
      type: "bar",
      data: {
        labels: list.map((a) => a.action),
        datasets: [{
          label: t("adoption"), data: rates.map((r) => scaled(r.value)),
          errors: rates.map((r) => ({ low: scaled(r.low), high: scaled(r.high) })), backgroundColor: COLORS.blue
        }]
      },
      options: {
        scales: { y: { min: 0, max: 100, title: { display: true, text: "%" } } },
        plugins: {
          legend: { display: false },
          kairosMarks: { labels: rates.map((r) => (isNum(r.value) ? null : t("no_data"))) },
          tooltip: { callbacks: { label: (c) => { const a = list[c.dataIndex], r = rates[c.dataIndex]; return pct(r.value) + " " + ci(r.low, r.high, (v) => pct(v)) + " (" + (a.accepted || 0) + "/" + (a.offered || 0) + ")"; } } }
        }
      }
    }, !list.length || rates.every((r) => !isNum(r.value)));
  }

  function renderChurn(c) {
    const p = c.precision_at_k || {};
    const vals = [
      { label: t("auc"), v: c.auc, low: c.auc_low, high: c.auc_high },
      { label: t("precision_at_k") + (c.k ? " (k=" + c.k + ")" : ""), v: p.value, low: p.low, high: p.high },
      { label: t("base_rate"), v: c.base_rate }
    ];
    chartFor("chart-churn", {
      type: "bar",
      data: {
        labels: vals.map((x) => x.label),
        datasets: [{
          label: t("churn_title"), data: vals.map((x) => (isNum(x.v) ? x.v : null)),
          errors: vals.map((x) => ({ low: x.low, high: x.high })),
          backgroundColor: [COLORS.violet, COLORS.blue, COLORS.grey]
        }]
      },
      options: {
        scales: { y: { min: 0, max: 1 } },
        plugins: { legend: { display: false }, kairosMarks: { labels: vals.map((x) => (isNum(x.v) ? null : t("no_data"))) } }
      }
    }, !isNum(c.auc) && !isNum(p.value));
    $("churn-hint").textContent = c.customers ? fill(t("churn_hint"), {
      cutoff: (c.cutoff || "").slice(0, 10), customers: c.customers, churned: c.churned, model: c.model || "default"
    }) + " " : "";
    // Too few churners or stayers to trust the AUC: say so.
    if (c.inconclusive) $("churn-hint").appendChild(badge("inconclusive"));
  }

  function renderGroups(r) {
    const groups = r.groups || [];
    $("card-groups").hidden = !r.by || !groups.length;
    if ($("card-groups").hidden) return;
    $("groups-title").textContent = fill(t("groups_by"), { by: t(r.by) });
    const head = el("tr");
    [t("group"), t("conversations"), t("bot_resolution"), t("handoff_rate"), t("ces"), t("csat"), t("recovery")].forEach((h) => head.appendChild(el("th", h)));
    $("groups").replaceChildren(head, ...groups.map((g) => {
      const f = g.figures || {}, ops = f.operations || {}, ex = f.experience || {};
      const tr = el("tr", null, { "data-group": g.key });
      tr.appendChild(el("td", g.key));
      tr.appendChild(el("td", ops.conversations > 0 ? String(ops.conversations) : t("no_data")));
      const rate = (x) => { x = x || {}; return pct(x.value) + (isNum(x.value) ? " " + ci(x.low, x.high, (v) => pct(v)) : ""); };
      const mean = (x) => { x = x || {}; return num(x.value) + (isNum(x.value) ? " " + ci(x.low, x.high, (v) => num(v)) : ""); };
      tr.appendChild(el("td", rate(ops.bot_resolution)));
      tr.appendChild(el("td", rate(ops.handoff_rate)));
      tr.appendChild(el("td", mean(ex.ces)));
      tr.appendChild(el("td", mean(ex.csat)));
      tr.appendChild(el("td", rate(ex.recovery)));
      return tr;
    }));
  }

  // ---------- period picker ----------
  const iso = (d) => d.toISOString().slice(0, 10);
  function preset(days) {
    const to = new Date();
    const from = new Date(to.getTime() - (days - 1) * 86400000);
    $("from").value = iso(from); $("to").value = iso(to);
  }

  async function load() {
    $("error").textContent = "";
    $("status").textContent = t("loading");
    const q = new URLSearchParams();
    q.set("from", $("from").value); q.set("to", $("to").value);
    if ($("interval").value) q.set("interval", $("interval").value);
    if ($("by").value) q.set("by", $("by").value);
    let res, data = null;
    try {
      res = await fetch("api/insights?" + q.toString(), { credentials: "same-origin" });
      try { data = await res.json(); } catch (e) { data = null; }
    } catch (e) { res = { status: 0 }; }
    if (res.status === 401) { location.href = "./#insights"; return; }
    if (res.status !== 200 || !data) {
      $("status").textContent = "";
      $("error").textContent = (res.status === 403 ? t("forbidden") : "") ||
        (data && data.error && data.error.code === "invalid" ? data.error.message : t("unavailable"));
      return;
    }
    state.report = data;
    render();
    window.kairosInsights.loaded++;
  }

  function applyLang() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = t(e.dataset.i18n); });
    $("lang-switch").textContent = lang === "zh" ? "English" : "中文";
    document.title = t("title");
    render();
  }

  $("lang-switch").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem("kairos.console.lang", lang);
    applyLang();
  });
  document.querySelectorAll("#period [data-days]").forEach((b) => b.addEventListener("click", () => { preset(Number(b.dataset.days)); load(); }));
  $("period").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });

  async function start() {
    if (!window.Chart) { $("error").textContent = t("unavailable"); return; }
    window.Chart.defaults.font.family = 'system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif';
    applyLang();
    try {
      const r = await fetch("api/me", { credentials: "same-origin" });
      if (r.status === 200) { const me = await r.json(); $("whoami").textContent = me.agent.name + " · " + me.agent.role; }
    } catch (e) { /* the figures request says what is wrong */ }
    preset(30);
    load();
  }

  window.kairosInsights = { state, loaded: 0 };
  start();
})();
