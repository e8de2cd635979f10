/**
 * The console's one stylesheet, served at /console.css so the pages' Content-Security-Policy can
 * say `style-src 'self'` (no inline styles). System fonts only; colours keep WCAG AA contrast
 * (4.5:1 for text) on their backgrounds.
 */
export const CONSOLE_CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--accent:#0550ae;--bad:#a40e26;--ok:#116329;--warn:#7d4e00}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}.skip:focus{left:.5rem}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:1rem;padding:.6rem 1.2rem;border-bottom:1px solid var(--line);background:var(--soft)}
.brand{font-weight:700}
.top nav ul{display:flex;gap:1rem;list-style:none;margin:0;padding:0}
.top nav a[aria-current=page]{font-weight:700;text-decoration:none;border-bottom:3px solid var(--accent)}
.who{margin-left:auto;display:flex;gap:.6rem;align-items:center}
main{max-width:72rem;margin:0 auto;padding:1rem 1.2rem 3rem}
h1{font-size:1.6rem;margin:.6rem 0 1rem}h2{font-size:1.15rem;margin:0 0 .5rem}
.card{border:1px solid var(--line);border-radius:8px;padding:1rem 1.2rem;margin:0 0 1.2rem}
.narrow{max-width:34rem}
.muted{color:var(--muted)}th .muted{font-weight:400}.fix{color:var(--bad);font-weight:600}
.badge{display:inline-block;font-size:.78rem;font-weight:600;padding:.05rem .5rem;border-radius:999px;border:1px solid;white-space:nowrap;vertical-align:middle}
.b-ok{color:var(--ok);background:#dafbe1}.b-bad{color:var(--bad);background:#ffebe9}.b-warn{color:var(--warn);background:#fff8c5}
.b-info{color:var(--accent);background:#ddf4ff}.b-muted{color:var(--muted);background:var(--soft)}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.5rem 0}.facts dt{color:var(--muted)}.facts dd{margin:0}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.92rem}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
thead th{background:var(--soft)}
table.compact{width:auto}
.links{display:flex;gap:1rem;flex-wrap:wrap}
.actions{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;border-top:1px solid var(--line);padding-top:.8rem;margin-top:.6rem}
.actions form{margin:0}.inline{display:flex;gap:.4rem;align-items:center;flex-wrap:wrap}
form.filters{display:flex;flex-wrap:wrap;gap:.8rem;align-items:flex-end;background:var(--soft);padding:.8rem;border-radius:8px}
.field{display:flex;flex-direction:column;margin:0 0 .8rem}.filters .field{margin:0}
label{font-weight:600}.hint{color:var(--muted);font-size:.85rem}
input,select{font:inherit;padding:.35rem .5rem;border:1px solid #8c959f;border-radius:6px;min-width:10rem}
input[type=checkbox]{min-width:0}
button,.button{font:inherit;font-weight:600;padding:.35rem .9rem;border-radius:6px;border:1px solid #1f6feb;background:#0969da;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#fff;color:var(--accent)}
button.danger,.button.danger{background:#fff;color:var(--bad);border-color:var(--bad)}
form button.danger{background:var(--bad);color:#fff}
button.link{background:none;border:none;color:var(--accent);text-decoration:underline;padding:0;font-weight:400}
.alert{border:1px solid var(--bad);background:#ffebe9;color:var(--bad);border-radius:6px;padding:.5rem .8rem;margin:0 0 .8rem}
.alert p{margin:0}.field-error{color:var(--bad);font-size:.88rem}
.notice{border:1px solid var(--ok);background:#dafbe1;color:var(--ok);border-radius:6px;padding:.5rem .8rem}
.empty{border:1px dashed var(--line);border-radius:8px;padding:1rem 1.2rem;margin:0 0 1.2rem;background:var(--soft)}
.pager{display:flex;gap:1rem;margin:.5rem 0}
.timeline{list-style:none;padding:0}.timeline>li{border-left:3px solid var(--line);padding:.2rem 0 .6rem .8rem}
code{font-size:.85em;background:var(--soft);padding:0 .2rem;border-radius:4px}
.nowrap{white-space:nowrap}
`;
