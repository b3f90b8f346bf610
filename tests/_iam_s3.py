"""A moto S3 server that enforces IAM: two people, each with an access key whose policy allows
their own bucket only.  Used where users add storages of their own (a wrong or foreign key must
fail as it would on AWS, which moto's default, authentication-free mode never does)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from _services import free_port, wait_for_http

BUCKETS = {"alice": "alice-scans", "bob": "bob-scans"}


@contextmanager
def iam_s3_server(workdir: Path, demo_dir: Path) -> Iterator[dict[str, Any]]:
    """The running server: ``{"endpoint", "keys": {person: {"key", "secret"}}, "log"}``, each
    person's bucket (:data:`BUCKETS`) holding a copy of demo scans under ``lab/``."""
    import boto3
    from botocore.exceptions import ClientError

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # The first requests (setting up users and buckets) are let through unauthenticated; the rest
    # of the allowance is used up below, after which every request needs a valid key.
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="60")
    with open(workdir / "moto.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    try:
        wait_for_http(endpoint, process)
        setup = {"endpoint_url": endpoint, "region_name": "us-east-1", "aws_access_key_id": "setup",
                 "aws_secret_access_key": "setup"}
        iam, s3 = boto3.client("iam", **setup), boto3.client("s3", **setup)
        keys = {}
        for user, bucket in BUCKETS.items():
            iam.create_user(UserName=user)
            policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": [
                f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}
            iam.put_user_policy(UserName=user, PolicyName="own-bucket", PolicyDocument=json.dumps(policy))
            created = iam.create_access_key(UserName=user)["AccessKey"]
            keys[user] = {"key": created["AccessKeyId"], "secret": created["SecretAccessKey"]}
            s3.create_bucket(Bucket=bucket)
            for name in ("scan.npy", "scan.h5"):
                s3.upload_file(str(demo_dir / name), bucket, f"lab/{name}")
        stranger = boto3.client("iam", **dict(setup, aws_access_key_id="AKIASTRANGER0000", aws_secret_access_key="x"))
        for _ in range(60):  # use up the unauthenticated allowance
            try:
                stranger.list_users()
            except ClientError:
                break
        else:
            pytest.fail("moto never started enforcing IAM")
        yield {"endpoint": endpoint, "keys": keys, "log": workdir / "moto.log"}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
