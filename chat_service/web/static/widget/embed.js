// The one script a shop pastes into its pages:
//   <script type="module" src="https://CHAT-HOST/assets/widget/embed.js" data-chat-widget
//           data-lang="en|zh" data-open></script>
// It adds the customer chat widget in an open shadow root (the shop's styles do not leak
// in, and tests and assistive technology still reach every element). The access token
// comes from the page's URL fragment (#token=...), as the shop's login system put it there.

import { mountWidget } from "./widget.js";

const script = document.querySelector("script[data-chat-widget]");
const base = new URL(import.meta.url).origin;
const host = document.createElement("div");
host.id = "chat-service-widget";
document.body.append(host);
const root = host.attachShadow({ mode: "open" });
const style = document.createElement("link");
style.rel = "stylesheet";
style.href = new URL("./widget.css", import.meta.url).href;
root.append(style);
mountWidget(root, {
  base,
  lang: script?.dataset.lang || null,
  open: script ? script.hasAttribute("data-open") : false,
});
