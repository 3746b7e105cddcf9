// The explorer's page: its style and its script, as text embedded in every
// view (no network, no server). The script reads the view's data from the
// JSON next to it and builds the DOM with text nodes only, so nothing from
// the data is ever parsed as HTML. `#ROOT` and `__ROOT_ID__` stand for the
// view's element id.

/** The view's CSS; `#ROOT` scopes every rule to one view. */
export const EXPLORER_CSS = `
#ROOT{font:13px/1.35 system-ui,sans-serif;color:#222;max-width:980px}
#ROOT .seg-x-head{margin:0 0 6px}
#ROOT .seg-x-count{color:#666;margin-left:6px}
#ROOT .seg-x-controls{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin:0 0 8px}
#ROOT .seg-x-controls input[type=range]{width:140px;vertical-align:middle}
#ROOT .seg-x-noun{width:200px}
#ROOT button{font:inherit;padding:1px 8px;cursor:pointer}
#ROOT .seg-x-grid{display:flex;flex-wrap:wrap;gap:8px}
#ROOT .seg-x-card{width:150px;cursor:pointer;border:1px solid #ddd;border-radius:3px;padding:3px;background:#fff}
#ROOT .seg-x-card:hover{border-color:#888}
#ROOT .seg-x-card canvas{display:block;width:150px}
#ROOT .seg-x-name{font-size:11px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;direction:rtl;text-align:left}
#ROOT .seg-x-sub{font-size:11px;color:#777}
#ROOT .seg-x-detail{margin-top:10px;border-top:1px solid #ddd;padding-top:8px}
#ROOT .seg-x-stage{position:relative;display:inline-block;vertical-align:top;margin-right:12px}
#ROOT .seg-x-canvas{display:block;width:512px;max-width:100%;cursor:crosshair}
#ROOT .seg-x-tip{position:absolute;left:6px;top:6px;background:rgba(0,0,0,.75);color:#fff;padding:2px 6px;border-radius:3px;font-size:12px;pointer-events:none}
#ROOT .seg-x-legend{display:inline-block;vertical-align:top;list-style:none;margin:0;padding:0;max-height:520px;overflow:auto}
#ROOT .seg-x-legend li{padding:1px 4px;border-radius:2px}
#ROOT .seg-x-legend li.seg-x-off{color:#aaa}
#ROOT .seg-x-legend li.seg-x-active{background:#222;color:#fff}
#ROOT .seg-x-swatch{display:inline-block;width:10px;height:10px;margin-right:5px;vertical-align:baseline}
`;

/** The view's script (plain ES2017, no template literals, no modules). */
export const EXPLORER_SCRIPT = String.raw`(function () {
  var root = document.getElementById("__ROOT_ID__");
  if (!root || root.getAttribute("data-ready")) return;
  root.setAttribute("data-ready", "1");
  var data = JSON.parse(document.getElementById("__ROOT_ID__-data").textContent);
  function q(sel) { return root.querySelector(sel); }
  var nounInput = q(".seg-x-noun"), score = q(".seg-x-score");
  var scoreValue = q(".seg-x-score-value"), grid = q(".seg-x-grid");
  var pageLabel = q(".seg-x-page"), count = q(".seg-x-count");
  var detail = q(".seg-x-detail"), canvas = q(".seg-x-canvas");
  var tip = q(".seg-x-tip"), legend = q(".seg-x-legend");
  var gw = data.gw, gh = data.gh, page = 0, current = null, hovered = null;
  var rgb = data.colors.map(function (c) {
    var n = parseInt(c.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  });
  data.images.forEach(function (img) {
    img.masks.forEach(function (m) {
      var bits = new Uint8Array(gw * gh), at = 0, v = 0;
      for (var k = 0; k < m.c.length; k++) {
        if (v) bits.fill(1, at, at + m.c[k]);
        at += m.c[k];
        v = 1 - v;
      }
      m.bits = bits;
    });
    if (img.src) {
      img.el = new Image();
      img.el.src = img.src;
    }
  });
  function nounMatches(noun) {
    var t = nounInput.value.trim();
    if (!t) return true;
    if (data.nouns.indexOf(t) >= 0) return noun === t;
    return noun.toLowerCase().indexOf(t.toLowerCase()) >= 0;
  }
  function passes(m) {
    var s = Number(score.value);
    return (s <= 0 || (m.s !== null && m.s >= s)) && nounMatches(data.nouns[m.n]);
  }
  function label(m) {
    return data.nouns[m.n] + " #" + m.i + (m.s === null ? "" : " (" + m.s.toFixed(2) + ")");
  }
  function visible() {
    return data.images.filter(function (img) { return img.masks.some(passes); });
  }
  // The image, then its masks: larger first so smaller ones stay visible;
  // translucent fills, opaque outlines; the hovered mask stronger.
  function paint(ctx, img, w, h, masks, strong) {
    ctx.clearRect(0, 0, w, h);
    if (img.el && img.el.complete && img.el.naturalWidth) ctx.drawImage(img.el, 0, 0, w, h);
    else { ctx.fillStyle = data.neutral; ctx.fillRect(0, 0, w, h); }
    var top = new Int32Array(gw * gh).fill(-1);
    var order = masks.map(function (_, k) { return k; }).sort(function (a, b) {
      return masks[b].a - masks[a].a || a - b;
    });
    order.forEach(function (k) {
      var bits = masks[k].bits;
      for (var c = 0; c < bits.length; c++) if (bits[c]) top[c] = k;
    });
    var layer = document.createElement("canvas");
    layer.width = gw;
    layer.height = gh;
    var lctx = layer.getContext("2d"), pix = lctx.createImageData(gw, gh);
    for (var c = 0; c < top.length; c++) {
      var k = top[c];
      if (k < 0) continue;
      var x = c % gw;
      var edge = (x > 0 && top[c - 1] !== k) || (x < gw - 1 && top[c + 1] !== k) ||
        (c >= gw && top[c - gw] !== k) || (c < top.length - gw && top[c + gw] !== k);
      var col = rgb[masks[k].n], p = c * 4;
      pix.data[p] = col[0];
      pix.data[p + 1] = col[1];
      pix.data[p + 2] = col[2];
      pix.data[p + 3] = edge ? 255 : masks[k] === strong ? 200 : 110;
    }
    lctx.putImageData(pix, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(layer, 0, 0, w, h);
  }
  function card(img) {
    var div = document.createElement("div");
    div.className = "seg-x-card";
    div.setAttribute("data-image", img.name);
    div.title = img.name;
    var c = document.createElement("canvas");
    c.width = 150;
    c.height = Math.max(1, Math.round(150 * data.ih / data.iw));
    var draw = function () { paint(c.getContext("2d"), img, c.width, c.height, img.masks.filter(passes), null); };
    draw();
    if (img.el && !img.el.complete) img.el.addEventListener("load", draw);
    var name = document.createElement("div");
    name.className = "seg-x-name";
    name.textContent = img.name;
    var sub = document.createElement("div");
    sub.className = "seg-x-sub";
    var n = img.masks.filter(passes).length;
    sub.textContent = n + " of " + img.masks.length + " mask" + (img.masks.length === 1 ? "" : "s");
    div.appendChild(c);
    div.appendChild(name);
    div.appendChild(sub);
    div.addEventListener("click", function () { open(img); });
    return div;
  }
  function render() {
    scoreValue.textContent = Number(score.value).toFixed(2);
    var list = visible();
    var pages = Math.max(1, Math.ceil(list.length / data.pageSize));
    if (page >= pages) page = pages - 1;
    grid.textContent = "";
    list.slice(page * data.pageSize, (page + 1) * data.pageSize).forEach(function (img) {
      grid.appendChild(card(img));
    });
    pageLabel.textContent = "page " + (page + 1) + " of " + pages;
    var more = data.matched - data.images.length;
    count.textContent = list.length + " of " + data.images.length + " images" +
      (more > 0 ? " (" + more + " more matched; raise limit to embed them)" : "");
    root.setAttribute("data-visible", String(list.length));
    if (current) open(current);
  }
  function open(img) {
    current = img;
    detail.hidden = false;
    q(".seg-x-detail-name").textContent = img.name + ": " + img.masks.length + " mask" + (img.masks.length === 1 ? "" : "s");
    canvas.width = 512;
    canvas.height = Math.max(1, Math.round(512 * data.ih / data.iw));
    legend.textContent = "";
    img.masks.forEach(function (m) {
      var li = document.createElement("li");
      li.setAttribute("data-row", String(m.r));
      if (!passes(m)) li.className = "seg-x-off";
      var sw = document.createElement("span");
      sw.className = "seg-x-swatch";
      sw.style.background = data.colors[m.n];
      li.appendChild(sw);
      li.appendChild(document.createTextNode(label(m)));
      li.addEventListener("mouseenter", function () { highlight(m); });
      li.addEventListener("mouseleave", function () { highlight(null); });
      legend.appendChild(li);
      m.li = li;
    });
    var draw = function () { highlight(hovered); };
    draw();
    if (img.el && !img.el.complete) img.el.addEventListener("load", draw);
  }
  function highlight(m) {
    hovered = m;
    if (!current) return;
    paint(canvas.getContext("2d"), current, canvas.width, canvas.height, current.masks, m);
    current.masks.forEach(function (x) {
      if (!x.li) return;
      x.li.className = (x === m ? "seg-x-active" : "") + (passes(x) ? "" : " seg-x-off");
    });
    if (m) {
      tip.textContent = label(m);
      tip.hidden = false;
      root.setAttribute("data-hover", String(m.r));
    } else {
      tip.hidden = true;
      root.removeAttribute("data-hover");
    }
  }
  canvas.addEventListener("mousemove", function (e) {
    if (!current) return;
    var box = canvas.getBoundingClientRect();
    var gx = Math.floor((e.clientX - box.left) / box.width * gw);
    var gy = Math.floor((e.clientY - box.top) / box.height * gh);
    if (gx < 0 || gy < 0 || gx >= gw || gy >= gh) return highlight(null);
    var cell = gy * gw + gx, best = null;
    current.masks.forEach(function (m) {
      if (m.bits[cell] && (!best || m.a < best.a)) best = m;
    });
    if (best !== hovered) highlight(best);
  });
  canvas.addEventListener("mouseleave", function () { highlight(null); });
  q(".seg-x-close").addEventListener("click", function () {
    current = null;
    detail.hidden = true;
  });
  nounInput.addEventListener("input", function () { page = 0; render(); });
  score.addEventListener("input", function () { page = 0; render(); });
  q(".seg-x-prev").addEventListener("click", function () { if (page > 0) { page--; render(); } });
  q(".seg-x-next").addEventListener("click", function () { page++; render(); });
  render();
})();`;
