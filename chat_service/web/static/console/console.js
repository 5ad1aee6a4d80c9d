// The agent console: a live queue, several conversations open at once (one shown at a
// time), join / answer / close, masked values as chips that fill in when the customer
// consents, redacted attachment previews, a warning before an agent sends a card or ID
// number; supervisors watch every open conversation, privacy officers see the report.

import { fetchAttachment } from "../shared/attachments.js";
import { ChatClient, Conversations } from "../shared/client.js";
import { h, messageText, newClientId, placeBySeq, sensitiveKind, syncChildren, timeOf } from "../shared/dom.js";
import { areaVars, categoryName, t } from "../shared/i18n.js";
import { readSession } from "../shared/session.js";
import { chooseLang, langSwitch } from "../shared/langswitch.js"; // agent speed
import { installSpeed } from "./speed.js"; // agent speed
import { attachTeamwork } from "./teamwork.js"; // teamwork: transfer, notes, tags, load
import { attachReplyEditor } from "./replies_editor.js"; // saved replies: supervisors edit them
import { searchBox } from "./search.js"; // search: the box above the queue
import { panelBox, showPanel } from "./panel.js"; // inbox: the customer panel
import { afterPaint, countsLine, displayName, inView, loadInbox, rowDetails, sortRows, startedAt, startTimes } from "./inbox.js"; // inbox (docs/inbox.md)

const TYPING_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 5000;

class Console {
  constructor(root, { token, claims, lang }) {
    this.root = root;
    this.token = token;
    this.role = claims.role;
    this.sub = claims.sub;
    this.lang = lang;
    this.tr = (key, vars) => t(lang, key, vars);
    this.base = location.origin;
    this.conversations = new Map(); // id -> conversation (public shape)
    this.lists = new Map(); // id -> <ol> of that conversation's messages
    this.items = new Map(); // id -> Map(key -> li)
    this.unread = new Map(); // id -> count
    this.open = []; // ids opened as tabs
    this.active = null;
    this.warned = null;
    this.lastTypingSent = 0;
    this.typingTimer = null;
    document.documentElement.lang = lang;
    this.title = t(lang, `console.title.${this.role}`);
    if (this.title === `console.title.${this.role}`) this.title = this.tr("console.title");
    document.title = this.title;
    this.build();
    if (this.role === "privacy_officer") {
      this.loadReport();
      return;
    }
    this.client = new ChatClient({ base: this.base, token, storageKey: `chat-service.outbox.${this.role}.${this.sub}` });
    this.store = new Conversations(this.client);
    // The socket first (its handshake and `hello`, after which the inbox is read, are the
    // first paint's critical path), then the listeners: no frame can arrive before this
    // constructor returns, so none is missed.
    this.client.connect();
    this.wire();
    installSpeed(this); // agent speed: replies, shortcuts, notifications, availability
    attachTeamwork(this); // teamwork (docs/teamwork.md)
    attachReplyEditor(this); // saved replies edited by supervisors (docs/agent-speed.md)
  }

  build() {
    const tr = this.tr;
    this.status = h("p", { class: "con-status", role: "status", "data-testid": "connection-state" });
    const header = h(
      "header",
      { class: "con-header" },
      h("h1", { text: this.title }),
      h("p", { class: "con-who", "data-testid": "signed-in-as", text: tr("console.role", { sub: this.sub, role: this.roleName(this.role) }) }),
      this.status,
    );
    header.append(langSwitch(this.lang, { className: "con-lang" })); // agent speed: language
    if (this.role === "privacy_officer") {
      this.report = h("section", { class: "con-report", "aria-labelledby": "con-report-title", "data-testid": "privacy-report" });
      header.append(h("a", { href: "/privacy/", class: "con-privacy-link", "data-testid": "privacy-office-link", text: tr("pw.console_link") })); // privacy workspace
      this.root.append(header, h("main", { class: "con-main con-main--report" }, this.report));
      return;
    }
    this.queue = h("div", { class: "con-queue" });
    this.tabs = h("div", { class: "con-tabs", role: "tablist", "aria-label": tr("console.mine") });
    this.paneTitle = h("h2", { id: "con-pane-title", class: "con-pane-title", "data-testid": "conversation-title", text: tr("console.pick") });
    this.closeButton = h("button", { type: "button", class: "con-close", hidden: true, "data-testid": "conversation-close", text: tr("console.close") });
    this.messagesSlot = h("div", { class: "con-messages", role: "log", "aria-live": "polite", tabindex: "0" });
    this.typing = h("p", { class: "con-typing", "aria-live": "polite" });
    this.notice = h("p", { class: "con-notice", role: "alert", "data-testid": "sensitive-warning" });
    this.input = h("textarea", {
      id: "con-input", rows: "3", class: "con-input", "data-testid": "chat-input",
      "aria-label": t(this.lang, "composer.label"), placeholder: t(this.lang, "composer.placeholder"), disabled: true,
    });
    this.sendButton = h("button", { type: "submit", class: "con-send", "data-testid": "chat-send", disabled: true, text: t(this.lang, "composer.send") });
    this.form = h("form", { class: "con-composer" }, this.input, this.sendButton);
    const pane = h(
      "section",
      { class: "con-pane", "aria-labelledby": "con-pane-title" },
      this.tabs,
      h("div", { class: "con-pane-head" }, this.paneTitle, this.closeButton),
      this.messagesSlot,
      this.typing,
      this.notice,
      this.role === "supervisor" ? h("p", { class: "con-hint", text: tr("console.readonly") }) : null,
      this.form,
    );
    const aside = h(
      "nav",
      { class: "con-side", "aria-labelledby": "con-queue-title" },
      searchBox(this), // search
      h("h2", { id: "con-queue-title", text: tr("console.conversations") }),
      countsLine(this), // inbox
      this.queue,
    );
    this.root.append(header, h("main", { class: "con-main" }, aside, pane, panelBox(this))); // inbox: panel
    this.renderQueue();
  }

  wire() {
    const c = this.client;
    c.addEventListener("state", (e) => this.showState(e.detail.state));
    this.showState(c.state);
    c.addEventListener("hello", () => {
      this.loadConversations(); // inbox: one read per hello (subscribed: nothing missed)
      for (const id of this.open) this.store.catchUp(id);
    });
    c.addEventListener("conversation.opened", (e) => this.upsert(e.detail.conversation));
    c.addEventListener("conversation.updated", (e) => {
      const found = this.conversations.get(e.detail.conversation.id);
      this.upsert({ ...(found || {}), ...e.detail.conversation });
    });
    c.addEventListener("conversation.assigned", (e) => {
      const { conversation_id: id, agent_id: agent } = e.detail;
      const found = this.conversations.get(id);
      if (!found) return;
      if (this.role === "agent" && agent !== this.sub) {
        this.forget(id);
        return;
      }
      this.upsert({ ...found, agent_id: agent });
    });
    c.addEventListener("conversation.closed", (e) => {
      const id = e.detail.conversation_id;
      const found = this.conversations.get(id);
      if (!found) return;
      this.conversations.set(id, { ...found, status: "closed" });
      this.closeTab(id);
    });
    c.addEventListener("message.new", (e) => this.onMessage(e.detail.message, true));
    c.addEventListener("message.updated", (e) => this.onMessage(e.detail.message, false));
    c.addEventListener("history", (e) => {
      for (const message of e.detail.messages) this.onMessage(message, false);
      if (e.detail.has_more) this.store.catchUp(e.detail.conversation_id);
    });
    c.addEventListener("message.ack", (e) => this.onAck(e.detail));
    c.addEventListener("outbox", (e) => this.refreshPending(e.detail.client_id));
    c.addEventListener("typing", (e) => {
      if (e.detail.conversation_id !== this.active || this.conversations.get(this.active)?.status !== "open") return;
      this.typing.textContent = this.tr("typing.customer");
      clearTimeout(this.typingTimer);
      this.typingTimer = setTimeout(() => (this.typing.textContent = ""), TYPING_SHOWN_MS);
    });
    c.addEventListener("warning", (e) => {
      if (e.detail.code === "sensitive_data_masked") this.notice.textContent = this.tr("console.masked_warning");
    });
    c.addEventListener("error", (e) => {
      if (!e.detail.ref) this.notice.textContent = e.detail.message;
    });
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.sendText();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.sendText();
      }
    });
    this.input.addEventListener("input", () => {
      this.warned = null;
      const now = Date.now();
      if (this.active && this.mayWrite(this.active) && now - this.lastTypingSent > TYPING_EVERY_MS) {
        this.lastTypingSent = now;
        this.client.send({ type: "typing", conversation_id: this.active });
      }
    });
    this.closeButton.addEventListener("click", () => {
      if (this.active) this.client.send({ type: "conversation.close", conversation_id: this.active });
    });
  }

  showState(state) {
    const key = { open: "conn.online", offline: "conn.offline", expired: "conn.expired" }[state] || "conn.connecting";
    this.status.textContent = t(this.lang, key);
    this.status.dataset.state = state;
  }

  async loadConversations() {
    try {
      const list = await loadInbox(this); // inbox: list, views and counts at once; one render
      if (!list) return;
      const first = !this.active && list[0]?.id; // inbox: shown after the rows' first paint
      this.renderQueue();
      if (first) afterPaint(() => !this.active && this.conversations.has(first) && this.show(first));
      if (this.active) this.renderPaneHead();
    } catch {
      // the live events still fill the queue
    }
  }

  // ---- the queue

  upsert(conversation) {
    this.conversations.set(conversation.id, conversation);
    this.renderQueue();
    if (!this.active) this.show(conversation.id);
    else if (conversation.id === this.active) this.renderPaneHead();
  }

  forget(id) {
    this.conversations.delete(id);
    this.open = this.open.filter((o) => o !== id);
    if (this.active === id) this.active = null;
    this.renderQueue();
    this.renderTabs();
    if (!this.active) this.renderPaneHead();
  }

  /** A closed conversation leaves the tabs (and its typing line goes); the queue keeps it
   * under "Closed", where it can still be read. */
  closeTab(id) {
    this.open = this.open.filter((o) => o !== id);
    if (this.active === id) {
      clearTimeout(this.typingTimer);
      this.typing.textContent = "";
    }
    this.renderQueue();
    this.renderTabs();
    if (id === this.active) this.renderPaneHead();
  }

  roleName(role) {
    const name = this.tr(`role.${role}`);
    return name === `role.${role}` ? role.replaceAll("_", " ") : name;
  }

  /** When a conversation began: minutes, or seconds when another of the same customer's
   * conversations began in the same minute (so two never read the same). */
  startedAt(c) {
    return startedAt(this, c); // inbox: formatters built once
  }

  /** "cust-1 · started 14:02", "· closed" once closed. */
  label(c) {
    const parts = [displayName(c), this.tr("console.started", { time: this.startedAt(c) })];
    if (c.status === "closed") parts.push(this.tr("console.closed_short"));
    return parts.join(" · ");
  }

  minorBadge(c) {
    return c?.minor ? h("span", { class: "con-minor", "data-testid": "minor-badge", text: this.tr("console.minor") }) : null;
  }

  /** The queue, brought up to date in place: a row is built again only when what it shows
   * changed (its signature), rows and groups are moved only when their order changed, and
   * the active row is marked without being rebuilt (a message no longer rebuilds 200 rows;
   * keyboard focus stays on its row). */
  renderQueue() {
    const tr = this.tr;
    const rows = sortRows(this, inView(this, [...this.conversations.values()])); // inbox: view, waiting
    if (!rows.length) {
      this.queue.replaceChildren(h("p", { class: "con-empty", text: tr("console.empty_queue") }));
      return;
    }
    const starts = startTimes(this); // inbox: every start time at once
    const groups = [
      ["waiting", rows.filter((c) => c.status === "open" && !c.agent_id)],
      ["active", rows.filter((c) => c.status === "open" && c.agent_id)],
      ["closed", rows.filter((c) => c.status !== "open")],
    ].filter(([, members]) => members.length);
    this.queueGroups ??= new Map(); // group -> {section, list}
    this.queueRows ??= new Map(); // id -> {signature, li, button}
    const shown = new Set();
    const sections = groups.map(([group, members]) => {
      let box = this.queueGroups.get(group);
      if (!box) {
        const list = h("ul", { class: "con-queue-list" });
        const section = h(
          "section",
          { class: "con-group", "data-group": group, "aria-labelledby": `con-group-${group}` },
          h("h3", { id: `con-group-${group}`, class: "con-group-title", "data-testid": "queue-heading", text: tr(`console.group.${group}`) }),
          list,
        );
        box = { section, list };
        this.queueGroups.set(group, box);
      }
      syncChildren(
        box.list,
        members.map((c) => {
          shown.add(c.id);
          return this.queueRow(c, starts.get(c.id) ?? "");
        }),
      );
      return box.section;
    });
    syncChildren(this.queue, sections);
    for (const id of this.queueRows.keys()) if (!shown.has(id)) this.queueRows.delete(id);
  }

  /** A conversation's row: the one already built while what it shows is the same. */
  queueRow(c, start) {
    const unread = this.unread.get(c.id) || 0;
    const canJoin = this.role === "agent" && c.status === "open" && !c.agent_id && !this.away; // away: agent speed
    const meta = this.inboxMeta?.get(c.id);
    const last = meta?.last_message;
    const signature = JSON.stringify([
      displayName(c), Boolean(c.minor), c.status, c.agent_id ?? null, c.customer_lang ?? null, start, unread, canJoin,
      meta ? [last?.seq ?? null, last?.kind ?? null, last?.text ?? null, meta.waiting_since ?? null, meta.unanswered ?? 0] : null,
    ]);
    let row = this.queueRows.get(c.id);
    if (row?.signature !== signature) {
      row = { signature, ...this.queueItem(c, start, unread, canJoin) };
      this.queueRows.set(c.id, row);
    }
    const active = c.id === this.active;
    if (row.active !== active) {
      row.active = active;
      row.li.classList.toggle("con-queue-item--active", active);
      if (active) row.button.setAttribute("aria-current", "true");
      else row.button.removeAttribute("aria-current");
    }
    return row.li;
  }

  queueItem(c, start, unread, canJoin) {
    const tr = this.tr;
    const state = c.status === "closed" ? tr("console.closed") : c.agent_id ? tr("console.assigned", { agent: c.agent_id }) : tr("console.waiting");
    const button = h(
      "button",
      { type: "button", class: "con-queue-open", onclick: () => this.show(c.id) },
      h("span", { class: "con-customer", text: displayName(c) }),
      this.minorBadge(c),
      h("span", { class: "con-state", text: tr("console.started", { time: start }) + " · " + state }),
      ...rowDetails(this, c), // inbox: preview, waiting time, unanswered
      unread ? h("span", { class: "con-unread", text: String(unread), "aria-label": t(this.lang, "widget.unread", { count: unread }) }) : null,
    );
    const li = h(
      "li",
      { class: "con-queue-item", "data-testid": "queue-item", "data-conversation-id": c.id, "data-status": c.status, "data-minor": String(Boolean(c.minor)) },
      button,
      canJoin
        ? h("button", { type: "button", class: "con-join", "data-testid": "conversation-join", text: tr("console.join"), onclick: () => this.join(c.id) })
        : null,
    );
    return { li, button, active: false };
  }

  join(id) {
    this.client.send({ type: "conversation.join", conversation_id: id });
    this.show(id);
  }

  // ---- the open conversations

  show(id) {
    if (!this.conversations.has(id)) return;
    if (!this.lists.has(id)) this.store.catchUp(id);
    if (!this.open.includes(id) && this.conversations.get(id).status === "open") this.open.push(id);
    this.active = id;
    this.unread.set(id, 0);
    clearTimeout(this.typingTimer);
    this.typing.textContent = "";
    this.notice.textContent = "";
    this.messagesSlot.replaceChildren(this.listOf(id));
    this.messagesSlot.setAttribute("aria-label", displayName(this.conversations.get(id)));
    this.renderTabs();
    this.renderQueue();
    this.renderPaneHead();
    showPanel(this, id); // inbox: the customer panel
  }

  listOf(id) {
    if (!this.lists.has(id)) {
      this.lists.set(id, h("ol", { class: "con-list" }));
      this.items.set(id, new Map());
    }
    return this.lists.get(id);
  }

  renderTabs() {
    this.tabs.replaceChildren(
      ...this.open.map((id) => {
        const c = this.conversations.get(id);
        const unread = this.unread.get(id) || 0;
        return h("button", {
          type: "button", role: "tab", class: "con-tab", "aria-selected": String(id === this.active), "data-testid": "conversation-tab",
          text: (c ? this.label(c) : id) + (unread ? this.tr("console.tab_unread", { count: unread }) : ""), onclick: () => this.show(id),
        });
      }),
    );
    this.root.dispatchEvent(new CustomEvent("console:render")); // agent speed: title count
  }

  mayWrite(id) {
    const c = this.conversations.get(id);
    return Boolean(c && c.status === "open" && this.role === "agent" && c.agent_id === this.sub);
  }

  renderPaneHead() {
    const c = this.active ? this.conversations.get(this.active) : null;
    const state = c ? (c.status === "closed" ? this.tr("console.closed") : c.agent_id ? this.tr("console.assigned", { agent: c.agent_id }) : this.tr("console.waiting")) : "";
    this.paneTitle.replaceChildren(...(c ? [`${this.label(c)} · ${state}`, this.minorBadge(c)] : [this.tr("console.pick")]).filter(Boolean));
    const writable = c ? this.mayWrite(c.id) : false;
    this.closeButton.hidden = !(c && c.status === "open" && (writable || this.role === "supervisor"));
    this.input.disabled = !writable;
    this.sendButton.disabled = !writable;
  }

  // ---- messages

  onMessage(message, live) {
    const id = message.conversation_id;
    if (!this.conversations.has(id)) return;
    const isNew = this.store.put(message);
    const list = this.listOf(id);
    const items = this.items.get(id);
    const key = "seq:" + message.seq;
    const pending = message.client_id ? items.get("cid:" + message.client_id) : null;
    const existing = items.get(key) || pending;
    const li = this.renderItem(message);
    li.dataset.seq = String(message.seq);
    if (existing) {
      existing.replaceWith(li);
      if (pending) items.delete("cid:" + message.client_id);
    }
    items.set(key, li);
    placeBySeq(list, li, message.seq);
    if (live && isNew && message.sender.role === "customer") {
      if (id === this.active && !document.hidden) this.typing.textContent = "";
      else {
        this.unread.set(id, (this.unread.get(id) || 0) + 1);
        this.renderSoon(true);
      }
    }
    if (id === this.active) this.scrollSoon();
  }

  /** The queue (and with `tabs` the tabs and the title's count) rendered once after the
   * current task's handlers, however many of them asked (a message's frame is handled by
   * the console, the inbox and the notifier in turn). */
  renderSoon(tabs = false) {
    this.soonTabs ||= tabs;
    if (this.soon) return;
    this.soon = true;
    queueMicrotask(() => {
      const withTabs = this.soonTabs;
      this.soon = this.soonTabs = false;
      this.renderQueue();
      if (withTabs) this.renderTabs();
    });
  }

  /** The shown conversation scrolled to its newest message in the next frame, before it is
   * painted: reading its height there uses the frame's own layout instead of forcing one
   * per message (a history of 50 messages forced 50). */
  scrollSoon() {
    if (this.scrollPending) return;
    this.scrollPending = true;
    const scroll = () => {
      this.scrollPending = false;
      this.messagesSlot.scrollTop = this.messagesSlot.scrollHeight;
    };
    if (document.hidden) queueMicrotask(scroll);
    else requestAnimationFrame(scroll);
  }

  sendText() {
    const id = this.active;
    const text = this.input.value;
    if (!id || !text.trim() || !this.mayWrite(id)) return;
    const kind = sensitiveKind(text);
    if (kind && this.warned !== text) {
      this.warned = text;
      this.notice.textContent = this.tr(kind === "card" ? "console.warn_card" : "console.warn_id");
      return;
    }
    this.warned = null;
    this.notice.textContent = "";
    this.input.value = "";
    const frame = { type: "message.send", client_id: newClientId(), conversation_id: id, kind: "text", text };
    this.client.sendMessage(frame);
    const li = this.renderItem({ kind: "text", text, findings: [], sender: { role: this.role, id: this.sub } });
    li.dataset.clientId = frame.client_id;
    li.dataset.state = "sending";
    this.items.get(id).set("cid:" + frame.client_id, li);
    this.listOf(id).append(li);
    this.refreshPending(frame.client_id);
  }

  onAck(ack) {
    const items = this.items.get(ack.conversation_id);
    const li = items?.get("cid:" + ack.client_id);
    if (!li) return;
    items.delete("cid:" + ack.client_id);
    if (items.has("seq:" + ack.seq)) {
      li.remove();
      return;
    }
    li.dataset.seq = String(ack.seq);
    li.dataset.state = "sent";
    li.querySelector(".msg__state").textContent = t(this.lang, "state.sent");
    items.set("seq:" + ack.seq, li);
    placeBySeq(this.listOf(ack.conversation_id), li, ack.seq);
  }

  refreshPending(clientId) {
    const entry = this.client.pending().find((e) => e.client_id === clientId);
    const id = entry?.frame.conversation_id;
    const li = id ? this.items.get(id)?.get("cid:" + clientId) : null;
    if (!li) return;
    const state = entry.state === "failed" ? "failed" : this.client.state === "open" ? "sending" : "queued";
    li.dataset.state = state === "queued" ? "sending" : state;
    const label = li.querySelector(".msg__state");
    label.textContent = t(this.lang, `state.${state}`) + (entry.error ? ` — ${entry.error.message}` : "");
  }

  renderItem(message) {
    const mine = message.sender.role !== "customer";
    const sender = message.sender.id === this.sub ? t(this.lang, "sender.you") : t(this.lang, `sender.${message.sender.role}`);
    const body = h("div", { class: "msg__body" });
    if (message.kind === "location") {
      body.append(h("span", { class: "msg__label", text: t(this.lang, "location.shared") + " " }));
      if (message.location) {
        const loc = message.location;
        body.append(`${loc.lat.toFixed(5)}, ${loc.lng.toFixed(5)}` + (loc.accuracy_m != null ? ` (±${Math.round(loc.accuracy_m)} m)` : ""));
      } else {
        if (message.location_area) body.append(t(this.lang, "location.area", areaVars(message.location_area)) + " ");
        body.append(messageText(this.lang, { text: "[GPS_COORDINATES]", consent: message.consent, findings: [{ entity_type: "GPS_COORDINATES", start: 0, end: 17, sensitive: true }] }));
      }
    } else if (message.kind === "image" || message.kind === "file") {
      body.append(this.attachmentView(message));
    }
    if (message.text) body.append(messageText(this.lang, { ...message, consent: this.chipState(message) }));
    return h(
      "li",
      { class: "msg " + (mine ? "msg--mine" : "msg--theirs"), "data-testid": "chat-message", dataset: { kind: message.kind, masked: String(Boolean(message.masked)) } },
      h("span", { class: "sr-only", text: sender + ": " }),
      body,
      h("div", { class: "msg__meta" }, timeOf(message.created_at, this.lang), " ", h("span", { class: "msg__state" })),
    );
  }

  /** The chip state of a message's masked values for this viewer: a value kept under the
   * customer's consent but still masked is one this role may not see (a child's data, for
   * agents: config/consent.toml [visibility]). */
  chipState(message) {
    if (message.consent !== "granted") return message.consent;
    const child = this.conversations.get(message.conversation_id)?.minor || (message.findings || []).some((f) => f.category === "minor");
    return child ? "hidden_minor" : "granted";
  }

  attachmentView(message) {
    const label = t(this.lang, message.kind === "image" ? "attach.picture" : "attach.file");
    const box = h("span", { class: "msg__attachment", "data-testid": "attachment-preview" }, h("span", { class: "msg__label", text: t(this.lang, "attach.loading") }));
    if (!message.attachment_id) return box;
    // The server says what this agent may get: available, redacted, withheld, held, destroyed.
    const status = message.attachment?.status ?? "available";
    const chip = (key) => h("span", { class: `chip chip--${status}`, "data-testid": "masked-value", text: t(this.lang, key) });
    if (status === "withheld" || status === "held" || status === "destroyed") {
      box.replaceChildren(chip(`attach.${status}`));
      return box;
    }
    fetchAttachment(this.base, this.token, message.attachment_id).then(
      (got) => {
        const shown = [];
        if (got.status === "ok" && got.type.startsWith("image/")) {
          shown.push(h("img", { src: got.url, alt: label }));
        } else if (got.status === "ok") {
          shown.push(h("a", { href: got.url, download: message.attachment?.name || message.attachment_id, text: message.attachment?.name || label }));
        } else {
          shown.push(chip(got.status === "held" ? "attach.held" : "attach.withheld"));
        }
        if (got.status === "ok" && status === "redacted") {
          // What happened to the original: awaiting consent, deleted, or kept but not for this role.
          const state = this.chipState(message);
          shown.push(chip(state && state !== "pending" ? `attach.redacted_${state}` : "attach.redacted"));
        }
        box.replaceChildren(...shown);
      },
      () => box.replaceChildren(chip("attach.withheld")),
    );
    return box;
  }

  // ---- the privacy officer's report

  async loadReport() {
    const tr = this.tr;
    const refresh = h("button", { type: "button", text: tr("console.refresh"), onclick: () => this.loadReport() });
    let body;
    try {
      const response = await fetch("/api/privacy/report", { headers: { Authorization: "Bearer " + this.token } });
      if (!response.ok) throw new Error(String(response.status));
      body = await response.json();
      this.status.textContent = "";
    } catch {
      this.report.replaceChildren(h("h2", { id: "con-report-title", text: tr("console.report") }), h("p", { role: "alert", text: tr("privacy.failed") }), refresh);
      return;
    }
    const open = body.deletion_requests?.open || [];
    const deletions = open.length
      ? h(
          "table",
          { class: "con-table", "data-testid": "deletion-requests" },
          h("thead", {}, h("tr", {}, ...["id", "customer", "status", "received", "due", "left"].map((c) => h("th", { scope: "col", text: tr(`report.${c}`) })))),
          h(
            "tbody",
            {},
            ...open.map((r) =>
              h(
                "tr",
                { class: r.overdue ? "con-overdue" : "" },
                h("td", { text: r.id }),
                h("td", { text: r.customer_id }),
                h("td", { text: t(this.lang, `request.${r.status}`) === `request.${r.status}` ? r.status : tr(`request.${r.status}`) }),
                h("td", { text: r.received_at ? new Date(r.received_at).toLocaleDateString() : "" }),
                h("td", { text: r.due_at ? new Date(r.due_at).toLocaleDateString() : "" }),
                h("td", { text: r.overdue ? tr("console.overdue") : r.working_days_left != null ? tr("console.days_left", { days: r.working_days_left }) : "" }),
              ),
            ),
          ),
        )
      : h("p", { text: tr("console.no_deletions") });
    const decisions = body.consents?.decisions_by_category || {};
    const consentRows = Object.entries(decisions).map(([category, counts]) =>
      h(
        "tr",
        {},
        h("th", { scope: "row", text: categoryName(this.lang, category) }),
        h("td", { text: Object.entries(counts).map(([d, n]) => tr("report.count", { decision: tr(`decision.${d}`), count: n })).join(this.lang === "zh" ? "，" : ", ") }),
      ),
    );
    this.report.replaceChildren(
      h("h2", { id: "con-report-title", text: tr("console.report") }),
      refresh,
      h("h3", { text: tr("console.deletions") }),
      deletions,
      h("h3", { text: tr("console.consents") }),
      h(
        "table",
        { class: "con-table", "data-testid": "consent-decisions" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col", text: tr("report.category") }), h("th", { scope: "col", text: tr("report.decisions") }))),
        h("tbody", {}, ...consentRows),
      ),
      h("p", { text: tr("console.holds", { count: body.legal_holds?.active_count ?? 0 }) }),
    );
  }
}

const session = readSession();
const root = document.getElementById("console-root");
const lang = chooseLang(session.lang, session.claims?.lang); // agent speed: the switch
if (!session.token || !session.claims) {
  root.append(h("p", { role: "alert", class: "con-error", text: t(lang, "error.token") }));
} else {
  new Console(root, { token: session.token, claims: session.claims, lang });
}
