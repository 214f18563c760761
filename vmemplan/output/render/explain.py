"""``vmemplan explain``: text drawings of what the accounting did, from its JSON document.

Every figure drawn is read from the ``explain --json`` document (its ``drawings``, and
the cost records it shares with ``estimate --json``); nothing is computed here but the
rounding of sizes and the placing of lines. The drawings fit the console's width (each
line is wrapped at spaces, never between a figure and its unit) and use ASCII when the
output's encoding cannot show box-drawing characters.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from vmemplan.output.render.console import format_count
from vmemplan.output.render.drawing import (
    NB,
    Glyphs,
    Lines,
    bar,
    count_text,
    glyphs,
    pages_text,
    pfns_text,
    scaled,
    size_text,
    tables_text,
)
from vmemplan.output.report import Doc
from vmemplan.units import format_iec

# -- 1. deduplication ------------------------------------------------------------------


def _pmd(doc: Doc) -> str:
    """PMD_SIZE, as the drawings name it (``2.00 MiB``)."""
    return format_iec(doc["input"]["pmd_bytes"])


def _struct_range(i: int, per_page: int, nr_pages: int) -> str:
    lo = i * per_page
    hi = min(nr_pages, lo + per_page) - 1
    return f"{lo:,}-{hi:,}"


def _compound_rows(c: Doc, g: Glyphs, out: Lines) -> None:
    """One compound page: its vmemmap pages, each PTE, and the page frame it maps."""
    cv, keep, per = c["vmemmap_pages"], c["kept_pages"], c["struct_pages_per_vmemmap_page"]
    nr = c["nr_pages"]
    shared = c["shared_tail"]
    names = ["head page", "first tail page"]
    frames = ["frame A", "frame B"]
    n = format_count(c["remapped_pages"])
    target = (
        f"frame T, the shared tail page ({n}{NB}PTEs)"
        if shared
        else f"{frames[keep - 1]} ({n}{NB}PTEs remapped)"
    )
    idx_w = max(len(f"{cv - 1:,}"), 4)
    rng_w = max(len(_struct_range(cv - 1, per, nr)), len("struct pages"))
    out.prefixed(" ", f"{'page':<{idx_w}}  {'struct pages':<{rng_w}}  PTE  page frame")
    show = list(range(cv)) if cv <= 8 else [*range(min(cv, 4)), -1, cv - 1]
    remapped = [i for i in show if i >= keep]
    for i in show:
        if i < 0:
            out.prefixed(" ", f"{g.more:<{idx_w}}  {g.more:<{rng_w}}  {g.fan_mid}")
            continue
        head = f" {i:<{idx_w},}  {_struct_range(i, per, nr):<{rng_w}}  "
        hang = " " * (len(head) + len(g.arrow) + 1)
        if i < keep:
            out.prefixed(f"{head}{g.arrow} ", f"{frames[i]}: {names[i]}, kept", hang)
        elif i == remapped[-1]:
            out.prefixed(f"{head}{g.fan_end} ", target, hang)
        elif i == remapped[0]:
            out.prefixed(head, g.fan_top)
        else:
            out.prefixed(head, g.fan_mid)


def _run_text(r: Doc, page_size: int, pmd: str) -> tuple[str, str]:
    """A run of chunks: what it is, and how it was populated."""
    n = r["nr_pfns"]
    where = f"pfn {r['start_pfn']:#x}-{r['end_pfn'] - 1:#x}"
    if r["full_sections"]:
        what = f"{where}: {format_count(r['sections'])} full sections"
    else:
        what = f"{where}: partial section, {format_count(n)} pfns ({format_iec(n * page_size)})"
    tables = r["new_tables"]
    pte = count_text(tables["pte"], "PTE table")
    if r["path"] == "early":
        how = (
            "early section (boot RAM): section_activate() reuses the boot memmap, "
            "PMD-mapped and not deduplicated: nothing allocated"
        )
    elif r["path"] == "compound":
        how = (
            f"compound path: {count_text(r['compound_heads'], 'compound head')}, "
            f"{pages_text(r['memmap_dram_pages'], page_size)} from DRAM, all PTE-mapped, {pte}"
        )
        if r["reuse_chunks"]:
            how += (
                f"; {format_count(r['reuse_chunks'])} of its {format_count(r['sections'])} "
                "chunks start inside a compound page and map onto its tail page "
                "(reuse_compound_section)"
            )
    else:
        parts = []
        if r["pmd_leaves"]:
            parts.append(f"{format_count(r['pmd_leaves'])} PMD blocks ({pmd} leaves)")
        if r["pte_pages"]:
            parts.append(f"{format_count(r['pte_pages'])} base pages under PTEs, {pte}")
        dram, dev = r["memmap_dram_pages"], r["memmap_device_pages"]
        src = []
        if dev:
            src.append(f"{pages_text(dev, page_size)} from the altmap")
        if dram or not dev:
            src.append(f"{pages_text(dram, page_size)} from DRAM")
        how = "vmemmap_populate(): " + ", ".join(parts or ["nothing new"]) + "; " + ", ".join(src)
        if r["altmap_align_pfns"]:
            how += f"; {pfns_text(r['altmap_align_pfns'])} of altmap skipped to align the blocks"
    return what, how


def render_dedup(out: Lines, doc: Doc, g: Glyphs) -> None:
    """Drawing 1: one compound page's vmemmap, x N, and the runs of chunks."""
    dev = doc["devices"][0]
    d = doc["drawings"]["dedup"]
    c = d["compound"]
    p = doc["input"]["page_size_bytes"]
    pg = dev["detail"]["pgmap"]
    mm = dev["detail"]["memmap"]
    out.title("vmemmap deduplication of compound pages (Device DAX)")
    out.line(
        f"vmemmap_shift {c['vmemmap_shift']}: a compound page is {format_count(c['nr_pages'])} "
        f"pfns ({format_iec(c['nr_pages'] * p)}), so {format_count(c['nr_pages'])} struct pages "
        f"of {c['struct_page_size_bytes']} bytes; a vmemmap page ({format_iec(p)}) holds "
        f"{format_count(c['struct_pages_per_vmemmap_page'])}: "
        f"{format_count(c['vmemmap_pages'])} vmemmap "
        "pages per compound page."
    )
    if not c["optimized"]:
        out.line(f"Not deduplicated: {c['reason']}.")
    else:
        out.line("")
        out.line(f"one compound page, head pfn {c['head_pfn']:#x}:")
        _compound_rows(c, g, out)
        per_table, cv = c["vmemmap_pages_per_pte_table"], c["vmemmap_pages"]
        if 0 < cv <= per_table:
            where = (
                f"these {cv} PTEs are in a PTE table that maps {format_count(per_table)} "
                f"vmemmap pages: {format_count(per_table // cv)} compound pages"
            )
        else:
            where = (
                f"these {format_count(cv)} PTEs fill {format_count(cv // per_table)} PTE "
                f"tables of {format_count(per_table)} entries"
            )
        out.line(where + "; no vmemmap page of a compound page is PMD-mapped.")
        kept = pg["kept_pages_per_compound"]
        if c["shared_tail"]:
            out.line(
                f"{kept} vmemmap page kept per compound page (the head); every tail "
                "vmemmap page maps the one shared tail page, read-only, allocated once."
            )
        else:
            out.line(
                f"{kept} vmemmap pages kept per compound page (head, first tail); "
                f"{pg['saved_pages_per_compound']:,} remapped onto the first tail's frame "
                "(read-write)."
            )
        base = dev["detail"]["baseline"]
        out.line(
            f"x {format_count(pg['compound_pages'])} compound pages: "
            f"{pages_text(dev['memmap_dram_pages'], p)} of memmap in DRAM, "
            f"{pages_text(base['memmap_dram_pages'], p)} without deduplication: "
            f"{format_count(mm['saved_pages'])} saved (the nominal memmap is "
            f"{format_count(mm['nominal_pages'])} pages)."
        )
    ns = dev["detail"].get("namespace")
    if ns is not None and ns["dataoff_bytes"]:
        altmap = pg["altmap"] is not None
        what = "and the memmap area" if altmap else "padded to the align"
        out.line(
            f"The pgmap is the whole namespace: its first {size_text(ns['dataoff_bytes'])} "
            f"(dataoff: the info block {what}) have struct pages too, though not part of "
            "the dax device."
        )
    out.line("")
    out.line("__add_pages() chunks (never across a section), run by run:")
    for r in d["runs"]:
        what, how = _run_text(r, p, _pmd(doc))
        out.prefixed(f" {g.side} ", what)
        out.prefixed(f" {g.side}   ", how)


# -- 2. altmap -------------------------------------------------------------------------

_SEGMENT_NAMES = {
    "info-block": "info block",
    "dataoff": "dataoff",
    "altmap-align": "altmap alignment",
    "altmap-memmap": "memmap (altmap)",
    "altmap-unused": "altmap, unused",
    "data": "data",
    "end-trunc": "end_trunc",
    "trimmed-head": "trimmed (head)",
    "trimmed-tail": "trimmed (tail)",
    "memory-blocks": "memory blocks",
}


def _altmap_text(s: Doc, a: Doc, p: int, pmd: str) -> str:
    what = s["what"]
    if what == "info-block":
        return (
            f"the pfn info block ({format_iec(a['info_block_bytes'])}): "
            f"vmem_altmap.reserve, {pfns_text(a['reserve_pfns'])} the memmap never takes"
        )
    if what == "altmap-align":
        return f"{pfns_text(a['align_pfns'])} skipped so that each {pmd} PMD block is aligned"
    if what == "altmap-memmap":
        return (
            f"{pages_text(a['alloc_pfns'], p)} of struct pages for the whole namespace, "
            "allocated from the altmap (vmem_altmap.alloc)"
        )
    if what == "altmap-unused":
        return f"{pfns_text(a['unused_pfns'])} of the altmap's free area left unused"
    if what == "data":
        return (
            f"{pfns_text(s['pages'])}: the dax device, from dataoff "
            f"{size_text(a['dataoff_bytes'])} (nd_pfn_init())"
        )
    return "end_trunc: cut to the align, not part of the pgmap"


def render_altmap(out: Lines, doc: Doc, g: Glyphs) -> None:
    """Drawing 2: map=dev, the namespace from info block to data."""
    a = doc["drawings"]["altmap"]
    dev = doc["devices"][0]
    p = doc["input"]["page_size_bytes"]
    out.title("map=dev: the memmap on the namespace (vmem_altmap)")
    out.line(
        f"altmap: base_pfn {a['base_pfn']:#x}, reserve {pfns_text(a['reserve_pfns'])}, "
        f"free {pfns_text(a['free_pfns'])}; no vmemmap deduplication with an altmap."
    )
    bar(
        out,
        g,
        [
            (
                s["start_bytes"],
                s["end_bytes"],
                _SEGMENT_NAMES[s["what"]],
                _altmap_text(s, a, p, _pmd(doc)),
            )
            for s in a["segments"]
        ],
    )
    out.line("the namespace to scale:")
    scaled(
        out,
        g,
        a["dataoff_bytes"],
        dev["capacity_bytes"],
        f"dataoff {size_text(a['dataoff_bytes'])}",
        "data",
    )
    tables = dev["detail"]["page_tables"]
    dram = dev["memmap_dram_pages"]
    why = ""
    if dram:
        why = " (the partial sections: x86's vmemmap_populate() gives them base pages from DRAM)"
    out.line(
        f"in DRAM: {pages_text(dram, p)} of memmap{why}, and the page tables "
        f"({tables_text(tables)}): a table never comes from the altmap."
    )
    out.line(f"device capacity lost: {size_text(dev['lost_bytes'])} (dataoff and end_trunc).")


# -- 3. dax kmem -------------------------------------------------------------------------


def _kmem_text(s: Doc, k: Doc, p: int) -> str:
    what = s["what"]
    if what == "dataoff":
        return "the pmem namespace's pfn metadata (info block, map=dev area): stranded"
    if what in ("trimmed-head", "trimmed-tail"):
        return "not a whole memory block: stays in the dax region, not RAM, no memmap"
    if what == "end-trunc":
        return "end_trunc of the pmem namespace: stranded"
    n = s["pages"]
    if k["memmap_pages_per_block"]:
        m = k["memmap_pages_per_block"]
        return (
            f"{format_count(n)} memory blocks; each holds its own memmap in its first "
            f"{pages_text(m, p)} (memmap_on_memory: an altmap per block, never onlined) and "
            f"onlines {format_count(k['onlined_pages_per_block'])} pages"
        )
    return (
        f"{format_count(n)} memory blocks; the memmap of each is in DRAM: "
        f"{pages_text(k['dram_pages_per_block'], p)} per block, a PMD block per section"
    )


def render_kmem(out: Lines, doc: Doc, g: Glyphs) -> None:
    """Drawing 3: dax kmem, the range trimmed to memory blocks and where each memmap is."""
    k = doc["drawings"]["kmem"]
    dev = doc["devices"][0]
    p = doc["input"]["page_size_bytes"]
    out.title("dax kmem: System RAM, memory block by memory block")
    out.line(
        f"memory block {format_iec(k['memory_block_size_bytes'])} "
        f"({format_count(k['pages_per_block'])} pages, "
        f"{count_text(k['sections_per_block'], 'section')}); "
        f"memmap_on_memory {k['memmap_on_memory']}."
    )
    if k["refusal"]:
        out.line(f"memmap in DRAM: {k['refusal']}.")
    bar(
        out,
        g,
        [
            (s["start_bytes"], s["end_bytes"], _SEGMENT_NAMES[s["what"]], _kmem_text(s, k, p))
            for s in k["segments"]
        ],
    )
    if k["blocks"]:
        out.line("one memory block, to scale:")
        m = k["memmap_pages_per_block"]
        if m:
            scaled(
                out,
                g,
                m,
                k["pages_per_block"],
                f"memmap {format_count(m)} pages",
                f"System RAM {format_count(k['onlined_pages_per_block'])} pages",
            )
        else:
            scaled(
                out,
                g,
                0,
                k["pages_per_block"],
                "",
                f"System RAM {format_count(k['pages_per_block'])} pages (its memmap is in DRAM)",
            )
    detail = dev["detail"]
    out.line(
        f"memmap: {pages_text(dev['memmap_device_pages'], p)} on the device, "
        f"{pages_text(dev['memmap_dram_pages'], p)} in DRAM; RAM onlined: "
        f"{pages_text(detail['managed_pages'], p)}; trimmed {format_iec(k['trimmed_bytes'])}, "
        f"stranded {format_iec(k['stranded_bytes'])}."
    )


# -- 4. HVO ------------------------------------------------------------------------------


def _hvo_rows(h: Doc, g: Glyphs, out: Lines, *, after: bool) -> None:
    vh, keep = h["vmemmap_pages"], h["kept_pages"]
    w = max(len(f"{vh - 1:,}"), 4)
    out.prefixed("  ", f"{'page':<{w}}  PTE  page frame")
    show = list(range(vh)) if vh <= 8 else [*range(min(vh, 3)), -1, vh - 1]
    remapped = [i for i in show if i >= keep]
    for i in show:
        if i < 0:
            out.prefixed("  ", f"{g.more:<{w}}  {g.fan_mid if after else g.more}")
            continue
        if not after:
            out.prefixed("  ", f"{i:<{w},}  {g.arrow} frame {i:,}")
        elif i < keep:
            what = "the head vmemmap page" if i == 0 else f"frame {i:,}"
            out.prefixed("  ", f"{i:<{w},}  {g.arrow} {what}, kept")
        elif i == remapped[-1]:
            out.prefixed("  ", f"{i:<{w},}  {g.fan_end} page {keep - 1}'s frame, read-only")
        elif i == remapped[0]:
            out.prefixed("  ", f"{i:<{w},}  {g.fan_top}")
        else:
            out.prefixed("  ", f"{i:<{w},}  {g.fan_mid}")


def render_hvo(out: Lines, doc: Doc, g: Glyphs) -> None:
    """Drawing 4: one folio's vmemmap before and after HVO, per pool."""
    p = doc["input"]["page_size_bytes"]
    out.title("HugeTLB Vmemmap Optimization (HVO)")
    for i, (h, dev) in enumerate(zip(doc["drawings"]["hvo"], doc["devices"], strict=True)):
        if i:
            out.line("")
        size = format_iec(h["folio_bytes"])
        if not h["vmemmap_pages"]:
            out.line(
                f"{size} pages x {format_count(h['nr_folios'])}: a folio's "
                f"{format_count(h['struct_pages'])} struct pages fill less than one vmemmap "
                "page, shared with its neighbours: HVO has no page of its own to free."
            )
            if h["refusal"]:
                out.line(f"not optimized: {h['refusal']}.")
            continue
        out.line(
            f"{size} pages x {format_count(h['nr_folios'])}: a folio has "
            f"{format_count(h['struct_pages'])} struct pages in "
            f"{format_count(h['vmemmap_pages'])} vmemmap pages "
            f"({format_iec(h['vmemmap_pages'] * p)})."
        )
        if h["pmd_windows_per_folio"] > 1 or h["folios_per_pmd_window"] == 1:
            leaves = f"{format_count(h['pmd_windows_per_folio'])} PMD leaves per folio"
        else:
            leaves = f"one PMD leaf shared by {format_count(h['folios_per_pmd_window'])} folios"
        out.line(f"before: boot memmap mapped by {_pmd(doc)} PMD leaves ({leaves}):")
        _hvo_rows(h, g, out, after=False)
        if not h["optimized"]:
            out.line(f"not optimized: {h['refusal'] or 'HVO keeps every page'}.")
            continue
        out.line(
            f"after: the PMD leaves are split into PTE tables; "
            f"{format_count(h['kept_pages'])} kept, {format_count(h['freed_pages'])} freed "
            "per folio (back to the page allocator):"
        )
        _hvo_rows(h, g, out, after=True)
        out.line(
            f"x {format_count(h['nr_folios'])} folios: "
            f"{pages_text(h['pool_vmemmap_pages'], p)} of vmemmap become "
            f"{pages_text(dev['memmap_dram_pages'], p)} kept and "
            f"{format_count(h['pool_freed_pages'])} freed; "
            f"{format_count(h['pte_tables'])} PTE tables from split PMDs "
            f"({format_iec(dev['page_table_bytes'])})."
        )


# -- 5. page tables ----------------------------------------------------------------------


def _level_why(lvl: Doc, pt: Doc, pmd: str) -> str:
    new, windows = lvl["new_tables"], lvl["windows"]
    if lvl["name"] == "pte":
        if new == 0 and windows and pt["pte_pages"] == 0:
            return f"PMD leaves ({pmd} blocks) need no PTE table"
        why = f"one per {pmd} of vmemmap mapped by PTEs"
        if new < windows:
            why += "; the other windows are PMD leaves or had a table"
        return why
    if new < windows:
        return (
            f"{format_count(windows - new)} already there (boot RAM or an earlier device "
            "in the same window)"
        )
    return "all new"


def render_page_tables(out: Lines, doc: Doc, g: Glyphs) -> None:
    """Drawing 5: the page-table tables the vmemmap and the direct map needed, top down."""
    pt = doc["drawings"]["page_tables"]
    p = doc["input"]["page_size_bytes"]
    out.title("page tables (init_mm) that map the vmemmap, top down")
    indent = ""
    for i, lvl in enumerate(reversed(pt["levels"])):
        branch = f"{indent}{g.end} " if i else ""
        indent = " " * len(branch)
        out.prefixed(
            branch,
            f"{lvl['name'].upper()}: a table maps {format_iec(lvl['va_bytes'])} of vmemmap "
            f"(the struct pages of {format_iec(lvl['describes_bytes'])})",
            f"{indent}{g.side} ",
        )
        out.prefixed(
            f"{indent}{g.side} ",
            f"{count_text(lvl['windows'], 'window')} spanned, "
            f"{count_text(lvl['new_tables'], 'new table')}: " + _level_why(lvl, pt, _pmd(doc)),
        )
    leaves = count_text(pt["pmd_leaves"], "PMD leaf").replace("leafs", "leaves")
    ptes = f"{format_count(pt['pte_pages'])} mapped by PTEs"
    if not pt["pmd_leaves"]:
        mapped = ptes
    elif not pt["pte_pages"]:
        mapped = f"all under {leaves} ({_pmd(doc)} blocks)"
    else:
        mapped = f"{ptes}, the rest under {leaves} ({_pmd(doc)} blocks)"
    out.prefixed(f"{indent}{g.end} ", f"{format_iec(p)} vmemmap pages: {mapped}", f"{indent}  ")
    dm = pt["direct_map"]
    dev = doc["devices"][0]
    if dm is None:
        out.line("direct map: not modelled on this architecture.")
    else:
        mode = doc["input"]["linear_map"]
        how = f"{mode}, 1 GiB pages" if mode == "blocks" and doc["input"]["gbpages"] else mode
        out.line(
            f"direct map (arch_add_memory(), {how}): new tables {tables_text(dm)}; a table "
            "only where boot RAM or an earlier device has none."
        )
    out.line(
        f"page tables in all: {format_iec(dev['page_table_bytes'])} for the vmemmap, "
        f"{format_iec(dev['direct_map_bytes'])} for the direct map."
    )


RENDERERS = {
    "dedup": render_dedup,
    "altmap": render_altmap,
    "kmem": render_kmem,
    "hvo": render_hvo,
    "page-tables": render_page_tables,
}


def render_explain(console: Console, doc: Doc, which: Any = None) -> None:
    """Every drawing the document has (or those named in ``which``), one after another."""
    out = Lines(console)
    g = glyphs(console)
    keys = {"page-tables": "page_tables"}
    first = True
    for name, draw in RENDERERS.items():
        if doc["drawings"][keys.get(name, name)] is None or (which and name not in which):
            continue
        if not first:
            out.line("")
        first = False
        draw(out, doc, g)
    for note in doc.get("notes", ()):
        out.line(f"note: {note}")
