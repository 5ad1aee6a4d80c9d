// The customer chat widget: messages in the server's seq order, an offline outbox with a
// visible state per message, consent prompts in the customer's language, attachments,
// location, and the privacy menu (consents, withdrawal, export, deletion: policy 7).

import { fetchAttachment, upload } from "../shared/attachments.js";
import { ChatClient, Conversations } from "../shared/client.js";
import { h, messageText, newClientId, timeOf } from "../shared/dom.js";
import { areaVars, categoryList, categoryName, roleName, t } from "../shared/i18n.js";
import { chooseLang, langSwitch } from "../shared/langswitch.js"; // agent speed: language
import { readSession } from "../shared/session.js";
import { attachEndOfChat } from "./endofchat.js"; // teamwork: rating, transcript, notices

const TYPING_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 5000;
const NOTICE_SHOWN_MS = 8000; // an information or a confirmation; errors stay until dismissed

export function mountWidget(root, { base, lang: pageLang, open }) {
  const session = readSession();
  const lang = chooseLang(session.lang, pageLang, session.claims?.lang); // agent speed: the switch
  const tr = (key, vars) => t(lang, key, vars);
  const shell = h("div", { class: "csw", lang });
  root.append(shell);
  if (!session.token || !session.claims) {
    shell.append(h("p", { class: "csw-error", role: "alert", text: tr("error.token") }));
    return null;
  }
  return new Widget(shell, { base, lang, token: session.token, sub: session.claims.sub, open });
}

class Widget {
  constructor(shell, { base, lang, token, sub, open }) {
    this.base = base;
    this.lang = lang;
    this.token = token;
    this.sub = sub;
    this.tr = (key, vars) => t(lang, key, vars);
    this.convKey = `chat-service.conversation.${sub}`;
    this.conversationId = localStorage.getItem(this.convKey);
    this.client = new ChatClient({ base, token, storageKey: `chat-service.outbox.${sub}`, lang }); // inbox: language
    this.store = new Conversations(this.client);
    // The customer's conversations in the order they began: id -> {rank, status}. Messages
    // are keyed by (conversation, seq): a new conversation's seqs start at 1 again.
    this.convs = new Map();
    this.items = new Map(); // "m:<conversation>:<seq>" or "cid:<client_id>" -> li
    this.localFiles = new Map(); // attachment_id -> {name, url}
    this.unread = 0;
    this.lastTypingSent = 0;
    this.typingTimer = null;
    this.noticeTimer = null;
    this.build(shell);
    this.wire();
    attachEndOfChat(this); // teamwork (docs/teamwork.md)
    this.setOpen(open);
    for (const entry of this.client.pending()) this.showPending(entry);
    this.client.connect();
  }

  build(shell) {
    const tr = this.tr;
    this.badge = h("span", { class: "csw-badge", hidden: true, "data-testid": "unread-count" });
    this.launcher = h(
      "button",
      { type: "button", class: "csw-launcher", "aria-expanded": "false", "aria-controls": "csw-panel" },
      h("span", { text: tr("widget.open") }),
      this.badge,
    );
    this.status = h("p", { class: "csw-status", role: "status", "data-testid": "connection-state" });
    this.privacyButton = h("button", {
      type: "button", class: "csw-icon-button", "aria-expanded": "false", "aria-controls": "csw-privacy",
      "data-testid": "privacy-menu", text: tr("privacy.menu"),
    });
    this.closeButton = h("button", {
      type: "button", class: "csw-icon-button", "aria-label": tr("widget.close"), text: "×",
    });
    this.privacy = h("section", {
      id: "csw-privacy", class: "csw-privacy", hidden: true, "aria-labelledby": "csw-privacy-title",
    });
    this.list = h("ol", { class: "csw-list" });
    this.log = h(
      "div",
      { class: "csw-messages", role: "log", "aria-live": "polite", "aria-label": tr("widget.title"), tabindex: "0" },
      this.list,
    );
    this.typing = h("p", { class: "csw-typing", "aria-live": "polite" });
    this.consents = h("div", { class: "csw-consents" });
    this.noticeText = h("span", { class: "csw-notice__text" });
    this.notice = h(
      "div",
      { class: "csw-notice", role: "status", "data-testid": "widget-notice", hidden: true },
      this.noticeText,
      h("button", {
        type: "button", class: "csw-notice__dismiss", "data-testid": "notice-dismiss",
        "aria-label": tr("notice.dismiss"), text: "×", onclick: () => this.say(""),
      }),
    );
    // Everything between the header and the composer (but the notice line) scrolls as one:
    // the privacy panel, the messages and the consent prompts never push the header or the
    // composer away, and the messages stay reachable to their end.
    this.body = h(
      "div",
      { class: "csw-body" },
      this.privacy,
      h("p", { class: "csw-intro", text: tr("widget.intro") }),
      this.log,
      this.typing,
      this.consents,
    );
    this.fileInput = h("input", {
      type: "file", id: "csw-file", class: "csw-file", "data-testid": "attach-input", multiple: true,
      accept: "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain",
    });
    this.input = h("textarea", {
      id: "csw-input", class: "csw-input", rows: "2", "data-testid": "chat-input",
      placeholder: tr("composer.placeholder"), "aria-label": tr("composer.label"), maxlength: "8000",
    });
    this.sendButton = h("button", {
      type: "submit", class: "csw-send", "data-testid": "chat-send", text: tr("composer.send"),
    });
    this.locationButton = h("button", {
      type: "button", class: "csw-tool", "data-testid": "share-location",
      "aria-describedby": "csw-location-note", text: tr("location.share"),
    });
    this.form = h(
      "form",
      { class: "csw-composer" },
      h(
        "div",
        { class: "csw-tools" },
        h("label", { for: "csw-file", class: "csw-tool", text: tr("composer.attach") }),
        this.fileInput,
        this.locationButton,
      ),
      h("p", { id: "csw-location-note", class: "csw-hint", text: tr("location.note") }),
      h("div", { class: "csw-row" }, this.input, this.sendButton),
    );
    this.panel = h(
      "section",
      { id: "csw-panel", class: "csw-panel", role: "dialog", "aria-labelledby": "csw-title", hidden: true },
      h(
        "header",
        { class: "csw-header" },
        h("h2", { id: "csw-title", text: this.tr("widget.title") }),
        langSwitch(this.lang, { className: "csw-lang" }), // agent speed: language switch
        this.privacyButton,
        this.closeButton,
      ),
      this.status,
      this.body,
      this.notice,
      this.form,
      h("p", { class: "csw-drop", "aria-hidden": "true", text: tr("composer.drop") }),
    );
    shell.append(this.launcher, this.panel);
    this.showState(this.client.state);
  }

  wire() {
    const c = this.client;
    this.launcher.addEventListener("click", () => this.setOpen(this.panel.hidden));
    this.closeButton.addEventListener("click", () => this.setOpen(false));
    this.panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.setOpen(false);
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
    this.input.addEventListener("input", () => this.sendTyping());
    this.input.addEventListener("paste", (e) => {
      const files = [...(e.clipboardData?.files || [])];
      if (files.length) {
        e.preventDefault();
        this.sendFiles(files);
      }
    });
    this.fileInput.addEventListener("change", () => {
      this.sendFiles([...this.fileInput.files]);
      this.fileInput.value = "";
    });
    this.panel.addEventListener("dragover", (e) => {
      e.preventDefault();
      this.panel.classList.add("csw-dragging");
    });
    this.panel.addEventListener("dragleave", () => this.panel.classList.remove("csw-dragging"));
    this.panel.addEventListener("drop", (e) => {
      e.preventDefault();
      this.panel.classList.remove("csw-dragging");
      this.sendFiles([...(e.dataTransfer?.files || [])]);
    });
    this.locationButton.addEventListener("click", () => this.shareLocation());
    this.privacyButton.addEventListener("click", () => this.togglePrivacy());
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && !this.panel.hidden) this.setUnread(0);
    });

    c.addEventListener("state", (e) => this.showState(e.detail.state));
    c.addEventListener("outbox", (e) => this.refreshPending(e.detail.client_id));
    c.addEventListener("hello", (e) => this.onHello(e.detail));
    c.addEventListener("message.ack", (e) => this.onAck(e.detail));
    c.addEventListener("message.new", (e) => this.onMessage(e.detail.message, true));
    c.addEventListener("message.updated", (e) => this.onMessage(e.detail.message, false));
    c.addEventListener("history", (e) => {
      const frame = e.detail;
      for (const message of frame.messages) this.onMessage(message, false);
      if (frame.has_more) this.store.catchUp(frame.conversation_id);
    });
    c.addEventListener("typing", () => this.showTyping());
    c.addEventListener("consent.request", (e) => this.showConsent(e.detail));
    c.addEventListener("consent.recorded", (e) => this.onConsentRecorded(e.detail));
    c.addEventListener("conversation.closed", (e) => this.onClosed(e.detail));
    c.addEventListener("error", (e) => this.onError(e.detail));
  }

  setOpen(open) {
    this.panel.hidden = !open;
    this.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      this.setUnread(0);
      this.input.focus({ preventScroll: true });
    } else {
      this.launcher.focus({ preventScroll: true });
    }
  }

  setUnread(count) {
    this.unread = count;
    this.badge.hidden = count === 0;
    this.badge.textContent = String(count);
    this.badge.setAttribute("aria-label", this.tr("widget.unread", { count }));
  }

  showState(state) {
    const key = { open: "conn.online", offline: "conn.offline", expired: "conn.expired" }[state] || "conn.connecting";
    this.status.textContent = this.tr(key);
    this.status.dataset.state = state;
    for (const entry of this.client.pending()) this.refreshPending(entry.client_id);
  }

  /** A notice under the messages: kind "info", "success" (both leave by themselves) or
   * "error" (stays until dismissed or replaced); "" clears it. */
  say(text, kind = "error") {
    clearTimeout(this.noticeTimer);
    this.noticeTimer = null;
    this.noticeText.textContent = text;
    this.notice.hidden = !text;
    this.notice.dataset.kind = kind;
    if (text && kind !== "error") {
      this.noticeTimer = setTimeout(() => this.say(""), NOTICE_SHOWN_MS);
    }
  }

  // ---- the customer's conversations

  /** The server lists the customer's conversations (oldest first): history is fetched for
   * each (a closed one once); one it no longer has (deleted) is forgotten, with a notice. */
  onHello(hello) {
    if (!Array.isArray(hello.conversations)) {
      if (this.conversationId) this.store.catchUp(this.conversationId); // an older server
      return;
    }
    const listed = new Map(hello.conversations.map((c) => [c.id, c]));
    const oldest = hello.conversations.length ? this.convs.get(hello.conversations[0].id) : null;
    const gone = new Set();
    if (this.conversationId && !listed.has(this.conversationId)) gone.add(this.conversationId);
    for (const [id, conv] of this.convs) {
      // Not listed and not older than the list's oldest (the list holds the most recent).
      if (!listed.has(id) && (!oldest || conv.rank > oldest.rank)) gone.add(id);
    }
    for (const id of gone) this.forget(id, false);
    if (gone.size) this.say(this.tr("conversation.deleted"), "info");
    const ordered = new Map([...this.convs].filter(([id]) => !listed.has(id)));
    for (const c of hello.conversations) {
      ordered.set(c.id, { ...(this.convs.get(c.id) || { fetched: false }), status: c.status });
    }
    this.convs = ordered;
    let rank = 0;
    for (const conv of this.convs.values()) conv.rank = rank++;
    const open = hello.conversations.filter((c) => c.status === "open").pop();
    this.setCurrent(open ? open.id : null);
    for (const [id, conv] of this.convs) {
      if (!listed.has(id) || (conv.status === "closed" && conv.fetched)) continue;
      conv.fetched = true;
      this.store.catchUp(id);
    }
    this.resort();
  }

  known(id, status = "open") {
    let conv = this.convs.get(id);
    if (!conv) {
      conv = { rank: this.convs.size ? Math.max(...[...this.convs.values()].map((c) => c.rank)) + 1 : 0, status, fetched: true };
      this.convs.set(id, conv);
    }
    if (status === "closed") conv.status = "closed";
    return conv;
  }

  setCurrent(id) {
    this.conversationId = id;
    if (id) localStorage.setItem(this.convKey, id);
    else localStorage.removeItem(this.convKey);
  }

  /** A conversation the server no longer has: its messages leave the list, and the
   * outbox's messages addressed to it go to a new conversation instead. */
  forget(id, resend) {
    this.convs.delete(id);
    this.store.byId.delete(id);
    for (const [key, li] of this.items) {
      if (li.dataset.conversationId === id && li.dataset.seq) {
        li.remove();
        this.items.delete(key);
      }
    }
    if (this.conversationId === id) this.setCurrent(null);
    for (const entry of this.client.pending()) {
      if (entry.frame.conversation_id !== id) continue;
      const { conversation_id: _, ...frame } = entry.frame;
      const li = this.items.get("cid:" + entry.client_id);
      if (li) delete li.dataset.conversationId;
      if (resend) this.client.retry(entry.client_id, frame);
      else this.client.replaceFrame(entry.client_id, frame); // sent when the outbox is flushed
    }
  }

  onClosed(closed) {
    const conv = this.known(closed.conversation_id, "closed");
    conv.status = "closed";
    if (closed.conversation_id === this.conversationId) {
      this.setCurrent(null);
      this.typing.textContent = "";
      const key = closed.closed_by?.role === "customer" ? "conversation.closed_self" : "conversation.closed";
      this.say(this.tr(key), "info");
    }
    this.refreshDividers();
  }

  onError(error) {
    if (error.ref) {
      // A message addressed to a conversation that is gone (its data deleted): forget it
      // and send the message again, to a new conversation.
      const entry = this.client.pending().find((e) => e.client_id === error.ref);
      if (error.code === "conversation_not_found" && entry?.frame.conversation_id) {
        this.forget(entry.frame.conversation_id, true);
        this.say(this.tr("conversation.deleted"), "info");
        this.refreshDividers();
      }
      return;
    }
    if (error.code === "conversation_not_found") {
      this.say(this.tr("conversation.deleted"), "info");
      return;
    }
    this.say(error.message || this.tr("error.generic"));
  }

  // ---- sending

  sendText() {
    const text = this.input.value;
    if (!text.trim()) return;
    this.input.value = "";
    this.send({ kind: "text", text });
  }

  send(fields) {
    const frame = { type: "message.send", client_id: newClientId(), ...fields };
    if (this.conversationId) frame.conversation_id = this.conversationId;
    this.client.sendMessage(frame);
    this.showPending({ client_id: frame.client_id, frame, state: "sending" });
  }

  sendTyping() {
    const now = Date.now();
    if (!this.conversationId || now - this.lastTypingSent < TYPING_EVERY_MS) return;
    this.lastTypingSent = now;
    this.client.send({ type: "typing", conversation_id: this.conversationId });
  }

  async sendFiles(files) {
    for (const file of files) {
      this.say(this.tr("attach.uploading", { name: file.name || "" }), "info");
      let result;
      try {
        result = await upload(this.base, this.token, file, this.conversationId);
      } catch {
        this.say(this.tr("attach.failed"));
        continue;
      }
      if (result.status !== 200 && result.status !== 201) {
        const key = { 413: "attach.too_large", 415: "attach.type", 422: "attach.unreadable" }[result.status];
        this.say(key ? this.tr(key) : result.body?.error?.message || this.tr("attach.failed"));
        continue;
      }
      this.say("");
      const id = result.body.id;
      const type = result.body.content_type || file.type;
      this.localFiles.set(id, { name: file.name, url: type.startsWith("image/") ? URL.createObjectURL(file) : null });
      this.send({ kind: type.startsWith("image/") ? "image" : "file", attachment_id: id });
    }
  }

  shareLocation() {
    if (!navigator.geolocation) {
      this.say(this.tr("location.unavailable"));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        const location = { lat: pos.coords.latitude, lng: pos.coords.longitude };
        if (Number.isFinite(pos.coords.accuracy)) location.accuracy_m = Math.round(pos.coords.accuracy);
        this.send({ kind: "location", location });
      },
      () => this.say(this.tr("location.unavailable")),
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 },
    );
  }

  // ---- showing messages

  showPending(entry) {
    const li = this.renderItem({
      kind: entry.frame.kind,
      text: entry.frame.text ?? null,
      findings: [],
      location: entry.frame.location ?? null,
      attachment_id: entry.frame.attachment_id ?? null,
      sender: { role: "customer", id: this.sub },
    });
    li.dataset.clientId = entry.client_id;
    if (entry.frame.conversation_id) li.dataset.conversationId = entry.frame.conversation_id;
    this.items.set("cid:" + entry.client_id, li);
    this.list.append(li);
    this.refreshPending(entry.client_id);
    this.refreshDividers();
    this.scrollDown();
  }

  refreshPending(clientId) {
    const li = this.items.get("cid:" + clientId);
    const entry = this.client.pending().find((e) => e.client_id === clientId);
    if (!li || !entry) return;
    const state = entry.state === "failed" ? "failed" : this.client.state === "open" ? "sending" : "queued";
    this.setItemState(li, state, entry.error?.message);
  }

  setItemState(li, state, detail) {
    li.dataset.state = state === "queued" ? "sending" : state;
    const label = li.querySelector(".msg__state");
    label.replaceChildren(this.tr(`state.${state}`));
    if (state === "failed") {
      if (detail) label.append(" — ", detail);
      const clientId = li.dataset.clientId;
      label.append(
        " ",
        h("button", {
          type: "button", class: "csw-link", text: this.tr("state.retry"),
          onclick: () => this.client.retry(clientId),
        }),
      );
    }
  }

  onAck(ack) {
    const conv = this.known(ack.conversation_id);
    if (conv.status === "open" && ack.conversation_id !== this.conversationId) {
      this.setCurrent(ack.conversation_id);
    }
    const li = this.items.get("cid:" + ack.client_id);
    if (!li) return;
    this.items.delete("cid:" + ack.client_id);
    const key = itemKey(ack.conversation_id, ack.seq);
    const existing = this.items.get(key);
    if (existing && existing !== li) {
      li.remove(); // message.new came first
      this.refreshDividers();
      return;
    }
    li.dataset.seq = String(ack.seq);
    li.dataset.conversationId = ack.conversation_id;
    this.setItemState(li, "sent");
    this.items.set(key, li);
    this.place(li);
  }

  onMessage(message, live) {
    this.known(message.conversation_id);
    const isNew = this.store.put(message);
    const key = itemKey(message.conversation_id, message.seq);
    const pending = message.client_id ? this.items.get("cid:" + message.client_id) : null;
    const existing = this.items.get(key) || pending;
    const li = this.renderItem(message);
    li.dataset.seq = String(message.seq);
    li.dataset.conversationId = message.conversation_id;
    if (existing) {
      if (existing.dataset.clientId) li.dataset.clientId = existing.dataset.clientId;
      existing.replaceWith(li);
      if (pending) this.items.delete("cid:" + message.client_id);
    }
    this.items.set(key, li);
    this.place(li);
    if (message.sender.role === "customer") this.setItemState(li, "sent");
    if (live && isNew && message.sender.role !== "customer") {
      this.typing.textContent = "";
      if (this.panel.hidden || document.hidden) this.setUnread(this.unread + 1);
    }
    this.scrollDown();
  }

  /** Where an item belongs: by its conversation's rank, then seq; items still in the
   * outbox (no seq yet) stay at the end. */
  order(li) {
    if (!li.dataset.seq) return [Infinity, Infinity];
    const conv = this.convs.get(li.dataset.conversationId);
    return [conv ? conv.rank : Infinity, Number(li.dataset.seq)];
  }

  place(li) {
    const [rank, seq] = this.order(li);
    let before = null;
    for (const other of this.list.children) {
      if (other === li || other.classList.contains("csw-divider")) continue; // redrawn below
      const [otherRank, otherSeq] = this.order(other);
      if (otherRank > rank || (otherRank === rank && otherSeq > seq)) {
        before = other;
        break;
      }
    }
    if (before) this.list.insertBefore(li, before);
    else if (li.parentNode !== this.list || li.nextSibling) this.list.append(li);
    this.refreshDividers();
  }

  /** All items again in their order (after the conversations' order changed). */
  resort() {
    const items = [...this.list.children].filter((li) => !li.classList.contains("csw-divider"));
    const keyed = items.map((li, i) => [...this.order(li), i, li]);
    keyed.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    this.list.append(...keyed.map((k) => k[3]));
    this.refreshDividers();
  }

  /** Which conversation an item belongs to: a message still in the outbox addressed to no
   * conversation, or to a closed one, goes to the open one, else to a new one ("new"). */
  groupOf(li) {
    const id = li.dataset.conversationId;
    if (li.dataset.seq || (id && this.convs.get(id)?.status === "open")) return id;
    return this.conversationId || "new";
  }

  /** A divider where one conversation ended and the next began (and after the last one
   * once it is closed), so one history across conversations reads right. */
  refreshDividers() {
    for (const old of this.list.querySelectorAll(".csw-divider")) old.remove();
    const items = [...this.list.children];
    items.forEach((li, i) => {
      const group = this.groupOf(li);
      const next = items[i + 1];
      const ended = next ? this.groupOf(next) !== group : this.convs.get(group)?.status === "closed";
      if (!ended) return;
      li.after(
        h(
          "li",
          { class: "csw-divider", "data-testid": "conversation-divider" },
          h("span", { text: this.tr(next ? "conversation.divider" : "conversation.ended") }),
        ),
      );
    });
  }

  renderItem(message) {
    const mine = message.sender.role === "customer";
    const sender = mine ? this.tr("sender.you") : roleName(this.lang, message.sender.role);
    const body = h("div", { class: "msg__body" });
    this.renderBody(body, message);
    return h(
      "li",
      { class: "msg " + (mine ? "msg--mine" : "msg--theirs"), "data-testid": "chat-message", dataset: { kind: message.kind } },
      h("span", { class: "sr-only", text: sender + (this.lang === "zh" ? "：" : ": ") }),
      body,
      h("div", { class: "msg__meta" }, timeOf(message.created_at, this.lang), " ", h("span", { class: "msg__state" })),
    );
  }

  renderBody(body, message) {
    const lang = this.lang;
    if (message.kind === "location") {
      const loc = message.location;
      body.append(h("span", { class: "msg__label", text: this.tr("location.shared") + " " }));
      if (loc) {
        const accuracy = loc.accuracy_m != null ? ` (±${Math.round(loc.accuracy_m)} m)` : "";
        body.append(`${loc.lat.toFixed(5)}, ${loc.lng.toFixed(5)}${accuracy}`);
      } else if (message.location_area) {
        body.append(this.tr("location.area", areaVars(message.location_area)));
      }
    } else if (message.kind === "image" || message.kind === "file") {
      body.append(this.attachmentView(message));
    }
    if (message.text) body.append(messageText(lang, message, { own: message.sender.role === "customer" }));
  }

  attachmentView(message) {
    const box = h("span", { class: "msg__attachment" });
    const local = message.attachment_id ? this.localFiles.get(message.attachment_id) : null;
    const label = message.kind === "image" ? this.tr("attach.picture") : this.tr("attach.file");
    if (local?.url) {
      box.append(h("img", { src: local.url, alt: local.name || label }));
    } else if (local) {
      box.append(h("span", { class: "msg__label", text: `${label}: ${local.name}` }));
    } else if (message.attachment_id) {
      box.append(h("span", { class: "msg__label", text: label }));
      if (message.kind === "image") {
        fetchAttachment(this.base, this.token, message.attachment_id).then((got) => {
          if (got.status === "ok") box.replaceChildren(h("img", { src: got.url, alt: label }));
        }, () => {});
      }
    }
    return box;
  }

  scrollDown() {
    this.body.scrollTop = this.body.scrollHeight;
  }

  showTyping() {
    this.typing.textContent = this.tr("typing.agent");
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => {
      this.typing.textContent = "";
    }, TYPING_SHOWN_MS);
  }

  // ---- consent

  showConsent(request) {
    if (this.consents.querySelector(`[data-request-id="${CSS.escape(request.request_id)}"]`)) return;
    const titleId = "csw-consent-title-" + request.request_id;
    const noticeId = "csw-consent-notice-" + request.request_id;
    const guardian = request.guardian_required
      ? h(
          "fieldset",
          { class: "csw-guardian" },
          h("legend", { text: this.tr("consent.guardian") }),
          h("label", {}, this.tr("consent.guardian_name"), h("input", { name: "guardian_name", autocomplete: "name" })),
          h("label", {}, this.tr("consent.guardian_relationship"), h("input", { name: "guardian_relationship" })),
        )
      : null;
    const answer = (granted) => {
      const frame = { type: "consent.respond", request_id: request.request_id, granted };
      if (granted && guardian) {
        const name = guardian.querySelector("[name=guardian_name]").value.trim();
        const relationship = guardian.querySelector("[name=guardian_relationship]").value.trim();
        if (!name || !relationship) {
          guardian.querySelector("input").focus();
          return;
        }
        frame.guardian = { name, relationship };
      }
      if (this.client.send(frame)) {
        for (const button of box.querySelectorAll("button")) button.disabled = true;
      }
    };
    const box = h(
      "section",
      {
        class: "csw-consent", role: "alertdialog", "aria-labelledby": titleId, "aria-describedby": noticeId,
        "data-testid": "consent-request", "data-request-id": request.request_id,
      },
      h("h3", { id: titleId, text: this.tr("consent.title") }),
      h("p", { id: noticeId, class: "csw-consent__notice", text: request.notice }),
      h("p", { class: "csw-consent__categories", text: categoryList(this.lang, request.categories) }),
      guardian,
      h(
        "div",
        { class: "csw-consent__actions" },
        h("button", { type: "button", class: "csw-primary", "data-testid": "consent-grant", text: this.tr("consent.grant"), onclick: () => answer(true) }),
        h("button", { type: "button", "data-testid": "consent-refuse", text: this.tr("consent.refuse"), onclick: () => answer(false) }),
      ),
    );
    this.consents.append(box);
    this.scrollDown();
    if (this.panel.hidden) this.setUnread(this.unread + 1);
  }

  onConsentRecorded(recorded) {
    if (recorded.request_id) {
      this.consents.querySelector(`[data-request-id="${CSS.escape(recorded.request_id)}"]`)?.remove();
    }
    const key = recorded.reason === "withdrawn" ? "consent.withdrawn"
      : recorded.reason === "expired" ? "consent.expired"
      : recorded.granted ? (recorded.agent_sees === false ? "consent.granted_hidden" : "consent.granted") : "consent.refused";
    const hidden = categoryList(this.lang, recorded.hidden_from_agent || []);
    this.say(this.tr(key, { categories: hidden }), "success");
    if (!this.privacy.hidden) this.loadPrivacy();
  }

  // ---- privacy menu (policy 7)

  togglePrivacy() {
    const show = this.privacy.hidden;
    this.privacy.hidden = !show;
    this.privacyButton.setAttribute("aria-expanded", String(show));
    if (show) {
      this.body.scrollTop = 0;
      this.loadPrivacy();
    }
  }

  async api(method, path) {
    const response = await fetch(new URL(path, this.base), {
      method, headers: { Authorization: "Bearer " + this.token }, credentials: "omit",
    });
    if (!response.ok) throw new Error(String(response.status));
    return response;
  }

  async loadPrivacy() {
    const tr = this.tr;
    const customer = encodeURIComponent(this.sub);
    const list = h("ul", { class: "csw-consent-list", "data-testid": "consent-list" });
    const exportSlot = h("p", { class: "csw-hint" });
    const deleteSlot = h("p", { class: "csw-hint", role: "status" });
    let confirmDelete = false;
    const deleteButton = h("button", {
      type: "button", class: "csw-danger", "data-testid": "privacy-delete", text: tr("privacy.delete"),
      onclick: async () => {
        if (!confirmDelete) {
          confirmDelete = true;
          deleteSlot.textContent = tr("privacy.delete_confirm");
          return;
        }
        try {
          const response = await this.api("POST", `/api/privacy/customers/${customer}/deletion-requests`);
          const filed = await response.json();
          const day = (iso) => new Date(iso).toLocaleDateString(this.lang === "zh" ? "zh-CN" : "en");
          deleteSlot.textContent = tr("privacy.deletion_filed", { received: day(filed.received_at), due: day(filed.due_at) });
        } catch {
          deleteSlot.textContent = tr("privacy.failed");
        }
      },
    });
    const exportButton = h("button", {
      type: "button", "data-testid": "privacy-export", text: tr("privacy.export"),
      onclick: async () => {
        try {
          const response = await this.api("GET", `/api/privacy/customers/${customer}/export`);
          const url = URL.createObjectURL(await response.blob());
          const link = h("a", { href: url, download: tr("privacy.export_file"), text: tr("privacy.export_file") });
          exportSlot.replaceChildren(tr("privacy.exported") + " ", link);
          link.click();
        } catch {
          exportSlot.textContent = tr("privacy.failed");
        }
      },
    });
    this.privacy.replaceChildren(
      h("h3", { id: "csw-privacy-title", text: tr("privacy.title") }),
      h("p", { class: "csw-hint", text: tr("privacy.policy") }),
      h("h4", { text: tr("privacy.consents") }),
      list,
      h("div", { class: "csw-privacy__actions" }, exportButton, deleteButton),
      exportSlot,
      deleteSlot,
    );
    try {
      const body = await (await this.api("GET", `/api/privacy/customers/${customer}/consents`)).json();
      if (!body.granted.length) list.append(h("li", { text: tr("privacy.none") }));
      for (const category of body.granted) {
        list.append(
          h(
            "li",
            {},
            categoryName(this.lang, category) + " ",
            h("button", {
              type: "button", "data-testid": "consent-withdraw", "data-category": category, text: tr("privacy.withdraw"),
              onclick: () => this.client.send({ type: "consent.withdraw", categories: [category] }),
            }),
          ),
        );
      }
    } catch {
      list.append(h("li", { text: tr("privacy.failed") }));
    }
  }
}

function itemKey(conversationId, seq) {
  return `m:${conversationId}:${seq}`;
}
