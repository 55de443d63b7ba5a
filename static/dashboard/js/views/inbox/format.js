// Small pure helpers shared by the inbox's modules.

export function visitorName(chat) {
  const v = chat.visitor || {};
  if (v.name) return v.name;
  if (v.email) return v.email;
  const id = String(chat.visitor_id || "");
  return `Visitor ${id.slice(-5) || chat.id}`;
}

/** A one-line preview of a chat's last message. */
export function preview(message, userId) {
  if (!message) return "No messages yet";
  let who = "";
  if (message.sender_type === "agent") who = message.sender_id === String(userId) ? "You: " : "Agent: ";
  else if (message.sender_type === "bot") who = "Bot: ";
  const text = message.content || (message.attachment ? `Attachment: ${message.attachment.name}` : "");
  return who + text.replace(/\s+/g, " ").slice(0, 120);
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A URL from the server that is safe to put in href/src (same origin or http(s)). */
export function safeUrl(url) {
  if (typeof url !== "string") return null;
  if (url.startsWith("/") && !url.startsWith("//")) return url;
  return /^https?:\/\//i.test(url) ? url : null;
}
