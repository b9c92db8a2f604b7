// Reordering rules by dragging a row. The Up and Down buttons in each row do the same with plain
// forms (keyboard, no JavaScript); a drop sends the row's new place to the same endpoint.
(function () {
  var dragged = null;

  function rows(body) {
    return Array.prototype.slice.call(body.querySelectorAll('tr[data-rule]'));
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRF-Token'] || '';
    } catch (e) {
      return '';
    }
  }

  document.addEventListener('dragstart', function (event) {
    var row = event.target.closest && event.target.closest('tbody[data-rule-order] tr[data-rule]');
    if (!row) return;
    dragged = row;
    row.classList.add('dragging');
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', row.getAttribute('data-rule'));
  });

  document.addEventListener('dragover', function (event) {
    if (!dragged) return;
    var over = event.target.closest && event.target.closest('tr[data-rule]');
    if (!over || over === dragged || over.parentNode !== dragged.parentNode) return;
    event.preventDefault();
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });

  document.addEventListener('drop', function (event) {
    if (dragged) event.preventDefault();
  });

  document.addEventListener('dragend', function () {
    if (!dragged) return;
    var row = dragged;
    dragged = null;
    row.classList.remove('dragging');
    var body = row.parentNode;
    var place = rows(body).indexOf(row) + 1;
    var data = new URLSearchParams({ position: String(place) });
    fetch(body.getAttribute('data-rule-order') + '/' + row.getAttribute('data-rule') + '/position', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': csrfToken(), 'HX-Request': 'true' },
      body: data,
      credentials: 'same-origin',
    }).then(function () {
      window.location.reload();
    });
  });
})();
