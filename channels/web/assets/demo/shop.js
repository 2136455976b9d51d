// The demo shop's cart, kept in localStorage. Nothing here talks to Kairos;
// the widget does that on its own.
(function () {
  "use strict";
  var KEY = "kairos-demo-cart";
  function load() { try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; } }
  function save(items) { try { localStorage.setItem(KEY, JSON.stringify(items)); } catch (e) {} }

  document.querySelectorAll("[data-add]").forEach(function (b) {
    b.addEventListener("click", function () {
      var items = load();
      var size = document.querySelector("input[name=size]:checked");
      var stage = document.getElementById("stage");
      var variant = size ? size.value : stage ? "stage " + stage.value : "";
      var sku = b.getAttribute("data-add") + (variant ? " (" + variant + ")" : "");
      var found = items.filter(function (i) { return i.sku === sku; })[0];
      if (found) found.qty++;
      else items.push({ sku: sku, name: b.getAttribute("data-name") + (variant ? " · " + variant : ""), price: +b.getAttribute("data-price"), qty: 1 });
      save(items);
      b.textContent = "已加入 Added ✓";
    });
  });

  var body = document.getElementById("cart-items");
  if (body) {
    var render = function () {
      var items = load(), total = 0;
      body.textContent = "";
      items.forEach(function (i) {
        var tr = document.createElement("tr");
        [i.name, String(i.qty), "¥" + i.price * i.qty].forEach(function (t) {
          var td = document.createElement("td");
          td.textContent = t;
          tr.appendChild(td);
        });
        body.appendChild(tr);
        total += i.price * i.qty;
      });
      document.getElementById("cart-total").textContent = "¥" + total;
      document.getElementById("cart-empty").hidden = items.length > 0;
    };
    document.getElementById("cart-clear").addEventListener("click", function () { save([]); render(); });
    render();
  }
})();
