"""Publishing products with their provenance: an RO-Crate (Workflow Run Crate profile) and, for a
repository of this product, a derived dataset of their input datasets.

    from jupyter_remotem.pipeline.publish import publish
    published = publish(projections, crate="cells-crate", store="staging/")
    published = publish(projections, crate="cells-crate", store=repository, dataset="Cell projections",
                        parents=[scan_dataset_id], client=c)

The crate holds the chosen products and the targets they were made from (``products/``), the
step code (``code/``: the step functions' source files, the crate's main ComputationalWorkflow),
and each run record (``runs/``, :mod:`.provenance`). Every step run is a CreateAction whose
instrument is the step, whose object is what it read and whose result is what it made; every run
is a CreateAction of the workflow with its agent, start and end. The crate is written with the
``rocrate`` package and is read back by it (``ROCrate(path)``).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import PipelineError
from .planning import UP_TO_DATE, Node, flatten, make_plan
from .provenance import read_run
from .steps import Handle
from .store import Store

#: The profiles a Workflow Run Crate declares (https://www.researchobject.org/workflow-run-crate/).
PROFILES = (
    ("https://w3id.org/ro/wfrun/process/0.5", "Process Run Crate"),
    ("https://w3id.org/ro/wfrun/workflow/0.5", "Workflow Run Crate"),
)
WORKFLOW_RUN_CONTEXT = "https://w3id.org/ro/terms/workflow-run"
PYTHON_ID = "https://w3id.org/workflowhub/workflow-ro-crate#python"
#: Targets listed by name when some are not committed yet.
SHOWN = 5


@dataclass
class Product:
    """One committed target to publish."""

    relative: str
    step: str
    manifest: dict[str, Any]
    #: Targets it was made from (through steps kept in memory).
    inputs: list[str] = field(default_factory=list)
    #: Input files of its call that are no target (URLs).
    files: list[str] = field(default_factory=list)

    @property
    def run(self) -> str | None:
        return (self.manifest.get("run") or {}).get("id")


@dataclass
class Published:
    """What :func:`publish` made: the crate's folder, its products, and the dataset registered."""

    crate: Path
    products: list[str]
    runs: list[str]
    dataset: dict[str, Any] | None = None


def _products_of_handles(handles: list[Handle], store: Store) -> tuple[list[Product], list[Any]]:
    plan = make_plan(handles, store)
    by_id = {n.handle._id: n for n in plan.nodes}
    missing = [n.target for n in plan.nodes if n.target is not None and n.status != UP_TO_DATE]
    if missing:
        raise PipelineError(f"{len(missing)} targets are not made (or are stale) yet: "
                            f"{', '.join(missing[:SHOWN])}{' ...' if len(missing) > SHOWN else ''}.",
                            hint="Run the pipeline first (run(...) or submit(...)); publish only what is made.")
    products = []
    for node in plan.nodes:
        if node.target is None:
            continue
        inputs, files = _inputs(node, by_id)
        products.append(Product(node.target, node.step, node.manifest or {}, inputs, files))
    return products, list({id(n.handle.step): n.handle.step for n in plan.nodes}.values())


def _inputs(node: Node, by_id: dict[int, Node]) -> tuple[list[str], list[str]]:
    from .canonical import File

    targets: list[str] = []
    files: list[str] = []
    stack, seen = [node.handle], set()
    while stack:
        handle = stack.pop()
        for value in handle.arguments.values():
            if isinstance(value, File):
                files.append(value.url)
        for upstream in handle.upstream():
            if upstream._id in seen:
                continue
            seen.add(upstream._id)
            found = by_id[upstream._id]
            if found.target is not None:
                targets.append(found.target)
            else:
                stack.append(upstream)
    return sorted(set(targets)), sorted(set(files))


def _products_of_targets(targets: list[str], store: Store) -> list[Product]:
    products, missing = [], []
    for relative in targets:
        manifest = store.read_manifest(relative)
        if manifest is None or store.data_info(relative) is None:
            missing.append(relative)
            continue
        products.append(Product(relative, str(manifest.get("step") or "step"), manifest))
    if missing:
        raise PipelineError(f"{len(missing)} targets are not committed in {store.describe()}: "
                            f"{', '.join(missing[:SHOWN])}.", hint="Name targets the pipeline made (with manifests).")
    return products


def _copy_product(store: Store, relative: str, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    info = store.data_info(relative) or {}
    if info.get("type") == "directory":
        if store.is_local:
            shutil.copytree(store.full(relative), destination)
        else:
            store.fs.get(store.full(relative), str(destination), recursive=True)
        return
    with store.open(relative) as source, open(destination, "wb") as target:
        shutil.copyfileobj(source, target, 1 << 20)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _iso(seconds: Any) -> str | None:
    if not isinstance(seconds, (int, float)):
        return None
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat()


def _code_files(steps: list[Any], records: dict[str, dict[str, Any]], staging: Path) -> list[tuple[Path, str]]:
    """(local file, path in the crate) of the step code: the source files where they are here,
    else the steps' source as one file, else their code identities."""
    sources: list[str] = []
    for step in steps:
        try:
            path = inspect.getsourcefile(inspect.unwrap(step.fn))
        except (TypeError, OSError):
            path = None
        if path and os.path.exists(path):
            sources.append(os.path.abspath(path))
    for record in records.values():
        for described in record.get("steps") or []:
            if described.get("source") and os.path.exists(described["source"]):
                sources.append(described["source"])
    files: list[tuple[Path, str]] = []
    unique = sorted(set(sources))
    for i, path in enumerate(unique):
        files.append((Path(path), f"code/{i}-{Path(path).name}" if len(unique) > 1 else f"code/{Path(path).name}"))
    if files:
        return files
    text = []
    for step in steps:
        try:
            text.append(inspect.getsource(step.fn))
        except (TypeError, OSError):
            text.append(f"# {step.name}: source not available; code sha256 {step.code_identity()['hash']}\n")
    if not text:
        identities = {r["run"]: r.get("steps") for r in records.values()}
        target = staging / "code" / "steps.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(identities, indent=1, sort_keys=True))
        return [(target, "code/steps.json")]
    target = staging / "code" / "steps.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n\n".join(text))
    return [(target, "code/steps.py")]


def publish(products: Any, crate: str | os.PathLike[str], *, store: Any, storage_options: dict[str, Any] | None = None,
            name: str | None = None, description: str | None = None, license: str | None = None,
            dataset: str | None = None, parents: list[str] | tuple[str, ...] = (), client: Any = None) -> Published:
    """Write an RO-Crate of ``products`` (step handles, or target paths of ``store``) to the folder
    ``crate``; with ``dataset`` (a name), register the store's folder of a repository of this product
    as a dataset derived from ``parents`` (closed datasets' ids; an open one is refused by name)."""
    from rocrate.model.computerlanguage import ComputerLanguage
    from rocrate.model.contextentity import ContextEntity
    from rocrate.model.person import Person
    from rocrate.rocrate import ROCrate

    target_store = Store.from_spec(store, storage_options)
    listed = products if isinstance(products, (list, tuple)) else [products]
    if listed and all(isinstance(p, str) for p in listed):
        chosen, steps = _products_of_targets(list(listed), target_store), []
    else:
        chosen, steps = _products_of_handles(flatten(products), target_store)
    if not chosen:
        raise PipelineError("There is nothing to publish: no product has a target.",
                            hint="Publish the handles of steps that write targets, or target paths.")
    folder = Path(crate)
    if folder.exists() and any(folder.iterdir()):
        raise PipelineError(f"The crate folder {str(folder)!r} is not empty.", hint="Choose a new folder.")
    if dataset is not None and target_store.repository is None:
        raise PipelineError("Only products in a repository of this product can be registered as a dataset.",
                            hint="Run the pipeline with store=<repository> to register its products.")

    records: dict[str, dict[str, Any]] = {}
    for product in chosen:
        if product.run and product.run not in records:
            found = read_run(target_store, product.manifest)
            if found is not None:
                records[product.run] = found

    with tempfile.TemporaryDirectory(prefix="remotem-crate-") as staging_name:
        staging = Path(staging_name)
        rc = ROCrate()
        rc.name = name or f"Products of {', '.join(sorted({p.step for p in chosen}))}"
        rc.description = description or f"{len(chosen)} pipeline products with their provenance."
        if license:
            rc.license = license
        for profile, title in PROFILES:
            rc.root_dataset.append_to("conformsTo", rc.add(ContextEntity(rc, profile, properties={
                "@type": "CreativeWork", "name": title, "version": profile.rsplit("/", 1)[-1]})))
        if WORKFLOW_RUN_CONTEXT not in rc.metadata.extra_contexts:
            rc.metadata.extra_contexts.append(WORKFLOW_RUN_CONTEXT)
        python_version = next((r.get("python") for r in records.values() if r.get("python")), None)
        python = rc.add(ComputerLanguage(rc, identifier=PYTHON_ID, properties={
            "name": "Python", "url": {"@id": "https://www.python.org/"},
            **({"version": python_version} if python_version else {})}))
        code = _code_files(steps, records, staging)
        main_file, main_dest = code[0]
        workflow = rc.add_workflow(str(main_file), dest_path=main_dest, main=True, lang=python, properties={
            "name": rc.name if len(code) == 1 else main_dest, "description": "The pipeline's step functions."})
        for extra, dest in code[1:]:
            workflow.append_to("hasPart", rc.add_file(str(extra), dest_path=dest, properties={
                "@type": ["File", "SoftwareSourceCode"], "programmingLanguage": python}))
        libraries: dict[str, str] = {}
        for record in records.values():
            libraries.update({k: v for k, v in (record.get("libraries") or {}).items() if v})
        for library, version in sorted(libraries.items()):
            workflow.append_to("softwareRequirements", rc.add(ContextEntity(rc, f"#software/{library}", properties={
                "@type": "SoftwareApplication", "name": library, "softwareVersion": version})))

        tools: dict[str, Any] = {}
        for product in chosen:
            if product.step in tools:
                continue
            code_hash = ((product.manifest.get("code") or {}).get("hash")
                         or (product.manifest.get("components") or {}).get("code"))
            tools[product.step] = rc.add(ContextEntity(rc, f"#step/{product.step}", properties={
                "@type": "SoftwareApplication", "name": product.step,
                **({"identifier": f"sha256:{code_hash}"} if isinstance(code_hash, str) else {})}))
        workflow["step"] = [rc.add(ContextEntity(rc, f"#howto/{step}", properties={
            "@type": "HowToStep", "name": step, "workExample": {"@id": tool.id}})) for step, tool in tools.items()]

        entities: dict[str, Any] = {}
        for product in chosen:
            local = staging / "products" / product.relative
            _copy_product(target_store, product.relative, local)
            properties: dict[str, Any] = {"name": product.relative, "keywords": [f"step:{product.step}"]}
            if local.is_dir():
                entities[product.relative] = rc.add_dataset(str(local), dest_path=f"products/{product.relative}/",
                                                            properties=properties)
            else:
                properties.update({"contentSize": local.stat().st_size, "sha256": _sha256(local)})
                entities[product.relative] = rc.add_file(str(local), dest_path=f"products/{product.relative}",
                                                         properties=properties)
        external: dict[str, Any] = {}
        for product in chosen:
            for url in product.files:
                if url not in external:
                    external[url] = rc.add(ContextEntity(rc, url if "://" in url else f"#input/{url}", properties={
                        "@type": "File", "name": url}))

        people: dict[str, Any] = {}

        def agent(who: Any) -> Any:
            who = str(who or "unknown")
            if who not in people:
                people[who] = rc.add(Person(rc, f"#person/{who}", properties={"name": who}))
            return people[who]

        # One CreateAction per step and run: what it read, what it made, when, by whom.
        groups: dict[tuple[str | None, str], list[Product]] = {}
        for product in chosen:
            groups.setdefault((product.run, product.step), []).append(product)
        for (run_id, step), members in sorted(groups.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
            started = min((m.manifest.get("started") for m in members if isinstance(m.manifest.get("started"),
                                                                                    (int, float))), default=None)
            ended = max((m.manifest.get("finished") for m in members if isinstance(m.manifest.get("finished"),
                                                                                    (int, float))), default=None)
            read = sorted({i for m in members for i in m.inputs})
            objects = [entities[i] for i in read if i in entities] + \
                [external[u] for u in sorted({u for m in members for u in m.files})]
            record = records.get(run_id or "", {})
            rc.add_action(tools[step], identifier=f"#run/{run_id or 'unknown'}/{step}", object=objects,
                          result=[entities[m.relative] for m in members], properties={
                              "name": f"{step} ({len(members)} calls)" + (f" in run {run_id}" if run_id else ""),
                              **({"startTime": _iso(started)} if started is not None else {}),
                              **({"endTime": _iso(ended)} if ended is not None else {}),
                              "agent": {"@id": agent(record.get("who")).id}})
        # One CreateAction of the workflow per run, with its record as a file about it.
        for run_id, record in sorted(records.items()):
            local = staging / "runs" / f"{run_id}.json"
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_text(json.dumps(record, indent=1, sort_keys=True))
            made = [entities[p.relative] for p in chosen if p.run == run_id]
            inputs = [external[u] for u in sorted({u for p in chosen if p.run == run_id for u in p.files})]
            action = rc.add_action(workflow, identifier=f"#run/{run_id}", object=inputs, result=made, properties={
                "name": f"Pipeline run {run_id}", "agent": {"@id": agent(record.get("who")).id},
                **({"startTime": record["started"]} if record.get("started") else {}),
                **({"endTime": record["ended"]} if record.get("ended") else {})})
            rc.add_file(str(local), dest_path=f"runs/{run_id}.json", properties={
                "name": f"Run record {run_id}", "encodingFormat": "application/json", "about": {"@id": action.id}})
        rc.write(folder)

    registered = None
    if dataset is not None:
        registered = _register(target_store, dataset, description, list(parents), client, records, chosen)
    return Published(folder, [p.relative for p in chosen], sorted(records), registered)


def _register(store: Store, name: str, description: str | None, parents: list[str], client: Any,
              records: dict[str, dict[str, Any]], chosen: list[Product]) -> dict[str, Any]:
    """The store's folder as a dataset derived from ``parents`` (the server refuses open parents)."""
    if client is None:
        from ..client import connect

        client = connect()
    run = {"operation": "pipeline", "runs": sorted(records), "products": len(chosen),
           "steps": sorted({p.step for p in chosen}),
           "git": next((r.get("git") for r in records.values() if r.get("git")), None)}
    return client.datasets.register(store.repository.name, store.prefix, name, description=description or "",
                                    parents=parents, run=run)
