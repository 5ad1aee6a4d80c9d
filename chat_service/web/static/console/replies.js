// Saved replies in the composer: typing "/" (at the start or after a space) and a few
// letters opens a filtered list of the shop's replies (GET /api/replies, config/replies.toml)
// in both languages, the customer's language (when the conversation says it) or else the
// agent's first. Arrow keys move, Enter or Tab inserts the reply with its placeholders
// filled ({name}: the customer's display name, else their id; {agent}: the agent's id),
// Escape closes the list. The composer is an ARIA combobox controlling a listbox.

import { h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

const LIST_ID = "con-replies";
const MAX_SHOWN = 8;
const TRIGGER = /(^|\s)\/([^\s/]*)$/u; // "/" then the query, up to the caret
const LANG_NAMES = { en: "English", zh: "中文" };

export function fillPlaceholders(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export class SavedReplies {
  constructor(con) {
    this.con = con;
    this.replies = [];
    this.options = [];
    this.index = -1;
    this.list = h("ul", { id: LIST_ID, class: "con-replies", role: "listbox", "aria-label": con.tr("replies.label"), "data-testid": "saved-replies", hidden: true });
    this.status = h("p", { class: "sr-only", role: "status" });
    con.form.before(this.list, this.status);
    const input = con.input;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-haspopup", "listbox");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", LIST_ID);
    input.addEventListener("input", () => this.update());
    input.addEventListener("blur", () => this.close());
    // Capture on the form: these keys act on the list before the composer's own Enter
    // (send) handler sees them.
    con.form.addEventListener("keydown", (e) => this.onKey(e), true);
    this.load();
  }

  async load() {
    try {
      const response = await fetch("/api/replies", { headers: { Authorization: "Bearer " + this.con.token } });
      if (response.ok) this.replies = (await response.json()).replies;
    } catch {
      // no saved replies offered; the composer still works
    }
  }

  /** The languages to offer, preferred first: the customer's (when known), the agent's. */
  languages() {
    const c = this.con.conversations.get(this.con.active) || {};
    const customer = c.customer_lang || c.language || c.lang || null; // inbox: customer_lang
    const first = customer === "en" || customer === "zh" ? customer : this.con.lang;
    return [first, first === "en" ? "zh" : "en"];
  }

  values() {
    const c = this.con.conversations.get(this.con.active) || {};
    return { name: c.customer_name ?? c.customer_id ?? "", agent: this.con.sub };
  }

  query() {
    const input = this.con.input;
    const before = input.value.slice(0, input.selectionStart ?? input.value.length);
    const match = TRIGGER.exec(before);
    return match ? { text: match[2].toLowerCase(), start: before.length - match[2].length - 1, end: before.length } : null;
  }

  update() {
    const q = this.query();
    if (!q || !this.replies.length || this.con.input.disabled) {
      this.close();
      return;
    }
    const values = this.values();
    const options = [];
    for (const lang of this.languages()) {
      for (const reply of this.replies) {
        const title = reply.title[lang];
        const text = fillPlaceholders(reply.text[lang], values);
        const haystack = [reply.key, reply.title.en, reply.title.zh, text].join(" ").toLowerCase();
        if (!q.text || haystack.includes(q.text)) options.push({ key: reply.key, lang, title, text });
      }
    }
    this.options = options.slice(0, MAX_SHOWN);
    this.index = this.options.length ? 0 : -1;
    this.render();
  }

  render() {
    const tr = this.con.tr;
    const input = this.con.input;
    this.list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    if (!this.options.length) {
      this.list.replaceChildren(h("li", { class: "con-replies__none", role: "option", "aria-disabled": "true", id: `${LIST_ID}-none`, text: tr("replies.none") }));
      input.removeAttribute("aria-activedescendant");
      this.status.textContent = tr("replies.none");
      return;
    }
    this.list.replaceChildren(
      ...this.options.map((o, i) =>
        h(
          "li",
          {
            id: `${LIST_ID}-${i}`, role: "option", class: "con-replies__option", "aria-selected": String(i === this.index),
            "data-testid": "saved-reply", "data-key": o.key, "data-lang": o.lang, lang: o.lang === "zh" ? "zh-CN" : "en",
            onmousedown: (e) => {
              e.preventDefault(); // keep the focus in the composer
              this.index = i;
              this.choose();
            },
          },
          h("span", { class: "con-replies__title", text: o.title }),
          h("span", { class: "con-replies__lang", text: tr("replies.in", { lang: LANG_NAMES[o.lang] }) }),
          h("span", { class: "con-replies__text", text: o.text }),
        ),
      ),
    );
    input.setAttribute("aria-activedescendant", `${LIST_ID}-${this.index}`);
    this.status.textContent = tr("replies.count", { count: this.options.length });
  }

  close() {
    if (this.list.hidden) return;
    this.list.hidden = true;
    this.list.replaceChildren();
    this.options = [];
    this.index = -1;
    this.con.input.setAttribute("aria-expanded", "false");
    this.con.input.removeAttribute("aria-activedescendant");
  }

  onKey(e) {
    if (this.list.hidden || e.isComposing || e.altKey || e.ctrlKey || e.metaKey) return;
    const n = this.options.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!n) return;
      this.index = (this.index + (e.key === "ArrowDown" ? 1 : n - 1)) % n;
      this.render();
    } else if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey && n) {
      this.choose();
    } else if (e.key === "Escape") {
      this.close();
    } else {
      return;
    }
    e.preventDefault();
    e.stopPropagation();
  }

  choose() {
    const option = this.options[this.index];
    const q = this.query();
    if (!option || !q) return;
    const input = this.con.input;
    input.value = input.value.slice(0, q.start) + option.text + input.value.slice(q.end);
    const caret = q.start + option.text.length;
    input.setSelectionRange(caret, caret);
    this.close();
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }
}
