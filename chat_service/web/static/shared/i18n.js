// The pages' words in English and Simplified Chinese. t(lang, key, vars) fills {name}s.

const STRINGS = {
  en: {
    "widget.title": "Customer service",
    "widget.open": "Chat with us",
    "widget.close": "Close chat",
    "widget.unread": "{count} unread",
    "widget.intro": "Ask us anything about your order. Please do not send card or ID numbers unless an agent asks for them.",
    "composer.label": "Message",
    "composer.placeholder": "Type a message…",
    "composer.send": "Send",
    "composer.attach": "Attach a picture or file",
    "composer.drop": "Drop the file to send it",
    "location.share": "Share my location",
    "location.note": "Your precise location is sensitive personal information: the agent sees it only if you agree.",
    "location.unavailable": "Your location could not be read.",
    "location.shared": "Shared location",
    "location.area": "Within about {radius} m of {lat}, {lng}",
    "state.sending": "Sending…",
    "state.queued": "Waiting for connection…",
    "state.sent": "Sent",
    "state.failed": "Not sent",
    "state.retry": "Try again",
    "conn.online": "Connected",
    "conn.connecting": "Connecting…",
    "conn.offline": "Offline — messages will be sent when the connection returns",
    "conn.expired": "Your session has ended. Please reload the page.",
    "typing.agent": "The agent is typing…",
    "typing.customer": "The customer is typing…",
    "sender.you": "You",
    "sender.agent": "Agent",
    "sender.customer": "Customer",
    "sender.supervisor": "Supervisor",
    "announce.new": "New message from {sender}: {text}",
    "consent.title": "May the agent see this?",
    "consent.grant": "I agree",
    "consent.refuse": "No, delete it",
    "consent.guardian": "A parent or guardian must answer.",
    "consent.guardian_name": "Guardian's name",
    "consent.guardian_relationship": "Relationship to the child",
    "consent.granted": "Thank you: the agent can now see it. You can withdraw this in Privacy.",
    "consent.refused": "It was deleted; the agent sees it masked.",
    "consent.expired": "No answer in time: it was deleted.",
    "consent.withdrawn": "Consent withdrawn: the values were deleted.",
    "privacy.menu": "Privacy",
    "privacy.title": "Your privacy",
    "privacy.consents": "Your consents",
    "privacy.none": "You have not consented to anything.",
    "privacy.withdraw": "Withdraw",
    "privacy.export": "Download my data",
    "privacy.exported": "Your data is ready:",
    "privacy.export_file": "my-data.json",
    "privacy.delete": "Delete my data",
    "privacy.delete_confirm": "Delete everything we hold about you? Press again to confirm.",
    "privacy.deletion_filed": "Deletion requested on {received}; it will be done by {due}.",
    "privacy.policy": "We keep sensitive information only with your separate consent (privacy policy section 7).",
    "privacy.failed": "That did not work. Please try again later.",
    "attach.uploading": "Uploading {name}…",
    "attach.too_large": "That file is too large.",
    "attach.type": "That kind of file cannot be sent.",
    "attach.unreadable": "That file could not be read safely.",
    "attach.failed": "The file could not be sent.",
    "attach.picture": "Picture",
    "attach.file": "File",
    "attach.withheld": "File withheld, awaiting consent",
    "attach.held": "Held for review",
    "attach.redacted": "Sensitive parts hidden, awaiting consent",
    "attach.destroyed": "File deleted (no consent)",
    "attach.loading": "Loading attachment…",
    "masked.pending": "awaiting consent",
    "masked.refused": "consent refused, deleted",
    "masked.expired": "no consent in time, deleted",
    "masked.withdrawn": "consent withdrawn, deleted",
    "masked.hidden": "hidden",
    "console.title": "Agent console",
    "console.queue": "Queue",
    "console.mine": "My conversations",
    "console.empty_queue": "No one is waiting.",
    "console.join": "Join",
    "console.close": "Close conversation",
    "console.closed": "This conversation is closed.",
    "console.waiting": "waiting",
    "console.assigned": "with {agent}",
    "console.pick": "Pick a conversation from the queue.",
    "console.warn_card": "This looks like a card number. Customers' card numbers must not be sent in chat: it will be masked and not kept. Press Send again to send anyway.",
    "console.warn_id": "This looks like an ID number. It will be masked and not kept. Press Send again to send anyway.",
    "console.masked_warning": "Sensitive information in your message was masked and not kept.",
    "console.readonly": "Supervisors watch; only an agent answers.",
    "console.report": "Privacy report",
    "console.deletions": "Open deletion requests",
    "console.no_deletions": "No open deletion requests.",
    "console.days_left": "{days} working days left",
    "console.overdue": "overdue",
    "console.consents": "Consent decisions by category",
    "console.holds": "Active legal holds: {count}",
    "console.refresh": "Refresh",
    "console.role": "Signed in as {sub} ({role})",
    "error.token": "No access token: open this page with #token=… in the address.",
  },
  zh: {
    "widget.title": "在线客服",
    "widget.open": "联系客服",
    "widget.close": "关闭对话",
    "widget.unread": "{count} 条未读",
    "widget.intro": "有任何订单问题都可以问我们。除非客服要求，请不要发送银行卡号或身份证号。",
    "composer.label": "消息",
    "composer.placeholder": "输入消息…",
    "composer.send": "发送",
    "composer.attach": "发送图片或文件",
    "composer.drop": "松开即可发送文件",
    "location.share": "发送我的位置",
    "location.note": "您的精确位置属于敏感个人信息：只有在您同意后客服才能看到。",
    "location.unavailable": "无法读取您的位置。",
    "location.shared": "已发送位置",
    "location.area": "大致位置：{lat}, {lng} 周围约 {radius} 米",
    "state.sending": "发送中…",
    "state.queued": "等待网络连接…",
    "state.sent": "已发送",
    "state.failed": "发送失败",
    "state.retry": "重试",
    "conn.online": "已连接",
    "conn.connecting": "连接中…",
    "conn.offline": "网络已断开，恢复后将自动发送消息",
    "conn.expired": "会话已过期，请刷新页面。",
    "typing.agent": "客服正在输入…",
    "typing.customer": "顾客正在输入…",
    "sender.you": "我",
    "sender.agent": "客服",
    "sender.customer": "顾客",
    "sender.supervisor": "主管",
    "announce.new": "{sender}发来新消息：{text}",
    "consent.title": "是否允许客服查看？",
    "consent.grant": "我同意",
    "consent.refuse": "不同意，删除",
    "consent.guardian": "须由父母或监护人作答。",
    "consent.guardian_name": "监护人姓名",
    "consent.guardian_relationship": "与儿童的关系",
    "consent.granted": "谢谢，客服现在可以查看。您可以在“隐私”中撤回同意。",
    "consent.refused": "已删除，客服只能看到遮蔽后的内容。",
    "consent.expired": "未及时作答，信息已删除。",
    "consent.withdrawn": "已撤回同意，相关信息已删除。",
    "privacy.menu": "隐私",
    "privacy.title": "您的隐私",
    "privacy.consents": "您的同意记录",
    "privacy.none": "您尚未同意任何事项。",
    "privacy.withdraw": "撤回",
    "privacy.export": "下载我的数据",
    "privacy.exported": "您的数据已准备好：",
    "privacy.export_file": "我的数据.json",
    "privacy.delete": "删除我的数据",
    "privacy.delete_confirm": "确定删除我们保存的您的全部信息吗？请再按一次确认。",
    "privacy.deletion_filed": "已于 {received} 提交删除请求，将在 {due} 前完成。",
    "privacy.policy": "敏感个人信息仅在取得您单独同意后保存（隐私政策第7条）。",
    "privacy.failed": "操作未成功，请稍后重试。",
    "attach.uploading": "正在上传 {name}…",
    "attach.too_large": "文件太大。",
    "attach.type": "不支持发送此类文件。",
    "attach.unreadable": "无法安全读取此文件。",
    "attach.failed": "文件发送失败。",
    "attach.picture": "图片",
    "attach.file": "文件",
    "attach.withheld": "文件已暂扣，等待同意",
    "attach.held": "待审核",
    "attach.redacted": "敏感部分已遮盖，等待同意",
    "attach.destroyed": "文件已删除（未获同意）",
    "attach.loading": "正在加载附件…",
    "masked.pending": "等待同意",
    "masked.refused": "顾客拒绝，已删除",
    "masked.expired": "未及时同意，已删除",
    "masked.withdrawn": "已撤回同意，已删除",
    "masked.hidden": "已隐藏",
    "console.title": "客服工作台",
    "console.queue": "排队中",
    "console.mine": "我的会话",
    "console.empty_queue": "暂无等待的顾客。",
    "console.join": "接入",
    "console.close": "结束会话",
    "console.closed": "此会话已结束。",
    "console.waiting": "等待中",
    "console.assigned": "由 {agent} 处理",
    "console.pick": "请从队列中选择一个会话。",
    "console.warn_card": "这看起来像银行卡号。不得在对话中发送顾客的卡号：它将被遮蔽且不会保存。再次按“发送”仍然发送。",
    "console.warn_id": "这看起来像身份证号。它将被遮蔽且不会保存。再次按“发送”仍然发送。",
    "console.masked_warning": "您消息中的敏感信息已被遮蔽，未予保存。",
    "console.readonly": "主管仅可查看，由客服作答。",
    "console.report": "隐私报告",
    "console.deletions": "未完成的删除请求",
    "console.no_deletions": "没有未完成的删除请求。",
    "console.days_left": "剩余 {days} 个工作日",
    "console.overdue": "已逾期",
    "console.consents": "各类别的同意决定",
    "console.holds": "生效中的法律保留：{count}",
    "console.refresh": "刷新",
    "console.role": "当前身份：{sub}（{role}）",
    "error.token": "缺少访问令牌：请在地址中加上 #token=… 打开此页。",
  },
};

// Names of what a finding found, for chips ("ID number, awaiting consent").
const ENTITIES = {
  en: {
    CN_RESIDENT_ID: "ID number", PASSPORT: "passport number", US_SSN: "social security number",
    CREDIT_CARD: "card number", BANK_ACCOUNT: "bank account", IBAN_CODE: "bank account (IBAN)",
    GPS_COORDINATES: "precise location", LOCATION: "place", HEALTH: "health information",
    AGE: "age", DATE_OF_BIRTH: "date of birth", PHONE_NUMBER: "phone number",
    EMAIL_ADDRESS: "e-mail address", PERSON: "name", STREET_ADDRESS: "address",
  },
  zh: {
    CN_RESIDENT_ID: "身份证号", PASSPORT: "护照号", US_SSN: "社会安全号",
    CREDIT_CARD: "银行卡号", BANK_ACCOUNT: "银行账户", IBAN_CODE: "银行账户（IBAN）",
    GPS_COORDINATES: "精确位置", LOCATION: "地点", HEALTH: "健康信息",
    AGE: "年龄", DATE_OF_BIRTH: "出生日期", PHONE_NUMBER: "电话号码",
    EMAIL_ADDRESS: "电子邮箱", PERSON: "姓名", STREET_ADDRESS: "地址",
  },
};

const CATEGORIES = {
  en: {
    identity_document: "identity document", financial: "bank card or account",
    precise_location: "precise location", health: "health information", minor: "a child's information",
  },
  zh: {
    identity_document: "身份证件", financial: "银行卡或账户", precise_location: "精确位置",
    health: "健康信息", minor: "儿童信息",
  },
};

/** "en" or "zh": the explicit choice if valid, else the browser's preference. */
export function pickLang(explicit) {
  if (explicit === "en" || explicit === "zh") return explicit;
  const preferred = navigator.languages?.length ? navigator.languages : [navigator.language || "en"];
  for (const tag of preferred) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (base === "zh" || base === "en") return base;
  }
  return "en";
}

export function t(lang, key, vars = {}) {
  const table = STRINGS[lang] || STRINGS.en;
  const text = table[key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** The placeholders of "location.area" for a message's coarse `location_area`. */
export function areaVars(area) {
  return { lat: area.lat.toFixed(3), lng: area.lng.toFixed(3), radius: Math.round(area.radius_m) };
}

export function entityName(lang, entityType) {
  const table = ENTITIES[lang] || ENTITIES.en;
  return table[entityType] || ENTITIES.en[entityType] || entityType.toLowerCase().replaceAll("_", " ");
}

export function categoryName(lang, category) {
  const table = CATEGORIES[lang] || CATEGORIES.en;
  return table[category] || category.replaceAll("_", " ");
}

// The widget's words for conversations that end, data that was deleted, notices and roles.
Object.assign(STRINGS.en, {
  "conversation.divider": "Conversation closed · a new one began",
  "conversation.ended": "Conversation closed",
  "masked.refused.own": "you refused, deleted",
  "masked.expired.own": "no answer in time, deleted",
  "masked.withdrawn.own": "consent withdrawn, deleted",
  "conversation.closed": "The agent closed this conversation. Write again any time to start a new one.",
  "conversation.closed_self": "This conversation is closed. Write again any time to start a new one.",
  "conversation.deleted": "Your earlier conversation was deleted, as requested. You can start a new one.",
  "notice.dismiss": "Dismiss",
  "error.generic": "Something went wrong. Please try again.",
  "sender.privacy_officer": "Privacy officer",
  "sender.system": "Customer service",
});
Object.assign(STRINGS.zh, {
  "conversation.divider": "对话已结束 · 以下为新的对话",
  "conversation.ended": "对话已结束",
  "masked.refused.own": "您已拒绝，已删除",
  "masked.expired.own": "未及时作答，已删除",
  "masked.withdrawn.own": "您已撤回同意，已删除",
  "conversation.closed": "客服已结束本次对话。如需帮助，可随时再次发送消息开始新的对话。",
  "conversation.closed_self": "本次对话已结束。如需帮助，可随时再次发送消息开始新的对话。",
  "conversation.deleted": "您之前的对话已按您的要求删除。您可以开始新的对话。",
  "notice.dismiss": "关闭提示",
  "error.generic": "出现问题，请重试。",
  "sender.privacy_officer": "隐私专员",
  "sender.system": "在线客服",
});

/** A role's name for the customer ("Agent", "客服"); never the raw role id. */
export function roleName(lang, role) {
  const table = STRINGS[lang] || STRINGS.en;
  return table[`sender.${role}`] ?? table["sender.system"];
}

/** Category names as a list in the language's punctuation ("a, b" or "甲、乙"). */
export function categoryList(lang, categories) {
  return categories.map((c) => categoryName(lang, c)).join(lang === "zh" ? "、" : ", ");
}
