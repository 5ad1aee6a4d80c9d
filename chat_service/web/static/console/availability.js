// Availability: an agent sets themself online or away (PUT /api/availability, stored on the
// server); while away the server offers them no new conversation and refuses a join, and
// the console hides the Join buttons and stays silent. Supervisors see every agent's state,
// live (the `agent.availability` frame). docs/agent-speed.md.

import { h } from "../shared/dom.js";

export class Availability {
  constructor(con) {
    this.con = con;
    this.states = new Map(); // agent id -> {state, changed_at}
    const tr = con.tr;
    con.away = false;
    if (con.role === "agent") {
      this.select = h(
        "select",
        { id: "con-availability", class: "con-availability__select", "data-testid": "availability" },
        h("option", { value: "online", text: tr("availability.online") }),
        h("option", { value: "away", text: tr("availability.away") }),
      );
      this.select.addEventListener("change", () => this.set(this.select.value));
      this.hint = h("p", { class: "con-hint con-away-hint", role: "status", "data-testid": "away-hint" });
      con.root.querySelector(".con-header").append(
        h("label", { class: "con-availability", for: "con-availability" }, tr("availability.label"), " ", this.select),
      );
      con.queue.before(this.hint);
    } else {
      this.list = h("ul", { class: "con-agents", "data-testid": "agent-availability" });
      con.queue.after(h("h2", { id: "con-agents-title", text: tr("availability.agents") }), this.list);
      this.render();
    }
    con.client.addEventListener("agent.availability", (e) => this.apply(e.detail));
    con.client.addEventListener("hello", () => this.load());
  }

  async load() {
    try {
      const response = await fetch("/api/availability", { headers: { Authorization: "Bearer " + this.con.token } });
      if (!response.ok) return;
      for (const agent of (await response.json()).agents) this.apply(agent);
    } catch {
      // the live frames still tell
    }
  }

  async set(state) {
    try {
      const response = await fetch("/api/availability", {
        method: "PUT",
        headers: { Authorization: "Bearer " + this.con.token, "Content-Type": "application/json" },
        body: JSON.stringify({ state }),
      });
      if (response.ok) this.apply(await response.json());
    } catch {
      this.select.value = this.con.away ? "away" : "online";
    }
  }

  apply(agent) {
    this.states.set(agent.agent_id, agent);
    const con = this.con;
    if (con.role === "agent" && agent.agent_id === con.sub) {
      const wasAway = con.away;
      con.away = agent.state === "away";
      this.select.value = agent.state;
      if (wasAway && !con.away) con.loadConversations(); // what was offered meanwhile
      this.hint.textContent = con.away ? con.tr("availability.away_hint") : "";
      con.renderQueue();
    } else if (this.list) {
      this.render();
    }
  }

  render() {
    const con = this.con;
    const locale = con.lang === "zh" ? "zh-CN" : "en";
    const rows = [...this.states.values()].sort((a, b) => a.agent_id.localeCompare(b.agent_id));
    if (!rows.length) {
      this.list.replaceChildren(h("li", { class: "con-empty", text: con.tr("availability.none") }));
      return;
    }
    this.list.replaceChildren(
      ...rows.map((a) =>
        h("li", {
          "data-agent-id": a.agent_id, "data-state": a.state,
          text: con.tr("availability.since", {
            agent: a.agent_id, state: con.tr(`availability.${a.state}`),
            time: new Date(a.changed_at).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" }),
          }),
        }),
      ),
    );
  }
}
