// Drawing a Bot API message as Telegram does: text with its entities, media, the inline
// keyboard. Loaded before chat.js, whose handlers (press, openWebApp, startReply) the buttons
// call. Text from users and bots is set with textContent, never innerHTML.
"use strict";

// ---------------------------------------------------------------- rendering a message

const TAGS = { bold: "strong", italic: "em", underline: "u", strikethrough: "s", code: "code",
               pre: "pre", blockquote: "blockquote", expandable_blockquote: "blockquote" };

function safeUrl(url) {
  try {
    const parsed = new URL(url, location.href);
    return ["http:", "https:", "tg:", "mailto:", "tel:"].includes(parsed.protocol) ? url : null;
  } catch {
    return null;
  }
}

function entityElement(entity, text) {
  if (TAGS[entity.type]) return document.createElement(TAGS[entity.type]);
  if (entity.type === "spoiler") {
    const span = document.createElement("span");
    span.className = "spoiler";
    span.tabIndex = 0;
    span.title = "Spoiler: tap to show";
    const reveal = () => span.classList.add("revealed");
    span.addEventListener("click", reveal);
    span.addEventListener("keydown", (e) => { if (e.key === "Enter") reveal(); });
    return span;
  }
  const href = entity.type === "text_link" ? entity.url
    : entity.type === "url" ? text.slice(entity.offset, entity.offset + entity.length)
    : entity.type === "email" ? `mailto:${text.slice(entity.offset, entity.offset + entity.length)}`
    : null;
  if (href && safeUrl(href)) {
    const a = document.createElement("a");
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  const span = document.createElement("span");
  span.className = entity.type;
  return span;
}

// Entity offsets are UTF-16 code units, which is what JavaScript string indices count.
function renderText(text, entities, into) {
  const sorted = [...(entities || [])].sort(
    (a, b) => a.offset - b.offset || b.length - a.length);
  build(into, text, 0, text.length, sorted);
}

function build(parent, text, start, end, entities) {
  let pos = start;
  let i = 0;
  while (i < entities.length) {
    const entity = entities[i];
    if (entity.offset < pos || entity.offset >= end) { i += 1; continue; }
    const stop = Math.min(entity.offset + entity.length, end);
    parent.append(document.createTextNode(text.slice(pos, entity.offset)));
    const inner = [];
    let j = i + 1;
    while (j < entities.length && entities[j].offset < stop) { inner.push(entities[j]); j += 1; }
    const element = entityElement(entity, text);
    parent.append(element);
    build(element, text, entity.offset, stop, inner);
    pos = stop;
    i = j;
  }
  parent.append(document.createTextNode(text.slice(pos, end)));
}

function fileUrl(fileId, download) {
  return `/chat/file/${encodeURIComponent(fileId)}${download ? "?download=1" : ""}`;
}

function sizeLabel(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function mediaOf(message) {
  const box = document.createElement("div");
  box.className = "media";
  if (message.photo) {
    const biggest = message.photo[message.photo.length - 1];
    const link = document.createElement("a");
    link.href = fileUrl(biggest.file_id, false);
    link.target = "_blank";
    const img = document.createElement("img");
    img.src = fileUrl(biggest.file_id, false);
    img.alt = "Photo";
    link.append(img);
    box.append(link);
    return box;
  }
  for (const kind of ["document", "video", "audio", "voice"]) {
    const file = message[kind];
    if (!file) continue;
    const link = document.createElement("a");
    link.className = "doc";
    link.href = fileUrl(file.file_id, true);
    link.download = file.file_name || kind;
    const name = document.createElement("span");
    name.className = "doc-name";
    name.textContent = file.file_name || kind;
    const size = document.createElement("span");
    size.className = "doc-size";
    size.textContent = ` · ${sizeLabel(file.file_size || 0)}`;
    link.append(name, size);
    box.append(link);
    return box;
  }
  if (message.contact) {
    const c = message.contact;
    box.className = "media contact";
    box.textContent = `${[c.first_name, c.last_name].filter(Boolean).join(" ")} ${c.phone_number}`;
    return box;
  }
  return null;
}

function plainText(message) {
  return message.text || message.caption || (message.photo ? "Photo"
    : message.document ? message.document.file_name || "File"
    : message.contact ? "Contact" : "Message");
}

function keyboardOf(message) {
  const rows = (message.reply_markup || {}).inline_keyboard;
  if (!rows || !rows.length) return null;
  const box = document.createElement("div");
  box.className = "keyboard";
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", "Buttons");
  for (const row of rows) {
    const line = document.createElement("div");
    line.className = "row";
    for (const spec of row) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = spec.text;
      if (spec.callback_data !== undefined) {
        button.addEventListener("click", () => press(button, message.message_id, spec.callback_data));
      } else if (spec.web_app) {
        button.classList.add("web-app");
        button.addEventListener("click", () => openWebApp(spec.web_app.url, spec.text));
      } else if (spec.url && safeUrl(spec.url)) {
        button.classList.add("link");
        button.addEventListener("click", () => window.open(spec.url, "_blank", "noopener"));
      } else {
        button.disabled = true;
      }
      line.append(button);
    }
    box.append(line);
  }
  return box;
}

function renderMessage(message, bot) {
  const item = document.createElement("li");
  item.className = bot ? "msg bot" : "msg me";
  item.dataset.id = message.message_id;
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  if (message.reply_to_message) {
    // Shown by CSS (::before), so that the item's text stays the message's own text.
    const quoted = plainText(message.reply_to_message).split("\n")[0];
    bubble.dataset.quote = quoted.length > 60 ? `${quoted.slice(0, 60)}…` : quoted;
  }
  const media = mediaOf(message);
  if (media) bubble.append(media);
  const body = message.text !== undefined ? [message.text, message.entities]
    : message.caption ? [message.caption, message.caption_entities] : null;
  if (body) {
    const text = document.createElement("div");
    text.className = "text";
    renderText(body[0], body[1], text);
    bubble.append(text);
  }
  const when = new Date(message.date * 1000);
  bubble.dataset.time = (message.edit_date ? "edited " : "")
    + when.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  const reply = document.createElement("button");
  reply.type = "button";
  reply.className = "reply";
  reply.setAttribute("aria-label", "Reply");
  reply.title = "Reply";
  reply.addEventListener("click", () => startReply(message, bot));
  bubble.append(reply);
  bubble.addEventListener("dblclick", () => startReply(message, bot));
  // Swipe a message to the left to reply to it, as on a phone.
  let startX = null;
  bubble.addEventListener("touchstart", (e) => { startX = e.touches[0].clientX; },
                          { passive: true });
  bubble.addEventListener("touchend", (e) => {
    if (startX !== null && startX - e.changedTouches[0].clientX > 60) startReply(message, bot);
    startX = null;
  });
  item.append(bubble);
  const keyboard = keyboardOf(message);
  if (keyboard) item.append(keyboard);
  return item;
}
