// One conversation, live: new customer messages arrive by server-sent events; replies go by fetch.
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
      if (data.status !== "assigned") document.querySelectorAll("#reply-form, #close-form").forEach((f) => f.remove());
    }
  };

  const form = document.getElementById("reply-form");
  if (!form) return;
  const text = document.getElementById("reply-text");
  const error = document.getElementById("reply-error");
  document.getElementById("canned").addEventListener("change", (event) => {
    if (event.target.value) text.value = event.target.value;
    event.target.value = "";
    text.focus();
  });

  async function post(kind) {
    error.textContent = "";
    if (!text.value.trim()) { error.textContent = "Escribe un mensaje."; return; }
    const response = await fetch(`/console/api/handoffs/${handoff}/${kind}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: JSON.stringify({ text: text.value }),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) { error.textContent = data.detail || "No se pudo enviar."; return; }
    append(data);
    text.value = "";
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); post("reply"); });
  document.getElementById("note").addEventListener("click", () => post("note"));
})();
