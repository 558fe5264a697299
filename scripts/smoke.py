"""Smoke-check the local stack from the environment (run via `make smoke`).

Postgres: DATABASE_URL connects and the role may create databases (pytest-django
needs that). S3: anonymous requests are refused, signed ones work, presigned
GET URLs work with a plain HTTP client, and a tampered presigned URL is refused.
Exits non-zero on the first failure.
"""

import io
import os
import sys
import time
import urllib.error
import urllib.request
import uuid

import boto3
import psycopg
from botocore.config import Config


def http_get(url):
    """Status and body of an unauthenticated GET (no AWS credentials involved)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        sys.exit(1)


def main():
    with psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT rolsuper OR rolcreatedb, current_setting('max_connections')::int"
            " FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    check(row is not None and row[0], "postgres: connected; role can create databases")
    check(row[1] >= 100, f"postgres: max_connections = {row[1]}")

    endpoint = os.environ["S3_ENDPOINT_URL"]
    bucket = os.environ["S3_BUCKET"]
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"],
        region_name=os.environ.get("S3_REGION", "us-east-1"),
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    key = f"smoke/{uuid.uuid4()}/hello world.txt"
    body = b"hello from smoke.py\n"
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/plain")
    check(s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body, "s3: signed put/get")

    status, _ = http_get(f"{endpoint}/{bucket}/{urllib.request.quote(key)}")
    check(status == 403, f"s3: anonymous GET refused ({status})")
    status, _ = http_get(f"{endpoint}/{bucket}?list-type=2")
    check(status == 403, f"s3: anonymous list refused ({status})")

    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=60
    )
    status, got = http_get(url)
    check(status == 200 and got == body, f"s3: presigned GET works ({status})")

    head, signature = url.rsplit("X-Amz-Signature=", 1)
    tampered = head + "X-Amz-Signature=" + ("0" if signature[0] != "0" else "1") + signature[1:]
    status, _ = http_get(tampered)
    check(status == 403, f"s3: tampered presigned GET refused ({status})")

    other_key = url.replace(urllib.request.quote(key), urllib.request.quote(key + ".other"))
    status, _ = http_get(other_key)
    check(status == 403, f"s3: presigned URL not valid for another key ({status})")

    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=1
    )
    time.sleep(2)
    status, _ = http_get(url)
    check(status == 403, f"s3: expired presigned GET refused ({status})")

    # boto3 switches to multipart above 8 MiB (django-storages uses upload_fileobj).
    big = os.urandom(9 * 1024 * 1024)
    s3.upload_fileobj(io.BytesIO(big), bucket, key + ".big")
    check(
        s3.get_object(Bucket=bucket, Key=key + ".big")["Body"].read() == big, "s3: multipart upload"
    )

    s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_object(Bucket=bucket, Key=key + ".big")
    print("stack smoke check passed")


if __name__ == "__main__":
    main()
