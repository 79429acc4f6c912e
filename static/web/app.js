// Small behaviours of the pages; everything works without them (dialogs fall back to plain forms).
(function () {
  var FOCUS_AFTER_SAVE = "focus-after-save";
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
      // A dialog shown again with its errors puts focus on the first field in error, else on its first field.
      var first = dialog.querySelector("[aria-invalid=true]") || dialog.querySelector("input:not([type=hidden]), select, textarea, button[type=submit]");
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
    focusBack(opener);
  }, true);
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); return; }
    var form = event.target;
    if ((form.getAttribute("method") || "").toLowerCase() !== "post" || !form.closest("dialog")) return;
    var key = savedRowKey(form);
    try { if (key) sessionStorage.setItem(FOCUS_AFTER_SAVE, key); } catch (error) { /* no storage: focus stays put */ }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-switch-org]")) event.target.form.submit();
  });
  document.addEventListener("DOMContentLoaded", function () {
    // A dialog shown again with its errors gives focus, when it closes, to the button that opens it.
    document.querySelectorAll("dialog[data-open-on-load]").forEach(function (dialog) {
      openDialog(dialog.id, document.querySelector('[data-open-dialog="' + dialog.id + '"]'));
    });
  });
  // After the browser has gone to the address's #fragment, which moves focus to that element or drops it.
  window.addEventListener("load", function () {
    requestAnimationFrame(function () { setTimeout(focusSavedRow, 0); });
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
