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

const LIVE = ["conversation.opened", "conversation.assigned", "conversation.closed"];

/** Recount the views when a conversation opens, is taken or closes (the existing events). */
function wireCounts(con) {
  if (con.inboxWired || !con.client) return;
  con.inboxWired = true;
  let pending = null;
  const recount = () => {
    clearTimeout(pending);
    pending = setTimeout(async () => {
      const mine = await view(con, "mine").catch(() => null);
      if (mine && con.inboxCounts) con.inboxCounts.textContent = con.tr(countsKey(mine), mine.counts);
    }, 0);
  };
  for (const type of LIVE) con.client.addEventListener(type, recount);
}

function countsKey(body) {
  return body.views.includes("all") ? "inbox.counts_all" : "inbox.counts";
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
    if (con.inboxCounts) con.inboxCounts.textContent = con.tr(countsKey(closed), closed.counts);
    con.renderQueue();
    wireCounts(con);
  } catch {
    // the live queue still works without the inbox
  }
}
