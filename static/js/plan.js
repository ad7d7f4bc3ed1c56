// The plan page's charts, drawn from the data the server embeds (#chart-data).
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.Chart) { return; }
  var data = JSON.parse(source.textContent);
  var minutes = function (seconds) { return Math.round(seconds / 6) / 10; };

  var datasets = data.datasets.map(function (set) {
    return {
      label: set.label,
      backgroundColor: set.backgroundColor,
      data: set.data.map(function (d) {
        return { x: [d.x[0] / 60, d.x[1] / 60], y: d.y, server: d.server, detail: d.detail };
      }),
      borderSkipped: false,
      barPercentage: 0.8,
      categoryPercentage: 0.9,
      grouped: false
    };
  });
  new window.Chart(document.getElementById("gantt"), {
    type: "bar",
    data: { labels: data.rows, datasets: datasets },
    options: {
      indexAxis: "y",
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { type: "linear", min: 0, title: { display: true, text: "minutes from start" } },
        y: { type: "category", ticks: { autoSkip: false, font: { size: 11 } } }
      },
      plugins: {
        legend: { position: "top", labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: function (ctx) {
              var raw = ctx.raw;
              var span = minutes(raw.x[0] * 60) + "–" + minutes(raw.x[1] * 60) + " min";
              return ctx.dataset.label + (raw.server ? " " + raw.server : "") + ": " + span +
                (raw.detail ? " (" + raw.detail + ")" : "");
            }
          }
        }
      }
    }
  });

  // Time on a linear axis: the steps of the run fall where they happen, not evenly.
  var headroom = data.headroom;
  var points = function (values) {
    return headroom.time.map(function (t, i) { return { x: minutes(t), y: values[i] }; });
  };
  new window.Chart(document.getElementById("headroom"), {
    type: "line",
    data: {
      datasets: [
        { label: "free RAM %", data: points(headroom.ram), borderColor: "#1f5fa8", pointRadius: 0, stepped: true },
        { label: "free vCPU %", data: points(headroom.vcpu), borderColor: "#2ca02c", pointRadius: 0, stepped: true }
      ]
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: false,
      scales: {
        x: { type: "linear", min: 0, title: { display: true, text: "minutes from start" }, ticks: { maxTicksLimit: 12 } },
        y: { min: 0, max: 100, title: { display: true, text: "% of cloud capacity free" } }
      }
    }
  });
})();
