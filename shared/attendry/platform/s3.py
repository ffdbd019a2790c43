"""S3, thinly: read one object whole (a raw inbound email that SES stored).

The boto3 client is built on first use and cached per process; it reads AWS_ENDPOINT_URL
by itself, so local mode and tests reach moto through the environment alone.
"""

from functools import lru_cache
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_MISSING = frozenset({"NoSuchKey", "NoSuchBucket", "404"})


class S3ObjectMissingError(Exception):
    """The object is not there (expired, deleted, or never written): asking again won't help."""


@lru_cache(maxsize=1)
def default_s3_client() -> "S3Client":
    import boto3

    return boto3.client("s3")


def read_object(bucket: str, key: str, client: "S3Client | None" = None) -> bytes:
    """The object's bytes; S3ObjectMissingError if it does not exist, else boto3's errors."""
    try:
        response = (client or default_s3_client()).get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _MISSING:
            raise S3ObjectMissingError(f"s3://{bucket}/{key} does not exist") from error
        raise
    return response["Body"].read()
