// V3 CRM Mini App: plain JavaScript, no build step. Every call carries Telegram's signed launch
// data (Authorization: tma <initData>); user text only ever goes in with textContent.
"use strict";

// --- launch data, Telegram and the theme ------------------------------------------------------

// Read before Telegram's script may touch the address: "#tgWebAppData=...&tgWebAppVersion=...".
const launch = (() => {
  const hash = new URLSearchParams(location.hash.slice(1));
  let theme = {};
  try { theme = JSON.parse(hash.get("tgWebAppThemeParams") || "{}"); } catch (e) { theme = {}; }
  return { initData: hash.get("tgWebAppData") || "", theme };
})();

function tg() { return (window.Telegram && window.Telegram.WebApp) || null; }
function initData() { const t = tg(); return (t && t.initData) || launch.initData; }

function applyTheme(params) {
  const root = document.documentElement;
  for (const [key, value] of Object.entries(params || {})) {
    if (typeof value === "string" && /^#[0-9a-fA-F]{3,8}$/.test(value)) {
      root.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
    }
  }
  const bg = (params || {}).bg_color;
  if (bg) root.dataset.theme = luminance(bg) < 0.5 ? "dark" : "light";
}

function luminance(hex) {
  const h = hex.length === 4 ? hex.replace(/(\w)/g, "$1$1").slice(1) : hex.slice(1, 7);
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function haptic(kind) {
  const t = tg();
  if (t && t.HapticFeedback) t.HapticFeedback.notificationOccurred(kind || "success");
}

// --- small DOM helpers (text only: never innerHTML) -------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const main = () => document.getElementById("main");

function show(...nodes) {
  const m = main();
  m.replaceChildren(...nodes);
}

let toastTimer = null;
function toast(message, action) {
  const box = document.getElementById("toast");
  box.replaceChildren(h("span", {}, message));
  if (action) {
    box.append(h("button", { type: "button", onclick: () => { box.hidden = true; action.run(); } },
      action.label));
  }
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, action ? 8000 : 3500);
}

function money(value) {
  if (value === null || value === undefined) return "—";
  return "£" + Number(value).toLocaleString("en-GB", { minimumFractionDigits: 2,
    maximumFractionDigits: 2 });
}
function when(iso) { return iso ? new Date(iso).toLocaleString("en-GB", { dateStyle: "medium",
  timeStyle: "short" }) : ""; }
function day(iso) { return iso ? new Date(iso + "T12:00:00Z").toLocaleDateString("en-GB",
  { weekday: "short", day: "2-digit", month: "short", year: "numeric" }) : "none"; }

// --- the API -----------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, data) {
    super((data && data.error) || "Something went wrong. Please try again.");
    this.status = status;
    this.data = data || {};
  }
}

async function api(method, path, body, options) {
  const headers = { Authorization: "tma " + initData() };
  const init = { method, headers };
  if (options && options.raw) {
    init.body = body;
    if (options.type) headers["Content-Type"] = options.type;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch("/api" + path, init);
  if (options && options.blob && response.ok) return response.blob();
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function failed(err) {
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
    show(h("h1", {}, "Can't open the CRM"), h("p", {}, err.message),
      h("p", { class: "muted" }, "Open it from the bot's menu button in Telegram."));
    return;
  }
  haptic("error");
  toast(err.message || "Something went wrong. Please try again.");
}

// --- navigation: a stack of screens, Telegram's BackButton pops it -----------------------------

const state = {
  me: null, stack: [], view: "mine", listView: "team", boardType: null,
  prefetched: {},  // the first screen's data, asked for alongside /me
};

function go(screen, args, replace) {
  if (replace) state.stack.pop();
  state.stack.push({ screen, args: args || {} });
  render();
}

function back() {
  if (state.stack.length > 1) state.stack.pop();
  render();
}

function openSection(name) {
  state.stack = [{ screen: name, args: {} }];
  render();
}

async function render() {
  const current = state.stack[state.stack.length - 1];
  if (!current || !state.me) return;  // still starting
  for (const button of document.querySelectorAll("nav button")) {
    const on = state.stack[0].screen === button.dataset.nav;
    if (on) button.setAttribute("aria-current", "page"); else button.removeAttribute("aria-current");
  }
  const t = tg();
  if (t && t.BackButton) {
    if (state.stack.length > 1) t.BackButton.show(); else t.BackButton.hide();
  }
  setMainButton(null);
  try {
    await SCREENS[current.screen](current.args);
  } catch (err) {
    failed(err);
  }
}

let mainAction = null;
function setMainButton(label, action) {
  const t = tg();
  mainAction = action || null;
  if (!t || !t.MainButton) return;
  if (label) { t.MainButton.setText(label); t.MainButton.show(); } else t.MainButton.hide();
}

// --- Dashboard ---------------------------------------------------------------------------------

function viewSwitch(current, onPick) {
  return h("div", { class: "switch", role: "group", "aria-label": "Whose contacts" },
    [["mine", "My"], ["team", "Team"]].map(([key, label]) => h("button", {
      type: "button", "aria-pressed": String(current === key), onclick: () => onPick(key),
    }, label)));
}

async function dashboardScreen() {
  const path = "/dashboard?view=" + state.view;
  const d = await (state.prefetched[path] || api("GET", path));
  delete state.prefetched[path];
  const figure = (label, value, css, open) => h("button", { type: "button",
    class: "figure " + (css || ""), onclick: open },
    h("span", { class: "label" }, label), h("span", { class: "value" }, value));
  show(
    h("h1", {}, "Dashboard"),
    viewSwitch(state.view, (v) => { state.view = v; render(); }),
    h("div", { class: "figures" },
      figure("Follow-ups today", d.due_today, "", () => go("contacts", { due: "today" })),
      figure("Overdue", d.overdue, d.overdue ? "overdue" : "", () =>
        go("contacts", { due: "overdue" })),
      figure("Quotes pending", d.quotes_pending, "", () =>
        go("board", { type: "prevention_prospect" })),
      figure("Potential revenue", money(d.potential_revenue), "", () =>
        go("board", { type: "prevention_prospect" }))),
  );
}

// --- Contacts ----------------------------------------------------------------------------------

function contactRow(c) {
  const followup = c.next_followup_date ? day(c.next_followup_date) : "no follow-up";
  return h("li", {}, h("button", { type: "button", class: "item",
    onclick: () => go("contact", { id: c.id }) },
    h("div", { class: "name" }, c.name),
    h("div", { class: "meta" }, [c.company, c.type_label, c.stage_name].filter(Boolean).join(" · ")),
    h("div", { class: "meta" }, c.overdue ? h("span", { class: "overdue-tag" }, "OVERDUE ") : null,
      followup, " · ", c.owner)));
}

async function contactsScreen(args) {
  const filters = { q: args.q || "", type: args.type || "", status: args.status || "" };
  const list = h("ul", { class: "list", "aria-label": "Contacts" });
  const sentinel = h("div", { class: "muted" });
  let next = null;
  let loading = false;
  let generation = 0;

  const query = (after) => {
    const p = new URLSearchParams({ view: state.listView });
    if (args.due) p.set("due", args.due);
    for (const [k, v] of Object.entries(filters)) if (v) p.set(k, v);
    if (after) p.set("after", after);
    return "/contacts?" + p.toString();
  };
  const load = async (reset) => {
    if (loading && !reset) return;
    const mine = ++generation;
    loading = true;
    try {
      const page = await api("GET", query(reset ? null : next));
      if (mine !== generation) return;
      if (reset) list.replaceChildren();
      page.items.forEach((c) => list.append(contactRow(c)));
      next = page.next;
      sentinel.textContent = list.children.length ? (next ? "Loading more…" : "") : "No contacts.";
    } catch (err) { failed(err); } finally { if (mine === generation) loading = false; }
  };

  let timer = null;
  const search = h("input", { type: "search", "aria-label": "Search", placeholder: "Search",
    value: filters.q, autocomplete: "off", oninput: (e) => {
      filters.q = e.target.value.trim();
      clearTimeout(timer);
      timer = setTimeout(() => load(true), 250);
    } });
  const select = (label, key, options) => h("select", { "aria-label": label, onchange: (e) => {
    filters[key] = e.target.value; load(true);
  } }, options.map(([value, text]) => h("option", { value, selected: filters[key] === value },
    text)));
  const title = args.due === "today" ? "Follow-ups today" : args.due === "overdue"
    ? "Overdue" : "Contacts";
  show(
    h("h1", {}, title),
    args.due ? null : h("div", {},
      search,
      h("div", { class: "row" },
        select("Type", "type", [["", "All types"],
          ...state.me.types.map((t) => [t.key, t.label])]),
        select("Status", "status", [["", "Any status"], ["active", "Active"], ["won", "Won"],
          ["lost", "Lost"], ["dormant", "Dormant"]])),
      viewSwitch(state.listView, (v) => { state.listView = v; load(true);
        for (const b of document.querySelectorAll(".switch button")) {
          b.setAttribute("aria-pressed", String(b.textContent === (v === "mine" ? "My" : "Team")));
        } }),
      h("button", { type: "button", class: "primary", onclick: () => go("new") }, "New contact")),
    list, sentinel,
  );
  setMainButton("New contact", () => go("new"));
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && next && !loading) load(false);
  }).observe(sentinel);
  await load(true);
}

// --- Contact -----------------------------------------------------------------------------------

function typeOf(key) { return state.me.types.find((t) => t.key === key); }

async function contactScreen(args) {
  const c = await api("GET", "/contacts/" + args.id);
  const panel = h("div", {});
  const reload = () => go("contact", { id: c.id }, true);
  const fieldLabel = (name) => (state.me.fields.find((f) => f.name === name) || {}).label || name;
  const fields = Object.entries(c.fields).filter(([name]) => name !== "name").map(([name, v]) => {
    let shown = v === null || v === "" ? "—" : v;
    if (name === "contact_type") shown = c.type_label;
    if (name === "potential_value" || name === "total_revenue") shown = money(v);
    return [h("dt", {}, fieldLabel(name)), h("dd", {}, shown)];
  });
  const since = c.stage_changed_at ? " (since " + when(c.stage_changed_at) + ")" : "";
  const followup = h("span", {}, c.overdue ? h("span", { class: "overdue-tag" }, "OVERDUE ") : null,
    day(c.next_followup_date), c.next_followup_time ? " at " + c.next_followup_time : "");

  const stagePanel = () => panel.replaceChildren(h("div", { class: "panel" },
    h("h2", {}, "Move to stage"),
    h("div", { class: "choices" }, typeOf(c.contact_type).stages.map((s) => h("button", {
      type: "button", "aria-pressed": String(s.key === c.stage), onclick: async () => {
        try { await api("POST", `/contacts/${c.id}/stage`, { stage: s.key }); haptic();
          reload(); } catch (err) { failed(err); }
      } }, s.name)))));

  const followupPanel = () => {
    const set = async (value) => {
      try { await api("POST", `/contacts/${c.id}/followup`, { date: value }); haptic(); reload(); }
      catch (err) { failed(err); }
    };
    const picker = h("input", { type: "date", "aria-label": "Date",
      value: c.next_followup_date || "" });
    const today = new Date(state.me.today + "T12:00:00Z");
    panel.replaceChildren(h("div", { class: "panel" },
      h("h2", {}, "Next follow-up"),
      h("div", { class: "choices" }, state.me.followup_choices.map((q) => h("button", {
        type: "button", onclick: () => {
          const d = new Date(today.getTime() + q.days * 86400000);
          set(d.toISOString().slice(0, 10));
        } }, q.label)),
      h("button", { type: "button", onclick: () => set(null) }, "Clear")),
      h("div", { class: "row" }, picker, h("button", { type: "button", class: "primary",
        onclick: () => picker.value && set(picker.value) }, "Set date"))));
  };

  const remove = async () => {
    try {
      await api("DELETE", "/contacts/" + c.id);
      haptic();
      back();
      toast(`Deleted ${c.name}. It stays in the trash for 30 days.`, { label: "Undo",
        run: async () => {
          try { await api("POST", `/contacts/${c.id}/restore`); haptic(); go("contact", { id: c.id }); }
          catch (err) { failed(err); }
        } });
    } catch (err) { failed(err); }
  };

  const noteText = h("textarea", { id: "note-text", required: true, maxlength: 4096 });
  const noteType = h("select", { id: "note-type" }, state.me.note_types.map((t) =>
    h("option", { value: t.key, selected: t.key === "internal" }, t.label)));
  const noteError = h("p", { class: "error", role: "alert" });
  const noteForm = h("form", { "aria-label": "Add note", onsubmit: async (e) => {
    e.preventDefault();
    try {
      await api("POST", `/contacts/${c.id}/notes`, { type: noteType.value, text: noteText.value });
      haptic(); reload();
    } catch (err) { noteError.textContent = err.message; }
  } }, h("h2", {}, "Add note"),
    h("label", { for: "note-type" }, "Type"), noteType,
    h("label", { for: "note-text" }, "Note"), noteText, noteError,
    h("button", { type: "submit", class: "primary" }, "Save"));

  const upload = h("input", { type: "file", id: "upload", onchange: async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    try {
      await api("POST", `/contacts/${c.id}/files?` + new URLSearchParams({ name: file.name,
        category: file.type.startsWith("image/") ? "photo" : "document" }), file,
        { raw: true, type: file.type || "application/octet-stream" });
      haptic(); reload();
    } catch (err) { failed(err); }
  } });

  show(
    h("h1", {}, c.name),
    h("p", { class: "muted" }, `${c.type_label} · #${c.id} · owner ${c.owner}`),
    h("dl", { class: "fields" },
      h("dt", {}, "Stage"), h("dd", {}, c.stage_name + since),
      h("dt", {}, "Next follow-up"), h("dd", {}, followup),
      c.referred_by ? [h("dt", {}, "Referred by"), h("dd", {}, c.referred_by)] : null,
      fields),
    h("div", { class: "actions" },
      h("button", { type: "button", onclick: stagePanel }, "Stage"),
      h("button", { type: "button", onclick: followupPanel }, "Follow-up"),
      h("button", { type: "button", onclick: () => go("edit", { contact: c }) }, "Edit"),
      h("button", { type: "button", class: "danger", onclick: remove }, "Delete")),
    panel,
    noteForm,
    h("h2", {}, `Notes (${c.note_count})`),
    c.notes.length ? h("div", { "aria-label": "Notes" }, c.notes.map((n) => h("article",
      { class: "note" }, h("div", { class: "muted" },
        [when(n.created_at), n.type_label, n.author ? "by " + n.author : ""].filter(Boolean)
          .join(" · ")),
      h("div", { class: "text" }, n.text)))) : h("p", { class: "muted" }, "No notes yet."),
    h("h2", {}, `Files (${c.files.length})`),
    h("ul", { class: "list" }, c.files.map((f) => h("li", {}, h("button", { type: "button",
      class: "item", onclick: () => download(c.id, f) }, h("div", { class: "name" }, f.name),
      h("div", { class: "meta" }, `${f.category_label} · ${Math.ceil(f.size / 1024)} KB`))))),
    h("label", { for: "upload" }, "Upload a file"), upload,
    h("h2", {}, "Stage history"),
    h("ol", { class: "list" }, c.stage_history.slice().reverse().map((s) => h("li", {},
      h("div", { class: "item" }, (s.from_name ? s.from_name + " → " : "") + s.to_name,
        h("div", { class: "meta" }, [when(s.at), s.by].filter(Boolean).join(" · ")))))),
  );
}

async function download(contactId, file) {
  try {
    const blob = await api("GET", `/contacts/${contactId}/files/${file.id}`, undefined,
      { blob: true });
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: file.name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (err) { failed(err); }
}

// --- Edit and New contact: one form, errors beside the field -----------------------------------

function contactForm(values, submitLabel, onSubmit) {
  const inputs = {};
  const errors = {};
  const rows = state.me.fields.map(({ name, label }) => {
    let input;
    if (name === "contact_type") {
      input = h("select", { id: "f-" + name }, state.me.types.map((t) =>
        h("option", { value: t.key, selected: values[name] === t.key }, t.label)));
    } else if (name === "urgency_level") {
      input = h("select", { id: "f-" + name }, state.me.urgencies.map((u) =>
        h("option", { value: u, selected: (values[name] || "normal") === u }, u)));
    } else {
      input = h("input", { id: "f-" + name, value: values[name] ?? "",
        inputmode: /value|revenue|jobs/.test(name) ? "decimal" : null,
        type: name === "email" ? "email" : name === "phone" ? "tel" : "text" });
    }
    inputs[name] = input;
    errors[name] = h("p", { class: "error", id: "e-" + name, role: "alert" });
    input.setAttribute("aria-describedby", "e-" + name);
    return [h("label", { for: "f-" + name }, label), input, errors[name]];
  });
  const general = h("p", { class: "error", role: "alert" });
  const data = () => Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value]));
  const showError = (err) => {
    Object.values(errors).forEach((e) => { e.textContent = ""; });
    general.textContent = "";
    const target = err.data && errors[err.data.field];
    (target || general).textContent = err.message;
    if (target) inputs[err.data.field].focus();
  };
  const submit = async (e) => {
    if (e) e.preventDefault();
    try { await onSubmit(data(), showError); } catch (err) {
      if (err instanceof ApiError && err.status === 400) showError(err); else failed(err);
    }
  };
  setMainButton(submitLabel, submit);
  return h("form", { onsubmit: submit, novalidate: true }, rows, general,
    h("button", { type: "submit", class: "primary" }, submitLabel));
}

async function editScreen(args) {
  const c = args.contact;
  const changed = (data) => Object.fromEntries(Object.entries(data).filter(([k, v]) =>
    String(c.fields[k] ?? "") !== v));
  show(h("h1", {}, "Edit " + c.name), contactForm(c.fields, "Save", async (data) => {
    await api("PATCH", "/contacts/" + c.id, changed(data));
    haptic();
    state.stack.pop();
    go("contact", { id: c.id }, true);
  }));
}

async function newScreen() {
  const warning = h("div", {});
  const create = async (data, force) => {
    const body = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== ""));
    try {
      const c = await api("POST", "/contacts", force ? { ...body, force: true } : body);
      haptic();
      go("contact", { id: c.id }, true);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 409) throw err;
      const dup = err.data.duplicates[0];
      warning.replaceChildren(h("div", { class: "warning", role: "alert" },
        h("p", {}, err.message),
        h("ul", {}, err.data.duplicates.map((d) => h("li", {}, `${d.name} (${d.reason})`))),
        h("div", { class: "row" },
          h("button", { type: "button", onclick: () => go("contact", { id: dup.id }, true) },
            "Open existing"),
          h("button", { type: "button", class: "primary", onclick: () =>
            create(data, true).catch(failed) }, "Continue anyway"))));
      warning.firstChild.scrollIntoView({ block: "start" });
      haptic("warning");
    }
  };
  show(h("h1", {}, "New contact"), warning,
    contactForm({ contact_type: "eviction_client" }, "Create", (data) => create(data, false)));
}

// --- Board ---------------------------------------------------------------------------------

async function boardScreen(args) {
  const type = args.type || state.boardType || "prevention_prospect";
  state.boardType = type;
  const b = await api("GET", `/board?type=${type}&view=${state.listView}`);
  const move = async (id, stage) => {
    try { await api("POST", `/contacts/${id}/stage`, { stage }); haptic(); render(); }
    catch (err) { failed(err); }
  };
  const columns = b.columns.map((col) => {
    const id = "col-" + col.stage;
    const cards = col.contacts.map((c) => {
      const menu = h("div", { class: "menu", hidden: true });
      const card = h("article", { class: "card", draggable: "true", "aria-label": c.name,
        ondragstart: (e) => { e.dataTransfer.setData("text/plain", String(c.id)); } },
        h("button", { type: "button", class: "open", onclick: () => go("contact", { id: c.id }) },
          h("div", { class: "name" }, c.name),
          h("div", { class: "muted" }, [money(c.potential_value), c.owner].join(" · "))),
        h("button", { type: "button", class: "move", "aria-expanded": "false", onclick: (e) => {
          menu.hidden = !menu.hidden;
          e.currentTarget.setAttribute("aria-expanded", String(!menu.hidden));
        } }, "Move to…"), menu);
      menu.append(...b.columns.filter((o) => o.stage !== col.stage).map((o) => h("button", {
        type: "button", onclick: () => move(c.id, o.stage) }, o.name)));
      return card;
    });
    const more = col.count > col.contacts.length
      ? h("p", { class: "muted" }, `and ${col.count - col.contacts.length} more`) : null;
    return h("section", { class: "column", "aria-labelledby": id,
      ondragover: (e) => { e.preventDefault(); e.currentTarget.classList.add("drop"); },
      ondragleave: (e) => e.currentTarget.classList.remove("drop"),
      ondrop: (e) => {
        e.preventDefault();
        e.currentTarget.classList.remove("drop");
        const contactId = e.dataTransfer.getData("text/plain");
        if (contactId && !col.contacts.some((c) => String(c.id) === contactId)) {
          move(contactId, col.stage);
        }
      } },
      h("h2", { id }, col.name),
      h("div", { class: "sum" }, `${col.count} · ${money(col.value)}`), cards, more);
  });
  show(
    h("h1", {}, "Board"),
    h("div", { class: "switch", role: "group", "aria-label": "Contact type" },
      state.me.types.map((t) => h("button", { type: "button", "aria-pressed": String(t.key === type),
        onclick: () => go("board", { type: t.key }, true) }, t.label))),
    viewSwitch(state.listView, (v) => { state.listView = v; render(); }),
    h("div", { class: "board" }, columns),
  );
}

const SCREENS = {
  dashboard: dashboardScreen, contacts: contactsScreen, contact: contactScreen,
  edit: editScreen, new: newScreen, board: boardScreen,
};

// --- start -------------------------------------------------------------------------------------

function onTelegram() {
  const t = tg();
  if (!t) return;
  t.ready();
  t.expand();
  applyTheme(t.themeParams);
  t.onEvent("themeChanged", () => applyTheme(t.themeParams));
  t.BackButton.onClick(back);
  t.MainButton.onClick(() => mainAction && mainAction());
  render();
}

async function start() {
  applyTheme(launch.theme);
  for (const button of document.querySelectorAll("nav button")) {
    button.addEventListener("click", () => openSection(button.dataset.nav));
  }
  const script = document.querySelector('script[src*="telegram-web-app"]');
  if (tg()) onTelegram(); else if (script) script.addEventListener("load", onTelegram);
  const first = "/dashboard?view=" + state.view;
  state.prefetched[first] = api("GET", first);
  state.prefetched[first].catch(() => {});  // reported when the dashboard awaits it
  try {
    state.me = await api("GET", "/me");
  } catch (err) {
    failed(err);
    return;
  }
  // From a card's "Open in app": /app?contact=ID opens that contact over the list.
  const wanted = new URLSearchParams(location.search).get("contact");
  if (wanted && /^\d{1,10}$/.test(wanted)) {
    state.stack = [{ screen: "contacts", args: {} }, { screen: "contact", args: { id: wanted } }];
    render();
  } else {
    openSection("dashboard");
  }
}

start();
