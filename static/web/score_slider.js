// A slider score of the human-review form (web/forms/objects.py, ScoreSlider): shows its value as it moves
// and unticks its "No score" box; ticking the box again shows "—". Without JavaScript the box is unticked by hand.
(function () {
  function percent(slider) { return Math.round(parseFloat(slider.value) * 100) + "%"; }
  function show(slider, text) {
    var output = document.getElementById(slider.id + "-value");
    if (output) output.value = text;
    slider.setAttribute("aria-valuetext", text === "—" ? "No score" : text);
  }
  document.addEventListener("input", function (event) {
    var slider = event.target;
    if (!slider.matches || !slider.matches("[data-score-slider]")) return;
    var none = document.getElementById(slider.id + "-none");
    if (none) none.checked = false;
    show(slider, percent(slider));
  });
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.id || box.id.slice(-5) !== "-none") return;
    var slider = document.getElementById(box.id.slice(0, -5));
    if (slider && slider.matches("[data-score-slider]")) show(slider, box.checked ? "—" : percent(slider));
  });
})();
