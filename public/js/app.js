// Small behaviour that every page shares. No inline scripts anywhere: the CSP forbids them.
(function () {
  // A select inside a form marked data-autosubmit navigates as soon as it changes.
  document.addEventListener('change', function (event) {
    var form = event.target.closest && event.target.closest('form[data-autosubmit]');
    if (form) form.requestSubmit ? form.requestSubmit() : form.submit();
  });

  // The printed date in the print-only page header (views/layouts/base.njk).
  function stampPrintDate() {
    var el = document.querySelector('[data-print-date]');
    if (el) el.textContent = ' · Printed ' + new Date().toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  }
  stampPrintDate();
  window.addEventListener('beforeprint', stampPrintDate);
  document.addEventListener('htmx:afterSettle', stampPrintDate);

  function toast(message) {
    var el = document.getElementById('toast');
    if (!el) return;
    el.textContent = message;
    el.hidden = false;
    clearTimeout(el._timer);
    el._timer = setTimeout(function () {
      el.hidden = true;
    }, 6000);
  }

  // An htmx request that failed would otherwise do nothing visible.
  document.addEventListener('htmx:responseError', function (event) {
    var xhr = event.detail.xhr;
    var text = 'Something went wrong (' + xhr.status + ').';
    if (xhr.status === 403) text = 'You are not allowed to do that, or the form expired. Reload the page and try again.';
    if (xhr.status === 401) text = 'Your session has ended. Sign in again.';
    if (xhr.status === 429) text = 'Too many attempts. Wait a moment and try again.';
    if (xhr.status >= 500) {
      var id = xhr.getResponseHeader('X-Request-Id');
      text = 'Something went wrong on our side.' + (id ? ' Reference ' + id + '.' : '');
    }
    toast(text);
  });
  document.addEventListener('htmx:sendError', function () {
    toast('Bursar could not be reached. Check your connection and try again.');
  });
})();
