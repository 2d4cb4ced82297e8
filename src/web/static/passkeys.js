// Passkeys (W3C Web Authentication Level 3) on /account/security and /sign-in/second-factor.
// Progressive enhancement: the forms are rendered with a disabled button and a "needs
// JavaScript" hint; this script enables them where the browser supports WebAuthn.
//
// The WebAuthn calls go through @simplewebauthn/browser, served by the app from its npm package
// (URL in data-vendor). Its UMD bundle sets globalThis.SimpleWebAuthnBrowser when imported as a
// module. Every JSON call sends Content-Type application/json and the page's CSRF token in the
// x-csrf-token header (data-csrf); the server checks both.

let library;

/** @simplewebauthn/browser, loaded on first use. */
async function webauthn(form) {
  if (!library) {
    await import(form.dataset.vendor);
    library = globalThis.SimpleWebAuthnBrowser;
  }
  return library;
}

/** POSTs JSON to `url` and returns the parsed answer; throws with the server's translated title on 4xx/5xx. */
async function postJson(form, url, body) {
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-csrf-token': form.dataset.csrf, accept: 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error((data && data.title) || form.dataset.msgFailed);
    err.fromServer = Boolean(data && data.title);
    throw err;
  }
  return data;
}

function showError(form, message) {
  const out = form.querySelector('[data-passkey-error]');
  if (out) out.textContent = message;
}

/** Runs `work` with the button busy; shows the error (server's text, else the generic one). */
function wire(form, work) {
  const button = form.querySelector('button[type=submit]');
  const hint = form.querySelector('.js-hint');
  if (!window.PublicKeyCredential) {
    if (hint) hint.textContent = form.dataset.msgUnsupported;
    return;
  }
  if (hint) hint.hidden = true;
  button.disabled = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    button.disabled = true;
    showError(form, '');
    form.setAttribute('aria-busy', 'true');
    try {
      await work(await webauthn(form));
    } catch (err) {
      // A cancelled browser dialog (NotAllowedError) and a refused check read the same to the person.
      showError(form, err && err.fromServer ? err.message : form.dataset.msgFailed);
      button.disabled = false;
    } finally {
      form.removeAttribute('aria-busy');
    }
  });
}

for (const form of document.querySelectorAll('form[data-passkey-register]')) {
  const url = form.dataset.passkeyRegister;
  wire(form, async ({ startRegistration }) => {
    const optionsJSON = await postJson(form, `${url}/options`);
    const response = await startRegistration({ optionsJSON });
    await postJson(form, url, { name: form.elements.namedItem('name').value, response });
    window.location.reload();
  });
}

for (const form of document.querySelectorAll('form[data-passkey-sign-in]')) {
  const url = form.dataset.passkeySignIn;
  wire(form, async ({ startAuthentication }) => {
    const optionsJSON = await postJson(form, `${url}/options`);
    const response = await startAuthentication({ optionsJSON });
    const done = await postJson(form, url, { response, next: form.dataset.next });
    window.location.assign(done.redirect);
  });
}
