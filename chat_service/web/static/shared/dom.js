// Small DOM helpers. Text always goes in through textContent, never as HTML.

import { entityName, t } from "./i18n.js";

/** h("li", {class: "msg", dataset: {seq: 3}}, child, "text") */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "text") el.textContent = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el, ...children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** The message text with its sensitive findings shown as chips or marked values (`own`:
 * the viewer wrote it, so the chips speak to them).
 * Finding offsets are Python str offsets (code points), not UTF-16 units. */
export function messageText(lang, message, { own = false } = {}) {
  const frag = document.createDocumentFragment();
  const chars = Array.from(message.text || "");
  const spans = (message.findings || [])
    .filter((f) => f.sensitive)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  let cursor = 0;
  for (const f of spans) {
    if (f.start < cursor || f.end > chars.length) continue;
    frag.append(document.createTextNode(chars.slice(cursor, f.start).join("")));
    const value = chars.slice(f.start, f.end).join("");
    const name = entityName(lang, f.entity_type);
    if (value === `[${f.entity_type}]`) {
      const key = `masked.${message.consent || "hidden"}`;
      const ownKey = `${key}.own`; // the sender's own words: "you refused", not "the customer"
      const state = own && t(lang, ownKey) !== ownKey ? t(lang, ownKey) : t(lang, key);
      frag.append(
        h("span", {
          class: "chip chip--" + (message.consent || "hidden"),
          "data-testid": "masked-value",
          "data-entity": f.entity_type,
          "data-consent": message.consent || "hidden",
          text: t(lang, "masked.chip", { name, state }),
        }),
      );
    } else {
      frag.append(h("mark", { class: "pii", title: name, "data-entity": f.entity_type, text: value }));
    }
    cursor = f.end;
  }
  frag.append(document.createTextNode(chars.slice(cursor).join("")));
  return frag;
}

const timeFormats = new Map(); // language -> Intl.DateTimeFormat (one per message was most of a message's render)

export function timeOf(iso, lang) {
  const date = iso ? new Date(iso) : new Date();
  const locale = lang === "zh" ? "zh-CN" : "en";
  if (!timeFormats.has(locale)) timeFormats.set(locale, new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" }));
  return h("time", { datetime: date.toISOString(), text: timeFormats.get(locale).format(date) });
}

/** Make `parent`'s children exactly `wanted`, in order, moving or removing only the nodes
 * out of place (nodes already in place are not touched: no style or layout work for them). */
export function syncChildren(parent, wanted) {
  let cursor = parent.firstChild;
  for (const node of wanted) {
    if (node === cursor) cursor = cursor.nextSibling;
    else parent.insertBefore(node, cursor);
  }
  while (cursor) {
    const next = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
}

/** A random client_id: the idempotency key of one message. */
export function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Put a message item where its seq belongs: after every lower seq, before items that
 * have none yet (messages still in the outbox). */
export function placeBySeq(list, li, seq) {
  const last = list.lastElementChild;
  if (last && last !== li && last.dataset.seq && Number(last.dataset.seq) < seq) {
    list.append(li); // the usual case: the newest message, after every other
    return;
  }
  let before = null;
  for (const other of list.children) {
    if (other === li) continue;
    const otherSeq = other.dataset.seq ? Number(other.dataset.seq) : Infinity;
    if (otherSeq > seq) {
      before = other;
      break;
    }
  }
  if (before) list.insertBefore(li, before);
  else if (li.parentNode !== list || li.nextSibling) list.append(li);
}

/** Card numbers (Luhn-valid, 13-19 digits) and mainland ID numbers (GB 11643 check
 * digit): what an agent should be warned about before sending. */
export function sensitiveKind(text) {
  for (const match of text.matchAll(/\d[\d -]{11,22}\d/g)) {
    const digits = match[0].replace(/[ -]/g, "");
    if (digits.length >= 13 && digits.length <= 19 && luhn(digits)) return "card";
  }
  for (const match of text.matchAll(/(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])/g)) {
    if (residentIdValid(match[0])) return "id";
  }
  return null;
}

function luhn(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function residentIdValid(id) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(id[i]) * weights[i];
  return "10X98765432"[sum % 11] === id[17].toUpperCase();
}
