"""The cutouts REST API: ``GET cutouts/surveys``, ``GET cutouts/parameters``, the SODA 1.0
real-time endpoint ``GET``/``POST cutouts/sync``, and ``POST cutouts/surveys/{name}/index`` (an
administrator's "re-read the tiles now": 404 for everyone else, like the rest of the admin API).

``sync`` takes its parameters from the query (GET) or from a form or JSON object body (POST, as
SODA clients send them); the answer is the cutout itself, ``Content-Disposition: inline`` so a
notebook or browser shows a PNG where it lands.  Surveys the caller may not use are 404, exactly
like missing ones.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote

from tornado import web

from ..errors import BadParameter, TooLarge
from .admin import AdminBase
from .base import RemotemHandler


class CutoutsBase(RemotemHandler):
    @property
    def cutouts(self) -> Any:
        return self.services.cutouts


class SurveysHandler(CutoutsBase):
    @web.authenticated
    async def get(self) -> None:
        surveys = await self.run_blocking(self.cutouts.surveys, self.current_user)
        self.write_json({"surveys": surveys})


class SurveyIndexHandler(AdminBase):
    @web.authenticated
    async def post(self, survey: str) -> None:
        """Have the survey's new or changed tiles read now (not at the next check): 202 with the
        index job, the one already queued or running if there is one."""
        job = await self.run_blocking(self.services.cutouts.reindex, survey)
        self.set_status(202)
        self.write_json(job.to_json())


class CutoutParametersHandler(CutoutsBase):
    @web.authenticated
    async def get(self) -> None:
        from ..cutouts.params import schema

        self.write_json(schema())


class CutoutSyncHandler(CutoutsBase):
    #: A cutout only reads: a token with the read scope may POST one (SODA clients POST forms).
    required_scopes = {"POST": "read"}

    @web.authenticated
    async def get(self) -> None:
        arguments = {name: [v.decode("utf-8", "replace") for v in values]
                     for name, values in self.request.query_arguments.items()}
        await self._answer(arguments)

    @web.authenticated
    async def post(self) -> None:
        arguments = {name: [v.decode("utf-8", "replace") for v in values]
                     for name, values in self.request.query_arguments.items()}
        for name, values in self._body_arguments().items():
            arguments.setdefault(name, []).extend(values)
        await self._answer(arguments)

    def _body_arguments(self) -> dict[str, list[str]]:
        kind = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind == "application/json":
            body = self.json_body()
            if body is None:
                return {}
            if not isinstance(body, dict) or not all(isinstance(v, (str, int, float)) for v in body.values()):
                raise BadParameter("A JSON body is an object of parameters, each a string or a number.",
                                   hint='For example {"survey": "demo_mosaic", "ra": 150.0, "dec": 2.0, '
                                        '"size": "64pix"}.')
            return {str(k): [str(v)] for k, v in body.items()}
        if self._body_too_large:
            raise TooLarge(f"The request body is larger than {self.services.limits.max_body_bytes:,} bytes.",
                           hint="A cutout request is a few parameters; send positions in bulk as a batch job.")
        text = bytes(self._body or b"").decode("utf-8", "replace")
        return parse_qs(text, keep_blank_values=True) if text.strip() else {}

    async def _answer(self, arguments: dict[str, list[str]]) -> None:
        answer = await self.run_blocking(self.cutouts.sync, self.current_user, arguments)
        self.set_header("Content-Disposition", f"inline; filename*=UTF-8''{quote(answer.filename)}")
        self.set_header("X-Cutout-Tiles", ";".join(f"{band}:{','.join(tiles)}" for band, tiles in answer.tiles.items()))
        self.set_header("X-Cutout-Shape", "x".join(str(n) for n in answer.shape[::-1]))
        for name, value in getattr(answer, "headers", {}).items():
            self.set_header(name, value)
        self.finish(answer.body, set_content_type=answer.content_type)
