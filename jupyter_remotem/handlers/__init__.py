"""URL routes of the REST API, all under ``{base_url}remotem/api/``."""

from __future__ import annotations

from typing import Any

from .admin import admin_routes
from .advice import AdviceHandler
from .base import NotFoundHandler
from .clusters import ClusterHandler, ClusterOptionsHandler, ClustersHandler
from .cutouts import CutoutParametersHandler, CutoutSyncHandler, SurveyIndexHandler, SurveysHandler
from .cutout_jobs import (
    CutoutFileHandler,
    CutoutJobHandler,
    CutoutJobsHandler,
    CutoutManifestHandler,
    CutoutRenewHandler,
    CutoutZipHandler,
)
from .uws import UwsJobHandler, UwsJobPartHandler, UwsJobsHandler
from .datasets import (
    DatasetGrantsHandler,
    DatasetFilesHandler,
    DatasetHandler,
    DatasetJobHandler,
    DatasetLineageHandler,
    DatasetManifestHandler,
    DatasetsHandler,
    DatasetTypesHandler,
)
from .download import DownloadHandler
from .formats import FormatsHandler
from .jobs import (
    JobActionHandler,
    JobEventsHandler,
    JobHandler,
    JobResultsHandler,
    JobsClearHandler,
    JobsHandler,
)
from .operations import OperationsHandler
from .pipelines import PipelinesHandler
from .notify import MeEmailHandler
from .quota import QuotaHandler
from .reductions import ReductionsHandler
from .repositories import DataHandler, MetaHandler, PreviewHandler, RepositoriesHandler, TreeHandler
from .saves import SavesHandler
from .storage import StorageHandler, StorageProtocolsHandler, StoragesHandler
from .search import (
    AnnotationHandler,
    AnnotationsHandler,
    CuratedHandler,
    SavedSearchesHandler,
    SavedSearchHandler,
    SearchHandler,
    SearchIndexHandler,
    SearchKeysHandler,
    SearchOperatorsHandler,
    SearchParseHandler,
)
from .tokens import TokenHandler, TokenScopesHandler, TokensHandler
from .uploads import UploadHandler, UploadsHandler
from .views import ViewsHandler
from .volumes import VolumeHandler

API = "remotem/api"
_REPO = r"(?P<name>[^/]+)"
_PATH = r"(?:/(?P<path>.*))?"
_JOB = r"(?P<job_id>[0-9a-fA-F-]{1,64})"
_DATASET = r"(?P<dataset_id>[0-9a-fA-F-]{1,64})"


def routes() -> list[tuple[str, Any]]:
    return [
        (rf"{API}/repositories/?", RepositoriesHandler),
        (rf"{API}/repositories/{_REPO}/tree{_PATH}", TreeHandler),
        (rf"{API}/repositories/{_REPO}/meta{_PATH}", MetaHandler),
        (rf"{API}/repositories/{_REPO}/preview{_PATH}", PreviewHandler),
        (rf"{API}/repositories/{_REPO}/data{_PATH}", DataHandler),
        (rf"{API}/repositories/{_REPO}/advice{_PATH}", AdviceHandler),
        (rf"{API}/repositories/{_REPO}/download{_PATH}", DownloadHandler),
        (rf"{API}/repositories/{_REPO}/volume{_PATH}", VolumeHandler),
        (rf"{API}/operations/?", OperationsHandler),
        (rf"{API}/views/?", ViewsHandler),
        (rf"{API}/formats/?", FormatsHandler),
        (rf"{API}/quota/?", QuotaHandler),
        (rf"{API}/tokens/?", TokensHandler),
        (rf"{API}/tokens/scopes/?", TokenScopesHandler),
        (rf"{API}/tokens/(?P<token_id>[0-9a-fA-F-]{{1,64}})/?", TokenHandler),
        (rf"{API}/reductions/?", ReductionsHandler),
        (rf"{API}/saves/?", SavesHandler),
        (rf"{API}/uploads/?", UploadsHandler),
        (rf"{API}/uploads/(?P<upload_id>[0-9a-fA-F-]{{1,64}})/?", UploadHandler),
        (rf"{API}/search/?", SearchHandler),
        (rf"{API}/search/operators/?", SearchOperatorsHandler),
        (rf"{API}/search/parse/?", SearchParseHandler),
        (rf"{API}/search/keys/?", SearchKeysHandler),
        (rf"{API}/search/index/?", SearchIndexHandler),
        (rf"{API}/search/annotations/?", AnnotationsHandler),
        (rf"{API}/search/saved/?", SavedSearchesHandler),
        (rf"{API}/search/curated/?", CuratedHandler),
        (rf"{API}/search/saved/(?P<saved_id>[0-9]{{1,18}})/?", SavedSearchHandler),
        (rf"{API}/search/annotations/(?P<annotation_id>[0-9]{{1,18}})/?", AnnotationHandler),
        (rf"{API}/datasets/?", DatasetsHandler),
        (rf"{API}/datasets/types/?", DatasetTypesHandler),
        (rf"{API}/datasets/{_DATASET}/?", DatasetHandler),
        (rf"{API}/datasets/{_DATASET}/grants/?", DatasetGrantsHandler),
        (rf"{API}/datasets/{_DATASET}/lineage/?", DatasetLineageHandler),
        (rf"{API}/datasets/{_DATASET}/manifest/?", DatasetManifestHandler),
        (rf"{API}/datasets/{_DATASET}/files/?", DatasetFilesHandler),
        (rf"{API}/datasets/{_DATASET}/(?P<action>close|verify)/?", DatasetJobHandler),
        (rf"{API}/cutouts/surveys/?", SurveysHandler),
        (rf"{API}/cutouts/surveys/(?P<survey>[A-Za-z0-9][A-Za-z0-9_.-]{{0,99}})/index/?", SurveyIndexHandler),
        (rf"{API}/cutouts/parameters/?", CutoutParametersHandler),
        (rf"{API}/cutouts/sync/?", CutoutSyncHandler),
        (rf"{API}/cutouts/jobs/?", CutoutJobsHandler),
        (rf"{API}/cutouts/jobs/{_JOB}/?", CutoutJobHandler),
        (rf"{API}/cutouts/jobs/{_JOB}/manifest/?", CutoutManifestHandler),
        (rf"{API}/cutouts/jobs/{_JOB}/zip/?", CutoutZipHandler),
        (rf"{API}/cutouts/jobs/{_JOB}/renew/?", CutoutRenewHandler),
        (rf"{API}/cutouts/jobs/{_JOB}/files/(?P<name>[^/]{{1,300}})", CutoutFileHandler),
        (rf"{API}/cutouts/async/?", UwsJobsHandler),
        (rf"{API}/cutouts/async/{_JOB}/?", UwsJobHandler),
        (rf"{API}/cutouts/async/{_JOB}/(?P<part>[a-z]{{1,20}})/?", UwsJobPartHandler),
        (rf"{API}/jobs/?", JobsHandler),
        (rf"{API}/pipelines/?", PipelinesHandler),
        (rf"{API}/jobs/clear/?", JobsClearHandler),
        (rf"{API}/jobs/{_JOB}/?", JobHandler),
        (rf"{API}/jobs/{_JOB}/results/?", JobResultsHandler),
        (rf"{API}/jobs/{_JOB}/events/?", JobEventsHandler),
        (rf"{API}/jobs/{_JOB}/(?P<action>[a-z]+)/?", JobActionHandler),
        *admin_routes(API, _JOB),
        (rf"{API}/me/email/?", MeEmailHandler),
        (rf"{API}/storage/?", StoragesHandler),
        (rf"{API}/storage/protocols/?", StorageProtocolsHandler),
        (rf"{API}/storage/{_REPO}/?", StorageHandler),
        (rf"{API}/clusters/?", ClustersHandler),
        (rf"{API}/clusters/options/?", ClusterOptionsHandler),
        (rf"{API}/clusters/(?P<cluster_id>[0-9a-f]{{1,64}})/?", ClusterHandler),
        (rf"{API}(?:/.*)?", NotFoundHandler),
    ]
