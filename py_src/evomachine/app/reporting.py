"""The lab's shareable report: the loaded machine's run as one offline HTML file.

Mixed into ``Lab``. Charts use the series the lab samples as the run goes
(:mod:`evomachine.app.series`); the page downloads the text as a file.
"""

from __future__ import annotations

from evomachine.app.lab_state import LabState
from evomachine.app.views import dumps


class ReportMixin(LabState):
    """The report for the page (see ``Lab``)."""

    async def report(self) -> str:
        """``{filename, text}``: the run's HTML report (:func:`evomachine.report.render_html`)."""
        from evomachine.report import render_html

        ex = self._require()
        llm = self.llm_public()
        facts = {"Data": f"{self.dataset.get('name') or 'none'} "
                         f"({self.dataset.get('count', 0)} records)",
                 "LLM": " · ".join(str(llm[k]) for k in ("provider", "model") if llm.get(k)),
                 "Input records used": ex.input_cursor}
        text = render_html(ex, self.series.export(), facts)
        return dumps({"filename": f"{ex.machine_id}-report.html", "text": text})
