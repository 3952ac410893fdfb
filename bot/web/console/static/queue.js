// The queue, live: the server pushes a snapshot whenever it changes (server-sent events).
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const waiting = document.getElementById("waiting");
  const mine = document.getElementById("mine");
  const others = document.getElementById("others");
  const live = document.getElementById("live");

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => (k === "text" ? (node.textContent = v) : node.setAttribute(k, v)));
    (children || []).forEach((child) => node.appendChild(child));
    return node;
  }

  function waited(since) {
    const seconds = Math.max(0, Math.round((Date.now() - Date.parse(since)) / 1000));
    const minutes = Math.floor(seconds / 60);
    return minutes ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
  }

  function tick() {
    document.querySelectorAll("[data-since]").forEach((cell) => (cell.textContent = waited(cell.dataset.since)));
  }

  function takeForm(id) {
    return el("form", { method: "post", action: `/console/handoffs/${id}/take` }, [
      el("input", { type: "hidden", name: "csrf", value: csrf }),
      el("button", { class: "primary", text: "Tomar" }),
    ]);
  }

  function renderWaiting(rows) {
    waiting.replaceChildren();
    if (!rows.length) {
      waiting.appendChild(el("tr", { class: "empty" }, [el("td", { colspan: "7", text: "No hay nadie esperando." })]));
    }
    rows.forEach((row) => {
      const customer = el("td", { text: row.customer }, [el("div", { class: "muted small", text: row.summary })]);
      waiting.appendChild(el("tr", { "data-id": row.id }, [
        el("td", { text: String(row.position) }),
        el("td", {}, [el("span", { class: `pill p${row.priority}`, text: row.priority_label })]),
        customer,
        el("td", { text: row.channel }),
        el("td", { text: row.reason }),
        el("td", { class: "since", "data-since": row.since }),
        el("td", {}, [takeForm(row.id)]),
      ]));
    });
    document.getElementById("waiting-count").textContent = rows.length;
  }

  function renderList(list, rows, withAgent) {
    if (!list) return;
    list.replaceChildren();
    if (!rows.length) list.appendChild(el("li", { class: "muted", text: "Ninguna." }));
    rows.forEach((row) => {
      const link = el("a", { href: `/console/handoffs/${row.id}`, text: row.customer });
      const rest = document.createTextNode(` · ${withAgent ? row.agent + " · " : ""}${row.channel} · ${row.reason} · ${row.desk_status}`);
      const tags = (row.labels || []).map((name) => el("span", { class: "tag", text: name }));
      const waitingFor = row.awaiting && !withAgent
        ? [document.createTextNode(" · "), el("span", { class: "awaiting", "data-since": row.awaiting }), document.createTextNode(" esperando tu respuesta")]
        : [];
      list.appendChild(el("li", {}, [link, rest, ...tags, ...waitingFor]));
    });
  }

  const source = new EventSource("/console/api/queue/stream");
  source.onopen = () => live.classList.add("on");
  // The session was revoked (signed out elsewhere, new password): back to the sign-in form.
  source.addEventListener("signed-out", () => { source.close(); window.location.assign("/console/login"); });
  source.onerror = () => live.classList.remove("on");
  source.onmessage = (event) => {
    const data = JSON.parse(event.data);
    renderWaiting(data.waiting);
    renderList(mine, data.mine, false);
    renderList(others, data.others, true);
    document.getElementById("online").textContent = data.online;
    tick();
  };
  tick();
  setInterval(tick, 1000);
})();
