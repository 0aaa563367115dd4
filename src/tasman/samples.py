"""``tasman samples DIR``: every input the README's walk-through names, generated and benign.

Guarantee: DIR is a new (or empty) folder and afterwards holds exactly the files its
``README.txt`` lists: a small E01 of a memory card with a deleted picture, a VICS list of some of
its pictures, an order list, chats, a goAML report, and a partner agency's workspace (its keys,
its ``identity.yaml`` and a case to receive packages in). Nothing outside DIR is touched and an
existing, non-empty DIR is refused (exit 4), so nothing stored is lost; a run that fails
leaves DIR as it found it (absent or empty).

The partner's reply cannot be written in advance: an outcome report names a package and its
subjects, which exist only once the walk-through has referred. ``reply`` plays the partner when
the package exists: it imports the package into the partner's workspace (refusing a sender the
partner's directory does not know, as a real partner would) and writes ``outcome-CC.json``, an
outcome report signed by the partner: every subject acknowledged, the first one arrested.

Pictures are drawn abstractions; names, addresses and numbers are made up (``synth``).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from PIL import Image, ImageOps
from sqlalchemy import select

from tasman.core.errors import AlreadyExistsError, InputError, NotFoundError
from tasman.core.workspace import SQLITE_NAME, Workspace
from tasman.evidence import create_case
from tasman.refer import keys
from tasman.refer.models import ReceivedPackage
from tasman.refer.outcomes import report_outcome
from tasman.refer.service import import_package
from tasman.synth.corpus import make_corpus
from tasman.synth.disks import make_e01, make_fat_image
from tasman.synth.transfers import generate_transfers, write_goaml
from tasman.synth.triage_set import jpeg, reference_pdq
from tasman.triage.vicsexport import media_record, write_document

PARTNER = "PH partner unit"
PARTNER_COUNTRY = "PH"
PARTNER_CASE = "PH-1"
PARTNER_DIR = "partner"
NOTE = "Shipping confirmed. Questions to orders.desk@example.org or +44 20 7946 0321.\n"

FILES = {  # name in DIR -> what it is (README.txt)
    "laptop.E01": "a small E01 (EnCase) image of a FAT memory card: pictures in DCIM/, one of them deleted "
                  "(its data still on the card), and Documents/notes.txt with an e-mail address and a phone",
    "partner-list.json": "a partner's hash list in VICS 2.0 JSON (Project VIC categories, MD5, SHA-1, SHA-256, "
                         "PDQ): the deleted picture, a mirrored one, and decoys found nowhere",
    "orders.csv": "a web shop's order list (customers: name, e-mail, phone, address, payment, IP)",
    "chats.jsonl": "chat sessions, one JSON object a line (participants with handles, e-mails, phones)",
    "fiu-report.xml": "a financial intelligence unit's goAML report of money transfers (a few facilitators in it)",
    "partner/": "a partner agency's Tasman workspace (PH partner unit, the Philippines): its keys, and case "
                "PH-1 to receive your package in",
    "partner/keys/identity.yaml": "the partner's public directory entry (name, country, age recipient, "
                                  "signing key): what 'tasman agency import' takes",
}


@dataclass
class Samples:
    folder: Path
    files: dict[str, str] = field(default_factory=dict)   # path relative to folder -> what it is


def _prepare(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise AlreadyExistsError(f"{folder} exists and is not an empty folder; samples are written to a new one")
    folder.mkdir(parents=True, exist_ok=True)


def _jpeg_bytes(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def _card_and_list(folder: Path) -> None:
    """laptop.E01 (a FAT card with a deleted picture) and partner-list.json (VICS) listing some of it."""
    deleted, kept, original = jpeg(302), jpeg(301), jpeg(304)
    mirrored = _jpeg_bytes(ImageOps.mirror(Image.open(io.BytesIO(original))))
    with tempfile.TemporaryDirectory(dir=folder, prefix=".card-") as tmp:
        card = make_fat_image(Path(tmp) / "card.img",
                              {"DCIM/IMG_0001.JPG": kept, "DCIM/IMG_0003.JPG": jpeg(303),
                               "DCIM/IMG_0004.JPG": mirrored, "Documents/notes.txt": NOTE.encode()},
                              deleted={"DCIM/IMG_0002.JPG": deleted})
        if make_e01(card, folder / "laptop.E01") is None:
            raise InputError("'ewfacquire' is not installed (Debian package ewf-tools); run scripts/setup.sh")
    listed = [(deleted, 1), (original, 2)] + [(jpeg(seed), 1 + seed % 3) for seed in range(900, 910)]
    media = [media_record(i, md5=hashlib.md5(data).hexdigest(), sha1=hashlib.sha1(data).hexdigest(),
                          sha256=hashlib.sha256(data).hexdigest(), pdq=reference_pdq(data)[0], category=cat,
                          size=len(data), mime="image/jpeg")
             for i, (data, cat) in enumerate(listed, start=1)]
    write_document(folder / "partner-list.json", "PARTNER-LIST-1", media)


def _records(folder: Path) -> None:
    """orders.csv, chats.jsonl (from one corpus of made-up people in PH and GB) and fiu-report.xml."""
    with tempfile.TemporaryDirectory(dir=folder, prefix=".corpus-") as tmp:
        corpus = make_corpus(Path(tmp), records=120, seed=3, countries=["PH", "GB"])
        shutil.copyfile(corpus.files["storefront_orders.csv"][1], folder / "orders.csv")
        shutil.copyfile(corpus.files["operation_chats.jsonl"][1], folder / "chats.jsonl")
    write_goaml(generate_transfers(120, seed=5, facilitator_share=0.05).transfers, folder / "fiu-report.xml")


def _partner(folder: Path) -> None:
    ws = Workspace.init(folder / PARTNER_DIR, db_url=_partner_db(folder / PARTNER_DIR), actor="partner")
    try:
        keys.generate(ws.root, PARTNER, [PARTNER_COUNTRY], "wcpc@example.invalid")
        with ws.session() as s:
            create_case(s, ws.actor, PARTNER_CASE, "Referrals received")
    finally:
        ws.close()


def _partner_db(root: Path) -> str:
    """The partner's own SQLite, whatever TASMAN_DATABASE_URL says: it is another agency."""
    return f"sqlite:///{root.resolve() / SQLITE_NAME}"


def _readme(samples: Samples) -> None:
    width = max(len(name) for name in samples.files)
    lines = ["Inputs for Tasman's walk-through (README.md, 'A case, step by step'), written by",
             "'tasman samples'. Everything here is generated and benign: drawn pictures, made-up",
             "people; 'known' only means 'in partner-list.json'.", ""]
    lines += [f"{name.ljust(width)}  {what}" for name, what in samples.files.items()]
    lines += ["", "After 'tasman refer', 'tasman samples DIR --reply PACKAGE' plays the partner: it imports the",
              "package into partner/ (the partner must know you first: 'tasman -w DIR/partner agency import",
              "keys/identity.yaml' from your workspace) and writes outcome-PH.json, its signed outcome report.", ""]
    (samples.folder / "README.txt").write_text("\n".join(lines), encoding="utf-8")


def write_samples(folder: Path) -> Samples:
    """Write every input of the walk-through into the new or empty ``folder``."""
    folder = folder.expanduser()
    created = not folder.exists()
    _prepare(folder)
    try:
        _card_and_list(folder)
        _records(folder)
        _partner(folder)
        samples = Samples(folder=folder, files=dict(FILES))
        _readme(samples)
    except BaseException:   # the folder was new or empty: leave it so, not half written
        for child in list(folder.iterdir()):
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        if created:
            folder.rmdir()
        raise
    samples.files = {"README.txt": "what each file is", **samples.files}
    return samples


def reply(folder: Path, package: Path) -> Path:
    """Play the partner of a samples folder: import ``package`` into its case and write its signed
    outcome report (every subject acknowledged, the first arrested) to ``folder/outcome-CC.json``."""
    folder = folder.expanduser()
    root = folder / PARTNER_DIR
    if not (root / "tasman.yaml").is_file():
        raise NotFoundError(f"{root} is not a partner workspace that 'tasman samples' wrote")
    partner = Workspace.open(root, db_url=_partner_db(root), actor="partner")
    try:
        theirs = keys.load(partner.root)
        with partner.session() as s:
            got = import_package(s, partner.actor, PARTNER_CASE, package, theirs.age_identity)
            row = s.scalars(select(ReceivedPackage).where(ReceivedPackage.package_id == got["package_id"])).one()
            out = folder / f"outcome-{row.document['country']}.json"
            if out.exists():
                raise AlreadyExistsError(f"{out} exists; outcome reports are never overwritten")
            refs = [str(sj["ref"]) for sj in row.document.get("subjects", [])]
            if not refs:
                raise InputError(f"{package.name} holds no subjects to report outcomes on")
            today = date.today()
            items = [{"subject_ref": ref, "status": "acknowledged", "date": today} for ref in refs]
            items.append({"subject_ref": refs[0], "status": "arrested", "date": today,
                          "note": "sample: not a real outcome"})
            signed = report_outcome(s, partner.actor, PARTNER_CASE, row.package_id, items, theirs)
            out.write_text(json.dumps(signed.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n",
                           encoding="utf-8")
    finally:
        partner.close()
    return out
