// Agent speed (docs/agent-speed.md): saved replies, keyboard shortcuts, the unread count in
// the title, tone and desktop notifications, availability. Installed by console.js once
// its Console is built and wired (agents and supervisors).

import { Availability } from "./availability.js";
import { Notifier } from "./notify.js";
import { SavedReplies } from "./replies.js";
import { Shortcuts } from "./shortcuts.js";

export function installSpeed(con) {
  con.replies = new SavedReplies(con);
  con.shortcuts = new Shortcuts(con);
  con.availability = new Availability(con);
  con.notifier = new Notifier(con);
}
