import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from safehaven.screening import actions, engine
from safehaven.screening.models import Instrument

MAX_BYTES = 2_000_000  # the same limit as the upload page; real Questionnaires are a few kB


class Command(BaseCommand):
    help = (
        "Screening instruments (FHIR Questionnaires): `safehaven instruments import FILE...` "
        "(all or nothing; `--shipped` for the files shipped with Safe Haven), "
        "`safehaven instruments score QUESTIONNAIRE.json RESPONSE.json` (prints JSON), "
        "`safehaven instruments list`, `safehaven instruments retire|activate URL[|VERSION]` "
        "(a retired instrument is no longer offered in new sessions; its responses still show), "
        "and `safehaven instruments rescore [--apply --reason TEXT]` (responses scored under an "
        "earlier version's rules: counted, or corrected as a clinical record is)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True, title="subcommands")
        imp = sub.add_parser("import", help="check and import Questionnaire JSON files, all or nothing")
        imp.add_argument("files", nargs="*", help="Questionnaire JSON files")
        imp.add_argument("--shipped", action="store_true", help="import the instruments shipped with Safe Haven")
        score = sub.add_parser("score", help="score a QuestionnaireResponse; print each calculated value as JSON")
        score.add_argument("questionnaire")
        score.add_argument("response")
        sub.add_parser("list", help="list the imported instruments: url|version, offered or retired, title")
        for name, text in (("retire", "stop offering an instrument in new sessions (audited)"),
                           ("activate", "offer a retired instrument again (audited)")):
            change = sub.add_parser(name, help=text)
            change.add_argument(
                "instrument",
                help="its canonical URL|VERSION as `list` shows it (the URL alone when only one version is imported)",
            )

        fix = sub.add_parser(
            "rescore",
            help="find completed responses whose scored results differ under the newer active version"
                 " of their instrument; print counts (nothing changes) or, with --apply, correct them",
        )
        fix.add_argument("--apply", action="store_true",
                         help="correct them: the old results are kept, marked entered-in-error, and"
                              " amended results replace them; audited per response")
        fix.add_argument("--reason", default="", help="why (required with --apply; kept in the audit log)")
        fix.add_argument("--by", default="", metavar="USERNAME",
                         help="the member of staff who approved the correction (recorded as its author)")
        fix.add_argument("--batch-size", type=int, default=100,
                         help="responses per transaction (default 100)")

    def _rescore(self, options) -> None:
        from django.contrib.auth import get_user_model

        from safehaven.screening import rescore

        size = options["batch_size"]
        if size < 1:
            raise CommandError("--batch-size must be at least 1")
        if not options["apply"]:
            summary = rescore.plan(batch_size=size)
            for line in summary.lines(applied=False):
                self.stdout.write(line)
            if summary.responses:
                self.stdout.write(f"{summary.responses} responses to correct. Nothing was changed (dry run):"
                                  " run again with --apply --reason \"...\" to correct them.")
            else:
                self.stdout.write("Nothing to correct.")
            return
        reason = options["reason"].strip()
        if not reason:
            raise CommandError("--apply needs --reason: say why the scores are corrected (kept in the audit log)")
        by = "cli"
        if options["by"]:
            by = get_user_model().objects.filter(username=options["by"], is_active=True).first()
            if by is None:
                raise CommandError(f"no active staff account {options['by']}")
        targets = rescore.targets()
        ids = rescore.candidate_ids(targets)
        summary = rescore.Summary()
        for start in range(0, len(ids), size):
            # One transaction per batch: each response is corrected with its audit event, or
            # untouched if the run stops; a second run skips what is already corrected.
            for correction in actions.correct_scores(by=by, reason=reason, response_ids=ids[start:start + size],
                                                     targets=targets):
                summary.add(correction.response.instrument, correction.target, correction)
        for line in summary.lines(applied=True):
            self.stdout.write(line)
        self.stdout.write(f"{summary.responses} responses corrected." if summary.responses
                          else "Nothing to correct.")

    def _read(self, name: str) -> str:
        try:
            if Path(name).stat().st_size > MAX_BYTES:
                raise CommandError(f"{name}: larger than {MAX_BYTES // 1_000_000} MB; nothing was imported")
            return Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{name}: cannot read: {exc}") from None

    def _find(self, canonical: str) -> Instrument:
        url, _bar, version = canonical.partition("|")
        found = Instrument.objects.filter(url=url)
        if "|" in canonical:
            found = found.filter(version=version)
        found = list(found.order_by("pk"))
        if not found:
            raise CommandError(f"no instrument {canonical} is imported; `safehaven instruments list` shows them")
        if len(found) > 1:
            versions = ", ".join(f"{i.url}|{i.version}" for i in found)
            raise CommandError(f"{url} has several versions; name one: {versions}")
        return found[0]

    def handle(self, *args, sub, **options):
        if sub == "rescore":
            self._rescore(options)
            return
        if sub == "list":
            for instrument in Instrument.objects.order_by("title", "url", "version"):
                state = "offered" if instrument.active else "retired"
                self.stdout.write(f"{instrument.url}|{instrument.version}\t{state}\t{instrument.title}")
            return
        if sub in {"retire", "activate"}:
            instrument = self._find(options["instrument"])
            active = sub == "activate"
            was = instrument.active
            instrument = actions.set_instrument_active(by="cli", instrument=instrument, active=active)
            canonical = f"{instrument.url}|{instrument.version}"
            if was == active:
                self.stdout.write(f"{canonical} was already {'offered' if active else 'retired'}; nothing changed")
            elif active:
                self.stdout.write(f"{canonical} ({instrument.title}) is offered in new sessions")
            else:
                self.stdout.write(
                    f"{canonical} ({instrument.title}) is retired: no longer offered in new sessions;"
                    " its responses still show and score"
                )
            return
        if sub == "import":
            files = [(Path(f).name, self._read(f)) for f in options["files"]]
            if options["shipped"]:
                files += actions.shipped_instrument_files()
            if not files:
                raise CommandError("give at least one file, or --shipped")
            try:
                imported = actions.import_instruments(by="cli", files=files)
            except engine.InstrumentError as exc:
                raise CommandError("nothing was imported:\n  " + "\n  ".join(exc.problems)) from None
            for instrument in imported:
                verified = "yes" if instrument.wording_verified else "no"
                languages = engine.translations(instrument.resource)
                translated = "".join(
                    f"; {lang} translation verified: {'yes' if ok else 'no'}" for lang, ok in languages.items()
                )
                self.stdout.write(
                    f"imported {instrument.title} ({instrument.url}|{instrument.version}); "
                    f"wording verified: {verified}{translated}"
                )
                for note in getattr(instrument, "import_notes", []):
                    self.stdout.write(f"  note: {note}")
            return
        try:
            questionnaire = engine.check_questionnaire(self._read(options["questionnaire"]), source=options["questionnaire"])
            response = engine.parse_json(self._read(options["response"]), source=options["response"])
            if response.get("resourceType") != "QuestionnaireResponse":
                raise engine.InstrumentError([f"{options['response']}: expected a QuestionnaireResponse"])
            result = engine.score(questionnaire, response)
        except engine.InstrumentError as exc:
            raise CommandError("\n  ".join(exc.problems)) from None
        self.stdout.write(json.dumps(result.as_json(), indent=2))
