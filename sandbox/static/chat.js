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
