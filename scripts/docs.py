"""para_wb's README and documentation site, built from the notebooks, offline.

    python scripts/docs.py readme            # README.md from nbs/index.ipynb (what `nbdev_readme` does)
    python scripts/docs.py readme --check    # exit 1 if README.md differs from what nbs/index.ipynb makes
    python scripts/docs.py build [--out _docs] [PAGE ...]   # the HTML site (every page, or the named nbs/ paths)
    python scripts/docs.py serve [--port 8000]              # build, then serve _docs/ at http://localhost:8000

Why not `nbdev_docs` / `nbdev_readme`: both run Quarto, and Quarto cannot be installed on these machines (PyPI's
`quarto-cli` is a source package whose build downloads the Quarto binary from GitHub; no registry here ships it).
This script keeps nbdev's half that needs no Quarto: nbdev's own notebook processors (front matter from the title
and the `> summary` line, `#| hide`, `#| export` cells, automatic `show_doc` cells for every exported function and
class) and `nbdev.showdoc.show_doc` for the API entries; it renders the processed cells to HTML itself.

Conventions the pages follow (Quarto's, so a Quarto build would read them the same way):
- `{{< include PATH >}}` on a line of its own: the file's text (PATH relative to the page), e.g. a `results.md` that
  an experiment wrote: numbers in the docs come from files written by code.
- Notebooks under `nbs/docs/` are executed when the site is built (they read saved result files and print markdown);
  the other notebooks are not executed: their kept outputs are shown as saved.
- `#| echo: false` hides a code cell's source, `#| hide` hides the whole cell.
- Links are written relative to the page (`../figures/x.png`, `docs/results.md`, `policies/12_para.ipynb`); the README gets
  them relative to the repository root, the site relative to its own pages (`.ipynb`/`.md` -> `.html`, figures copied).

The results block: README.md's lines between `<!-- results:start -->` and `<!-- results:end -->` are written by
`para_wb.experiments.results_table.build_results(readme="README.md")` (`bash scripts/figures.sh`). nbs/index.ipynb holds
the two marker lines with a placeholder between them; `readme` keeps README.md's current block there and changes
nothing else inside it, so the results writer and this script never fight (the site's front page shows the same block).
"""
from __future__ import annotations

import argparse, html, importlib, json, os, re, shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
START, END = "<!-- results:start -->", "<!-- results:end -->"
INCLUDE = re.compile(r"^\{\{<\s*include\s+(\S+)\s*>\}\}\s*$", re.M)
LINK = re.compile(r"(!?\[[^\]\n]*\]\()([^)\s]+)(\))|(<img\s[^>]*?src=\")([^\"]+)(\")")


# ---------------------------------------------------------------------------------------------------------------- text
def expand_includes(text: str, base: Path) -> str:
    "Replace each `{{< include PATH >}}` line by the text of PATH (relative to `base`); a missing file is an error."
    def sub(m):
        p = (base / m.group(1)).resolve()
        if not p.is_file(): raise FileNotFoundError(f"{base}: include {m.group(1)!r} -> {p} does not exist (write it first, e.g. bash scripts/figures.sh)")
        return expand_includes(p.read_text(), p.parent).rstrip("\n")
    return INCLUDE.sub(sub, text)


def results_block(readme: Path) -> str | None:
    "README.md's lines strictly between the two results markers (None if it has none)."
    if not readme.exists(): return None
    t = readme.read_text()
    if START not in t or END not in t: return None
    return t.split(START, 1)[1].split(END, 1)[0]


def keep_results_block(text: str, block: str | None) -> str:
    "`text` with what lies between its results markers replaced by `block` (unchanged if either is missing)."
    if block is None or START not in text or END not in text: return text
    head, rest = text.split(START, 1)
    return head + START + block + END + rest.split(END, 1)[1]


def rewrite_links(text: str, src_dir: Path, fn) -> str:
    "Apply `fn(resolved_path, target) -> new target` to every relative link / image in markdown or <img> tags."
    def sub(m):
        pre, tgt, post = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5), m.group(6))
        if re.match(r"^([a-z]+:|#|/)", tgt): return m.group(0)
        path, frag = (tgt.split("#", 1) + [""])[:2]
        new = fn((src_dir / path).resolve(), path)
        return pre + new + (f"#{frag}" if frag else "") + post
    return LINK.sub(sub, text)


def _directives(src: str) -> dict:
    return {k.strip(): v.strip() for k, v in re.findall(r"^#\|\s*([\w-]+)\s*:?\s*(.*)$", src, re.M)}


def _strip_directives(src: str) -> str:
    return re.sub(r"^#\|.*\n?", "", src, flags=re.M).strip("\n")


# -------------------------------------------------------------------------------------------------------------- README
def readme_text(index: Path = NBS / "index.ipynb", readme: Path = ROOT / "README.md") -> str:
    "README.md's text from nbs/index.ipynb: markdown cells, markdown outputs of code cells, links made root-relative."
    nb = json.loads(index.read_text())
    parts = []
    for c in nb["cells"]:
        src = "".join(c["source"])
        d = _directives(src)
        if "hide" in d: continue
        if c["cell_type"] == "markdown": parts.append(src)
        elif c["cell_type"] == "code":
            if d.get("echo") != "false" and _strip_directives(src): parts.append(f"```python\n{_strip_directives(src)}\n```")
            for o in c.get("outputs", []):
                md = o.get("data", {}).get("text/markdown")
                if md: parts.append("".join(md))
    text = expand_includes("\n\n".join(p.strip("\n") for p in parts) + "\n", index.parent)
    text = rewrite_links(text, index.parent, lambda p, t: os.path.relpath(p, ROOT) if _inside(p, ROOT) else t)
    return keep_results_block(text, results_block(readme))


def _inside(p: Path, root: Path) -> bool:
    try: p.relative_to(root); return True
    except ValueError: return False


def write_readme(check: bool = False, readme: Path = ROOT / "README.md") -> bool:
    "Write README.md from nbs/index.ipynb (or, with `check`, only say whether it is current). True if current/written."
    new = readme_text(readme=readme)
    if check:
        ok = readme.exists() and readme.read_text() == new
        if not ok: print(f"{readme} is not what nbs/index.ipynb makes: run python scripts/docs.py readme", file=sys.stderr)
        return ok
    tmp = readme.with_name(readme.name + ".tmp"); tmp.write_text(new); os.replace(tmp, readme)
    return True


# ---------------------------------------------------------------------------------------------------------------- site
def page_name(src: Path) -> Path:
    "Site path of a page, as nbdev names it: nbs/02_camera.ipynb -> camera.html, nbs/docs/results.md -> docs/results.html."
    rel = src.relative_to(NBS)
    return rel.with_name(re.sub(r"^\d+[a-z]?_", "", rel.stem) + ".html")


def sidebar(path: Path = NBS / "sidebar.yml") -> list:
    "[(section title, [page source paths])] from nbs/sidebar.yml (nbdev's custom sidebar, Quarto's format)."
    import yaml
    sb = yaml.safe_load(path.read_text())["website"]["sidebar"]["contents"]
    out, loose = [], []
    for item in sb:
        if isinstance(item, dict): out.append((item["section"], [NBS / p for p in item["contents"]]))
        else: loose.append(NBS / item)
    return ([("", loose)] if loose else []) + out


def _process_nb(src: Path) -> list:
    "The notebook's cells after nbdev's processors (front matter, hide, export, automatic show_doc) as plain dicts."
    from execnb.nbio import read_nb
    from nbdev import processors as P
    from nbdev.process import NBProcessor
    nb = read_nb(src)
    procs = [P.FrontmatterProc, P.populate_language, P.add_show_docs, P.strip_ansi, P.hide_line, P.filter_stream_,
             P.rm_header_dash, P.clean_show_doc, P.rm_export, P.clean_magics, P.hide_, P.add_fold, P.mv_exports,
             P.strip_hidden_metadata]
    NBProcessor(nb=nb, procs=procs).process()
    fm = dict(getattr(nb, "frontmatter_", None) or {})
    cells = [dict(cell_type=c.cell_type, source=c.source, outputs=list(c.get("outputs", []))) for c in nb.cells
             if c.cell_type != "raw" and c.source is not None]
    _render_show_docs(cells, _default_exp(src))
    return fm, cells


def _default_exp(src: Path) -> str | None:
    "The module a notebook exports to (its `#| default_exp`), or None."
    for c in json.loads(src.read_text())["cells"]:
        m = re.search(r"^#\|\s*default_exp\s+(\S+)", "".join(c["source"]), re.M) if c["cell_type"] == "code" else None
        if m: return m.group(1)


def _render_show_docs(cells: list, mod: str | None) -> None:
    "Give each `show_doc(X)` cell the markdown nbdev's show_doc makes for X, looked up in the notebook's module."
    ns = {}
    if mod:
        ns.update(vars(importlib.import_module(f"para_wb.{mod}")))
    from nbdev.showdoc import show_doc
    ns["show_doc"] = show_doc
    for c in cells:
        if c["cell_type"] != "code": continue
        body = _strip_directives(c["source"])
        if not body.startswith("show_doc("): continue
        try: md = eval(body, ns)._repr_markdown_()
        except Exception as e: raise RuntimeError(f"{body}: {type(e).__name__}: {e} (is it exported by para_wb.{mod}?)") from e
        c["source"] = "#| echo: false\n" + c["source"]
        c["outputs"] = [dict(output_type="display_data", data={"text/markdown": md})]


def _execute_nb(src: Path) -> tuple:
    "Run a docs notebook (cwd = its folder) and return its cells with fresh outputs."
    from execnb.nbio import read_nb
    from execnb.shell import CaptureShell
    nb = read_nb(src)
    cwd = os.getcwd(); os.chdir(src.parent)
    try:
        sh = CaptureShell(); sh.run_all(nb, exc_stop=True)
    finally: os.chdir(cwd)
    fm, cells = {}, [dict(cell_type=c.cell_type, source=c.source, outputs=list(c.get("outputs", []))) for c in nb.cells]
    return fm, cells


def _md_page(src: Path) -> tuple:
    t = src.read_text()
    fm = {}
    if t.startswith("---\n"):
        import yaml
        head, t = t[4:].split("\n---\n", 1); fm = yaml.safe_load(head) or {}
    return fm, [dict(cell_type="markdown", source=t, outputs=[])]


def _title(fm: dict, cells: list, src: Path) -> tuple:
    "(title, description) from front matter, else from a leading `# Title` / `> summary` markdown cell (then removed)."
    title, desc = fm.get("title"), fm.get("description")
    if not title:
        for c in cells:
            if c["cell_type"] != "markdown": continue
            m = re.match(r"^#\s+(.+?)\s*(?:\n+>\s*(.+?)\s*)?(?:\n|$)", c["source"])
            if m:
                title, desc = m.group(1), desc or m.group(2)
                c["source"] = c["source"][m.end():]
            break
    return title or src.stem, desc


class _Site:
    def __init__(self, out: Path):
        import mistune
        self.out = out
        self.md = mistune.create_markdown(escape=False, plugins=["table", "strikethrough", "url"])

    def link(self, page_src: Path):
        page_dir = (self.out / page_name(page_src)).parent
        def fn(p: Path, tgt: str) -> str:
            if p.suffix in (".ipynb", ".md", ".qmd") and _inside(p, NBS) and p.exists():
                return os.path.relpath(self.out / page_name(p), page_dir)
            if _inside(p, ROOT) and p.is_file() and p.suffix.lower() in (".png", ".jpg", ".jpeg", ".gif", ".svg", ".html", ".csv", ".json", ".md"):
                dst = self.out / "assets" / p.relative_to(ROOT)
                dst.parent.mkdir(parents=True, exist_ok=True)
                if not dst.exists(): shutil.copy2(p, dst)
                return os.path.relpath(dst, page_dir)
            if _inside(p, ROOT) and p.exists():     # a source file or folder of the repository: shown by its path
                return tgt
            return tgt
        return fn

    def markdown(self, text: str, src: Path) -> str:
        text = expand_includes(text, src.parent)
        text = keep_results_block(text, results_block(ROOT / "README.md"))
        text = rewrite_links(text, src.parent, self.link(src))
        text = re.sub(r"\[source\]\(([^)]*)\)\{[^}]*\}", lambda m: f"[source]({m.group(1)})" if m.group(1).startswith("http") else "", text)
        out, pos = [], 0              # Quarto callouts (`::: {.callout-note}` ... `:::`) as boxes
        for m in re.finditer(r"^::: *\{\.callout-(\w+)\}\n(.*?)\n:::[ \t]*$", text, re.M | re.S):
            out += [self.md(text[pos:m.start()]), f'<div class="callout callout-{m.group(1)}">{self.md(m.group(2))}</div>']
            pos = m.end()
        return "".join(out + [self.md(text[pos:])])

    def cell_html(self, c: dict, src: Path) -> str:
        if c["cell_type"] == "markdown": return f'<div class="md">{self.markdown(c["source"], src)}</div>'
        if c["cell_type"] != "code": return ""
        d = _directives(c["source"])
        if "hide" in d or d.get("include") == "false": return ""
        parts = []
        body = _strip_directives(c["source"])
        if d.get("echo") != "false" and body:
            from pygments import highlight
            from pygments.formatters import HtmlFormatter
            from pygments.lexers import PythonLexer
            parts.append(f'<div class="code">{highlight(body, PythonLexer(), HtmlFormatter(nowrap=False))}</div>')
        for o in c["outputs"]:
            data = o.get("data", {})
            if o.get("output_type") == "stream": parts.append(f'<pre class="out">{html.escape("".join(o["text"]))}</pre>')
            elif o.get("output_type") == "error": parts.append(f'<pre class="out err">{html.escape(o.get("ename", ""))}: {html.escape(o.get("evalue", ""))}</pre>')
            elif "image/png" in data:
                b64 = "".join(data["image/png"]).replace("\n", "")
                parts.append(f'<div class="out"><img alt="figure" src="data:image/png;base64,{b64}"></div>')
            elif "text/markdown" in data: parts.append(f'<div class="out md">{self.markdown("".join(data["text/markdown"]), src)}</div>')
            elif "text/html" in data and "<script" not in "".join(data["text/html"]): parts.append(f'<div class="out">{"".join(data["text/html"])}</div>')
            elif "text/plain" in data: parts.append(f'<pre class="out">{html.escape("".join(data["text/plain"]))}</pre>')
        return "\n".join(parts)

    def page(self, src: Path, nav: list) -> Path:
        if src.suffix == ".md": fm, cells = _md_page(src)
        elif src.parent.name == "docs" and src.parent.parent == NBS: fm, cells = _execute_nb(src)
        else: fm, cells = _process_nb(src)
        title, desc = _title(fm, cells, src)
        body = "\n".join(self.cell_html(c, src) for c in cells)
        dst = self.out / page_name(src)
        dst.parent.mkdir(parents=True, exist_ok=True)
        here = dst.parent
        links = []
        for section, pages in nav:
            if section: links.append(f"<h3>{html.escape(section)}</h3>")
            items = []
            for p in pages:
                cls = ' class="here"' if p == src else ""
                items.append(f'<li{cls}><a href="{os.path.relpath(self.out / page_name(p), here)}">'
                             f'{html.escape(self.titles.get(p, p.stem))}</a></li>')
            links.append("<ul>" + "".join(items) + "</ul>")
        css = os.path.relpath(self.out / "style.css", here)
        dst.write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} – para_wb</title><link rel="icon" href="data:,"><link rel="stylesheet" href="{css}"></head>
<body><nav><p class="brand"><a href="{os.path.relpath(self.out / 'index.html', here)}">para_wb</a></p>{''.join(links)}</nav>
<main><h1>{html.escape(title)}</h1>{f'<p class="desc">{html.escape(desc)}</p>' if desc else ''}
{body}
<footer>Built from <code>{src.relative_to(ROOT)}</code> by <code>python scripts/docs.py build</code>.</footer></main></body></html>
""")
        return dst


CSS = """body{margin:0;display:flex;font:15px/1.5 system-ui,sans-serif;color:#222}
nav{width:16rem;flex:none;padding:1rem;background:#f6f6f4;border-right:1px solid #ddd;height:100vh;overflow:auto;position:sticky;top:0;box-sizing:border-box}
nav h3{font-size:.8rem;text-transform:uppercase;color:#777;margin:1rem 0 .2rem} nav ul{list-style:none;padding:0;margin:0}
nav li a{display:block;padding:.1rem .3rem;color:#246;text-decoration:none;font-size:.9rem} nav li.here a{background:#e2e8ef;border-radius:3px}
.brand a{font-weight:700;font-size:1.2rem;color:#222;text-decoration:none}
main{padding:1rem 2rem;max-width:60rem;min-width:0} .desc{color:#555;font-size:1.05rem;border-left:3px solid #ccc;padding-left:.6rem}
img{max-width:100%} table{border-collapse:collapse;font-size:.85rem;display:block;overflow-x:auto} td,th{border:1px solid #ddd;padding:.2rem .4rem}
pre{background:#f7f7f7;padding:.5rem;overflow-x:auto;font-size:.82rem} .code pre{border-left:3px solid #9ab}
pre.out{background:#fff;border-left:3px solid #ddd} pre.err{color:#a00} code{font-size:.88em}
footer{margin-top:3rem;color:#888;font-size:.8rem}
.callout{border-left:4px solid #3a7;background:#f2f8f4;padding:.2rem .8rem;margin:1rem 0}
"""


def build(out: Path = ROOT / "_docs", pages: list | None = None) -> list:
    "Render the site into `out` (every page in nbs/sidebar.yml, or only `pages`); returns the HTML files written."
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("MUJOCO_GL", "egl"); os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    out = Path(out).resolve()
    nav = sidebar()
    missing = [p for _, ps in nav for p in ps if not p.exists()]
    if missing: raise FileNotFoundError(f"nbs/sidebar.yml names pages that do not exist: {[str(p.relative_to(NBS)) for p in missing]}")
    todo = [Path(p).resolve() if Path(p).is_absolute() else (ROOT / p).resolve() for p in pages] if pages else [p for _, ps in nav for p in ps]
    out.mkdir(parents=True, exist_ok=True)
    (out / "style.css").write_text(CSS)
    site = _Site(out)
    site.titles = {p: _quick_title(p) for _, ps in nav for p in ps}
    written = []
    for src in todo:
        written.append(site.page(src, nav))
        print(f"[docs] {src.relative_to(ROOT)} -> {written[-1].relative_to(out)}", file=sys.stderr)
    return written


def _quick_title(src: Path) -> str:
    "A page's sidebar title without processing it: front matter title, or the first `# ` heading."
    if src.suffix == ".ipynb":
        for c in json.loads(src.read_text())["cells"]:
            if c["cell_type"] == "markdown":
                m = re.match(r"^#\s+(.+)", "".join(c["source"]))
                if m: return m.group(1).strip()
        return src.stem
    m = re.search(r"^title:\s*(.+)$", src.read_text(), re.M) or re.search(r"^#\s+(.+)$", src.read_text(), re.M)
    return m.group(1).strip().strip('"') if m else src.stem


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("readme", help="README.md from nbs/index.ipynb"); r.add_argument("--check", action="store_true")
    b = sub.add_parser("build", help="the HTML site"); b.add_argument("--out", default=str(ROOT / "_docs")); b.add_argument("pages", nargs="*")
    s = sub.add_parser("serve", help="build, then serve the site"); s.add_argument("--out", default=str(ROOT / "_docs")); s.add_argument("--port", type=int, default=8000)
    a = ap.parse_args(argv)
    if a.cmd == "readme": return 0 if write_readme(check=a.check) else 1
    build(Path(a.out), a.pages or None)
    if a.cmd == "serve":
        print(f"[docs] http://localhost:{a.port}/index.html", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "http.server", str(a.port), "--bind", "127.0.0.1", "--directory", a.out])
    return 0


if __name__ == "__main__":
    sys.exit(main())
