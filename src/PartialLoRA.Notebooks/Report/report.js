(function () {
  // "show all code" opens every code cell; without JavaScript each cell still opens on its own.
  var box = document.getElementById("show-code");
  if (box) box.addEventListener("change", function () {
    document.querySelectorAll("details.code").forEach(function (d) { d.open = box.checked || d.parentElement.classList.contains("failed"); });
  });
  // Typeset TeX with KaTeX when the report embeds it; otherwise the TeX stays visible in code style.
  if (window.katex) {
    document.querySelectorAll(".math").forEach(function (el) {
      try {
        window.katex.render(el.textContent, el, { displayMode: el.classList.contains("display"), throwOnError: false });
        el.classList.add("typeset");
      } catch (e) { /* leave the TeX as is */ }
    });
  }
})();
