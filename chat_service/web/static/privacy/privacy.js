// The privacy officer's workspace (/privacy/, docs/privacy-workspace.md): deletion requests
// with working days left, legal holds (place, list, lift), the audit (filter, page, CSV),
// consent statistics and retention runs. Every read and action goes through the API, which
// audits it. Text always goes in as text (h()), never as HTML.

import { h } from "../shared/dom.js";
import { categoryName, pickLang, t } from "../shared/i18n.js";
import { readSession } from "../shared/session.js";

const STORE_KEY = "chat-service.session"; // as shared/session.js keeps it
const WS = "/api/privacy/workspace";

class Workspace {
  constructor(root, { token, claims, lang }) {
    this.root = root;
    this.token = token;
    this.sub = claims.sub;
    this.setLang(lang);
    this.render();
  }

  setLang(lang) {
    this.lang = lang;
    this.tr = (key, vars) => t(lang, key, vars);
    this.locale = lang === "zh" ? "zh-CN" : "en";
    document.documentElement.lang = this.locale;
    document.title = this.tr("pw.title");
  }

  /** A translated word, or the raw value when the table has none. */
  word(key, raw) {
    const text = this.tr(key);
    return text === key ? raw : text;
  }

  /** A ticket for a load into `box`; `stale(box, ticket)` once a later load has started, so
   * an older answer arriving last never overwrites a newer one. */
  ticket(box) {
    box.dataset.ticket = String(Number(box.dataset.ticket || "0") + 1);
    return box.dataset.ticket;
  }

  stale(box, ticket) {
    return box.dataset.ticket !== ticket;
  }

  when(iso) {
    if (!iso) return "";
    return new Intl.DateTimeFormat(this.locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
  }

  async api(path, options = {}) {
    const response = await fetch(path, { ...options, headers: { Authorization: "Bearer " + this.token, ...(options.headers || {}) } });
    if (!response.ok) {
      let message = String(response.status);
      try {
        message = (await response.json()).error.message;
      } catch {
        // not JSON: the status will do
      }
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return response;
  }

  section(id, titleKey, ...children) {
    return h("section", { class: "pw-section", id, "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title`, text: this.tr(titleKey) }), ...children);
  }

  table(testid, captionKey, columns, rows) {
    if (!rows.length) return h("p", { class: "pw-empty", "data-testid": `${testid}-empty`, text: this.tr("pw.none") });
    return h(
      "table",
      { class: "pw-table", "data-testid": testid },
      h("caption", { class: "pw-visually-hidden", text: this.tr(captionKey) }),
      h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", { scope: "col", text: this.tr(c) })))),
      h("tbody", {}, ...rows),
    );
  }

  render() {
    const tr = this.tr;
    const langSelect = h(
      "select",
      { id: "pw-lang", "data-testid": "language-switch", onchange: (e) => this.switchLang(e.target.value) },
      h("option", { value: "en", lang: "en", text: "English", selected: this.lang === "en" }),
      h("option", { value: "zh", lang: "zh-CN", text: "中文", selected: this.lang === "zh" }),
    );
    this.status = h("p", { class: "pw-status", role: "status", "data-testid": "pw-status" });
    const header = h(
      "header",
      { class: "pw-header" },
      h("h1", { text: tr("pw.title") }),
      h("p", { class: "pw-who", "data-testid": "signed-in-as", text: tr("pw.signed_in", { sub: this.sub, role: tr("role.privacy_officer") }) }),
      h("p", { class: "pw-lang" }, h("label", { for: "pw-lang", text: tr("pw.language") + " " }), langSelect),
      this.status,
    );
    this.deletions = h("div", { "data-testid": "deletions-body" });
    this.holdsBody = h("div", { "data-testid": "holds-body" });
    this.auditBody = h("div", { "data-testid": "audit-body" });
    this.consentsBody = h("div", { "data-testid": "consents-body" });
    this.runsBody = h("div", { "data-testid": "runs-body" });
    this.root.replaceChildren(
      header,
      h(
        "main",
        { class: "pw-main" },
        this.section("pw-deletions", "pw.deletions", this.deletionFilter(), this.deletions),
        this.section("pw-holds", "pw.holds", this.holdForm(), this.holdsBody),
        this.section("pw-audit", "pw.audit", this.auditForm(), this.auditBody),
        this.section("pw-consents", "pw.consents", this.periodForm(), this.consentsBody),
        this.section("pw-runs", "pw.retention", this.runsBody),
      ),
    );
    this.loadDeletions();
    this.loadHolds();
    this.loadAudit();
    this.loadConsents();
    this.loadRuns();
  }

  switchLang(lang) {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
      if (saved) sessionStorage.setItem(STORE_KEY, JSON.stringify({ ...saved, lang }));
    } catch {
      // storage disabled: the choice lasts for this page only
    }
    this.setLang(lang);
    this.render();
    document.getElementById("pw-lang")?.focus();
  }

  failed(box) {
    box.replaceChildren(h("p", { role: "alert", class: "pw-error", text: this.tr("pw.failed") }));
  }

  // ---- deletion requests

  deletionFilter() {
    this.deletionState = this.deletionState || "open";
    const select = h(
      "select",
      { id: "pw-del-state", "data-testid": "deletion-filter", onchange: (e) => { this.deletionState = e.target.value; this.loadDeletions(); } },
      ...["open", "completed", "all"].map((s) => h("option", { value: s, text: this.tr(`pw.state.${s}`), selected: this.deletionState === s })),
    );
    return h("p", { class: "pw-filter" }, h("label", { for: "pw-del-state", text: this.tr("pw.show") + " " }), select);
  }

  async loadDeletions() {
    const box = this.deletions;
    const ticket = this.ticket(box);
    let body;
    try {
      body = await (await this.api(`${WS}/deletion-requests?state=${this.deletionState}`)).json();
    } catch {
      if (!this.stale(box, ticket)) this.failed(box);
      return;
    }
    if (this.stale(box, ticket)) return;
    const rows = body.deletion_requests.map((r) =>
      h(
        "tr",
        { "data-testid": "deletion-row", "data-status": r.status, "data-overdue": String(r.overdue) },
        h("th", { scope: "row", text: r.id }),
        h("td", { class: "pw-id", text: r.customer_id }),
        h("td", { text: this.word(`request.${r.status}`, r.status) }),
        h("td", { text: this.when(r.received_at) }),
        h("td", { text: this.when(r.due_at) }),
        h("td", { "data-testid": "days-left", class: r.overdue ? "pw-overdue" : null, text: this.daysLeft(r) }),
        h("td", {}, this.evidence(r)),
      ),
    );
    box.replaceChildren(this.table("deletion-requests", "pw.deletions", ["pw.request", "pw.customer", "pw.status", "pw.received", "pw.due", "pw.left", "pw.evidence"], rows));
  }

  daysLeft(r) {
    if (!r.open) return r.completed_at ? this.tr(r.completed_in_time ? "pw.done_in_time" : "pw.done_late", { time: this.when(r.completed_at) }) : "";
    if (r.working_days_left === null) return r.overdue ? this.tr("pw.overdue", { days: "?" }) : "";
    if (r.working_days_left < 0) return this.tr("pw.overdue", { days: -r.working_days_left });
    if (r.working_days_left === 0) return this.tr("pw.due_today");
    return this.tr("pw.days_left", { days: r.working_days_left });
  }

  evidence(r) {
    const d = r.deleted || {};
    const items = [this.tr("pw.deleted", { conversations: d.conversations ?? 0, messages: d.messages ?? 0, attachments: d.attachments ?? 0 })];
    if (r.pseudonymised) items.push(this.tr("pw.pseudonymised"));
    if (r.key_shredded) items.push(this.tr("pw.key_shredded"));
    for (const step of r.history || []) items.push(`${this.when(step.at)}: ${this.word(`request.${step.status}`, step.status)}`);
    return h("ul", { class: "pw-evidence" }, ...items.map((text) => h("li", { text })));
  }

  // ---- legal holds

  holdForm() {
    const tr = this.tr;
    this.holdScope = h(
      "select",
      { id: "pw-hold-scope", name: "scope", "data-testid": "hold-scope" },
      h("option", { value: "customer", text: tr("pw.scope.customer") }),
      h("option", { value: "conversation", text: tr("pw.scope.conversation") }),
    );
    this.holdTarget = h("input", { id: "pw-hold-target", name: "target", "data-testid": "hold-target", required: true, maxlength: 128, autocomplete: "off" });
    this.holdReason = h("textarea", { id: "pw-hold-reason", name: "reason", "data-testid": "hold-reason", required: true, maxlength: 1000, rows: 2 });
    return h(
      "form",
      { class: "pw-form", "aria-label": tr("pw.place_hold"), onsubmit: (e) => { e.preventDefault(); this.placeHold(); } },
      h("div", { class: "pw-field" }, h("label", { for: "pw-hold-scope", text: tr("pw.scope") }), this.holdScope),
      h("div", { class: "pw-field" }, h("label", { for: "pw-hold-target", text: tr("pw.target") }), this.holdTarget),
      h("div", { class: "pw-field pw-field--wide" }, h("label", { for: "pw-hold-reason", text: tr("pw.reason") }), this.holdReason),
      h("button", { type: "submit", class: "pw-button", "data-testid": "hold-place", text: tr("pw.place") }),
    );
  }

  holdPath(scope, target) {
    const id = encodeURIComponent(target);
    return scope === "customer" ? `/api/privacy/customers/${id}/legal-hold` : `/api/conversations/${id}/legal-hold`;
  }

  async changeHold(scope, target, hold, reason) {
    try {
      const response = await this.api(this.holdPath(scope, target), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ hold, reason }),
      });
      this.status.textContent = this.tr(hold ? (response.status === 201 ? "pw.placed" : "pw.already") : "pw.lifted");
      return true;
    } catch (error) {
      this.status.textContent = this.tr("pw.hold_failed", { message: error.message });
      return false;
    }
  }

  async placeHold() {
    const target = this.holdTarget.value.trim();
    const reason = this.holdReason.value.trim();
    if (!target || !reason) return;
    if (await this.changeHold(this.holdScope.value, target, true, reason)) {
      this.holdTarget.value = "";
      this.holdReason.value = "";
      await this.loadHolds();
      this.loadAudit();
    }
  }

  async loadHolds() {
    const box = this.holdsBody;
    const ticket = this.ticket(box);
    let body;
    try {
      body = await (await this.api("/api/privacy/legal-holds?active=all")).json();
    } catch {
      if (!this.stale(box, ticket)) this.failed(box);
      return;
    }
    if (this.stale(box, ticket)) return;
    const rows = body.legal_holds.map((hold) => this.holdRow(hold));
    box.replaceChildren(this.table("legal-holds", "pw.holds", ["pw.target_col", "pw.reason", "pw.set", "pw.state"], rows));
  }

  holdRow(hold) {
    const tr = this.tr;
    const target = hold.scope === "customer" ? hold.customer_id : hold.conversation_id;
    const state = h("td", { "data-testid": "hold-state" });
    if (hold.active) {
      const lift = h("button", {
        type: "button",
        class: "pw-button pw-button--quiet",
        "data-testid": "hold-lift",
        "aria-label": `${tr("pw.lift")}: ${target}`,
        text: tr("pw.lift"),
        onclick: () => this.liftForm(state, hold, target),
      });
      state.append(h("span", { text: tr("pw.hold_active") + " " }), lift);
    } else {
      state.textContent = tr("pw.hold_lifted", { time: this.when(hold.lifted_at), who: hold.lifted_by?.id ?? "", why: hold.lift_reason ?? "" });
    }
    return h(
      "tr",
      { "data-testid": "hold-row", "data-active": String(hold.active), "data-target": target },
      h("th", { scope: "row" }, h("span", { class: "pw-id", text: target }), h("br"), h("small", { text: tr(`pw.scope.${hold.scope}`) })),
      h("td", { text: hold.reason }),
      h("td", { text: tr("pw.by", { who: hold.set_by.id, time: this.when(hold.set_at) }) }),
      state,
    );
  }

  liftForm(cell, hold, target) {
    const tr = this.tr;
    const id = `pw-lift-${hold.id}`;
    const reason = h("input", { id, name: "lift_reason", "data-testid": "lift-reason", required: true, maxlength: 1000, autocomplete: "off" });
    const form = h(
      "form",
      {
        class: "pw-lift",
        "aria-label": `${tr("pw.lift")}: ${target}`,
        onsubmit: async (e) => {
          e.preventDefault();
          const why = reason.value.trim();
          if (!why) return;
          const scopeTarget = hold.scope === "customer" ? hold.customer_id : hold.conversation_id;
          if (await this.changeHold(hold.scope, scopeTarget, false, why)) {
            await this.loadHolds();
            this.loadAudit();
          }
        },
      },
      h("label", { for: id, text: tr("pw.lift_reason") }),
      reason,
      h("button", { type: "submit", class: "pw-button", "data-testid": "lift-confirm", text: tr("pw.lift_confirm") }),
    );
    cell.replaceChildren(form);
    reason.focus();
  }

  // ---- audit

  auditForm() {
    const tr = this.tr;
    const field = (name, key, type = "text") =>
      h("div", { class: "pw-field" }, h("label", { for: `pw-audit-${name}`, text: tr(key) }), h("input", { id: `pw-audit-${name}`, name, type, "data-testid": `audit-${name}`, autocomplete: "off" }));
    this.auditFilters = h(
      "form",
      { class: "pw-form", "aria-label": tr("pw.apply"), onsubmit: (e) => { e.preventDefault(); this.loadAudit(); } },
      field("customer_id", "pw.audit_customer"),
      field("actor_id", "pw.audit_actor"),
      field("from", "pw.from", "date"),
      field("to", "pw.to", "date"),
      h("button", { type: "submit", class: "pw-button", "data-testid": "audit-apply", text: tr("pw.apply") }),
      h("button", { type: "button", class: "pw-button pw-button--quiet", "data-testid": "audit-csv", text: tr("pw.csv"), onclick: () => this.downloadCsv() }),
    );
    return this.auditFilters;
  }

  auditQuery() {
    const params = new URLSearchParams();
    for (const name of ["customer_id", "actor_id", "from", "to"]) {
      const value = this.auditFilters?.elements[name]?.value.trim();
      if (value) params.set(name, value);
    }
    return params;
  }

  async loadAudit(cursor = null) {
    const box = this.auditBody;
    const ticket = this.ticket(box);
    const params = this.auditQuery();
    if (cursor) params.set("cursor", cursor);
    let body;
    try {
      body = await (await this.api(`${WS}/audit?${params}`)).json();
    } catch (error) {
      if (this.stale(box, ticket)) return;
      if (error.status === 400) return box.replaceChildren(h("p", { role: "alert", class: "pw-error", text: error.message }));
      return this.failed(box);
    }
    if (this.stale(box, ticket)) return;
    const rows = body.entries.map((e) =>
      h(
        "tr",
        { "data-testid": "audit-row", "data-action": e.action, "data-customer": e.customer_id, "data-actor": e.actor.id },
        h("th", { scope: "row", text: this.when(e.at) }),
        h("td", { text: this.word(`pw.act.${e.action}`, e.action) }),
        h("td", { text: this.tr("pw.actor", { id: e.actor.id, role: this.word(`role.${e.actor.role}`, e.actor.role) }) }),
        h("td", { class: "pw-id", text: e.customer_id }),
        h("td", { text: e.categories.map((c) => categoryName(this.lang, c)).join(this.lang === "zh" ? "、" : ", ") }),
        h("td", { text: e.reason }),
      ),
    );
    const older = body.next_cursor
      ? h("button", { type: "button", class: "pw-button pw-button--quiet", "data-testid": "audit-older", text: this.tr("pw.older"), onclick: () => this.loadAudit(body.next_cursor) })
      : null;
    box.replaceChildren(...[this.table("audit", "pw.audit", ["pw.when", "pw.action", "pw.who", "pw.customer", "pw.categories", "pw.why"], rows), older].filter(Boolean));
  }

  async downloadCsv() {
    let response;
    try {
      response = await this.api(`${WS}/audit.csv?${this.auditQuery()}`);
    } catch (error) {
      this.status.textContent = error.status === 400 ? error.message : this.tr("pw.failed");
      return;
    }
    const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1] || "audit.csv";
    const matched = Number(response.headers.get("X-Audit-Rows-Matched") || "0");
    const limit = Number(response.headers.get("X-Audit-Rows-Limit") || "0");
    const url = URL.createObjectURL(await response.blob());
    const link = h("a", { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    const rows = Math.min(matched, limit || matched);
    this.status.textContent = matched > rows ? this.tr("pw.csv_limited", { rows, matched }) : this.tr("pw.csv_done", { rows });
    this.loadAudit(); // the download is itself in the audit now
  }

  // ---- consent statistics

  periodForm() {
    const tr = this.tr;
    const today = new Date();
    const monthAgo = new Date(today.getTime() - 30 * 86_400_000);
    const iso = (d) => d.toISOString().slice(0, 10);
    this.periodFrom = h("input", { id: "pw-consent-from", type: "date", "data-testid": "consent-from", value: iso(monthAgo) });
    this.periodTo = h("input", { id: "pw-consent-to", type: "date", "data-testid": "consent-to", value: iso(today) });
    return h(
      "form",
      { class: "pw-form", "aria-label": tr("pw.period"), onsubmit: (e) => { e.preventDefault(); this.loadConsents(); } },
      h("div", { class: "pw-field" }, h("label", { for: "pw-consent-from", text: tr("pw.from") }), this.periodFrom),
      h("div", { class: "pw-field" }, h("label", { for: "pw-consent-to", text: tr("pw.to") }), this.periodTo),
      h("button", { type: "submit", class: "pw-button", "data-testid": "consent-apply", text: tr("pw.apply") }),
    );
  }

  async loadConsents() {
    const box = this.consentsBody;
    const ticket = this.ticket(box);
    const params = new URLSearchParams();
    if (this.periodFrom.value) params.set("from", this.periodFrom.value);
    if (this.periodTo.value) params.set("to", this.periodTo.value);
    let body;
    try {
      body = await (await this.api(`${WS}/consent-statistics?${params}`)).json();
    } catch (error) {
      if (this.stale(box, ticket)) return;
      if (error.status === 400) return box.replaceChildren(h("p", { role: "alert", class: "pw-error", text: error.message }));
      return this.failed(box);
    }
    if (this.stale(box, ticket)) return;
    const decisions = ["granted", "refused", "withdrawn", "expired", "pending"];
    const rows = Object.entries(body.categories).map(([category, counts]) =>
      h("tr", { "data-testid": "consent-row", "data-category": category }, h("th", { scope: "row", text: categoryName(this.lang, category) }), ...decisions.map((d) => h("td", { "data-decision": d, text: String(counts[d] ?? 0) }))),
    );
    const columns = ["pw.category", ...decisions.map((d) => (d === "pending" ? "pw.decision.pending" : `decision.${d}`))];
    box.replaceChildren(this.table("consent-statistics", "pw.consents", columns, rows));
  }

  // ---- retention runs

  async loadRuns() {
    const box = this.runsBody;
    const ticket = this.ticket(box);
    let body;
    try {
      body = await (await this.api(`${WS}/retention-runs`)).json();
    } catch {
      if (!this.stale(box, ticket)) this.failed(box);
      return;
    }
    if (this.stale(box, ticket)) return;
    const summary = h("p", { "data-testid": "runs-summary", text: this.tr("pw.runs_summary", { runs: body.runs_total, dry: body.dry_runs, purged: body.purged_total }) });
    const rows = body.recent.map((run) => {
      const done = Object.values(run.rules || {}).reduce((sum, rule) => sum + (Number(rule.done ?? rule.count) || 0), 0);
      return h(
        "tr",
        { "data-testid": "run-row" },
        h("th", { scope: "row", text: this.when(run.started_at) }),
        h("td", { text: this.word(`pw.run.${run.status}`, String(run.status)) }),
        h("td", { text: this.tr(run.dry_run ? "pw.yes" : "pw.no") }),
        h("td", { text: String(done) }),
        h("td", { text: String(run.error_count) }),
      );
    });
    box.replaceChildren(summary, this.table("retention-runs", "pw.retention", ["pw.started", "pw.status", "pw.dry_run", "pw.totals", "pw.errors"], rows));
  }
}

const root = document.getElementById("privacy-root");
const session = readSession();
const lang = pickLang(session.lang || session.claims?.lang);
document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
document.title = t(lang, "pw.title");
if (!session.token || session.claims?.role !== "privacy_officer") {
  root.append(h("h1", { text: t(lang, "pw.title") }), h("p", { role: "alert", class: "pw-error", text: t(lang, "pw.not_officer") }));
} else {
  new Workspace(root, { token: session.token, claims: session.claims, lang });
}
