// The assistants' screen: draws /api/screen and asks again whenever the event stream says something changed.
// Everything is built with textContent (never innerHTML), so nothing a patient said can become markup.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const mine = document.getElementById("my-headset");
const audios = new Map(); // request id -> <audio>, kept across redraws so playing goes on
let picture = null;
let fetchedAt = 0;
let fetching = false;
let again = false;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function say(text, bad = false) {
  const box = document.getElementById("message");
  box.textContent = text;
  box.classList.toggle("bad", bad);
}

function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${String(s % 60).padStart(2, "0")} s` : `${s} s`;
}

async function post(url, body = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  let data = {};
  try {
    data = await response.json();
  } catch (e) {
    data = {};
  }
  if (response.status === 401) window.location.href = "/login";
  if (!response.ok) throw new Error(data.message || `Fout ${response.status}`);
  return data;
}

async function refresh() {
  if (fetching) {
    again = true;
    return;
  }
  fetching = true;
  try {
    const response = await fetch("/api/screen", { credentials: "same-origin" });
    if (response.status === 401) {
      window.location.href = "/login";
      return;
    }
    if (!response.ok) throw new Error(`${response.status}`);
    picture = await response.json();
    fetchedAt = Date.now();
    draw();
    document.getElementById("offline").hidden = true;
  } catch (e) {
    document.getElementById("offline").hidden = false;
  } finally {
    fetching = false;
    if (again) {
      again = false;
      refresh();
    }
  }
}

// Keep keyboard focus on the same control across a redraw.
function focusKey() {
  const active = document.activeElement;
  return active && active.dataset ? active.dataset.key : undefined;
}

function draw() {
  const key = focusKey();
  drawCallbacks(picture.callbacks);
  drawLive(picture.live);
  if (key) {
    const again = document.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again) again.focus();
  }
}

function drawCallbacks(callbacks) {
  const counts = callbacks.counts;
  document.getElementById("counts").textContent =
    `${counts.open} open` + (counts.late ? `, ${counts.late} te laat` : "");
  const groups = document.getElementById("groups");
  groups.replaceChildren();
  if (callbacks.groups.length === 0) {
    groups.append(el("p", { class: "empty" }, "Geen open terugbelverzoeken."));
  }
  for (const group of callbacks.groups) {
    groups.append(
      el("section", { class: "group" }, el("h2", {}, group.title), table(group.rows, true)),
    );
  }
  document.getElementById("finished-count").textContent = String(callbacks.finished.length);
  document.getElementById("finished").replaceChildren(table(callbacks.finished, false));
}

function table(rows, open) {
  const head = el(
    "tr",
    {},
    el("th", { scope: "col" }, "Tijd"),
    el("th", { scope: "col" }, "Nummer"),
    el("th", { scope: "col" }, "Bron"),
    el("th", { scope: "col" }, "Reden"),
    el("th", { scope: "col" }, "Pogingen"),
    el("th", { scope: "col" }, open ? "Nu" : "Status"),
    el("th", { scope: "col" }, "Acties"),
  );
  const body = el("tbody");
  for (const row of rows) body.append(callbackRow(row, open));
  return el("table", { class: "list" }, el("thead", {}, head), body);
}

function callbackRow(row, open) {
  const tr = el("tr", { id: `row-${row.id}`, class: "row", dataset: { status: row.status } });
  if (row.late) tr.classList.add("late");
  if (row.priority) tr.classList.add("priority");
  if (row.calling) tr.classList.add("calling");
  const time = el("td", { class: "time" }, row.time);
  if (row.late) time.append(el("span", { class: "badge late-badge" }, ` ${row.late_minutes} min te laat`));
  if (row.priority) time.append(el("span", { class: "badge" }, " voorrang"));
  const number = el("span", { class: "number", id: `number-${row.id}` }, row.number);
  const show = el(
    "button",
    { type: "button", class: "link", dataset: { key: `${row.id}:number` } },
    "Toon",
  );
  show.addEventListener("click", () => reveal(row.id, number, show));
  const reason = el("td", { class: "reason" });
  if (row.name || row.urgency) {
    reason.append(el("div", { class: "who" }, [row.name, row.urgency].filter(Boolean).join(" · ")));
  }
  reason.append(el("div", { class: "summary" }, row.reason));
  if (row.voice_note) reason.append(voiceNote(row.id));
  for (const message of row.messages) reason.append(el("div", { class: "message-state" }, message));
  const attempts = el("td", { class: "attempts" });
  for (const a of row.attempts) {
    attempts.append(el("div", {}, `${a.no}. ${a.at} ${a.outcome}${a.headset ? " (" + a.headset + ")" : ""}`));
  }
  const now = el("td", { class: "state" });
  if (row.calling) now.append(el("strong", {}, `wordt gebeld door ${row.calling}`));
  else if (open) now.append(row.due ? "aan de beurt" : `vanaf ${row.due_at.slice(11, 16)}`);
  else now.append(row.status_label + (row.note ? `: ${row.note}` : ""));
  const actions = el("td", { class: "actions" });
  if (open) {
    actions.append(
      button(row, "call-now", "Bel nu", !row.due || !!row.calling || row.status !== "booked", () =>
        act(row.id, "call-now", { headset: mine.value }, "Bellen via " + mine.value),
      ),
      button(row, "done", "Afgehandeld", !!row.calling, () =>
        act(row.id, "done", { seen: row.version }, "Afgehandeld"),
      ),
      button(row, "not-reached", "Niet bereikt", !!row.calling, () =>
        act(row.id, "not-reached", { seen: row.version }, "Als niet bereikt gemarkeerd"),
      ),
      button(row, "move", "Verplaatsen", !row.movable || !!row.calling, () => move(row.id, row.version)),
      button(row, "delete", "Verwijderen", !!row.calling, () => remove(row.id, row.version)),
    );
    if (!row.due) {
      actions.querySelector(".call-now").title = "Nog niet aan de beurt: eerder bellen breekt de afspraak.";
    }
  }
  tr.append(time, el("td", {}, number, " ", show), el("td", {}, row.source), reason, attempts, now, actions);
  return tr;
}

function button(row, action, label, disabled, handler) {
  const b = el(
    "button",
    { type: "button", class: action, disabled, dataset: { key: `${row.id}:${action}` } },
    label,
  );
  b.addEventListener("click", handler);
  return b;
}

function voiceNote(id) {
  let audio = audios.get(id);
  if (!audio) {
    audio = el("audio", { controls: true, preload: "none", src: `/api/callbacks/${id}/voice-note` });
    audio.setAttribute("aria-label", "Spraakbericht");
    audios.set(id, audio);
  }
  return el("div", { class: "voice" }, audio);
}

async function reveal(id, number, show) {
  try {
    const data = await post(`/api/callbacks/${id}/number`);
    number.textContent = data.number;
    show.hidden = true;
  } catch (e) {
    say(e.message, true);
  }
}

async function act(id, action, body, done) {
  try {
    await post(`/api/callbacks/${id}/${action}`, body);
    say(done);
    refresh();
  } catch (e) {
    say(e.message, true);
  }
}

async function move(id, seen) {
  const dialog = document.getElementById("move-dialog");
  const select = document.getElementById("move-slot");
  select.replaceChildren();
  try {
    const response = await fetch(`/api/callbacks/${id}/slots`, { credentials: "same-origin" });
    const data = await response.json();
    if (!response.ok) throw new Error(data.message || `Fout ${response.status}`);
    for (const day of data.days) {
      const group = el("optgroup", { label: day.day });
      for (const slot of day.slots) {
        group.append(el("option", { value: slot.start }, `${slot.label} (nog ${slot.remaining} vrij)`));
      }
      if (day.slots.length) select.append(group);
    }
  } catch (e) {
    say(e.message, true);
    return;
  }
  const none = select.options.length === 0;
  document.getElementById("move-none").hidden = !none;
  document.getElementById("move-confirm").disabled = none;
  dialog.returnValue = "";
  dialog.onclose = () => {
    if (dialog.returnValue === "ok" && select.value) {
      act(id, "move", { slot_start: select.value, seen }, "Verplaatst");
    }
  };
  dialog.showModal();
}

function remove(id, seen) {
  const dialog = document.getElementById("delete-dialog");
  const reason = document.getElementById("delete-reason");
  reason.value = "";
  dialog.returnValue = "";
  dialog.onclose = () => {
    if (dialog.returnValue === "ok" && reason.value.trim()) {
      act(id, "delete", { reason: reason.value.trim(), seen }, "Verwijderd");
    }
  };
  dialog.showModal();
}

function drawLive(live) {
  document.getElementById("standby").hidden = live.active;
  const spoed = document.getElementById("spoed");
  spoed.replaceChildren();
  spoed.hidden = live.spoed.length === 0;
  for (const call of live.spoed) {
    spoed.append(
      el(
        "p",
        { class: "spoed-call" },
        el("strong", {}, "SPOED "),
        `${call.number} gaat over, `,
        el("span", { class: "ticking", dataset: { base: call.ringing_seconds } }, duration(call.ringing_seconds)),
      ),
    );
  }
  const waiting = document.getElementById("waiting");
  waiting.replaceChildren();
  for (const caller of live.waiting) {
    waiting.append(
      el(
        "li",
        { class: "caller" },
        `${caller.position}. ${caller.number}${caller.colleague ? " (collega)" : ""} wacht `,
        el("span", { class: "ticking", dataset: { base: caller.waiting_seconds } }, duration(caller.waiting_seconds)),
        caller.headset ? ` → ${caller.headset}` : "",
      ),
    );
  }
  document.getElementById("waiting-empty").hidden = live.waiting.length > 0;
  const kept = document.getElementById("kept");
  kept.replaceChildren();
  for (const place of live.kept) {
    kept.append(
      el(
        "li",
        { class: "kept-place" },
        `${place.number} sinds `,
        el("span", { class: "ticking", dataset: { base: place.since_seconds } }, duration(place.since_seconds)),
        place.calling ? ` → ${place.calling}` : "",
      ),
    );
  }
  document.getElementById("kept-empty").hidden = live.kept.length > 0;
  const headsets = document.getElementById("headsets");
  headsets.replaceChildren();
  for (const headset of live.headsets) {
    const select = el("select", { dataset: { key: `headset:${headset.name}` } });
    select.setAttribute("aria-label", `Status van ${headset.name}`);
    for (const [value, label] of [
      ["op_dienst", "op dienst"],
      ["pauze", "pauze"],
      ["alleen_terugbellen", "alleen terugbellen"],
      ["afgemeld", "afgemeld"],
    ]) {
      select.append(el("option", { value, selected: value === headset.state }, label));
    }
    select.addEventListener("change", () => setHeadset(headset.name, select.value));
    headsets.append(
      el(
        "li",
        { class: `headset ${headset.state}`, id: `headset-${headset.name}` },
        el("strong", {}, headset.name),
        ` ${headset.activity} `,
        select,
      ),
    );
  }
}

async function setHeadset(name, state) {
  try {
    await post(`/api/headsets/${encodeURIComponent(name)}/state`, { state });
    say(`${name}: ${state.replace("_", " ")}`);
    refresh();
  } catch (e) {
    say(e.message, true);
  }
}

// The waiting and ringing times count on between two fetches.
setInterval(() => {
  const passed = (Date.now() - fetchedAt) / 1000;
  for (const node of document.querySelectorAll(".ticking")) {
    node.textContent = duration(Number(node.dataset.base) + passed);
  }
}, 1000);

mine.value = localStorage.getItem("terugbel-headset") || mine.value;
mine.addEventListener("change", () => localStorage.setItem("terugbel-headset", mine.value));

function listen() {
  const source = new EventSource("/api/events");
  source.addEventListener("ready", refresh);
  source.addEventListener("changed", refresh);
  source.addEventListener("logout", () => {
    window.location.href = "/login";
  });
  source.onerror = () => {
    document.getElementById("offline").hidden = false;
  };
}

refresh();
listen();
// Late rows become late on their own: look again every half minute even when nothing was said.
setInterval(refresh, 30000);
