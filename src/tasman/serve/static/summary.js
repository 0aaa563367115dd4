// The per-country bar chart: data comes from a JSON block in the page (no inline script).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var canvas = document.getElementById("per-country");
    var block = document.getElementById("per-country-data");
    if (!canvas || !block || !window.Chart) { return; }
    var data = JSON.parse(block.textContent);
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: [{ label: "subjects", data: data.values, backgroundColor: "#2f6fae" }] },
      options: { animation: false, plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  });
})();
