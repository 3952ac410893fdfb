/*
 * Luz's chat widget for a website: <script src="https://<luz>/widget/widget.js" defer></script>
 *
 * Plain JavaScript, no build step and nothing from a CDN. It adds a "Chatea con Luz" button and, when opened, a
 * chat panel that talks to Luz's web channel (channels/web.py) with a random visitor session the server signs:
 * the visitor identifies with the account number and the last 4 digits of the holder's id, never a phone.
 *
 * Optional attributes of the script tag:
 *   data-api    the web channel's URL (default: /webhooks/web on the host that serves this script)
 *   data-title  the panel's title (default "Luz, asistente de Energía del Valle")
 *
 * Accessibility: every control has a name; new messages are announced (role="log", polite); Escape closes the
 * panel and gives the focus back to the button that opened it; Enter sends, Shift+Enter starts a new line;
 * options are real buttons; images have a text alternative and documents say they are PDFs opening elsewhere.
 * Text is always inserted as text (never as HTML): what an agent or the assistant writes cannot run in the page.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.LuzWidget) {
    return;
  }
  var API = (script.getAttribute("data-api") || new URL("/webhooks/web", script.src).href).replace(/\/+$/, "");
  var TITLE = script.getAttribute("data-title") || "Luz, asistente de Energía del Valle";
  var STORAGE_KEY = "luz-widget-session:" + API;
  var MAX_TEXT = 1000;
  // How often the widget asks for messages: Luz's answers come with each message sent, so polling is for a person's
  // words (often while a person has the conversation or it waits for one) and the rare notice.
  var POLL_PERSON_MS = 3000;
  var POLL_PERSON_CLOSED_MS = 6000;
  var POLL_OPEN_MS = 10000;
  var POLL_CLOSED_MS = 30000;

  var state = { token: null, last: 0, open: false, sending: false, unread: 0, timer: null, seen: {}, person: false };
  var store = (function () {
    try {
      window.sessionStorage.setItem("luz-widget-probe", "1");
      window.sessionStorage.removeItem("luz-widget-probe");
      return window.sessionStorage;
    } catch (error) {
      return null; // private mode, storage off: the session lives as long as the page
    }
  })();

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  // The page --------------------------------------------------------------------------------------------------

  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("widget.css", script.src).href;
  document.head.appendChild(css);

  var root = el("div", "luz-widget");
  root.setAttribute("lang", "es");

  var launcher = el("button", "luz-launcher");
  launcher.type = "button";
  launcher.id = "luz-launcher";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "luz-panel");
  var launcherIcon = el("span", "luz-launcher-icon", "💬");
  launcherIcon.setAttribute("aria-hidden", "true");
  var launcherText = el("span", "luz-launcher-text", "Chatea con Luz");
  var badge = el("span", "luz-badge");
  badge.hidden = true;
  launcher.appendChild(launcherIcon);
  launcher.appendChild(launcherText);
  launcher.appendChild(badge);
  // Told to screen readers while the panel is closed (its log is hidden then): "1 mensaje nuevo de Camila".
  var notice = el("p", "luz-visually-hidden");
  notice.setAttribute("role", "status");

  var panel = el("section", "luz-panel");
  panel.id = "luz-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-modal", "false");
  panel.setAttribute("aria-labelledby", "luz-title");
  panel.setAttribute("aria-describedby", "luz-note");

  var header = el("div", "luz-header");
  var title = el("h2", "luz-title", TITLE);
  title.id = "luz-title";
  var close = el("button", "luz-close");
  close.type = "button";
  close.setAttribute("aria-label", "Cerrar el chat");
  var closeIcon = el("span", null, "×");
  closeIcon.setAttribute("aria-hidden", "true");
  close.appendChild(closeIcon);
  var finish = el("button", "luz-end", "Terminar");
  finish.type = "button";
  finish.setAttribute("aria-label", "Terminar la conversación y borrarla de esta pantalla");
  header.appendChild(title);
  header.appendChild(finish);
  header.appendChild(close);

  var note = el("p", "luz-note",
    "Luz es una asistente virtual. Escribe «asesor» para hablar con una persona. Nunca te pediremos contraseñas.");
  note.id = "luz-note";

  var log = el("div", "luz-log");
  log.id = "luz-log";
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  log.setAttribute("aria-label", "Conversación con Luz");
  log.tabIndex = 0; // keyboard users can scroll it

  var status = el("p", "luz-status");
  status.id = "luz-status";
  status.setAttribute("role", "status");

  var form = el("form", "luz-form");
  form.noValidate = true;
  var label = el("label", "luz-label", "Escribe tu mensaje");
  label.htmlFor = "luz-input";
  var input = el("textarea", "luz-input");
  input.id = "luz-input";
  input.name = "message";
  input.rows = 2;
  input.maxLength = MAX_TEXT;
  input.autocomplete = "off";
  input.setAttribute("aria-describedby", "luz-status");
  input.placeholder = "Por ejemplo: cuánto debo";
  var sendButton = el("button", "luz-send", "Enviar");
  sendButton.type = "submit";
  form.appendChild(label);
  var row = el("div", "luz-row");
  row.appendChild(input);
  row.appendChild(sendButton);
  form.appendChild(row);

  panel.appendChild(header);
  panel.appendChild(note);
  panel.appendChild(log);
  panel.appendChild(status);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);
  root.appendChild(notice);

  function mount() {
    document.body.appendChild(root);
  }

  // Talking to Luz --------------------------------------------------------------------------------------------

  function saved(token) {
    state.token = token;
    if (store) {
      if (token) {
        store.setItem(STORAGE_KEY, token);
      } else {
        store.removeItem(STORAGE_KEY);
      }
    }
  }

  // Every call is a POST of JSON sent as text/plain with the session in the body: a "simple" cross-origin request,
  // so the browser sends no preflight (one round trip per call, polls included).
  function call(path, body) {
    var payload = Object.assign({}, body || {});
    if (state.token) {
      payload.token = state.token;
    }
    return fetch(API + path, {
      method: "POST", headers: { "Content-Type": "text/plain;charset=UTF-8" }, mode: "cors",
      credentials: "omit", cache: "no-store", body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  function startSession() {
    return call("/session").then(function (answer) {
      if (answer.status !== 200 || !answer.data.token) {
        throw new Error("session " + answer.status);
      }
      state.last = 0;
      state.seen = {};
      log.textContent = "";
      saved(answer.data.token);
      return answer;
    });
  }

  function ensureSession() {
    return state.token ? Promise.resolve() : startSession().then(fetchNew);
  }

  function newId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function say(text) {
    status.textContent = text || "";
  }

  function send(text, shown, typed) {
    text = (text || "").trim();
    if (!text || state.sending) {
      return;
    }
    if (text.length > MAX_TEXT) {
      say("Tu mensaje es muy largo: escríbelo en menos de 1.000 caracteres, por favor.");
      return;
    }
    state.sending = true;
    sendButton.disabled = true;
    var pending = addBubble({ author: "visitor", text: shown || text, pending: true });
    say("Luz está escribiendo…");
    var body = { id: newId(), text: text, label: shown || null, after: state.last };
    ensureSession()
      .then(function () { body.after = state.last; return call("/webhook", body); })
      .then(function (answer) {
        if (answer.status === 401) { // the session ended (expired, or the server forgot it): a new one
          saved(null);
          return startSession().then(fetchNew).then(function () {
            say("Tu sesión anterior terminó, así que empezamos una nueva conversación.");
            body.after = state.last;
            return call("/webhook", body);
          });
        }
        return answer;
      })
      .then(function (answer) {
        if (pending.parentNode) {
          pending.parentNode.removeChild(pending);
        }
        if (answer.status === 200) {
          show(answer.data.messages || [], answer.data.person);
          say("");
          if (typed) {
            input.value = "";
          }
        } else if (answer.status === 413) {
          addBubble({ author: "luz", text: answer.data.message || "Tu mensaje es muy largo." });
          say("");
        } else if (answer.status === 429) {
          say("Recibimos muchos mensajes seguidos. Espera un minuto y vuelve a intentarlo, por favor.");
        } else {
          say("No pudimos enviar tu mensaje. Inténtalo de nuevo en un momento.");
        }
      })
      .catch(function () {
        if (pending.parentNode) {
          pending.parentNode.removeChild(pending);
        }
        say("No pudimos enviar tu mensaje. Revisa tu conexión e inténtalo de nuevo.");
      })
      .then(function () {
        state.sending = false;
        sendButton.disabled = false;
        schedule();
      });
  }

  function fetchNew() {
    if (!state.token) {
      return Promise.resolve();
    }
    return call("/messages", { after: state.last }).then(function (answer) {
      if (answer.status === 200) {
        show(answer.data.messages || [], answer.data.person);
      } else if (answer.status === 401) {
        saved(null);
        if (state.open) {
          say(answer.data.message || "Tu sesión de chat terminó.");
        }
      }
    }).catch(function () { /* offline for a moment: the next poll tries again */ });
  }

  function schedule() {
    window.clearTimeout(state.timer);
    if (!state.token) {
      return;
    }
    state.timer = window.setTimeout(function () {
      fetchNew().then(schedule);
    }, state.person ? (state.open ? POLL_PERSON_MS : POLL_PERSON_CLOSED_MS) : (state.open ? POLL_OPEN_MS : POLL_CLOSED_MS));
  }

  // Showing messages ------------------------------------------------------------------------------------------

  var LINK = /(https?:\/\/[^\s<>"]+)/g;

  function textWithLinks(node, text) {
    var parts = String(text || "").split(LINK);
    parts.forEach(function (part, index) {
      if (index % 2 === 1) {
        var trail = (part.match(/[.,;:!?)»]+$/) || [""])[0];
        var href = trail ? part.slice(0, -trail.length) : part;
        var link = el("a", "luz-link", href);
        link.href = href;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        node.appendChild(link);
        if (trail) {
          node.appendChild(document.createTextNode(trail));
        }
      } else if (part) {
        node.appendChild(document.createTextNode(part));
      }
    });
  }

  function who(message) {
    if (message.author === "visitor") {
      return "Tú";
    }
    if (message.author === "agent") {
      return (message.name || "Asesor") + ", de nuestro equipo";
    }
    return "Luz";
  }

  function addBubble(message) {
    var item = el("div", "luz-msg luz-from-" + (message.author || "luz"));
    if (message.pending) { // what the visitor just typed, until the server's copy replaces it: not read twice
      item.className += " luz-pending";
      item.setAttribute("aria-hidden", "true");
    }
    var author = el("p", "luz-who", who(message));
    if (message.author !== "agent") {
      author.className += " luz-visually-hidden"; // Luz's and the visitor's bubbles speak for themselves
    }
    item.appendChild(author);
    if (message.text) {
      var body = el("p", "luz-text");
      textWithLinks(body, message.text);
      item.appendChild(body);
    }
    if (message.image) {
      var imageLink = el("a", "luz-image-link");
      imageLink.href = message.image;
      imageLink.target = "_blank";
      imageLink.rel = "noopener noreferrer";
      var image = el("img", "luz-image");
      image.src = message.image;
      image.alt = "Gráfico enviado por Luz (se abre en otra pestaña)";
      image.loading = "lazy";
      image.addEventListener("load", function () { log.scrollTop = log.scrollHeight; }); // taller once drawn
      imageLink.appendChild(image);
      item.appendChild(imageLink);
    }
    if (message.document) {
      var doc = el("a", "luz-document", "Abrir el documento (PDF, se abre en otra pestaña)");
      doc.href = message.document;
      doc.target = "_blank";
      doc.rel = "noopener noreferrer";
      item.appendChild(doc);
    }
    if (message.buttons && message.buttons.length) {
      var group = el("div", "luz-options");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Opciones de respuesta");
      message.buttons.forEach(function (option) {
        var button = el("button", "luz-option", option.title);
        button.type = "button";
        button.addEventListener("click", function () {
          send(option.payload, option.title);
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }

  function show(messages, person) {
    state.person = Boolean(person);
    var fresh = 0;
    var from = "";
    messages.forEach(function (message) {
      if (state.seen[message.id]) {
        return;
      }
      state.seen[message.id] = true;
      state.last = Math.max(state.last, message.id);
      if (message.buttons && message.buttons.length) {
        retireOptions(); // only the latest options can be chosen: older ones leave the tab order
      }
      addBubble(message);
      if (message.author !== "visitor") {
        fresh += 1;
        from = message.author === "agent" ? (message.name || "nuestro equipo") : "Luz";
      }
    });
    if (!state.open && fresh) {
      state.unread += fresh;
      badge.textContent = state.unread === 1 ? "1 mensaje nuevo" : state.unread + " mensajes nuevos";
      badge.hidden = false;
      notice.textContent = "Chat: " + badge.textContent + " de " + from + ".";
    }
  }

  function retireOptions() {
    Array.prototype.forEach.call(log.querySelectorAll(".luz-option"), function (button) {
      button.disabled = true;
    });
  }

  // Opening and closing ---------------------------------------------------------------------------------------

  function open() {
    state.open = true;
    panel.hidden = false;
    root.className = "luz-widget luz-is-open";
    launcher.setAttribute("aria-expanded", "true");
    state.unread = 0;
    badge.hidden = true;
    badge.textContent = "";
    notice.textContent = "";
    log.scrollTop = log.scrollHeight; // what arrived while it was closed was added to a hidden log
    input.focus();
    ensureSession().then(schedule).catch(function () {
      say("El chat no está disponible en este momento. Inténtalo más tarde o llámanos.");
    });
  }

  function shut() {
    state.open = false;
    panel.hidden = true;
    root.className = "luz-widget";
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
    schedule();
  }

  // «Terminar»: on a shared computer the next person must not find this conversation (or an identified account).
  function end() {
    var ending = state.token ? call("/end") : Promise.resolve();
    ending.catch(function () { /* the session ends here anyway: its token is dropped */ }).then(function () {
      window.clearTimeout(state.timer);
      saved(null);
      state.last = 0;
      state.seen = {};
      log.textContent = "";
      say("Conversación terminada y borrada de esta pantalla. Si escribes de nuevo, empieza una conversación nueva.");
      input.focus();
    });
  }

  finish.addEventListener("click", end);
  launcher.addEventListener("click", function () {
    if (state.open) {
      shut();
    } else {
      open();
    }
  });
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      shut();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send(input.value, null, true);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send(input.value, null, true);
    }
  });

  window.LuzWidget = { open: open, close: shut };

  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
  var kept = store && store.getItem(STORAGE_KEY);
  if (kept) { // a reload of a page with a conversation: show it again and keep listening for a person's replies
    state.token = kept;
    fetchNew().then(schedule);
  }
})();
