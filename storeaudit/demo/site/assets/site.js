// Hearth & Home: lazy images and live chat stub
document.addEventListener("DOMContentLoaded", function () {
  var lazy = document.querySelectorAll("img.lazy[data-src]");
  var load = function (img) { img.src = img.dataset.src; img.classList.remove("lazy"); };
  if ("IntersectionObserver" in window) {
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) { if (entry.isIntersecting) { load(entry.target); io.unobserve(entry.target); } });
    });
    lazy.forEach(function (img) { io.observe(img); });
  } else {
    lazy.forEach(load);
  }
  document.querySelectorAll(".open-chat").forEach(function (a) {
    a.addEventListener("click", function () { alert("Our team is offline right now - please email hello@hearth.example"); });
  });
});
