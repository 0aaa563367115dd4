// The link graph: draws the JSON views of the case's graph (same origin) with cytoscape at the
// places the server laid out (preset layout: the browser computes no layout). A click on a node
// adds its neighbours (one audited JSON read) and highlights them; filters and search act on
// what is shown. Marks for tests and scripts: #graph[data-ready], [data-centre], [data-expanded],
// [data-nodes]; performance marks graph:fetched, :elements, :built, :drawn, :tap, :expand-fetched,
// :expanded (bench/graph.py prints them).
(function () {
  "use strict";
  var cy = null, el = null, stats = {}, expanded = {};
  var BIG = 600;   // more nodes than this: textures while panning, no fading

  function $(id) { return document.getElementById(id); }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (!r.ok) {   // the page's error answer: its message is the one <p class="error">
          return r.text().then(function (html) {
            var p = new DOMParser().parseFromString(html, "text/html").querySelector("main p.error, p.error");
            throw new Error(p ? p.textContent : "the server answered " + r.status);
          });
        }
        return r.json();
      });
  }

  function say(text) { $("graph-status").textContent = text; }

  function toElements(data) {
    var out = [], incoming = {};
    data.nodes.forEach(function (n) { incoming[n.id] = n; });
    data.nodes.forEach(function (n) {
      if (cy && cy.getElementById(n.id).nonempty()) { return; }
      var classes = n.kind + (n.shared ? " shared" : "");
      out.push({ group: "nodes", data: n, position: { x: n.x, y: n.y }, classes: classes });
    });
    data.edges.forEach(function (e) {
      var known = function (id) { return incoming[id] || (cy && cy.getElementById(id).nonempty()); };
      if (cy && cy.getElementById(e.id).nonempty()) { return; }
      if (known(e.source) && known(e.target)) {
        var target = incoming[e.target] || cy.getElementById(e.target).data();
        out.push({ group: "edges", data: e, classes: target.shared ? "toshared" : "" });
      }
    });
    return out;
  }

  // Labels readable at any zoom. A small view keeps their size on screen as it zooms out (down to
  // a third) and hides them once smaller than 8 px. A big view gives labels only to the nodes
  // that need one (class "labelled"): those in the visible part of the view once it is zoomed in
  // far enough for a label to be readable, the hovered, selected, highlighted and centred ones;
  // the other nodes get no label style at all, so that building the view does not style, measure
  // and cache 2,000 labels nobody can read at the zoom that shows them all.
  var labelScale = 1;
  var READABLE = 8;        // px on screen: smaller labels are not drawn
  var MAX_LABELLED = 400;  // a big view zoomed in: at most this many visible nodes labelled at once

  function styles(big) {   // plain sizes in a big view: a function is evaluated for every element
    var px = function (size) { return big ? size : function () { return size * labelScale; }; };
    var text = { "label": "data(label)", "font-size": px(11), "min-zoomed-font-size": READABLE,
      "color": "#1d2733", "text-valign": "bottom", "text-margin-y": 3, "text-background-color": "#ffffff",
      "text-background-opacity": 0.75, "text-background-padding": 1 };
    var labelled = big ? "node.labelled" : "node";
    return [
    { selector: "node", style: { "width": 14, "height": 14 } },
    { selector: labelled, style: text },
    { selector: "node.subject", style: { "background-color": "#114f8a", "width": 24, "height": 24 } },
    { selector: big ? "node.subject.labelled" : "node.subject",
      style: { "font-weight": "bold", "font-size": px(13) } },
    { selector: "node.identifier", style: { "background-color": "#d9822b", "shape": "diamond" } },
    { selector: "node.identifier.shared", style: { "background-color": "#c0392b",
      "width": "mapData(subjects, 2, 12, 22, 48)", "height": "mapData(subjects, 2, 12, 22, 48)" } },
    { selector: big ? "node.shared.labelled" : "node.shared",
      style: { "font-weight": "bold", "font-size": px(13) } },
    { selector: "node.focus", style: { "border-width": 4, "border-color": "#111" } },
    { selector: "node.expanded", style: { "border-width": 2, "border-color": "#555", "border-style": "double" } },
    { selector: "node:selected", style: { "overlay-color": "#114f8a", "overlay-opacity": 0.25, "overlay-padding": 6 } },
    { selector: "edge", style: { "width": 1, "line-color": "#b8c2cc", "curve-style": "haystack" } },
    { selector: "edge.toshared", style: { "width": 2, "line-color": "#e6a497" } },
    { selector: ".faded", style: { "opacity": 0.15 } },
    { selector: "node.near", style: { "overlay-color": "#f1c40f", "overlay-opacity": 0.45, "overlay-padding": 5 } },
    { selector: ".hidden", style: { "display": "none" } }
    ];
  }

  // A big view: after each pan or zoom, label the nodes in sight when a label would be readable,
  // and always the selected, highlighted, hovered and centred ones.
  function keepsLabel(n) { return n.selected() || n.hasClass("near") || n.hasClass("focus") || n.hasClass("hovered"); }

  // The labels are added a slice at a time, each slice its own task, so that a click or a key
  // pressed meanwhile is answered at once; a new pan or zoom drops the slices still to come.
  var labelRound = 0, SLICE = 40;

  function labelInView() {
    var want = {}, ids = [], ext = cy.extent(), round = ++labelRound;
    if (11 * cy.zoom() >= READABLE) {
      cy.nodes().forEach(function (n) {
        var p = n.position();
        if (ids.length < MAX_LABELLED && p.x >= ext.x1 && p.x <= ext.x2 && p.y >= ext.y1 && p.y <= ext.y2) {
          want[n.id()] = true;
          if (!n.hasClass("labelled")) { ids.push(n.id()); }
        }
      });
    }
    cy.batch(function () {
      cy.nodes(".labelled").forEach(function (n) { if (!want[n.id()] && !keepsLabel(n)) { n.removeClass("labelled"); } });
    });
    var next = function (from) {
      if (round !== labelRound || from >= ids.length) { return; }
      cy.batch(function () {
        ids.slice(from, from + SLICE).forEach(function (id) { cy.getElementById(id).addClass("labelled"); });
      });
      window.setTimeout(function () { next(from + SLICE); }, 0);
    };
    next(0);
  }

  function count() { el.dataset.nodes = String(cy.nodes().length); }

  function filtersOn() {
    return $("graph-country").value !== "" || $("graph-shared").checked ||
      document.querySelectorAll("#graph-kinds input:not(:checked)").length > 0;
  }

  function applyFilters() {
    var country = $("graph-country").value, sharedOnly = $("graph-shared").checked, kinds = {};
    Array.prototype.forEach.call(document.querySelectorAll("#graph-kinds input"), function (box) {
      kinds[box.value] = box.checked;
    });
    cy.batch(function () {
      cy.nodes(".subject").forEach(function (n) {
        var c = n.data("country") || "-";
        n.toggleClass("hidden", country !== "" && c !== country);
      });
      cy.nodes(".identifier").forEach(function (n) {
        var off = kinds[n.data("type")] === false || (sharedOnly && !n.data("shared"));
        var holders = n.neighborhood("node.subject");
        if (!off && country !== "" && holders.nonempty()) {
          off = holders.filter(function (s) { return !s.hasClass("hidden"); }).empty();
        }
        n.toggleClass("hidden", off);
      });
    });
  }

  function fillFilters() {
    var box = $("graph-kinds");
    (stats.kinds || []).forEach(function (kind) {
      if (box.querySelector("input[value='" + kind + "']")) { return; }
      var label = document.createElement("label"), input = document.createElement("input");
      input.type = "checkbox"; input.value = kind; input.checked = true;
      input.addEventListener("change", applyFilters);
      label.appendChild(input); label.appendChild(document.createTextNode(" " + kind));
      box.appendChild(label);
    });
    var select = $("graph-country");
    (stats.countries || []).concat(["-"]).forEach(function (cc) {
      if (select.querySelector("option[value='" + cc + "']")) { return; }
      var opt = document.createElement("option");
      opt.value = cc; opt.textContent = cc === "-" ? "not attributed" : cc;
      select.appendChild(opt);
    });
  }

  function describe(data) {
    var shown = cy ? cy.nodes().length : data.nodes.length;
    var text = "Showing " + shown + " of " + ((stats.subjects || 0) + (stats.identifiers || 0)) + " nodes: " +
      (stats.subjects || 0) + " subjects, " + (stats.identifiers || 0) + " identifiers, " +
      (stats.shared_identifiers || 0) + " shared by several subjects.";
    if (data.left_out) { text += " " + data.left_out + " more not sent (too many for one view): centre on a node."; }
    if (stats.records_outside) { text += " " + stats.records_outside + " records in no subject are not drawn."; }
    if (stats.places_left_out) {
      text += " " + stats.places_left_out + " places (cities, countries) found in subjects' records are not drawn.";
    }
    say(text);
  }

  function info(node) {
    var box = $("graph-info"), d = node.data(), h = document.createElement("h4"), p = document.createElement("p");
    box.textContent = "";
    h.textContent = d.label;
    box.appendChild(h);
    if (d.kind === "subject") {
      p.textContent = "subject · " + (d.country ? "attributed to " + d.country : "not attributed") + " · " +
        d.degree + " identifiers, " + d.shared_identifiers + " shared";
      var a = document.createElement("a");
      a.href = el.dataset.case + "/subjects/" + encodeURIComponent(d.ref);
      a.textContent = "open subject";
      box.appendChild(p); box.appendChild(a);
    } else {
      p.textContent = d.type + " · held by " + d.subjects + " subject" + (d.subjects === 1 ? "" : "s");
      box.appendChild(p);
    }
    var list = document.createElement("ul");
    node.neighborhood("node").slice(0, 40).forEach(function (m) {
      var li = document.createElement("li");
      li.textContent = m.data("label");
      list.appendChild(li);
    });
    box.appendChild(list);
    box.hidden = false;
  }

  function highlight(node) {   // a small view fades the rest; a big one marks the neighbours only (cheap)
    var near = node.closedNeighborhood();
    cy.batch(function () {
      cy.elements(".near").removeClass("near");
      if (cy.nodes().length > BIG) { near.nodes().addClass("near labelled"); return; }
      cy.elements().addClass("faded");
      near.removeClass("faded");
    });
  }

  function unhighlight() {
    cy.batch(function () { cy.elements(".faded").removeClass("faded"); cy.elements(".near").removeClass("near"); });
  }

  function expand(node) {
    var id = node.id();
    node.select();
    info(node);
    performance.mark("graph:tap");
    var done = function () {
      highlight(node);
      el.dataset.expanded = id;
      window.requestAnimationFrame(function () { performance.mark("graph:expanded"); });
    };
    if (expanded[id]) { done(); return; }
    getJSON(el.dataset.case + "/graph/expand.json?node=" + encodeURIComponent(id)).then(function (data) {
      performance.mark("graph:expand-fetched");
      expanded[id] = true;
      var fresh = toElements(data), ring = fresh.filter(function (e) { return e.group === "nodes"; });
      var at = node.position(), radius = 110 + 6 * ring.length;
      ring.forEach(function (e, k) {   // the new neighbours go round the node, away from the rest
        var angle = 2 * Math.PI * k / ring.length + 0.4;
        e.position = { x: at.x + radius * Math.cos(angle), y: at.y + radius * Math.sin(angle) };
      });
      var added = cy.add(fresh);
      node.addClass("expanded");
      count();
      if (added.nonempty() && filtersOn()) { applyFilters(); }
      info(node);
      describe(data);
      done();
    }).catch(function (err) { say("Could not expand " + node.data("label") + ": " + err.message); });
  }

  function draw(data) {
    performance.mark("graph:fetched");
    stats = data.stats || {};
    fillFilters();
    if (!data.nodes.length) {
      el.hidden = true;
      $("graph-empty").hidden = false;
      el.dataset.ready = "1";
      describe(data);
      return;
    }
    var big = data.nodes.length > BIG;
    if (cy) { cy.destroy(); cy = null; }
    expanded = {};
    var elements = toElements(data);
    performance.mark("graph:elements");
    elements.forEach(function (e) { if (e.data.id === data.focus) { e.classes += " focus labelled"; } });
    cy = window.cytoscape({
      container: el, elements: elements, layout: { name: "preset", fit: true, padding: 30 },
      minZoom: 0.02, maxZoom: 4, wheelSensitivity: 0.3,
      textureOnViewport: big, hideEdgesOnViewport: big, pixelRatio: big ? 1 : "auto", style: styles(big)
    });
    performance.mark("graph:built");
    count();
    if (filtersOn()) { applyFilters(); }
    labelScale = 1;
    var pending = false;
    var rescale = function () {
      pending = false;
      var scale = Math.max(1, Math.min(3, 1 / cy.zoom()));
      if (Math.abs(scale - labelScale) > 0.05) { labelScale = scale; cy.style().update(); }
    };
    if (!big) {
      cy.on("zoom", function () { if (!pending) { pending = true; window.requestAnimationFrame(rescale); } });
      rescale();
    } else {
      var timer = null;
      cy.on("viewport", function () {
        if (timer) { window.clearTimeout(timer); }
        timer = window.setTimeout(function () { timer = null; labelInView(); }, 120);
      });
      cy.on("mouseover", "node", function (evt) { evt.target.addClass("hovered labelled"); });
      cy.on("select", "node", function (evt) { evt.target.addClass("labelled"); });
      cy.on("mouseout", "node", function (evt) { evt.target.removeClass("hovered"); });
      labelInView();
    }
    cy.on("tap", "node", function (evt) { expand(evt.target); });
    cy.on("tap", function (evt) {
      if (evt.target === cy) { unhighlight(); $("graph-info").hidden = true; }
    });
    el.dataset.centre = data.focus || "";
    window.tasmanGraph = cy;
    describe(data);
    cy.ready(function () {
      window.requestAnimationFrame(function () { performance.mark("graph:drawn"); el.dataset.ready = "1"; });
    });
  }

  function load(params) {
    delete el.dataset.ready;
    var query = new URLSearchParams(params).toString();
    return getJSON(el.dataset.case + "/graph.json" + (query ? "?" + query : "")).then(draw)
      .catch(function (err) { say(err.message); el.dataset.ready = "1"; });
  }

  function centre(id) {
    $("graph-hits").hidden = true;
    return load({ focus: id, hops: $("graph-hops").value });
  }

  function search(evt) {
    evt.preventDefault();
    var q = $("graph-q").value.trim();
    if (!q) { return; }
    getJSON(el.dataset.case + "/graph/search.json?q=" + encodeURIComponent(q)).then(function (hits) {
      var list = $("graph-hits");
      list.textContent = "";
      if (!hits.length) { say("Nothing in this case's graph matches " + JSON.stringify(q) + "."); return; }
      var exact = hits.filter(function (h) { return h.label === q || h.id === "s:" + q || h.label.indexOf(q + " ") === 0; });
      if (hits.length === 1 || exact.length === 1) { centre((exact[0] || hits[0]).id); return; }
      hits.forEach(function (h) {
        var li = document.createElement("li"), b = document.createElement("button");
        b.type = "button";
        b.textContent = h.label + (h.kind === "identifier" ? " (" + h.type + ", " + h.subjects + " subjects)" : "");
        b.addEventListener("click", function () { centre(h.id); });
        li.appendChild(b); list.appendChild(li);
      });
      list.hidden = false;
      say(hits.length + " matches: pick one.");
    }).catch(function (err) { say(err.message); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    el = $("graph");
    if (!el || !window.cytoscape) { return; }
    $("graph-search").addEventListener("submit", search);
    $("graph-country").addEventListener("change", function () { if (cy) { applyFilters(); } });
    $("graph-shared").addEventListener("change", function () { if (cy) { applyFilters(); } });
    $("graph-fit").addEventListener("click", function () {
      if (cy) { cy.fit(cy.nodes(":visible"), 50); }
    });
    $("graph-hops").value = el.dataset.hops || "2";
    $("graph-hops").addEventListener("change", function () {
      var focus = cy && cy.nodes(".focus").nonempty() ? cy.nodes(".focus").id() : el.dataset.focus;
      load(focus ? { focus: focus, hops: $("graph-hops").value } : { hops: $("graph-hops").value });
    });
    var params = {};
    if (el.dataset.whole) { params.whole = "1"; }
    else {
      if (el.dataset.focus) { params.focus = el.dataset.focus; }
      params.hops = $("graph-hops").value;
    }
    load(params);
  });
})();
