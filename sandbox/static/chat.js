// The sandbox chat page: plays one user's Telegram client against the local Bot API double.
// Everything typed or sent by a bot is set with textContent (never innerHTML).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { user: null, users: [], commands: [], actions: [], replyTo: null, events: null,
                messages: new Map(), menuButton: { type: "commands" } };

// ---------------------------------------------------------------- server calls

async function post(path, body) {
  const init = body instanceof FormData
    ? { method: "POST", body }
    : { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body) };
  const response = await fetch(path, init);
  if (!response.ok) {
    toast(await response.text() || `Error ${response.status}`);
    return null;
  }
  return response.json();
}

async function loadState() {
  const response = await fetch("/chat/state");
  const data = await response.json();
  state.users = data.users;
  applyState(data);
  $("bot-name").textContent = data.bot.name;
  document.title = `${data.bot.name} — sandbox`;
  const select = $("user");
  if (!select.options.length) {
    for (const user of data.users) select.append(new Option(user.name, String(user.id)));
    const wanted = new URLSearchParams(location.search).get("user");
    const found = data.users.find((u) => String(u.id) === wanted || u.name === wanted);
    select.value = String((found || data.users[0]).id);
  }
}

function applyState(data) {
  state.commands = data.commands;
  if (data.actions.join("\n") !== state.actions.join("\n")) setActions(data.actions);
  state.menuButton = data.menu_button;
  const web = data.menu_button.type === "web_app";
  $("menu").textContent = web ? data.menu_button.text : "Menu";
  $("menu").classList.toggle("web-app", web);
}

async function refreshState() {
  const response = await fetch(`/chat/state?user=${encodeURIComponent(state.user)}`);
  if (response.ok) applyState(await response.json());
}

function setActions(labels) {
  state.actions = labels;
  const menu = $("actions");
  menu.replaceChildren();
  for (const label of labels) {
    const item = document.createElement("button");
    item.type = "button";
    item.setAttribute("role", "menuitem");
    item.textContent = label;
    item.addEventListener("click", async () => {
      closeActions();
      const data = await post("/chat/action", { user: state.user, label });
      if (data) setActions(data.actions);
    });
    menu.append(item);
  }
  $("more").hidden = labels.length === 0;
}

function closeActions() {
  $("actions").hidden = true;
  $("more").setAttribute("aria-expanded", "false");
}

// ---------------------------------------------------------------- switching user

function switchUser(userId) {
  state.user = Number(userId);
  refreshState();
  if (state.events) state.events.close();
  state.messages.clear();
  $("messages").replaceChildren();
  cancelReply();
  const events = new EventSource(`/chat/events?user=${encodeURIComponent(userId)}`);
  events.onmessage = (event) => onEvent(JSON.parse(event.data));
  state.events = events;
}

function onEvent({ message, bot, deleted }) {
  const id = message.message_id;
  const old = state.messages.get(id);
  if (deleted) {
    if (old) old.remove();
    state.messages.delete(id);
    return;
  }
  const list = $("messages");
  const stick = list.parentElement.scrollHeight - list.parentElement.scrollTop
    - list.parentElement.clientHeight < 80;
  const item = renderMessage(message, bot);
  if (old) {
    old.replaceWith(item);
  } else {
    const after = [...state.messages.keys()].filter((k) => k > id).sort((a, b) => a - b)[0];
    if (after !== undefined) list.insertBefore(item, state.messages.get(after));
    else list.append(item);
  }
  state.messages.set(id, item);
  if (stick || !old) item.scrollIntoView({ block: "end" });
}

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

// ---------------------------------------------------------------- doing things

async function press(button, messageId, data) {
  button.setAttribute("aria-busy", "true");
  const answer = await post("/chat/press", { user: state.user, message_id: messageId, data });
  button.removeAttribute("aria-busy");
  if (!answer || !answer.text) return;
  if (answer.alert) showAlert(answer.text);
  else toast(answer.text);
}

// Opens a Mini App as Telegram does: its URL with #tgWebAppData=... signed by the bot's token.
async function openWebApp(url, title) {
  const data = await post("/chat/webapp", { user: state.user, url });
  if (!data) return;
  $("webapp-title").textContent = title;
  $("webapp-frame").title = title;
  $("webapp-frame").src = data.url;
  $("webapp").showModal();
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 3500);
}

function showAlert(text) {
  $("alert-text").textContent = text;
  $("alert").showModal();
}

function startReply(message, bot) {
  state.replyTo = message.message_id;
  $("reply-who").textContent = bot ? $("bot-name").textContent : "yourself";
  $("reply-preview").textContent = plainText(message).split("\n")[0];
  $("replying").hidden = false;
  $("text").focus();
}

function cancelReply() {
  state.replyTo = null;
  $("replying").hidden = true;
}

async function sendText(text) {
  const value = text.trim();
  if (!value) return;
  const sent = await post("/chat/send", { user: state.user, text: value, reply_to: state.replyTo });
  if (sent) {
    cancelReply();
    $("text").value = "";
    showCommands(false);
  }
}

async function sendFiles(files) {
  if (!files.length) return;
  const form = new FormData();
  form.append("user", String(state.user));
  if (state.replyTo) form.append("reply_to", String(state.replyTo));
  const caption = $("text").value.trim();
  if (caption) form.append("caption", caption);
  for (const file of files) form.append("file", file, file.name);
  const sent = await post("/chat/files", form);
  if (sent) {
    cancelReply();
    $("text").value = "";
  }
}

// ---------------------------------------------------------------- the command menu

function showCommands(show, filter = "") {
  const list = $("commands");
  list.replaceChildren();
  const matching = state.commands.filter((c) => `/${c.command}`.startsWith(filter || "/"));
  if (!show || !matching.length) {
    list.hidden = true;
    $("menu").setAttribute("aria-expanded", "false");
    return;
  }
  for (const command of matching) {
    const option = document.createElement("li");
    option.setAttribute("role", "option");
    option.tabIndex = -1;
    const name = document.createElement("span");
    name.className = "command";
    name.textContent = `/${command.command}`;
    const description = document.createElement("span");
    description.className = "description";
    description.textContent = command.description;
    option.append(name, description);
    option.addEventListener("click", () => sendText(`/${command.command}`));
    list.append(option);
  }
  list.hidden = false;
  $("menu").setAttribute("aria-expanded", "true");
}

// ---------------------------------------------------------------- wiring

function wire() {
  $("user").addEventListener("change", (e) => switchUser(e.target.value));
  $("compose").addEventListener("submit", (e) => {
    e.preventDefault();
    sendText($("text").value);
  });
  $("text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      sendText($("text").value);
    } else if (e.key === "Escape") {
      showCommands(false);
      cancelReply();
    }
  });
  $("text").addEventListener("input", (e) => {
    const value = e.target.value;
    showCommands(/^\/\w*$/.test(value), value);
  });
  $("menu").addEventListener("click", () => {
    if (state.menuButton.type === "web_app") {
      openWebApp(state.menuButton.web_app.url, state.menuButton.text);
    } else {
      showCommands($("commands").hidden, "/");
    }
  });
  $("webapp-close").addEventListener("click", () => {
    $("webapp").close();
    $("webapp-frame").src = "about:blank";
  });
  $("attach").addEventListener("change", async (e) => {
    await sendFiles([...e.target.files]);
    e.target.value = "";
  });
  $("reply-cancel").addEventListener("click", cancelReply);
  $("share").addEventListener("click", () => {
    $("contact-form").reset();
    $("contact-dialog").showModal();
  });
  $("contact-cancel").addEventListener("click", () => $("contact-dialog").close());
  $("contact-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const sent = await post("/chat/contact", {
      user: state.user, name: $("contact-name").value, phone: $("contact-phone").value });
    if (sent) $("contact-dialog").close();
  });
  $("alert-ok").addEventListener("click", () => $("alert").close());
  $("more").addEventListener("click", () => {
    const menu = $("actions");
    menu.hidden = !menu.hidden;
    $("more").setAttribute("aria-expanded", String(!menu.hidden));
  });
  document.addEventListener("click", (e) => {
    if (!e.target.closest(".more")) closeActions();
  });
}

async function main() {
  wire();
  await loadState();
  switchUser($("user").value);
  // The command list, the menu button and the actions can change while the page is open.
  setInterval(refreshState, 5000);
}

main();
