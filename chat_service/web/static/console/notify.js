// What tells an agent something arrived: the number of unread customer messages in the page
// title ("(3) Agent console"), and, while the tab is hidden, a short tone (made with WebAudio,
// no sound file) and a desktop notification (Notification API) for a new conversation or
// message. Tone and notifications are switched on and off in the header, each remembered in
// localStorage; the browser's permission for notifications is asked when the agent turns
// them on (a user gesture), never on load.

import { h } from "../shared/dom.js";

const PREFS_KEY = "chat-service.console.notify";
const TONE_HZ = 880;
const TONE_SECS = 0.18;

function loadPrefs() {
  try {
    return { sound: true, desktop: false, ...JSON.parse(localStorage.getItem(PREFS_KEY) || "{}") };
  } catch {
    return { sound: true, desktop: false };
  }
}

export class Notifier {
  constructor(con) {
    this.con = con;
    this.prefs = loadPrefs();
    this.audio = null;
    const tr = con.tr;
    this.soundBox = h("input", { type: "checkbox", id: "con-notify-sound", "data-testid": "notify-sound", checked: this.prefs.sound });
    this.desktopBox = h("input", { type: "checkbox", id: "con-notify-desktop", "data-testid": "notify-desktop", checked: this.prefs.desktop && this.permission() === "granted" });
    this.note = h("span", { class: "con-notify__note", role: "status" });
    this.soundBox.addEventListener("change", () => {
      this.save({ sound: this.soundBox.checked });
      if (this.soundBox.checked) this.unlockAudio();
    });
    this.desktopBox.addEventListener("change", () => this.setDesktop(this.desktopBox.checked));
    con.root.querySelector(".con-header").append(
      h(
        "div",
        { class: "con-notify" },
        h("label", { for: "con-notify-sound" }, this.soundBox, " ", tr("notify.sound")),
        h("label", { for: "con-notify-desktop" }, this.desktopBox, " ", tr("notify.desktop")),
        this.note,
      ),
    );
    // Browsers start audio only after a user gesture: the first key or click unlocks it.
    const unlock = () => this.unlockAudio();
    document.addEventListener("pointerdown", unlock, { once: true });
    document.addEventListener("keydown", unlock, { once: true });
    const c = con.client;
    c.addEventListener("conversation.opened", (e) => {
      const conversation = e.detail.conversation;
      if (con.role === "agent" && con.away) return; // an away agent is not called
      this.alert(tr("notify.new_conversation", { name: conversation.customer_name ?? conversation.customer_id }), conversation.id);
    });
    c.addEventListener("message.new", (e) => {
      const message = e.detail.message;
      const conversation = con.conversations.get(message.conversation_id);
      if (message.sender.role !== "customer" || !conversation) return;
      if (con.role === "agent" && conversation.agent_id !== con.sub) return;
      this.alert(tr("notify.new_message", { name: conversation.customer_name ?? conversation.customer_id }), conversation.id);
    });
    con.root.addEventListener("console:render", () => this.title());
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && con.active && con.unread.get(con.active)) {
        con.unread.set(con.active, 0);
        con.renderQueue();
        con.renderTabs();
      }
    });
    this.title();
  }

  permission() {
    return typeof Notification === "undefined" ? "denied" : Notification.permission;
  }

  save(change) {
    this.prefs = { ...this.prefs, ...change };
    try {
      localStorage.setItem(PREFS_KEY, JSON.stringify(this.prefs));
    } catch {
      // storage disabled: the choice lasts for this page
    }
  }

  async setDesktop(on) {
    this.note.textContent = "";
    if (on && this.permission() !== "granted") {
      const answer = typeof Notification === "undefined" ? "denied" : await Notification.requestPermission();
      if (answer !== "granted") {
        this.desktopBox.checked = false;
        this.note.textContent = this.con.tr("notify.denied");
        this.save({ desktop: false });
        return;
      }
    }
    this.save({ desktop: on });
  }

  /** "(n) title" while customer messages are unread, the plain title otherwise. */
  title() {
    const count = [...this.con.unread.values()].reduce((a, b) => a + b, 0);
    document.title = count ? this.con.tr("title.unread", { count, title: this.con.title }) : this.con.title;
  }

  unlockAudio() {
    if (this.audio || typeof AudioContext === "undefined") return;
    try {
      this.audio = new AudioContext();
    } catch {
      this.audio = null;
    }
  }

  /** Tone and notification, only while the tab is hidden (the agent sees the page else). */
  alert(text, conversationId) {
    if (!document.hidden) return;
    if (this.prefs.sound) this.tone();
    if (this.prefs.desktop && this.permission() === "granted") {
      const note = new Notification(this.con.title, { body: text, tag: "chat-service-" + conversationId });
      note.onclick = () => {
        window.focus();
        this.con.show(conversationId);
        note.close();
      };
    }
  }

  tone() {
    const ctx = this.audio;
    if (!ctx) return;
    if (ctx.state === "suspended") ctx.resume();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = TONE_HZ;
    gain.gain.setValueAtTime(0.0001, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.2, ctx.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + TONE_SECS);
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + TONE_SECS);
  }
}
