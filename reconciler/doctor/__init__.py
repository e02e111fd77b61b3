"""``reconciler doctor``: a read-only check of one org before the first apply.

- ``report.py`` (pure): findings, what was settled, the text and JSON renderings, the exit code;
- ``checks.py`` (I/O): credentials, region and token, one cheap request per permission the
  specs and the environment need, the announced rate limit, conflicts, live fields the schema
  does not know, and what a read settles (page size, versions listing, flows name filter);
- ``probe.py`` (I/O, only with ``--write-probe``): one scratch pair, created, examined and
  removed, even when the run is interrupted.
"""

from __future__ import annotations

from reconciler.doctor.report import Finding, Report, Status

__all__ = ["Finding", "Report", "Status"]
