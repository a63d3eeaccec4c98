/* Device pages: the bulk action bar (selection, count, confirm dialog) and the signal chart.
   Event delegation on document, so rows swapped in by htmx (search, pager) work without re-binding. */
(function () {
  "use strict";

  function bulkForm() { return document.querySelector("[data-bulk-form]"); }

  function selectedCount(form) {
    var all = form.querySelector("[data-bulk-all]");
    if (all && all.checked) return parseInt(all.dataset.total || "0", 10);
    return form.querySelectorAll("[data-bulk-row]:checked").length;
  }

  function refreshBar() {
    var form = bulkForm();
    if (!form) return;
    var bar = form.querySelector("#bulk-bar");
    if (!bar) return;
    var rows = form.querySelectorAll("[data-bulk-row]");
    var checked = form.querySelectorAll("[data-bulk-row]:checked").length;
    var all = form.querySelector("[data-bulk-all]");
    var count = selectedCount(form);
    bar.hidden = checked === 0 && !(all && all.checked);
    form.querySelectorAll("[data-bulk-count]").forEach(function (el) { el.textContent = count; });
    var page = form.querySelector("[data-bulk-page]");
    if (page) {
      page.checked = rows.length > 0 && checked === rows.length;
      page.indeterminate = checked > 0 && checked < rows.length;
    }
  }

  document.addEventListener("change", function (evt) {
    var target = evt.target;
    if (!(target instanceof HTMLInputElement)) return;
    var form = target.closest("[data-bulk-form]");
    if (!form) return;
    if (target.matches("[data-bulk-page]")) {
      form.querySelectorAll("[data-bulk-row]").forEach(function (box) { box.checked = target.checked; });
    }
    refreshBar();
  });

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("[data-bulk-form]")) return;
    if (form.dataset.confirmed === "yes") return;
    var dialog = form.querySelector("#bulk-confirm");
    if (!dialog || typeof dialog.showModal !== "function") return; // no <dialog>: the server still validates
    evt.preventDefault();
    var count = selectedCount(form);
    var kind = form.querySelector("[data-bulk-kind]");
    dialog.querySelectorAll("[data-bulk-confirm-count]").forEach(function (el) { el.textContent = count; });
    dialog.querySelectorAll("[data-bulk-kind-label]").forEach(function (el) {
      el.textContent = kind ? kind.options[kind.selectedIndex].text.toLowerCase() : "the action";
    });
    dialog.showModal();
    var confirm = dialog.querySelector("[data-bulk-confirm]");
    if (confirm) confirm.focus();
  });

  document.addEventListener("click", function (evt) {
    var target = evt.target instanceof Element ? evt.target.closest("[data-bulk-confirm], [data-bulk-cancel]") : null;
    if (!target) return;
    var dialog = target.closest("dialog");
    var form = target.closest("form");
    if (target.matches("[data-bulk-cancel]")) { dialog.close(); return; }
    // The server checks this against the devices it would target (destructive batches over many devices).
    var counted = form.querySelector("[data-bulk-confirm-count-field]");
    if (counted) counted.value = selectedCount(form);
    form.dataset.confirmed = "yes";
    target.disabled = true;
    target.classList.add("btn-loading");
    form.submit();
  });

  document.addEventListener("htmx:afterSwap", refreshBar);
  document.addEventListener("DOMContentLoaded", refreshBar);
})();

/* The signal chart: Chart.js line chart of the samples, with the alert thresholds as dashed lines. */
(function () {
  "use strict";

  var chart = null;

  function draw() {
    var canvas = document.getElementById("signal-chart");
    var source = document.getElementById("signal-data");
    if (!canvas || !source || typeof Chart === "undefined" || canvas.dataset.drawn) return;
    var data = JSON.parse(source.textContent);
    if (!data.points) return;
    canvas.dataset.drawn = "yes";
    // Few samples (a device polled for the first minutes): show the points, a line alone would be invisible.
    var radius = data.points < 40 ? 3 : 0;
    var datasets = data.series.map(function (s) {
      return {
        label: s.label, data: s.data, borderColor: s.color, backgroundColor: s.color, key: s.key,
        borderWidth: 2, pointRadius: radius, tension: 0.25, spanGaps: true
      };
    });
    data.thresholds.forEach(function (t) {
      datasets.push({
        label: t.label, data: data.labels.map(function () { return t.value; }),
        borderColor: "#e03131", borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, fill: false, threshold: t.value
      });
    });
    // Readable across the room on a NOC wall screen (portal.css switches to 18px type there too).
    if (window.innerWidth >= 2200) Chart.defaults.font.size = 16;
    chart = new Chart(canvas, {
      type: "line",
      data: { labels: data.labels, datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { ticks: { maxTicksLimit: 8, autoSkip: true } },
          y: { title: { display: true, text: data.unit } }
        },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 14 } } }
      }
    });
  }

  // The live panel refreshed: append its reading, so the chart moves with the panel.
  function append() {
    if (!chart) return;
    var sample = document.getElementById("live-sample");
    if (!sample || !sample.dataset.at) return;
    var labels = chart.data.labels;
    if (labels.length && labels[labels.length - 1] === sample.dataset.at) return;
    var values = JSON.parse(sample.dataset.values || "{}");
    labels.push(sample.dataset.at);
    chart.data.datasets.forEach(function (ds) {
      ds.data.push(ds.key ? values[ds.key] : ds.threshold);
    });
    chart.update("none");
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", append);
})();
