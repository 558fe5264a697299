// The score calibration charts: drawn with the vendored Chart.js from the
// numbers the page embeds (json_script "calibration-data"); the same numbers
// are in the tables beside them.
"use strict";

(function () {
  function draw() {
    const source = document.getElementById("calibration-data");
    if (!source || typeof Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    const style = getComputedStyle(document.body);
    const text = style.getPropertyValue("--body-fg").trim() || "#333";
    const danger = style.getPropertyValue("--error-fg").trim() || "#ba2121";
    Chart.defaults.color = text;

    new Chart(document.getElementById("reliability-chart"), {
      type: "bar",
      data: {
        labels: data.bars.map((bar) => bar.label),
        datasets: [{
          label: "share rejected",
          data: data.bars.map((bar) => bar.share),
          backgroundColor: "rgba(186, 33, 33, 0.6)",
        }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          y: { min: 0, max: 1, title: { display: true, text: "share rejected" } },
          x: { title: { display: true, text: "pipeline score" } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              afterLabel: (item) => {
                const bar = data.bars[item.dataIndex];
                return `${bar.rejected} rejected of ${bar.decisions} decisions`;
              },
            },
          },
        },
      },
    });

    const current = data.limits.findIndex((row) => row.current);
    new Chart(document.getElementById("limits-chart"), {
      type: "line",
      data: {
        labels: data.limits.map((row) => row.limit.toFixed(2)),
        datasets: [{
          label: "rejected reports let through",
          data: data.limits.map((row) => row.rejected),
          borderColor: danger,
          stepped: true,
          pointRadius: data.limits.map((row, i) => (i === current ? 6 : 0)),
          pointBackgroundColor: danger,
        }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "rejected at or below" } },
          x: { title: { display: true, text: `bulk limit (current ${data.limit}, marked)` }, ticks: { maxTicksLimit: 11 } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              afterLabel: (item) => {
                const row = data.limits[item.dataIndex];
                return `${row.decisions} reports at or below${row.current ? " (current limit)" : ""}`;
              },
            },
          },
        },
      },
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
