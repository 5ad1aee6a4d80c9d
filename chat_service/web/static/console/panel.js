// The customer panel beside the conversation (issue 20, items 2-3; docs/inbox.md): display
// name, child flag, the shop's fields as sent, consents on record, open privacy requests and
// the customer's conversations, the earlier ones opened to read their history
// (GET /api/conversations/{id}/customer). Everything is set with textContent, never as HTML.

import { h } from "../shared/dom.js";
import { categoryName } from "../shared/i18n.js";
import { displayName, langName } from "./inbox.js";

/** The panel's box, to place beside the conversation pane. */
export function panelBox(con) {
  con.panel = h("aside", { class: "con-panel", "aria-labelledby": "con-panel-title", "data-testid": "customer-panel", hidden: true });
  return con.panel;
}

function dateOf(con, iso) {
  return iso ? new Date(iso).toLocaleString(con.lang === "zh" ? "zh-CN" : "en", { dateStyle: "medium", timeStyle: "short" }) : "";
}

function statusName(con, status) {
  const name = con.tr(`request.${status}`);
  return name === `request.${status}` ? status : name;
}

function section(title, testid, items, empty) {
  return [
    h("h3", { class: "con-panel-sub", text: title }),
    items.length ? h("ul", { class: "con-panel-list", "data-testid": testid }, ...items) : h("p", { class: "con-panel-none", text: empty }),
  ];
}

/** Keep the panel live: when the shown conversation changes (`conversation.updated`: the
 * customer switched the widget's language, or a new token named them otherwise), it is read
 * and shown again. */
function wirePanel(con) {
  if (con.panelWired || !con.client) return;
  con.panelWired = true;
  con.client.addEventListener("conversation.updated", (e) => {
    const id = e.detail.conversation?.id;
    if (id && id === con.active && id === con.panelShown) showPanel(con, id);
  });
}

/** Show the panel of the customer of conversation `id` (the shown conversation). */
export async function showPanel(con, id) {
  if (!con.panel) return;
  wirePanel(con);
  let body = null;
  try {
    const response = await fetch(`/api/conversations/${encodeURIComponent(id)}/customer`, { headers: { Authorization: "Bearer " + con.token } });
    if (response.ok) body = await response.json();
  } catch {
    body = null;
  }
  if (con.active !== id) return; // another conversation was shown meanwhile
  if (!body) {
    con.panel.hidden = true;
    return;
  }
  const tr = con.tr;
  const fields = [
    [tr("panel.name"), displayName(body)],
    [tr("panel.customer_id"), body.customer_id],
    [tr("panel.lang"), langName(con, body) || tr("panel.lang_unknown")],
    [tr("panel.child"), tr(body.minor ? "panel.yes" : "panel.no")],
    ...Object.entries(body.customer_profile || {}),
  ];
  const consents = (body.consents || []).map((c) =>
    h("li", {
      "data-testid": "panel-consent",
      text: `${(c.categories || []).map((k) => categoryName(con.lang, k)).join(con.lang === "zh" ? "、" : ", ")} · ${tr(`decision.${c.decision}`)} · ${dateOf(con, c.at)}`,
    }),
  );
  const requests = (body.privacy_requests || []).map((r) =>
    h("li", { "data-testid": "panel-request", text: `${tr(`panel.kind.${r.kind}`)} · ${statusName(con, r.status)} · ${tr("panel.due", { date: dateOf(con, r.due_at) })}` }),
  );
  const history = (body.conversations || []).map(({ conversation: c, readable }) => {
    const label = `${dateOf(con, c.created_at)} · ${tr(c.status === "open" ? "panel.open" : "panel.closed")}`;
    if (c.id === id) return h("li", { "aria-current": "true", text: `${label} · ${tr("panel.this")}` });
    if (!readable) return h("li", { text: `${label} · ${tr("panel.unreadable")}` });
    return h(
      "li",
      {},
      h("button", {
        type: "button", class: "con-panel-open", "data-testid": "panel-conversation", text: label,
        onclick: () => {
          if (!con.conversations.has(c.id)) con.conversations.set(c.id, c);
          con.show(c.id);
        },
      }),
    );
  });
  con.panel.replaceChildren(
    h("h2", { id: "con-panel-title", text: tr("panel.title") }),
    h("dl", { class: "con-panel-fields", "data-testid": "panel-fields" }, ...fields.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])),
    ...section(tr("panel.consents"), "panel-consents", consents, tr("panel.none")),
    ...section(tr("panel.requests"), "panel-requests", requests, tr("panel.none")),
    ...section(tr("panel.history"), "panel-history", history, tr("panel.none")),
  );
  con.panel.hidden = false;
  con.panelShown = id;
}
