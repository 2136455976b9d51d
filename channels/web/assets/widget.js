/*
 * Kairos chat widget. Add it to any page with
 *   <script src="https://your-kairos-host/widget.js" async></script>
 * It talks to the server it was loaded from over /ws (see docs/protocol.md),
 * keeps its state in localStorage and renders inside a shadow root so the
 * host page's styles neither leak in nor out. No build step, no external
 * requests.
 */
(function () {
  "use strict";
  if (window.kairos && window.kairos.version) {
    return; // loaded twice
  }

  var script = document.currentScript ||
    document.querySelector('script[src$="/widget.js"], script[src*="/widget.js?"]');
  var base = new URL(script ? script.src : "/widget.js", location.href);
  var WS_URL = base.origin.replace(/^http/, "ws") + "/ws";
  var MAX_TEXT = 4000;
  var MAX_TRANSCRIPT = 200;
  var KEY = "kairos:" + base.host + ":";

  var LANG = /^zh/i.test(navigator.language || "") ? "zh" : "en";
  var T = {
    zh: {
      title: "在线客服", open: "打开客服对话", close: "关闭", placeholder: "输入消息…", send: "发送",
      connecting: "连接中…", online: "在线", offline: "已断开，正在重连…", typing: "正在输入…",
      welcome: "您好！有什么可以帮您？", pending: "发送中", tooLong: "消息太长了（最多 4000 字）。",
      optOut: "关闭推荐", optIn: "开启推荐", optedOut: "已关闭推荐，我们不会再主动打扰您。", optedIn: "已开启推荐。",
      cesQuestion: "解决这个问题容易吗？", cesLow: "非常容易", cesHigh: "非常困难", cesThanks: "谢谢您的反馈！",
      cesDismiss: "不用了",
      errors: {
        rate_limited: "发送太快了，请稍等片刻。", invalid_message: "这条消息无法发送。",
        internal: "服务暂时出了点问题，我们会自动重试。", frame_too_large: "消息太长了。"
      }
    },
    en: {
      title: "Customer service", open: "Open chat", close: "Close", placeholder: "Type a message…", send: "Send",
      connecting: "Connecting…", online: "Online", offline: "Disconnected, reconnecting…", typing: "Typing…",
      welcome: "Hi! How can we help you today?", pending: "sending", tooLong: "That message is too long (4000 characters at most).",
      optOut: "Stop suggestions", optIn: "Allow suggestions", optedOut: "Suggestions are off; we won't reach out first again.", optedIn: "Suggestions are on.",
      cesQuestion: "How easy was it to get your issue resolved?", cesLow: "Very easy", cesHigh: "Very hard",
      cesThanks: "Thanks for your feedback!", cesDismiss: "No thanks",
      errors: {
        rate_limited: "You're sending messages too fast; please wait a moment.",
        invalid_message: "That message couldn't be sent.",
        internal: "Something went wrong on our side; we'll retry automatically.",
        frame_too_large: "That message is too long."
      }
    }
  }[LANG];

  // ---- storage (falls back to memory when localStorage is unavailable) ----
  var mem = {};
  function load(name, fallback) {
    var raw;
    try { raw = localStorage.getItem(KEY + name); } catch (e) { raw = mem[name]; }
    if (raw == null) return fallback;
    try { return JSON.parse(raw); } catch (e) { return fallback; }
  }
  function save(name, value) {
    var raw = JSON.stringify(value);
    try { localStorage.setItem(KEY + name, raw); } catch (e) { mem[name] = raw; }
  }

  var state = {
    token: load("token", ""),
    lastSeq: load("lastSeq", 0),
    transcript: load("transcript", []), // {seq, role, text, at, id, pending}
    optedOut: load("optedOut", false),   // the visitor turned proactive suggestions off
    outbox: load("outbox", []),         // unconfirmed messages {id, text, compose_ms, deletions}
    events: load("events", []),         // events waiting for a connection
    open: load("open", false),
    conversation: load("conversation", ""), // from hello; the survey is per conversation
    survey: load("survey", null)            // {conv, state: "offered"|"answered"|"dismissed", ces}
  };

  function rid(prefix) {
    var a = new Uint8Array(8);
    (window.crypto || window.msCrypto).getRandomValues(a);
    var s = "";
    for (var i = 0; i < a.length; i++) s += ("0" + a[i].toString(16)).slice(-2);
    return prefix + s;
  }

  // ---- DOM ----
  var CSS = [
    ":host{all:initial}",
    "*{box-sizing:border-box;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI','PingFang SC','Microsoft YaHei',sans-serif}",
    "#kairos-bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;cursor:pointer;",
    "background:#1f6feb;color:#fff;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483646;display:flex;align-items:center;justify-content:center}",
    "#kairos-bubble svg{width:26px;height:26px;fill:currentColor}",
    "#kairos-bubble[data-unread=true]::after{content:'';position:absolute;top:6px;right:6px;width:12px;height:12px;border-radius:50%;background:#e5534b;border:2px solid #fff}",
    "#kairos-panel{position:fixed;right:20px;bottom:88px;width:360px;max-width:calc(100vw - 24px);height:520px;max-height:calc(100vh - 110px);",
    "background:#fff;color:#1c2128;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden;z-index:2147483647}",
    "#kairos-panel[hidden]{display:none}",
    "header{background:#1f6feb;color:#fff;padding:12px 14px;display:flex;align-items:center;gap:8px}",
    "header h2{font-size:15px;margin:0;flex:1;font-weight:600}",
    "#kairos-status{font-size:12px;opacity:.9}",
    "#kairos-status::before{content:'';display:inline-block;width:8px;height:8px;border-radius:50%;margin-right:5px;background:#f0b72f}",
    "#kairos-status[data-state=online]::before{background:#3fb950}",
    "#kairos-status[data-state=offline]::before{background:#e5534b}",
    "#kairos-optout{background:none;border:1px solid rgba(255,255,255,.6);border-radius:10px;color:#fff;font-size:11px;padding:1px 6px;margin-right:6px;cursor:pointer}",
    "#kairos-close{background:none;border:0;color:#fff;font-size:20px;cursor:pointer;line-height:1}",
    "#kairos-messages{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f6f8fa}",
    ".kairos-msg{max-width:80%;padding:8px 11px;border-radius:12px;font-size:14px;line-height:1.45;white-space:pre-wrap;word-wrap:break-word}",
    ".kairos-msg[data-role=customer]{align-self:flex-end;background:#1f6feb;color:#fff;border-bottom-right-radius:4px}",
    ".kairos-msg[data-role=bot],.kairos-msg[data-role=agent]{align-self:flex-start;background:#fff;border:1px solid #d0d7de;border-bottom-left-radius:4px}",
    ".kairos-msg[data-role=agent]{border-color:#8250df}",
    ".kairos-msg[data-role=system],.kairos-notice{align-self:center;background:none;color:#57606a;font-size:12px;text-align:center}",
    ".kairos-msg[data-pending=true]{opacity:.65}",
    ".kairos-msg[data-streaming=true]::after{content:'▍';opacity:.6}",
    "#kairos-typing{font-size:12px;color:#57606a;padding:0 14px 6px;background:#f6f8fa;min-height:18px}",
    "#kairos-typing[hidden]{visibility:hidden;display:block}",
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #d0d7de;background:#fff}",
    "#kairos-input{flex:1;resize:none;border:1px solid #d0d7de;border-radius:8px;padding:8px;font-size:14px;height:40px;max-height:120px}",
    "#kairos-input:focus{outline:2px solid #1f6feb;border-color:transparent}",
    "#kairos-send{border:0;border-radius:8px;background:#1f6feb;color:#fff;padding:0 14px;font-size:14px;cursor:pointer}",
    "#kairos-send:disabled{opacity:.5;cursor:default}",
    "#kairos-survey{align-self:stretch;background:#fff;border:1px solid #d0d7de;border-radius:10px;padding:10px;font-size:13px;color:#1c2128}",
    "#kairos-survey p{margin:0 0 8px}",
    "#kairos-survey .kairos-scale{display:flex;gap:4px}",
    "#kairos-survey .kairos-scale button{flex:1;min-width:0;border:1px solid #d0d7de;border-radius:6px;background:#f6f8fa;padding:5px 0;font-size:13px;cursor:pointer}",
    "#kairos-survey .kairos-scale button:hover{background:#1f6feb;color:#fff;border-color:#1f6feb}",
    "#kairos-survey .kairos-ends{display:flex;justify-content:space-between;font-size:11px;color:#57606a;margin-top:3px}",
    "#kairos-survey-dismiss{background:none;border:0;color:#57606a;font-size:11px;cursor:pointer;padding:4px 0 0;text-decoration:underline}"
  ].join("\n");

  var host, root, els = {};

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }

  function build() {
    host = el("div", { id: "kairos-widget" });
    root = host.attachShadow({ mode: "open" });
    root.appendChild(el("style", {}, CSS));

    els.bubble = el("button", { id: "kairos-bubble", type: "button", "aria-label": T.open, "data-unread": "false" });
    els.bubble.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg>';
    els.panel = el("div", { id: "kairos-panel", role: "dialog", "aria-label": T.title });
    els.panel.hidden = true;

    var header = el("header");
    header.appendChild(el("h2", {}, T.title));
    els.status = el("span", { id: "kairos-status", "data-state": "connecting" }, T.connecting);
    header.appendChild(els.status);
    els.optout = el("button", { id: "kairos-optout", type: "button", "data-off": String(!!state.optedOut) }, state.optedOut ? T.optIn : T.optOut);
    header.appendChild(els.optout);
    els.close = el("button", { id: "kairos-close", type: "button", "aria-label": T.close }, "×");
    header.appendChild(els.close);

    els.list = el("div", { id: "kairos-messages", "aria-live": "polite" });
    els.typing = el("div", { id: "kairos-typing" }, T.typing);
    els.typing.hidden = true;

    els.form = el("form", { id: "kairos-form" });
    els.input = el("textarea", { id: "kairos-input", rows: "1", placeholder: T.placeholder, maxlength: String(MAX_TEXT * 2) });
    els.send = el("button", { id: "kairos-send", type: "submit" }, T.send);
    els.form.appendChild(els.input);
    els.form.appendChild(els.send);

    els.panel.appendChild(header);
    els.panel.appendChild(els.list);
    els.panel.appendChild(els.typing);
    els.panel.appendChild(els.form);
    root.appendChild(els.panel);
    root.appendChild(els.bubble);
    document.body.appendChild(host);

    els.bubble.addEventListener("click", function () { state.open ? closePanel() : openPanel(); });
    els.close.addEventListener("click", closePanel);
    els.optout.addEventListener("click", function () { optOut(!state.optedOut); });
    els.form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (send(els.input.value)) els.input.value = "";
    });
    els.input.addEventListener("input", onInput);
    els.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        if (send(els.input.value)) els.input.value = "";
      }
    });
    renderAll();
    if (state.open) openPanel();
  }

  // ---- rendering ----
  function bubbleFor(m) {
    var attrs = { "class": "kairos-msg", "data-role": m.role };
    if (m.seq) attrs["data-seq"] = String(m.seq);
    if (m.id) attrs["data-id"] = m.id;
    if (m.pending) attrs["data-pending"] = "true";
    if (m.at) attrs.title = new Date(m.at).toLocaleString();
    return el("div", attrs, m.text);
  }

  function renderAll() {
    els.list.textContent = "";
    if (!state.transcript.length) {
      els.list.appendChild(el("div", { "class": "kairos-notice", id: "kairos-welcome" }, T.welcome));
    }
    state.transcript.forEach(function (m) { els.list.appendChild(bubbleFor(m)); });
    var s = currentSurvey();
    if (s && s.state === "offered") els.list.appendChild(surveyCard());
    scrollDown();
  }

  function scrollDown() { els.list.scrollTop = els.list.scrollHeight; }

  function removeWelcome() {
    var w = root.getElementById("kairos-welcome");
    if (w) w.remove();
  }

  // insert adds a message to the transcript and the list, ordered by seq
  // (pending messages without a seq stay at the end).
  function insert(m) {
    removeWelcome();
    var node = bubbleFor(m);
    var at = state.transcript.length;
    if (m.seq) {
      while (at > 0 && (!state.transcript[at - 1].seq || state.transcript[at - 1].seq > m.seq)) at--;
    }
    state.transcript.splice(at, 0, m);
    var next = els.list.querySelectorAll(".kairos-msg:not([data-streaming])")[at];
    els.list.insertBefore(node, next || null);
    while (state.transcript.length > MAX_TRANSCRIPT) {
      state.transcript.shift();
      var first = els.list.querySelector(".kairos-msg:not([data-streaming])");
      if (first) first.remove();
    }
    save("transcript", state.transcript);
    scrollDown();
  }

  function notice(text) {
    var n = el("div", { "class": "kairos-notice" }, text);
    els.list.appendChild(n);
    scrollDown();
    setTimeout(function () { n.remove(); }, 8000);
  }

  function setStatus(s) {
    els.status.setAttribute("data-state", s);
    els.status.textContent = T[s];
  }

  var typingTimer;
  function showTyping(on) {
    els.typing.hidden = !on;
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(function () { els.typing.hidden = true; }, 8000);
  }

  function openPanel() {
    state.open = true;
    save("open", true);
    els.panel.hidden = false;
    els.bubble.setAttribute("data-unread", "false");
    scrollDown();
    els.input.focus();
  }
  function closePanel() {
    state.open = false;
    save("open", false);
    els.panel.hidden = true;
    // Closing the chat after an exchange ends it as far as the visitor is
    // concerned: the survey waits in the chat for the next time it opens.
    offerSurvey();
  }

  // ---- protocol ----
  var ws = null, ready = false, attempt = 0, reconnectTimer = null, ackTimer = null, pingTimer = null;

  function connect() {
    clearTimeout(reconnectTimer);
    var url = WS_URL + "?lang=" + LANG + "&since=" + (state.lastSeq | 0) +
      (state.token ? "&visitor=" + encodeURIComponent(state.token) : "");
    try { ws = new WebSocket(url); } catch (e) { scheduleReconnect(); return; }
    ready = false;
    setStatus("connecting");
    ws.onmessage = function (e) {
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      handle(f);
    };
    ws.onclose = function (e) {
      ready = false;
      ws = null;
      clearInterval(pingTimer);
      setStatus("offline");
      scheduleReconnect(e.code === 1008 ? 0 : undefined);
    };
  }

  function scheduleReconnect(delay) {
    if (delay === undefined) {
      var max = Math.min(30000, 500 * Math.pow(2, attempt));
      delay = max / 2 + Math.random() * max / 2; // exponential backoff with jitter
    }
    attempt++;
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, delay);
  }

  function raw(f) {
    if (!ws || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(f));
    return true;
  }

  function handle(f) {
    switch (f.type) {
      case "hello":
        ready = true;
        attempt = 0;
        state.token = f.visitor;
        save("token", f.visitor);
        if (f.conversation_id && f.conversation_id !== state.conversation) {
          state.conversation = String(f.conversation_id);
          save("conversation", state.conversation);
          var old = root.getElementById("kairos-survey");
          if (old) old.remove(); // a survey of an earlier conversation no longer applies
        }
        setStatus("online");
        state.outbox.forEach(function (m) { raw(messageFrame(m)); });
        sendIdentity();
        flushEvents();
        clearInterval(pingTimer);
        pingTimer = setInterval(function () { raw({ type: "ping" }); }, 25000);
        break;
      case "message": onMessage(f); break;
      case "delta": onDelta(f); break;
      case "typing": showTyping(true); break;
      case "receipt": onReceipt(f); break;
      case "identified": identity.customer = f.customer_id; break;
      case "error":
        if (/^identify_/.test(f.code)) {
          // The host site's integration is wrong or its signature old;
          // nothing the visitor can act on.
          if (window.console) console.warn("kairos.identify: " + f.code + ": " + f.message);
          break;
        }
        if (T.errors[f.code]) notice(T.errors[f.code]);
        break;
    }
  }

  function findSeq(seq) {
    for (var i = 0; i < state.transcript.length; i++) if (state.transcript[i].seq === seq) return state.transcript[i];
    return null;
  }

  function onMessage(f) {
    var stream = els.list.querySelector('.kairos-msg[data-streaming=true][data-seq="' + f.seq + '"]');
    if (stream) stream.remove();
    if (f.seq > state.lastSeq) {
      state.lastSeq = f.seq;
      save("lastSeq", f.seq);
    }
    scheduleAck();
    if (findSeq(f.seq)) return; // already shown (our own message, or a replay)
    if (f.role !== "customer") showTyping(false);
    insert({ seq: f.seq, role: f.role, text: f.text, at: f.at });
    if (f.role === "bot" || f.role === "agent") armSurvey();
    if (state.open || f.role === "customer") return;
    els.bubble.setAttribute("data-unread", "true");
    // A message that answers nothing is Kairos (or an agent) reaching out
    // first: open the chat so the customer sees it.
    if (!f.reply_to && !state.optedOut) openPanel();
  }

  // ---- proactive suggestions ----
  // The "stop suggestions" control. The choice is an event like any other
  // behaviour signal, so it reaches the proactive engine through the events
  // stream and is kept with the customer, on every device.
  function optOut(off) {
    state.optedOut = !!off;
    save("optedOut", state.optedOut);
    els.optout.textContent = off ? T.optIn : T.optOut;
    els.optout.setAttribute("data-off", String(!!off));
    event("proactive_opt_out", { opted_out: !!off });
    notice(off ? T.optedOut : T.optedIn);
  }

  function onDelta(f) {
    if (findSeq(f.seq)) return; // the final message is already here
    showTyping(false);
    removeWelcome();
    var b = els.list.querySelector('.kairos-msg[data-streaming=true][data-seq="' + f.seq + '"]');
    if (!b) {
      b = el("div", { "class": "kairos-msg", "data-role": "bot", "data-seq": String(f.seq), "data-streaming": "true" }, "");
      els.list.appendChild(b);
    }
    b.textContent += f.text;
    scrollDown();
  }

  function onReceipt(f) {
    state.outbox = state.outbox.filter(function (m) { return m.id !== f.id; });
    save("outbox", state.outbox);
    for (var i = 0; i < state.transcript.length; i++) {
      var m = state.transcript[i];
      if (m.id === f.id) {
        m.pending = false;
        m.seq = f.seq;
        var node = els.list.querySelector('.kairos-msg[data-id="' + cssEscape(f.id) + '"]');
        if (node) {
          node.removeAttribute("data-pending");
          node.setAttribute("data-seq", String(f.seq));
        }
      }
    }
    save("transcript", state.transcript);
  }

  function cssEscape(s) {
    return window.CSS && window.CSS.escape ? window.CSS.escape(s) : s.replace(/["\\]/g, "\\$&");
  }

  // Acks are debounced: the server stores the highest one anyway.
  function scheduleAck() {
    if (ackTimer) return;
    ackTimer = setTimeout(function () {
      ackTimer = null;
      if (state.lastSeq > 0) raw({ type: "ack", seq: state.lastSeq });
    }, 300);
  }

  // ---- public actions ----
  function send(text) {
    text = String(text == null ? "" : text).trim();
    if (!text) return false;
    if (Array.from(text).length > MAX_TEXT) {
      notice(T.tooLong);
      return false;
    }
    var m = { id: rid("c"), role: "customer", text: text, at: new Date().toISOString(), pending: true };
    customerActive();
    insert(m);
    var o = { id: m.id, text: text, compose_ms: compose.start ? Math.max(0, Date.now() - compose.start) : 0, deletions: compose.deletions };
    compose.start = 0;
    compose.deletions = 0;
    compose.len = 0;
    state.outbox.push(o);
    save("outbox", state.outbox);
    if (ready) raw(messageFrame(o));
    return true;
  }

  function messageFrame(o) {
    return { type: "message", id: o.id, text: o.text, compose_ms: o.compose_ms || 0, deletions: o.deletions || 0 };
  }

  // ---- composition signals ----
  // How long a message took to write and how much of it was deleted on the
  // way tell the mood analysis what words alone do not (hesitation,
  // rewriting an angry message). Only the two numbers leave the page.
  var compose = { start: 0, deletions: 0, len: 0 };

  function onInput(e) {
    clearTimeout(surveyTimer); // still writing: not quiet yet
    var len = els.input.value.length;
    if (!compose.start && len > 0) compose.start = Date.now();
    if (e && e.inputType && e.inputType.indexOf("delete") === 0 && len < compose.len) {
      compose.deletions += compose.len - len;
    }
    compose.len = len;
  }

  // ---- effort survey (CES) ----
  // Once per conversation the widget asks "how easy was it" on a 1–7 effort
  // scale (1 = very easy, 7 = very hard: lower is easier, as docs/metrics.md
  // and the demo seed read CES), after the conversation goes quiet: the bot or an agent
  // answered the customer and the customer has said nothing for
  // data-survey-idle seconds (default 60), or the customer closed the chat
  // after an exchange. The answer is the standard survey event
  // {ces, conversation_id}, with an id derived from the conversation so a
  // resend is stored once. data-survey="off" on the script tag turns it off.
  var SURVEY_OFF = !!(script && script.getAttribute("data-survey") === "off");
  var SURVEY_IDLE_MS = (function () {
    var v = Number(script && script.getAttribute("data-survey-idle"));
    return isFinite(v) && v > 0 ? Math.min(v, 86400) * 1000 : 60000;
  })();
  var surveyTimer = null;

  // currentSurvey is the survey record of this conversation, if any.
  function currentSurvey() {
    var s = state.survey;
    return s && s.conv === (state.conversation || "") ? s : null;
  }

  // exchanged: the customer wrote and the bot or an agent answered after.
  // "After" goes by seq, not by place in the list: a reply can arrive
  // before the receipt that gives the customer's message its seq.
  function exchanged() {
    var first = Infinity, customer = false, i, m;
    for (i = 0; i < state.transcript.length; i++) {
      m = state.transcript[i];
      if (m.role !== "customer") continue;
      customer = true;
      if (m.seq) first = Math.min(first, m.seq);
      else first = -Infinity; // still unconfirmed: any reply may answer it
    }
    if (!customer) return false;
    for (i = 0; i < state.transcript.length; i++) {
      m = state.transcript[i];
      if ((m.role === "bot" || m.role === "agent") && (m.seq || 0) > first) return true;
    }
    return false;
  }

  function armSurvey() {
    clearTimeout(surveyTimer);
    if (SURVEY_OFF || currentSurvey()) return;
    surveyTimer = setTimeout(offerSurvey, SURVEY_IDLE_MS);
  }

  function customerActive() {
    clearTimeout(surveyTimer);
    surveyTimer = null;
    // Writing again means the conversation is not over: an unanswered
    // survey card leaves (it was offered; it is not offered again).
    var s = currentSurvey();
    if (s && s.state === "offered") {
      s.state = "dismissed";
      save("survey", s);
      var card = root && root.getElementById("kairos-survey");
      if (card) card.remove();
    }
  }

  function offerSurvey() {
    clearTimeout(surveyTimer);
    surveyTimer = null;
    if (SURVEY_OFF || !els.list || currentSurvey() || !exchanged()) return;
    state.survey = { conv: state.conversation || "", state: "offered" };
    save("survey", state.survey);
    removeWelcome();
    els.list.appendChild(surveyCard());
    scrollDown();
  }

  function surveyCard() {
    var card = el("div", { id: "kairos-survey", role: "group", "aria-label": T.cesQuestion });
    card.appendChild(el("p", {}, T.cesQuestion));
    var scale = el("div", { "class": "kairos-scale" });
    for (var n = 1; n <= 7; n++) {
      var b = el("button", { type: "button", "data-ces": String(n), "aria-label": n + " / 7" }, String(n));
      b.addEventListener("click", answerSurvey.bind(null, n));
      scale.appendChild(b);
    }
    card.appendChild(scale);
    var ends = el("div", { "class": "kairos-ends" });
    ends.appendChild(el("span", {}, T.cesLow));
    ends.appendChild(el("span", {}, T.cesHigh));
    card.appendChild(ends);
    var dismiss = el("button", { id: "kairos-survey-dismiss", type: "button" }, T.cesDismiss);
    dismiss.addEventListener("click", function () {
      var s = currentSurvey();
      if (s) { s.state = "dismissed"; save("survey", s); }
      card.remove();
    });
    card.appendChild(dismiss);
    return card;
  }

  function answerSurvey(n) {
    var s = currentSurvey();
    if (!s || s.state !== "offered") return; // a double click sends once
    s.state = "answered";
    s.ces = n;
    save("survey", s);
    var props = { ces: n };
    if (s.conv) props.conversation_id = s.conv;
    var id = "ces-" + s.conv;
    if (!s.conv || id.length > 64) id = rid("ces-");
    event("survey", props, id);
    var card = root.getElementById("kairos-survey");
    if (card) card.remove();
    notice(T.cesThanks);
  }

  // ---- identify ----
  // The host site's signed user id. Kept in memory only: a signature is
  // valid for 10 minutes, so a page load signs a fresh one. It is sent after
  // every hello, so a reconnect links again (harmless when already linked).
  var identity = { frame: null, customer: "" };

  function identify(o) {
    o = o || {};
    var userId = o.userId == null ? "" : String(o.userId);
    var ts = Number(o.ts);
    var sig = String(o.sig || "");
    if (!userId || !isFinite(ts) || !/^[0-9a-fA-F]{64}$/.test(sig)) {
      if (window.console) console.warn("kairos.identify: need {userId, ts (unix seconds), sig (64 hex characters)}");
      return false;
    }
    identity.frame = { type: "identify", user_id: userId, ts: Math.floor(ts), sig: sig };
    identity.customer = "";
    sendIdentity();
    return true;
  }

  function sendIdentity() {
    if (ready && identity.frame) raw(identity.frame);
  }

  // ---- behaviour events ----
  var view = { id: rid("v"), start: Date.now(), leaves: 0, left: false };

  function event(name, props, id) {
    state.events.push({ name: name, props: props, id: id || rid("e") });
    if (state.events.length > 50) state.events = state.events.slice(-50);
    save("events", state.events);
    flushEvents();
  }

  function flushEvents() {
    if (!ready) return;
    while (state.events.length) {
      var ev = state.events[0];
      if (!raw({ type: "event", id: ev.id, name: ev.name, props: ev.props })) break;
      state.events.shift();
    }
    save("events", state.events);
  }

  function pageProps() {
    return { url: location.href, title: document.title, view_id: view.id };
  }

  function pageView() {
    var p = pageProps();
    p.referrer = document.referrer;
    p.dwell_ms = 0;
    event("page_view", p, "view-" + view.id);
  }

  function pageLeave() {
    if (view.left) return;
    view.left = true;
    view.leaves++;
    var p = pageProps();
    p.dwell_ms = Date.now() - view.start;
    event("page_leave", p, "leave-" + view.id + "-" + view.leaves);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") pageLeave();
    else view.left = false; // back on the page: a later leave reports the longer dwell
  });
  window.addEventListener("pagehide", pageLeave);

  function start() {
    build();
    pageView();
    var last = state.transcript[state.transcript.length - 1];
    if (last && (last.role === "bot" || last.role === "agent")) armSurvey();
    connect();
  }

  window.kairos = {
    version: 1,
    open: function () { if (els.panel) openPanel(); },
    close: function () { if (els.panel) closePanel(); },
    send: function (text) { return send(text); },
    status: function () { return els.status ? els.status.getAttribute("data-state") : "connecting"; },
    identify: function (o) { return identify(o); },
    customer: function () { return identity.customer; },
    optOut: function (off) { if (els.optout) optOut(off !== false); },
    // surveyState is "" (not offered yet), "offered", "answered" or
    // "dismissed" for the current conversation.
    surveyState: function () { var s = currentSurvey(); return s ? s.state : ""; }
  };
  // The script loads async: pages that identify wait for this event when
  // window.kairos is not there yet.
  try { window.dispatchEvent(new Event("kairos:ready")); } catch (e) { /* very old browsers */ }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
