"""Wait until the S3 endpoint from the environment accepts signed requests and
the bucket exists; with --create, create the bucket when it is missing.

Reads the same variables the Django settings read: S3_ENDPOINT_URL, S3_BUCKET,
S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION. Exit status 0 when the
bucket is usable, 1 otherwise (with the reason on stderr).

Usage: python scripts/s3_bucket.py [--create] [--timeout SECONDS]
"""

import argparse
import os
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError


def s3_client():
    return boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT_URL"],
        aws_access_key_id=os.environ.get("S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=os.environ.get("S3_SECRET_ACCESS_KEY") or None,
        region_name=os.environ.get("S3_REGION", "us-east-1"),
        # Same client shape as the app (django-storages): SigV4, path-style.
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
            connect_timeout=2,
            read_timeout=10,
        ),
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--create", action="store_true", help="create the bucket if missing")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()

    bucket = os.environ["S3_BUCKET"]
    client = s3_client()
    deadline = time.monotonic() + args.timeout
    last_error = "no attempt made"
    while time.monotonic() < deadline:
        try:
            client.head_bucket(Bucket=bucket)
            return 0
        except BotoConnectionError as exc:  # server not listening yet
            last_error = str(exc)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in ("404", "NoSuchBucket", "NotFound"):
                if not args.create:
                    print(f"S3 bucket {bucket!r} does not exist", file=sys.stderr)
                    return 1
                try:
                    client.create_bucket(Bucket=bucket)
                    print(f"created S3 bucket {bucket!r}", file=sys.stderr)
                except ClientError as create_exc:
                    last_error = str(create_exc)
                continue
            # 403 right after start can mean the identities are not loaded yet;
            # keep retrying until the deadline, then report it.
            last_error = f"HTTP {status} {code}: {exc}"
        time.sleep(0.3)
    print(
        f"S3 bucket {bucket!r} not usable after {args.timeout:.0f}s: {last_error}", file=sys.stderr
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
