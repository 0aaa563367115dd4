// The link graph: fetches the case's graph JSON (same origin) and draws it with cytoscape.
(function () {
  "use strict";
  function draw(el, data) {
    if (!data.nodes.length) {
      el.hidden = true;
      document.getElementById("graph-empty").hidden = false;
      return;
    }
    var elements = data.nodes.map(function (n) { return { data: n, classes: n.kind }; })
      .concat(data.edges.map(function (e) { return { data: e, classes: e.kind }; }));
    window.cytoscape({
      container: el,
      elements: elements,
      layout: { name: "cose", animate: false, nodeRepulsion: 8000, padding: 40 },
      maxZoom: 1.2,
      style: [
        { selector: "node", style: { "label": "data(label)", "font-size": 9, "color": "#1d2733",
          "text-valign": "bottom", "text-margin-y": 3, "width": 14, "height": 14 } },
        { selector: "node.subject", style: { "background-color": "#114f8a", "width": 24, "height": 24,
          "font-weight": "bold", "font-size": 11 } },
        { selector: "node.record", style: { "background-color": "#8a9bad", "shape": "round-rectangle" } },
        { selector: "node.identifier", style: { "background-color": "#d9822b", "shape": "diamond" } },
        { selector: "edge", style: { "width": 1, "line-color": "#b8c2cc", "curve-style": "bezier" } },
        { selector: "edge.link", style: { "width": 2, "line-color": "#114f8a", "line-style": "dashed",
          "label": "data(label)", "font-size": 8 } }
      ]
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("graph");
    if (!el || !window.cytoscape) { return; }
    fetch(el.dataset.src, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) { draw(el, data); });
  });
})();
