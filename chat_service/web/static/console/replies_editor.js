// Saved replies edited by supervisors (docs/agent-speed.md): a "Saved replies" button in
// the header opens a dialog listing the shop's replies (GET /api/replies) with Edit and
// Delete, and a form to add or change one (shortcut, title and text in both languages;
// POST /api/replies, PUT / DELETE /api/replies/{key}). Every console, agents' included,
// fetches the replies again on `replies.changed`, so a change reaches the `/` list without
// a reload. Everything is set with textContent, never as HTML.

import { h } from "../shared/dom.js";

const FIELDS = [
  ["title", "en", "input"],
  ["title", "zh", "input"],
  ["text", "en", "textarea"],
  ["text", "zh", "textarea"],
];

export function attachReplyEditor(con) {
  con.client.addEventListener("replies.changed", () => {
    con.replies?.load();
    if (con.replyEditor?.dialog.open) con.replyEditor.refresh();
  });
  if (con.role !== "supervisor") return;
  con.replyEditor = new ReplyEditor(con);
}

class ReplyEditor {
  constructor(con) {
    this.con = con;
    const tr = con.tr;
    this.editing = null; // the key of the reply being changed, or null: a new one
    this.list = h("ul", { class: "con-reply-list", "data-testid": "reply-list" });
    this.status = h("p", { class: "con-reply-status", role: "status", "data-testid": "reply-status" });
    this.key = h("input", { id: "con-reply-key", class: "con-reply-input", required: true, maxlength: "40", pattern: "[a-z0-9][a-z0-9_\\-]{0,39}", "data-testid": "reply-key" });
    this.inputs = {};
    const rows = [h("label", { for: "con-reply-key", text: tr("replies_edit.key") }), this.key];
    for (const [part, lang, tag] of FIELDS) {
      const id = `con-reply-${part}-${lang}`;
      const input = h(tag, { id, class: "con-reply-input", required: true, maxlength: part === "title" ? "80" : "2000", rows: tag === "textarea" ? "3" : null, lang: lang === "zh" ? "zh-CN" : "en", "data-testid": `reply-${part}-${lang}` });
      this.inputs[`${part}.${lang}`] = input;
      rows.push(h("label", { for: id, text: tr(`replies_edit.${part}_${lang}`) }), input);
    }
    this.save = h("button", { type: "submit", class: "con-reply-save", "data-testid": "reply-save", text: tr("replies_edit.save") });
    const fresh = h("button", { type: "button", "data-testid": "reply-new", text: tr("replies_edit.new"), onclick: () => this.fill(null) });
    this.form = h("form", { class: "con-reply-form" }, h("div", { class: "con-reply-grid" }, ...rows), h("div", {}, this.save, " ", fresh));
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.formTitle = h("h3", { id: "con-reply-form-title", text: tr("replies_edit.add") });
    this.dialog = h(
      "dialog",
      { class: "con-reply-dialog", "aria-labelledby": "con-reply-title", "data-testid": "reply-editor" },
      h("h2", { id: "con-reply-title", text: tr("replies_edit.title") }),
      this.list,
      this.formTitle,
      this.form,
      this.status,
      h("button", { type: "button", "data-testid": "reply-editor-close", text: tr("replies_edit.close"), onclick: () => this.dialog.close() }),
    );
    const open = h("button", { type: "button", class: "con-reply-open", "data-testid": "replies-manage", text: tr("replies_edit.open"), onclick: () => this.open() });
    con.root.querySelector(".con-header")?.append(open);
    con.root.append(this.dialog);
  }

  headers(json = false) {
    const headers = { Authorization: "Bearer " + this.con.token };
    if (json) headers["Content-Type"] = "application/json";
    return headers;
  }

  open() {
    this.fill(null);
    this.status.textContent = "";
    this.dialog.showModal();
    this.refresh();
  }

  async refresh() {
    let replies = [];
    try {
      const response = await fetch("/api/replies", { headers: this.headers() });
      if (response.ok) replies = (await response.json()).replies;
    } catch {
      replies = [];
    }
    const tr = this.con.tr;
    const lang = this.con.lang;
    this.list.replaceChildren(
      ...replies.map((reply) =>
        h(
          "li",
          { "data-testid": "reply-item", "data-key": reply.key },
          h("span", { class: "con-reply-key", text: "/" + reply.key }),
          " ",
          h("span", { text: reply.title[lang] || reply.title.en }),
          " ",
          h("button", { type: "button", "data-testid": "reply-edit", "aria-label": tr("replies_edit.edit_one", { key: reply.key }), text: tr("replies_edit.edit"), onclick: () => this.fill(reply) }),
          " ",
          h("button", { type: "button", "data-testid": "reply-delete", "aria-label": tr("replies_edit.delete_one", { key: reply.key }), text: tr("replies_edit.delete"), onclick: () => this.remove(reply.key) }),
        ),
      ),
    );
  }

  /** Show `reply` in the form to change it, or an empty form to add one (null). */
  fill(reply) {
    this.editing = reply ? reply.key : null;
    this.key.value = reply ? reply.key : "";
    this.key.disabled = Boolean(reply);
    for (const [part, lang] of FIELDS) this.inputs[`${part}.${lang}`].value = reply ? reply[part][lang] : "";
    this.formTitle.textContent = this.con.tr(reply ? "replies_edit.change" : "replies_edit.add");
  }

  async submit() {
    const body = { title: {}, text: {} };
    for (const [part, lang] of FIELDS) body[part][lang] = this.inputs[`${part}.${lang}`].value;
    const editing = this.editing;
    if (!editing) body.key = this.key.value.trim();
    const url = editing ? `/api/replies/${encodeURIComponent(editing)}` : "/api/replies";
    await this.send(url, editing ? "PUT" : "POST", body);
  }

  async remove(key) {
    await this.send(`/api/replies/${encodeURIComponent(key)}`, "DELETE", null);
  }

  async send(url, method, body) {
    const tr = this.con.tr;
    this.save.disabled = true;
    try {
      const response = await fetch(url, { method, headers: this.headers(body !== null), body: body === null ? undefined : JSON.stringify(body) });
      if (response.ok) {
        this.status.textContent = tr(method === "DELETE" ? "replies_edit.deleted" : "replies_edit.saved");
        this.fill(null);
        await this.refresh();
      } else {
        const error = (await response.json().catch(() => null))?.error;
        this.status.textContent = error?.code === "reply_key_taken" ? tr("replies_edit.taken") : tr("replies_edit.invalid");
      }
    } catch {
      this.status.textContent = tr("error.generic");
    }
    this.save.disabled = false;
  }
}
