/* Tapeline trader dashboard: plain JS, no dependencies.
 * The JWT lives in memory only (a reload logs out). All data goes into the page through
 * textContent, never innerHTML. Decimals stay the gateway's strings; the chart alone
 * turns them into numbers, for pixel positions. */
"use strict";

const S = {
  token: null, accounts: [], ws: null, wsWanted: false,
  orders: new Map(), positions: new Map(), tickers: new Map(), exeq: [], alerts: [],
  pnl: new Map(), series: new Map(), dirty: new Set(), frame: 0, refresh: 0, seq: 0,
};
const $ = (id) => document.getElementById(id);

/* ---- REST ---------------------------------------------------------------- */
async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  if (S.token) headers.Authorization = "Bearer " + S.token;
  const response = await fetch(path, { ...options, headers });
  let body = null;
  try { body = await response.json(); } catch (_) { body = null; }
  if (response.status === 401 && S.token && path !== "/auth/token") logout("session expired: log in again");
  return { status: response.status, ok: response.ok, body };
}
const errorText = (answer) => {
  const b = answer.body || {};
  const details = Array.isArray(b.detail) ? b.detail.map((d) => Object.values(d).join(": ")).join("; ") : "";
  return `${answer.status} ${b.error || "request failed"}${details ? " (" + details + ")" : ""}`;
};

/* ---- login --------------------------------------------------------------- */
async function login(event) {
  event.preventDefault();
  const key = $("api-key").value.trim();
  $("login-error").textContent = "";
  const answer = await api("/auth/token", { method: "POST", body: JSON.stringify({ api_key: key }) });
  $("api-key").value = "";
  if (!answer.ok) { $("login-error").textContent = errorText(answer); return; }
  S.token = answer.body.access_token;
  $("login-panel").hidden = true;
  $("dashboard").hidden = false;
  $("logout").hidden = false;
  newClOrdId();
  connect();
  await loadAll();
}

function logout(message) {
  S.token = null; S.wsWanted = false;
  if (S.ws) S.ws.close();
  for (const m of [S.orders, S.positions, S.tickers, S.pnl, S.series]) m.clear();
  S.exeq = []; S.alerts = [];
  $("dashboard").hidden = true; $("login-panel").hidden = false; $("logout").hidden = true;
  $("who").textContent = "";
  $("login-error").textContent = typeof message === "string" ? message : "";
}

async function loadAll() {
  await Promise.all([loadOrders(), loadPositions(), loadPnl(), loadExeq(), loadAlerts(), loadTickers()]);
}
const keyOf = (...parts) => parts.join("\u0000");

async function loadOrders() {
  const a = await api("/orders");
  if (!a.ok) return;
  S.orders.clear();
  for (const row of a.body) S.orders.set(orderKey(row), row);
  mark("orders");
}
async function loadPositions() {
  const a = await api("/positions");
  if (!a.ok) return;
  S.positions.clear();
  for (const row of a.body) S.positions.set(keyOf(row.account, row.instrument), row);
  mark("positions");
}
async function loadPnl() {
  const [now, history] = await Promise.all([api("/pnl"), api("/dashboard/pnl-history")]);
  if (now.ok) for (const row of now.body) S.pnl.set(row.account, row);
  if (history.ok) {
    for (const row of history.body) S.series.set(row.account, (row.points || []).slice());
  }
  mark("pnl");
}
async function loadExeq() {
  const a = await api("/exeq");
  if (a.ok) { S.exeq = a.body; mark("exeq"); }
}
async function loadAlerts() {
  const a = await api("/alerts");
  $("alerts-note").textContent = a.ok ? "" : errorText(a);
  if (a.ok) { S.alerts = a.body; mark("alerts"); }
}
async function loadTickers() {
  const a = await api("/tickers");
  if (!a.ok) return;
  for (const row of a.body) S.tickers.set(row.instrument, row);
  mark("tickers");
}

/* ---- WebSocket ----------------------------------------------------------- */
function connect() {
  S.wsWanted = true;
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  S.ws = ws;
  ws.onopen = () => ws.send(JSON.stringify({ op: "auth", token: S.token }));
  ws.onmessage = (message) => {
    let frame;
    try { frame = JSON.parse(message.data); } catch (_) { return; }
    if (frame.type === "welcome") {
      S.accounts = frame.accounts || [];
      $("who").textContent = `${frame.principal} · ${frame.role} · ${S.accounts.join(", ")}`;
      fillList("accounts", S.accounts.filter((a) => a !== "*"));
      if (!$("t-account").value && S.accounts.length && S.accounts[0] !== "*") $("t-account").value = S.accounts[0];
      ws.send(JSON.stringify({ op: "subscribe", channels: ["ticks:*", "orders", "positions", "pnl", "alerts"] }));
    } else if (frame.type === "subscribed") {
      setLive(true);
      // anything committed between the REST load and the subscription
      loadAll().then(() => { document.body.dataset.synced = "yes"; });
    } else if (frame.type === "event") {
      onEvent(frame.channel, frame.data || {});
    }
  };
  ws.onclose = () => {
    setLive(false);
    delete document.body.dataset.synced;
    if (S.ws === ws) S.ws = null;
    if (S.wsWanted && S.token) setTimeout(() => { if (S.wsWanted && S.token && !S.ws) connect(); }, 2000);
  };
}
function setLive(on) {
  const badge = $("live");
  badge.textContent = on ? "live" : "offline";
  badge.className = "badge " + (on ? "on" : "off");
  badge.dataset.state = on ? "on" : "off";
}

const ORDER_STATUS = {
  order_accepted: "New", order_rejected: "Rejected", order_partially_filled: "PartiallyFilled",
  order_filled: "Filled", order_canceled: "Canceled", order_expired: "Expired",
};
const orderKey = (row) => keyOf(row.account, row.order_id || "cl:" + row.cl_ord_id);

function onEvent(channel, data) {
  const name = channel.split(":")[0];
  if (name === "orders") applyOrderEvent(data);
  else if (name === "positions") { S.positions.set(keyOf(data.account, data.instrument), data); mark("positions"); }
  else if (name === "pnl") applyPnl(data);
  else if (name === "alerts") { S.alerts.push(data); mark("alerts"); }
  else if (name === "ticks") applyTick(data);
}

function applyOrderEvent(e) {
  const key = orderKey(e);
  const row = Object.assign({}, S.orders.get(key) || { account: e.account, order_id: e.order_id });
  for (const f of ["cl_ord_id", "instrument", "side", "order_type", "tif", "qty", "limit_price",
                   "cum_qty", "leaves_qty", "avg_px", "arrival_mid"]) {
    if (e[f] !== undefined && e[f] !== null) row[f] = e[f];
  }
  if (e.kind === "order_replaced") row.status = e.leaves_qty && Number(e.leaves_qty) === 0 ? "Filled" : (row.cum_qty && Number(row.cum_qty) ? "PartiallyFilled" : "New");
  else if (ORDER_STATUS[e.kind]) row.status = ORDER_STATUS[e.kind];
  if (e.kind === "order_rejected") row.reject_reason = e.reason;
  if (e.kind === "order_canceled") row.leaves_qty = "0";
  row._via = "ws";
  if (!e.kind.endsWith("_rejected") || e.kind === "order_rejected") { S.orders.set(key, row); row._flash = true; }
  mark("orders");
  clearTimeout(S.refresh); // reconcile with the tables: exeq and the OMS's own row
  S.refresh = setTimeout(() => { loadExeq(); }, 400);
}

function applyPnl(row) {
  S.pnl.set(row.account, row);
  const point = row.last_point;
  if (point) {
    const points = S.series.get(row.account) || [];
    if (points.length && points[points.length - 1].ts >= point.ts) points[points.length - 1] = point;
    else points.push(point);
    if (points.length > 3600) points.splice(0, points.length - 3600);
    S.series.set(row.account, points);
  }
  mark("pnl");
}

function applyTick(t) {
  const row = Object.assign({}, S.tickers.get(t.instrument) || { instrument: t.instrument });
  if (t.bid !== undefined) { row.bid = t.bid; row.ask = t.ask; row.bid_size = t.bid_size; row.ask_size = t.ask_size; row.quote_ts = t.ts_event; }
  if (t.price !== undefined) { row.last_price = t.price; row.last_size = t.size ?? t.qty; row.trade_ts = t.ts_event; }
  S.tickers.set(t.instrument, row);
  mark("tickers");
}

/* ---- rendering (batched per animation frame) ------------------------------ */
function mark(what) {
  S.dirty.add(what);
  if (!S.frame) S.frame = requestAnimationFrame(render);
}
const COLUMNS = {
  orders: [["account"], ["cl_ord_id", "ClOrdID"], ["order_id", "order"], ["instrument"], ["side"], ["order_type", "type"], ["tif"], ["qty", "", 1], ["limit_price", "limit", 1], ["cum_qty", "filled", 1], ["leaves_qty", "leaves", 1], ["avg_px", "avg px", 1], ["status"], ["reject_reason", "reason"]],
  positions: [["account"], ["instrument"], ["qty", "", 1], ["avg_price", "avg price", 1], ["mark", "", 1], ["realized_pnl", "realized", 1], ["unrealized_pnl", "unrealized", 1], ["fills", "", 1]],
  pnl: [["account"], ["realized_pnl", "realized", 1], ["unrealized_pnl", "unrealized", 1], ["total_pnl", "total", 1], ["fees"]],
  exeq: [["account"], ["cl_ord_id", "ClOrdID"], ["instrument"], ["side"], ["order_qty", "qty", 1], ["cum_qty", "filled", 1], ["avg_px", "avg px", 1], ["arrival_mid", "arrival", 1], ["arrival_slippage_bps", "slip bps", 1], ["implementation_shortfall_bps", "IS bps", 1], ["effective_spread", "eff spread", 1], ["fill_rate", "fill rate", 1]],
  alerts: [["ts_event", "time"], ["account"], ["kind"], ["rule"], ["severity"], ["message"], ["reason"]],
  tickers: [["instrument"], ["bid", "", 1], ["ask", "", 1], ["last_price", "last", 1]],
};

function text(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${k} ${v}`).join(", ");
  return String(value);
}
function fmtTime(ns) {
  if (typeof ns !== "number" || !ns) return text(ns);
  return new Date(Math.floor(ns / 1e6)).toISOString().replace("T", " ").slice(0, 23);
}

function renderTable(id, columns, rows, rowKey) {
  const table = $(id);
  const head = document.createElement("thead");
  const tr = document.createElement("tr");
  for (const [field, label] of columns) {
    const th = document.createElement("th");
    th.textContent = label || field;
    tr.appendChild(th);
  }
  head.appendChild(tr);
  const body = document.createElement("tbody");
  for (const row of rows) {
    const r = document.createElement("tr");
    if (rowKey) r.dataset.key = rowKey(row);
    r.dataset.via = row._via || "rest";
    if (row._flash) { r.className = "flash"; delete row._flash; }
    for (const [field, , numeric] of columns) {
      const td = document.createElement("td");
      const value = row[field];
      td.textContent = field === "ts_event" ? fmtTime(value) : text(value);
      td.dataset.field = field;
      const classes = [];
      if (numeric) classes.push("num");
      if (field === "side" && (value === "buy" || value === "sell")) classes.push(value);
      if (field === "status" && /^[A-Za-z]+$/.test(String(value))) classes.push("status-" + value);
      if (classes.length) td.className = classes.join(" ");
      r.appendChild(td);
    }
    body.appendChild(r);
  }
  table.replaceChildren(head, body);
}

function render() {
  S.frame = 0;
  const dirty = S.dirty;
  S.dirty = new Set();
  if (dirty.has("orders")) {
    const rows = [...S.orders.values()].sort((a, b) => (b.ts_last || b.ts_accepted || 0) - (a.ts_last || a.ts_accepted || 0));
    renderTable("orders-table", COLUMNS.orders, rows.slice(0, 500), (r) => `${r.account}/${r.cl_ord_id}`);
  }
  if (dirty.has("positions")) renderTable("positions-table", COLUMNS.positions, [...S.positions.values()], (r) => `${r.account}/${r.instrument}`);
  if (dirty.has("exeq")) renderTable("exeq-table", COLUMNS.exeq, S.exeq.slice(-200).reverse());
  if (dirty.has("alerts")) renderTable("alerts-table", COLUMNS.alerts, S.alerts.slice(-200).reverse());
  if (dirty.has("tickers")) {
    const rows = [...S.tickers.values()];
    renderTable("tickers-table", COLUMNS.tickers, rows);
    fillList("instruments", rows.map((r) => r.instrument));
    if (!$("t-instrument").value && rows.length) $("t-instrument").value = rows[0].instrument;
  }
  if (dirty.has("pnl")) {
    renderTable("pnl-table", COLUMNS.pnl, [...S.pnl.values()]);
    drawChart();
  }
}

function fillList(id, values) {
  const list = $(id);
  const options = values.map((v) => { const o = document.createElement("option"); o.value = v; return o; });
  list.replaceChildren(...options);
}

/* ---- the PnL chart (canvas) ----------------------------------------------- */
const COLORS = ["#4c9aff", "#3fb27f", "#e0a34c", "#c77dff", "#e0575b", "#5ad1d1"];
function drawChart() {
  const canvas = $("pnl-chart");
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 640, height = canvas.clientHeight || 220;
  canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const series = [...S.series.entries()].filter(([, p]) => p.length);
  g.font = "11px system-ui, sans-serif";
  if (!series.length) {
    g.fillStyle = "#8593a3"; g.fillText("no PnL yet", 12, 20);
    $("pnl-now").textContent = "";
    return;
  }
  let t0 = Infinity, t1 = -Infinity, lo = 0, hi = 0;
  for (const [, points] of series) for (const p of points) {
    const v = Number(p.total_pnl);
    t0 = Math.min(t0, p.ts); t1 = Math.max(t1, p.ts); lo = Math.min(lo, v); hi = Math.max(hi, v);
  }
  if (hi === lo) { hi += 1; lo -= 1; }
  if (t1 === t0) { t0 -= 1e9; }
  const left = 64, right = width - 10, top = 10, bottom = height - 22;
  const x = (t) => left + (right - left) * (t - t0) / (t1 - t0);
  const y = (v) => bottom - (bottom - top) * (v - lo) / (hi - lo);
  g.strokeStyle = "#2a333d"; g.fillStyle = "#8593a3"; g.lineWidth = 1;
  for (const v of [lo, (lo + hi) / 2, hi]) {
    g.beginPath(); g.moveTo(left, y(v)); g.lineTo(right, y(v)); g.stroke();
    g.fillText(v.toPrecision(6), 4, y(v) + 4);
  }
  g.strokeStyle = "#5b6673"; g.beginPath(); g.moveTo(left, y(0)); g.lineTo(right, y(0)); g.stroke();
  g.fillStyle = "#8593a3";
  g.fillText(fmtTime(t0).slice(11, 19), left, height - 6);
  const end = fmtTime(t1).slice(11, 19);
  g.fillText(end, right - g.measureText(end).width, height - 6);
  const legend = [];
  series.forEach(([account, points], i) => {
    const color = COLORS[i % COLORS.length];
    g.strokeStyle = color; g.lineWidth = 2; g.beginPath();
    points.forEach((p, j) => {
      const px = x(p.ts), py = y(Number(p.total_pnl));
      if (j === 0) g.moveTo(px, py); else g.lineTo(px, py);
    });
    g.stroke();
    const last = points[points.length - 1];
    g.fillStyle = color; g.beginPath();
    g.arc(x(last.ts), y(Number(last.total_pnl)), 3, 0, 2 * Math.PI); g.fill();
    legend.push(`${account} ${points[points.length - 1].total_pnl}`);
  });
  $("pnl-now").textContent = legend.join(" · ");
}

/* ---- the order ticket ----------------------------------------------------- */
function newClOrdId() {
  S.seq += 1;
  $("t-clordid").value = `web-${Date.now().toString(36)}-${S.seq}`;
}
function syncType() {
  const limit = $("t-type").value === "limit";
  $("t-price").disabled = !limit;
  $("t-price").required = limit;
}
async function sendOrder(event) {
  event.preventDefault();
  const body = {
    account: $("t-account").value.trim(), cl_ord_id: $("t-clordid").value.trim(),
    instrument: $("t-instrument").value.trim(), side: $("t-side").value,
    order_type: $("t-type").value, qty: $("t-qty").value.trim(), tif: $("t-tif").value,
  };
  if (body.order_type === "limit") body.limit_price = $("t-price").value.trim();
  const box = $("decision");
  box.className = "decision"; box.textContent = "sending…";
  $("t-submit").disabled = true;
  try {
    const answer = await api("/orders", { method: "POST", body: JSON.stringify(body) });
    const d = answer.body || {};
    box.replaceChildren();
    const title = document.createElement("strong");
    const lines = [];
    if (d.status) {
      box.className = "decision " + (d.status === "accepted" ? "accepted" : d.status === "rejected" ? "rejected" : "other");
      box.dataset.status = d.status;
      title.textContent = `${d.status.toUpperCase()} ${d.cl_ord_id || body.cl_ord_id}`;
      if (d.order_id) lines.push(`order ${d.order_id}`);
      if (d.arrival_mid) lines.push(`arrival mid ${d.arrival_mid}`);
      if (d.reason) lines.push(`reason: ${d.reason}`);
      if (d.rule) lines.push(`rule ${d.rule}` + (d.limit ? ` (limit ${d.limit}, observed ${d.observed})` : ""));
    } else {
      box.className = "decision error";
      box.dataset.status = "error";
      title.textContent = "NOT SENT";
      lines.push(errorText(answer));
    }
    box.appendChild(title);
    for (const line of lines) { const div = document.createElement("div"); div.textContent = line; box.appendChild(div); }
    if (d.status) newClOrdId();
  } catch (error) {
    box.className = "decision error"; box.dataset.status = "error";
    box.textContent = "network error: " + String(error);
  } finally {
    $("t-submit").disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", () => logout());
  $("ticket").addEventListener("submit", sendOrder);
  $("t-type").addEventListener("change", syncType);
  window.addEventListener("resize", () => mark("pnl"));
  syncType();
});
