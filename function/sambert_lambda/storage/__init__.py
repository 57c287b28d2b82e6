"""Where audio, manifests and batch inputs are kept: one interface, two backends.

- ``s3``     :class:`Storage`, one S3 bucket through boto3 (uploads by s3transfer, SigV4 presigned URLs);
- ``files``  :class:`FileStorage`, a directory with the same methods and errors, for local runs;
- ``objects`` what both share: :class:`ObjectInfo` (HEAD), :class:`ObjectNotFound` (404 ``not_found``).

The methods: ``put(key, body, content_type, metadata)``, ``head(key)`` (ObjectInfo or None),
``get(key, max_bytes=None)`` (bytes and metadata), ``list(prefix)``, ``delete(key)``. No torch here.
"""

from sambert_lambda.storage.files import FileStorage
from sambert_lambda.storage.objects import ObjectInfo, ObjectNotFound
from sambert_lambda.storage.s3 import Storage, make_client

__all__ = ["FileStorage", "ObjectInfo", "ObjectNotFound", "Storage", "make_client"]
