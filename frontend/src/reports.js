// The reports dashboard (/reports): draws the charts from the numbers the page already shows in
// its tables (#cf-model: {series: [{canvas, labels, datasets: [{label, data}]}]}).
import { Chart, BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);
const model = JSON.parse(document.getElementById('cf-model').textContent);
const palette = ['#1565c0', '#2e7d32', '#ef6c00', '#6a1b9a', '#c62828', '#00838f', '#5d4037', '#9e9d24'];
for (const s of model.series || []) {
  const canvas = document.getElementById(s.canvas);
  if (!canvas) continue;
  new Chart(canvas, {
    type: 'bar',
    data: { labels: s.labels, datasets: s.datasets.map((d, i) => ({ ...d, backgroundColor: palette[i % palette.length] })) },
    options: { animation: false, responsive: true, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  });
}
document.body.dataset.chartsReady = '1';
