/** Shows the print button, and while the receipt is not final asks its status now and then, moving to the status page once it changed (ES5). */
(function () {
  var c = JSON.parse(document.getElementById('sanh-receipt').textContent),
    t;
  document.getElementById('sanh-print-row').hidden = false;
  document.getElementById('sanh-print').addEventListener('click', function () {
    window.print();
  });
  if (!c.after) return;
  function go() {
    location.replace(c.page);
  }
  function ask() {
    clearTimeout(t);
    if (document.hidden) return;
    t = setTimeout(function () {
      var x = new XMLHttpRequest();
      x.open('GET', c.status, true);
      x.setRequestHeader('Accept', 'application/json');
      x.onload = function () {
        var v;
        if (x.status >= 200 && x.status < 300) {
          try {
            v = JSON.parse(x.responseText);
          } catch (_e) {
            return go();
          }
          if (!v || v.state !== c.state || v.updatedAt !== c.updatedAt) return go();
          if (v.pollAfterSeconds) c.after = v.pollAfterSeconds;
        }
        ask();
      };
      x.onerror = ask;
      x.send();
    }, c.after * 1000);
  }
  document.addEventListener('visibilitychange', ask);
  ask();
})();
