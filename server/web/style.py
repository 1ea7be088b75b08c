"""The pages' one stylesheet, served from ``/admin/ui/static/style.css`` (no inline styles,
so the Content-Security-Policy can stay at ``style-src 'self'``)."""

STYLESHEET = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d0d7de; --band: #f6f8fa;
        --accent: #0b5cad; --ok: #1a7f37; --bad: #b42318; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
       font: 15px/1.5 "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei",
             "PingFang SC", sans-serif; }
header.top { display: flex; align-items: center; gap: 1.5rem; flex-wrap: wrap;
             padding: .6rem 1.5rem; background: #12355b; color: #fff; }
header.top .brand { font-weight: 700; font-size: 1.05rem; }
header.top nav { display: flex; gap: 1rem; flex-wrap: wrap; flex: 1; }
header.top a { color: #fff; text-decoration: none; }
header.top a:hover, header.top a.here { text-decoration: underline; }
header.top form { margin: 0; }
header.top .who { margin-right: .6rem; font-size: .9rem; }
header.top button { background: transparent; color: #fff; border: 1px solid #fff8; }
main { padding: 1rem 1.5rem 2rem; max-width: 1280px; }
h1 { font-size: 1.35rem; margin: .4rem 0 .8rem; }
h2 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; }
p.hint, .muted { color: var(--muted); }
.flash { padding: .55rem .8rem; border-radius: 4px; margin: .5rem 0; border: 1px solid; }
.flash.ok { color: var(--ok); border-color: #a6d8b4; background: #effaf2; }
.flash.error { color: var(--bad); border-color: #f0b5ae; background: #fdf1ef; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: .35rem .5rem; text-align: left;
         vertical-align: top; }
th { background: var(--band); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fbfcfd; }
code, .mono { font-family: "Noto Sans Mono CJK SC", ui-monospace, monospace; font-size: .88em;
              word-break: break-all; }
.value { white-space: pre-wrap; word-break: break-word; }
.time { white-space: nowrap; }
.cards { display: flex; gap: .8rem; flex-wrap: wrap; margin: .5rem 0 1rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .7rem 1rem; min-width: 10rem;
        text-decoration: none; color: var(--ink); }
.card .count { font-size: 1.8rem; font-weight: 700; color: var(--accent); display: block; }
.card.zero .count { color: var(--muted); }
form.inline { display: flex; gap: .4rem; flex-wrap: wrap; align-items: center; margin: 0; }
form.filters { display: flex; gap: .8rem; align-items: center; flex-wrap: wrap;
               margin: .3rem 0 .8rem; }
form.resolve { display: grid; gap: .3rem; min-width: 14rem; }
form.resolve label { display: block; }
form.resolve .tag { justify-self: start; }
input[type=text], input[type=password], select, textarea {
  font: inherit; padding: .3rem .4rem; border: 1px solid #8c959f; border-radius: 4px; }
textarea { width: 100%; min-height: 2.2rem; }
button { font: inherit; padding: .3rem .9rem; border-radius: 4px; cursor: pointer;
         border: 1px solid var(--accent); background: var(--accent); color: #fff; }
button.danger { background: var(--bad); border-color: var(--bad); }
a.button { display: inline-block; padding: .3rem .9rem; border: 1px solid var(--line);
           border-radius: 4px; text-decoration: none; color: var(--ink); }
.signin { max-width: 26rem; margin: 3rem auto; border: 1px solid var(--line);
          border-radius: 6px; padding: 1.2rem 1.5rem; }
.signin input { width: 100%; margin: .3rem 0 .8rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.tag { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: .85em;
       background: var(--band); border: 1px solid var(--line); }
.tag.bad { color: var(--bad); border-color: #f0b5ae; }
footer { color: var(--muted); font-size: .85em; padding: 0 1.5rem 1.5rem; }
@media print {
  header.top nav, header.top form, form, .noprint { display: none !important; }
  header.top { background: none; color: #000; padding: 0; }
  main { padding: 0; max-width: none; }
  body { font-size: 11pt; }
  a { color: inherit; text-decoration: none; }
}
"""
