// Charts of report pages, drawn with uPlot from JSON the server put in the data-json
// attribute of a hidden element (no inline scripts: the CSP forbids them, and htmx
// drops <script> elements, even JSON ones, from swapped content).
// An element names its data with data-chart="<id of the block>" and what to draw
// with data-kind: spark (one series, no axes), line (series over time), fan (P10-P90 band),
// movements (MRR gained and lost as bars, net new as a line).
(function () {
  var cache = {};
  function dataOf(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    if (cache[id] && cache[id].el === el) return cache[id].data;
    var data = JSON.parse(el.getAttribute('data-json'));
    cache[id] = { el: el, data: data };
    return data;
  }

  function seconds(labels) {
    return labels.map(function (d) {
      return Date.parse(d.length === 7 ? d + '-01' : d) / 1000;
    });
  }

  // The page's own colours (public/css/app.css), so charts follow the light or dark scheme.
  var css = getComputedStyle(document.documentElement);
  function cssColor(name, fallback) {
    return css.getPropertyValue(name).trim() || fallback;
  }
  var GREEN = cssColor('--brand', '#1f5f4a'),
    RED = cssColor('--neg', '#b42318'),
    GREY = cssColor('--muted', '#5f6b7a');

  function spark(el, data) {
    var values = data.series[el.dataset.series];
    if (
      !values ||
      values.filter(function (v) {
        return v !== null;
      }).length < 2
    )
      return;
    return new uPlot(
      {
        width: Math.max(120, el.clientWidth),
        height: 44,
        legend: { show: false },
        cursor: { show: false },
        select: { show: false },
        axes: [{ show: false }, { show: false }],
        scales: { x: { time: true } },
        series: [{}, { stroke: GREEN, width: 1.5, fill: 'rgba(31,95,74,0.08)', spanGaps: true }],
      },
      [seconds(data.labels), values],
      el,
    );
  }

  // Money reads as the tables read it: the business's currency, formatted for en-US
  // (services/core/money.ts formatMoney), from integer minor units. Axes are compact
  // ($1.2M), hover read-outs exact ($10,378.23).
  var formats = {};
  function moneyFormat(currency, compact) {
    var key = currency + (compact ? ':c' : '');
    if (!formats[key]) {
      formats[key] = new Intl.NumberFormat(
        'en-US',
        compact
          ? { style: 'currency', currency: currency, notation: 'compact', maximumFractionDigits: 1, signDisplay: 'negative' }
          : { style: 'currency', currency: currency, signDisplay: 'negative' },
      );
    }
    return formats[key];
  }
  function moneyOf(el) {
    var currency = el.dataset.currency || 'USD';
    var digits = Number(el.dataset.digits || 2);
    return {
      axis: function (u, vals) {
        return vals.map(function (v) {
          return v === null ? '' : moneyFormat(currency, true).format(v / 10 ** digits);
        });
      },
      value: function (u, v) {
        return v === null || v === undefined ? '—' : moneyFormat(currency, false).format(v / 10 ** digits);
      },
    };
  }
  var DAY = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });
  // The hovered day, as the tables write dates (Nov 25, 2026).
  var xSeries = {
    value: function (u, v) {
      return v === null || v === undefined ? '—' : DAY.format(new Date(v * 1000));
    },
  };
  function percent(u, v) {
    return v === null || v === undefined ? '—' : (v * 100).toFixed(1) + '%';
  }

  function line(el, data) {
    var keys = el.dataset.series.split(',');
    var names = el.dataset.names ? el.dataset.names.split('|') : [];
    var unit = el.dataset.unit || 'money';
    var money = moneyOf(el);
    var series = [xSeries];
    var cols = [seconds(data.labels)];
    var colors = [GREEN, '#2563eb', '#b54708', GREY];
    keys.forEach(function (k, i) {
      var s = { label: names[i] || k.replace(/_/g, ' '), stroke: colors[i % colors.length], width: 2, spanGaps: true };
      if (unit === 'money') s.value = money.value;
      if (unit === 'ratio') s.value = percent;
      series.push(s);
      cols.push(data.series[k]);
    });
    var fmt =
      unit === 'ratio'
        ? function (u, vals) {
            return vals.map(function (v) {
              return v === null ? '' : (v * 100).toFixed(1) + '%';
            });
          }
        : unit === 'money'
          ? money.axis
          : undefined;
    return new uPlot(
      {
        width: Math.max(240, el.clientWidth),
        height: Number(el.dataset.height || 220),
        scales: { x: { time: true } },
        axes: [{}, fmt ? { values: fmt, size: 72 } : { size: 60 }],
        series: series,
      },
      cols,
      el,
    );
  }

  function fan(el, data) {
    var money = moneyOf(el);
    var x = seconds(data.days);
    var series = [
      xSeries,
      { label: 'P90', stroke: 'rgba(31,95,74,0.5)', width: 1, points: { show: false }, value: money.value },
      { label: 'P50', stroke: GREEN, width: 2, points: { show: false }, value: money.value },
      { label: 'P10', stroke: 'rgba(180,35,24,0.6)', width: 1, points: { show: false }, value: money.value },
    ];
    var cols = [x, data.p90, data.p50, data.p10];
    if (data.baseline) {
      series.push({ label: 'Baseline P50', stroke: GREY, width: 2, dash: [6, 4], points: { show: false }, value: money.value });
      cols.push(data.baseline);
    }
    if (data.actual) {
      series.push({ label: 'What happened', stroke: '#2563eb', width: 2, dash: [6, 4], spanGaps: false, value: money.value });
      cols.push(data.actual);
    }
    return new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 300,
        scales: { x: { time: true } },
        axes: [{}, { values: money.axis, size: 72 }],
        series: series,
        bands: [{ series: [1, 3], fill: 'rgba(31,95,74,0.12)' }],
      },
      cols,
      el,
    );
  }

  // MRR movements by month: what was gained (series `gained`) as a green bar above zero,
  // what was lost (`lost`, negative) as a red bar below it, and net new MRR as a line.
  // Gains and losses never share a side of zero, so one bar each per month does not overlap.
  function movements(el, data) {
    var money = moneyOf(el);
    var bars = uPlot.paths.bars({ size: [0.6, 48] });
    return new uPlot(
      {
        width: Math.max(240, el.clientWidth),
        height: Number(el.dataset.height || 220),
        scales: { x: { time: true } },
        axes: [{}, { values: money.axis, size: 72 }],
        series: [
          xSeries,
          { label: 'MRR gained', stroke: GREEN, fill: 'rgba(31,95,74,0.55)', width: 1, paths: bars, points: { show: false }, value: money.value },
          { label: 'MRR lost', stroke: RED, fill: 'rgba(180,35,24,0.55)', width: 1, paths: bars, points: { show: false }, value: money.value },
          { label: 'Net new MRR', stroke: '#2563eb', width: 2, value: money.value },
        ],
      },
      [seconds(data.labels), data.series.gained, data.series.lost, data.series.net_new],
      el,
    );
  }

  var KINDS = { spark: spark, line: line, fan: fan, movements: movements };

  function draw(root) {
    if (typeof uPlot === 'undefined') return;
    var els = root.querySelectorAll ? root.querySelectorAll('[data-chart]') : [];
    Array.prototype.forEach.call(els, function (el) {
      if (el.dataset.drawn) return;
      var data = dataOf(el.dataset.chart);
      var kind = KINDS[el.dataset.kind || 'spark'];
      if (!data || !kind) return;
      el.dataset.drawn = '1';
      kind(el, data);
    });
  }

  // After every htmx swap (a fragment, or a boosted page whose body was replaced) draw
  // whatever is not drawn yet; the data blocks are only certain to be in the document
  // once the swap has settled.
  document.addEventListener('htmx:afterSettle', function () {
    draw(document);
  });
  document.addEventListener('DOMContentLoaded', function () {
    draw(document);
  });
})();
