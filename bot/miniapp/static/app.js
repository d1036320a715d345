// The diary's Mini App: plain JS, no build step. Talks to Telegram the way telegram-web-app.js does
// (initData and theme from the URL fragment, events through the webview proxy), served by the bot.
"use strict";

/* ---------- Telegram bridge ---------- */
const TG = (() => {
  const fromHash = new URLSearchParams(location.hash.slice(1));
  let stored = {};
  try { stored = JSON.parse(sessionStorage.getItem("tgParams") || "{}"); } catch (e) { stored = {}; }
  const params = {};
  for (const key of ["tgWebAppData", "tgWebAppThemeParams", "tgWebAppVersion", "tgWebAppPlatform"]) {
    params[key] = fromHash.get(key) || stored[key] || "";
  }
  try { sessionStorage.setItem("tgParams", JSON.stringify(params)); } catch (e) { /* private mode */ }
  const initData = params.tgWebAppData;
  let user = null;
  try { user = JSON.parse(new URLSearchParams(initData).get("user") || "null"); } catch (e) { user = null; }
  const iframe = window.parent != null && window !== window.parent;
  const native = !!(window.TelegramWebviewProxy || (window.external && "notify" in window.external));
  const inside = native || iframe;
  const handlers = {};
  function receive(type, data) { (handlers[type] || []).forEach((fn) => fn(data)); }
  window.Telegram = window.Telegram || {};
  window.Telegram.WebView = { receiveEvent: receive };
  window.TelegramGameProxy = { receiveEvent: receive };
  window.TelegramGameProxy_receiveEvent = receive;
  if (iframe) {
    window.addEventListener("message", (event) => {
      if (event.source !== window.parent) return;
      let d; try { d = JSON.parse(event.data); } catch (e) { return; }
      if (d && d.eventType) receive(d.eventType, d.eventData);
    });
  }
  function post(type, data) {
    try {
      if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent(type, JSON.stringify(data || {}));
      else if (window.external && "notify" in window.external) window.external.notify(JSON.stringify({ eventType: type, eventData: data }));
      else if (iframe) window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data }), "*");
    } catch (e) { /* not in Telegram */ }
  }
  function on(type, fn) { (handlers[type] = handlers[type] || []).push(fn); }
  function applyTheme(theme) {
    if (!theme) return;
    const root = document.documentElement.style;
    const map = { bg_color: "bg", text_color: "text", hint_color: "hint", link_color: "link", button_color: "button",
      button_text_color: "button-text", secondary_bg_color: "secondary-bg", section_bg_color: "section-bg",
      section_header_text_color: "section-header", destructive_text_color: "destructive", accent_text_color: "accent" };
    for (const [k, v] of Object.entries(map)) if (theme[k]) root.setProperty("--tg-" + v, theme[k]);
    document.documentElement.classList.add("themed");
    const bg = theme.bg_color || "#ffffff";
    const rgb = parseInt(bg.slice(1), 16);
    const dark = ((rgb >> 16) & 255) * 0.299 + ((rgb >> 8) & 255) * 0.587 + (rgb & 255) * 0.114 < 128;
    document.documentElement.classList.toggle("dark", dark);
    document.documentElement.style.colorScheme = dark ? "dark" : "light";
  }
  // Telegram's own header, the background it shows while scrolling past the page's edge, and the
  // bar under the main button, in the page's colours (as telegram-web-app.js's setHeaderColor,
  // setBackgroundColor and setBottomBarColor do): one surface, not a white band over a dark page.
  function paintChrome() {
    const css = getComputedStyle(document.documentElement);
    const hex = (name) => { const v = css.getPropertyValue(name).trim(); return /^#[0-9a-f]{6}$/i.test(v) ? v : null; };
    const page = hex("--tg-secondary-bg") || (document.documentElement.classList.contains("dark") ? "#0f0f0f" : "#f1f3f6");
    post("web_app_set_header_color", { color_key: "secondary_bg_color" });
    post("web_app_set_background_color", { color: page });
    post("web_app_set_bottom_bar_color", { color: page });
  }
  let theme = null;
  try { theme = JSON.parse(params.tgWebAppThemeParams || "null"); } catch (e) { theme = null; }
  applyTheme(theme);
  on("theme_changed", (d) => { applyTheme(d && d.theme_params); paintChrome(); });
  let mainClick = null, backClick = null, popupDone = null;
  on("main_button_pressed", () => mainClick && mainClick());
  on("back_button_pressed", () => backClick && backClick());
  on("popup_closed", (d) => { const done = popupDone; popupDone = null; if (done) done((d && d.button_id) || null); });
  const version = params.tgWebAppVersion.split(".").map(Number);
  const atLeast = (major, minor) => version[0] > major || (version[0] === major && (version[1] || 0) >= minor);
  return {
    initData, user, inside,
    ready() { post("web_app_ready"); post("web_app_expand"); paintChrome(); },
    // Telegram's own dialog where it has one (6.2 on); elsewhere the browser's. Resolves true for yes.
    ask(message, yes) {
      if (!inside || !atLeast(6, 2)) return Promise.resolve(window.confirm(message));
      return new Promise((resolve) => {
        popupDone = (id) => resolve(id === "yes");
        post("web_app_open_popup", { message, buttons: [{ id: "yes", type: "destructive", text: yes }, { id: "no", type: "cancel" }] });
      });
    },
    main(text, onClick, busy) {
      mainClick = onClick;
      post("web_app_setup_main_button", text ? { is_visible: true, is_active: !busy, is_progress_visible: !!busy, text,
        color: getComputedStyle(document.documentElement).getPropertyValue("--button").trim() || undefined } : { is_visible: false });
    },
    back(onClick) { backClick = onClick; post("web_app_setup_back_button", { is_visible: !!onClick }); },
    haptic(kind) {
      if (kind === "select") post("web_app_trigger_haptic_feedback", { type: "selection_change" });
      else if (kind === "tap") post("web_app_trigger_haptic_feedback", { type: "impact", impact_style: "light" });
      else post("web_app_trigger_haptic_feedback", { type: "notification", notification_type: kind });
    },
    confirmClose(on) { post("web_app_setup_closing_behavior", { need_confirmation: !!on }); },
  };
})();

/* ---------- helpers ---------- */
let S = {};
let LOCALE = "ru";
function t(key, params) {
  let text = S[key] || key;
  if (params) for (const [k, v] of Object.entries(params)) text = text.split("{" + k + "}").join(String(v));
  return text;
}
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}
const day = (iso) => new Date(iso + "T12:00:00");
const fmt = (iso, opts) => new Intl.DateTimeFormat(LOCALE, opts).format(day(iso));
const short = (iso) => fmt(iso, { day: "2-digit", month: "2-digit" });
const words = (iso) => fmt(iso, { day: "numeric", month: "long" });
// A heading starts with a capital; only the first word («Ноябрь 2026 г.», not «Г.»).
const heading = (text) => text.charAt(0).toUpperCase() + text.slice(1);
const weekday = (iso) => fmt(iso, { weekday: "short" });
const avg = (n) => n == null ? "—" : new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n);
const vclass = (v) => "v v" + Math.max(1, Math.min(5, Math.round(v)));
const iso = (d) => d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");

class ApiError extends Error {
  constructor(status, data) { super(data.error || "error"); this.status = status; this.code = data.code; this.index = data.index; }
}
async function api(path, body) {
  const init = { headers: { "X-Telegram-Init-Data": TG.initData } };
  if (body !== undefined) { init.method = "POST"; init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
  let response;
  try { response = await fetch("api/" + path, init); } catch (e) { throw new ApiError(0, { error: t("offline"), code: "offline" }); }
  if ((response.headers.get("Content-Type") || "").includes("json")) {
    const data = await response.json();
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }
  if (!response.ok) throw new ApiError(response.status, { error: t("offline"), code: "failed" });
  return response;
}
let toastTimer = null;
function toast(text, bad) {
  const el = document.getElementById("toast");
  el.textContent = text; el.className = bad ? "bad" : ""; el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, bad ? 6000 : 2200);
}
const sheetEl = () => document.getElementById("sheet");
function openSheet(...content) {
  const el = sheetEl();
  el.replaceChildren(h("div", { class: "grab" }), ...content);
  el.hidden = false; document.getElementById("sheet-veil").hidden = false;
  TG.back(closeSheet);
}
function closeSheet() {
  sheetEl().hidden = true; document.getElementById("sheet-veil").hidden = true;
  TG.back(null); refreshButtons();
}

/* ---------- state ---------- */
const state = { me: null, screen: null, journal: { choices: [], choice: null, grid: null, col: null },
  diary: { student: null, month: null }, klass: { tab: "absences", span: "week", classId: null } };
const pendingKey = () => "diary:pending:" + (TG.user ? TG.user.id : "0");
let pending = [];
function loadPending() { try { pending = JSON.parse(localStorage.getItem(pendingKey()) || "[]"); } catch (e) { pending = []; } }
function storePending() {
  try { localStorage.setItem(pendingKey(), JSON.stringify(pending)); } catch (e) { /* storage full or off */ }
  TG.confirmClose(pending.length > 0);
}

/* ---------- start ---------- */
// Before sign-in the page has no strings from the diary: these few, in the browser's language.
const BEFORE = {
  ru: { title: "Электронный дневник", outside: "Откройте дневник из бота в Telegram: эта страница работает только там." },
  en: { title: "School diary", outside: "Open the diary from the bot in Telegram: this page works only there." },
};
// The words of a language: the same for everyone, kept by the browser under the version in the page.
function loadStrings(locale) {
  const version = document.querySelector('meta[name="words"]').content;
  return fetch("strings/" + locale + ".json?v=" + version).then((r) => { if (!r.ok) throw new Error(r.status); return r.json(); });
}
const localeKey = () => "diary:locale:" + (TG.user ? TG.user.id : "0");
async function start() {
  const before = BEFORE[(navigator.language || "ru").slice(0, 2).toLowerCase()] || BEFORE.ru;
  document.title = before.title;
  TG.ready();
  document.getElementById("sheet-veil").addEventListener("click", closeSheet);
  if (!TG.initData) return failPage(before.outside);
  loadPending();
  // One round trip for the first screen: who is asking and that screen's data (on the class and
  // subject of the changes waiting, if any), with the words fetched (or taken from the cache) beside it.
  const waiting = pending.find((p) => p.k);
  const [cls, subj] = waiting ? waiting.k.split(":") : [];
  const code = TG.user && TG.user.language_code ? TG.user.language_code.slice(0, 2) : "";
  let guess = "ru";
  try { guess = localStorage.getItem(localeKey()) || (["ru", "en"].includes(code) ? code : "ru"); } catch (e) { /* storage off */ }
  const words = loadStrings(guess).catch(() => null);
  let me;
  try { me = await api("me" + (waiting ? "?class_id=" + cls + "&subject_id=" + subj : "")); } catch (e) { return failPage(e.message); }
  try { S = (me.locale === guess && await words) || await loadStrings(me.locale); } catch (e) { S = {}; }
  try { localStorage.setItem(localeKey(), me.locale); } catch (e) { /* storage off */ }
  state.me = me; LOCALE = me.locale; document.documentElement.lang = me.locale;
  document.title = t("title");
  if (me.choices) setChoices(me.choices);
  if (me.grid) state.journal.ready = me.grid;
  if (me.book) state.diary.ready = me.book;
  state.screen = (me.screens.includes("journal") && pending.length) ? "journal" : me.screens[0];
  if (!state.screen) return failPage(t("nothing"));
  render();
}
function failPage(text) {
  document.getElementById("app").replaceChildren(h("div", { class: "error-page" }, h("div", { class: "icon" }, "🔒"), h("p", {}, text)));
}
function render() {
  const app = document.getElementById("app");
  const page = h("div", { class: "page" });
  const screens = state.me.screens;
  if (screens.length > 1) {
    page.append(h("div", { class: "tabs" }, screens.map((s) => h("button", {
      class: s === state.screen ? "on" : "", onclick: () => { state.screen = s; TG.haptic("select"); render(); } }, t("tab_" + s)))));
  }
  const body = h("div", { id: "screen" }, h("div", { class: "loading" }, h("div", { class: "spinner" })));
  page.append(body);
  app.replaceChildren(page);
  const show = { journal: showJournal, klass: showClass, diary: showDiary }[state.screen];
  show(body).catch((e) => { body.replaceChildren(h("div", { class: "empty" }, e.message)); });
  refreshButtons();
}
function refreshButtons() {
  const bar = document.getElementById("savebar");
  if (bar) bar.remove();
  const showing = state.screen === "journal" && pending.length > 0 && !state.journal.col;
  // Inside Telegram, Save is Telegram's main button and Discard sits beside the class picker.
  const inline = document.getElementById("discard-inline");
  if (inline) inline.hidden = !showing;
  if (!showing) { TG.main(null); return; }
  const label = t("save_n", { n: pending.length });
  if (TG.inside) { TG.main(label, save); return; }
  document.body.append(h("div", { class: "savebar", id: "savebar" },
    h("button", { class: "btn ghost", id: "discard", onclick: discard }, t("discard")),
    h("button", { class: "btn wide", id: "save", onclick: save }, label)));
}

/* ---------- teacher's grid ---------- */
function setChoices(found) {
  const j = state.journal;
  j.choices = found.choices; j.loaded = true;
  // Reopened with changes waiting: on the class and subject they were made in, not today's lesson.
  const waiting = pending.find((p) => p.k && found.choices.some((c) => choiceKey(c) === p.k));
  j.choice = j.choice || (waiting ? found.choices.find((c) => choiceKey(c) === waiting.k) : found.default);
}
async function showJournal(body) {
  const j = state.journal;
  if (!j.loaded) setChoices(await api("grid/choices"));
  if (!j.choice) { body.replaceChildren(h("div", { class: "empty" }, t("no_classes"))); return; }
  const ready = j.ready; j.ready = null;
  if (ready && !j.period && ready.class_id === j.choice.class_id && ready.subject_id === j.choice.subject_id) j.grid = ready;
  else j.grid = await api("grid?class_id=" + j.choice.class_id + "&subject_id=" + j.choice.subject_id + (j.period ? "&period_id=" + j.period : ""));
  // The current period as the default view names it, to come back to from an earlier term.
  if (!j.period) j.current = { id: j.grid.period_id, name: j.grid.period || t("no_period") };
  drawGrid(body);
}
function choiceKey(c) { return c ? c.class_id + ":" + c.subject_id : ""; }
function drawGrid(body) {
  const j = state.journal, g = j.grid;
  const select = h("select", { id: "choice", onchange: (e) => {
    j.choice = j.choices.find((c) => choiceKey(c) === e.target.value); j.col = null; j.period = null; render(); } },
  j.choices.map((c) => h("option", { value: choiceKey(c), selected: choiceKey(c) === choiceKey(j.choice) },
    c.class_name + " · " + c.subject_name + waitingIn(c))));
  const scale = g.grading ? t("scale", { low: g.grade_min, high: g.grade_max }) : t("no_grading");
  // An earlier term of the year can be looked back at (read-only but for days still open).
  const earlier = j.current ? g.terms.filter((x) => x.period_id !== j.current.id) : [];
  const meta = earlier.length ? h("div", { class: "meta row" }, h("select", { id: "term", class: "term", onchange: (e) => {
    j.period = e.target.value ? Number(e.target.value) : null; j.col = null; j.scrolled = null; render(); } },
  earlier.map((x) => h("option", { value: x.period_id, selected: x.period_id === j.period }, x.name)),
  h("option", { value: "", selected: !j.period }, j.current.name)), h("span", {}, " · " + scale))
    : h("div", { class: "meta" }, [g.period, scale].filter(Boolean).join(" · "));
  const table = h("table", { class: "grid", id: "grid" });
  const head = h("tr", {}, h("th", { class: "name" }, t("student")));
  let lastWeek = null;
  const weekStart = (d) => { const x = day(d); x.setDate(x.getDate() - ((x.getDay() + 6) % 7)); return iso(x); };
  const weekCols = new Set();
  g.columns.forEach((col, i) => {
    const w = weekStart(col.on_date);
    if (lastWeek !== null && w !== lastWeek) weekCols.add(i);
    lastWeek = w;
    // A dot where the topic or homework is written or waiting to be saved; off where it waits to be cleared.
    const topicChange = pendingFor("topic", col.lesson_id)[0];
    const hwChange = pending.find((p) => (p.c.op === "homework" || p.c.op === "homework_delete") && p.l === col.lesson_id);
    const hasTopic = topicChange ? !!topicChange.c.text : !!col.topic;
    const hasHw = hwChange ? hwChange.c.op === "homework" : !!col.homework;
    const headFailed = pending.some((p) => p.failed && p.l === col.lesson_id && p.s == null);
    head.append(h("th", { class: [weekCols.has(i) ? "week" : "", col.on_date === g.today ? "today" : "", headFailed ? "failed" : ""].join(" ").trim() },
      h("button", { "data-lesson": col.lesson_id, onclick: () => lessonSheet(col) },
        h("b", {}, short(col.on_date)), h("span", {}, weekday(col.on_date) + (col.subgroup ? " · " + col.subgroup : "")),
        h("span", { class: "dots" }, h("i", { class: hasTopic ? "on" : "", "data-dot": "topic" }),
          h("i", { class: hasHw ? "on" : "", "data-dot": "homework" })))));
  });
  table.append(h("thead", {}, head));
  const tbody = h("tbody");
  g.rows.forEach((row, r) => {
    const tr = h("tr", { class: j.col && j.col.row === r ? "current" : "", "data-student": row.student_id },
      h("th", { class: "name" }, h("div", { class: "nmrow" }, h("small", {}, r + 1), h("span", { class: "nm" }, row.name))));
    g.columns.forEach((col, i) => tr.append(cell(row, col, weekCols.has(i))));
    tbody.append(tr);
  });
  table.append(tbody);
  const wrap = h("div", { class: "grid-wrap", id: "grid-wrap" }, table);
  const before = document.getElementById("grid-wrap");
  const kept = before && j.scrolled === choiceKey(j.choice) ? [before.scrollLeft, before.scrollTop] : null;
  const drop = h("button", { class: "btn ghost", id: "discard-inline", hidden: true, onclick: discard }, t("discard"));
  body.replaceChildren(h("div", { class: "picker" }, select, TG.inside ? drop : null), meta, wrap);
  if (!g.columns.length) body.append(h("div", { class: "empty" }, t("no_lessons")));
  if (j.col) drawPad(body);
  if (kept) [wrap.scrollLeft, wrap.scrollTop] = kept;
  else {
    // First sight of a class: today's lesson (or the last before it) at the right edge, moved on
    // to the next column's edge so that no sliver of a column shows under the names.
    const upTo = g.columns.filter((c) => c.on_date <= g.today).length;
    const cellAt = head.children[upTo], names = head.children[0].offsetWidth;
    if (cellAt) {
      const want = cellAt.offsetLeft + cellAt.offsetWidth - wrap.clientWidth;
      const edge = [...head.children].slice(1).map((c) => c.offsetLeft - names).find((x) => x >= want);
      wrap.scrollLeft = Math.max(0, edge == null ? want : edge);
    }
    j.scrolled = choiceKey(j.choice);
  }
  const target = j.col ? table.querySelector("tr.current") : null;
  if (target) {
    const cellTop = target.offsetTop - wrap.clientHeight / 2;
    wrap.scrollTop = Math.max(0, cellTop);
    const colCell = head.children[1 + g.columns.findIndex((c) => c.lesson_id === j.col.lesson)];
    if (colCell && (colCell.offsetLeft < wrap.scrollLeft + 120 || colCell.offsetLeft + colCell.offsetWidth > wrap.scrollLeft + wrap.clientWidth)) {
      wrap.scrollLeft = colCell.offsetLeft - 130;
    }
  }
  refreshButtons();
}
// Changes waiting in another class or subject are named in the picker, so none is forgotten.
function waitingIn(c) {
  const n = pending.filter((p) => p.k === choiceKey(c)).length;
  return n ? " · ✎ " + n : "";
}
function pendingFor(op, lesson, student) {
  return pending.filter((p) => p.c.op === op && p.l === lesson && (student === undefined || p.s === student));
}
function cellView(row, col) {
  const markChange = pendingFor("mark", col.lesson_id, row.student_id)[0];
  const mark = markChange ? markChange.c.mark : (row.marks[col.lesson_id] || "present");
  const grades = (row.grades[col.lesson_id] || []).map((gr) => {
    const del = pending.find((p) => p.c.op === "grade_delete" && p.c.grade_id === gr.grade_id);
    const ch = pending.find((p) => p.c.op === "grade_change" && p.c.grade_id === gr.grade_id);
    return { ...gr, ...(ch ? { value: ch.c.value ?? gr.value, work_type_id: ch.c.work_type_id ?? gr.work_type_id,
      comment: ch.c.comment ?? gr.comment } : {}), gone: !!del };
  });
  const added = pendingFor("grade_add", col.lesson_id, row.student_id).map((p) => ({ value: p.c.value, added: true }));
  const changed = !!markChange || added.length || pending.some((p) => (p.c.op === "grade_delete" || p.c.op === "grade_change")
    && p.l === col.lesson_id && p.s === row.student_id);
  return { mark, grades, added, changed };
}
function cell(row, col, week) {
  const v = cellView(row, col);
  const outside = row.outside.includes(col.lesson_id);
  const failed = pending.some((p) => p.failed && p.l === col.lesson_id && p.s === row.student_id);
  const classes = [week ? "week" : "", outside ? "out" : "", v.changed ? "pending" : "", failed ? "failed" : "",
    col.editable ? "" : "locked", state.journal.col && state.journal.col.lesson === col.lesson_id ? "colon" : ""];
  const content = [];  // each its own span: the stylesheet parts them (at 360 px «ОТ 5 5», never «ОТ55»)
  if (v.mark === "absent") content.push(h("span", { class: "mark-absent" }, t("mark_absent_short")));
  if (v.mark === "late") content.push(h("span", { class: "mark-late" }, t("mark_late_short")));
  for (const gr of v.grades) if (!gr.gone) content.push(h("span", { class: vclass(gr.value) }, gr.value));
  for (const gr of v.added) content.push(h("span", { class: vclass(gr.value) }, gr.value));
  return h("td", { class: classes.join(" ").trim() },
    outside ? null : h("button", { "data-cell": col.lesson_id + ":" + row.student_id, onclick: () => cellSheet(row, col) }, content));
}
// Each waiting change remembers the class and subject it was made in (k), so the page reopens there.
function upsert(change, lesson, student, same) {
  pending = pending.filter((p) => !same(p));
  if (change) pending.push({ c: change, l: lesson, s: student, k: choiceKey(state.journal.choice) });
  storePending();
}
function readOnlyReason(col) {
  const g = state.journal.grid;
  if (col.on_date < g.first_editable) return t("closed_day", { first: words(g.first_editable) });
  return t("not_yours");
}
// A refused change of the last save: what the diary said, and a way to drop just that change.
function failures(list) {
  return list.map((p) => h("div", { class: "refused" }, h("div", {}, p.error || t("refused_change")),
    h("button", { class: "btn danger", "data-drop": "", onclick: () => { pending = pending.filter((x) => x !== p); storePending(); closeSheet(); redraw(); } },
      t("drop_change"))));
}
function cellSheet(row, col) {
  const g = state.journal.grid, v = cellView(row, col);
  const items = [h("h3", {}, row.name), h("div", { class: "sub" }, words(col.on_date) + ", " + t("lesson_no", { no: col.lesson_no }))];
  const failed = pending.filter((p) => p.failed && p.l === col.lesson_id && p.s === row.student_id);
  items.push(...failures(failed));
  if (!col.editable) {
    items.push(h("div", { class: "hint" }, readOnlyReason(col)));
    const shown = v.grades.filter((x) => !x.gone);
    if (v.mark !== "present") items.push(h("p", {}, t("mark_" + v.mark)));
    if (shown.length) items.push(h("div", { class: "existing" }, shown.map((x) => h("span", { class: "chip " + vclass(x.value) }, x.value))));
    shown.filter((x) => x.comment).forEach((x) => items.push(h("p", { class: "hint" }, x.value + ": " + x.comment)));
    openSheet(...items); return;
  }
  if (!col.started) { items.push(h("div", { class: "hint" }, t("not_started"))); openSheet(...items); return; }
  let mark = v.mark;
  const original = row.marks[col.lesson_id] || "present";
  const seg = h("div", { class: "seg", id: "mark" });
  const confirmBox = h("div");
  let drawConfirm = () => {};
  const drawSeg = () => seg.replaceChildren(...["present", "absent", "late"].map((m) => h("button", {
    class: m === mark ? "on" : "", "data-mark": m, onclick: () => { mark = m; TG.haptic("select"); drawSeg(); drawConfirm(); } }, t("mark_" + m))));
  drawSeg();
  items.push(h("label", {}, t("attendance")), seg);
  const applyMark = () => upsert(mark === original ? null : { op: "mark", lesson_id: col.lesson_id, student_id: row.student_id, mark },
    col.lesson_id, row.student_id, (p) => p.c.op === "mark" && p.l === col.lesson_id && p.s === row.student_id);
  let applyGrades = () => {};
  if (g.grading) {
    const editor = gradeEditor(row, col, v, () => mark, confirmBox);
    drawConfirm = editor.drawConfirm;
    applyGrades = editor.apply;
    items.push(...editor.items);
  }
  items.push(h("div", { class: "actions" },
    h("button", { class: "btn ghost wide", onclick: closeSheet }, t("cancel")),
    h("button", { class: "btn wide", id: "apply", onclick: () => { applyMark(); applyGrades(); closeSheet(); redraw(); } }, t("done"))));
  openSheet(...items);
}
// The grades of a cell: the saved ones and those waiting to be saved, each tappable to change or
// remove, and a new one. A refused grade opens ready to be put right (or confirmed, or removed).
function gradeEditor(row, col, v, markNow, confirmBox) {
  const g = state.journal.grid;
  const waiting = pendingFor("grade_add", col.lesson_id, row.student_id);
  const removed = new Set(), dropped = new Set();
  let editing = null, value = null, confirm = false;
  const existing = h("div", { class: "existing", id: "existing" });
  const values = h("div", { class: "values", id: "values" });
  const wt = h("select", { class: "field", id: "work-type" }, h("option", { value: "" }, t("no_work_type")),
    g.work_types.map((w) => h("option", { value: w.work_type_id }, w.name)));
  const comment = h("input", { class: "field", id: "comment", maxlength: 500, placeholder: t("comment_placeholder") });
  const label = h("label", {}, t("new_grade"));
  const del = h("button", { class: "btn danger", id: "delete-grade", hidden: true, onclick: () => {
    if (!editing) return;  // nothing chosen: there is nothing to remove
    if (editing.saved) removed.add(editing.saved.grade_id); else dropped.add(editing.added);
    editing = null; drawExisting(); drawEdit();
  } }, t("delete"));
  const drawConfirm = () => confirmBox.replaceChildren(...(markNow() === "absent" ? [h("label", { class: "check" },
    h("input", { type: "checkbox", id: "confirm-absent", checked: confirm, onchange: (e) => { confirm = e.target.checked; } }), t("confirm_absent"))] : []));
  const drawValues = () => values.replaceChildren(...range(g.grade_min, g.grade_max).map((n) => h("button", {
    class: vclass(n) + (n === value ? " on" : ""), "data-value": n, onclick: () => { value = value === n ? null : n; TG.haptic("select"); drawValues(); } }, n)));
  const drawEdit = () => {
    const it = editing ? (editing.saved || editing.added.c) : null;
    label.textContent = editing ? t("edit_grade") : t("new_grade");
    value = it ? it.value : null;
    wt.value = it && it.work_type_id ? it.work_type_id : "";
    comment.value = it ? (it.comment || "") : "";
    confirm = editing && editing.added ? !!editing.added.c.confirm_absent : false;
    del.hidden = !editing; drawValues(); drawConfirm();
  };
  const chip = (text, cls, target, extra) => h("button", { class: "chip " + cls + (editing && (editing.saved || editing.added) === target ? " on" : ""), ...extra,
    onclick: () => { const same = editing && (editing.saved || editing.added) === target;
      editing = same ? null : ("grade_id" in target ? { saved: target } : { added: target }); drawExisting(); drawEdit(); } }, text);
  const drawExisting = () => existing.replaceChildren(
    ...v.grades.filter((x) => !x.gone && !removed.has(x.grade_id)).map((x) => chip(x.value, vclass(x.value), x, { "data-grade": x.grade_id })),
    ...waiting.filter((p) => !dropped.has(p)).map((p) => chip(p.c.value, vclass(p.c.value) + " added" + (p.failed ? " failed" : ""), p, { "data-waiting": "" })));
  const refused = waiting.find((p) => p.failed);
  if (refused) editing = { added: refused };
  drawExisting(); drawEdit();
  const items = [];
  if (v.grades.length || waiting.length) items.push(h("label", {}, t("grades_here")), existing);
  items.push(label, values, h("label", {}, t("work_type")), wt, h("label", {}, t("comment")), comment, confirmBox, h("div", { class: "actions" }, del));
  const apply = () => {
    for (const id of removed) upsert({ op: "grade_delete", grade_id: id }, col.lesson_id, row.student_id,
      (p) => (p.c.op === "grade_delete" || p.c.op === "grade_change") && p.c.grade_id === id);
    if (dropped.size) { pending = pending.filter((p) => !dropped.has(p)); storePending(); }
    const w = wt.value ? Number(wt.value) : null, text = comment.value.trim();
    if (value == null) return;
    if (editing && editing.saved) {
      const was = editing.saved, id = was.grade_id;
      const change = { op: "grade_change", grade_id: id, value, work_type_id: w, comment: text };
      // Compared with the grade as saved: back to it is no change; anything else replaces a waiting change.
      const saved = (row.grades[col.lesson_id] || []).find((x) => x.grade_id === id) || was;
      const same = value === saved.value && w === saved.work_type_id && text === (saved.comment || "");
      upsert(same ? null : change, col.lesson_id, row.student_id, (p) => p.c.op === "grade_change" && p.c.grade_id === id);
    } else if (editing && editing.added) {
      const p = editing.added;
      Object.assign(p.c, { value, work_type_id: w, comment: text || null, confirm_absent: confirm });
      delete p.failed; delete p.error; storePending();
    } else {
      upsert({ op: "grade_add", lesson_id: col.lesson_id, student_id: row.student_id, value, work_type_id: w,
        comment: text || null, confirm_absent: confirm }, col.lesson_id, row.student_id, () => false);
    }
  };
  return { items, drawConfirm, apply };
}
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
function redraw() { const body = document.getElementById("screen"); if (body && state.journal.grid) drawGrid(body); }
function lessonSheet(col) {
  const g = state.journal.grid;
  const isHw = (p) => (p.c.op === "homework" || p.c.op === "homework_delete") && p.l === col.lesson_id;
  const topicChange = pendingFor("topic", col.lesson_id)[0], hwChange = pending.find(isHw);
  const items = [h("h3", {}, words(col.on_date) + ", " + t("lesson_no", { no: col.lesson_no })),
    h("div", { class: "sub" }, g.class_name + " · " + g.subject_name + (col.subgroup ? " · " + t("group", { group: col.subgroup }) : "")),
    ...failures(pending.filter((p) => p.failed && p.l === col.lesson_id && p.s == null))];
  const topic = h("textarea", { class: "field", id: "topic", maxlength: 500, disabled: !col.editable });
  topic.value = topicChange ? topicChange.c.text : (col.topic || "");
  const hw = h("textarea", { class: "field", id: "homework", maxlength: 3000, disabled: !col.editable });
  hw.value = hwChange ? (hwChange.c.text || "") : (col.homework || "");
  // Due at one of the next lessons, the dates the bot offers (the diary refuses others); until they
  // come, the date it has (or, for a new one, the next lesson, chosen by the diary).
  const chosen = (hwChange && hwChange.c.due_on) || col.homework_due || "";
  const due = h("select", { class: "field", id: "due", disabled: !col.editable });
  const fillDue = (dates) => {
    const all = [...new Set([chosen, ...dates].filter(Boolean))].sort();
    due.replaceChildren(...all.map((d) => h("option", { value: d, selected: d === (chosen || dates[0]) }, weekday(d) + ", " + words(d))));
  };
  fillDue([]);
  if (col.editable) api("due?lesson_id=" + col.lesson_id).then((r) => fillDue(r.dates)).catch(() => { /* the date it has stays */ });
  const remove = h("button", { class: "btn danger", id: "remove-homework", onclick: () => { hw.value = ""; } }, "🗑 " + t("remove"));
  items.push(h("label", {}, t("topic")), topic, h("label", {}, t("homework")), hw, h("label", {}, t("due")), due);
  if (col.editable && (col.homework || hwChange)) items.push(h("div", { class: "actions" }, remove));
  if (!col.editable) items.push(h("p", { class: "hint" }, readOnlyReason(col)));
  const buttons = h("div", { class: "actions" });
  if (col.gradable) buttons.append(h("button", { class: "btn ghost wide", id: "column-mode", onclick: () => { apply(); closeSheet(); columnMode(col); } }, t("column_mode")));
  buttons.append(h("button", { class: "btn wide", id: "apply-lesson", onclick: () => { apply(); closeSheet(); redraw(); } }, t("done")));
  items.push(buttons);
  // An emptied topic is cleared and an emptied homework removed, as saved changes like any other.
  const apply = () => {
    if (!col.editable) return;
    const text = topic.value.trim();
    upsert(text !== (col.topic || "") ? { op: "topic", lesson_id: col.lesson_id, text } : null, col.lesson_id, null,
      (p) => p.c.op === "topic" && p.l === col.lesson_id);
    const task = hw.value.trim(), when = due.value || null, moved = when && when !== col.homework_due ? when : null;
    let change = null;
    if (!task) change = col.homework_id ? { op: "homework_delete", lesson_id: col.lesson_id, homework_id: col.homework_id } : null;
    else if (task !== (col.homework || "") || moved) change = { op: "homework", lesson_id: col.lesson_id, homework_id: col.homework_id, text: task, due_on: moved };
    upsert(change, col.lesson_id, null, isHw);
  };
  openSheet(...items);
}
/* a column of grades with a number pad */
function columnMode(col) {
  state.journal.col = { lesson: col.lesson_id, row: -1, work_type_id: null, entered: [] };
  nextRow(); redraw(); TG.back(endColumn); refreshButtons();
}
function skippable(row, lesson) {
  const col = state.journal.grid.columns.find((c) => c.lesson_id === lesson);
  return row.outside.includes(lesson) || cellView(row, col).mark === "absent";
}
function nextRow() {
  const c = state.journal.col, rows = state.journal.grid.rows;
  let r = c.row + 1;
  while (r < rows.length && skippable(rows[r], c.lesson)) r++;
  c.row = r;
  if (r >= rows.length) endColumn();
}
function endColumn() { state.journal.col = null; TG.back(null); redraw(); }
function drawPad(body) {
  const c = state.journal.col, g = state.journal.grid, row = g.rows[c.row];
  if (!row) return;
  const wt = h("select", { id: "pad-work-type", onchange: (e) => { c.work_type_id = e.target.value ? Number(e.target.value) : null; } },
    h("option", { value: "" }, t("no_work_type")), g.work_types.map((w) => h("option", { value: w.work_type_id, selected: w.work_type_id === c.work_type_id }, w.name)));
  const keys = h("div", { class: "keys" });
  for (const n of range(g.grade_min, g.grade_max)) keys.append(h("button", { class: vclass(n), "data-key": n, onclick: () => enter(n) }, n));
  keys.append(h("button", { class: "op skip", "data-key": "skip", onclick: () => { TG.haptic("select"); nextRow(); redraw(); } }, t("skip")));
  keys.append(h("button", { class: "op", "data-key": "undo", onclick: undo }, "⌫"));
  keys.append(h("button", { class: "op done", "data-key": "done", onclick: endColumn }, t("done")));
  // The grades this student already has in the lesson (saved or waiting): a key adds another, not a replacement.
  const col = g.columns.find((x) => x.lesson_id === c.lesson), v = cellView(row, col);
  const has = [...v.grades.filter((x) => !x.gone), ...v.added].map((x) => x.value);
  body.append(h("div", { class: "numpad", id: "numpad" },
    h("div", { class: "who" }, h("div", { class: "grow" }, h("div", { class: "hint" }, t("column_of", { date: words(col.on_date) })),
      h("b", {}, row.name), has.length ? h("span", { class: "already", id: "pad-already" }, t("already", { grades: has.join(", ") })) : null), wt), keys));
  document.getElementById("grid-wrap").style.maxHeight = "calc(100vh - 330px)";
}
function enter(value) {
  const c = state.journal.col, row = state.journal.grid.rows[c.row];
  pending.push({ c: { op: "grade_add", lesson_id: c.lesson, student_id: row.student_id, value, work_type_id: c.work_type_id,
    comment: null, confirm_absent: false }, l: c.lesson, s: row.student_id, k: choiceKey(state.journal.choice) });
  c.entered.push(c.row); storePending(); TG.haptic("tap");
  nextRow(); if (state.journal.col) redraw();
}
function undo() {
  const c = state.journal.col;
  if (!c.entered.length) return;
  const r = c.entered.pop(), sid = state.journal.grid.rows[r].student_id;
  const at = pending.map((p) => p.c.op === "grade_add" && p.l === c.lesson && p.s === sid).lastIndexOf(true);
  if (at >= 0) pending.splice(at, 1);
  c.row = r; storePending(); redraw();
}
let saving = false;
async function save() {
  if (saving || !pending.length) return;
  saving = true; TG.main(t("saving"), save, true);
  const button = document.getElementById("save"); if (button) button.disabled = true;
  pending.forEach((p) => { delete p.failed; delete p.error; });
  try {
    await api("save", { changes: pending.map((p) => p.c) });
    pending = []; storePending(); TG.haptic("success"); toast(t("saved"));
    state.journal.grid = null; saving = false; render();
  } catch (e) {
    saving = false;
    const refused = e.index != null ? pending[e.index] : null;
    if (refused) { refused.failed = true; refused.error = e.message; }
    storePending(); TG.haptic("error"); toast(e.message, true);
    // The refused change is shown where it was made, even if another class is on the screen now.
    const j = state.journal, there = refused && refused.k && j.choices.find((c) => choiceKey(c) === refused.k);
    if (there && choiceKey(there) !== choiceKey(j.choice)) { j.choice = there; j.col = null; render(); } else redraw();
  }
}
// Every waiting change goes, in every class and subject: asked first, saying how many and how many elsewhere.
async function discard() {
  if (!pending.length) return;
  const here = choiceKey(state.journal.choice), elsewhere = pending.filter((p) => p.k && p.k !== here).length;
  const question = t("discard_confirm", { n: pending.length }) + (elsewhere ? " " + t("discard_elsewhere", { n: elsewhere }) : "");
  if (!await TG.ask(question, t("discard"))) return;
  pending = []; storePending(); TG.haptic("warning"); redraw(); refreshButtons();
}

/* ---------- the class teacher ---------- */
async function showClass(body) {
  const k = state.klass;
  const tabs = h("div", { class: "tabs" }, ["absences", "grades"].map((x) => h("button", { class: x === k.tab ? "on" : "",
    onclick: () => { k.tab = x; render(); } }, t("class_" + x))));
  const q = k.classId ? "class_id=" + k.classId + "&" : "";
  if (k.tab === "absences") {
    const data = await api("absences?" + q);
    k.classId = data.class_id;
    const list = h("div", { class: "section" });
    if (!data.days.length) list.append(h("div", { class: "empty" }, t("no_absences")));
    // Days whose journal is closed can only be read here: after the open ones, without reason buttons.
    const open = data.days.filter((d) => d.editable), closed = data.days.filter((d) => !d.editable);
    for (const d of open) list.append(absentDay(d, h("div", { class: "reasons" }, ["illness", "excused", "unexcused"].map((r) =>
      h("button", { "data-reason": r, onclick: () => giveReason(d, r) }, t("reason_" + r))))));
    const parts = [tabs, h("div", { class: "section-title" }, data.class_name + " · " + t("without_reason")), list];
    if (closed.length) {
      parts.push(h("div", { class: "section-title" }, t("closed_absences")),
        h("div", { class: "section", id: "closed-absences" }, h("div", { class: "pad hint" }, t("closed_absences_why")),
          closed.map((d) => absentDay(d, null))));
      if (!open.length) list.replaceChildren(h("div", { class: "empty" }, t("no_open_absences")));
    }
    body.replaceChildren(...parts);
    return;
  }
  const data = await api("class-grades?" + q + "span=" + k.span);
  k.classId = data.class_id;
  const spans = h("div", { class: "tabs" }, ["week", "period"].map((x) => h("button", { class: x === k.span ? "on" : "",
    onclick: () => { k.span = x; render(); } }, t("span_" + x))));
  const parts = [tabs, spans, h("div", { class: "meta" }, data.class_name + " · " + words(data.start) + " — " + words(data.end))];
  if (!data.subjects.length) parts.push(h("div", { class: "section" }, h("div", { class: "empty" }, t(data.grading ? "no_grades" : "not_graded"))));
  for (const s of data.subjects) {
    parts.push(h("div", { class: "section-title" }, s.subject), h("div", { class: "section" }, s.students.map((st) =>
      h("div", { class: "sheetrow", "data-student": st.student_id }, h("div", { class: "n" }, st.name),
        h("div", { class: "vals" }, st.values.map((v) => h("span", { class: vclass(v) }, v))),
        h("div", { class: "a " + (st.average ? vclass(st.average) : "") }, avg(st.average))))));
  }
  body.replaceChildren(...parts);
}
function absentDay(d, reasons) {
  return h("div", { class: "absday" + (reasons ? "" : " closed"), "data-day": d.student_id + ":" + d.on_date },
    h("div", { class: "who" }, d.student_name, d.overdue && reasons ? h("span", { class: "late-flag" }, t("overdue")) : null),
    h("div", { class: "lessons" }, words(d.on_date) + " · " + d.lessons.map((l) => t("lesson_ref", { no: l.lesson_no, subject: l.subject })).join(", ")),
    reasons);
}
async function giveReason(d, reason) {
  try {
    await api("reason", { student_id: d.student_id, on_date: d.on_date, reason });
    TG.haptic("success"); toast(t("saved")); render();
  } catch (e) { TG.haptic("error"); toast(e.message, true); }
}

/* ---------- the family's gradebook ---------- */
async function showDiary(body) {
  const d = state.diary;
  const q = [d.student ? "student_id=" + d.student : "", d.month ? "month=" + d.month : ""].filter(Boolean).join("&");
  const ready = d.ready; d.ready = null;
  const b = ready && !q ? ready : await api("book?" + q);
  d.student = b.child.student_id;
  const parts = [];
  if (b.children.length > 1) {
    parts.push(h("div", { class: "kids", id: "kids" }, b.children.map((k) => h("button", { class: k.student_id === d.student ? "on" : "",
      "data-student": k.student_id, onclick: () => { d.student = k.student_id; d.month = null; TG.haptic("select"); render(); } },
    k.name.split(" ")[0] + ", " + k.class_name))));
  }
  parts.push(h("div", { class: "section-title" }, (b.period || t("no_period")) + " · " + b.child.name));
  if (b.grading) {
    const subjects = h("div", { class: "section", id: "subjects" });
    if (!b.subjects.length) subjects.append(h("div", { class: "empty" }, t("no_grades")));
    for (const s of b.subjects) subjects.append(subjectCard(s, b));
    parts.push(subjects);
  } else {
    parts.push(h("div", { class: "section", id: "not-graded" }, h("div", { class: "empty" }, t("not_graded"))));
  }
  parts.push(h("div", { class: "section-title" }, t("attendance")), calendar(b));
  parts.push(h("div", { class: "section-title" }, t("homework_next")), homeworkList(b));
  body.replaceChildren(...parts);
}
function subjectCard(s, b) {
  const detail = h("div", { class: "detail", hidden: true });
  const marks = h("div", { class: "marks" }, s.grades.map((gr) => h("button", { class: "chip " + vclass(gr.value), onclick: () => {
    detail.hidden = false;
    // replaceChildren prints a null as "null": only what there is.
    const parts = [h("b", {}, gr.value), " · " + words(gr.on_date) + (gr.work_type ? " · " + gr.work_type : "")];
    if (gr.comment) parts.push(h("div", {}, "«" + gr.comment + "»"));
    detail.replaceChildren(...parts);
  } }, gr.value, h("small", {}, short(gr.on_date)))));
  return h("div", { class: "subject" }, h("div", { class: "head" }, h("div", { class: "name" }, s.subject),
    spark(s.trend, b.grade_min, b.grade_max), h("div", { class: "avg " + (s.average ? vclass(s.average) : "") }, avg(s.average))), marks, detail);
}
function spark(points, low, high) {
  const w = 84, hgt = 28, pad = 3;
  const el = svg("svg", { width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}`, "aria-hidden": "true" });
  if (points.length < 2) return el;
  // Along the dates, not one step per point: a week without grades is a longer stretch of line.
  const first = day(points[0].on_date).getTime(), span = day(points[points.length - 1].on_date).getTime() - first;
  const x = (i) => pad + ((day(points[i].on_date).getTime() - first) * (w - 2 * pad)) / span;
  const y = (v) => hgt - pad - ((v - low) * (hgt - 2 * pad)) / Math.max(1, high - low);
  const path = points.map((p, i) => x(i).toFixed(1) + "," + y(p.average).toFixed(1)).join(" ");
  const last = points[points.length - 1].average, color = `var(--g${Math.max(2, Math.min(5, Math.round(last)))})`;
  el.append(svg("polyline", { points: path, fill: "none", stroke: color, "stroke-width": 2, "stroke-linejoin": "round", "stroke-linecap": "round" }),
    svg("circle", { cx: x(points.length - 1), cy: y(last), r: 2.8, fill: color }));
  return el;
}
function calendar(b) {
  const d = state.diary, first = day(b.month);
  const shift = (n) => { const x = new Date(first); x.setMonth(x.getMonth() + n); d.month = iso(x).slice(0, 8) + "01"; render(); };
  const head = h("div", { class: "cal-head" }, h("button", { onclick: () => shift(-1), id: "month-prev", disabled: b.month <= b.month_min }, "‹"),
    h("b", {}, heading(fmt(b.month, { month: "long", year: "numeric" }))),
    h("button", { onclick: () => shift(1), id: "month-next", disabled: b.month >= b.month_max }, "›"));
  const grid = h("div", { class: "cal", id: "calendar" });
  const monday = new Date(2024, 0, 1);
  for (let i = 0; i < 7; i++) { const x = new Date(monday); x.setDate(1 + i); grid.append(h("div", { class: "wd" }, weekday(iso(x)))); }
  for (let i = 0; i < (first.getDay() + 6) % 7; i++) grid.append(h("div"));
  for (const m of b.calendar) {
    // Days to come are neither attended nor missed yet: neutral, like a day off but in the text colour.
    const cls = ["d", !m.lessons ? "off" : m.on_date > b.today ? "ahead" : "school", m.absent ? "absent" : "", m.absent && m.explained ? "explained" : "",
      m.late ? "late" : "", m.on_date === b.today ? "today" : ""];
    grid.append(h("div", { class: cls.join(" "), title: m.absent ? t("absent_lessons", { n: m.absent }) : "" }, day(m.on_date).getDate()));
  }
  const legend = h("div", { class: "legend", id: "legend" }, h("span", {}, h("i", { class: "absent" }), t("legend_absent")),
    h("span", {}, h("i", { class: "explained" }), t("legend_explained")), h("span", {}, h("i", { class: "late" }), t("legend_late")));
  return h("div", { class: "section" }, head, grid, legend);
}
function homeworkList(b) {
  const list = h("div", { class: "section", id: "homework" });
  if (!b.homework.length) list.append(h("div", { class: "empty" }, t("no_homework")));
  for (const task of b.homework) {
    const files = h("div", { class: "files" }, task.files.map((f) => h("button", { onclick: (e) => openFile(task, f, e.target) },
      (f.kind === "photo" ? "🖼 " : "📎 ") + (f.name || t(f.kind === "photo" ? "photo" : "file")))));
    list.append(h("div", { class: "hw" }, h("div", { class: "when" }, task.due_on ? t("due_on", { date: words(task.due_on) }) : ""),
      h("div", { class: "what" }, task.subject), h("div", { class: "text" }, task.text), task.files.length ? files : null));
  }
  return list;
}
async function openFile(task, f, button) {
  try {
    // The address names the file and the reader: the browser may keep the answer and use it again.
    const response = await api(`file?student_id=${state.diary.student}&homework_id=${task.homework_id}&index=${f.index}&key=${f.key}&user=${TG.user ? TG.user.id : 0}`);
    const url = URL.createObjectURL(await response.blob());
    if (f.kind === "photo") button.replaceWith(h("img", { src: url, alt: "" }));
    else { const a = h("a", { href: url, download: f.name || "file" }); document.body.append(a); a.click(); a.remove(); }
  } catch (e) { toast(e.message, true); }
}

start();
