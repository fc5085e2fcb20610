/* Charts of the statistics dashboard. Data comes from the json_script element "stats-charts";
   clicking a bar opens the drill-down list behind it. */
(function () {
  var el = document.getElementById("stats-charts");
  if (!el || typeof echarts === "undefined") { return; }
  var data = JSON.parse(el.textContent);
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
  chart("chart-types", {
    tooltip: { trigger: "axis" }, legend: { data: ["场次", "人次"] },
    grid: { left: 40, right: 40, bottom: 80 },
    xAxis: { type: "category", data: data.types.labels, axisLabel: { rotate: 40 } },
    yAxis: [{ type: "value", name: "场次" }, { type: "value", name: "人次" }],
    series: [{ name: "场次", type: "bar", data: data.types.sessions },
             { name: "人次", type: "bar", yAxisIndex: 1, data: data.types.person_times }]
  }, data.types.urls);
  chart("chart-children", {
    tooltip: { trigger: "axis" }, legend: { data: ["规定动作完成率%", "活动覆盖率%"] },
    grid: { left: 40, right: 20, bottom: 80 },
    xAxis: { type: "category", data: data.children.labels, axisLabel: { rotate: 40 } },
    yAxis: { type: "value", max: function (v) { return Math.max(100, v.max); } },
    series: [{ name: "规定动作完成率%", type: "bar", data: data.children.completion },
             { name: "活动覆盖率%", type: "bar", data: data.children.coverage }]
  }, data.children.urls);
  chart("chart-study", {
    tooltip: { trigger: "axis" }, grid: { left: 50, right: 20, bottom: 30 },
    xAxis: { type: "category", data: data.study.dates }, yAxis: { type: "value" },
    series: [{ name: "学习人次", type: "line", smooth: true, data: data.study.n }]
  });
})();
