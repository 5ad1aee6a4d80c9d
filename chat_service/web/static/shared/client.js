// The WebSocket client both pages share: connects with the token in the
// Sec-WebSocket-Protocol header (never in a URL), reconnects with backoff, and keeps an
// outbox of unacknowledged messages in localStorage, keyed by client_id. A message leaves
// the outbox only when the server acknowledged it (message.ack, sent after the message is
// durably stored); after a reconnect every message still in the outbox is sent again with
// the same client_id, which the server stores at most once. Missed messages are fetched
// with history.fetch after the last seq seen in each conversation (see Conversations).

const SUBPROTOCOL = "chat-service.v1";
const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 15000;
// When the network returns while the socket still looks open, a ping must come back
// within this long, else the socket is taken for dead and replaced.
const PROBE_TIMEOUT_MS = 4000;

export class ChatClient extends EventTarget {
  /** base: the server's http(s) origin; storageKey: where this person's outbox lives;
   * lang: the language the page is shown in (a customer's is kept with their conversation). */
  constructor({ base, token, storageKey, lang = null }) {
    super();
    const url = new URL("/ws", base);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (lang) url.searchParams.set("lang", lang);
    this.url = url.href;
    this.token = token;
    this.storageKey = storageKey;
    this.ws = null;
    this.state = "connecting"; // connecting | open | offline | expired
    this.backoff = BACKOFF_START_MS;
    this.timer = null;
    this.probe = null; // the timer of a ping sent to check a socket that looks open
    this.outbox = this._loadOutbox();
    addEventListener("online", () => this.reconnectNow());
    addEventListener("offline", () => this._setState("offline"));
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.state === "expired") return;
    this._setState(navigator.onLine === false ? "offline" : "connecting");
    let ws;
    try {
      ws = new WebSocket(this.url, [SUBPROTOCOL, "bearer." + this.token]);
    } catch {
      this._scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.addEventListener("message", (event) => this._onFrame(event.data));
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (event.code === 1008 && /token/i.test(event.reason || "")) {
        this._setState("expired");
        return;
      }
      this._setState(navigator.onLine === false ? "offline" : "connecting");
      this._scheduleReconnect();
    });
  }

  /** The network is back (`online`): a socket still open is checked with a ping (its
   * pong makes the client open again and flushes the outbox); a closed one is replaced. */
  reconnectNow() {
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      this._probe(ws);
      return;
    }
    if (ws && ws.readyState === WebSocket.CONNECTING) return;
    this.backoff = BACKOFF_START_MS;
    this.connect();
  }

  _probe(ws) {
    clearTimeout(this.probe);
    this.probe = setTimeout(() => {
      this.probe = null;
      if (this.ws !== ws) return;
      this.ws = null; // dead while looking open: drop it and connect anew
      ws.close();
      this.backoff = BACKOFF_START_MS;
      this.connect();
    }, PROBE_TIMEOUT_MS);
    try {
      ws.send(JSON.stringify({ type: "ping" }));
    } catch {
      // the timer replaces it
    }
  }

  /** Any frame, sent only if the socket is open (true when sent). */
  send(frame) {
    if (this.state !== "open" || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** A message.send frame (with its client_id): kept in the outbox until acknowledged. */
  sendMessage(frame) {
    this.outbox.push({ client_id: frame.client_id, frame, state: "sending", error: null });
    this._saveOutbox();
    this.send(frame);
    this._emit("outbox", { client_id: frame.client_id });
  }

  /** Send an outbox entry again (its frame replaced by `frame` if given). */
  retry(clientId, frame = null) {
    const entry = this.outbox.find((e) => e.client_id === clientId);
    if (!entry) return;
    if (frame) entry.frame = frame;
    entry.state = "sending";
    entry.error = null;
    this._saveOutbox();
    this.send(entry.frame);
    this._emit("outbox", { client_id: clientId });
  }

  /** Change what an outbox entry will send (e.g. to no conversation), without sending. */
  replaceFrame(clientId, frame) {
    const entry = this.outbox.find((e) => e.client_id === clientId);
    if (!entry) return;
    entry.frame = frame;
    this._saveOutbox();
  }

  pending() {
    return this.outbox.slice();
  }

  _onFrame(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.type === "hello") {
      this.backoff = BACKOFF_START_MS;
      this._setState("open");
      this._emit("hello", frame); // listeners may still correct the outbox's frames
      this._flush();
      return;
    }
    if (frame.type === "pong" && this.probe) {
      clearTimeout(this.probe);
      this.probe = null;
      this._setState("open");
      this._flush();
    }
    if (frame.type === "message.ack") {
      this.outbox = this.outbox.filter((e) => e.client_id !== frame.client_id);
      this._saveOutbox();
    } else if (frame.type === "error" && frame.ref) {
      const entry = this.outbox.find((e) => e.client_id === frame.ref);
      if (entry) {
        entry.state = "failed";
        entry.error = { code: frame.code, message: frame.message };
        this._saveOutbox();
        this._emit("outbox", { client_id: frame.ref });
      }
    }
    this._emit("frame", frame);
    this._emit(frame.type, frame);
  }

  _flush() {
    for (const entry of this.outbox) {
      if (entry.state === "sending") this.send(entry.frame);
    }
  }

  _scheduleReconnect() {
    if (this.timer) return;
    const delay = this.backoff * (0.75 + Math.random() * 0.5);
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this._emit("state", { state });
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  _loadOutbox() {
    try {
      const saved = JSON.parse(localStorage.getItem(this.storageKey) || "[]");
      return Array.isArray(saved) ? saved : [];
    } catch {
      return [];
    }
  }

  _saveOutbox() {
    try {
      localStorage.setItem(this.storageKey, JSON.stringify(this.outbox));
    } catch {
      // storage full or disabled: the outbox still lives in memory
    }
  }
}

/** Messages of each conversation, kept in the server's seq order, with catch-up. */
export class Conversations {
  constructor(client) {
    this.client = client;
    this.byId = new Map(); // conversation_id -> Map(seq -> message)
  }

  messages(conversationId) {
    const found = this.byId.get(conversationId);
    return found ? [...found.values()].sort((a, b) => a.seq - b.seq) : [];
  }

  lastSeq(conversationId) {
    let last = 0;
    for (const seq of this.byId.get(conversationId)?.keys() || []) last = Math.max(last, seq);
    return last;
  }

  /** Store a message (new or updated); true if it was not known before. */
  put(message) {
    let found = this.byId.get(message.conversation_id);
    if (!found) {
      found = new Map();
      this.byId.set(message.conversation_id, found);
    }
    const isNew = !found.has(message.seq);
    found.set(message.seq, message);
    return isNew;
  }

  /** Ask for everything after the last seq we hold (after a reconnect, or on open). */
  catchUp(conversationId) {
    this.client.send({
      type: "history.fetch",
      conversation_id: conversationId,
      after_seq: this.lastSeq(conversationId),
    });
  }
}
