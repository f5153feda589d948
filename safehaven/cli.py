"""The `safehaven` console command: Safe Haven's own management commands, explained.

`safehaven --help` lists them; `safehaven COMMAND --help` explains one. Any other
Django management command (migrate, check, shell...) works too.
"""

import os
import sys

OWN_COMMANDS = {
    "demo": "Set up the embedded database with synthetic demo data and start the app.",
    "synth": "Generate a synthetic clinic (sites, staff, people, encounters, notes).",
    "audit": "Verify the tamper-evident audit chain (`safehaven audit verify`).",
    "keys": "Manage field-encryption keys (`safehaven keys new`, `safehaven keys rotate`).",
    "i18n": "Compile the English, Spanish and French translation catalogues.",
    "createstaff": "Create a staff account with a role at a site.",
}


def _help() -> str:
    lines = [
        "usage: safehaven COMMAND [options]",
        "",
        "Safe Haven: trauma-informed clinical software for Medical Safe Haven clinics.",
        "",
        "Safe Haven commands:",
    ]
    from django.core.management import get_commands

    commands = get_commands()
    own = sorted(name for name, app in commands.items() if app.startswith("safehaven."))
    for name in own:
        lines.append(f"  {name:<14}{OWN_COMMANDS.get(name, _describe(name, commands[name]))}")
    lines += [
        "",
        "Django commands such as migrate, check and shell also work.",
        "Run `safehaven COMMAND --help` for the options of one command.",
    ]
    return "\n".join(lines)


def _describe(name: str, app: str) -> str:
    from django.core.management import load_command_class

    try:
        return (load_command_class(app, name).help or "").strip().splitlines()[0]
    except Exception:  # a broken command must not break the listing
        return ""


def main(argv: list[str] | None = None) -> int:
    """Run a management command with Safe Haven's settings."""
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safehaven.settings")
    import django

    try:
        django.setup()
    except Exception as exc:  # configuration errors get a sentence, not a traceback
        print(f"safehaven: cannot start: {exc}", file=sys.stderr)
        return 2
    if len(argv) < 2 or argv[1] in {"-h", "--help", "help"}:
        print(_help())
        return 0
    from django.core.management import execute_from_command_line

    execute_from_command_line(["safehaven", *argv[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
