"""The report page: one self-contained HTML file (figures as base64 PNGs, CSS inline, no requests).

The only links are to the page's own sections and to the files written beside it: each figure
opens its own PNG at full size, each table its CSV. Figures shrink to the page's width (a phone's).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html

from synthdiv.reports.generations import TextTable
from synthdiv.reports.metric_columns import MARKS
from synthdiv.reports.plotting import FigureResult, Skipped
from synthdiv.reports.tables import Table

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; margin: 0; background: #fafafa; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.lead { color: #555; margin: 0 0 16px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { padding: 4px 9px; border-bottom: 1px solid #e5e5e5; text-align: right; white-space: nowrap; }
th { background: #f2f4f7; font-weight: 600; cursor: help; }
td:first-child, th:first-child { text-align: left; }
td.set, th.set { text-align: left; }
td.set { color: #555; }
table.setup td, table.setup th { text-align: left; white-space: normal; }
table.setup th { cursor: default; width: 220px; }
table.text td, table.text th { text-align: left; white-space: normal; vertical-align: top; cursor: default; }
table.text td { min-width: 90px; max-width: 380px; line-height: 1.4; }
.scroll { overflow-x: auto; max-width: 100%; }
.sd { color: #888; font-size: 11px; }
details { font-size: 13px; margin: 6px 0; }
summary { cursor: pointer; color: #1f5fa8; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0; }
dt { font-weight: 600; }
dd { margin: 0; }
figure { margin: 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 13.5px; color: #333; margin-top: 6px; line-height: 1.45; max-width: 1180px; }
.files { font-size: 12px; color: #777; }
nav ul { columns: 2; font-size: 14px; }
li.skipped { color: #8a5a00; }
footer { margin-top: 40px; font-size: 12px; color: #888; }
@media (max-width: 700px) {
  main { padding: 12px 10px 32px; }
  h1 { font-size: 21px; }
  nav ul { columns: 1; padding-left: 18px; }
  table.setup th { width: auto; }
  table.setup, table.setup tbody, table.setup tr, table.setup th, table.setup td { display: block; }
  table.setup th { border-bottom: 0; padding-bottom: 0; }
  dl { grid-template-columns: 1fr; }
  dd { margin-bottom: 4px; }
}
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _setup(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="setup">{body}</table>'


def _nav(blocks: list[FigureResult | Table], skipped: list[Skipped]) -> str:
    items = [f'<li><a href="#{b.key}">{_e(b.number)} — {_e(b.title)}</a></li>' for b in blocks]
    items += [f'<li class="skipped"><a href="#skipped">{_e(s.number)} — skipped</a></li>' for s in skipped]
    return f"<nav><ul>{''.join(items)}</ul></nav>"


def _figure(f: FigureResult) -> str:
    data = base64.b64encode(f.png).decode("ascii")
    files = ", ".join(f'<a href="{_e(name)}">{_e(name)}</a>' for name in [f.filename, *f.files])
    return (
        f'<section id="{_e(f.key)}"><h2>{_e(f.number)} — {_e(f.title)}</h2><figure>'
        f'<a href="{_e(f.filename)}" title="open full size">'
        f'<img src="data:image/png;base64,{data}" alt="{_e(f.number)}: {_e(f.title)}"></a>'
        f"<figcaption><b>{_e(f.number)}.</b> {_e(f.caption)}</figcaption></figure>"
        f'<p class="files">Files: {files}</p></section>'
    )


def _cell(value: str, spread: str, what: str) -> str:
    if not spread:
        return _e(value)
    return f'{_e(value)} <span class="sd" title="{_e(what)}">{_e(spread)}</span>'


def _table(t: Table) -> str:
    forms = t.formats()
    head = "<th>dataset</th><th class=\"set\">set measured</th><th title=\"number of seeds averaged\">n seeds</th>" + "".join(
        f'<th title="{_e(m.description)}">{_e(m.label)}</th>' for m in t.metrics
    )
    body = "".join(
        f"<tr><td>{_e(r['dataset'])}</td><td class=\"set\">{_e(r['set'])}</td><td>{r['n_seeds']}</td>"
        + "".join(f"<td>{_cell(*t.cell(r, m, forms[m.column]))}</td>" for m in t.metrics) + "</tr>"
        for r in t.rows
    )
    return (
        f'<section id="{_e(t.key)}"><h2>{_e(t.number)} — {_e(t.title)}</h2><p>{_e(t.note)}</p>'
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
        f"{_definitions(t)}{_settings(t)}"
        f'<p class="files">CSV: <a href="{_e(t.filename)}">{_e(t.filename)}</a></p></section>'
    )


def _definitions(t: Table) -> str:
    items = "".join(f"<dt>{_e(m.label)}</dt><dd>{_e(m.description)}; {_e(MARKS[m.better])}.</dd>" for m in t.metrics)
    return f"<details><summary>What each column is</summary><dl>{items}</dl></details>"


def _settings(t: Table) -> str:
    if not t.settings:
        return ""
    return f"<details><summary>Settings these metrics were computed with</summary>{_setup(t.settings)}</details>"


def _text_table(t: TextTable) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in t.headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in t.rows)
    return (
        f'<section id="{_e(t.key)}"><h2>{_e(t.number)} — {_e(t.title)}</h2><p>{_e(t.note)}</p>'
        f'<div class="scroll"><table class="text"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
        f'<p class="files">CSV: <a href="{_e(t.filename)}">{_e(t.filename)}</a></p></section>'
    )


def _block(b) -> str:
    if isinstance(b, FigureResult):
        return _figure(b)
    return _text_table(b) if isinstance(b, TextTable) else _table(b)


def _skipped(skipped: list[Skipped]) -> str:
    if not skipped:
        return ""
    items = "".join(f'<li class="skipped"><b>{_e(s.number)}</b> ({_e(s.title)}): {_e(s.reason)}</li>' for s in skipped)
    return (f'<section id="skipped"><h2>Skipped figures and tables</h2>'
            f"<p>These need data this run does not have.</p><ul>{items}</ul></section>")


def _run_files(paths: list[str]) -> str:
    if not paths:
        return ""
    links = ", ".join(f'<a href="{_e(p)}">{_e(p.rsplit("/", 1)[-1])}</a>' for p in paths)
    return f'<p class="files">The run\'s tables: {links}</p>'


def render_page(title: str, lead: str, setup: list[tuple[str, str]], blocks: list[FigureResult | Table],
                skipped: list[Skipped], run_dir: str, run_files: list[str] | None = None) -> str:
    """The whole page; ``blocks`` are figures and tables in the order they appear; ``run_files``
    are links (relative to the page) to the run's own tables."""
    stamp = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    sections = "".join(_block(b) for b in blocks) + _skipped(skipped)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{_e(title)}</h1><p class=\"lead\">{_e(lead)}</p>{_setup(setup)}{_run_files(run_files or [])}{_nav(blocks, skipped)}"
        f"{sections}<footer>Written by <code>synthdiv report</code> on {_e(stamp)} from {_e(run_dir)}.</footer>"
        "</main></body></html>\n"
    )
