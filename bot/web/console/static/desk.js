// On every console page: the agent's presence, notifications (sound, desktop notification, a notice in the
// page) for a new assignment, a customer's reply or an urgent case, activity, and the keyboard shortcuts.
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const since = document.querySelector('meta[name="desk-since"]').content;
  const presence = document.getElementById("presence");
  const toasts = document.getElementById("toasts");

  async function post(path, payload) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: JSON.stringify(payload || {}),
    });
    return { ok: response.ok, data: await response.json().catch(() => ({})) };
  }

  // Presence: Disponible receives conversations; Ausente hands what waits for an answer to colleagues.
  async function setPresence(value) {
    const { ok, data } = await post("/console/api/presence", { presence: value });
    if (ok) {
      presence.value = data.presence;
      presence.dataset.presence = data.presence;
      const hint = document.getElementById("presence-hint");
      if (hint) hint.hidden = data.presence === "online";
      toast({ title: `Tu estado: ${data.label}`, body: data.presence === "online" ? "Recibirás conversaciones." : "No recibirás conversaciones nuevas." });
    }
  }
  presence.addEventListener("change", () => setPresence(presence.value));

  // Activity keeps an available agent available (an idle one turns away after a while, server side).
  let lastActivity = Date.now();
  const noteActivity = () => {
    if (Date.now() - lastActivity > 60000) { lastActivity = Date.now(); post("/console/api/activity"); }
  };
  ["keydown", "mousedown", "touchstart"].forEach((kind) => document.addEventListener(kind, noteActivity, { passive: true }));

  // Notifications.
  const sound = () => {
    try {
      const context = new (window.AudioContext || window.webkitAudioContext)();
      const tone = context.createOscillator();
      const gain = context.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, context.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + 0.4);
      tone.connect(gain).connect(context.destination);
      tone.start();
      tone.stop(context.currentTime + 0.4);
    } catch (ignored) { /* no audio device: the notice still shows */ }
  };
  function toast(notice) {
    const item = document.createElement("div");
    item.className = `toast ${notice.kind || ""}`;
    const title = document.createElement("strong");
    title.textContent = notice.title;
    item.appendChild(title);
    if (notice.body) item.appendChild(document.createTextNode(` ${notice.body}`));
    if (notice.handoff) {
      const link = document.createElement("a");
      link.href = `/console/handoffs/${notice.handoff}`;
      link.textContent = "Abrir";
      item.append(" ", link);
    }
    toasts.appendChild(item);
    setTimeout(() => item.remove(), 15000);
  }
  function notify(notice) {
    toast(notice);
    sound();
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const url = notice.handoff ? `/console/handoffs/${notice.handoff}` : "/console";
    const options = { body: notice.body, tag: notice.key, requireInteraction: notice.kind === "urgent", data: { url } };
    try {
      const shown = new Notification(notice.title, options);
      shown.onclick = () => { window.focus(); window.location.assign(url); };
    } catch (refused) {  // Chrome on Android tablets: only a service worker may show one
      if (worker) worker.then((registration) => registration && registration.showNotification(notice.title, options));
    }
  }
  const worker = "serviceWorker" in navigator
    ? navigator.serviceWorker.register("/console/sw.js", { scope: "/console/" }).catch(() => null) : null;
  const enable = document.getElementById("enable-notifications");
  const showPermission = () => {
    if (!("Notification" in window)) { enable.hidden = true; return; }
    enable.textContent = Notification.permission === "granted" ? "Avisos activos" : "Activar avisos";
    enable.disabled = Notification.permission !== "default";
  };
  enable.addEventListener("click", async () => { await Notification.requestPermission(); showPermission(); });
  showPermission();

  const stream = new EventSource(`/console/api/desk/stream?since=${encodeURIComponent(since)}`);
  stream.addEventListener("signed-out", () => { stream.close(); window.location.assign("/console/login"); });
  stream.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.presence && presence.dataset.presence !== data.presence) {
      presence.dataset.presence = data.presence;
      presence.value = data.presence === "online" ? "online" : "away";
      if (data.presence !== "online") toast({ title: `Tu estado: ${data.presence_label}`, body: "Por inactividad dejaste de recibir conversaciones." });
    }
    (data.notices || []).forEach(notify);
  };

  // Keyboard first. Single keys only when not writing in a field.
  const dialog = document.getElementById("shortcuts");
  document.getElementById("shortcuts-button").addEventListener("click", () => dialog.showModal());
  document.addEventListener("keydown", async (event) => {
    const target = event.target;
    const writing = target.closest && target.closest("input, textarea, select, [contenteditable]");
    if (writing || event.ctrlKey || event.metaKey || event.altKey) {
      if (event.key === "Escape" && writing) target.blur();
      return;
    }
    if (event.key === "?") { event.preventDefault(); dialog.showModal(); }
    else if (event.key === "/") {
      event.preventDefault();
      (document.getElementById("canned-search") || document.getElementById("site-search")).focus();
    } else if (event.key === "n") {
      event.preventDefault();
      const response = await fetch("/console/api/next", { headers: { Accept: "application/json" } });
      const data = await response.json();
      if (data.url && data.url !== window.location.pathname) window.location.assign(data.url);
    } else if (event.key === "c") {
      const resolution = document.getElementById("resolution");
      if (resolution) { event.preventDefault(); resolution.focus(); }
    } else if (event.key === "a") {
      event.preventDefault();
      setPresence(presence.value === "online" ? "away" : "online");
    }
  });
})();
