// Attachments over HTTP with the Bearer token (never a token in a URL).

export async function upload(base, token, file, conversationId) {
  const form = new FormData();
  form.append("file", file, file.name || "pasted.png");
  if (conversationId) form.append("conversation_id", conversationId);
  const response = await fetch(new URL("/api/attachments", base), {
    method: "POST",
    headers: { Authorization: "Bearer " + token },
    body: form,
    credentials: "omit",
  });
  const body = await response.json().catch(() => ({}));
  return { status: response.status, body };
}

/** {status: "ok", url, type} with a blob URL, or {status: "withheld"|"held"|"error"}. */
export async function fetchAttachment(base, token, attachmentId) {
  const response = await fetch(new URL(`/api/attachments/${encodeURIComponent(attachmentId)}`, base), {
    headers: { Authorization: "Bearer " + token },
    credentials: "omit",
  });
  if (response.status === 403) return { status: "withheld" };
  if (response.status === 423) return { status: "held" };
  if (!response.ok) return { status: "error", code: response.status };
  const blob = await response.blob();
  return { status: "ok", url: URL.createObjectURL(blob), type: blob.type };
}
