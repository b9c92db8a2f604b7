// The chat thread and drawer: keep the newest message in view, send on Enter, close on Escape.
// No inline scripts anywhere: the CSP allows only files from this origin.
(function () {
  function scrollThread(el) {
    var thread = el && el.closest ? el.closest('.chat-thread') : null;
    var list = thread ? thread.querySelector('.chat-messages') : null;
    if (list) list.scrollTop = list.scrollHeight;
  }

  document.addEventListener('htmx:afterSwap', function (event) {
    var target = event.detail.target;
    if (!target || !target.closest || !target.closest('.chat-thread, .msg')) return;
    var thread = target.closest('.chat-thread') || target;
    scrollThread(thread.querySelector ? thread.querySelector('.chat-messages') || thread : thread);
    var input = thread.querySelector && thread.querySelector('.chat-form textarea');
    if (input && event.detail.elt && event.detail.elt.closest && event.detail.elt.closest('.chat-thread')) input.focus();
  });

  document.addEventListener('htmx:sseMessage', function (event) {
    scrollThread(event.target);
  });

  // Enter sends, Shift+Enter starts a new line.
  document.addEventListener('keydown', function (event) {
    var el = event.target;
    if (event.key === 'Enter' && !event.shiftKey && el.matches && el.matches('.chat-form textarea')) {
      event.preventDefault();
      if (el.value.trim() !== '') el.form.requestSubmit();
    }
    if (event.key === 'Escape') {
      var drawer = document.querySelector('details[data-chat-drawer][open]');
      if (drawer) drawer.open = false;
    }
  });

  // Opening the drawer puts the cursor in the question box.
  document.addEventListener(
    'toggle',
    function (event) {
      var drawer = event.target;
      if (drawer.matches && drawer.matches('details[data-chat-drawer]') && drawer.open) {
        var input = drawer.querySelector('.chat-form textarea');
        if (input) input.focus();
      }
    },
    true,
  );
})();
