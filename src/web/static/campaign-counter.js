// Live counter of a campaign's public page (campaign-page.views.ts). Progressive enhancement:
// the page shows the numbers of its load; this script polls the counts API every 10 s while the
// page is visible and updates the elements marked `data-live` (total, online, tallies, percent,
// and the goal bar). Numbers are formatted for the page's language, like the server does.
// No inline script: the Content-Security-Policy allows only scripts from this origin.

const section = document.querySelector('[data-counts-url]');
const INTERVAL = 10_000;

if (section && typeof fetch === 'function') {
  const url = section.getAttribute('data-counts-url');
  const lang = document.documentElement.lang || undefined;
  const number = new Intl.NumberFormat(lang);
  const percent = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 0 });
  let timer = null;
  let busy = false;

  const set = (key, text) => {
    for (const el of section.querySelectorAll(`[data-live="${key}"]`)) {
      if (el.textContent !== text) el.textContent = text;
    }
  };

  const show = (c) => {
    set('total', number.format(c.total));
    for (const el of section.querySelectorAll('data[data-live="total"]')) el.value = String(c.total);
    set('online', number.format(c.online));
    set('tallies', number.format(c.tallies));
    if (c.goal) {
      const p = Math.floor((c.total * 100) / c.goal);
      set('percent', percent.format(p / 100));
      for (const bar of section.querySelectorAll('progress[data-live="progress"]')) {
        bar.max = c.goal;
        bar.value = Math.min(c.total, c.goal);
        bar.textContent = percent.format(p / 100);
      }
    }
  };

  const poll = async () => {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
      if (res.ok) show(await res.json());
    } catch {
      // Offline or the server is busy: keep the numbers shown and try again at the next tick.
    } finally {
      busy = false;
    }
  };

  const start = () => {
    if (timer === null) timer = setInterval(poll, INTERVAL);
  };
  const stop = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };

  document.addEventListener('visibilitychange', () => {
    if (document.hidden) stop();
    else {
      poll();
      start();
    }
  });
  start();
}
