// Kairos agent console. Plain JavaScript, no libraries: every piece of
// customer (and agent) text is put on the page with textContent, never as
// HTML.
(function () {
  "use strict";

  const T = {
    en: {
      title: "Kairos console", login_title: "Agent login", name: "Name", password: "Password", login: "Log in",
      logout: "Log out", queue: "Queue", approvals: "Approvals", insights: "Insights", my_chats: "My chats", waiting: "Waiting",
      queue_empty: "Nobody is waiting.", claim: "Claim", customer_typing: "Customer is typing…",
      reply_ph: "Reply to the customer…", send: "Send", actions: "Transfer · resolve", to_queue: "To queue",
      to_agent: "or agent", transfer: "Transfer", resolve_summary: "Summary (what was settled)",
      settled: "Settled items, one per line", resolve: "Resolve and hand back", summary: "Summary", mood: "Mood",
      customer: "Customer", orders: "Orders", recent_path: "Recent path", memories: "Memories",
      suggestions: "Suggested replies", notes: "Internal notes", note_ph: "Only agents see notes", add_note: "Add note",
      bad_login: "Wrong name or password.", rate_limited: "Too many failed logins. Try again later.",
      unavailable: "The service is unavailable. Try again.", already_claimed: "Another agent took this chat.",
      at_capacity: "You already have as many chats as you can take.", not_owner: "Claim the chat first.",
      not_found: "This chat is no longer waiting.", invalid: "That was not accepted.", gone_claimed: "Taken by another agent",
      intent: "Intent", need: "Hidden need", tier: "Tier", vip: "VIP", churn: "Churn risk", ltv: "Lifetime value",
      orders_n: "Orders", lifecycle: "Lifecycle", wait: "waiting", sla_breached: "SLA breached", sla_due: "SLA due soon",
      sla_ok: "SLA ok", priority: "P", status_waiting: "waiting", status_claimed: "claimed", status_callback: "callback",
      approve: "Approve", reject: "Reject", save_edit: "Save edit", no_approvals: "No drafts wait for approval.",
      resolved: "Resolved: the assistant is back.", online: "online", offline: "reconnecting…", risk: "Escalation risk",
      reason: "Reason", mine_empty: "No chats yet.", transfer_ok: "Transferred.", not_sent: "Not sent yet; it will be retried."
    },
    zh: {
      title: "Kairos 客服台", login_title: "客服登录", name: "用户名", password: "密码", login: "登录",
      logout: "退出", queue: "队列", approvals: "待审批", insights: "数据看板", my_chats: "我的会话", waiting: "排队中",
      queue_empty: "暂无排队客户。", claim: "接入", customer_typing: "客户正在输入…",
      reply_ph: "回复客户…", send: "发送", actions: "转接 · 结束", to_queue: "转到队列",
      to_agent: "或客服", transfer: "转接", resolve_summary: "总结（已解决的事项）",
      settled: "已约定事项（每行一条）", resolve: "结束并交还机器人", summary: "摘要", mood: "情绪",
      customer: "客户", orders: "订单", recent_path: "最近浏览", memories: "记忆",
      suggestions: "建议回复", notes: "内部备注", note_ph: "备注仅客服可见", add_note: "添加备注",
      bad_login: "用户名或密码错误。", rate_limited: "登录失败次数过多，请稍后再试。",
      unavailable: "服务暂不可用，请重试。", already_claimed: "该会话已被其他客服接入。",
      at_capacity: "您的会话数已达上限。", not_owner: "请先接入该会话。",
      not_found: "该会话已不在队列中。", invalid: "请求未被接受。", gone_claimed: "已被其他客服接入",
      intent: "意图", need: "潜在需求", tier: "等级", vip: "VIP", churn: "流失风险", ltv: "累计消费",
      orders_n: "订单数", lifecycle: "生命周期", wait: "等待", sla_breached: "已超时", sla_due: "即将超时",
      sla_ok: "未超时", priority: "优先级", status_waiting: "排队中", status_claimed: "已接入", status_callback: "待回电",
      approve: "批准", reject: "拒绝", save_edit: "保存修改", no_approvals: "暂无待审批的草稿。",
      resolved: "已结束：机器人已接回。", online: "在线", offline: "重新连接中…", risk: "升级风险",
      reason: "原因", mine_empty: "暂无会话。", transfer_ok: "已转接。", not_sent: "尚未发送，将自动重试。"
    }
  };
  const base = location.pathname.replace(/[^/]*$/, "");
  let lang = localStorage.getItem("kairos.console.lang") ||
    ((navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en");
  const $ = (id) => document.getElementById(id);
  const t = (k) => (T[lang] && T[lang][k]) || T.en[k] || k;

  function applyLang() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll("[data-i18n-ph]").forEach((el) => { el.placeholder = t(el.dataset.i18nPh); });
    $("lang-switch").textContent = lang === "zh" ? "English" : "中文";
    renderQueue();
    if (state.current) renderPanel();
  }

  // el builds an element whose text is set with textContent.
  function el(tag, text, attrs) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (attrs) for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  const state = {
    me: null, csrf: "", ws: null, online: false, retry: 0,
    handoffs: new Map(),   // handoff_id → record
    current: null,         // open handoff id
    convs: new Map(),      // conversation_id → {lastSeq, msgs: Map(seq → msg), pending: Map(client_id → msg), pkg}
    approvals: [],
  };

  function conv(id) {
    let c = state.convs.get(id);
    if (!c) { c = { lastSeq: 0, msgs: new Map(), pending: new Map(), pkg: null, handoff: null }; state.convs.set(id, c); }
    return c;
  }

  // ---------- HTTP ----------
  async function api(method, path, body) {
    const opts = { method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    if (method !== "GET") opts.headers["X-CSRF-Token"] = state.csrf;
    const r = await fetch(base + path, opts);
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    return { status: r.status, data };
  }

  async function start() {
    applyLang();
    const r = await api("GET", "api/me");
    if (r.status === 200) { loggedIn(r.data); } else { showLogin(); }
  }

  function showLogin() {
    $("login-view").hidden = false;
    $("app-view").hidden = true; $("approvals-view").hidden = true;
    ["logout", "tab-queue", "tab-approvals", "tab-insights"].forEach((id) => { $(id).hidden = true; });
    $("whoami").textContent = "";
  }

  function loggedIn(data) {
    state.me = data.agent; state.csrf = data.csrf;
    $("login-view").hidden = true; $("app-view").hidden = false;
    $("logout").hidden = false; $("tab-queue").hidden = false;
    $("tab-approvals").hidden = !data.approvals;
    $("tab-insights").hidden = !data.insights;
    // Sent here by the dashboard to log in: go back to it.
    if (location.hash === "#insights" && data.insights) { location.replace(base + "insights"); return; }
    $("whoami").textContent = state.me.name + " · " + state.me.role;
    connect();
  }

  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("login-error").textContent = "";
    const r = await api("POST", "api/login", { name: $("login-name").value, password: $("login-password").value });
    $("login-password").value = "";
    if (r.status === 200) { loggedIn(r.data); return; }
    const code = r.data && r.data.error ? r.data.error.code : "unavailable";
    $("login-error").textContent = t(code);
  });

  $("logout").addEventListener("click", async () => {
    await api("POST", "api/logout", {});
    if (state.ws) { state.ws.onclose = null; state.ws.close(); state.ws = null; }
    location.reload();
  });

  $("lang-switch").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem("kairos.console.lang", lang);
    applyLang();
  });

  $("tab-queue").addEventListener("click", () => { $("approvals-view").hidden = true; $("app-view").hidden = false; });
  $("tab-approvals").addEventListener("click", () => { $("app-view").hidden = true; $("approvals-view").hidden = false; loadApprovals(); });

  // ---------- WebSocket ----------
  function connect() {
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(proto + location.host + base + "ws?csrf=" + encodeURIComponent(state.csrf));
    state.ws = ws;
    ws.onopen = () => { state.online = true; state.retry = 0; setConn(); };
    ws.onmessage = (ev) => { let f; try { f = JSON.parse(ev.data); } catch (e) { return; } onFrame(f); };
    ws.onclose = () => {
      state.online = false; setConn();
      if (state.ws !== ws) return;
      const wait = Math.min(10000, 500 * Math.pow(2, state.retry++));
      setTimeout(async () => {
        const r = await api("GET", "api/me");
        if (r.status === 401) { showLogin(); return; }
        if (r.status === 200) state.csrf = r.data.csrf;
        connect();
      }, wait);
    };
  }
  function setConn() {
    $("conn").dataset.state = state.online ? "online" : "offline";
    $("conn").textContent = t(state.online ? "online" : "offline");
  }
  function send(f) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) { state.ws.send(JSON.stringify(f)); return true; }
    return false;
  }

  function onFrame(f) {
    switch (f.type) {
      case "hello": {
        // The snapshot replaces what we had; then resume: reopen the chat we
        // showed from the last seq we have, and resend unconfirmed replies
        // (same client ids, so each is delivered once).
        state.handoffs.clear();
        (f.handoffs || []).forEach((h) => state.handoffs.set(h.handoff_id, h));
        renderQueue();
        if (state.current && state.handoffs.has(state.current)) {
          const h = state.handoffs.get(state.current);
          const c = conv(h.conversation_id);
          send({ type: "open", handoff_id: h.handoff_id, after_seq: c.lastSeq });
          c.pending.forEach((m) => send({ type: "reply", conversation_id: h.conversation_id, client_id: m.client_id, text: m.text }));
        }
        break;
      }
      case "handoff": {
        const old = state.handoffs.get(f.handoff.handoff_id);
        if (old && old.revision > f.handoff.revision) break;
        state.handoffs.set(f.handoff.handoff_id, f.handoff);
        renderQueue();
        if (state.current === f.handoff.handoff_id) {
          renderChatHead();
          if (f.handoff.event === "note") send({ type: "open", handoff_id: f.handoff.handoff_id, after_seq: conv(f.handoff.conversation_id).lastSeq });
        }
        break;
      }
      case "gone": {
        state.handoffs.delete(f.handoff_id);
        renderQueue();
        if (state.current === f.handoff_id) {
          $("chat-status").textContent = f.status === "claimed" ? t("gone_claimed") : (f.status === "resolved" ? t("resolved") : t("not_found"));
          setChatEnabled(false);
          $("claim").hidden = true;
        }
        break;
      }
      case "claim":
        if (!f.ok) { $("chat-error").textContent = t(f.error || "unavailable"); }
        else { $("chat-error").textContent = ""; }
        break;
      case "package": {
        const c = conv(f.conversation_id);
        c.pkg = f.package; c.handoff = f.handoff;
        if (state.current === f.handoff_id) renderPanel();
        break;
      }
      case "transcript": {
        const c = conv(f.conversation_id);
        (f.messages || []).forEach((m) => addMessage(f.conversation_id, m));
        if (f.last_seq > c.lastSeq && !(f.messages || []).length) c.lastSeq = f.last_seq;
        break;
      }
      case "message":
        addMessage(f.conversation_id, f);
        if (f.role === "customer") showTyping(f.conversation_id, false);
        break;
      case "typing":
        showTyping(f.conversation_id, f.state === "start");
        break;
      case "sent": {
        const m = conv(f.conversation_id).pending.get(f.client_id);
        if (m) m.stored = true;
        break;
      }
      case "result": {
        const c = conv(f.conversation_id);
        const m = c.pending.get(f.client_id);
        if (!f.ok) {
          if (m) { c.pending.delete(f.client_id); renderMessages(); }
          if (f.error) $("chat-error").textContent = t(f.error);
          break;
        }
        if (m && f.seq) {
          c.pending.delete(f.client_id);
          addMessage(f.conversation_id, { seq: f.seq, role: "agent", text: m.text, client_id: f.client_id });
        }
        break;
      }
      case "noted":
        if (state.current) {
          const h = state.handoffs.get(state.current);
          if (h && h.conversation_id === f.conversation_id) {
            const c = conv(f.conversation_id);
            if (c.pkg) { c.pkg.notes = (c.pkg.notes || []).concat([{ agent_id: f.agent_id, text: f.text, at: f.at }]); renderNotes(); }
          }
        }
        break;
      case "transfer":
        $("chat-error").textContent = f.ok ? t("transfer_ok") : t(f.error || "unavailable");
        break;
      case "resolving":
        $("chat-status").textContent = t("resolved");
        break;
      case "error":
        if (f.ref === "reply" && f.code === "unavailable") { $("chat-error").textContent = t("not_sent"); break; }
        $("chat-error").textContent = t(f.code) + (f.message && f.code === "invalid" ? " (" + f.message + ")" : "");
        break;
    }
  }

  // ---------- queue ----------
  function slaState(h) {
    if (h.escalations > 0) return "breached";
    if (!h.sla_due_at) return "ok";
    const left = Date.parse(h.sla_due_at) - Date.now();
    if (left <= 0) return "breached";
    return left < 30000 ? "due" : "ok";
  }
  function waitText(h) {
    const s = Math.max(0, Math.round((Date.now() - Date.parse(h.created_at)) / 1000));
    return s < 60 ? s + "s" : Math.floor(s / 60) + "m" + (s % 60) + "s";
  }
  function queueItem(h) {
    const li = el("li", null, { "data-handoff": h.handoff_id, "data-status": h.status });
    if (state.current === h.handoff_id) li.setAttribute("aria-current", "true");
    const title = el("div");
    title.appendChild(el("span", t("priority") + h.priority + " ", { class: "pri" }));
    title.appendChild(el("span", h.customer_name || h.customer_id));
    if (h.vip) title.appendChild(el("span", " · VIP"));
    li.appendChild(title);
    const meta = el("div", null, { class: "meta" });
    meta.appendChild(el("span", h.queue));
    meta.appendChild(el("span", t("status_" + h.status) || h.status));
    meta.appendChild(el("span", t("wait") + " " + waitText(h), { class: "wait" }));
    const sla = slaState(h);
    meta.appendChild(el("span", t("sla_" + sla), { class: "sla", "data-sla": sla }));
    if (h.mood) meta.appendChild(el("span", h.mood, { class: "mood", "data-mood": h.mood }));
    li.appendChild(meta);
    if (h.summary) li.appendChild(el("div", h.summary.length > 120 ? h.summary.slice(0, 120) + "…" : h.summary, { class: "summary" }));
    li.addEventListener("click", () => openHandoff(h.handoff_id));
    return li;
  }
  function renderQueue() {
    if (!state.me) return;
    const all = Array.from(state.handoffs.values()).sort((a, b) =>
      b.priority - a.priority || Date.parse(a.created_at) - Date.parse(b.created_at));
    const mine = all.filter((h) => h.status === "claimed" && h.agent_id === state.me.name);
    const waiting = all.filter((h) => h.status !== "claimed" || h.agent_id !== state.me.name);
    $("mine").replaceChildren(...mine.map(queueItem));
    $("queue").replaceChildren(...waiting.map(queueItem));
    $("queue-empty").hidden = waiting.length > 0;
  }
  setInterval(() => { if (state.me && state.online) renderQueue(); }, 5000);

  // ---------- chat ----------
  function openHandoff(id) {
    const h = state.handoffs.get(id);
    if (!h) return;
    if (state.current && state.current !== id) {
      const prev = state.handoffs.get(state.current);
      if (prev && !(prev.status === "claimed" && prev.agent_id === state.me.name)) send({ type: "close", conversation_id: prev.conversation_id });
    }
    state.current = id;
    $("chat-pane").hidden = false; $("panel-pane").hidden = false;
    $("chat-error").textContent = "";
    renderQueue(); renderChatHead(); renderMessages(); renderPanel();
    send({ type: "open", handoff_id: id, after_seq: conv(h.conversation_id).lastSeq });
  }
  function currentHandoff() { return state.current ? state.handoffs.get(state.current) : null; }
  function mineNow(h) { return h && h.status === "claimed" && h.agent_id === state.me.name; }
  function setChatEnabled(on) {
    ["reply", "send", "transfer", "resolve", "resolve-summary"].forEach((id) => { $(id).disabled = !on; });
  }
  function renderChatHead() {
    const h = currentHandoff();
    if (!h) return;
    $("chat-title").textContent = (h.customer_name || h.customer_id) + " · " + h.queue;
    $("chat-status").textContent = t("status_" + h.status) || h.status;
    $("claim").hidden = !(h.status === "waiting" || h.status === "callback");
    setChatEnabled(mineNow(h));
  }
  function addMessage(convID, m) {
    const c = conv(convID);
    if (!m.seq || c.msgs.has(m.seq)) return;
    c.msgs.set(m.seq, { seq: m.seq, role: m.role, text: m.text, at: m.at });
    if (m.client_id) c.pending.delete(m.client_id);
    const gap = m.seq > c.lastSeq + 1 && c.lastSeq > 0;
    const from = c.lastSeq;
    if (m.seq > c.lastSeq) c.lastSeq = m.seq;
    if (gap) send({ type: "fetch", conversation_id: convID, after_seq: from });
    const h = currentHandoff();
    if (h && h.conversation_id === convID) renderMessages();
  }
  function renderMessages() {
    const h = currentHandoff();
    if (!h) { $("messages").replaceChildren(); return; }
    const c = conv(h.conversation_id);
    const items = Array.from(c.msgs.values()).sort((a, b) => a.seq - b.seq)
      .map((m) => el("li", m.text, { class: "msg", "data-role": m.role, "data-seq": String(m.seq) }));
    c.pending.forEach((m) => items.push(el("li", m.text, { class: "msg", "data-role": "agent", "data-pending": "", "data-client": m.client_id })));
    $("messages").replaceChildren(...items);
    $("messages").scrollTop = $("messages").scrollHeight;
  }
  let typingTimer = null;
  function showTyping(convID, on) {
    const h = currentHandoff();
    if (!h || h.conversation_id !== convID) return;
    $("typing").hidden = !on;
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(() => { $("typing").hidden = true; }, 8000);
  }

  $("claim").addEventListener("click", () => {
    const h = currentHandoff();
    if (h) send({ type: "claim", handoff_id: h.handoff_id });
  });

  let seqNo = 0;
  function clientID(kind) {
    const rnd = new Uint8Array(6); crypto.getRandomValues(rnd);
    return state.me.name + "-" + kind + "-" + Date.now().toString(36) + "-" + Array.from(rnd, (b) => b.toString(16).padStart(2, "0")).join("") + "-" + (++seqNo);
  }

  $("reply-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const h = currentHandoff();
    const text = $("reply").value.trim();
    if (!h || !text) return;
    const m = { client_id: clientID("m"), text };
    conv(h.conversation_id).pending.set(m.client_id, m);
    $("reply").value = "";
    stopTyping();
    renderMessages();
    send({ type: "reply", conversation_id: h.conversation_id, client_id: m.client_id, text });
  });
  $("reply").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); $("reply-form").requestSubmit(); }
  });
  let typingSent = false, typingIdle = null;
  $("reply").addEventListener("input", () => {
    const h = currentHandoff();
    if (!mineNow(h)) return;
    if (!typingSent) { typingSent = true; send({ type: "typing", conversation_id: h.conversation_id, state: "start" }); }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, 3000);
  });
  function stopTyping() {
    const h = currentHandoff();
    clearTimeout(typingIdle);
    if (typingSent && h) send({ type: "typing", conversation_id: h.conversation_id, state: "stop" });
    typingSent = false;
  }

  $("transfer-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const h = currentHandoff();
    if (!h) return;
    const q = $("transfer-queue").value.trim(), a = $("transfer-agent").value.trim();
    const f = { type: "transfer", handoff_id: h.handoff_id };
    if (q) f.to_queue = q; else if (a) f.to_agent = a; else return;
    send(f);
  });
  $("resolve-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const h = currentHandoff();
    const summary = $("resolve-summary").value.trim();
    if (!h || !summary) return;
    const settled = $("resolve-settled").value.split("\n").map((s) => s.trim()).filter(Boolean);
    send({ type: "resolve", conversation_id: h.conversation_id, handoff_id: h.handoff_id, summary, settled, client_id: clientID("r") });
  });
  $("note-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const h = currentHandoff();
    const text = $("note").value.trim();
    if (!h || !text) return;
    send({ type: "note", conversation_id: h.conversation_id, text, client_id: clientID("n") });
    $("note").value = "";
  });

  // ---------- customer panel ----------
  function dl(target, rows) {
    const nodes = [];
    rows.forEach(([k, v]) => {
      if (v === undefined || v === null || v === "") return;
      nodes.push(el("dt", t(k)), el("dd", v));
    });
    target.replaceChildren(...nodes);
  }
  function pct(x) { return typeof x === "number" ? Math.round(x * 100) + "%" : ""; }
  function renderPanel() {
    const h = currentHandoff();
    if (!h) return;
    const c = conv(h.conversation_id);
    const p = c.pkg || {};
    const ins = p.insight || {};
    const cu = p.customer || {};
    $("p-summary").textContent = p.summary || h.summary || "";
    dl($("p-insight"), [["reason", h.reason], ["intent", ins.intent || h.intent], ["need", ins.need || h.need],
      ["risk", pct((ins.trajectory && ins.trajectory.escalation_risk) || h.escalation_risk)]]);
    renderMood(ins.trajectory && ins.trajectory.moods, ins.mood || h.mood);
    dl($("p-customer"), [["name", cu.name || h.customer_name], ["tier", cu.tier || h.tier], ["vip", (cu.vip || h.vip) ? "✓" : ""],
      ["ltv", cu.lifetime_value], ["orders_n", cu.orders], ["lifecycle", cu.lifecycle], ["churn", pct(cu.churn_risk)]]);
    $("p-orders").replaceChildren(...(cu.recent_orders || []).map((o) =>
      el("li", "#" + o.id + " · " + (o.status || "") + (o.total !== undefined ? " · " + o.total : "") + (o.items ? " · " + o.items.join(", ") : ""))));
    $("p-path").replaceChildren(...(cu.recent_path || []).map((v) => el("li", v.title || v.url)));
    $("p-memories").replaceChildren(...(p.memories || []).map((m) => el("li", m.text, { "data-kind": m.kind || "" })));
    $("p-suggestions").replaceChildren(...(p.suggestions || []).map((s) => {
      const li = el("li", s.text, { title: s.source || "" });
      li.addEventListener("click", () => {
        const box = $("reply");
        const at = box.selectionStart || box.value.length;
        box.value = box.value.slice(0, at) + s.text + box.value.slice(at);
        box.focus();
        box.dispatchEvent(new Event("input"));
      });
      return li;
    }));
    renderNotes();
  }
  function renderNotes() {
    const h = currentHandoff();
    if (!h) return;
    const p = conv(h.conversation_id).pkg || {};
    $("p-notes").replaceChildren(...(p.notes || []).map((n) => el("li", (n.agent_id ? n.agent_id + ": " : "") + n.text)));
  }

  // renderMood draws the mood trajectory as a small SVG line: valence per
  // turn from -1 (bottom) to 1 (top), each point labelled by its mood.
  function renderMood(moods, last) {
    const box = $("p-mood");
    const NS = "http://www.w3.org/2000/svg";
    const pts = (moods || []).filter((m) => typeof m.valence === "number");
    if (!pts.length) { box.replaceChildren(el("span", last || "—", { class: "mood", "data-mood": last || "" })); return; }
    const W = 300, H = 80, pad = 6;
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", t("mood"));
    const x = (i) => pts.length === 1 ? W / 2 : pad + i * (W - 2 * pad) / (pts.length - 1);
    const y = (v) => H / 2 - Math.max(-1, Math.min(1, v)) * (H / 2 - pad);
    const axis = document.createElementNS(NS, "line");
    axis.setAttribute("x1", "0"); axis.setAttribute("x2", String(W)); axis.setAttribute("y1", String(H / 2)); axis.setAttribute("y2", String(H / 2));
    axis.setAttribute("stroke", "#ccd"); axis.setAttribute("stroke-dasharray", "3 3");
    svg.appendChild(axis);
    const line = document.createElementNS(NS, "polyline");
    line.setAttribute("points", pts.map((m, i) => x(i).toFixed(1) + "," + y(m.valence).toFixed(1)).join(" "));
    line.setAttribute("fill", "none"); line.setAttribute("stroke", "#3b6df0"); line.setAttribute("stroke-width", "2");
    svg.appendChild(line);
    pts.forEach((m, i) => {
      const dot = document.createElementNS(NS, "circle");
      dot.setAttribute("cx", x(i).toFixed(1)); dot.setAttribute("cy", y(m.valence).toFixed(1)); dot.setAttribute("r", "3");
      dot.setAttribute("fill", m.valence < -0.3 ? "#b3261e" : m.valence > 0.3 ? "#2e8b57" : "#888");
      const title = document.createElementNS(NS, "title");
      title.textContent = (m.label || "") + " " + m.valence.toFixed(2);
      dot.appendChild(title);
      svg.appendChild(dot);
    });
    box.replaceChildren(svg, el("div", last || "", { class: "mood", "data-mood": last || "" }));
  }

  // ---------- approvals ----------
  async function loadApprovals() {
    $("approvals-error").textContent = "";
    const r = await api("GET", "api/approvals?status=pending");
    if (r.status !== 200) { $("approvals-error").textContent = t("unavailable"); return; }
    const list = (r.data && r.data.approvals) || [];
    if (!list.length) { $("approvals").replaceChildren(el("li", t("no_approvals"))); return; }
    $("approvals").replaceChildren(...list.map((d) => {
      const li = el("li", null, { "data-draft": d.id });
      li.appendChild(el("div", d.trigger + " · " + d.customer + " · " + (d.lang || ""), { class: "meta" }));
      const box = el("textarea", null, { rows: "3", maxlength: "4000" });
      box.value = d.text;
      li.appendChild(box);
      const buttons = el("div", null, { class: "buttons" });
      const act = (verb, label, body) => {
        const b = el("button", t(label), { type: "button", "data-verb": verb });
        b.addEventListener("click", async () => {
          const res = await api("POST", "api/approvals/" + encodeURIComponent(d.id) + "/" + verb, body());
          if (res.status === 200) li.remove(); else $("approvals-error").textContent = (res.data && res.data.error && res.data.error.message) || t("unavailable");
        });
        buttons.appendChild(b);
      };
      act("approve", "approve", () => ({}));
      act("edit", "save_edit", () => ({ text: box.value }));
      act("reject", "reject", () => ({}));
      li.appendChild(buttons);
      return li;
    }));
  }

  window.kairosConsole = { state };
  start();
})();
