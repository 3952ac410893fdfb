// The console's service worker: shows desktop notifications where the page may not create them itself (Chrome on
// Android tablets refuses `new Notification`), and opens the conversation when one is tapped.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/console";
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
    const open = windows.find((client) => new URL(client.url).pathname.startsWith("/console"));
    if (open) return open.navigate(url).then((client) => client && client.focus());
    return self.clients.openWindow(url);
  }));
});
