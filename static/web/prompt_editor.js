// The prompt editor: lists the template variables of the messages as one types, adds message rows, and
// moves them up and down. Without it the editor still works: the server lists the variables when the
// form comes back, "Add message" asks the server for a new row, and the positions order the messages.
(function () {
  // The same expression as projects/prompt_templates.py: {{name}}, {{{name}}}, {{&name}}, {{#name}}, {{^name}}.
  var VARIABLE = /\{\{(\{?)\s*([#^&]?)\s*([A-Za-z_][\w.-]*)\s*\}?\}\}/g;

  function variablesOf(editor) {
    var found = [];
    editor.querySelectorAll("[data-template-source]").forEach(function (source) {
      if (source.closest("template")) return;
      var row = source.closest("[data-message-row]");
      var removed = row && row.querySelector("[data-remove-message]");
      if (removed && removed.checked) return;
      var match;
      VARIABLE.lastIndex = 0;
      while ((match = VARIABLE.exec(source.value)) !== null) {
        if (found.indexOf(match[3]) === -1) found.push(match[3]);
      }
    });
    return found;
  }

  function showVariables(editor) {
    var list = editor.querySelector("[data-template-variables]");
    if (!list) return;
    var names = variablesOf(editor);
    var shown = Array.prototype.map.call(list.querySelectorAll("code"), function (code) { return code.textContent; });
    if (shown.join("\n") === names.join("\n")) return;
    list.textContent = "";
    names.forEach(function (name) {
      var item = document.createElement("li");
      var code = document.createElement("code");
      code.textContent = name;
      item.appendChild(code);
      list.appendChild(item);
    });
    var none = editor.querySelector("[data-no-variables]");
    if (none) none.hidden = names.length > 0;
  }

  function rows(editor) {
    return Array.prototype.slice.call(editor.querySelectorAll("[data-message-rows] > [data-message-row]"));
  }

  // Positions follow the rows' order on the page, so that the server keeps the order one sees.
  function renumber(editor) {
    rows(editor).forEach(function (row, index) {
      var position = row.querySelector('input[name$="-ORDER"]');
      if (position) position.value = index + 1;
    });
  }

  function addMessage(editor) {
    var template = editor.querySelector("#message-template");
    var total = editor.querySelector('input[name="messages-TOTAL_FORMS"]');
    if (!template || !total) return;
    var index = parseInt(total.value, 10) || 0;
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.firstElementChild;
    editor.querySelector("[data-message-rows]").appendChild(row);
    total.value = index + 1;
    showMoveButtons(row);
    renumber(editor);
    var role = row.querySelector("select");
    if (role) role.focus();
  }

  function showMoveButtons(scope) {
    scope.querySelectorAll("[data-move-message]").forEach(function (button) { button.hidden = false; });
  }

  function move(row, direction) {
    var editor = row.closest("[data-prompt-editor]");
    var sibling = direction === "up" ? row.previousElementSibling : row.nextElementSibling;
    if (!sibling) return;
    if (direction === "up") row.parentNode.insertBefore(row, sibling);
    else row.parentNode.insertBefore(sibling, row);
    renumber(editor);
    row.querySelector('[data-move-message="' + direction + '"]').focus();
  }

  function start(editor) {
    var add = editor.querySelector("[data-add-message]");
    if (add) add.type = "button"; // with the script, a new row is added here rather than by the server
    showMoveButtons(editor.querySelector("[data-message-rows]") || editor);
    editor.addEventListener("input", function (event) {
      if (event.target.matches("[data-template-source]")) showVariables(editor);
    });
    editor.addEventListener("change", function (event) {
      if (event.target.matches("[data-remove-message]")) showVariables(editor);
    });
    editor.addEventListener("click", function (event) {
      if (event.target.closest("[data-add-message]")) { event.preventDefault(); addMessage(editor); return; }
      var mover = event.target.closest("[data-move-message]");
      if (mover) move(mover.closest("[data-message-row]"), mover.getAttribute("data-move-message"));
    });
    showVariables(editor);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-prompt-editor]").forEach(start);
  });
})();
