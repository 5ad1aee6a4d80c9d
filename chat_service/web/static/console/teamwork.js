// Teamwork in the console (docs/teamwork.md): transfer the shown conversation to another
// agent or back to the queue, internal notes (staff only), tags and priority; supervisors
// see every agent's load. Attached to the Console by one hook in console.js.

import { h, timeOf } from "../shared/dom.js";

/** Wire the teamwork panel into `con` (the Console): it follows the shown conversation. */
export function attachTeamwork(con) {
  const tr = con.tr;
  const notes = h("ol", { class: "con-notes", "data-testid": "notes" });
  const noteInput = h("textarea", { id: "con-note-input", rows: "2", class: "con-note-input", "data-testid": "note-input", maxlength: "4000" });
  const noteForm = h(
    "form",
    { class: "con-note-form" },
    h("label", { for: "con-note-input", text: tr("teamwork.note_label") }),
    noteInput,
    h("button", { type: "submit", "data-testid": "note-add", text: tr("teamwork.note_add") }),
  );
  const target = h("input", { id: "con-transfer-to", class: "con-transfer-to", "data-testid": "transfer-to", autocomplete: "off" });
  const transferForm = h(
    "form",
    { class: "con-transfer" },
    h("label", { for: "con-transfer-to", text: tr("teamwork.transfer_to") }),
    target,
    h("button", { type: "submit", "data-testid": "transfer-submit", text: tr("teamwork.transfer") }),
    h("button", { type: "button", "data-testid": "transfer-queue", text: tr("teamwork.to_queue"), onclick: () => transfer(null) }),
  );
  const tags = h("input", { id: "con-tags", class: "con-tags", "data-testid": "tags-input", autocomplete: "off" });
  const priority = h(
    "select",
    { id: "con-priority", "data-testid": "priority-select" },
    ...["low", "normal", "high", "urgent"].map((p) => h("option", { value: p, text: tr(`teamwork.priority.${p}`) })),
  );
  const triageForm = h(
    "form",
    { class: "con-triage" },
    h("label", { for: "con-tags", text: tr("teamwork.tags") }),
    tags,
    h("label", { for: "con-priority", text: tr("teamwork.priority") }),
    priority,
    h("button", { type: "submit", "data-testid": "triage-save", text: tr("teamwork.save") }),
  );
  const status = h("p", { class: "con-team-status", role: "status", "data-testid": "teamwork-status" });
  const load = h("ul", { class: "con-load", "data-testid": "team-load" });
  const panel = h(
    "section",
    { class: "con-teamwork", "aria-labelledby": "con-teamwork-title", "data-testid": "teamwork", hidden: true },
    h("h3", { id: "con-teamwork-title", text: tr("teamwork.title") }),
    transferForm,
    triageForm,
    h("h4", { text: tr("teamwork.notes") }),
    notes,
    noteForm,
    status,
    con.role === "supervisor" ? h("h4", { text: tr("teamwork.load") }) : null,
    con.role === "supervisor" ? load : null,
  );
  con.form.before(panel);

  const api = async (path, options = {}) => {
    const response = await fetch(path, {
      ...options,
      headers: { Authorization: "Bearer " + con.token, ...(options.body ? { "Content-Type": "application/json" } : {}) },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body?.error?.message || String(response.status));
    return body;
  };
  const conv = () => (con.active ? `/api/conversations/${encodeURIComponent(con.active)}` : null);

  const noteItem = (note) =>
    h(
      "li",
      { class: "con-note", "data-testid": "note", "data-note-id": note.id },
      h("span", { class: "con-note-meta" }, `${note.author.id} · `, timeOf(note.created_at, con.lang)),
      h("span", { class: "con-note-text", text: note.text }),
    );
  const addNote = (note) => {
    if (note.conversation_id !== con.active || notes.querySelector(`[data-note-id="${note.id}"]`)) return;
    notes.append(noteItem(note));
  };

  async function refresh() {
    const c = con.active ? con.conversations.get(con.active) : null;
    panel.hidden = !c;
    if (!c) return;
    const mine = c.status === "open" && (con.role === "supervisor" || c.agent_id === con.sub);
    transferForm.hidden = !mine;
    tags.value = (c.tags || []).join(", ");
    priority.value = c.priority || "normal";
    notes.replaceChildren();
    status.textContent = "";
    try {
      const body = await api(conv() + "/notes");
      for (const note of body.notes) addNote(note);
    } catch {
      // a conversation this viewer may no longer read: nothing to show
    }
    if (con.role === "supervisor") refreshLoad();
  }

  async function refreshLoad() {
    try {
      const team = await api("/api/team");
      load.replaceChildren(
        h("li", { text: tr("teamwork.unassigned", { count: team.unassigned }) }),
        ...team.agents.map((a) => h("li", { "data-agent-id": a.agent_id, text: tr("teamwork.agent_load", { agent: a.agent_id, count: a.open_conversations }) })),
      );
    } catch {
      // shown again on the next refresh
    }
  }

  async function transfer(to) {
    const path = conv();
    if (!path) return;
    try {
      await api(path + "/transfer", { method: "POST", body: JSON.stringify({ to_agent_id: to }) });
      status.textContent = to ? tr("teamwork.transferred_to", { agent: to }) : tr("teamwork.queued");
    } catch (err) {
      status.textContent = err.message;
    }
  }

  transferForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const to = target.value.trim();
    if (to) transfer(to);
  });
  noteForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const path = conv();
    const text = noteInput.value;
    if (!path || !text.trim()) return;
    try {
      const body = await api(path + "/notes", { method: "POST", body: JSON.stringify({ text }) });
      noteInput.value = "";
      addNote(body.note);
    } catch (err) {
      status.textContent = err.message;
    }
  });
  triageForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const path = conv();
    if (!path) return;
    const list = tags.value.split(",").map((t) => t.trim()).filter(Boolean);
    try {
      const body = await api(path + "/triage", { method: "POST", body: JSON.stringify({ tags: list, priority: priority.value }) });
      con.upsert({ ...con.conversations.get(body.conversation.id), ...body.conversation });
      status.textContent = tr("teamwork.saved");
    } catch (err) {
      status.textContent = err.message;
    }
  });

  const c = con.client;
  c.addEventListener("note.new", (e) => addNote(e.detail.note));
  c.addEventListener("conversation.transferred", (e) => {
    const { conversation, to_agent_id: to, from_agent_id: from } = e.detail;
    if (con.role === "agent" && to && to !== con.sub) {
      if (con.conversations.has(conversation.id)) con.forget(conversation.id);
      return;
    }
    con.upsert({ ...(con.conversations.get(conversation.id) || {}), ...conversation });
    if (con.role === "agent" && to === con.sub && from !== con.sub) con.store.catchUp(conversation.id);
    if (conversation.id === con.active) {
      con.renderPaneHead();
      refresh();
    }
    if (con.role === "supervisor") refreshLoad();
  });
  c.addEventListener("conversation.rated", () => {
    if (con.role === "supervisor") refreshLoad();
  });
  const show = con.show.bind(con);
  con.show = (id) => {
    show(id);
    refresh();
  };
}
