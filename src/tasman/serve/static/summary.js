// The per-country bar chart: data comes from a JSON block in the page (no inline script).
(function () {
  "use strict";
  var COLOURS = ["#2f6fae", "#a32121", "#1f6f3a"];
  document.addEventListener("DOMContentLoaded", function () {
    var canvas = document.getElementById("per-country");
    var block = document.getElementById("per-country-data");
    if (!canvas || !block || !window.Chart) { return; }
    var data = JSON.parse(block.textContent);
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) {
          return { label: s.label, data: s.values, backgroundColor: COLOURS[i % COLOURS.length] };
        })
      },
      options: { animation: false, plugins: { legend: { position: "bottom" } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  });
})();
