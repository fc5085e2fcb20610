/* Charts of the statistics dashboard. Data comes from the json_script element "stats-charts"
   (its "text" holds the words, in the user's language); clicking a bar opens the drill-down list
   behind it. A chart whose container the page left out (no data, no child units) is skipped. */
(function () {
  var el = document.getElementById("stats-charts");
  if (!el || typeof echarts === "undefined") { return; }
  var data = JSON.parse(el.textContent);
  var t = data.text || {};
  function chart(id, option, urls) {
    var node = document.getElementById(id);
    if (!node) { return; }
    var c = echarts.init(node);
    c.setOption(option);
    if (urls) {
      c.on("click", function (p) { if (urls[p.dataIndex]) { window.location.href = urls[p.dataIndex]; } });
    }
    window.addEventListener("resize", function () { c.resize(); });
  }
  // Long unit and activity-type names are cut on the axis; the tooltip shows them whole.
  function shorten(max) {
    return function (value) { return value.length > max ? value.slice(0, max - 1) + "…" : value; };
  }
  // A category axis that shows every label: level when few, rotated when many; the grid keeps
  // the labels inside the chart and the legend sits above it, clear of them.
  function categoryAxis(labels) {
    var many = labels.length > 6;
    return { type: "category", data: labels,
             axisLabel: { interval: 0, rotate: many ? 40 : 0, formatter: shorten(many ? 7 : 10), fontSize: 11 } };
  }
  var grid = { left: 8, right: 8, top: 56, bottom: 8, containLabel: true };
  var legend = function (names) { return { top: 0, left: "center", data: names }; };
  chart("chart-types", {
    tooltip: { trigger: "axis" }, legend: legend([t.sessions, t.person_times]), grid: grid,
    xAxis: categoryAxis(data.types.labels),
    yAxis: [{ type: "value", name: t.sessions }, { type: "value", name: t.person_times }],
    series: [{ name: t.sessions, type: "bar", data: data.types.sessions },
             { name: t.person_times, type: "bar", yAxisIndex: 1, data: data.types.person_times }]
  }, data.types.urls);
  chart("chart-children", {
    tooltip: { trigger: "axis" }, legend: legend([t.completion, t.coverage]), grid: grid,
    xAxis: categoryAxis(data.children.labels),
    yAxis: { type: "value", max: function (v) { return Math.max(100, v.max); } },
    series: [{ name: t.completion, type: "bar", data: data.children.completion },
             { name: t.coverage, type: "bar", data: data.children.coverage }]
  }, data.children.urls);
  chart("chart-study", {
    tooltip: { trigger: "axis" }, grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.study.dates }, yAxis: { type: "value" },
    series: [{ name: t.study, type: "line", smooth: 0.2, data: data.study.n }]
  });
})();
