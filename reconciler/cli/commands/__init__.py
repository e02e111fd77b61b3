"""One module per command (or command group); each registers itself on ``cli``.

Every module in this package is imported here, so adding a command is adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil

for _module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    importlib.import_module(f"{__name__}.{_module.name}")
