// The closed page's reloader: reloads the page after the `after` seconds of its #sanh-reload data
// (at the reopening time plus jitter, or every few minutes). Plain ES5 for old phone browsers.

(function () {
  var c = JSON.parse(document.getElementById('sanh-reload').textContent);
  setTimeout(function () {
    location.reload();
  }, c.after * 1000);
})();
