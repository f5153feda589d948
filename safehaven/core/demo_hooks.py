"""Other capabilities add their own demo data here (directory, instruments, training...).

A hook is hook(stdout) -> None and must be idempotent: `safehaven demo` runs every hook
on every start.
"""

DEMO_HOOKS: list = []


def register_demo_hook(func):
    DEMO_HOOKS.append(func)
    return func


def run_demo_hooks(stdout) -> None:
    for hook in DEMO_HOOKS:
        hook(stdout)
