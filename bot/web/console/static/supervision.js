// The supervisors' live view: when the server says something changed, the view is fetched again in place.
(function () {
  const view = document.getElementById("live-view");
  let pending = false;
  async function refresh() {
    if (pending || view.contains(document.activeElement) && document.activeElement.tagName === "SELECT") return;
    pending = true;
    try {
      const response = await fetch("/console/supervision?partial=1", { headers: { Accept: "text/html" } });
      if (response.ok) view.innerHTML = await response.text();
    } finally { pending = false; }
  }
  const source = new EventSource("/console/api/supervision/stream");
  source.addEventListener("signed-out", () => { source.close(); window.location.assign("/console/login"); });
  let first = true;
  source.onmessage = () => { if (first) { first = false; return; } refresh(); };
})();
