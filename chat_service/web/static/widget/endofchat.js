// The end of a chat in the widget (docs/teamwork.md): when the conversation ends the
// customer can rate it (1-5 and a comment, once) and download their transcript; a transfer
// to another agent shows a neutral notice. After a reload (`hello`), the customer's newest
// conversation, if it is closed, is shown ended again: its rating form if it is not rated
// yet, else as rated (the server sets a rating once). Attached to the Widget by one hook
// in widget.js.

import { h } from "../shared/dom.js";

/** Wire the end-of-chat panel into `widget` (its client, token, tr, body and say). */
export function attachEndOfChat(widget) {
  const c = widget.client;
  c.addEventListener("conversation.notice", (e) => {
    if (e.detail.notice === "transferred") widget.say(widget.tr("teamwork.transferred"), "info");
  });
  c.addEventListener("conversation.closed", (e) => showEnd(widget, e.detail.conversation_id));
  c.addEventListener("hello", (e) => restoreEnd(widget, e.detail.conversations));
}

/** The newest of the customer's conversations (hello lists them oldest first), shown ended
 * again when it is closed; a reconnect keeps a form already shown for it as it is. */
function restoreEnd(widget, conversations) {
  if (!Array.isArray(conversations) || !conversations.length) return;
  const newest = conversations[conversations.length - 1];
  if (newest.status !== "closed") return;
  const shown = widget.body.querySelector(".csw-end");
  if (shown && shown.dataset.conversationId === newest.id) return;
  showEnd(widget, newest.id, { rated: newest.rated === true });
}

function authorised(widget) {
  return { Authorization: "Bearer " + widget.token };
}

function showEnd(widget, conversationId, { rated = false } = {}) {
  const tr = widget.tr;
  widget.body.querySelector(".csw-end")?.remove();
  const status = h("p", { class: "csw-end__status", role: "status", "data-testid": "rating-status" });
  const scores = [1, 2, 3, 4, 5].map((n) =>
    h(
      "label",
      { class: "csw-end__score" },
      h("input", { type: "radio", name: `csw-score-${conversationId}`, value: String(n), "data-testid": `rating-score-${n}` }),
      h("span", { text: tr("teamwork.score", { n }) }),
    ),
  );
  const comment = h("textarea", {
    id: `csw-comment-${conversationId}`, class: "csw-end__comment", rows: "2", maxlength: "1000", "data-testid": "rating-comment",
  });
  const submit = h("button", { type: "submit", class: "csw-tool", "data-testid": "rating-submit", text: tr("teamwork.rate") });
  const form = h(
    "form",
    { class: "csw-end__form" },
    h("fieldset", { class: "csw-end__scores" }, h("legend", { text: tr("teamwork.rate_prompt") }), ...scores),
    h("label", { for: `csw-comment-${conversationId}`, text: tr("teamwork.comment") }),
    comment,
    submit,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const chosen = form.querySelector("input[type=radio]:checked");
    if (!chosen) {
      status.textContent = tr("teamwork.pick_score");
      return;
    }
    submit.disabled = true;
    const body = { score: Number(chosen.value) };
    if (comment.value.trim()) body.comment = comment.value;
    try {
      const response = await fetch(`${widget.base}/api/conversations/${encodeURIComponent(conversationId)}/rating`, {
        method: "POST", headers: { ...authorised(widget), "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      if (response.ok || response.status === 409) {
        form.replaceChildren(h("p", { "data-testid": "rating-thanks", text: tr("teamwork.thanks") }));
        return;
      }
      status.textContent = tr("error.generic");
    } catch {
      status.textContent = tr("error.generic");
    }
    submit.disabled = false;
  });
  if (rated) form.replaceChildren(h("p", { "data-testid": "rating-thanks", text: tr("teamwork.thanks") }));
  const download = h("button", { type: "button", class: "csw-tool", "data-testid": "transcript-download", text: tr("teamwork.transcript") });
  download.addEventListener("click", async () => {
    try {
      const url = `${widget.base}/api/conversations/${encodeURIComponent(conversationId)}/transcript?format=text&lang=${widget.lang}`;
      const response = await fetch(url, { headers: authorised(widget) });
      if (!response.ok) throw new Error(String(response.status));
      const link = h("a", { href: URL.createObjectURL(await response.blob()), download: `transcript-${conversationId}.txt` });
      widget.body.append(link);
      link.click();
      link.remove();
    } catch {
      status.textContent = tr("error.generic");
    }
  });
  widget.body.append(
    h(
      "section",
      { class: "csw-end", "data-testid": "end-of-chat", "data-conversation-id": conversationId, "aria-labelledby": `csw-end-${conversationId}` },
      h("h3", { id: `csw-end-${conversationId}`, text: tr("teamwork.ended") }),
      form,
      download,
      status,
    ),
  );
}
