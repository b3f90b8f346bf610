"""``GET repositories/{repo}/advice/{path}``: should this dataset be copied next to the notebooks?"""

from __future__ import annotations

from tornado import web

from ..formats import open_dataset
from ..storage.placement import advise
from ..storage.repository import Repository
from .base import RemotemHandler


class AdviceHandler(RemotemHandler):
    serves_reach = True  # its answers come from repositories it gets confined (see auth/reach.py)

    @web.authenticated
    async def get(self, name: str, path: str | None = None) -> None:
        repo = self.repository(name)
        dataset = self.get_query_argument("dataset", None) or None
        visible = self.services.access.visible(self.current_user, self.registry.all())
        home = next((candidate for candidate in visible if candidate.config.home), None)
        answer = await self.run_blocking(self._advise, repo, path or "", dataset, home)
        self.write_json(dict(answer, repository=repo.name, path=path or "", dataset=dataset))

    def _advise(self, repo: Repository, path: str, dataset: str | None, home: Repository | None) -> dict:
        with open_dataset(repo, path, dataset) as opened:
            nbytes = opened.nbytes
        return advise(nbytes, repo, home, self.services.speeds)
