// The language switch of the widget and the console: a visible <select> (English / 中文),
// the choice remembered in localStorage for this browser, and the page shown again in it.
// Which language a page uses: the one this tab was opened with (#lang=, then the switch),
// else the remembered choice, else the page's own (data-lang) or the token's claim, else
// the browser's preference (pickLang).

import { h } from "./dom.js";
import { pickLang, t } from "./i18n.js";
import { setSessionLang } from "./session.js";

const PREF_KEY = "chat-service.lang";
const NAMES = { en: "English", zh: "中文" };

export function rememberedLang() {
  try {
    return localStorage.getItem(PREF_KEY);
  } catch {
    return null;
  }
}

/** The page's language from the session's, the remembered choice, then the fallbacks. */
export function chooseLang(sessionLang, ...fallbacks) {
  for (const candidate of [sessionLang, rememberedLang(), ...fallbacks]) {
    if (candidate === "en" || candidate === "zh") return candidate;
  }
  return pickLang(null);
}

/** A labelled <select>; choosing another language remembers it and calls `apply(lang)`
 * (by default: the page loads again in that language). */
export function langSwitch(lang, { id, className = "lang-switch", apply = () => location.reload() } = {}) {
  const select = h(
    "select",
    { id, class: className + "__select", "data-testid": "lang-switch" },
    ...Object.entries(NAMES).map(([code, name]) => h("option", { value: code, lang: code === "zh" ? "zh-CN" : "en", selected: code === lang, text: name })),
  );
  select.addEventListener("change", () => {
    const chosen = select.value;
    try {
      localStorage.setItem(PREF_KEY, chosen);
    } catch {
      // storage disabled: this tab's session still carries the choice
    }
    setSessionLang(chosen);
    apply(chosen);
  });
  return h("label", { class: className }, h("span", { class: className + "__label", text: t(lang, "lang.label") }), select);
}
