// Full-text search in the agent console (docs/search.md): a search box above the queue,
// the results (newest first, each a snippet as the viewer may see it, text only), "more"
// for the next page; opening a result opens its conversation at that message.

import { h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

const PAGE = 20;

/** The search form for `app` (the Console); put it where it should appear. */
export function searchBox(app) {
  const tr = (key, vars) => t(app.lang, key, vars);
  const input = h("input", {
    id: "con-search-input", type: "search", class: "con-search-input", maxlength: "200", autocomplete: "off",
    "data-testid": "search-input", placeholder: tr("search.placeholder"),
  });
  const go = h("button", { type: "submit", class: "con-search-go", "data-testid": "search-submit", text: tr("search.go") });
  const status = h("p", { class: "con-search-status", role: "status", "data-testid": "search-status" });
  const list = h("ol", { class: "con-search-results", "data-testid": "search-results", "aria-label": tr("search.results") });
  const more = h("button", { type: "button", class: "con-search-more", hidden: true, "data-testid": "search-more", text: tr("search.more") });
  const form = h(
    "form",
    { class: "con-search", role: "search", "aria-label": tr("search.label") },
    h("label", { for: "con-search-input", class: "con-search-label", text: tr("search.label") }),
    h("div", { class: "con-search-row" }, input, go),
    status,
    list,
    more,
  );
  let query = "";
  let next = null;

  async function load(offset) {
    const params = new URLSearchParams({ q: query, offset: String(offset), limit: String(PAGE) });
    status.textContent = tr("search.searching");
    more.hidden = true;
    let body;
    try {
      const response = await fetch(`/api/search?${params}`, { headers: { Authorization: "Bearer " + app.token } });
      body = await response.json();
      if (!response.ok) {
        status.textContent = response.status === 400 ? tr("search.bad_query") : tr("search.failed");
        return;
      }
    } catch {
      status.textContent = tr("search.failed");
      return;
    }
    if (offset === 0) list.replaceChildren();
    for (const result of body.results) list.append(resultItem(result));
    const shown = list.children.length;
    status.textContent = shown ? tr("search.count", { count: shown }) : tr("search.none");
    next = body.next_offset;
    more.hidden = next == null;
  }

  function resultItem(result) {
    const c = result.conversation;
    const m = result.message;
    const customer = c.customer_name ?? c.customer_id;
    const who = m.sender.role === "customer" ? [customer] : [customer, m.sender.id];
    const when = new Date(m.created_at).toLocaleString(app.lang === "zh" ? "zh-CN" : "en", { dateStyle: "short", timeStyle: "short" });
    return h(
      "li",
      { class: "con-search-item" },
      h(
        "button",
        {
          type: "button", class: "con-search-open", "data-testid": "search-result",
          "data-conversation-id": c.id, "data-seq": String(m.seq), onclick: () => openAt(app, c, m.seq),
        },
        h("span", { class: "con-search-who", text: [...who, when].join(" · ") }),
        h("span", { class: "con-search-snippet", text: result.snippet }),
      ),
    );
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    query = input.value.trim();
    if (!query) {
      list.replaceChildren();
      status.textContent = "";
      more.hidden = true;
      return;
    }
    load(0);
  });
  more.addEventListener("click", () => next != null && load(next));
  return form;
}

/** Open conversation `c` in the console and bring message `seq` into view once loaded. */
export function openAt(app, c, seq) {
  if (!app.conversations.has(c.id)) app.upsert(c);
  app.show(c.id);
  const list = app.listOf(c.id);
  const reveal = (li) => {
    for (const old of list.querySelectorAll(".con-found")) old.classList.remove("con-found");
    li.classList.add("con-found");
    li.dataset.found = "true";
    li.setAttribute("tabindex", "-1");
    li.scrollIntoView({ block: "center" });
    li.focus({ preventScroll: true });
  };
  const find = () => list.querySelector(`[data-seq="${Number(seq)}"]`);
  const found = find();
  if (found) return reveal(found);
  const watch = new MutationObserver(() => {
    const li = find();
    if (!li) return;
    watch.disconnect();
    reveal(li);
  });
  watch.observe(list, { childList: true });
}
