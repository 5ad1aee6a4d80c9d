// The inbox (issue 20, items 1-3; docs/inbox.md): the console's conversations named by the
// customer's display name, the views Mine / Unassigned / All (supervisors) / Closed with their
// counts, each row's last message (as the server rendered it for this viewer: masked), the
// waiting time since the customer's last unanswered message and the unanswered count, rows
// sorted by waiting time, and closed conversations kept after a reload (GET /api/inbox).
// Names, previews and shop fields are set with textContent only, never as HTML.

import { h } from "../shared/dom.js";

const WAITING_TICK_MS = 30000;
const MINUTE_MS = 60000;

/** What the console calls a conversation's customer: their name as the shop sent it. */
export function displayName(c) {
  return c?.customer_name ?? c?.customer_id ?? "";
}

/** The views this role has, in the order shown. */
function viewsOf(con) {
  return con.role === "supervisor" ? ["mine", "unassigned", "all", "closed"] : ["mine", "unassigned", "closed"];
}

/** The view switcher (a segmented control whose buttons carry the counts), to place above
 * the queue. No view pressed: every conversation, grouped (waiting, active, closed). */
export function countsLine(con) {
  con.inboxCounts = h("div", { class: "con-inbox-counts", role: "group", "aria-label": con.tr("inbox.views"), "data-testid": "inbox-counts" });
  con.inboxView = null;
  con.inboxMeta = new Map(); // id -> {last_message, waiting_since, unanswered}
  return con.inboxCounts;
}

function renderCounts(con, counts) {
  con.inboxCountsSeen = counts;
  const buttons = viewsOf(con).map((name) =>
    h("button", {
      type: "button", class: "con-view", "data-testid": "inbox-view", "data-view": name,
      "aria-pressed": String(con.inboxView === name),
      text: `${con.tr(`inbox.view.${name}`)} ${counts[name] ?? 0}`,
      onclick: () => {
        con.inboxView = con.inboxView === name ? null : name;
        renderCounts(con, con.inboxCountsSeen);
        con.renderQueue();
      },
    }),
  );
  const parts = [];
  buttons.forEach((b, i) => parts.push(...(i ? [" · ", b] : [b])));
  con.inboxCounts.replaceChildren(...parts);
}

/** The conversations of the pressed view (all of them when none is pressed). */
export function inView(con, rows) {
  switch (con.inboxView) {
    case "mine":
      return rows.filter((c) => c.status === "open" && c.agent_id === con.sub);
    case "unassigned":
      return rows.filter((c) => c.status === "open" && !c.agent_id);
    case "all":
      return rows.filter((c) => c.status === "open");
    case "closed":
      return rows.filter((c) => c.status !== "open");
    default:
      return rows;
  }
}

/** Longest waiting first, then the conversations not waiting, oldest first. */
export function sortRows(con, rows) {
  const since = (c) => con.inboxMeta?.get(c.id)?.waiting_since ?? null;
  return rows.sort((a, b) => {
    const wa = since(a);
    const wb = since(b);
    if (wa && wb) return wa.localeCompare(wb);
    if (wa || wb) return wa ? -1 : 1;
    return String(a.created_at).localeCompare(String(b.created_at));
  });
}

const formatters = new Map();

/** One Intl formatter per language and shape (building one per row was most of the queue's
 * render time). */
function formatter(lang, seconds) {
  const key = `${lang}:${seconds}`;
  if (!formatters.has(key)) {
    const opts = { hour: "2-digit", minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}) };
    formatters.set(key, new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en", opts));
  }
  return formatters.get(key);
}

/** When a conversation began: minutes, or seconds when another of the same customer's
 * conversations began in the same minute (so two never read the same). */
const minutes = new WeakMap(); // conversation object -> its start minute, formatted once

export function startedAt(con, c) {
  const others = [...con.conversations.values()].filter((o) => o.id !== c.id);
  return startTimesOf(con.lang, [...others, c]).get(c.id) ?? "";
}

/** Every conversation's start time as `startedAt` gives it, at once (id -> text): the
 * queue's render asks for all of them, and one pass over the conversations replaces a pass
 * per row. */
export function startTimes(con) {
  return startTimesOf(con.lang, [...con.conversations.values()]);
}

function startTimesOf(lang, conversations) {
  const all = conversations.filter((c) => c.created_at);
  const at = new Map();
  const same = new Map(); // customer and minute -> how many conversations began then
  for (const c of all) {
    if (!minutes.has(c)) minutes.set(c, formatter(lang, false).format(new Date(c.created_at)));
    const key = `${c.customer_id}\u0000${minutes.get(c)}`;
    same.set(key, (same.get(key) || 0) + 1);
  }
  for (const c of all) {
    const shared = same.get(`${c.customer_id}\u0000${minutes.get(c)}`) > 1;
    at.set(c.id, shared ? formatter(lang, true).format(new Date(c.created_at)) : minutes.get(c));
  }
  return at;
}

function waitingText(con, since) {
  const mins = Math.max(0, Math.floor((Date.now() - Date.parse(since)) / MINUTE_MS));
  const time = mins < 1 ? con.tr("inbox.under_min") : mins < 60 ? con.tr("inbox.mins", { n: mins }) : con.tr("inbox.hours", { h: Math.floor(mins / 60), m: mins % 60 });
  return con.tr("inbox.waiting", { time });
}

function previewOf(con, message) {
  if (!message) return "";
  if (message.text) return message.text;
  return con.tr(message.kind === "image" ? "attach.picture" : message.kind === "location" ? "location.shared" : "attach.file");
}

/** The customer's language as a label ("Chinese"), or "" when not known. */
export function langName(con, c) {
  return c?.customer_lang === "en" || c?.customer_lang === "zh" ? con.tr(`inbox.lang.${c.customer_lang}`) : "";
}

/** A row's customer language, preview, waiting time and unanswered count (inside the row's button). */
export function rowDetails(con, c) {
  const lang = langName(con, c);
  const langBadge = lang ? h("span", { class: "con-row-lang", "data-testid": "inbox-lang", "data-lang": c.customer_lang, text: lang }) : null;
  const meta = con.inboxMeta?.get(c.id);
  if (!meta) return [langBadge];
  const waiting = c.status === "open" && meta.waiting_since;
  return [
    langBadge,
    meta.last_message ? h("span", { class: "con-preview", "data-testid": "inbox-preview", text: previewOf(con, meta.last_message) }) : null,
    waiting ? h("span", { class: "con-waiting", "data-testid": "inbox-waiting", "data-since": meta.waiting_since, text: waitingText(con, meta.waiting_since) }) : null,
    waiting && meta.unanswered
      ? h("span", { class: "con-unanswered", "data-testid": "inbox-unanswered", text: con.tr("inbox.unanswered", { count: meta.unanswered }) })
      : null,
  ];
}

async function view(con, name) {
  const response = await fetch(`/api/inbox?view=${name}`, { headers: { Authorization: "Bearer " + con.token } });
  return response.ok ? response.json() : null;
}

const LIVE = ["conversation.opened", "conversation.assigned", "conversation.closed"];

/** Keep the counts, previews and waiting times live on the existing events. */
function wireLive(con) {
  if (con.inboxWired || !con.client) return;
  con.inboxWired = true;
  let pending = null;
  const recount = () => {
    clearTimeout(pending);
    pending = setTimeout(async () => {
      const mine = await view(con, "mine").catch(() => null);
      if (mine) renderCounts(con, mine.counts);
    }, 0);
  };
  for (const type of LIVE) con.client.addEventListener(type, recount);
  con.client.addEventListener("message.new", (e) => {
    const message = e.detail.message;
    if (!con.conversations.has(message.conversation_id)) return;
    const meta = con.inboxMeta.get(message.conversation_id) || { last_message: null, waiting_since: null, unanswered: 0 };
    if (meta.last_message && meta.last_message.seq >= message.seq) return;
    const fromCustomer = message.sender.role === "customer";
    con.inboxMeta.set(message.conversation_id, {
      last_message: message,
      waiting_since: fromCustomer ? (meta.waiting_since ?? message.created_at) : null,
      unanswered: fromCustomer ? meta.unanswered + 1 : 0,
    });
    con.renderSoon(); // once for this frame's handlers together
  });
  setInterval(() => {
    for (const el of con.queue.querySelectorAll("[data-testid=inbox-waiting]")) el.textContent = waitingText(con, el.dataset.since);
  }, WAITING_TICK_MS);
}

function keepMeta(con, body) {
  for (const row of body?.conversations || []) {
    con.inboxMeta.set(row.conversation.id, { last_message: row.last_message, waiting_since: row.waiting_since, unanswered: row.unanswered });
  }
}

/** Run `work` once the next frame has been painted (what the first paint does not need:
 * the closed view, the first conversation's history and panel); its promise. A hidden tab
 * paints no frames: then at once. */
export function afterPaint(work) {
  return new Promise((resolve, reject) => {
    const run = () => Promise.resolve().then(work).then(resolve, reject);
    if (document.hidden) run();
    else requestAnimationFrame(() => setTimeout(run, 0));
  });
}

/** The load on each hello (the socket is subscribed by then, so nothing opened meanwhile
 * is missed, and this one read is all the console needs): one request for the open views'
 * rows and every view's count (`view=open`: an agent's Mine and Unassigned, a supervisor's
 * All), rendered once by the caller; the closed view's first page (conversations closed
 * before this page loaded stay reachable) is asked for once the open rows are painted (so
 * the server and the page do not share the two first-paint moments' CPU with it) and added
 * when it arrives. Returns the open conversations in the server's list order, or null. */
export async function loadInbox(con) {
  const body = await view(con, "open").catch(() => null);
  if (!body) return null;
  // The server's list order: an agent's oldest first, a supervisor's newest first.
  const supervisor = con.role === "supervisor";
  const list = body.conversations.map((row) => row.conversation);
  list.sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)) * (supervisor ? -1 : 1));
  keepMeta(con, body);
  // First load: what the socket said since its hello is newer than this read; a reload
  // after a reconnect: the server's state wins over what the console kept.
  for (const c of list) if (con.inboxLoaded || !con.conversations.has(c.id)) con.conversations.set(c.id, c);
  renderCounts(con, body.counts);
  wireLive(con);
  con.inboxLoaded = true;
  afterPaint(() => view(con, "closed"))
    .catch(() => null)
    .then((closed) => {
      const rows = (closed?.conversations || []).filter((row) => !con.conversations.has(row.conversation.id));
      keepMeta(con, { conversations: rows });
      for (const row of rows) con.conversations.set(row.conversation.id, row.conversation);
      if (closed) renderCounts(con, closed.counts);
      if (rows.length) con.renderQueue();
    });
  return list;
}
