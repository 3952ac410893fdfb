// One conversation, live: new customer messages arrive by server-sent events; replies go by fetch.
// The agent desk (issue 20): canned responses searched with "/", Ctrl+Enter sends, Alt+Enter saves a note,
// WhatsApp templates and SMS after the 24-hour window, labels, status and snooze, documents, "typing…".
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const transcript = document.getElementById("transcript");
  const handoff = transcript.dataset.handoff;
  const shown = new Set();
  const labels = { customer: "Cliente", agent: "Asesor", note: "Nota interna", system: "Sistema" };
  const statusLabels = { queued: "En espera", assigned: "En atención", closed: "Cerrada", left: "El cliente volvió a Luz" };

  // "28/11 10:37" in the utility's time zone, as the server writes the rest of the transcript.
  const clock = new Intl.DateTimeFormat("es-CO", {
    timeZone: document.querySelector('meta[name="time-zone"]').content,
    day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  function stamp(date) {
    const part = Object.fromEntries(clock.formatToParts(date).map((p) => [p.type, p.value]));
    return `${part.day}/${part.month} ${part.hour}:${part.minute}`;
  }

  function append(message) {
    if (shown.has(message.id)) return;
    shown.add(message.id);
    const who = message.kind === "agent" ? (message.author || labels.agent)
      : message.kind === "note" ? `${labels.note} · ${message.author || ""}` : labels[message.kind];
    const at = stamp(new Date(message.at));
    const item = document.createElement("li");
    item.className = `msg ${message.kind}`;
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = `${who} · ${at}`;
    const body = document.createElement("div");
    body.className = "body";
    body.textContent = message.body;
    item.append(meta, body);
    transcript.appendChild(item);
    transcript.scrollTop = transcript.scrollHeight;
  }

  async function call(path, payload) {
    const response = await fetch(`/console/api/handoffs/${handoff}/${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: JSON.stringify(payload || {}),
    });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, data };
  }

  transcript.scrollTop = transcript.scrollHeight;
  const source = new EventSource(`/console/api/handoffs/${handoff}/stream?after=${transcript.dataset.after}`);
  // The session was revoked (signed out elsewhere, new password): back to the sign-in form.
  source.addEventListener("signed-out", () => { source.close(); window.location.assign("/console/login"); });
  source.onmessage = (event) => {
    const data = JSON.parse(event.data);
    data.messages.forEach(append);
    const status = document.getElementById("status");
    if (status.dataset.status !== data.status) {
      status.dataset.status = data.status;
      status.textContent = statusLabels[data.status] || data.status;
      if (data.status !== "assigned") document.querySelectorAll("#reply-form, #close-form, #template-form").forEach((f) => f.remove());
    }
  };

  // The WhatsApp window: the time left, counted down; once it closes, the page offers templates and SMS.
  const windowNotice = document.getElementById("window");
  if (windowNotice && windowNotice.dataset.closes && windowNotice.dataset.open === "yes") {
    const closes = Date.parse(windowNotice.dataset.closes);
    const tick = () => {
      const left = Math.floor((closes - Date.now()) / 60000);
      if (left < 0) { window.location.reload(); return; }
      windowNotice.textContent = `Ventana de WhatsApp: quedan ${Math.floor(left / 60)} h ${String(left % 60).padStart(2, "0")} min para responder con texto libre.`;
    };
    setInterval(tick, 30000);
  }

  const form = document.getElementById("reply-form");
  if (!form) return;
  const text = document.getElementById("reply-text");
  const error = document.getElementById("reply-error");

  // Canned responses: "/" focuses the search; typing filters; arrows move; Enter inserts the chosen one.
  const search = document.getElementById("canned-search");
  const list = document.getElementById("canned-list");
  let active = -1;
  function options() { return [...list.querySelectorAll("li")].filter((li) => !li.hidden); }
  function highlight(index) {
    const visible = options();
    visible.forEach((li) => li.removeAttribute("aria-selected"));
    active = Math.max(0, Math.min(index, visible.length - 1));
    if (visible[active]) {
      visible[active].setAttribute("aria-selected", "true");
      search.setAttribute("aria-activedescendant", visible[active].id);
    }
  }
  function filter() {
    const words = search.value.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
    list.querySelectorAll("li").forEach((li) => {
      const plain = li.textContent.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
      li.hidden = !plain.includes(words);
    });
    list.hidden = false;
    search.setAttribute("aria-expanded", "true");
    highlight(0);
  }
  function choose(li) {
    if (!li) return;
    text.value = li.dataset.text;
    search.value = "";
    list.hidden = true;
    search.setAttribute("aria-expanded", "false");
    text.focus();
  }
  if (search) {
    search.addEventListener("focus", filter);
    search.addEventListener("input", filter);
    search.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter") { event.preventDefault(); choose(options()[active]); }
      else if (event.key === "Escape") { list.hidden = true; text.focus(); }
    });
    search.addEventListener("blur", () => setTimeout(() => { list.hidden = true; }, 200));
    list.addEventListener("mousedown", (event) => choose(event.target.closest("li")));
  }

  async function post(kind) {
    error.textContent = "";
    if (!text.value.trim()) { error.textContent = "Escribe un mensaje."; return; }
    const { ok, data } = await call(kind, { text: text.value });
    if (!ok) { error.textContent = data.detail || "No se pudo enviar."; return; }
    append(data);
    text.value = "";
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); if (document.getElementById("send")) post("reply"); });
  document.getElementById("note").addEventListener("click", () => post("note"));
  const sms = document.getElementById("send-sms");
  if (sms) sms.addEventListener("click", () => post("sms"));
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && document.getElementById("send")) { event.preventDefault(); post("reply"); }
    else if (event.key === "Enter" && event.altKey) { event.preventDefault(); post("note"); }
  });
  // "typing…" on the customer's side where the channel's provider shows it (Telegram; the server answers
  // shown: false elsewhere), at most every 4 seconds while the agent writes. Twilio's channels have none.
  let lastTyping = 0;
  text.addEventListener("input", () => {
    if (["whatsapp", "sms"].includes(transcript.dataset.channel) || Date.now() - lastTyping < 4000) return;
    lastTyping = Date.now();
    call("typing");
  });

  // WhatsApp templates: one field per variable, a preview of what the customer reads.
  const templateForm = document.getElementById("template-form");
  if (templateForm) {
    const select = document.getElementById("template");
    const fields = document.getElementById("template-variables");
    const preview = document.getElementById("template-preview");
    const render = () => {
      const option = select.selectedOptions[0];
      const names = option.dataset.variables ? option.dataset.variables.split("|") : [];
      fields.replaceChildren(...names.map((name, index) => {
        const label = document.createElement("label");
        label.textContent = `{{${index + 1}}} ${name}`;
        const input = document.createElement("input");
        input.name = `var${index + 1}`;
        input.required = true;
        input.addEventListener("input", show);
        label.appendChild(input);
        return label;
      }));
      show();
    };
    function show() {
      const values = [...fields.querySelectorAll("input")].map((input) => input.value || "…");
      preview.textContent = select.selectedOptions[0].dataset.body.replace(/\{\{(\d+)\}\}/g, (_, n) => values[n - 1]);
    }
    select.addEventListener("change", render);
    render();
    templateForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const out = document.getElementById("template-error");
      out.textContent = "";
      const variables = [...fields.querySelectorAll("input")].map((input) => input.value);
      const { ok, data } = await call("template", { template: select.value, variables });
      if (!ok) { out.textContent = data.detail || "No se pudo enviar."; return; }
      append(data);
      fields.querySelectorAll("input").forEach((input) => (input.value = ""));
      show();
    });
  }

  // Labels, status and snooze.
  const organiseError = document.getElementById("organise-error");
  document.querySelectorAll(".tag-toggle").forEach((button) => button.addEventListener("click", async () => {
    const on = button.getAttribute("aria-pressed") !== "true";
    const { ok, data } = await call("labels", { label: button.dataset.label, on });
    if (!ok) { organiseError.textContent = data.detail || "No se pudo cambiar la etiqueta."; return; }
    button.setAttribute("aria-pressed", String(on));
    const listing = document.getElementById("label-list");
    listing.replaceChildren(...data.labels.map((name) => {
      const item = document.createElement("li");
      item.className = "tag";
      item.textContent = name;
      return item;
    }));
  }));
  document.querySelectorAll(".set-status").forEach((button) => button.addEventListener("click", async () => {
    organiseError.textContent = "";
    const until = document.getElementById("snooze-until").value;
    const { ok, data } = await call("status", { status: button.dataset.status, until: button.dataset.status === "snoozed" ? until : null });
    if (!ok) { organiseError.textContent = data.detail || "No se pudo cambiar el estado."; return; }
    const shownStatus = document.getElementById("desk-status");
    shownStatus.dataset.status = data.status;
    shownStatus.textContent = data.until ? `${data.label} hasta ${stamp(new Date(data.until))}` : data.label;
  }));

  // Documents from the customer's records.
  document.querySelectorAll(".send-document").forEach((button) => button.addEventListener("click", async () => {
    error.textContent = "";
    const { ok, data } = await call("document", { kind: button.dataset.kind, account: button.dataset.account });
    if (!ok) { error.textContent = data.detail || "No se pudo enviar."; return; }
    append(data);
  }));
})();
