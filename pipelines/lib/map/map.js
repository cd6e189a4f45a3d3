"use strict";
// The one map: draws the inline data (#map-data) as SVG; no library, nothing fetched.
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const data = JSON.parse(document.getElementById("map-data").textContent);
  const svg = document.getElementById("svg");
  const tip = document.getElementById("tip");
  const info = document.getElementById("info");
  const legend = document.getElementById("legend");
  const PALE = ["#c6dbef", "#c7e9c0", "#fdd0a2", "#dadaeb", "#fff3a6", "#c2e6e6", "#f7c6d3", "#d9d9d9"];
  // Township names are shown once zoomed in far enough for about this many across the view.
  const LABELS_ACROSS = 40;
  const sizes = {".pt": 4, ".ring0": 8, ".ring1": 12, ".ring2": 16, ".township": 2.5, ".township-label": 11};

  function el(name, attributes, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    if (parent) parent.appendChild(node);
    return node;
  }
  function html(name, text, parent, cls) {
    const node = document.createElement(name);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    if (parent) parent.appendChild(node);
    return node;
  }

  // ------------------------------------------------------------ the base: cells and townships
  const viewport = el("g", {id: "viewport"}, svg);
  const base = el("g", {id: "base"}, viewport);
  const cells = el("g", {id: "cells"}, base);
  for (const [x, y, w, h, t] of data.cells) {
    const cell = el("rect", {x, y, width: w, height: h, class: "cell",
      fill: t < 0 ? "#eeeeee" : PALE[t % PALE.length]}, cells);
    if (t >= 0) cell.dataset.township = t;
  }
  const points = el("g", {id: "townships"}, base);
  const labels = el("g", {id: "township-labels"}, base);
  data.townships.forEach(([x, y, code, name], i) => {
    el("circle", {cx: x, cy: y, class: "township", "data-township": i}, points);
    const label = el("text", {x, y, class: "township-label", dx: "0.5em", dy: "0.35em"}, labels);
    label.textContent = name;
  });

  // ------------------------------------------------------------ the layers, first drawn lowest
  const groups = {};
  let rings = 0; // layers drawn on the townships' points: each its own ring size
  data.layers.forEach((layer, l) => {
    const ring = "ring ring" + (layer.onTownship && layer.present ? rings++ % 3 : 0);
    const group = el("g", {id: "layer-" + layer.id, class: "layer", "data-layer": layer.id,
      "data-features": layer.features.length}, viewport);
    groups[layer.id] = group;
    layer.features.forEach(([x, y, radius, colour], f) => {
      let shape;
      if (layer.scaled && radius !== null) {
        shape = el("circle", {cx: x, cy: y, r: Math.max(radius, 1), class: "area", fill: colour, stroke: colour}, group);
      } else if (layer.onTownship) {
        shape = el("circle", {cx: x, cy: y, class: ring, stroke: colour}, group);
      } else {
        shape = el("circle", {cx: x, cy: y, class: "pt", fill: colour}, group);
      }
      shape.dataset.l = l;
      shape.dataset.f = f;
    });
  });
  viewport.appendChild(labels); // names above every layer

  // ------------------------------------------------------------ the legend: one toggle per layer
  data.layers.forEach((layer) => {
    const entry = html("div", null, legend, "layer-entry" + (layer.present ? "" : " absent"));
    entry.dataset.layer = layer.id;
    const label = html("label", null, entry);
    const box = html("input", null, label);
    box.type = "checkbox";
    box.id = "toggle-" + layer.id;
    box.dataset.layer = layer.id;
    box.checked = layer.present;
    box.disabled = !layer.present;
    label.appendChild(document.createTextNode(" " + layer.label));
    if (!layer.present) {
      html("p", "not built in this warehouse: no table " + layer.table + " (optional layer)", entry, "note");
      return;
    }
    box.addEventListener("change", () => {
      groups[layer.id].setAttribute("display", box.checked ? "inline" : "none");
    });
    if (layer.note) html("p", layer.note, entry, "note");
    const drawn = layer.features.length;
    let count = drawn.toLocaleString("en") + " drawn";
    if (layer.total !== layer.located) {
      count += "; " + (layer.total - layer.located).toLocaleString("en") + " of " +
        layer.total.toLocaleString("en") + " have no place on the map";
    }
    html("p", count + " (" + layer.table + ")", entry, "count");
    if (layer.capped) {
      html("p", "Capped: " + drawn.toLocaleString("en") + " of " + layer.located.toLocaleString("en") +
        " drawn (at most " + layer.cap.toLocaleString("en") + ").", entry, "capped");
    }
    const swatches = html("div", null, entry, "swatches");
    for (const [colour, meaning] of layer.legend) {
      const item = html("span", null, swatches);
      const swatch = html("span", null, item, "swatch");
      swatch.style.background = colour;
      item.appendChild(document.createTextNode(meaning || (layer.scaled ? "area" : "feature")));
    }
  });
  const baseEntry = html("div", null, legend, "layer-entry");
  html("label", "Base: " + data.townships.length + " townships, " + data.cells.length + " grid cells", baseEntry);
  html("p", "Grid cells where the city has places, tinted by township; each township's point is the " +
    "mean of its places' coordinates; their names show as you zoom in. No tiles: the page draws " +
    "only the warehouse's data.", baseEntry, "note");

  // ------------------------------------------------------------ hover and click
  function rows(pairs) {
    const table = document.createElement("table");
    for (const [key, value] of pairs) {
      const row = html("tr", null, table);
      html("th", key, row);
      html("td", value === null || value === undefined ? "–" : String(value), row);
    }
    return table;
  }
  function describe(target) {
    if (target.dataset.l !== undefined) {
      const layer = data.layers[+target.dataset.l];
      const feature = layer.features[+target.dataset.f];
      const title = feature[4] === null || feature[4] === undefined ? layer.label : String(feature[4]);
      return {title, sub: layer.label, pairs: layer.fields.map((name, i) => [name, feature[5][i]])};
    }
    const t = target.dataset.township;
    if (t !== undefined) {
      const [, , code, name, places] = data.townships[+t];
      return {title: name, sub: "township", pairs: [["township_code", code], ["places", places]]};
    }
    return null;
  }
  function show(node, what) {
    node.replaceChildren();
    html("h2", what.title, node);
    html("p", what.sub, node, "note");
    node.appendChild(rows(what.pairs));
  }
  svg.addEventListener("pointermove", (event) => {
    const what = dragging ? null : describe(event.target);
    if (!what) { tip.hidden = true; return; }
    show(tip, what);
    tip.hidden = false;
    const box = svg.getBoundingClientRect();
    tip.style.left = Math.min(event.clientX - box.left + 14, box.width - tip.offsetWidth - 4) + "px";
    tip.style.top = Math.min(event.clientY - box.top + 14, box.height - tip.offsetHeight - 4) + "px";
  });
  svg.addEventListener("pointerleave", () => { tip.hidden = true; });
  let selected = null;
  svg.addEventListener("click", (event) => {
    if (moved) return;
    const what = describe(event.target);
    if (selected) selected.classList.remove("selected");
    selected = null;
    if (!what) return;
    selected = event.target;
    selected.classList.add("selected");
    show(info, what);
  });

  // ------------------------------------------------------------ zoom and pan (the SVG's viewBox)
  const all = viewport.getBBox();
  const pad = Math.max(all.width, all.height) * 0.03 + 100;
  const home = {x: all.x - pad, y: all.y - pad, w: all.width + 2 * pad, h: all.height + 2 * pad};
  let view = {...home};
  const rules = {};
  for (const rule of document.styleSheets[0].cssRules) {
    if (rule.selectorText in sizes) (rules[rule.selectorText] = rules[rule.selectorText] || []).push(rule);
  }
  function unitsPerPixel() {
    const box = svg.getBoundingClientRect();
    return Math.max(view.w / Math.max(box.width, 1), view.h / Math.max(box.height, 1));
  }
  function apply() {
    svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" "));
    const upp = unitsPerPixel();
    const crowded = data.townships.length * (view.w / home.w) > LABELS_ACROSS;
    labels.setAttribute("display", crowded ? "none" : "inline");
    for (const [selector, pixels] of Object.entries(sizes)) {
      for (const rule of rules[selector] || []) {
        if (selector === ".township-label") rule.style.fontSize = (pixels * upp) + "px";
        else rule.style.r = (pixels * upp) + "px";
      }
    }
  }
  function zoom(factor, cx, cy) {
    const w = Math.min(Math.max(view.w * factor, home.w / 500), home.w * 4);
    const f = w / view.w;
    view = {x: cx - (cx - view.x) * f, y: cy - (cy - view.y) * f, w: view.w * f, h: view.h * f};
    apply();
  }
  function toMap(clientX, clientY) {
    const point = svg.createSVGPoint();
    point.x = clientX; point.y = clientY;
    return point.matrixTransform(svg.getScreenCTM().inverse());
  }
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const at = toMap(event.clientX, event.clientY);
    zoom(event.deltaY > 0 ? 1.25 : 0.8, at.x, at.y);
  }, {passive: false});
  function centre() { return [view.x + view.w / 2, view.y + view.h / 2]; }
  document.getElementById("zoom-in").addEventListener("click", () => zoom(0.5, ...centre()));
  document.getElementById("zoom-out").addEventListener("click", () => zoom(2, ...centre()));
  document.getElementById("zoom-reset").addEventListener("click", () => { view = {...home}; apply(); });
  let dragging = null;
  let moved = false;
  svg.addEventListener("pointerdown", (event) => {
    dragging = {x: event.clientX, y: event.clientY, view: {...view}, upp: unitsPerPixel()};
    moved = false;
  });
  window.addEventListener("pointermove", (event) => {
    if (!dragging) return;
    const dx = event.clientX - dragging.x, dy = event.clientY - dragging.y;
    if (!moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    if (!moved) svg.setPointerCapture(event.pointerId);
    moved = true;
    svg.classList.add("dragging");
    view = {...dragging.view, x: dragging.view.x - dx * dragging.upp, y: dragging.view.y - dy * dragging.upp};
    apply();
  });
  window.addEventListener("pointerup", () => {
    dragging = null;
    svg.classList.remove("dragging");
  });
  window.addEventListener("resize", apply);
  apply();
  document.body.dataset.ready = "true";
})();
