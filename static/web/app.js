// Small behaviours of the pages; everything works without them (dialogs fall back to plain forms).
(function () {
  function openDialog(id) {
    var dialog = document.getElementById(id);
    if (dialog && typeof dialog.showModal === "function") {
      dialog.showModal();
      var first = dialog.querySelector("input, select, textarea, button[type=submit]");
      if (first) first.focus();
      return true;
    }
    return false;
  }
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      // A link that opens a dialog is the page's no-JavaScript fallback: with JavaScript, the dialog instead.
      if (openDialog(opener.getAttribute("data-open-dialog")) && opener.tagName === "A") event.preventDefault();
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
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-switch-org]")) event.target.form.submit();
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("dialog[data-open-on-load]").forEach(function (dialog) { openDialog(dialog.id); });
  });
  // A page shown once (a new token) puts the list's address back, so reloading shows the list, not the form again.
  document.querySelectorAll("[data-replace-url]").forEach(function (element) {
    if (window.history && history.replaceState) history.replaceState(null, "", element.getAttribute("data-replace-url"));
  });
  // A dialog fetched with htmx (hx-get into the page) opens as soon as it arrives.
  document.addEventListener("htmx:afterSwap", function (event) {
    event.detail.target.querySelectorAll("dialog[data-open-on-load]").forEach(function (dialog) { openDialog(dialog.id); });
  });
})();
