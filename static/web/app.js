// Small behaviours of the pages; everything works without them (dialogs fall back to plain forms).
(function () {
  var FOCUS_AFTER_SAVE = "focus-after-save";
  var FOCUS_AFTER_DELETE = "focus-after-delete";
  var openers = new WeakMap(); // dialog -> the element that opened it, to give focus back on close

  function visible(element) {
    if (!element.isConnected) return false;
    // The content of a closed <details> menu has layout boxes but is not shown: checkVisibility knows.
    return typeof element.checkVisibility === "function" ? element.checkVisibility() : element.getClientRects().length > 0;
  }

  // Focus goes back to the element that opened a dialog when it closes or, when that element sat in a
  // menu that has closed since (the ⋯ menu's Permissions), to the menu's own button.
  function focusBack(opener) {
    if (!opener || !opener.isConnected) return;
    var menu = opener.closest("details");
    var candidates = [opener, menu && !menu.open ? menu.querySelector("summary") : null];
    for (var i = 0; i < candidates.length; i++) {
      var candidate = candidates[i];
      if (!candidate || !visible(candidate)) continue;
      candidate.focus();
      if (document.activeElement === candidate) return;
    }
  }

  function openDialog(id, opener) {
    var dialog = document.getElementById(id);
    if (dialog && typeof dialog.showModal === "function") {
      if (!dialog.open) dialog.showModal();
      openers.set(dialog, opener || null);
      // A dialog shown again with its errors puts focus on the first field in error, else on the element it
      // names (a confirmation's Cancel), else on its first field.
      var first = dialog.querySelector("[aria-invalid=true]") || dialog.querySelector("[data-initial-focus]") ||
        dialog.querySelector("input:not([type=hidden]), select, textarea, button[type=submit]");
      if (first) first.focus();
      return dialog;
    }
    return null;
  }

  // A row saved through a dialog takes focus after the page comes back: the row of the principal whose
  // permissions were saved ([data-principal]), or the row holding the dialog.
  function savedRowKey(form) {
    var principal = form.querySelector("input[name=principal]");
    if (principal && principal.value) return principal.value;
    var row = form.closest("[data-principal]");
    return row ? row.getAttribute("data-principal") : null;
  }

  function focusSavedRow() {
    var key;
    try { key = sessionStorage.getItem(FOCUS_AFTER_SAVE); sessionStorage.removeItem(FOCUS_AFTER_SAVE); } catch (error) { return; }
    if (!key || document.querySelector("dialog[open]")) return; // a dialog shown again with its errors keeps focus
    var rows = Array.prototype.filter.call(document.querySelectorAll("[data-principal]"), function (row) {
      return row.getAttribute("data-principal") === key;
    });
    var row = rows.filter(visible)[0];
    if (!row && rows.length) {
      // The row is in a dialog (an object's Permissions): show the dialog again, opened as from its opener.
      row = rows[0];
      var dialog = row.closest("dialog");
      var opener = dialog && document.querySelector('[data-open-dialog="' + dialog.id + '"]');
      if (!dialog || !openDialog(dialog.id, opener)) return;
    }
    if (!row) return;
    if (!row.hasAttribute("tabindex")) row.setAttribute("tabindex", "-1");
    row.focus();
  }

  // A confirmation that asks for a name keeps its button disabled until the name is typed (the server
  // checks it again, and without JavaScript the button is never disabled).
  function matchTypedName(input) {
    var button = input.form && input.form.querySelector("button[type=submit]");
    if (button) button.disabled = input.value.trim() !== input.getAttribute("data-confirm-name");
  }

  // After a confirmed delete the page comes back without the row: focus goes to the row that took its
  // place in the same table (or the one above, if it was the last), else to the page's heading.
  function rememberDeletedRow(form) {
    var dialog = form.closest("dialog.confirm"); // else the confirmation's own page: focus goes to the next page's heading
    var opener = dialog && openers.get(dialog);
    var row = opener && opener.closest("tr");
    var table = row && row.closest("table[aria-label]");
    var place = { path: location.pathname, table: table ? table.getAttribute("aria-label") : null, row: row ? row.sectionRowIndex : 0 };
    try { sessionStorage.setItem(FOCUS_AFTER_DELETE, JSON.stringify(place)); } catch (error) { /* no storage: focus stays put */ }
  }

  function focusAfterDelete() {
    var place;
    try { place = JSON.parse(sessionStorage.getItem(FOCUS_AFTER_DELETE)); sessionStorage.removeItem(FOCUS_AFTER_DELETE); } catch (error) { return; }
    if (!place || document.querySelector("dialog[open]")) return;
    var target = document.querySelector("main [aria-invalid=true]"); // refused: the field that says why
    if (!target && place.table && place.path === location.pathname) {
      var table = Array.prototype.filter.call(document.querySelectorAll("table[aria-label]"), function (candidate) {
        return candidate.getAttribute("aria-label") === place.table;
      })[0];
      var rows = table && table.tBodies[0] ? table.tBodies[0].rows : [];
      if (rows.length) target = rows[Math.min(place.row, rows.length - 1)];
    }
    target = target || document.querySelector("main h1");
    if (!target) return;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      // A link that opens a dialog is the page's no-JavaScript fallback: with JavaScript, the dialog instead.
      if (openDialog(opener.getAttribute("data-open-dialog"), opener) && opener.tagName === "A") event.preventDefault();
      var menu = opener.closest("details");
      if (menu) menu.open = false;
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) { var dialog = closer.closest("dialog"); if (dialog) dialog.close(); }
    var copier = event.target.closest("[data-copy]");
    if (copier) {
      var source = document.getElementById(copier.getAttribute("data-copy"));
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.value || source.textContent).then(function () { copier.textContent = "Copied"; });
      }
    }
  });
  // "close" does not bubble: listened to while it goes down to the dialog. Escape, Cancel and Close alike.
  document.addEventListener("close", function (event) {
    var dialog = event.target;
    if (!(dialog instanceof HTMLDialogElement)) return;
    var opener = openers.get(dialog);
    openers.delete(dialog);
    if (dialog.classList.contains("confirm")) {
      // Cancelled: what was typed goes, and the button waits for the name again next time.
      dialog.querySelectorAll("form").forEach(function (form) { form.reset(); });
      dialog.querySelectorAll("[data-confirm-name]").forEach(matchTypedName);
    }
    focusBack(opener);
  }, true);
  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-confirm-name]")) matchTypedName(event.target);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.closest("dialog.confirm, .form-page.confirm")) { rememberDeletedRow(form); return; }
    if ((form.getAttribute("method") || "").toLowerCase() !== "post" || !form.closest("dialog")) return;
    var key = savedRowKey(form);
    try { if (key) sessionStorage.setItem(FOCUS_AFTER_SAVE, key); } catch (error) { /* no storage: focus stays put */ }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-switch-org]")) event.target.form.submit();
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-confirm-name]").forEach(matchTypedName);
    // A dialog shown again with its errors gives focus, when it closes, to the button that opens it.
    document.querySelectorAll("dialog[data-open-on-load]").forEach(function (dialog) {
      openDialog(dialog.id, document.querySelector('[data-open-dialog="' + dialog.id + '"]'));
    });
  });
  // After the browser has gone to the address's #fragment, which moves focus to that element or drops it.
  window.addEventListener("load", function () {
    requestAnimationFrame(function () { setTimeout(function () { focusSavedRow(); focusAfterDelete(); }, 0); });
  });
  // A page shown once (a new token) puts the list's address back, so reloading shows the list, not the form again.
  document.querySelectorAll("[data-replace-url]").forEach(function (element) {
    if (window.history && history.replaceState) history.replaceState(null, "", element.getAttribute("data-replace-url"));
  });
  // A dialog fetched with htmx (hx-get into the page) opens as soon as it arrives, and gives focus back to
  // the button that fetched it when it closes.
  document.addEventListener("htmx:afterSwap", function (event) {
    var opener = (event.detail.requestConfig && event.detail.requestConfig.elt) || null;
    event.detail.target.querySelectorAll("dialog[data-open-on-load]").forEach(function (dialog) { openDialog(dialog.id, opener); });
  });
})();
