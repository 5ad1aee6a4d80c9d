// Keyboard shortcuts of the console, listed in a help overlay ("?"). A plain key acts only
// when the focus is not in a text field; in a field the same key with Alt acts (so typing
// is never taken for a command). Keys are read by their position (event.code), so they are
// the same on every keyboard layout and input method.

import { h } from "../shared/dom.js";

// [code, what it does (label key), the key shown in the help]
const SHORTCUTS = [
  ["KeyJ", "keys.next", "J"],
  ["KeyK", "keys.prev", "K"],
  ["KeyA", "keys.join", "A"],
  ["KeyR", "keys.reply", "R"],
  ["KeyX", "keys.close", "X"],
  ["KeyS", "keys.search", "S"],
];

function typingIn(target) {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target.matches("input, textarea, select");
}

export class Shortcuts {
  constructor(con) {
    this.con = con;
    const tr = con.tr;
    this.dismiss = h("button", { type: "button", class: "con-keys__dismiss", "data-testid": "shortcuts-close", text: tr("keys.dismiss"), onclick: () => this.dialog.close() });
    const row = (keys, label) => [h("dt", {}, ...keys.map((k) => h("kbd", { text: k }))), h("dd", { text: tr(label) })];
    this.dialog = h(
      "dialog",
      { class: "con-keys", "aria-labelledby": "con-keys-title", "data-testid": "shortcuts-help" },
      h("h2", { id: "con-keys-title", text: tr("keys.title") }),
      h(
        "dl",
        { class: "con-keys__list" },
        ...SHORTCUTS.flatMap(([, label, key]) => row([key], label)),
        ...row(["?"], "keys.help"),
        ...row(["/"], "keys.replies"),
      ),
      h("p", { class: "con-hint", text: tr("keys.modifier") }),
      this.dismiss,
    );
    this.opener = h("button", { type: "button", class: "con-keys__open", "data-testid": "shortcuts-open", "aria-haspopup": "dialog", text: tr("keys.open"), onclick: () => this.help() });
    con.root.querySelector(".con-header").append(this.opener);
    con.root.append(this.dialog);
    document.addEventListener("keydown", (e) => this.onKey(e));
  }

  help() {
    if (!this.dialog.open) this.dialog.showModal();
    this.dismiss.focus();
  }

  onKey(e) {
    if (e.defaultPrevented || e.isComposing || e.ctrlKey || e.metaKey || this.dialog.open) return;
    const inField = typingIn(e.target);
    if (e.key === "Escape" && inField && !e.altKey) {
      e.target.blur(); // leave the field, so plain keys act again
      return;
    }
    if (inField !== e.altKey) return; // in a field: Alt + key; elsewhere: the key alone
    if (e.key === "?" || (e.altKey && e.code === "Slash" && e.shiftKey)) {
      e.preventDefault();
      this.help();
      return;
    }
    if (e.shiftKey) return;
    const entry = SHORTCUTS.find(([code]) => code === e.code);
    if (!entry) return;
    e.preventDefault();
    this.run(entry[1]);
  }

  run(action) {
    const con = this.con;
    switch (action) {
      case "keys.next":
      case "keys.prev":
        this.move(action === "keys.next" ? 1 : -1);
        break;
      case "keys.join": {
        const c = con.conversations.get(con.active);
        if (c && con.role === "agent" && !con.away && c.status === "open" && !c.agent_id) con.join(c.id);
        break;
      }
      case "keys.reply":
        if (!con.input.disabled) con.input.focus();
        break;
      case "keys.close":
        if (con.active && !con.closeButton.hidden) con.client.send({ type: "conversation.close", conversation_id: con.active });
        break;
      case "keys.search":
        document.querySelector("[data-testid=search-input]")?.focus();
        break;
    }
  }

  /** Shows the next (1) or previous (-1) conversation of the list, in its order on screen:
   * open conversations first (waiting, then in progress), closed ones after. */
  move(step) {
    const con = this.con;
    const ids = [...con.root.querySelectorAll("[data-testid=queue-item]")].map((li) => li.dataset.conversationId);
    const open = ids.filter((id) => con.conversations.get(id)?.status === "open");
    const order = open.length ? open : ids;
    if (!order.length) return;
    const at = order.indexOf(con.active);
    const next = at < 0 ? (step > 0 ? 0 : order.length - 1) : (at + step + order.length) % order.length;
    con.show(order[next]);
    con.root.querySelector(`[data-testid=queue-item][data-conversation-id="${CSS.escape(order[next])}"] .con-queue-open`)?.focus();
  }
}
