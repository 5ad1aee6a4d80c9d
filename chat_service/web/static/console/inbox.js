// The inbox (issue 20, items 1-3; docs/inbox.md): the console's conversations named by the
// customer's display name, every view's count, and closed conversations kept after a reload
// (GET /api/inbox). Names and shop fields are set with textContent only, never as HTML.

import { h } from "../shared/dom.js";

/** What the console calls a conversation's customer: their name as the shop sent it. */
export function displayName(c) {
  return c?.customer_name ?? c?.customer_id ?? "";
}

/** The counts line, to place above the queue. */
export function countsLine(con) {
  con.inboxCounts = h("p", { class: "con-inbox-counts", "data-testid": "inbox-counts", "aria-live": "polite" });
  return con.inboxCounts;
}

async function view(con, name) {
  const response = await fetch(`/api/inbox?view=${name}`, { headers: { Authorization: "Bearer " + con.token } });
  return response.ok ? response.json() : null;
}

/** Load the closed view (conversations closed before this page loaded stay reachable) and
 * every view's count; live events keep the queue itself current. */
export async function loadInbox(con) {
  try {
    const closed = await view(con, "closed");
    if (!closed) return;
    for (const row of closed.conversations) {
      if (!con.conversations.has(row.conversation.id)) con.conversations.set(row.conversation.id, row.conversation);
    }
    const key = closed.views.includes("all") ? "inbox.counts_all" : "inbox.counts";
    if (con.inboxCounts) con.inboxCounts.textContent = con.tr(key, closed.counts);
    con.renderQueue();
  } catch {
    // the live queue still works without the inbox
  }
}
