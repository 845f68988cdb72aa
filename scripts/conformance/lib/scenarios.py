"""Shared by the Python conformance scripts: scenario reporting, unique names, phase dispatch."""
import sys
import traceback
import uuid


class Skip(Exception):
    """A scenario this client version cannot express; says why, counts as neither pass nor fail."""


_failures = 0


def name(prefix):
    """A topic, group or transactional id no other scenario or run uses."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def scenario(fn):
    """Runs one scenario (its docstring is its name) and prints PASS, SKIP or FAIL with the trace."""
    global _failures
    try:
        fn()
        print("  PASS  " + fn.__doc__)
    except Skip as why:
        print("  SKIP  %s: %s" % (fn.__doc__, why))
    except Exception:
        _failures += 1
        print("  FAIL  " + fn.__doc__)
        print("        " + traceback.format_exc().replace("\n", "\n        "))
    sys.stdout.flush()


def run(phase, main, before_restart, after_restart):
    """Runs the scenarios of `phase` (main, before-restart, after-restart) and exits 1 on a failure."""
    if phase == "main":
        for fn in main:
            scenario(fn)
    elif phase == "before-restart":
        scenario(before_restart)
    elif phase == "after-restart":
        scenario(after_restart)
    else:
        sys.exit("unknown phase %r: use main, before-restart or after-restart" % phase)
    sys.exit(1 if _failures else 0)
