// The access token comes in the URL fragment (#token=...&lang=...), which never reaches a
// server log or a Referer. It is moved to sessionStorage (this tab only) and removed from
// the address bar, so it is not left in history or bookmarks.

const STORE_KEY = "chat-service.session";

export function readSession() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  let token = params.get("token");
  let lang = params.get("lang");
  if (token) {
    try {
      sessionStorage.setItem(STORE_KEY, JSON.stringify({ token, lang }));
    } catch {
      // storage may be disabled: the token then lives in memory only
    }
    history.replaceState(null, "", location.pathname + location.search);
  } else {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
      if (saved) ({ token, lang } = saved);
    } catch {
      token = null;
    }
  }
  return { token, lang, claims: token ? decodeClaims(token) : null };
}

/** The token's payload, unverified (the server verifies it): role, sub, lang. */
export function decodeClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

/** Changes the language this tab's session was opened with (the language switch). */
export function setSessionLang(lang) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
    if (saved) sessionStorage.setItem(STORE_KEY, JSON.stringify({ ...saved, lang }));
  } catch {
    // storage disabled: the remembered choice (localStorage) still decides after a reload
  }
}
