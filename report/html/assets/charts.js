// The charts' interactive layer, shared by report.html and the live dashboard (ccload/dashboard):
// hover tooltips from each SVG element's <title>, and legend buttons that hide or show a series.
// ccloadCharts(root) binds what is under root; the dashboard calls it again after each update.
window.ccloadCharts = function (root) {
  var tip = document.getElementById("tip");
  var hov = root.querySelectorAll("svg [class~=hov], svg g, svg line.stage");
  for (var i = 0; i < hov.length; i++) {
    var t = hov[i].querySelector(":scope > title");
    if (t) { hov[i].setAttribute("data-tip", t.textContent); t.remove(); }
  }
  function move(e) {
    var el = e.target && e.target.closest ? e.target.closest("[data-tip]") : null;
    if (!el) { tip.hidden = true; return; }
    tip.textContent = el.getAttribute("data-tip");
    tip.hidden = false;
    var x = e.clientX + 14, y = e.clientY + 16;
    if (x + tip.offsetWidth > window.innerWidth - 4) x = Math.max(4, e.clientX - tip.offsetWidth - 14);
    if (y + tip.offsetHeight > window.innerHeight - 4) y = e.clientY - tip.offsetHeight - 12;
    tip.style.left = x + "px"; tip.style.top = y + "px";
  }
  if (!window.ccloadChartsBound) {
    window.ccloadChartsBound = true;
    document.addEventListener("mousemove", move);
    document.addEventListener("mouseleave", function () { tip.hidden = true; });
  }
  var sel = root.querySelectorAll(".legendrow[data-for] button.sel");
  for (var j = 0; j < sel.length; j++) sel[j].addEventListener("click", function (e) {
    var b = e.currentTarget, on = b.getAttribute("aria-pressed") !== "true";
    var chart = document.querySelector("svg.chart." + b.parentNode.getAttribute("data-for"));
    var g = chart && chart.querySelector('g.series[data-series="' + b.getAttribute("data-series") + '"]');
    b.setAttribute("aria-pressed", on ? "true" : "false");
    if (g) g.classList.toggle("off", !on);
  });
};
if (!window.ccloadLive) {
  window.ccloadCharts(document);
  document.body.setAttribute("data-ready", "1");
}
