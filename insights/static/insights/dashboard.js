// Draws each dashboard chart from its json_script data with the vendored Chart.js.
// A canvas names its data in data-chart; once drawn it carries data-drawn.
"use strict";
(function () {
  const PALETTE = ["#2f6db5", "#d9822b", "#3a9d5d", "#c23b3b", "#7d5ba6", "#8c6d31",
                   "#d45f9e", "#5f6b7a", "#2aa1b3", "#b5a12f"];

  function dataset(series, index, kind) {
    const colour = PALETTE[index % PALETTE.length];
    return {
      label: series.name,
      data: series.values,
      backgroundColor: kind === "line" ? colour + "33" : colour,
      borderColor: colour,
      borderWidth: kind === "line" ? 2 : 0,
      pointRadius: 0,
      spanGaps: true,
    };
  }

  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const config = JSON.parse(source.textContent);
    const stacked = Boolean(config.stacked);
    new window.Chart(canvas, {
      type: config.kind,
      data: {
        labels: config.labels,
        datasets: config.series.map((s, i) => dataset(s, i, config.kind)),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: config.series.length > 1, position: "bottom" } },
        scales: {
          x: { stacked: stacked, ticks: { autoSkip: true, maxRotation: 0 } },
          y: { stacked: stacked, beginAtZero: true },
        },
      },
    });
    canvas.dataset.drawn = "true";
  }

  function drawAll() {
    if (!window.Chart) return;
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
