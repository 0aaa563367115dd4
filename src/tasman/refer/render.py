"""The readable dossier, HTML and PDF, rendered from the package document (never from the
database), so the dossier says exactly what the signed JSON says.

PDF uses fpdf2 (pure Python, no browser) with DejaVu Sans when the system has it (Debian:
fonts-dejavu-core) for full Unicode; without it, text is transliterated to Latin-1.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from tasman.refer.document import PackageDocument

_env = Environment(loader=PackageLoader("tasman.refer", "templates"), autoescape=select_autoescape(["html"]))
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
WITH_PDF = True  # tests switch it off where the PDF is not what they check (it takes ~0.5 s a package)


def html(doc: PackageDocument) -> str:
    return _env.get_template("dossier.html").render(d=doc)


def _font() -> tuple[Path, Path] | None:
    for d in FONT_DIRS:
        if (d / "DejaVuSans.ttf").exists() and (d / "DejaVuSans-Bold.ttf").exists():
            return d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
    return None


def pdf(doc: PackageDocument) -> bytes | None:
    """The dossier as PDF, or None when fpdf2 is not installed."""
    if not WITH_PDF:
        return None
    try:
        from fpdf import FPDF
    except ImportError:
        return None
    from normality import ascii_text

    font = _font()
    out = FPDF(format="A4")
    out.set_auto_page_break(True, margin=15)
    out.set_creator(doc.generator)
    out.set_title(doc.package_id)
    if font:
        out.add_font("dejavu", "", str(font[0]))
        out.add_font("dejavu", "B", str(font[1]))
    family = "dejavu" if font else "helvetica"

    def text(t: object) -> str:
        s = str(t)
        return s if font else (ascii_text(s) or "")

    def line(t: object, size: int = 9, bold: bool = False, h: float = 5) -> None:
        out.set_font(family, "B" if bold else "", size)
        out.multi_cell(0, h, text(t), new_x="LMARGIN", new_y="NEXT")

    out.add_page()
    line(f"TLP:{doc.tlp.upper()}", 14, True, 8)
    line(f"Referral {doc.package_id}", 16, True, 9)
    line(f"Handling: {doc.handling}", 9, True)
    line(f"From: {doc.sender.name} {doc.sender.contact} ({doc.sender.key_fingerprint})")
    line(f"To: {doc.recipient.name} {doc.recipient.contact}")
    line(f"Country {doc.country} - sender's case {doc.case_ref} - version {doc.version}"
         + (f" (supersedes {doc.supersedes})" if doc.supersedes else "") + f" - created {doc.created_at}")
    line(f"Sender's audit head: {doc.audit_head}")
    line("This dossier lists references to evidence (paths, hashes, match categories). It contains no media.")
    for s in doc.subjects:
        out.ln(3)
        line(f"{s.ref}: {s.name}", 13, True, 7)
        a = s.attribution
        conf = f", confidence {a.confidence:.2f}" if a.confidence is not None else ""
        line(f"Attributed to {a.country}{conf}" + (" - SIGNALS CONFLICT" if a.conflict else ""), 10, True)
        for c in a.ranked:
            line(f"#{c.rank} {c.country} score {c.score:.2f}", 9, True)
            for r in c.reasons:
                line(f"   + {r.points:.2f} {r.detail} [{', '.join(r.sources)}]", 8)
        for n in a.ignored:
            line(f"   no weight: {n.signal} {n.value}: {n.why}", 8)
        line("Identifiers", 10, True)
        for i in s.identifiers:
            line(f"   {i.type}: {i.value} {i.country or ''} [{', '.join(i.sources)}]", 8)
        line("Records", 10, True)
        for rec in s.records:
            fields = "; ".join(f"{k}={v}" for k, v in sorted(rec.fields.items()))
            line(f"   {rec.ref} ({rec.kind}): {fields}", 8)
            if rec.withheld:
                line(f"      withheld: {', '.join(rec.withheld)}", 8)
        if s.evidence:
            line("Evidence references", 10, True)
            for e in s.evidence:
                m = "; ".join(f"{x.hashset}: {x.category_name or x.category} ({x.match_type})" for x in e.matches)
                line(f"   {e.evidence}: {e.path} sha256={e.sha256 or '-'} md5={e.md5 or '-'} {m}", 8)
    if doc.money_parties:
        out.ln(3)
        line(f"Money trails: alerted parties in {doc.country}", 13, True, 7)
        line("Indicators are not proof: a party alerts only when several fired. Reasons give counts and "
             "countries, never other parties' identifiers.", 8)
        for p in doc.money_parties:
            line(f"{p.role.capitalize()} #{p.rank}: {p.name or p.key} ({p.country}), score {p.score:.2f}", 10, True)
            span = f", {p.first_seen} to {p.last_seen}" if p.first_seen else ""
            line(f"   {p.transfers} transfers ({p.total_usd:.2f} USD approx.){span}", 8)
            ids = [*p.phones, *p.emails, *p.accounts]
            if ids:
                line(f"   identifiers: {', '.join(ids)}", 8)
            for mr in p.reasons:
                line(f"   {mr.indicator} ({mr.points:+.2f}): {mr.why}", 8)
            line(f"   records: {', '.join(p.records)}", 8)
    return bytes(out.output())
